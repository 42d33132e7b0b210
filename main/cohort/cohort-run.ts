// The loop `cohort embed` and `cohort heatmap` share: this shard's slides in manifest order, each under its
// lock (a slide another process holds is left to it), skipped when its record says it is done with the same
// settings, else worked on; a failure is recorded and the others go on. Progress with an ETA on stderr.
import { hostname } from 'node:os';
import { appVersion } from '../services/app-paths.js';
import { describeError } from '../cli/cli-errors.js';
import { cohortPaths, writeCohortFile, writeRecord, type CohortKind, type SlideRecord } from './cohort-files.js';
import { FileLock, type LockOptions } from './file-lock.js';
import type { CohortManifest, CohortSlide } from './manifest.js';
import { inShard, type Shard } from './shard.js';

export interface CohortLog {
  /** One line per slide and the totals (stdout in the CLI). */
  result(line: string): void;
  /** Progress, ETA and warnings (stderr in the CLI; silent with --quiet). */
  progress(line: string): void;
  /** Patch progress inside a slide (a bar on stderr in the CLI). */
  patches?(p: { mpp: number; done: number; total: number; cached: number }, prefix: string): void;
}

export interface CohortRunOptions {
  manifest: CohortManifest;
  out: string;
  shard?: Shard;
  signal?: AbortSignal;
  log: CohortLog;
  lock?: LockOptions;
}

export interface CohortRunResult {
  done: string[];
  skipped: string[];
  failed: { id: string; error: string }[];
  /** Held by another process (left to it). */
  busy: string[];
}

export interface SlideWork {
  /** Why the slide needs no work (its record is done, same settings, outputs readable), or undefined. */
  upToDate(slide: CohortSlide): Promise<string | undefined>;
  /** Does the slide; `commit` must be awaited before outputs are renamed into place (checks the lock is still ours). */
  process(
    slide: CohortSlide,
    ctx: { commit: () => Promise<void>; prefix: string },
  ): Promise<{ patches: number; note?: string }>;
  /** The failed record of a slide. */
  failedRecord(slide: CohortSlide, error: string, base: RecordCommon): SlideRecord;
}

export type RecordCommon = Pick<
  SlideRecord,
  'id' | 'slide' | 'seconds' | 'tesseraVersion' | 'host' | 'pid' | 'finishedAt'
>;

export function recordCommon(slide: CohortSlide, seconds: number): RecordCommon {
  return {
    id: slide.id,
    slide: slide.slide,
    seconds: Math.round(seconds * 1000) / 1000,
    tesseraVersion: appVersion,
    host: hostname(),
    pid: process.pid,
    finishedAt: new Date().toISOString(),
  };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export async function runCohort(kind: CohortKind, o: CohortRunOptions, work: SlideWork): Promise<CohortRunResult> {
  await writeCohortFile(o.out, o.manifest);
  const mine = o.manifest.slides.filter((s) => inShard(s.position, o.shard));
  const result: CohortRunResult = { done: [], skipped: [], failed: [], busy: [] };
  const shardText = o.shard ? ` (shard ${o.shard.index}/${o.shard.count})` : '';
  o.log.progress(`cohort ${kind}: ${mine.length} of ${o.manifest.slides.length} slides${shardText}`);
  const started = Date.now();
  let workedSeconds = 0;
  let worked = 0;
  for (let k = 0; k < mine.length; k++) {
    o.signal?.throwIfAborted();
    const slide = mine[k];
    const prefix = `[${k + 1}/${mine.length}] ${slide.id} `;
    const lock = await FileLock.tryAcquire(cohortPaths(o.out).lock(kind, slide.id), {
      ...o.lock,
      purpose: `tessera cohort ${kind} ${slide.id}`,
    });
    if (!lock) {
      result.busy.push(slide.id);
      o.log.result(`busy ${slide.id}: another process is working on it`);
      continue;
    }
    const t0 = Date.now();
    try {
      if (lock.tookOver) o.log.progress(`${prefix}took over a stale lock (${lock.tookOver})`);
      const why = await work.upToDate(slide);
      if (why) {
        result.skipped.push(slide.id);
        o.log.result(`skipped ${slide.id}: ${why}`);
        continue;
      }
      const { patches, note } = await work.process(slide, { commit: () => lock.verify(), prefix });
      const seconds = (Date.now() - t0) / 1000;
      result.done.push(slide.id);
      o.log.result(`done ${slide.id}: ${patches} patches in ${seconds.toFixed(1)} s${note ? ` (${note})` : ''}`);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      const seconds = (Date.now() - t0) / 1000;
      const message = describeError(err);
      result.failed.push({ id: slide.id, error: message });
      o.log.result(`failed ${slide.id}: ${message}`);
      await writeRecord(o.out, work.failedRecord(slide, message, recordCommon(slide, seconds))).catch((e: unknown) =>
        o.log.progress(`cannot record ${slide.id}: ${describeError(e)}`),
      );
    } finally {
      await lock.release();
    }
    workedSeconds += (Date.now() - t0) / 1000;
    worked++;
    const left = mine.length - k - 1;
    if (left > 0) o.log.progress(`${prefix}— ${left} left, ETA ${formatSeconds((workedSeconds / worked) * left)}`);
  }
  o.log.result(
    `cohort ${kind}${shardText}: ${result.done.length} done, ${result.skipped.length} already done, ${result.failed.length} failed, ` +
      `${result.busy.length} left to other processes, in ${formatSeconds((Date.now() - started) / 1000)}`,
  );
  return result;
}
