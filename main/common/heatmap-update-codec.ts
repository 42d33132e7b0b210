// Encodes and decodes the binary heatmap update (layout in `main/contracts/heatmap-update.ts`). Pure: the
// services encode with it, the renderer decodes with it.
import {
  HEATMAP_UPDATE_MAGIC,
  type HeatmapUpdate,
  type HeatmapUpdateHeader,
} from '../contracts/heatmap-update.js';

export class HeatmapUpdateFormatError extends Error {
  constructor(message: string) {
    super(`Malformed heatmap update: ${message}`);
    this.name = 'HeatmapUpdateFormatError';
  }
}

const align4 = (n: number) => (n + 3) & ~3;

/** One fresh buffer (offset 0) holding the update. */
export function encodeHeatmapUpdate(u: HeatmapUpdate): Uint8Array {
  const h = u.header;
  const k = h.classNames.length;
  if (h.dense && h.changed !== h.cols * h.rows) throw new RangeError(`a dense update carries all ${h.cols * h.rows} cells, not ${h.changed}`);
  const indexed = h.dense ? 0 : h.changed;
  if (u.cells.length !== h.changed) throw new RangeError(`${u.cells.length} cells for changed = ${h.changed}`);
  if (u.values.length !== h.changed * k) throw new RangeError(`${u.values.length} values for ${h.changed} cells of ${k} classes`);
  const tissueBytes = h.tissue ? h.tissue.width * h.tissue.height : 0;
  if ((u.tissue?.length ?? 0) !== tissueBytes) throw new RangeError(`${u.tissue?.length ?? 0} tissue bytes for a ${tissueBytes}-pixel mask`);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const cellsAt = align4(8 + json.length);
  const valuesAt = cellsAt + 4 * indexed;
  const tissueAt = valuesAt + u.values.length;
  const out = new Uint8Array(tissueAt + tissueBytes);
  for (let i = 0; i < 4; i++) out[i] = HEATMAP_UPDATE_MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  if (!h.dense) new Uint32Array(out.buffer, cellsAt, h.changed).set(u.cells);
  out.set(u.values, valuesAt);
  if (u.tissue) out.set(u.tissue, tissueAt);
  return out;
}

/** Reads an update; throws HeatmapUpdateFormatError on anything that does not fit the layout. */
export function decodeHeatmapUpdate(data: ArrayBuffer | Uint8Array): HeatmapUpdate {
  let bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  // The u32 cell view needs a 4-aligned start; a view into a pooled buffer may not have one.
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice();
  if (bytes.length < 8) throw new HeatmapUpdateFormatError(`${bytes.length} bytes`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== HEATMAP_UPDATE_MAGIC) throw new HeatmapUpdateFormatError(`magic ${JSON.stringify(magic)}, not ${HEATMAP_UPDATE_MAGIC}`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + headerLength > bytes.length) throw new HeatmapUpdateFormatError(`a ${headerLength}-byte header in ${bytes.length} bytes`);
  let header: HeatmapUpdateHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as HeatmapUpdateHeader;
  } catch (err) {
    throw new HeatmapUpdateFormatError(`header is not JSON (${(err as Error).message})`);
  }
  checkHeader(header);
  const k = header.classNames.length;
  const cellsAt = align4(8 + headerLength);
  const valuesAt = cellsAt + 4 * (header.dense ? 0 : header.changed);
  const tissueAt = valuesAt + header.changed * k;
  const tissueBytes = header.tissue ? header.tissue.width * header.tissue.height : 0;
  if (tissueAt + tissueBytes !== bytes.length)
    throw new HeatmapUpdateFormatError(`${bytes.length} bytes where the header describes ${tissueAt + tissueBytes}`);
  const total = header.cols * header.rows;
  let cells: Uint32Array;
  if (header.dense) {
    cells = new Uint32Array(total);
    for (let i = 0; i < total; i++) cells[i] = i;
  } else {
    cells = new Uint32Array(bytes.buffer, bytes.byteOffset + cellsAt, header.changed);
    for (let i = 0; i < cells.length; i++) if (cells[i] >= total) throw new HeatmapUpdateFormatError(`cell ${cells[i]} outside a ${header.cols}×${header.rows} grid`);
  }
  return {
    header,
    cells,
    values: bytes.subarray(valuesAt, tissueAt),
    tissue: header.tissue ? bytes.subarray(tissueAt, tissueAt + tissueBytes) : null,
  };
}

function checkHeader(h: HeatmapUpdateHeader): void {
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!h || typeof h !== 'object') throw new HeatmapUpdateFormatError('header is not an object');
  if (h.kind !== 'snapshot' && h.kind !== 'delta') throw new HeatmapUpdateFormatError(`kind ${JSON.stringify(h.kind)}`);
  for (const key of ['version', 'since', 'cols', 'rows', 'scored', 'changed'] as const)
    if (!count(h[key])) throw new HeatmapUpdateFormatError(`${key} ${JSON.stringify(h[key])} is not a count`);
  for (const key of ['cellSize', 'patchSize', 'mpp'] as const)
    if (!positive(h[key])) throw new HeatmapUpdateFormatError(`${key} ${JSON.stringify(h[key])} is not positive`);
  if (typeof h.dense !== 'boolean') throw new HeatmapUpdateFormatError('dense is not true or false');
  if (h.dense && h.changed !== h.cols * h.rows) throw new HeatmapUpdateFormatError(`a dense update of ${h.changed} cells for a ${h.cols}×${h.rows} grid`);
  if (typeof h.cellOffset !== 'number' || !Number.isFinite(h.cellOffset)) throw new HeatmapUpdateFormatError('cellOffset is not a number');
  if (!Array.isArray(h.classNames) || h.classNames.length === 0 || !h.classNames.every((c) => typeof c === 'string'))
    throw new HeatmapUpdateFormatError('classNames is not a list of names');
  if (h.tissue !== null) {
    const t = h.tissue;
    if (!t || !count(t.width) || !count(t.height) || !positive(t.downsample) || !Number.isFinite(t.x) || !Number.isFinite(t.y))
      throw new HeatmapUpdateFormatError('tissue is not a mask description');
  }
}
