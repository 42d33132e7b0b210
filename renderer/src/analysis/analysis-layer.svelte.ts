// What the analysis draws on the slide, as a viewer extension: two canvases over OpenSeadragon's, in
// screen space, redrawn each frame the view moves. The heatmap canvas draws the probe raster on the patch
// grid (one image pixel per cell, scaled to the grid's level-0 bounds, smooth between patch centres or as
// flat patches, cut to the tissue mask), with a legend on the viewer naming the probe; the annotation canvas
// draws what an R-tree query of the view returns (never a scan of all annotations) and the shape being
// drawn. Drawing tools ride on OpenSeadragon's own pointer events, cancelling its pan only while drawing.
import OpenSeadragon from 'openseadragon';
import type { AnnotationGeometry, HeatmapRaster, LevelRect } from '../../../main/contracts/tessera-api';
import { registerViewerExtension, type ViewerContext } from '../lib/viewer-extensions';
import { analysis } from './analysis-state.svelte';
import { opacityRamp } from '../../../main/common/colour-maps';
import { colourGradient, colourTable } from './colour-maps';
import { moveVertex, translate, vertices } from './geometry-edit';
import { geometryBounds } from '../../../main/common/geometry';
import { dragTool, dragTools } from './tools/index';
import { eraseStroke, isErasable } from './tools/eraser';
import { lineLengthLabel } from './tools/ruler';
import type { AnyDragTool, ToolContext, ToolPreview } from './tools/tool';

type Xy = { x: number; y: number };
interface OsdPointerEvent {
  position: OpenSeadragon.Point;
  quick?: boolean;
  shift?: boolean;
  originalEvent?: Event;
  preventDefaultAction?: boolean;
}

type Drag =
  | { kind: 'tool'; tool: AnyDragTool; state: unknown; shift: boolean }
  | { kind: 'vertex'; id: string; key: number[]; geometry: AnnotationGeometry; moved: boolean }
  | { kind: 'move'; id: string; start: Xy; original: AnnotationGeometry; geometry: AnnotationGeometry; moved: boolean };

const HANDLE = 7;
const CLOSE_DISTANCE = 9;
/** Two clicks this close in time (ms) and place (screen px) are a double-click, whatever OpenSeadragon's
 *  own click pairing says (it pairs any two quick clicks in turn, so after an odd number of vertex clicks
 *  the double-click's first click is paired with the last vertex and no double-click fires). */
const DOUBLE_CLICK_MS = 400;
const DOUBLE_CLICK_DISTANCE = 8;

function install({ viewer, slide }: ViewerContext): () => void {
  void analysis.attach(slide.id);
  const host = viewer.canvas as HTMLElement;
  const heat = document.createElement('canvas');
  heat.className = 'analysis-heatmap';
  heat.dataset.testid = 'heatmap-layer';
  const draw = document.createElement('canvas');
  draw.className = 'analysis-annotations';
  draw.dataset.testid = 'annotation-layer';
  for (const c of [heat, draw]) {
    Object.assign(c.style, { position: 'absolute', inset: '0', width: '100%', height: '100%', pointerEvents: 'none' });
    host.appendChild(c);
  }
  let dpr = window.devicePixelRatio || 1;
  let width = 0;
  let height = 0;
  const resize = (): void => {
    dpr = window.devicePixelRatio || 1;
    width = host.clientWidth;
    height = host.clientHeight;
    for (const c of [heat, draw]) {
      c.width = Math.max(1, Math.round(width * dpr));
      c.height = Math.max(1, Math.round(height * dpr));
    }
    redraw();
  };
  const observer = new ResizeObserver(resize);
  observer.observe(host);

  // Level-0 px → element px: (x·scale + ox, y·scale + oy). The slide is never rotated here.
  let scale = 1;
  let ox = 0;
  let oy = 0;
  const item = () => viewer.world.getItemAt(0) as OpenSeadragon.TiledImage | undefined;
  const updateTransform = (): boolean => {
    const it = item();
    if (!it) return false;
    const p0 = it.imageToViewerElementCoordinates(new OpenSeadragon.Point(0, 0));
    const p1 = it.imageToViewerElementCoordinates(new OpenSeadragon.Point(slide.width, 0));
    scale = (p1.x - p0.x) / slide.width;
    ox = p0.x;
    oy = p0.y;
    return scale > 0;
  };
  const toImage = (p: Xy): Xy => ({ x: (p.x - ox) / scale, y: (p.y - oy) / scale });

  // Heatmap: the raster as a tiny image (one pixel per patch cell, alpha ramping up from the threshold),
  // drawn smooth (the canvas interpolates between pixel centres = patch centres) or as flat patches, then
  // cut to the tissue mask so glass is never coloured. The legend on the viewer names the probe.
  let heatImage: HTMLCanvasElement | null = null;
  let heatKey = '';
  let maskImage: HTMLCanvasElement | null = null;
  let maskKey = '';
  const heatmapImage = (r: HeatmapRaster): HTMLCanvasElement => {
    const s = analysis.heatmap;
    const key = `${r.values.length}:${r.values.slice(0, 64)}:${r.values.slice(-64)}:${r.cols}x${r.rows}:${r.scored}:${s.colourMap}:${s.threshold}:${s.ramp}:${r.className}:${r.probeId}`;
    if (heatImage && key === heatKey) return heatImage;
    const bytes = Uint8Array.from(atob(r.values), (c) => c.charCodeAt(0));
    const img = new ImageData(Math.max(1, r.cols), Math.max(1, r.rows));
    const lut = colourTable(s.colourMap);
    const min = Math.round(s.threshold * 250);
    for (let i = 0; i < bytes.length; i++) {
      const v = bytes[i];
      if (v === 255 || v < min) continue;
      const k = Math.round((v / 250) * 255) * 3;
      img.data[4 * i] = lut[k];
      img.data[4 * i + 1] = lut[k + 1];
      img.data[4 * i + 2] = lut[k + 2];
      img.data[4 * i + 3] = s.ramp ? Math.round(255 * opacityRamp(v / 250, s.threshold)) : 255;
    }
    heatImage ??= document.createElement('canvas');
    heatImage.width = img.width;
    heatImage.height = img.height;
    heatImage.getContext('2d')!.putImageData(img, 0, 0);
    heatKey = key;
    return heatImage;
  };
  const tissueImage = (t: NonNullable<HeatmapRaster['tissue']>): HTMLCanvasElement => {
    const key = `${t.x},${t.y},${t.width}x${t.height}:${t.values.slice(0, 64)}:${t.values.slice(-64)}:${t.values.length}`;
    if (maskImage && key === maskKey) return maskImage;
    const bytes = Uint8Array.from(atob(t.values), (c) => c.charCodeAt(0));
    const img = new ImageData(Math.max(1, t.width), Math.max(1, t.height));
    for (let i = 0; i < bytes.length; i++) if (bytes[i]) img.data[4 * i + 3] = 255;
    maskImage ??= document.createElement('canvas');
    maskImage.width = img.width;
    maskImage.height = img.height;
    maskImage.getContext('2d')!.putImageData(img, 0, 0);
    maskKey = key;
    return maskImage;
  };

  // The legend on the viewer itself: probe name, where it was trained, colour ramp, assumptions.
  const legend = document.createElement('div');
  legend.className = 'heatmap-legend-overlay';
  legend.dataset.testid = 'viewer-heatmap-legend';
  Object.assign(legend.style, {
    position: 'absolute', top: '8px', right: '8px', maxWidth: '280px', padding: '6px 8px', borderRadius: '6px',
    background: 'rgba(20,20,24,0.82)', color: '#f3f3f3', font: '12px system-ui, sans-serif', pointerEvents: 'none',
    zIndex: '5', display: 'none',
  });
  (viewer.element as HTMLElement).appendChild(legend);
  let legendKey = '';
  const updateLegend = (r: HeatmapRaster | null): void => {
    const s = analysis.heatmap;
    const key = r ? `${r.probeId}:${r.className}:${s.colourMap}:${s.threshold}:${r.assumptions.join('|')}:${r.probe.trainedOn.join('|')}` : '';
    if (key === legendKey) return;
    legendKey = key;
    legend.style.display = r ? 'block' : 'none';
    legend.replaceChildren();
    if (!r) return;
    const line = (text: string, testid: string, style: Partial<CSSStyleDeclaration> = {}): HTMLElement => {
      const el = document.createElement('div');
      el.textContent = text;
      el.dataset.testid = testid;
      Object.assign(el.style, style);
      legend.appendChild(el);
      return el;
    };
    line(r.probe.name, 'viewer-legend-probe', { fontWeight: '600' });
    line(
      r.probe.trainedOnThisSlide ? `Trained on this slide${r.probe.trainedOn.length > 1 ? ` and ${r.probe.trainedOn.length - 1} other(s)` : ''}` : `Trained on ${r.probe.trainedOn.join(', ')} (another slide)`,
      'viewer-legend-trained-on',
      { opacity: '0.85' },
    );
    const ramp = line('', 'viewer-legend-ramp', { height: '10px', margin: '4px 0 2px', borderRadius: '2px', background: colourGradient(s.colourMap) });
    ramp.setAttribute('aria-hidden', 'true');
    line(`${s.threshold > 0 ? s.threshold.toFixed(2) : '0'} ← P(${r.className}) → 1`, 'viewer-legend-scale', { display: 'flex', justifyContent: 'space-between' });
    for (const a of r.assumptions) line(`⚠ ${a}`, 'viewer-legend-assumption', { color: '#ffd27a', marginTop: '3px' });
  };

  const drawHeatmap = (): void => {
    const ctx = heat.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, heat.width, heat.height);
    const r = analysis.raster;
    const shown = r && r.slideId === slide.id && analysis.heatmap.visible && r.probeId === analysis.probeId;
    heat.dataset.scored = shown ? String(r.scored) : '0';
    updateLegend(shown ? r : null);
    if (!shown || r.cols === 0 || r.rows === 0) return;
    const img = heatmapImage(r);
    const smooth = !analysis.heatmap.showPatches;
    heat.dataset.mode = smooth ? 'smooth' : 'patches';
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * ox, dpr * oy);
    ctx.imageSmoothingEnabled = smooth;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(img, r.cellOffset + r.col0 * r.cellSize, r.cellOffset + r.row0 * r.cellSize, r.cols * r.cellSize, r.rows * r.cellSize);
    if (r.tissue) {
      // Keep the heatmap only where the mask says tissue.
      const t = r.tissue;
      ctx.globalCompositeOperation = 'destination-in';
      ctx.drawImage(tissueImage(t), t.x, t.y, t.width * t.downsample, t.height * t.downsample);
      ctx.globalCompositeOperation = 'source-over';
    }
    // Overall opacity as the canvas's own, so the mask cut above stays exact.
    heat.style.opacity = String(analysis.heatmap.opacity);
  };

  // Annotations, and the shape being drawn.
  let drag: Drag | null = null;
  let polygon: [number, number][] = [];
  let pointer: Xy | null = null;
  let pendingEdit: { id: string; geometry: AnnotationGeometry } | null = null;
  /** The last polygon click (screen px, time), to tell the second click of a double-click. */
  let lastClick: { t: number; x: number; y: number } | null = null;

  const tracePath = (ctx: CanvasRenderingContext2D, g: AnnotationGeometry): void => {
    const ring = (r: readonly (readonly [number, number])[]) => {
      r.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.closePath();
    };
    if (g.type === 'rectangle') ctx.rect(g.x, g.y, g.width, g.height);
    else if (g.type === 'polygon') g.rings.forEach(ring);
    else if (g.type === 'multipolygon') g.polygons.forEach((p) => p.forEach(ring));
  };
  const rgba = (c: readonly number[], a: number) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;

  const drawShape = (
    ctx: CanvasRenderingContext2D,
    g: AnnotationGeometry,
    colour: readonly number[],
    selected: boolean,
    draft = false,
  ): void => {
    const px = 1 / scale;
    if (g.type === 'point' || g.type === 'points') {
      const pts = g.type === 'point' ? [[g.x, g.y]] : g.points;
      for (const [x, y] of pts) {
        ctx.beginPath();
        ctx.arc(x, y, (selected ? 7 : 5.5) * px, 0, 2 * Math.PI);
        ctx.fillStyle = rgba(colour, 0.95);
        ctx.fill();
        ctx.lineWidth = (selected ? 2.5 : 1.5) * px;
        ctx.strokeStyle = selected ? '#ffffff' : 'rgba(0,0,0,0.8)';
        ctx.stroke();
      }
      return;
    }
    if (g.type === 'line') {
      ctx.beginPath();
      g.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.setLineDash(draft ? [6 * px, 4 * px] : []);
      ctx.lineWidth = (selected ? 3 : 2) * px;
      ctx.strokeStyle = rgba(colour, 1);
      ctx.stroke();
      ctx.setLineDash([]);
      if (!draft && g.points.length >= 2) {
        const [x, y] = g.points[g.points.length - 1];
        drawLabel(ctx, x, y, lineLengthLabel(g.points, slide.mpp));
      }
      return;
    }
    ctx.beginPath();
    tracePath(ctx, g);
    ctx.fillStyle = rgba(colour, selected ? 0.22 : 0.12);
    ctx.fill('evenodd');
    ctx.setLineDash(draft ? [6 * px, 4 * px] : []);
    ctx.lineWidth = (selected ? 3 : 2) * px;
    ctx.strokeStyle = rgba(colour, 1);
    ctx.stroke();
    ctx.setLineDash([]);
  };

  /** Text beside a level-0 point, drawn in screen space (a measurement). */
  let labelsDrawn: string[] = [];
  const drawLabel = (ctx: CanvasRenderingContext2D, x: number, y: number, text: string): void => {
    labelsDrawn.push(text);
    ctx.save();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = '12px system-ui, sans-serif';
    const sx = x * scale + ox + 8;
    const sy = y * scale + oy - 8;
    const w = ctx.measureText(text).width;
    ctx.fillStyle = 'rgba(20,20,24,0.8)';
    ctx.fillRect(sx - 3, sy - 13, w + 6, 17);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(text, sx, sy);
    ctx.restore();
  };

  const drawPreview = (ctx: CanvasRenderingContext2D, pv: ToolPreview, colour: readonly number[]): void => {
    if (pv.shape) drawShape(ctx, pv.shape, colour, false, true);
    if (pv.stroke) {
      ctx.beginPath();
      pv.stroke.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.lineCap = 'round';
      ctx.lineWidth = pv.stroke.radius * 2;
      ctx.strokeStyle = pv.stroke.erase ? 'rgba(255,255,255,0.35)' : rgba(colour, 0.35);
      ctx.stroke();
    }
    draw.dataset.measure = pv.label?.text ?? '';
    if (pv.label) drawLabel(ctx, pv.label.x, pv.label.y, pv.label.text);
  };

  const drawHandles = (ctx: CanvasRenderingContext2D, g: AnnotationGeometry): void => {
    const px = 1 / scale;
    const vs = vertices(g);
    if (vs.length > 2000) return;
    ctx.lineWidth = 1.2 * px;
    for (const v of vs) {
      ctx.fillStyle = '#ffffff';
      ctx.strokeStyle = '#1b1d21';
      ctx.fillRect(v.x - (HANDLE / 2) * px, v.y - (HANDLE / 2) * px, HANDLE * px, HANDLE * px);
      ctx.strokeRect(v.x - (HANDLE / 2) * px, v.y - (HANDLE / 2) * px, HANDLE * px, HANDLE * px);
    }
  };

  const visibleRect = (): { minX: number; minY: number; maxX: number; maxY: number } => {
    const a = toImage({ x: 0, y: 0 });
    const b = toImage({ x: width, y: height });
    return { minX: a.x, minY: a.y, maxX: b.x, maxY: b.y };
  };

  const drawAnnotations = (): void => {
    const ctx = draw.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, draw.width, draw.height);
    if (analysis.slideId !== slide.id) return;
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * ox, dpr * oy);
    ctx.lineJoin = 'round';
    labelsDrawn = [];
    const inView = analysis.index.search(visibleRect());
    draw.dataset.drawn = String(inView.length);
    const editing = drag && (drag.kind === 'vertex' || drag.kind === 'move') ? drag : pendingEdit;
    let selected: AnnotationGeometry | null = null;
    const hidden = new Set(analysis.classes.filter((c) => c.hidden).map((c) => c.name));
    for (const a of inView) {
      if (hidden.has(a.className)) continue;
      const g = editing && editing.id === a.id ? editing.geometry : a.geometry;
      const isSelected = a.id === analysis.selectedId;
      if (isSelected) selected = g;
      drawShape(ctx, g, a.colour ?? analysis.classColour(a.className), isSelected);
    }
    if (selected && analysis.tool === 'select') drawHandles(ctx, selected);
    const colour = analysis.classColour(analysis.activeClass);
    if (drag?.kind === 'tool') drawPreview(ctx, drag.tool.preview(drag.state, toolContext(drag.shift)), colour);
    else draw.dataset.measure = '';
    draw.dataset.draftVertices = String(polygon.length);
    if (polygon.length > 0) {
      const px = 1 / scale;
      ctx.beginPath();
      polygon.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      if (pointer) ctx.lineTo(pointer.x, pointer.y);
      ctx.setLineDash([6 * px, 4 * px]);
      ctx.lineWidth = 2 * px;
      ctx.strokeStyle = rgba(colour, 1);
      ctx.stroke();
      ctx.setLineDash([]);
      for (const [x, y] of polygon) {
        ctx.fillStyle = rgba(colour, 1);
        ctx.fillRect(x - 3 * px, y - 3 * px, 6 * px, 6 * px);
      }
    }
    draw.dataset.labels = JSON.stringify(labelsDrawn);
    if ((analysis.tool === 'brush' || analysis.tool === 'eraser') && pointer) {
      ctx.beginPath();
      ctx.arc(pointer.x, pointer.y, analysis.brushSize / 2 / scale, 0, 2 * Math.PI);
      ctx.lineWidth = 1.5 / scale;
      ctx.strokeStyle = analysis.tool === 'eraser' ? 'rgba(255,255,255,0.9)' : rgba(colour, 0.9);
      ctx.stroke();
    }
  };

  const redraw = (): void => {
    if (!updateTransform()) return;
    drawHeatmap();
    drawAnnotations();
  };
  let frame = 0;
  const requestRedraw = (): void => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      redraw();
    });
  };

  // The settled view goes to the services, which embed its tissue.
  const reportViewport = (): void => {
    const it = item();
    if (!it) return;
    const b = it.viewportToImageRectangle(viewer.viewport.getBounds(true));
    const rect: LevelRect = { x: b.x, y: b.y, width: b.width, height: b.height };
    analysis.reportViewport(rect);
  };

  // Pointer handling on OpenSeadragon's events.
  const at = (e: OsdPointerEvent): Xy => toImage(e.position);
  const drawing = () => analysis.tool !== 'pan' && analysis.tool !== 'select';
  const finishPolygon = (): void => {
    const ring = polygon.slice();
    polygon = [];
    if (ring.length >= 3) void analysis.add({ type: 'polygon', rings: [ring] });
    requestRedraw();
  };

  const toolContext = (shift = false): ToolContext => ({
    scale,
    mpp: slide.mpp,
    brushRadius: analysis.brushSize / 2 / scale,
    shift,
  });

  /** Erases a stroke out of the erasable annotations under it (not hidden, not locked). */
  const eraseUnder = async (stroke: [number, number][], radius: number): Promise<void> => {
    const xs = stroke.map((p) => p[0]);
    const ys = stroke.map((p) => p[1]);
    const near = analysis.index.search({
      minX: Math.min(...xs) - radius,
      minY: Math.min(...ys) - radius,
      maxX: Math.max(...xs) + radius,
      maxY: Math.max(...ys) + radius,
    });
    const hidden = new Set(analysis.classes.filter((c) => c.hidden).map((c) => c.name));
    const gone: string[] = [];
    for (const a of near) {
      if (hidden.has(a.className) || analysis.isLocked(a) || !isErasable(a.geometry)) continue;
      const g = eraseStroke(a.geometry, stroke, radius);
      if (g === a.geometry) continue;
      if (g) await analysis.update(a.id, { geometry: g });
      else gone.push(a.id);
    }
    if (gone.length) await analysis.remove(gone);
  };

  const onPress = (ev: unknown): void => {
    const e = ev as OsdPointerEvent;
    if (analysis.slideId !== slide.id) return;
    updateTransform();
    const p = at(e);
    const tool = analysis.tool;
    const t = dragTool(tool);
    if (t) drag = { kind: 'tool', tool: t, state: t.press(p, toolContext(e.shift)), shift: e.shift === true };
    else if (tool === 'select') {
      const sel = analysis.selectedId ? analysis.annotations.get(analysis.selectedId) : undefined;
      if (sel && !analysis.isLocked(sel)) {
        const tol = HANDLE / scale;
        const v = vertices(sel.geometry).find((q) => Math.abs(q.x - p.x) <= tol && Math.abs(q.y - p.y) <= tol);
        if (v) {
          drag = { kind: 'vertex', id: sel.id, key: v.key, geometry: sel.geometry, moved: false };
          return;
        }
      }
      const hidden = new Set(analysis.classes.filter((c) => c.hidden).map((c) => c.name));
      const hit = analysis.index.hitTest(p.x, p.y, 6 / scale).find((a) => !hidden.has(a.className));
      analysis.selectedId = hit?.id ?? null;
      drag =
        hit && !analysis.isLocked(hit)
          ? { kind: 'move', id: hit.id, start: p, original: hit.geometry, geometry: hit.geometry, moved: false }
          : null;
    }
    requestRedraw();
  };

  const onDrag = (ev: unknown): void => {
    const e = ev as OsdPointerEvent;
    if (!drag) return;
    e.preventDefaultAction = true;
    const p = at(e);
    if (drag.kind === 'tool') {
      drag.shift = e.shift === true;
      drag.state = drag.tool.drag(drag.state, p, toolContext(drag.shift));
    } else if (drag.kind === 'vertex') {
      drag.geometry = moveVertex(drag.geometry, drag.key, p.x, p.y);
      drag.moved = true;
    } else if (drag.kind === 'move') {
      drag.geometry = translate(drag.original, p.x - drag.start.x, p.y - drag.start.y);
      drag.moved = true;
    }
    requestRedraw();
  };

  const onDragEnd = (ev: unknown): void => {
    if (drag) (ev as OsdPointerEvent).preventDefaultAction = true;
  };

  const onRelease = (): void => {
    const d = drag;
    drag = null;
    if (!d) return;
    if (d.kind === 'tool') {
      const r = d.tool.release(d.state, toolContext(d.shift));
      if (r?.kind === 'add') void analysis.add(r.geometry);
      else if (r?.kind === 'erase') void eraseUnder(r.stroke, r.radius);
    } else if ((d.kind === 'vertex' || d.kind === 'move') && d.moved) {
      // Keep drawing the edited shape until the service's delta replaces it.
      const edit = { id: d.id, geometry: d.geometry };
      pendingEdit = edit;
      void analysis.update(d.id, { geometry: d.geometry }).finally(() => {
        if (pendingEdit === edit) pendingEdit = null;
        requestRedraw();
      });
    }
    requestRedraw();
  };

  const onClick = (ev: unknown): void => {
    const e = ev as OsdPointerEvent;
    if (!e.quick || analysis.slideId !== slide.id) return;
    updateTransform();
    const p = at(e);
    if (analysis.tool === 'point') {
      e.preventDefaultAction = true;
      void analysis.add({ type: 'point', x: p.x, y: p.y });
    } else if (analysis.tool === 'polygon') {
      e.preventDefaultAction = true;
      const now = performance.now();
      const second =
        lastClick !== null &&
        now - lastClick.t <= DOUBLE_CLICK_MS &&
        Math.hypot(e.position.x - lastClick.x, e.position.y - lastClick.y) <= DOUBLE_CLICK_DISTANCE;
      lastClick = second ? null : { t: now, x: e.position.x, y: e.position.y };
      // The second click of a double-click closes what its first click extended: never a vertex of its own,
      // never the start of a new polygon (when the first click already closed it on the first vertex).
      if (second) {
        if (polygon.length >= 3) finishPolygon();
        return;
      }
      const first = polygon[0];
      const last = polygon[polygon.length - 1];
      if (first && polygon.length >= 3 && Math.hypot(first[0] - p.x, first[1] - p.y) * scale <= CLOSE_DISTANCE)
        return finishPolygon();
      if (last && Math.hypot(last[0] - p.x, last[1] - p.y) * scale < 3) return; // the second click of a double-click
      polygon.push([p.x, p.y]);
      requestRedraw();
    }
  };

  const onDoubleClick = (ev: unknown): void => {
    if (!drawing()) return;
    (ev as OsdPointerEvent).preventDefaultAction = true;
    if (analysis.tool === 'polygon' && polygon.length >= 3) finishPolygon();
  };

  const onPointerMove = (e: PointerEvent): void => {
    if (!drawing() || !updateTransform()) {
      if (pointer) {
        pointer = null;
        requestRedraw();
      }
      return;
    }
    const r = host.getBoundingClientRect();
    pointer = toImage({ x: e.clientX - r.left, y: e.clientY - r.top });
    if (polygon.length > 0 || analysis.tool === 'brush' || analysis.tool === 'eraser') requestRedraw();
  };
  const onPointerLeave = (): void => {
    pointer = null;
    requestRedraw();
  };

  const onKey = (e: KeyboardEvent): void => {
    const target = e.target as HTMLElement | null;
    if (
      target &&
      (target.tagName === 'INPUT' ||
        target.tagName === 'TEXTAREA' ||
        target.tagName === 'SELECT' ||
        target.isContentEditable)
    )
      return;
    if (analysis.slideId !== slide.id) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && key === 'z') {
      e.preventDefault();
      void (e.shiftKey ? analysis.redo() : analysis.undo());
      return;
    }
    if (mod && key === 'y') {
      e.preventDefault();
      void analysis.redo();
      return;
    }
    if (mod || e.altKey) return;
    if (e.key === 'Escape') {
      polygon = [];
      drag = null;
      analysis.selectedId = null;
      requestRedraw();
    } else if (e.key === 'Enter' && polygon.length > 0) {
      finishPolygon();
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      if (polygon.length > 0) {
        polygon.pop();
        requestRedraw();
      } else if (analysis.selectedId) void analysis.remove([analysis.selectedId]);
    } else {
      const tools: Record<string, typeof analysis.tool> = { h: 'pan', v: 'select', g: 'polygon', k: 'point' };
      for (const t of dragTools) tools[t.key] = t.id as typeof analysis.tool;
      if (tools[key]) analysis.tool = tools[key];
      else return;
    }
    e.preventDefault();
  };

  const handlers: [string, (e: unknown) => void][] = [
    ['update-viewport', redraw],
    ['animation-finish', reportViewport],
    ['resize', resize],
    ['canvas-press', onPress],
    ['canvas-drag', onDrag],
    ['canvas-drag-end', onDragEnd],
    ['canvas-release', onRelease],
    ['canvas-click', onClick],
    ['canvas-double-click', onDoubleClick],
  ];
  // The handlers read only the fields they use (OsdPointerEvent); OpenSeadragon's event map is not needed.
  const osd = viewer as unknown as {
    addHandler(name: string, fn: (e: unknown) => void): void;
    removeHandler(name: string, fn: (e: unknown) => void): void;
  };
  for (const [name, fn] of handlers) osd.addHandler(name, fn);
  host.addEventListener('pointermove', onPointerMove);
  host.addEventListener('pointerleave', onPointerLeave);
  window.addEventListener('keydown', onKey);

  // Redraw on state changes; the cursor follows the tool; a new tool drops a half-drawn shape.
  const stopEffects = $effect.root(() => {
    $effect(() => {
      void analysis.version;
      void analysis.raster;
      void analysis.selectedId;
      void analysis.classes;
      void analysis.probeId;
      const s = analysis.heatmap;
      void [s.visible, s.opacity, s.threshold, s.colourMap, s.className, s.showPatches, s.ramp];
      requestRedraw();
    });
    $effect(() => {
      const tool = analysis.tool;
      polygon = [];
      drag = null;
      host.style.cursor = tool === 'pan' ? '' : tool === 'select' ? 'default' : (dragTool(tool)?.cursor ?? 'crosshair');
      host.dataset.tool = tool;
      requestRedraw();
    });
    $effect(() => {
      void analysis.embeddingWanted;
      void analysis.embeddingMpps;
      analysis.pushViewport();
    });
    // The list's "show": fit the view to the annotation with a margin (points get a fixed neighbourhood).
    $effect(() => {
      const req = analysis.zoomRequest;
      const a = req && analysis.slideId === slide.id ? analysis.annotations.get(req.id) : undefined;
      const it = item();
      if (!a || !it) return;
      const b = geometryBounds(a.geometry);
      const w = Math.max(b.maxX - b.minX, 200);
      const h = Math.max(b.maxY - b.minY, 200);
      const cx = (b.minX + b.maxX) / 2;
      const cy = (b.minY + b.maxY) / 2;
      viewer.viewport.fitBounds(it.imageToViewportRectangle(cx - w * 0.7, cy - h * 0.7, w * 1.4, h * 1.4));
    });
  });

  resize();
  reportViewport();

  return () => {
    stopEffects();
    for (const [name, fn] of handlers) osd.removeHandler(name, fn);
    host.removeEventListener('pointermove', onPointerMove);
    host.removeEventListener('pointerleave', onPointerLeave);
    window.removeEventListener('keydown', onKey);
    observer.disconnect();
    if (frame) cancelAnimationFrame(frame);
    heat.remove();
    draw.remove();
    legend.remove();
    host.style.cursor = '';
    analysis.detach(slide.id);
  };
}

let installed: (() => void) | null = null;

/** Registers the analysis layer for every slide the viewer shows (once per page, from the always-mounted
 *  App, so the settled view feeds background embedding whichever side tab is shown). */
export function installAnalysisLayer(): void {
  installed ??= registerViewerExtension(install);
}
