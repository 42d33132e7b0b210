// The similarity layer, as a viewer extension beside the analysis layer: the last search's matches on the
// slide in view drawn as their patches, coloured by score with the heatmap colour map (scores scaled from
// the lowest to the highest match), the query outlined, and a legend on the viewer ("Similarity to …") in
// the heatmap legend's style (top left: the heatmap's own legend is top right). It also follows the gallery's fly-to requests (fitBounds).
import OpenSeadragon from 'openseadragon';
import { registerViewerExtension, type ViewerContext } from '../lib/viewer-extensions';
import { analysis } from './analysis-state.svelte';
import { colourTable } from './colour-maps';
import { legendLine, legendRamp } from './legend-lines';
import { search } from './search-state.svelte';

function install({ viewer, slide }: ViewerContext): () => void {
  const host = viewer.canvas as HTMLElement;
  const canvas = document.createElement('canvas');
  canvas.className = 'similarity-layer';
  canvas.dataset.testid = 'similarity-layer';
  Object.assign(canvas.style, { position: 'absolute', inset: '0', width: '100%', height: '100%', pointerEvents: 'none' });
  host.appendChild(canvas);

  const legend = document.createElement('div');
  legend.dataset.testid = 'viewer-similarity-legend';
  Object.assign(legend.style, {
    position: 'absolute', top: '8px', left: '8px', maxWidth: '280px', padding: '6px 8px', borderRadius: '6px',
    background: 'rgba(20,20,24,0.82)', color: '#f3f3f3', font: '12px system-ui, sans-serif', pointerEvents: 'none',
    zIndex: '5', display: 'none',
  });
  (viewer.element as HTMLElement).appendChild(legend);

  const item = () => viewer.world.getItemAt(0) as OpenSeadragon.TiledImage | undefined;
  const redraw = (): void => {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(host.clientWidth * dpr));
    const h = Math.max(1, Math.round(host.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const r = search.result;
    const it = item();
    const here = r && search.visible ? r.results.filter((m) => m.slideId === slide.id) : [];
    canvas.dataset.drawn = String(here.length);
    const shown = r !== null && search.visible && (here.length > 0 || r.query.slideId === slide.id);
    legend.style.display = shown ? 'block' : 'none';
    if (!shown || !r || !it) return;
    const p0 = it.imageToViewerElementCoordinates(new OpenSeadragon.Point(0, 0));
    const p1 = it.imageToViewerElementCoordinates(new OpenSeadragon.Point(slide.width, 0));
    const scale = (p1.x - p0.x) / slide.width;
    if (!(scale > 0)) return;
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * p0.x, dpr * p0.y);
    const scores = r.results.map((m) => m.score);
    const lo = Math.min(...scores);
    const hi = Math.max(...scores);
    const lut = colourTable(analysis.heatmap.colourMap);
    ctx.globalAlpha = analysis.heatmap.opacity;
    // Worst first, so the best matches are drawn on top where patches overlap.
    for (const m of [...here].reverse()) {
      const k = Math.round(255 * (hi > lo ? (m.score - lo) / (hi - lo) : 1)) * 3;
      ctx.fillStyle = `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})`;
      ctx.fillRect(m.x, m.y, m.size, m.size);
    }
    ctx.globalAlpha = 1;
    if (r.query.slideId === slide.id) {
      const q = r.query;
      ctx.setLineDash([6 / scale, 4 / scale]);
      ctx.lineWidth = 2 / scale;
      ctx.strokeStyle = '#ffffff';
      if (q.width > 0 && q.height > 0) ctx.strokeRect(q.x, q.y, q.width, q.height);
      else ctx.strokeRect(q.x - 8 / scale, q.y - 8 / scale, 16 / scale, 16 / scale);
      ctx.setLineDash([]);
    }
    const key = `${r.query.label}:${lo}:${hi}:${analysis.heatmap.colourMap}:${here.length}`;
    if (legend.dataset.key === key) return;
    legend.dataset.key = key;
    legend.replaceChildren();
    const line = (text: string, testid: string, style: Partial<CSSStyleDeclaration> = {}): HTMLElement => legendLine(legend, text, testid, style);
    line(`Similarity to ${r.query.label}`, 'viewer-similarity-title', { fontWeight: '600' });
    line(`${r.results.length} best matches · ${here.length} on this slide · ${r.query.mpp} µm/px`, 'viewer-similarity-count', { opacity: '0.85' });
    legendRamp(legend, analysis.heatmap.colourMap, 'viewer-similarity-ramp');
    line(`${lo.toFixed(2)} ← cosine similarity → ${hi.toFixed(2)}`, 'viewer-similarity-scale', { display: 'flex', justifyContent: 'space-between' });
  };

  let frame = 0;
  const requestRedraw = (): void => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      redraw();
    });
  };
  const events = ['animation', 'update-viewport', 'resize', 'open'] as const;
  for (const e of events) viewer.addHandler(e, requestRedraw);

  const stopEffects = $effect.root(() => {
    $effect(() => {
      void search.result;
      void search.visible;
      void analysis.heatmap.colourMap;
      void analysis.heatmap.opacity;
      requestRedraw();
    });
    // The gallery's "show": fit the view to the patch with a margin (three patches across).
    $effect(() => {
      const req = search.flyRequest;
      const it = item();
      if (!req || req.match.slideId !== slide.id || !it) return;
      const m = req.match;
      viewer.viewport.fitBounds(it.imageToViewportRectangle(m.x - m.size, m.y - m.size, m.size * 3, m.size * 3));
    });
  });
  requestRedraw();

  return () => {
    stopEffects();
    for (const e of events) viewer.removeHandler(e, requestRedraw);
    if (frame) cancelAnimationFrame(frame);
    canvas.remove();
    legend.remove();
  };
}

let installed: (() => void) | null = null;

/** Registers the similarity layer for every slide the viewer shows (once per page, from App). */
export function installSearchLayer(): void {
  installed ??= registerViewerExtension(install);
}
