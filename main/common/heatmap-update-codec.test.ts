// The binary heatmap update round-trips (header, cells, all classes' values, tissue), from any byte offset,
// and anything that does not fit the layout is refused with a HeatmapUpdateFormatError.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { HeatmapUpdate, HeatmapUpdateHeader } from '../contracts/heatmap-update.js';
import { decodeHeatmapUpdate, encodeHeatmapUpdate, HeatmapUpdateFormatError } from './heatmap-update-codec.js';

function header(over: Partial<HeatmapUpdateHeader> = {}): HeatmapUpdateHeader {
  return {
    kind: 'snapshot',
    slideId: 'abc123',
    probeId: 'p1',
    version: 7,
    since: 0,
    classNames: ['Tumour', 'Stroma', 'Normal'],
    cols: 40,
    rows: 30,
    cellSize: 224,
    cellOffset: 112,
    patchSize: 448,
    mpp: 0.5,
    scored: 3,
    changed: 3,
    dense: false,
    probe: { probeId: 'p1', name: 'Tumour vs Stroma', trainedOn: ['a.svs'], trainedOnThisSlide: true },
    assumptions: ['Pixel size assumed — µm/px'],
    tissue: { x: 112, y: 112, downsample: 56, width: 5, height: 3 },
    ...over,
  };
}

const update = (over: Partial<HeatmapUpdateHeader> = {}): HeatmapUpdate => {
  const h = header(over);
  return {
    header: h,
    cells: Uint32Array.from([0, 41, 1199].slice(0, h.changed)),
    values: Uint8Array.from([250, 0, 0, 100, 100, 50, 255, 255, 255].slice(0, h.changed * h.classNames.length)),
    tissue: h.tissue ? Uint8Array.from({ length: h.tissue.width * h.tissue.height }, (_, i) => i % 2) : null,
  };
};

test('round trip: header, cells, values of every class and the tissue mask', () => {
  const u = update();
  const bytes = encodeHeatmapUpdate(u);
  assert.equal(bytes.byteOffset, 0);
  const back = decodeHeatmapUpdate(bytes);
  assert.deepEqual(back.header, u.header);
  assert.deepEqual([...back.cells], [...u.cells]);
  assert.deepEqual([...back.values], [...u.values]);
  assert.deepEqual([...back.tissue!], [...u.tissue!]);
  // From an ArrayBuffer, and from a view at an odd offset (a pooled Buffer slice).
  assert.deepEqual(decodeHeatmapUpdate(bytes.buffer as ArrayBuffer).header, u.header);
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  assert.deepEqual([...decodeHeatmapUpdate(padded.subarray(3)).cells], [...u.cells]);
  // A delta without tissue, and an empty one.
  const delta = update({ kind: 'delta', since: 5, tissue: null, changed: 2 });
  const d = decodeHeatmapUpdate(encodeHeatmapUpdate(delta));
  assert.equal(d.tissue, null);
  assert.deepEqual([...d.values], [250, 0, 0, 100, 100, 50]);
  const empty = decodeHeatmapUpdate(encodeHeatmapUpdate(update({ kind: 'delta', tissue: null, changed: 0 })));
  assert.equal(empty.cells.length, 0);
});

test('a dense snapshot: every cell in order, no index list', () => {
  const h = header({ cols: 3, rows: 2, changed: 6, scored: 5, dense: true, tissue: null, classNames: ['a', 'b'] });
  const values = Uint8Array.from({ length: 12 }, (_, i) => (i < 2 ? 255 : i * 10));
  const bytes = encodeHeatmapUpdate({ header: h, cells: Uint32Array.from([0, 1, 2, 3, 4, 5]), values, tissue: null });
  const sparse = encodeHeatmapUpdate({ header: { ...h, dense: false }, cells: Uint32Array.from([0, 1, 2, 3, 4, 5]), values, tissue: null });
  assert.ok(sparse.length - bytes.length >= 4 * 6, 'no cell indices');
  const back = decodeHeatmapUpdate(bytes);
  assert.deepEqual([...back.cells], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...back.values], [...values]);
  assert.throws(() => encodeHeatmapUpdate({ header: { ...h, changed: 5 }, cells: new Uint32Array(5), values: new Uint8Array(10), tissue: null }), RangeError);
});

test('malformed updates are refused with a clear error', () => {
  const good = encodeHeatmapUpdate(update());
  const refuses = (bytes: Uint8Array, what: RegExp) =>
    assert.throws(() => decodeHeatmapUpdate(bytes), (err: unknown) => err instanceof HeatmapUpdateFormatError && what.test((err as Error).message));
  refuses(good.subarray(0, 5), /5 bytes/);
  refuses(Uint8Array.from([...good.subarray(0, 3), 0x58, ...good.subarray(4)]), /magic/);
  refuses(good.subarray(0, good.length - 1), /bytes where the header describes/);
  refuses(Uint8Array.from([...good, 0]), /bytes where the header describes/);
  const withHeader = (h: unknown) => {
    const json = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length);
    out.set(new TextEncoder().encode('THU1'));
    new DataView(out.buffer).setUint32(4, json.length, true);
    out.set(json, 8);
    return out;
  };
  refuses(withHeader({ ...header(), kind: 'partial' }), /kind/);
  refuses(withHeader({ ...header(), cols: -1 }), /cols/);
  refuses(withHeader({ ...header(), cellSize: 0 }), /cellSize/);
  refuses(withHeader({ ...header(), classNames: [] }), /classNames/);
  refuses(withHeader({ ...header(), dense: 'yes' }), /dense/);
  refuses(withHeader({ ...header(), dense: true, tissue: null }), /dense update of 3 cells/);
  refuses(withHeader(null), /not an object/);
  const notJson = withHeader({});
  notJson[8] = 0x7b + 1;
  refuses(notJson, /not JSON/);
  // A cell index outside the grid.
  const far = update();
  far.cells[2] = 40 * 30;
  refuses(encodeHeatmapUpdate(far), /outside a 40×30 grid/);
  // The encoder refuses arrays that do not match the header.
  assert.throws(() => encodeHeatmapUpdate({ ...update(), values: new Uint8Array(2) }), RangeError);
});
