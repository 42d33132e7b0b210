// Index.dat (OpenSlide's process_indexfile): "01.02" + SLIDE_ID, then two int32 LE roots. The hier root
// points at one pointer per zoom level; each leads to [0, first page]; a page is [count, next] then
// count × (image index, offset, length, data file). The nonhier root points at one pointer per record,
// each leading to [0, page]; the page is [1, ?, 0, 0, offset, length, data file]. Every pointer is checked
// against the file's end and page chains against loops, so corrupt files fail fast with a clear message.
import { SlideError } from '../slide-errors.js';

export const INDEX_VERSION = '01.02';
/** Largest Index.dat read into memory. */
export const MAX_INDEX_BYTES = 256 << 20;

export interface HierRecord {
  imageIndex: number;
  offset: number;
  length: number;
  fileno: number;
}

export interface NonhierRecord {
  offset: number;
  length: number;
  fileno: number;
}

export class IndexDat {
  private readonly hierRoot: number;

  constructor(
    private readonly data: Buffer,
    private readonly path: string,
    slideId: string,
  ) {
    const head = Buffer.from(INDEX_VERSION + slideId, 'latin1');
    if (data.length < head.length + 8 || !data.subarray(0, INDEX_VERSION.length).equals(head.subarray(0, INDEX_VERSION.length))) {
      throw new SlideError('corrupt', `${path} is not a MIRAX index: it does not start with version ${INDEX_VERSION}`);
    }
    if (!data.subarray(0, head.length).equals(head)) throw new SlideError('corrupt', `${path} does not belong to this slide: its slide identifier is not ${slideId}`);
    this.hierRoot = head.length;
  }

  private int(at: number, what: string): number {
    if (!Number.isSafeInteger(at) || at < 0 || at + 4 > this.data.length) {
      throw new SlideError('corrupt', `${this.path} is corrupt: ${what} at byte ${at} lies past its end (${this.data.length} bytes)`);
    }
    return this.data.readInt32LE(at);
  }

  private pointer(at: number, what: string): number {
    const p = this.int(at, what);
    if (p < 0 || p + 4 > this.data.length) throw new SlideError('corrupt', `${this.path} is corrupt: ${what} (at byte ${at}) points to byte ${p}, past its end (${this.data.length} bytes)`);
    return p;
  }

  /** The records of zoom level `level`, following the page chain; at most `maxRecords`. */
  hierRecords(level: number, maxRecords: number): HierRecord[] {
    const table = this.pointer(this.hierRoot, 'the hierarchical root pointer');
    const start = this.pointer(table + 4 * level, `the pointer to zoom level ${level}`);
    if (this.int(start, `zoom level ${level}'s header`) !== 0) throw new SlideError('corrupt', `${this.path} is corrupt: zoom level ${level}'s data does not start with 0`);
    let page = this.pointer(start + 4, `zoom level ${level}'s first page pointer`);
    const seen = new Set<number>();
    const out: HierRecord[] = [];
    for (;;) {
      if (seen.has(page)) throw new SlideError('corrupt', `${this.path} is corrupt: the data pages of zoom level ${level} loop back to byte ${page}`);
      seen.add(page);
      const count = this.int(page, `a page length of zoom level ${level}`);
      const next = this.int(page + 4, `a next-page pointer of zoom level ${level}`);
      if (count < 0 || out.length + count > maxRecords) {
        throw new SlideError('corrupt', `${this.path} is corrupt: zoom level ${level} lists more images than the slide has (${maxRecords})`);
      }
      for (let i = 0; i < count; i++) {
        const at = page + 8 + i * 16;
        const r = { imageIndex: this.int(at, 'an image record'), offset: this.int(at + 4, 'an image record'), length: this.int(at + 8, 'an image record'), fileno: this.int(at + 12, 'an image record') };
        if (r.imageIndex < 0 || r.offset < 0 || r.length < 0 || r.fileno < 0) {
          throw new SlideError('corrupt', `${this.path} is corrupt: zoom level ${level} has an image record with a negative field`);
        }
        out.push(r);
      }
      if (next === 0) return out;
      if (next < 0 || next + 8 > this.data.length) throw new SlideError('corrupt', `${this.path} is corrupt: a next-page pointer of zoom level ${level} points to byte ${next}, past its end (${this.data.length} bytes)`);
      page = next;
    }
  }

  nonhierRecord(recordno: number): NonhierRecord {
    const what = `non-hierarchical record ${recordno}`;
    const table = this.pointer(this.hierRoot + 4, 'the non-hierarchical root pointer');
    const rec = this.pointer(table + 4 * recordno, `the pointer to ${what}`);
    if (this.int(rec, what) !== 0) throw new SlideError('corrupt', `${this.path} is corrupt: ${what} does not start with 0`);
    const page = this.pointer(rec + 4, `${what}'s page pointer`);
    if (this.int(page, what) !== 1) throw new SlideError('corrupt', `${this.path} is corrupt: ${what}'s page does not hold exactly one entry`);
    if (this.int(page + 8, what) !== 0 || this.int(page + 12, what) !== 0) throw new SlideError('corrupt', `${this.path} is corrupt: ${what}'s page has unexpected values`);
    const r = { offset: this.int(page + 16, what), length: this.int(page + 20, what), fileno: this.int(page + 24, what) };
    if (r.offset < 0 || r.length < 0) throw new SlideError('corrupt', `${this.path} is corrupt: ${what} has a negative offset or length`);
    return r;
  }
}
