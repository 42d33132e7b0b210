// A DICOM instance's frames as bytes, located on first use: native pixel data frames back to back, or
// encapsulated fragments found by the Extended Offset Table, the Basic Offset Table, or a walk of the
// fragments (one per frame, or frames split across fragments).
import { ItemTags, readBasicOffsetTable, readItemHeader, scanFragments, type Fragment } from './dicom-dataset.js';
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { Instance } from './wsi-instance.js';
import { WsiTag } from './wsi-tags.js';

/** The compressed (or raw) bytes of frame `frame` (0-based, within this file). */
export async function readFrame(inst: Instance, frame: number): Promise<Buffer> {
  inst.frameReader ??= frameReader(inst);
  const reader = await inst.frameReader.catch((err: unknown) => {
    inst.frameReader = undefined;
    throw err;
  });
  return reader(frame);
}

export async function frameReader(inst: Instance): Promise<(frame: number) => Promise<Buffer>> {
  const { source, header } = inst;
  const count = inst.frames;
  const bad = (frame: number): SlideError => new SlideError('corrupt', `${source.path} has no frame ${frame} (it has ${count})`);
  if (header.pixelDataLength !== null) {
    // Native (uncompressed) pixel data: frames back to back.
    const frameBytes = inst.tileWidth * inst.tileHeight * inst.samplesPerPixel;
    if (header.pixelDataLength < frameBytes * count) {
      throw new SlideError('corrupt', `${source.path} holds ${header.pixelDataLength} bytes of pixels where ${count} frames need ${frameBytes * count}`);
    }
    return (frame) => (frame < count ? source.read(header.pixelDataOffset + frame * frameBytes, frameBytes) : Promise.reject(bad(frame)));
  }
  const { offsets, firstFragment } = await readBasicOffsetTable(source, header.pixelDataOffset);
  const eot = header.dataset.bigValues(WsiTag.ExtendedOffsetTable);
  const eotLengths = header.dataset.bigValues(WsiTag.ExtendedOffsetTableLengths);
  const past = (offset: number): SlideError =>
    new SlideError('truncated', `${source.path} is truncated: its frames reach byte ${offset}, past its end (${source.size} bytes)`);
  if (eot && eotLengths && eot.length >= count && eotLengths.length >= count) {
    // Extended Offset Table: one fragment per frame, offsets of its item header, lengths of its bytes.
    const last = eot.slice(0, count).reduce((m, o, i) => Math.max(m, firstFragment + o + 8 + eotLengths[i]), 0);
    if (last > source.size) throw past(last);
    return (frame) => (frame < count ? source.read(firstFragment + eot[frame] + 8, eotLengths[frame]) : Promise.reject(bad(frame)));
  }
  if (offsets.length >= count && firstFragment + offsets[count - 1] + 8 > source.size) throw past(firstFragment + offsets[count - 1] + 8);
  if (offsets.length >= count) {
    return async (frame) => {
      if (frame >= count) throw bad(frame);
      const end = frame + 1 < offsets.length ? firstFragment + offsets[frame + 1] : Infinity;
      return readFragments(source, firstFragment + offsets[frame], end);
    };
  }
  // No offset table: walk the fragments once. One fragment per frame, or frames split across
  // fragments, a new frame starting at each fragment that starts a JPEG/J2K stream.
  const fragments = await scanFragments(source, firstFragment);
  let frames: Fragment[][];
  if (fragments.length === count) frames = fragments.map((f) => [f]);
  else {
    frames = [];
    for (const f of fragments) {
      if (f.startsImage || frames.length === 0) frames.push([f]);
      else frames[frames.length - 1].push(f);
    }
  }
  if (frames.length < count) throw new SlideError('corrupt', `${source.path} holds ${frames.length} frames where NumberOfFrames says ${count}`);
  return async (frame) => {
    const parts = frames[frame];
    if (!parts || frame >= count) throw bad(frame);
    const buffers = await Promise.all(parts.map((f) => source.read(f.offset, f.length)));
    return buffers.length === 1 ? buffers[0] : Buffer.concat(buffers);
  };
}

export async function endsWithDelimiter(source: FileSource): Promise<boolean> {
  if (source.size < 8) return false;
  const tail = await source.read(source.size - 8, 8);
  return tail.readUInt32LE(0) === 0xe0ddfffe && tail.readUInt32LE(4) === 0;
}

/** The fragments from the item at `start` up to `end` (the next frame's item) or the sequence delimiter. */
async function readFragments(source: FileSource, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let p = start;
  while (p < end && parts.length < 1 << 16) {
    const item = await readItemHeader(source, p);
    if (item.tag === ItemTags.SEQUENCE_END) break;
    if (item.tag !== ItemTags.ITEM || item.length === 0xffffffff) throw new SlideError('corrupt', `${source.path} has a bad pixel data fragment at byte ${p}`);
    parts.push(await source.read(p + 8, item.length));
    p += 8 + item.length;
    // Most frames are one fragment: when the next frame's offset is known, stop without peeking further.
    if (end === Infinity && p + 8 > source.size) break;
  }
  if (parts.length === 0) throw new SlideError('corrupt', `${source.path} has an empty frame at byte ${start}`);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
