// The renderer's held heatmap: a snapshot then deltas give every class of every cell (decoded from the real
// binary layout), a delta for another version is refused, and colouring one class paints only the cells
// asked, transparent where unscored or under the threshold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHeatmapUpdate, encodeHeatmapUpdate } from '../../../main/common/heatmap-update-codec';
import type { HeatmapUpdateHeader } from '../../../main/contracts/tessera-api';
import { colourMapTable } from '../../../main/common/colour-maps';
import { HeldHeatmap, paintClass, tissueAlpha } from './heatmap-model';

const base: HeatmapUpdateHeader = {
  kind: 'snapshot',
  slideId: 'abcdef',
  probeId: 'p',
  version: 3,
  since: 0,
  classNames: ['Tumour', 'Normal'],
  cols: 4,
  rows: 3,
  cellSize: 224,
  cellOffset: 112,
  patchSize: 448,
  mpp: 0.5,
  scored: 2,
  changed: 2,
  dense: false,
  probe: { probeId: 'p', name: 'T vs N', trainedOn: ['s.svs'], trainedOnThisSlide: true },
  assumptions: [],
  tissue: { x: 112, y: 112, downsample: 56, width: 2, height: 1 },
};

const wire = (h: HeatmapUpdateHeader, cells: number[], values: number[], tissue: number[] | null = null) =>
  decodeHeatmapUpdate(encodeHeatmapUpdate({ header: h, cells: Uint32Array.from(cells), values: Uint8Array.from(values), tissue: tissue && Uint8Array.from(tissue) }));

test('a snapshot then deltas: every class of every cell; a delta for another version is refused', () => {
  const held = new HeldHeatmap();
  assert.equal(held.view(), null);
  assert.equal(held.apply(wire(base, [0, 5], [250, 0, 100, 150], [1, 0])), null, 'a snapshot replaces everything');
  assert.deepEqual([...held.values], [250, 0, 255, 255, 255, 255, 255, 255, 255, 255, 100, 150, ...Array(12).fill(255)]);
  assert.deepEqual([...held.tissue!], [1, 0]);
  const delta = { ...base, kind: 'delta' as const, since: 3, version: 5, scored: 3, changed: 2, tissue: null };
  const changed = held.apply(wire(delta, [5, 11], [200, 50, 10, 240]));
  assert.deepEqual([...(changed as Uint32Array)], [5, 11]);
  assert.equal(held.values[5 * 2], 200);
  assert.equal(held.values[11 * 2 + 1], 240);
  assert.equal(held.version, 5);
  const view = held.view()!;
  assert.equal(view.scored, 3);
  assert.deepEqual(view.tissue, base.tissue, 'a delta keeps the snapshot’s mask');
  assert.deepEqual([...held.tissue!], [1, 0]);
  // Stale (since ≠ held), or of another probe: refused, nothing changed.
  assert.equal(held.apply(wire({ ...delta, since: 4, version: 6, changed: 1 }, [0], [1, 1])), false);
  assert.equal(held.apply(wire({ ...delta, since: 5, version: 6, changed: 1, probeId: 'q' }, [0], [1, 1])), false);
  assert.equal(held.values[0], 250);
  assert.equal(new HeldHeatmap().apply(wire({ ...delta, changed: 1 }, [5], [1, 1])), false, 'a delta with nothing held');
});

test('painting one class: only the cells asked, transparent when unscored or under the threshold', () => {
  const held = new HeldHeatmap();
  held.apply(wire({ ...base, changed: 3, scored: 3 }, [0, 1, 2], [250, 0, 25, 225, 125, 125], [1, 1]));
  const lut = colourMapTable('viridis');
  const rgba = new Uint8ClampedArray(4 * 12).fill(9);
  paintClass(rgba, held, 0, null, { lut, threshold: 0.2, ramp: false });
  assert.deepEqual([...rgba.subarray(0, 4)], [lut[765], lut[766], lut[767], 255], 'P = 1: the top of the map');
  assert.deepEqual([...rgba.subarray(4, 8)], [0, 0, 0, 0], 'P = 0.1 is under the threshold');
  assert.equal(rgba[11], 255);
  assert.deepEqual([...rgba.subarray(12, 16)], [0, 0, 0, 0], 'unscored');
  // Class 1, two cells only: the others keep what they had.
  const before = [...rgba];
  paintClass(rgba, held, 1, [1], { lut, threshold: 0, ramp: true });
  assert.deepEqual([...rgba.subarray(0, 4)], before.slice(0, 4));
  assert.deepEqual([...rgba.subarray(4, 7)], [lut[Math.round(0.9 * 255) * 3], lut[Math.round(0.9 * 255) * 3 + 1], lut[Math.round(0.9 * 255) * 3 + 2]]);
  assert.ok(rgba[7] > 200 && rgba[7] <= 255, `ramped alpha ${rgba[7]}`);
  const mask = new Uint8ClampedArray(8);
  tissueAlpha(Uint8Array.from([1, 0]), mask);
  assert.deepEqual([mask[3], mask[7]], [255, 0]);
});
