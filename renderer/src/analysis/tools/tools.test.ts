// The drag tools' pure geometry: ellipse polygons, the ruler's length in µm (px without an MPP), the
// eraser's subtraction from polygons and brush strokes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { geometryAreaPx, geometryContains } from '../../../../main/common/geometry';
import type { AnnotationGeometry } from '../../../../main/contracts/tessera-api';
import { brushStrokeGeometry } from '../geometry-edit';
import { ellipseInBox, ellipseRing } from './ellipse';
import { eraseStroke } from './eraser';
import { lineLengthLabel, rulerTool } from './ruler';
import { ellipseTool } from './ellipse';

const ctx = { scale: 1, mpp: { x: 0.25, y: 0.25 }, brushRadius: 10 };

test('ellipse: the polygon of a box lies on the ellipse, fills it, and is marked drawnWith ellipse', () => {
  const g = ellipseInBox({ x: 100, y: 200, width: 400, height: 200 })!;
  assert.equal(g.type, 'polygon');
  assert.equal(g.type === 'polygon' && g.drawnWith, 'ellipse');
  const ring = g.type === 'polygon' ? g.rings[0] : [];
  assert.ok(ring.length >= 16 && ring.length <= 256, `${ring.length} vertices`);
  for (const [x, y] of ring) assert.ok(Math.abs(((x - 300) / 200) ** 2 + ((y - 300) / 100) ** 2 - 1) < 1e-9);
  const area = geometryAreaPx(g);
  assert.ok(Math.abs(area - Math.PI * 200 * 100) / (Math.PI * 200 * 100) < 0.01, `area ${area}`);
  assert.ok(geometryContains(g, 300, 300) && !geometryContains(g, 110, 210), 'inside the ellipse, not its box corner');
  assert.equal(ellipseInBox({ x: 0, y: 0, width: 0, height: 10 }), null);
  assert.equal(ellipseRing(0, 0, 1, 1, 8).length, 8);
});

test('ellipse tool: drag a box (shift: a circle); a slip adds nothing', () => {
  let s = ellipseTool.press({ x: 0, y: 0 }, ctx);
  s = ellipseTool.drag(s, { x: 100, y: 40 }, ctx);
  const r = ellipseTool.release(s, { ...ctx, shift: true });
  assert.equal(r?.kind, 'add');
  const g = r && r.kind === 'add' ? r.geometry : null;
  assert.ok(g && g.type === 'polygon');
  const d = g.rings[0].map(([x, y]) => Math.hypot(x - 50, y - 50));
  assert.ok(d.every((v) => Math.abs(v - 50) < 1e-6), 'a circle of the larger side, from the start corner');
  assert.ok(ellipseTool.preview(s, ctx).shape);
  assert.equal(ellipseTool.release(ellipseTool.drag(ellipseTool.press({ x: 0, y: 0 }, ctx), { x: 2, y: 2 }, ctx), ctx), null);
});

test('ruler: length in µm from the MPP (x and y apart), px without one; shown while drawing', () => {
  assert.equal(lineLengthLabel([[0, 0], [300, 400]], { x: 0.5, y: 0.5 }), '250.0 µm');
  assert.equal(lineLengthLabel([[0, 0], [0, 1000]], { x: 0.25, y: 0.5 }), '500.0 µm');
  assert.equal(lineLengthLabel([[0, 0], [4000, 3000]], { x: 0.5, y: 0.5 }), '2500 µm');
  assert.equal(lineLengthLabel([[0, 0], [300, 400]], null), '500 px');
  let s = rulerTool.press({ x: 10, y: 10 }, ctx);
  s = rulerTool.drag(s, { x: 310, y: 410 }, ctx);
  assert.equal(rulerTool.preview(s, ctx).label?.text, '125.0 µm');
  const r = rulerTool.release(s, ctx);
  assert.deepEqual(r, { kind: 'add', geometry: { type: 'line', points: [[10, 10], [310, 410]] } });
  assert.equal(rulerTool.release(rulerTool.press({ x: 1, y: 1 }, ctx), ctx), null, 'a click is no line');
});

test('eraser: a stroke across a square cuts it in two; a miss changes nothing; erasing all leaves nothing', () => {
  const square: AnnotationGeometry = { type: 'polygon', rings: [[[0, 0], [100, 0], [100, 100], [0, 100]]] };
  const cut = eraseStroke(square, [[50, -20], [50, 120]], 10)!;
  assert.equal(cut.type, 'multipolygon');
  const area = geometryAreaPx(cut);
  assert.ok(Math.abs(area - 8000) < 400, `area ${area} ≈ 2 × 40 × 100`);
  assert.ok(!geometryContains(cut, 50, 50), 'the brush path is gone');
  assert.ok(geometryContains(cut, 20, 50) && geometryContains(cut, 80, 50), 'both sides stay');
  assert.equal(eraseStroke(square, [[300, 300], [400, 300]], 10), square, 'a miss returns the same shape');
  assert.equal(eraseStroke(square, [[50, 50]], 200), null, 'all erased');
  const rect: AnnotationGeometry = { type: 'rectangle', x: 0, y: 0, width: 10, height: 10 };
  assert.equal(eraseStroke(rect, [[5, 5]], 3), rect, 'rectangles are not erasable');
});

test('eraser: a bite out of a brush stroke keeps it a brush polygon with less area', () => {
  const stroke = brushStrokeGeometry([[0, 0], [200, 0]], 20)!;
  assert.equal(stroke.type === 'polygon' && stroke.drawnWith, 'brush');
  const bitten = eraseStroke(stroke, [[200, 0]], 15)!;
  assert.equal(bitten.type === 'polygon' && bitten.drawnWith, 'brush');
  assert.ok(geometryAreaPx(bitten) < geometryAreaPx(stroke) - 300, `${geometryAreaPx(bitten)} < ${geometryAreaPx(stroke)}`);
  assert.ok(!geometryContains(bitten, 200, 0) && geometryContains(bitten, 50, 0));
  const hole = eraseStroke(stroke, [[100, 0]], 5)!;
  assert.equal(hole.type, 'polygon');
  assert.equal(hole.type === 'polygon' && hole.rings.length, 2, 'a hole in the middle');
});
