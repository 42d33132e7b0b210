// How well a heatmap finds the sample slide's known tumours: a probe trained on two tumour and two normal
// regions of the built-in sample (those the e2e test draws), applied to all its tissue, thresholded at 0.5.
// Pixel-level Dice against the ground-truth tumour polygons, of the drawn heatmap and of the exported
// GeoJSON regions, and how many regions come out (the sample has four tumours). Two pipelines:
//   before: non-overlapping patches, one flat block per patch, glass coloured, regions on the patch grid;
//   after:  patches every half patch, smooth between patch centres, cut to the tissue mask, regions on that.
import { defaultClasses } from '../../annotations/annotation-classes.js';
import type { Annotation } from '../../annotations/annotation-model.js';
import { EmbeddingService } from '../../encoder/embedding-service.js';
import { tempDir } from '../../encoder/testing/temp-dir.js';
import type { TissueMask } from '../../encoder/tissue-mask.js';
import { regionRefinement } from '../../export/export-heatmap.js';
import { regionsGeoJson } from '../../export/regions-geojson.js';
import { EncoderSlideEmbedder } from '../../services/encoder-slide-embedder.js';
import { trainProbeFromSlides } from '../../probe/train-probe-from-slides.js';
import { SAMPLE_SLIDE, SAMPLE_TUMOUR_REGIONS, ensureSampleSlide } from '../../sample/sample-slide.js';
import { onTissue, probabilityRaster, rasterSmoothAt, rasterValueAt, refineRaster, type ProbabilityRaster } from '../probability-raster.js';
import { applyProbeToSlide } from '../../usecases/apply-probe-to-slide.js';

type Xy = [number, number];
const [, t2] = SAMPLE_TUMOUR_REGIONS.map((t) => t.polygon);
const c2: Xy = [t2.reduce((s, p) => s + p[0], 0) / t2.length, t2.reduce((s, p) => s + p[1], 0) / t2.length];

/** The e2e test's annotations: a rectangle inside tumour 1, tumour 2 shrunk 20 %, two normal squares. */
export const SAMPLE_TRAINING_ANNOTATIONS: Annotation[] = [
  { id: 'tumour-rect', className: 'Tumour', geometry: { type: 'rectangle', x: 3900, y: 5300, width: 1300, height: 1300 } },
  {
    id: 'tumour-polygon',
    className: 'Tumour',
    geometry: {
      type: 'polygon',
      rings: [t2.filter((_, i) => i % Math.floor(t2.length / 8) === 0).map(([x, y]) => [c2[0] + 0.8 * (x - c2[0]), c2[1] + 0.8 * (y - c2[1])] as Xy)],
    },
  },
  { id: 'normal-1', className: 'Normal', geometry: { type: 'rectangle', x: 7200, y: 4400, width: 1400, height: 1400 } },
  { id: 'normal-2', className: 'Normal', geometry: { type: 'rectangle', x: 8600, y: 7000, width: 1400, height: 1400 } },
];

/** Level-0 px per evaluation pixel. */
const EVAL_PX = 32;

/** Even-odd scanline fill of polygons (rings in level-0 px) on the evaluation grid. */
function fill(rings: readonly (readonly Xy[])[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let v = 0; v < height; v++) {
    const y = (v + 0.5) * EVAL_PX;
    const xs: number[] = [];
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if (yi > y !== yj > y) xs.push(xi + ((y - yi) * (xj - xi)) / (yj - yi));
      }
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const u0 = Math.max(0, Math.ceil(xs[k] / EVAL_PX - 0.5));
      const u1 = Math.min(width - 1, Math.floor(xs[k + 1] / EVAL_PX - 0.5));
      for (let u = u0; u <= u1; u++) out[v * width + u] ^= 1;
    }
  }
  return out;
}

/** Even-odd: whether level-0 point (x, y) lies inside the rings. */
function insideRings(rings: readonly (readonly Xy[])[], x: number, y: number): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > y !== yj > y && x < xi + ((y - yi) * (xj - xi)) / (yj - yi)) inside = !inside;
    }
  }
  return inside;
}

const centroid = (ring: readonly Xy[]): Xy => [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];

/** The closest approach of two true tumours' outlines, level-0 px, for every pair (i < j, 0-based). */
export function sampleTumourGaps(): { a: number; b: number; gap: number }[] {
  const polygons = SAMPLE_TUMOUR_REGIONS.map((t) => t.polygon);
  const out: { a: number; b: number; gap: number }[] = [];
  for (let a = 0; a < polygons.length; a++) {
    for (let b = a + 1; b < polygons.length; b++) {
      let gap = Infinity;
      for (const p of polygons[a]) for (const q of polygons[b]) gap = Math.min(gap, Math.hypot(p[0] - q[0], p[1] - q[1]));
      out.push({ a, b, gap });
    }
  }
  return out;
}

function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i] & b[i];
    sum += a[i] + b[i];
  }
  return sum === 0 ? 1 : (2 * both) / sum;
}

export interface HeatmapQuality {
  pipeline: 'before' | 'after';
  patches: number;
  /** Dice of the heatmap thresholded at 0.5, as drawn, vs the true tumours. */
  heatmapDice: number;
  /** Dice of the exported GeoJSON regions vs the true tumours. */
  regionsDice: number;
  regions: number;
  /** Per true tumour (SAMPLE_TUMOUR_REGIONS order): the exported region holding its centre, -1 for none. */
  tumourRegion: number[];
  /** Fraction of drawn pixels (any score, threshold 0) that lie on glass. */
  onGlass: number;
}

function heatAt(r: ProbabilityRaster, smooth: boolean, tissue: TissueMask | undefined, x: number, y: number): number {
  if (!onTissue(tissue, x, y)) return NaN;
  return smooth ? rasterSmoothAt(r, x, y) : rasterValueAt(r, x, y);
}

/** Trains and applies the probe with one pipeline; `cacheDir` may be shared between runs (same patches). */
export async function sampleHeatmapQuality(pipeline: 'before' | 'after', cacheDir = tempDir('heatmap-quality'), mpps: number[] = [1]): Promise<HeatmapQuality> {
  const slidePath = await ensureSampleSlide();
  const service = new EmbeddingService({ cacheDir });
  try {
    const embedder = new EncoderSlideEmbedder(service);
    const stride = pipeline === 'before' ? 224 : 112;
    const probe = await trainProbeFromSlides({
      embedder,
      inputs: [{ slidePath, annotations: SAMPLE_TRAINING_ANNOTATIONS, classes: defaultClasses() }],
      mpps,
      stride,
    });
    const { embeddings, probabilities } = await applyProbeToSlide(embedder, slidePath, probe, { allTissue: true, stride });
    const tissue = pipeline === 'after' ? embeddings.tissue : undefined;
    const raster = probabilityRaster(probabilities, 'Tumour', embeddings.frame);
    const width = Math.ceil(SAMPLE_SLIDE.width / EVAL_PX);
    const height = Math.ceil(SAMPLE_SLIDE.height / EVAL_PX);
    const truth = fill(SAMPLE_TUMOUR_REGIONS.map((t) => t.polygon), width, height);
    const heat = new Uint8Array(width * height);
    let coloured = 0;
    let glass = 0;
    for (let v = 0; v < height; v++) {
      for (let u = 0; u < width; u++) {
        const x = (u + 0.5) * EVAL_PX;
        const y = (v + 0.5) * EVAL_PX;
        const p = heatAt(raster, pipeline === 'after', tissue, x, y);
        if (p >= 0.5) heat[v * width + u] = 1;
        if (!Number.isNaN(p)) {
          coloured++;
          if (!onTissue(embeddings.tissue, x, y)) glass++;
        }
      }
    }
    const outlined = pipeline === 'after' ? refineRaster(raster, regionRefinement, tissue) : raster;
    const geo = regionsGeoJson(outlined, 0.5, [200, 0, 0]);
    const featureRings = geo.features.map((f) => (f.geometry.type === 'Polygon' ? f.geometry.coordinates.map((r) => r.map((q) => [q[0], q[1]] as Xy)) : []));
    const rings = featureRings.flat();
    const tumourRegion = SAMPLE_TUMOUR_REGIONS.map((t) => {
      const [x, y] = centroid(t.polygon);
      return featureRings.findIndex((r) => insideRings(r, x, y));
    });
    return {
      pipeline,
      patches: probabilities.n,
      heatmapDice: dice(heat, truth),
      regionsDice: dice(fill(rings, width, height), truth),
      regions: geo.features.length,
      tumourRegion,
      onGlass: coloured ? glass / coloured : 0,
    };
  } finally {
    await service.close();
  }
}
