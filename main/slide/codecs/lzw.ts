// TIFF LZW (compression 5): MSB-first codes of 9–12 bits, "early change" widths, as libtiff writes them.
import { SlideError } from '../slide-errors.js';

const CLEAR = 256;
const EOI = 257;

/** Decodes at most `expectedBytes` bytes; a short result is returned as-is (the caller checks). */
export function decodeLzw(input: Buffer, expectedBytes: number): Buffer {
  const out = Buffer.alloc(expectedBytes);
  let outPos = 0;
  // Dictionary as (prefix code, last byte, first byte, length) so entries are never copied; 4096 codes max.
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  let next = 258;
  let width = 9;
  let old = -1;
  let bitBuf = 0;
  let bitCount = 0;
  let inPos = 0;
  const writeCode = (code: number): void => {
    const end = outPos + length[code];
    let c = code;
    // Written backwards from the entry's end; bytes past `expectedBytes` are dropped.
    for (let k = end - 1; k >= outPos; k--) {
      if (k < expectedBytes) out[k] = suffix[c];
      c = prefix[c];
    }
    outPos = end;
  };
  while (outPos < expectedBytes) {
    while (bitCount < width) {
      if (inPos >= input.length) return out.subarray(0, Math.min(outPos, expectedBytes));
      bitBuf = ((bitBuf << 8) | input[inPos++]) & 0xffffff;
      bitCount += 8;
    }
    const code = (bitBuf >>> (bitCount - width)) & ((1 << width) - 1);
    bitCount -= width;
    if (code === EOI) break;
    if (code === CLEAR) {
      next = 258;
      width = 9;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) throw new SlideError('corrupt', 'An LZW-compressed tile is corrupt (bad first code)');
      writeCode(code);
      old = code;
      continue;
    }
    if (code > next || (code === next && next >= 4096)) {
      throw new SlideError('corrupt', 'An LZW-compressed tile is corrupt (code out of range)');
    }
    // code === next is the KwKwK case: the entry is defined by this very step, so add it before writing.
    const known = code < next;
    if (known) writeCode(code);
    if (next < 4096) {
      prefix[next] = old;
      suffix[next] = known ? first[code] : first[old];
      first[next] = first[old];
      length[next] = length[old] + 1;
      next++;
    }
    if (!known) writeCode(code);
    old = code;
    // libtiff widens codes one step early ("early change").
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  return out.subarray(0, Math.min(outPos, expectedBytes));
}
