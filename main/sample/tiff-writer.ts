// Writes a classic little-endian TIFF from directories of tags and pieces (tiles or strips). Pieces with
// identical bytes are stored once and shared by offset, which keeps repetitive synthetic slides small.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const TiffType = { ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5 } as const;

export interface TiffTag {
  tag: number;
  type: (typeof TiffType)[keyof typeof TiffType];
  /** Numbers (RATIONAL as [numerator, denominator] pairs flattened) or a string for ASCII. */
  value: number[] | string;
}

export interface TiffDirectorySpec {
  tags: TiffTag[];
  /** Compressed pieces in order; their offsets and byte counts go to `offsetsTag` / `countsTag`. */
  pieces: Buffer[];
  offsetsTag: number;
  countsTag: number;
}

const TYPE_SIZE: Record<number, number> = { 2: 1, 3: 2, 4: 4, 5: 8 };

function encodeValue(t: TiffTag): { bytes: Buffer; count: number } {
  if (t.type === TiffType.ASCII) {
    const bytes = Buffer.from(`${t.value as string}\0`, 'latin1');
    return { bytes, count: bytes.length };
  }
  const values = t.value as number[];
  const size = TYPE_SIZE[t.type];
  const count = t.type === TiffType.RATIONAL ? values.length / 2 : values.length;
  const bytes = Buffer.alloc(count * size);
  values.forEach((v, i) => {
    if (t.type === TiffType.SHORT) bytes.writeUInt16LE(v, i * 2);
    else bytes.writeUInt32LE(v, i * 4);
  });
  return { bytes, count };
}

export async function writeTiff(path: string, directories: TiffDirectorySpec[]): Promise<void> {
  const chunks: Buffer[] = [Buffer.alloc(8)];
  let offset = 8;
  const push = (b: Buffer): number => {
    const at = offset;
    chunks.push(b);
    offset += b.length;
    if (offset % 2) {
      chunks.push(Buffer.alloc(1));
      offset += 1;
    }
    return at;
  };
  const stored = new Map<string, number>();
  const ifdPositions: number[] = [];
  const ifdBuffers: Buffer[] = [];
  for (const dir of directories) {
    const offsets: number[] = [];
    for (const piece of dir.pieces) {
      const key = createHash('sha1').update(piece).digest('hex');
      let at = stored.get(key);
      if (at === undefined) {
        at = push(piece);
        stored.set(key, at);
      }
      offsets.push(at);
    }
    const tags = [
      ...dir.tags,
      { tag: dir.offsetsTag, type: TiffType.LONG, value: offsets },
      { tag: dir.countsTag, type: TiffType.LONG, value: dir.pieces.map((p) => p.length) },
    ].sort((a, b) => a.tag - b.tag);
    // Out-of-line values first, then the directory itself.
    const entries = Buffer.alloc(2 + tags.length * 12 + 4);
    entries.writeUInt16LE(tags.length, 0);
    tags.forEach((t, i) => {
      const { bytes, count } = encodeValue(t);
      const e = 2 + i * 12;
      entries.writeUInt16LE(t.tag, e);
      entries.writeUInt16LE(t.type, e + 2);
      entries.writeUInt32LE(count, e + 4);
      if (bytes.length <= 4) bytes.copy(entries, e + 8);
      else entries.writeUInt32LE(push(bytes), e + 8);
    });
    ifdPositions.push(push(entries));
    ifdBuffers.push(entries);
  }
  if (offset > 0xffffffff) throw new Error('The TIFF would exceed 4 GiB (classic TIFF)');
  // Chain the directories: each one's last 4 bytes point to the next.
  ifdBuffers.forEach((b, i) => b.writeUInt32LE(ifdPositions[i + 1] ?? 0, b.length - 4));
  const header = chunks[0];
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  header.writeUInt32LE(ifdPositions[0], 4);
  const file = await open(path, 'w');
  try {
    await file.writev(chunks);
  } finally {
    await file.close();
  }
}
