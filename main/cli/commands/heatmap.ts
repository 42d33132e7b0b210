// `tessera heatmap <slide> --probe probe.json [--all-tissue] [--stride PX] [--patches] [--overlay] --out out.(png|tif|geojson|csv|html)`:
// applies a probe to a slide and exports the result. Embeddings come from the app's EmbeddingService: with
// --all-tissue every tissue patch (what the cache lacks is embedded, progress on stderr), else only the cache.
// Patches overlap by default (--stride half the patch); pictures are smooth between patch centres and cut to
// the tissue mask, regions are outlined on the same smooth, tissue-only surface; assumptions are printed.
import { basename, resolve } from 'node:path';
import { checkExportTarget } from '../../common/export-target.js';
import { Option, type Command } from 'commander';
import { colourMapList, colourMapNames, defaultColourMap } from '../../common/colour-maps.js';
import { exportFormatOf } from '../../export/write-export.js';
import type { ColourMapName } from '../../heatmap/colour-maps.js';
import { openSlide } from '../../slide/open-slide.js';
import { slideOverview } from '../../slide/slide-overview.js';
import { applyProbeToSlide } from '../../usecases/apply-probe-to-slide.js';
import { exportProbeResult, probeResultAssumptions } from '../../usecases/export-probe-result.js';
import { withEncoderSlideEmbedder } from '../../services/encoder-slide-embedder.js';
import { readProbeFile } from '../../probe/probe-file.js';
import { abortableOnSigint, progressBar } from '../embedding-progress.js';
import { parseStride } from './probe.js';
import { mppOverrideFlags, mppOverrideHelp, parseMppOverride } from '../mpp-override.js';

export function registerHeatmap(program: Command): void {
  program
    .command('heatmap')
    .description('Apply a probe to a slide and export a heatmap (.png, .tif), regions (.geojson), per-patch CSV or a report (.html)')
    .argument('<slide>', 'slide file')
    .requiredOption('--probe <file>', 'probe file from `tessera probe train`')
    .option('--all-tissue', 'embed every tissue patch (otherwise the patches already in the embedding cache)')
    .option('--class <name>', 'class to draw or outline (default: Tumour, else the first class)')
    .option('--threshold <p>', 'PNG/TIFF: hide cells below p; GeoJSON: region level (default 0.5)')
    // The names come from the one list (main/common/colour-maps.ts); a wrong one fails before any work.
    .addOption(new Option('--colour-map <name>', colourMapList()).choices(colourMapNames).default(defaultColourMap))
    .option('--stride <px>', "patch px (at the grid's µm/px) between patch origins; default half the patch (overlapping); the patch size for the non-overlapping grid")
    .option('--patches', 'PNG/TIFF: one flat block per patch instead of smooth between patch centres')
    .option('--overlay', 'PNG: the heatmap over the slide, with legend and scale bar (default: the bare raster)')
    .option('--downsample <d>', 'PNG/TIFF: level-0 px per image px (default: a quarter patch)')
    .option(mppOverrideFlags, mppOverrideHelp)
    .requiredOption('--out <file>', 'output file; its extension picks the format')
    .option('--force', 'replace --out if it exists')
    .action(async (slidePath: string, opts: { probe: string; allTissue?: boolean; class?: string; threshold?: string; colourMap: string; stride?: string; patches?: boolean; overlay?: boolean; downsample?: string; mppOverride?: string; out: string; force?: boolean }) => {
      // The CLI takes paths relative to where it runs; exports themselves take only absolute ones.
      const out = resolve(opts.out);
      exportFormatOf(out); // fail on a bad extension or a bad target before any embedding work
      await checkExportTarget(out);
      const stride = parseStride(opts.stride);
      const mppOverride = parseMppOverride(opts.mppOverride);
      const probe = await readProbeFile(opts.probe);
      const { result, model } = await withEncoderSlideEmbedder(async (embedder) => ({
        result: await abortableOnSigint((signal) => applyProbeToSlide(embedder, slidePath, probe, { allTissue: opts.allTissue, stride, signal, onProgress: progressBar('embedding ') })),
        model: embedder.service.model,
      }), { mppOverride });
      process.stderr.write(`scored ${result.probabilities.n} patches${opts.allTissue ? '' : ' (from the embedding cache)'}\n`);
      for (const a of probeResultAssumptions(probe, result, model)) process.stderr.write(`assumed: ${a}\n`);
      const { format } = await exportProbeResult(out, probe, result, model, {
        slideName: basename(slidePath),
        className: opts.class,
        colourMap: opts.colourMap as ColourMapName,
        threshold: opts.threshold === undefined ? undefined : Number(opts.threshold),
        downsample: opts.downsample === undefined ? undefined : Number(opts.downsample),
        patches: opts.patches === true,
        overwrite: opts.force === true,
        overlay: opts.overlay === true,
        slideImage: async (width, height) => {
          const reader = await openSlide(slidePath);
          try {
            return await slideOverview(reader, width, height);
          } finally {
            await reader.close();
          }
        },
      });
      process.stderr.write(`wrote ${format} ${opts.out}\n`);
    });
}
