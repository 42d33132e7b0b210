// `tessera cohort status DIR`: per step (embed, heatmap), how many slides are done / failed / pending
// (a done record whose outputs are gone counts as pending), which are running (locked by a live process),
// and the failures. Rebuilds summary.csv when there are heatmap records.
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cohortPaths, manifestFromCohortFile, readCohortFile, readRecord, type CohortKind } from './cohort-files.js';
import { writeSummary } from './cohort-heatmap.js';
import { lockHeld } from './file-lock.js';

export interface StepStatus {
  total: number;
  done: number;
  failed: number;
  pending: number;
  /** Of the pending or failed: held by a live process right now. */
  running: string[];
  failures: { id: string; slide: string; error: string }[];
  pendingIds: string[];
}

export interface CohortStatus {
  dir: string;
  manifest: string;
  slides: number;
  embed?: StepStatus;
  heatmap?: StepStatus;
  summary?: string;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function isRunning(lockPath: string): Promise<boolean> {
  return (await exists(lockPath)) && (await lockHeld(lockPath)) !== undefined;
}

export async function cohortStatus(dir: string, options: { rebuildSummary?: boolean } = {}): Promise<CohortStatus> {
  const file = await readCohortFile(dir);
  const manifest = manifestFromCohortFile(file);
  const paths = cohortPaths(dir);
  const status: CohortStatus = { dir, manifest: file.manifest, slides: manifest.slides.length };
  for (const kind of ['embed', 'heatmap'] as CohortKind[]) {
    const statusDir = join(paths.status(kind, 'x'), '..');
    const any = (await readdir(statusDir).catch(() => [] as string[])).some((n) => n.endsWith('.json'));
    if (!any && !(kind === 'embed' && (await exists(paths.featuresDir)))) continue;
    const s: StepStatus = {
      total: manifest.slides.length,
      done: 0,
      failed: 0,
      pending: 0,
      running: [],
      failures: [],
      pendingIds: [],
    };
    for (const slide of manifest.slides) {
      const r = await readRecord(dir, kind, slide.id);
      const outputsThere =
        r?.state === 'done' && (await Promise.all(r.outputs.map((o) => exists(join(dir, o))))).every(Boolean);
      if (r?.state === 'done' && outputsThere) s.done++;
      else {
        if (r?.state === 'failed') {
          s.failed++;
          s.failures.push({ id: slide.id, slide: slide.slide, error: r.error ?? 'unknown error' });
        } else {
          s.pending++;
          s.pendingIds.push(slide.id);
        }
        if (await isRunning(paths.lock(kind, slide.id))) s.running.push(slide.id);
      }
    }
    status[kind] = s;
  }
  if (status.heatmap && options.rebuildSummary !== false) {
    await writeSummary(dir, manifest);
    status.summary = paths.summary;
  }
  return status;
}

export function formatCohortStatus(s: CohortStatus): string {
  const lines = [`cohort ${s.dir}: ${s.slides} slides (manifest ${s.manifest})`];
  for (const kind of ['embed', 'heatmap'] as const) {
    const st = s[kind];
    if (!st) continue;
    lines.push(
      `${kind}: ${st.done} done, ${st.failed} failed, ${st.pending} pending${st.running.length ? ` (${st.running.length} running: ${st.running.join(', ')})` : ''}`,
    );
    for (const f of st.failures) lines.push(`  failed ${f.id} (${f.slide}): ${f.error}`);
  }
  if (!s.embed && !s.heatmap) lines.push('nothing run yet');
  if (s.summary) lines.push(`summary: ${s.summary}`);
  return `${lines.join('\n')}\n`;
}
