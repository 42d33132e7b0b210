// What the analysis draws on the slide, as a viewer extension: two canvases over OpenSeadragon's, in screen
// space, redrawn each frame the view moves: the heatmap (`heatmap-layer.svelte.ts`, with its legend) and the
// annotations an R-tree query of the view returns (never a scan of all of them) with the shape being drawn
// (`annotation-painter.ts`). Drawing tools ride on OpenSeadragon's own pointer events, cancelling its pan only
// while drawing; keys are `annotation-shortcuts.ts`, polygon clicks `polygon-clicks.ts`.
import OpenSeadragon from 'openseadragon';
import type { AnnotationGeometry, LevelRect } from '../../../main/contracts/tessera-api';
import { registerViewerExtension, type ViewerContext } from '../lib/viewer-extensions';
import { analysis } from './analysis-state.svelte';
import { createHeatmapLayer } from './heatmap-layer.svelte';
import { moveVertex, translate, vertices } from './geometry-edit';
import { AnnotationPainter, HANDLE, rgba } from './annotation-painter';
import { geometryBounds } from '../../../main/common/geometry';
import { dragTool } from './tools/index';
import { isTextEntry, shortcutFor } from './annotation-shortcuts';
import { polygonClick, type LastClick } from './polygon-clicks';
import type { AnyDragTool, ToolContext } from './tools/tool';

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

function install({ viewer, slide }: ViewerContext): () => void {
  void analysis.attach(slide.id);
  const host = viewer.canvas as HTMLElement;
  const heatmap = createHeatmapLayer(host, viewer.element as HTMLElement, slide.id);
  const heat = heatmap.canvas;
  const draw = document.createElement('canvas');
  draw.className = 'analysis-annotations';
  draw.dataset.testid = 'annotation-layer';
  Object.assign(draw.style, { position: 'absolute', inset: '0', width: '100%', height: '100%', pointerEvents: 'none' });
  host.appendChild(draw);
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

  // Annotations, and the shape being drawn.
  let drag: Drag | null = null;
  let polygon: [number, number][] = [];
  let pointer: Xy | null = null;
  let pendingEdit: { id: string; geometry: AnnotationGeometry } | null = null;
  /** The last polygon click (screen px, time), to tell the second click of a double-click. */
  let lastClick: LastClick | null = null;

  const painter = new AnnotationPainter(draw, slide.mpp, () => ({ dpr, scale, ox, oy }));

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
    painter.labelsDrawn = [];
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
      painter.shape(ctx, g, a.colour ?? analysis.classColour(a.className), isSelected);
    }
    if (selected && analysis.tool === 'select') painter.handles(ctx, selected);
    const colour = analysis.classColour(analysis.activeClass);
    if (drag?.kind === 'tool') painter.preview(ctx, drag.tool.preview(drag.state, toolContext(drag.shift)), colour);
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
    draw.dataset.labels = JSON.stringify(painter.labelsDrawn);
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
    heatmap.draw({ dpr, scale, ox, oy });
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
      else if (r?.kind === 'erase') void analysis.eraseUnder(r.stroke, r.radius);
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
      const click = polygonClick(polygon, p, e.position, performance.now(), scale, lastClick);
      lastClick = click.last;
      if (click.action === 'finish') return finishPolygon();
      if (click.action === 'ignore') return;
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
    if (isTextEntry(e.target as HTMLElement | null) || analysis.slideId !== slide.id) return;
    const action = shortcutFor(e, { drafting: polygon.length > 0, selected: analysis.selectedId !== null });
    if (!action) return;
    e.preventDefault();
    if (action.kind === 'undo') void analysis.undo();
    else if (action.kind === 'redo') void analysis.redo();
    else if (action.kind === 'finish-polygon') finishPolygon();
    else if (action.kind === 'delete-selected') void analysis.remove([analysis.selectedId!]);
    else if (action.kind === 'tool') analysis.tool = action.tool;
    else {
      if (action.kind === 'cancel') {
        drag = null;
        analysis.selectedId = null;
      }
      polygon = action.kind === 'cancel' ? [] : polygon.slice(0, -1);
      requestRedraw();
    }
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
    heatmap.remove();
    draw.remove();
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
