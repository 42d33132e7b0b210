// `tessera search <slide> --query x,y[,w,h] [--slides S2 …] [--scope slides|cache] [--model ID] [--mpp M] [--top K] [--embed-missing] [--raw-cosine] [--out f.(json|csv|geojson)]`:
// "find more like this". The query (level-0 px; a point means the patch containing it) is the mean embedding
// of the patches it covers, embedded now when the cache lacks them; the query's slide is always searched and
// --slides adds others. Candidates come from the embedding cache, or with --embed-missing every tissue patch
// (embedding what is missing, progress on stderr). Exact cosine similarity in a worker (features standardised
// over the patches searched unless --raw-cosine); results best first,
// the query's own patches excluded. Without --out the JSON goes to stdout.
// --scope cache searches every slide in the embedding cache for the model and grid instead (an ANN index past
// a few hundred thousand patches, `search/find-in-cache.ts`); --slides then only names (and, with
// --embed-missing, embeds) slides; other cached slides are named from where a search last saw them.
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { checkExportTarget } from '../../common/export-target.js';
import { EmbeddingService } from '../../encoder/embedding-service.js';
import { findInCache } from '../../search/find-in-cache.js';
import { defaultTop, findSimilar, type FindSimilarResult } from '../../search/find-similar.js';
import { slideSourcesFor } from '../../search/slide-sources.js';
import { nameSearchResult, searchFormatOf, searchOutput } from '../../search/search-export.js';
import { abortableOnSigint, progressBar } from '../embedding-progress.js';
import { mppOverrideFlags, mppOverrideHelp, parseMppOverride } from '../mpp-override.js';

/** `x,y` or `x,y,w,h` in level-0 px. */
export function parseQuery(s: string): { x: number; y: number; width: number; height: number } {
  const v = s.split(',').map((p) => Number(p.trim()));
  if ((v.length !== 2 && v.length !== 4) || !v.every(Number.isFinite) || v.some((n) => n < 0)) throw new Error(`--query ${s}: give x,y or x,y,w,h in level-0 pixels (numbers ≥ 0)`);
  return { x: v[0], y: v[1], width: v[2] ?? 0, height: v[3] ?? 0 };
}

function positiveNumber(s: string | undefined, what: string, integer = false): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`${what} ${s}: give a ${integer ? 'whole number' : 'number'} > 0`);
  return n;
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('Find the patches most like a query region, on its slide and others (exact cosine similarity of embeddings)')
    .argument('<slide>', 'slide the query is on (always searched)')
    .requiredOption('--query <x,y[,w,h]>', 'level-0 px: a point (the patch containing it) or a rectangle (the mean embedding of the patches it covers)')
    .option('--slides <files...>', 'other slides to search too')
    .option('--scope <scope>', '"slides" (default: the slide and --slides) or "cache" (every slide in the embedding cache for the model and grid)', 'slides')
    .option('--model <id>', 'encoder id (see `tessera models`; default: the built-in baseline)')
    .option('--mpp <m>', "patch grid magnification in µm/px (default: the model's finest)")
    .option(mppOverrideFlags, mppOverrideHelp + ' (every slide searched)')
    .option('--top <k>', `how many results (default ${defaultTop})`)
    .option('--embed-missing', 'embed every tissue patch of the slides searched that the cache lacks (default: search the cache alone)')
    .option('--raw-cosine', 'plain cosine of the raw embeddings (default: each feature standardised over the patches searched first)')
    .option('--out <file>', 'write .json, .csv or .geojson (QuPath) instead of JSON on stdout')
    .option('--force', 'replace --out if it exists')
    .action(async (slide: string, opts: { query: string; slides?: string[]; scope: string; model?: string; mpp?: string; mppOverride?: string; top?: string; embedMissing?: boolean; rawCosine?: boolean; out?: string; force?: boolean }) => {
      const query = parseQuery(opts.query);
      if (opts.scope !== 'slides' && opts.scope !== 'cache') throw new Error(`--scope ${opts.scope}: give slides or cache`);
      if (opts.scope === 'cache' && opts.rawCosine) throw new Error('--raw-cosine: the cache scope always standardises features over the whole cache');
      const mpp = positiveNumber(opts.mpp, '--mpp');
      const top = positiveNumber(opts.top, '--top', true);
      const out = opts.out === undefined ? undefined : resolve(opts.out);
      const format = out ? searchFormatOf(out) : 'json';
      if (out) await checkExportTarget(out); // fail on a bad target before any embedding work
      const others = opts.slides ?? [];
      const service = new EmbeddingService({ mppOverride: parseMppOverride(opts.mppOverride) });
      try {
        const model = await service.useModel(opts.model);
        process.stderr.write(`model ${model.id} on ${service.runtime?.provider ?? 'cpu'}\n`);
        const bar = progressBar('embedding ');
        const sources = slideSourcesFor(service.cacheDir);
        let result: FindSimilarResult;
        let unique: string[];
        if (opts.scope === 'cache') {
          const found = await abortableOnSigint(async (signal) => {
            const given = [slide, ...others];
            if (opts.embedMissing) for (const s of given) await service.embed(s, { mpps: [mpp ?? Math.min(...model.magnifications)], signal, onProgress: bar });
            await sources.record(await Promise.all(given.map(async (s) => ({ slideFingerprint: (await service.slide(s)).fingerprint, path: resolve(s) })))).catch(() => {});
            return findInCache(service, { slide, query, mpp, top, signal, onProgress: bar });
          });
          // Slide names: the ones given by their base name, the rest from where they were seen.
          const fps = [...new Set([found.query.slideFingerprint, ...found.results.map((r) => r.slideFingerprint)])];
          const names = new Map<string, string>();
          let missing = 0;
          for (const fp of fps) {
            const r = await sources.resolve(fp);
            names.set(fp, r.path && r.exists ? basename(r.path) : r.path ? `${basename(r.path)} (missing)` : r.name);
            if (!r.exists) missing++;
          }
          unique = fps.map((fp) => names.get(fp)!);
          result = {
            query: { ...found.query },
            results: found.results.map((r) => ({ slide: fps.indexOf(r.slideFingerprint), x: r.x, y: r.y, size: r.size, mpp: r.mpp, score: r.score })),
            searched: [found.cache.patches],
            slideFingerprints: fps,
            searchMs: found.searchMs,
          };
          process.stderr.write(`searched ${found.cache.patches} patches of ${found.cache.slides} cached slide${found.cache.slides === 1 ? '' : 's'} (${found.cache.method === 'index' ? `ANN index${found.cache.indexRebuilt ? `, rebuilt: ${found.cache.indexRebuilt}` : `, ${found.cache.indexAdded ?? 0} new patches added`}` : 'exact'})\n`);
          if (missing > 0) process.stderr.write(`note: ${missing} slide${missing === 1 ? "'s" : "s'"} source file${missing === 1 ? ' is' : 's are'} not where it was last seen (results still listed)\n`);
        } else {
          result = await abortableOnSigint((signal) =>
            findSimilar(service, { slide, query, slides: others, mpp, top, embedMissing: opts.embedMissing === true, standardise: opts.rawCosine !== true, signal, onProgress: bar }),
          );
          const names = [slide, ...others].map((s) => basename(s));
          unique = new Set(names).size === names.length ? names : [slide, ...others];
          await sources.record(result.slideFingerprints.map((fp, i) => ({ slideFingerprint: fp, path: resolve([slide, ...others][i]) }))).catch(() => {});
          result.searched.forEach((n, i) => {
            if (n > 0 || i === 0) process.stderr.write(`searched ${n} patches of ${unique[i]}${opts.embedMissing ? '' : ' (from the embedding cache)'}\n`);
          });
          if (!opts.embedMissing && result.searched.every((n) => n <= result.query.patches)) process.stderr.write('note: the cache holds little beyond the query; --embed-missing embeds every tissue patch\n');
        }
        process.stderr.write(`search of ${result.searched.reduce((a, b) => a + b, 0)} patches took ${result.searchMs.toFixed(1)} ms\n`);
        const text = searchOutput(nameSearchResult(result, unique), format);
        if (out) {
          await writeFileAtomic(out, text, { overwrite: opts.force === true });
          process.stderr.write(`wrote ${result.results.length} results to ${opts.out}\n`);
        } else process.stdout.write(text);
      } finally {
        await service.close();
      }
    });
}
