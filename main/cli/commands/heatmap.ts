// `tessera heatmap <slide> --probe probe.json [--all-tissue] --out out.(png|tif|geojson|csv|html)`:
// applies a probe to a slide and exports the result. Embeddings come from the app's EmbeddingService: with
// --all-tissue every tissue patch (what the cache lacks is embedded, progress on stderr), else only the cache.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { exportHeatmap } from '../../export/export-heatmap.js';
import { exportFormatOf } from '../../export/write-export.js';
import type { ColourMapName } from '../../heatmap/colour-maps.js';
import { slideHeatmap } from '../../heatmap/slide-heatmap.js';
import { withEncoderSlideEmbedder } from '../../probe/encoder-slide-embedder.js';
import { readProbeFile } from '../../probe/probe-file.js';
import { abortableOnSigint, progressBar } from '../embedding-progress.js';

export function registerHeatmap(program: Command): void {
  program
    .command('heatmap')
    .description('Apply a probe to a slide and export a heatmap (.png, .tif), regions (.geojson), per-patch CSV or a report (.html)')
    .argument('<slide>', 'slide file')
    .requiredOption('--probe <file>', 'probe file from `tessera probe train`')
    .option('--all-tissue', 'embed every tissue patch (otherwise the patches already in the embedding cache)')
    .option('--class <name>', 'class to draw or outline (default: Tumour, else the first class)')
    .option('--threshold <p>', 'PNG/TIFF: hide cells below p; GeoJSON: region level (default 0.5)')
    .option('--colour-map <name>', 'viridis, magma or jet', 'viridis')
    .option('--downsample <d>', 'PNG/TIFF: level-0 px per image px (default: a quarter patch)')
    .requiredOption('--out <file>', 'output file; its extension picks the format')
    .option('--force', 'replace --out if it exists')
    .action(async (slidePath: string, opts: { probe: string; allTissue?: boolean; class?: string; threshold?: string; colourMap: string; downsample?: string; out: string; force?: boolean }) => {
      exportFormatOf(opts.out); // fail on a bad extension before any embedding work
      const probe = await readProbeFile(opts.probe);
      const { embeddings, probabilities } = await withEncoderSlideEmbedder((embedder) =>
        abortableOnSigint((signal) => slideHeatmap(embedder, slidePath, probe, { allTissue: opts.allTissue, signal, onProgress: progressBar('embedding ') })),
      );
      process.stderr.write(`scored ${probabilities.n} patches${opts.allTissue ? '' : ' (from the embedding cache)'}\n`);
      const format = await exportHeatmap(opts.out, {
        slideName: basename(slidePath),
        slide: embeddings.frame,
        probe,
        probabilities,
        className: opts.class,
        colourMap: opts.colourMap as ColourMapName,
        threshold: opts.threshold === undefined ? undefined : Number(opts.threshold),
        downsample: opts.downsample === undefined ? undefined : Number(opts.downsample),
        overwrite: opts.force === true,
      });
      process.stderr.write(`wrote ${format} ${opts.out}\n`);
    });
}
