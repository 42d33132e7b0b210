// `tessera cohort embed`: one CLAM/TRIDENT HDF5 per slide (the writer of `tessera embed`), resumable, safe
// with several processes on the same cohort folder (per-slide locks) and the same embedding cache (a lock
// per slide fingerprint under the cache folder while the slide is being embedded).
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import h5wasm from 'h5wasm/node';
import type { EmbeddingServiceOptions } from '../encoder/embedding-service.js';
import { embeddingCacheDir } from '../encoder/model-folders.js';
import { findModel } from '../encoder/model-registry.js';
import { outputPathFor } from '../encoder/write-embeddings.js';
import { embedSlide, writeSlideEmbeddings } from '../usecases/embed-slide.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';
import { cohortPaths, readRecord, writeRecord, type EmbedRecord } from './cohort-files.js';
import { runCohort, recordCommon, type CohortRunOptions, type CohortRunResult } from './cohort-run.js';
import { FileLock } from './file-lock.js';
import { RecycledService } from './recycled-service.js';

export interface CohortEmbedOptions extends CohortRunOptions {
  modelId?: string;
  /** Default: the model's magnifications. */
  mpps?: number[];
  service?: EmbeddingServiceOptions;
}

/** The feature files of a slide for these magnifications, as `tessera embed --out features/<id>.h5` names them. */
export function featurePaths(out: string, id: string, mpps: readonly number[]): string[] {
  return mpps.map((mpp) => outputPathFor(cohortPaths(out).features(id), mpp, mpps.length));
}

const hdf5Signature = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Rows of `features` and `coords` in an HDF5 written by writeEmbeddingsH5, or undefined when unreadable. */
export async function h5PatchCount(path: string): Promise<{ n: number; dim: number; modelId: string } | undefined> {
  await h5wasm.ready;
  let f: InstanceType<typeof h5wasm.File> | undefined;
  try {
    // Checked here first: h5wasm prints HDF5's error stack for a file that is missing or not HDF5 at all.
    const h = await open(path, 'r');
    try {
      const head = Buffer.alloc(8);
      const st = await h.stat();
      await h.read(head, 0, 8, 0);
      if (!head.equals(hdf5Signature) || st.size < 512) return undefined;
    } finally {
      await h.close();
    }
    f = new h5wasm.File(path, 'r');
    const features = f.get('features') as InstanceType<typeof h5wasm.Dataset> | null;
    const coords = f.get('coords') as InstanceType<typeof h5wasm.Dataset> | null;
    if (!features?.shape || !coords?.shape || features.shape.length !== 2 || coords.shape[0] !== features.shape[0])
      return undefined;
    const modelId = String(f.attrs.model_id?.value ?? '');
    return { n: features.shape[0], dim: features.shape[1], modelId };
  } catch {
    return undefined;
  } finally {
    try {
      f?.close();
    } catch {
      // ignore
    }
  }
}

async function fsyncFile(path: string): Promise<void> {
  const h = await open(path, 'r+');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Removes temporary files a killed writer left for slide `id` (call with the slide's lock held). */
async function removeLeftovers(dir: string, id: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (n.startsWith(`.${id}.`) && n.endsWith('.tmp')) await unlink(join(dir, n)).catch(() => {});
}

/** The lock serialising writers of one slide's embedding cache (processes sharing the cache folder). */
export function cacheLockPath(cacheDir: string, fingerprint: string): string {
  return join(cacheDir, 'locks', `${fingerprint}.lock`);
}

export async function cohortEmbed(o: CohortEmbedOptions): Promise<CohortRunResult> {
  const entry = await findModel(o.modelId, o.service?.folders);
  const model = entry.manifest;
  const mpps = o.mpps ?? model.magnifications;
  const settings: EmbedRecord['settings'] = { mpps: [...mpps], format: 'h5' };
  const cacheDir = o.service?.cacheDir ?? embeddingCacheDir();
  const paths = cohortPaths(o.out);
  o.log.progress(`model ${model.id} at ${mpps.join(', ')} µm/px`);
  const services = new RecycledService(o.service);
  try {
    return await runCohort('embed', o, {
      async upToDate(slide) {
        const r = await readRecord(o.out, 'embed', slide.id);
        if (!r || r.state !== 'done') return undefined;
        if (r.encoder.id !== model.id || r.encoder.sha256 !== model.sha256) return undefined;
        if (JSON.stringify(r.settings) !== JSON.stringify(settings)) return undefined;
        if (r.slideFingerprint !== (await slideFingerprint(slide.slide).catch(() => undefined))) return undefined;
        for (const [k, path] of featurePaths(o.out, slide.id, mpps).entries()) {
          const h = await h5PatchCount(path);
          if (!h || h.modelId !== model.id || (r.patchesPerMpp && h.n !== r.patchesPerMpp[String(mpps[k])]))
            return undefined;
        }
        return 'already done with this encoder and settings';
      },
      async process(slide, ctx) {
        const t0 = Date.now();
        await mkdir(paths.featuresDir, { recursive: true });
        await removeLeftovers(paths.featuresDir, slide.id);
        const fingerprint = await slideFingerprint(slide.slide);
        const service = services.get();
        let cacheLock: FileLock | undefined;
        let ok = false;
        let patches = 0;
        try {
          cacheLock = await FileLock.acquire(cacheLockPath(cacheDir, fingerprint), {
            ...o.lock,
            purpose: `tessera cohort embed ${slide.id}`,
            signal: o.signal,
            onWait: (w) =>
              o.log.progress(
                `${ctx.prefix}waiting for the embedding cache of this slide (held by ${w ? `pid ${w.pid} on ${w.host}` : 'another process'})`,
              ),
          });
          await service.useModel(o.modelId);
          if (service.model?.sha256 !== model.sha256)
            throw new Error(`encoder ${model.id} changed while the cohort ran`);
          const embedded = await embedSlide(service, slide.slide, {
            mpps,
            signal: o.signal,
            onProgress: o.log.patches && ((p) => o.log.patches!(p, ctx.prefix)),
          });
          const sets = embedded.sets;
          await cacheLock.release();
          cacheLock = undefined;
          const temps: string[] = [];
          let finals: string[] = [];
          try {
            // Each file is written to a temporary beside it, fsynced, and renamed only once all are written.
            finals = await writeSlideEmbeddings(cohortPaths(o.out).features(slide.id), embedded, 'h5', (final) => {
              const temp = join(paths.featuresDir, `.${slide.id}.${basename(final)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
              temps.push(temp);
              return temp;
            });
            for (const temp of temps) await fsyncFile(temp);
            await ctx.commit();
            for (const [k, temp] of temps.entries()) await rename(temp, finals[k]);
          } finally {
            for (const t of temps) await unlink(t).catch(() => {});
          }
          const patchesPerMpp = Object.fromEntries(sets.map((s) => [String(s.grid.mpp), s.coords.length / 2]));
          patches = sets.reduce((a, s) => a + s.coords.length / 2, 0);
          await writeRecord(o.out, {
            kind: 'embed',
            ...recordCommon(slide, (Date.now() - t0) / 1000),
            state: 'done',
            patches,
            patchesPerMpp,
            encoder: { id: model.id, sha256: model.sha256 },
            slideFingerprint: fingerprint,
            settings,
            outputs: finals.map((f) => relative(o.out, f)),
          });
          ok = true;
          return {
            patches,
            note: embedded.scale.assumed ? `no scale stated; level 0 assumed ${embedded.scale.mpp} µm/px` : undefined,
          };
        } finally {
          await cacheLock?.release();
          await services.after(patches, ok);
        }
      },
      failedRecord(slide, error, base) {
        return {
          kind: 'embed',
          ...base,
          state: 'failed',
          error,
          patches: 0,
          encoder: { id: model.id, sha256: model.sha256 },
          settings,
          outputs: [],
        };
      },
    });
  } finally {
    await services.close();
  }
}
