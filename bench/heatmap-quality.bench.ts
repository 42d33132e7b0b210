// Heatmap quality on the built-in sample slide against its ground-truth tumours: `node --import tsx
// bench/heatmap-quality.bench.ts`. Prints, never asserts (the floor is in main/heatmap/heatmap-quality.test.ts).
// before: non-overlapping patches, flat blocks, glass coloured; after: half-patch stride, smooth, tissue only.
// Also prints how close the tumours come against the patch side at each magnification: two tumours closer
// than a patch side have no patch between them that is not partly tumour, so they may merge (2 µm/px).
import { tempDir } from '../main/encoder/testing/temp-dir.js';
import { SAMPLE_SLIDE } from '../main/sample/sample-slide.js';
import { sampleHeatmapQuality, sampleTumourGaps } from '../main/heatmap/testing/sample-heatmap-quality.js';

process.env.TESSERA_EP ??= 'cpu';
const µm = (px: number) => `${Math.round(px * SAMPLE_SLIDE.mpp)} µm`;
const gaps = sampleTumourGaps().sort((p, q) => p.gap - q.gap);
console.log(`tumour gaps: ${gaps.map((g) => `${g.a + 1}–${g.b + 1} ${µm(g.gap)}`).join(', ')}; patch side ${[0.5, 1, 2].map((m) => `${µm((224 * m) / SAMPLE_SLIDE.mpp)} at ${m} µm/px`).join(', ')}`);
const cacheDir = tempDir('heatmap-quality-bench');
for (const mpps of [[0.5], [1], [2], [0.5, 1, 2]]) for (const pipeline of ['before', 'after'] as const) {
  const t0 = performance.now();
  const q = await sampleHeatmapQuality(pipeline, cacheDir, mpps);
  console.log(
    `${mpps.join('+')} µm/px ${pipeline.padEnd(6)}: ${q.patches} patches scored, heatmap Dice ${q.heatmapDice.toFixed(3)}, regions Dice ${q.regionsDice.toFixed(3)}, ` +
      `${q.regions} regions for ${4} tumours (tumour 1–4 in region ${q.tumourRegion.join(', ')}), ${(100 * q.onGlass).toFixed(1)} % of drawn pixels on glass (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
}
