// `tessera embed <slide> [--model ID] [--mpp 0.5,1,2] [--region x,y,w,h | --all-tissue] [--stride PX] --out <file.h5|file.npy>`:
// embeddings of a slide's tissue patches, resumable (the cache keeps every finished batch). With several
// magnifications, one file per magnification: <stem>.mpp-<mpp>.<ext>. Patches do not overlap unless --stride
// (patch px between patch origins) asks: pipelines read this output, so its grid stays the plain one.
import type { Command } from 'commander';
import { EmbeddingService } from '../../encoder/embedding-service.js';
import { formatOf } from '../../encoder/write-embeddings.js';
import { embedSlide, scaleNote, writeSlideEmbeddings } from '../../usecases/embed-slide.js';
import { progressBar } from '../embedding-progress.js';
import { parseStride } from './probe.js';
import { mppOverrideFlags, mppOverrideHelp, parseMppOverride } from '../mpp-override.js';

function parseList(s: string, what: string, count?: number): number[] {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.some((x) => !Number.isFinite(x)) || (count !== undefined && v.length !== count)) {
    throw new Error(`${what} must be ${count ?? 'a list of'} comma-separated numbers, got "${s}"`);
  }
  return v;
}

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description('Embed the tissue patches of a slide with an encoder; writes HDF5 (CLAM/TRIDENT layout) or .npy + coords CSV')
    .argument('<slide>', 'slide file')
    .option('--model <id>', 'encoder id (see `tessera models`; default: the built-in baseline)')
    .option('--mpp <list>', "magnifications in µm/px, comma-separated (default: the model's)")
    .option('--region <x,y,w,h>', 'level-0 rectangle to embed (default: the whole slide)')
    .option('--all-tissue', 'embed every tissue patch of the slide (the default without --region)')
    .option('--stride <px>', "patch px (at the grid's µm/px) between patch origins (default: the patch size, no overlap)")
    .option(mppOverrideFlags, mppOverrideHelp)
    .requiredOption('--out <file>', 'output .h5 or .npy (several magnifications: one file each, <stem>.mpp-<mpp>.<ext>)')
    .action(async (slide: string, opts: { model?: string; mpp?: string; region?: string; allTissue?: boolean; stride?: string; mppOverride?: string; out: string }) => {
      const format = formatOf(opts.out);
      if (opts.region && opts.allTissue) throw new Error('give --region or --all-tissue, not both');
      const mpps = opts.mpp ? parseList(opts.mpp, '--mpp') : undefined;
      if (mpps?.some((m) => m <= 0)) throw new Error('--mpp values must be positive');
      const region = opts.region ? parseList(opts.region, '--region', 4) : undefined;
      const stride = parseStride(opts.stride);
      const mppOverride = parseMppOverride(opts.mppOverride);
      const service = new EmbeddingService({ mppOverride });
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once('SIGINT', onSignal);
      try {
        const model = await service.useModel(opts.model);
        const runtime = service.runtime;
        process.stderr.write(`model ${model.id} on ${runtime?.provider ?? 'cpu'}\n`);
        for (const n of runtime?.notices ?? []) process.stderr.write(`notice: ${n}\n`);
        const embedded = await embedSlide(service, slide, {
          mpps,
          region: region && { x: region[0], y: region[1], width: region[2], height: region[3] },
          stride,
          signal: ac.signal,
          onProgress: progressBar(),
        });
        const note = scaleNote(slide, embedded.scale);
        if (note) process.stderr.write(`${note}\n`);
        const paths = await writeSlideEmbeddings(opts.out, embedded, format);
        for (const [k, set] of embedded.sets.entries())
          process.stdout.write(`wrote ${paths[k]}: ${set.coords.length / 2} patches × ${set.dim} at ${set.grid.mpp} µm/px\n`);
      } finally {
        process.off('SIGINT', onSignal);
        await service.close();
      }
    });
}
