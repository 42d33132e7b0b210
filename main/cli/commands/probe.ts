// `tessera probe train --slide S --annotations A.geojson [--slide S2 --annotations A2 …] [--model ID] [--mpp 0.5] [--stride PX] --out probe.json`:
// trains a linear probe on annotated regions and prints its cross-validated metrics. The patches under the
// annotations (their bounding boxes) are embedded on demand with the app's EmbeddingService, reusing its cache.
// --stride: patch px between patch origins at the grid's magnification (default half the patch, as the app).
import type { Command } from 'commander';
import { writeProbeFile, type ProbeFile } from '../../probe/probe-file.js';
import { withEncoderSlideEmbedder } from '../../services/encoder-slide-embedder.js';
import { trainProbeFromSlides } from '../../probe/train-probe-from-slides.js';
import { abortableOnSigint, progressBar } from '../embedding-progress.js';
import { mppOverrideFlags, mppOverrideHelp, parseMppOverride } from '../mpp-override.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--stride <px>`: a whole number of patch pixels ≥ 1 (checked against the patch size with the grid), or undefined. */
export function parseStride(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--stride must be a whole number of pixels ≥ 1 (at the grid's µm/px), got ${value}`);
  return v;
}

export function formatProbeMetrics(probe: ProbeFile): string {
  const cv = probe.metrics.crossValidation;
  const lines = [`classes: ${probe.classes.map((c, k) => `${c.name} (${probe.metrics.perClassCount[k]} patches)`).join(', ')}`];
  if (cv) {
    lines.push(`${cv.folds}-fold cross-validation, grouped by annotation region: accuracy ${cv.accuracy.toFixed(3)}, macro AUROC ${cv.macroAuroc.toFixed(3)}`);
    for (const c of cv.perClass) lines.push(`  ${c.name}: AUROC ${Number.isFinite(c.auroc) ? c.auroc.toFixed(3) : 'n/a'} (one-vs-rest, ${c.count} patches)`);
  } else {
    lines.push('cross-validation: not possible (too few annotation regions)');
  }
  for (const w of probe.training.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

export function registerProbe(program: Command): void {
  const probe = program.command('probe').description('Linear probes on patch embeddings');
  probe
    .command('train')
    .description('Train a probe on annotated regions of one or more slides; prints cross-validated metrics')
    .requiredOption('--slide <file>', 'slide file (repeat, paired in order with --annotations)', collect, [])
    .requiredOption('--annotations <file>', 'QuPath GeoJSON or ASAP XML annotations of the slide (repeat)', collect, [])
    .option('--model <id>', 'encoder id (default: the default encoder)')
    .option('--mpp <list>', 'magnification(s) in µm/px, comma-separated; several are concatenated', '0.5')
    .option('--stride <px>', "patch px (at the grid's µm/px) between patch origins; default half the patch (overlapping: 4× the patches, 2× the heatmap resolution); the patch size for the non-overlapping grid")
    .option(mppOverrideFlags, mppOverrideHelp + ' (every --slide)')
    .option('--folds <k>', 'cross-validation folds', '5')
    .option('--l2 <lambda>', 'L2 strength on standardised features', '0.001')
    .requiredOption('--out <file>', 'probe file to write (.json)')
    .option('--force', 'replace --out if it exists')
    .action(async (opts: { slide: string[]; annotations: string[]; model?: string; mpp: string; stride?: string; mppOverride?: string; folds: string; l2: string; out: string; force?: boolean }) => {
      if (opts.slide.length !== opts.annotations.length) {
        throw new Error(`give one --annotations per --slide (got ${opts.slide.length} slides, ${opts.annotations.length} annotation files)`);
      }
      const mpps = opts.mpp.split(',').map(Number);
      if (mpps.some((m) => !(m > 0))) throw new Error(`--mpp must be positive numbers, got ${opts.mpp}`);
      const stride = parseStride(opts.stride);
      const mppOverride = parseMppOverride(opts.mppOverride);
      const result = await withEncoderSlideEmbedder(async (embedder) => {
        const encoder = await embedder.encoder(opts.model);
        process.stderr.write(`model ${encoder.modelId} on ${embedder.service.runtime?.provider ?? 'cpu'}\n`);
        const bars = new Map<string, ReturnType<typeof progressBar>>();
        return abortableOnSigint((signal) =>
          trainProbeFromSlides({
            embedder,
            inputs: opts.slide.map((slidePath, i) => ({ slidePath, annotationsPath: opts.annotations[i] })),
            modelId: encoder.modelId,
            mpps,
            stride,
            folds: Number(opts.folds),
            l2: Number(opts.l2),
            log: (line) => process.stderr.write(`${line}\n`),
            onProgress: (slidePath, p) => (bars.get(slidePath) ?? bars.set(slidePath, progressBar('  ')).get(slidePath)!)(p),
            signal,
          }),
        );
      }, { mppOverride });
      await writeProbeFile(opts.out, result, { overwrite: opts.force === true });
      process.stdout.write(formatProbeMetrics(result));
      process.stdout.write(`wrote ${opts.out}\n`);
    });
}
