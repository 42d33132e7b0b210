// `tessera cohort heatmap`: a probe applied to every slide of a cohort (all tissue, embedding what the cache
// lacks): per-slide regions GeoJSON and per-patch CSV (the exports of `tessera heatmap`), and summary.csv,
// assembled from the per-slide records so any shard (or `cohort status`) can rebuild it.
// Summary columns: id, slide, status, error, tissue_area_mm2 (the tissue mask's area), patch_count (tissue
// patches scored), threshold, then per class `<class>_area_mm2` (patches with p ≥ threshold × patch area),
// `<class>_fraction` (of the scored patches), `<class>_max`, `<class>_mean` (probability), then the
// manifest's own columns.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import type { EmbeddingServiceOptions } from '../encoder/embedding-service.js';
import { embeddingCacheDir } from '../encoder/model-folders.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { defaultClassName, exportHeatmap } from '../export/export-heatmap.js';
import { applyProbeToSlide } from '../usecases/apply-probe-to-slide.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';
import { EncoderSlideEmbedder } from '../services/encoder-slide-embedder.js';
import { parseProbeFile } from '../probe/probe-file.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';
import { cohortPaths, readRecord, writeRecord, type ClassStats, type HeatmapRecord } from './cohort-files.js';
import { cacheLockPath } from './cohort-embed.js';
import { runCohort, recordCommon, type CohortRunOptions, type CohortRunResult } from './cohort-run.js';
import { formatCsv } from './csv.js';
import { FileLock } from './file-lock.js';
import { RecycledService } from './recycled-service.js';
import type { CohortManifest } from './manifest.js';

export interface CohortHeatmapOptions extends CohortRunOptions {
  probePath: string;
  /** Default 0.5. */
  threshold?: number;
  /** The class whose regions are written (default: Tumour, else the probe's first class). */
  className?: string;
  service?: EmbeddingServiceOptions;
}

/** Per-class statistics of one slide's probabilities; areas in mm² from the level-0 µm/px. */
export function classStats(p: PatchProbabilities, threshold: number, level0Mpp: number): ClassStats[] {
  const K = p.classNames.length;
  const stride = (p as PatchProbabilities & { level0Stride?: number }).level0Stride ?? p.level0Size;
  const patchMm2 = (stride * level0Mpp * 1e-3) ** 2;
  return p.classNames.map((name, k) => {
    let above = 0;
    let max = 0;
    let sum = 0;
    for (let i = 0; i < p.n; i++) {
      const v = p.probabilities[i * K + k];
      if (v >= threshold) above++;
      if (v > max) max = v;
      sum += v;
    }
    return {
      name,
      areaMm2: above * patchMm2,
      fraction: p.n ? above / p.n : 0,
      max: p.n ? max : 0,
      mean: p.n ? sum / p.n : 0,
    };
  });
}

const round = (v: number, digits = 6) => Number(v.toFixed(digits));

/** summary.csv from the heatmap records of every slide of the manifest (those without one: pending). */
export async function writeSummary(out: string, manifest: CohortManifest): Promise<{ rows: number; done: number }> {
  // Under a lock: whoever writes last has read every record written before it started.
  const lock = await FileLock.acquire(join(out, 'locks', 'summary.lock'), { purpose: 'summary.csv', pollMs: 100 });
  try {
    return await buildSummary(out, manifest);
  } finally {
    await lock.release();
  }
}

async function buildSummary(out: string, manifest: CohortManifest): Promise<{ rows: number; done: number }> {
  const records = await Promise.all(manifest.slides.map((s) => readRecord(out, 'heatmap', s.id)));
  const classes: string[] = [];
  for (const r of records) for (const c of r?.stats?.classes ?? []) if (!classes.includes(c.name)) classes.push(c.name);
  const header = ['id', 'slide', 'status', 'error', 'tissue_area_mm2', 'patch_count', 'threshold'];
  for (const c of classes) header.push(`${c}_area_mm2`, `${c}_fraction`, `${c}_max`, `${c}_mean`);
  const extra = manifest.columns.filter((c) => !header.includes(c));
  header.push(...extra);
  let done = 0;
  const rows = manifest.slides.map((s, i) => {
    const r = records[i];
    const st = r?.state === 'done' ? r.stats : undefined;
    if (st) done++;
    const row: (string | number)[] = [
      s.id,
      s.slide,
      r?.state ?? 'pending',
      r?.error ?? '',
      st ? round(st.tissueAreaMm2) : '',
      st ? st.patchCount : '',
      r ? r.settings.threshold : '',
    ];
    for (const name of classes) {
      const c = st?.classes.find((x) => x.name === name);
      row.push(c ? round(c.areaMm2) : '', c ? round(c.fraction) : '', c ? round(c.max) : '', c ? round(c.mean) : '');
    }
    for (const c of extra) row.push(s.columns[c] ?? '');
    return row;
  });
  await writeFileAtomic(cohortPaths(out).summary, formatCsv([header, ...rows]));
  return { rows: rows.length, done };
}

async function readable(path: string, json: boolean): Promise<boolean> {
  try {
    if (!json) return (await stat(path)).size > 0;
    JSON.parse(await readFile(path, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

export async function cohortHeatmap(o: CohortHeatmapOptions): Promise<CohortRunResult & { summary: string }> {
  const probeText = await readFile(o.probePath, 'utf8');
  const probe = parseProbeFile(probeText, o.probePath);
  const probeSha256 = createHash('sha256').update(probeText).digest('hex');
  const threshold = o.threshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`--threshold must be between 0 and 1, got ${threshold}`);
  const classNames = probe.classes.map((c) => c.name);
  const className = o.className ?? defaultClassName(classNames);
  if (!classNames.includes(className))
    throw new Error(`the probe has no class "${className}" (it has ${classNames.join(', ')})`);
  const settings: HeatmapRecord['settings'] = {
    probeSha256,
    probe: resolve(o.probePath),
    threshold,
    className,
    mpps: probe.magnifications,
  };
  const encoder = { id: probe.encoder.modelId, sha256: probe.encoder.checksum };
  const cacheDir = o.service?.cacheDir ?? embeddingCacheDir();
  const paths = cohortPaths(o.out);
  o.log.progress(
    `probe ${basename(o.probePath)}: ${classNames.join(' / ')} on encoder ${encoder.id} at ${probe.magnifications.join(' + ')} µm/px; regions of ${className} ≥ ${threshold}`,
  );
  const services = new RecycledService(o.service);
  let result: CohortRunResult;
  try {
    result = await runCohort('heatmap', o, {
      async upToDate(slide) {
        const r = await readRecord(o.out, 'heatmap', slide.id);
        if (!r || r.state !== 'done' || !r.stats) return undefined;
        if (JSON.stringify({ ...r.settings, probe: '' }) !== JSON.stringify({ ...settings, probe: '' }))
          return undefined;
        if (r.slideFingerprint !== (await slideFingerprint(slide.slide).catch(() => undefined))) return undefined;
        if (!(await readable(paths.regions(slide.id), true)) || !(await readable(paths.patches(slide.id), false)))
          return undefined;
        return 'already done with this probe and settings';
      },
      async process(slide, ctx) {
        const t0 = Date.now();
        const fingerprint = await slideFingerprint(slide.slide);
        let cacheLock: FileLock | undefined;
        try {
          cacheLock = await FileLock.acquire(cacheLockPath(cacheDir, fingerprint), {
            ...o.lock,
            purpose: `tessera cohort heatmap ${slide.id}`,
            signal: o.signal,
            onWait: (w) =>
              o.log.progress(
                `${ctx.prefix}waiting for the embedding cache of this slide (held by ${w ? `pid ${w.pid} on ${w.host}` : 'another process'})`,
              ),
          });
          const embedder = new EncoderSlideEmbedder(services.get());
          const { embeddings, probabilities, tissueAreaMm2, level0Mpp } = await (async () => {
            const h = await applyProbeToSlide(embedder, slide.slide, probe, {
              allTissue: true,
              signal: o.signal,
              onProgress: o.log.patches && ((p) => o.log.patches!(p, ctx.prefix)),
            });
            const sctx = await embedder.service.slide(slide.slide);
            const l0 = sctx.reader.levels[0];
            const mask = await sctx.tissue;
            const tissueAreaMm2 =
              mask.tissueFraction(0, 0, l0.width, l0.height) * l0.width * l0.height * (sctx.scale.mpp * 1e-3) ** 2;
            return { ...h, tissueAreaMm2, level0Mpp: sctx.scale.mpp };
          })().catch(async (err: unknown) => {
            await services.after(0, false);
            throw err;
          });
          await services.after(probabilities.n, true);
          await cacheLock.release();
          cacheLock = undefined;
          const common = {
            slideName: basename(slide.slide),
            slide: embeddings.frame,
            probe,
            probabilities,
            className,
            threshold,
            overwrite: true,
          };
          await ctx.commit();
          await exportHeatmap(paths.regions(slide.id), common);
          await exportHeatmap(paths.patches(slide.id), common);
          await writeRecord(o.out, {
            kind: 'heatmap',
            ...recordCommon(slide, (Date.now() - t0) / 1000),
            state: 'done',
            patches: probabilities.n,
            encoder: { id: embeddings.encoder.modelId, sha256: embeddings.encoder.checksum },
            slideFingerprint: fingerprint,
            settings,
            stats: {
              tissueAreaMm2,
              patchCount: probabilities.n,
              level0Mpp,
              classes: classStats(probabilities, threshold, level0Mpp),
            },
            outputs: [paths.regions(slide.id), paths.patches(slide.id)].map((f) => relative(o.out, f)),
          });
          return { patches: probabilities.n };
        } finally {
          await cacheLock?.release();
        }
      },
      failedRecord(slide, error, base) {
        return { kind: 'heatmap', ...base, state: 'failed', error, patches: 0, encoder, settings, outputs: [] };
      },
    });
  } finally {
    await services.close();
  }
  const s = await writeSummary(o.out, o.manifest);
  o.log.progress(`wrote ${paths.summary} (${s.done} of ${s.rows} slides done)`);
  return { ...result, summary: paths.summary };
}
