// Remakes the before/after heatmap screenshots in this folder: `node --import tsx docs/screenshots/make-screenshots.mts`
// (from the project root; CMU-1 is read from ../shared and skipped when it is absent).
// For each slide: `tessera probe train` on the annotations (the CLI's main(), in this process), then the heatmap over the
// slide as PNG through the same use cases `tessera heatmap` calls (applyProbeToSlide + exportProbeResult), with
// `overlay: true`, which the CLI does not expose as a flag yet.
//   before: the plain grid: non-overlapping patches (--stride 224 for training and heatmap) drawn as flat blocks
//           (--patches), glass included (no tissue mask);
//   after:  today's defaults: half-patch stride, smooth between patch centres, cut to the tissue mask.
// Everything runs in a fresh data folder (built-in encoder, new embedding cache), so the pictures do not depend
// on what is installed on the machine.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const data = await mkdtemp(join(tmpdir(), 'tessera-screenshots-'));
process.env.TESSERA_DATA_DIR = data;
process.env.TESSERA_EP ??= 'cpu';

// Imported after TESSERA_DATA_DIR is set: the sample slide and the model registry live in the data folder.
const { ensureSampleSlide } = await import('../../main/sample/sample-slide.js');
const { SAMPLE_TRAINING_ANNOTATIONS } = await import('../../main/heatmap/testing/sample-heatmap-quality.js');
const { toGeoJsonGeometry } = await import('../../main/annotations/geojson-export.js');
const { withEncoderSlideEmbedder } = await import('../../main/services/encoder-slide-embedder.js');
const { applyProbeToSlide } = await import('../../main/usecases/apply-probe-to-slide.js');
const { exportProbeResult } = await import('../../main/usecases/export-probe-result.js');
const { readProbeFile } = await import('../../main/probe/probe-file.js');
const { openSlide } = await import('../../main/slide/open-slide.js');
const sharp = (await import('sharp')).default;

const { main: tesseraMain } = await import('../../main/cli/tessera.js');

/** `tessera args…` (the CLI's entry, in this process: bin/tessera.js runs the same main() from dist/). */
async function tessera(args: string[]): Promise<void> {
  const code = await tesseraMain(args);
  if (code !== 0) throw new Error(`tessera ${args.join(' ')} exited with ${code}`);
}

/** The whole slide scaled to width×height, as the app's SlideService.overview reads it (one-level slides here). */
async function slideImage(path: string, width: number, height: number) {
  const reader = await openSlide(path);
  try {
    const levels = reader.levels;
    const wanted = levels[0].width / width;
    const fitting = levels.map((l, i) => ({ l, i })).filter(({ l }) => l.width * l.height <= 1 << 26);
    const pick = fitting.filter(({ l }) => l.downsample <= wanted * 1.001).pop() ?? fitting[fitting.length - 1];
    const region = await reader.readRegion(pick.i, 0, 0, pick.l.width, pick.l.height);
    const pixels = await sharp(region.data, { raw: { width: region.width, height: region.height, channels: region.channels } }).resize(width, height, { fit: 'fill' }).raw().toBuffer();
    return { data: pixels, width, height, channels: region.channels };
  } finally {
    await reader.close();
  }
}

interface Shot {
  name: string;
  slide: string;
  annotations: string;
  mpp: number;
  /** Level-0 px per picture px: keeps each PNG under ~300 KB. */
  downsample: number;
}

async function shoot(s: Shot): Promise<void> {
  for (const pipeline of ['before', 'after'] as const) {
    const stride = pipeline === 'before' ? ['--stride', '224'] : [];
    const probePath = join(data, `${s.name}-${pipeline}-probe.json`);
    await tessera(['probe', 'train', '--slide', s.slide, '--annotations', s.annotations, '--mpp', String(s.mpp), ...stride, '--out', probePath]);
    const probe = await readProbeFile(probePath);
    const out = join(here, `${s.name}-${pipeline}.png`);
    await withEncoderSlideEmbedder(async (embedder) => {
      const result = await applyProbeToSlide(embedder, s.slide, probe, { allTissue: true, stride: pipeline === 'before' ? 224 : undefined });
      // "before" had no tissue mask: glass was coloured like tissue.
      const shown = pipeline === 'before' ? { ...result, embeddings: { ...result.embeddings, tissue: undefined } } : result;
      await exportProbeResult(out, probe, shown as typeof result, embedder.service.model, {
        slideName: basename(s.slide),
        overlay: true,
        patches: pipeline === 'before',
        downsample: s.downsample,
        overwrite: true,
        slideImage: (w, h) => slideImage(s.slide, w, h),
      });
    });
    process.stderr.write(`wrote ${out} (${Math.round((await stat(out)).size / 1024)} KB)\n`);
  }
}

try {
  const sample = await ensureSampleSlide();
  const sampleAnnotations = join(data, 'sample-annotations.geojson');
  await writeFile(sampleAnnotations, JSON.stringify({
    type: 'FeatureCollection',
    features: SAMPLE_TRAINING_ANNOTATIONS.map((a) => ({ type: 'Feature', geometry: toGeoJsonGeometry(a.geometry), properties: { objectType: 'annotation', classification: { name: a.className } } })),
  }));
  await shoot({ name: 'sample', slide: sample, annotations: sampleAnnotations, mpp: 1, downsample: 32 });
  const cmu1 = resolve(root, '..', 'shared', 'data', 'slides', 'CMU-1-Small-Region.svs');
  if (existsSync(cmu1)) await shoot({ name: 'cmu1', slide: cmu1, annotations: join(here, 'cmu1-annotations.geojson'), mpp: 0.5, downsample: 7 });
  else process.stderr.write(`skipped CMU-1: ${cmu1} is absent\n`);
} finally {
  await rm(data, { recursive: true, force: true });
}
