// The heatmap on the viewer: one canvas over OpenSeadragon's, in screen space, drawing the held raster of the
// class shown as a tiny image (one pixel per patch cell over the whole-slide grid, alpha ramping up from the
// threshold), smooth between patch centres (the canvas interpolates between pixel centres = patch centres)
// or as flat patches, then cut to the tissue mask so glass is never coloured; and the legend naming the
// probe. An update recolours only the cells it changed; a new class, colour map or threshold recolours all.
import type { HeatmapUpdateHeader } from '../../../main/contracts/tessera-api';
import { analysis } from './analysis-state.svelte';
import { colourTable } from './colour-maps';
import { legendLine, legendRamp } from './legend-lines';
import { paintClass, tissueAlpha, type HeatmapView } from './heatmap-model';

export interface ScreenTransform {
  dpr: number;
  /** Level-0 px → element px: (x·scale + ox, y·scale + oy). */
  scale: number;
  ox: number;
  oy: number;
}

export interface HeatmapLayer {
  canvas: HTMLCanvasElement;
  draw(t: ScreenTransform): void;
  remove(): void;
}

export function createHeatmapLayer(host: HTMLElement, viewerElement: HTMLElement, slideId: string): HeatmapLayer {
  const canvas = document.createElement('canvas');
  canvas.className = 'analysis-heatmap';
  canvas.dataset.testid = 'heatmap-layer';
  Object.assign(canvas.style, { position: 'absolute', inset: '0', width: '100%', height: '100%', pointerEvents: 'none' });
  host.appendChild(canvas);

  let image: { canvas: HTMLCanvasElement; data: ImageData; key: string } | null = null;
  let mask: { canvas: HTMLCanvasElement; key: string } | null = null;

  /** The class image, recoloured where the held raster changed (everywhere when the colouring did). */
  const heatImage = (v: HeatmapView, k: number): HTMLCanvasElement => {
    const s = analysis.heatmap;
    const key = `${v.slideId}:${v.probeId}:${v.cols}x${v.rows}:${k}:${s.colourMap}:${s.threshold}:${s.ramp}`;
    const changes = analysis.heat.takeChanges();
    const colouring = { lut: colourTable(s.colourMap), threshold: s.threshold, ramp: s.ramp };
    if (!image || image.key !== key || changes === null) {
      const c = image?.canvas ?? document.createElement('canvas');
      c.width = Math.max(1, v.cols);
      c.height = Math.max(1, v.rows);
      const data = new ImageData(c.width, c.height);
      paintClass(data.data, analysis.heat.held, k, null, colouring);
      c.getContext('2d')!.putImageData(data, 0, 0);
      image = { canvas: c, data, key };
      return c;
    }
    for (const cells of changes) {
      if (cells.length === 0) continue;
      paintClass(image.data.data, analysis.heat.held, k, cells, colouring);
      // Only the rows the update touched go back to the canvas.
      const r0 = Math.floor(cells[0] / v.cols);
      const r1 = Math.floor(cells[cells.length - 1] / v.cols);
      image.canvas.getContext('2d')!.putImageData(image.data, 0, 0, 0, r0, v.cols, r1 - r0 + 1);
    }
    return image.canvas;
  };

  const tissueImage = (t: NonNullable<HeatmapUpdateHeader['tissue']>, version: string): HTMLCanvasElement | null => {
    const bytes = analysis.heat.held.tissue;
    if (!bytes) return null;
    const key = `${version}:${t.x},${t.y},${t.width}x${t.height}`;
    if (mask && mask.key === key) return mask.canvas;
    const c = mask?.canvas ?? document.createElement('canvas');
    c.width = Math.max(1, t.width);
    c.height = Math.max(1, t.height);
    const img = new ImageData(c.width, c.height);
    tissueAlpha(bytes, img.data);
    c.getContext('2d')!.putImageData(img, 0, 0);
    mask = { canvas: c, key };
    return c;
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
  viewerElement.appendChild(legend);
  let legendKey = '';
  const updateLegend = (v: HeatmapView | null, className: string): void => {
    const s = analysis.heatmap;
    const key = v ? `${v.probeId}:${className}:${s.colourMap}:${s.threshold}:${v.assumptions.join('|')}:${v.probe.trainedOn.join('|')}` : '';
    if (key === legendKey) return;
    legendKey = key;
    legend.style.display = v ? 'block' : 'none';
    legend.replaceChildren();
    if (!v) return;
    const line = (text: string, testid: string, style: Partial<CSSStyleDeclaration> = {}): HTMLElement => legendLine(legend, text, testid, style);
    line(v.probe.name, 'viewer-legend-probe', { fontWeight: '600' });
    line(
      v.probe.trainedOnThisSlide ? `Trained on this slide${v.probe.trainedOn.length > 1 ? ` and ${v.probe.trainedOn.length - 1} other(s)` : ''}` : `Trained on ${v.probe.trainedOn.join(', ')} (another slide)`,
      'viewer-legend-trained-on',
      { opacity: '0.85' },
    );
    legendRamp(legend, s.colourMap, 'viewer-legend-ramp');
    line(`${s.threshold > 0 ? s.threshold.toFixed(2) : '0'} ← P(${className}) → 1`, 'viewer-legend-scale', { display: 'flex', justifyContent: 'space-between' });
    for (const a of v.assumptions) line(`⚠ ${a}`, 'viewer-legend-assumption', { color: '#ffd27a', marginTop: '3px' });
  };

  const draw = ({ dpr, scale, ox, oy }: ScreenTransform): void => {
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const v = analysis.raster;
    const shown = v && v.slideId === slideId && analysis.heatmap.visible && v.probeId === analysis.probeId ? v : null;
    const k = shown ? Math.max(0, shown.classNames.indexOf(analysis.heatmap.className ?? '')) : 0;
    const className = shown ? shown.classNames[k] : '';
    canvas.dataset.scored = shown ? String(shown.scored) : '0';
    canvas.dataset.className = className;
    canvas.dataset.version = shown ? String(shown.version) : '';
    updateLegend(shown, className);
    if (!shown || shown.cols === 0 || shown.rows === 0) return;
    const img = heatImage(shown, k);
    const smooth = !analysis.heatmap.showPatches;
    canvas.dataset.mode = smooth ? 'smooth' : 'patches';
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * ox, dpr * oy);
    ctx.imageSmoothingEnabled = smooth;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(img, shown.cellOffset, shown.cellOffset, shown.cols * shown.cellSize, shown.rows * shown.cellSize);
    const t = shown.tissue;
    const cut = t && tissueImage(t, `${shown.slideId}:${shown.probeId}:${analysis.heat.held.generation}`);
    if (t && cut) {
      // Keep the heatmap only where the mask says tissue.
      ctx.globalCompositeOperation = 'destination-in';
      ctx.drawImage(cut, t.x, t.y, t.width * t.downsample, t.height * t.downsample);
      ctx.globalCompositeOperation = 'source-over';
    }
    // Overall opacity as the canvas's own, so the mask cut above stays exact.
    canvas.style.opacity = String(analysis.heatmap.opacity);
  };

  return {
    canvas,
    draw,
    remove() {
      canvas.remove();
      legend.remove();
    },
  };
}
