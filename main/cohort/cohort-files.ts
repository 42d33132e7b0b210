// Where a cohort's files live under its output folder, and the per-slide status records.
//   cohort.json                      the slides (id, path, manifest columns) of the last run, for `cohort status`
//   features/<id>.h5                 `cohort embed` (several mpps: <id>.mpp-<mpp>.h5, as `tessera embed`)
//   status/<id>.json                 `cohort embed`'s record of each slide
//   heatmap/regions/<id>.geojson     `cohort heatmap`: thresholded regions of the probe's class
//   heatmap/patches/<id>.csv         `cohort heatmap`: per-patch probabilities
//   heatmap/status/<id>.json         `cohort heatmap`'s record of each slide (with its summary row)
//   summary.csv                      assembled from the heatmap records (any shard or `cohort status` rebuilds it)
//   locks/<id>.<embed|heatmap>.lock  held while a process works on a slide
//   slurm/<embed|heatmap>.sbatch, logs/   `cohort slurm`
// Every file is written to a temporary name beside it and renamed into place.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { CohortManifest, CohortSlide } from './manifest.js';

export type CohortKind = 'embed' | 'heatmap';

export const cohortPaths = (dir: string) => ({
  cohortJson: join(dir, 'cohort.json'),
  featuresDir: join(dir, 'features'),
  features: (id: string) => join(dir, 'features', `${id}.h5`),
  status: (kind: CohortKind, id: string) =>
    kind === 'embed' ? join(dir, 'status', `${id}.json`) : join(dir, 'heatmap', 'status', `${id}.json`),
  regions: (id: string) => join(dir, 'heatmap', 'regions', `${id}.geojson`),
  patches: (id: string) => join(dir, 'heatmap', 'patches', `${id}.csv`),
  summary: join(dir, 'summary.csv'),
  lock: (kind: CohortKind, id: string) => join(dir, 'locks', `${id}.${kind}.lock`),
  slurmDir: join(dir, 'slurm'),
  logsDir: join(dir, 'logs'),
});

interface RecordBase {
  id: string;
  slide: string;
  state: 'done' | 'failed';
  /** Failed: what went wrong. */
  error?: string;
  /** Patches embedded / scored (all magnifications). */
  patches: number;
  seconds: number;
  encoder: { id: string; sha256: string | null };
  slideFingerprint?: string;
  tesseraVersion: string;
  host: string;
  pid: number;
  finishedAt: string;
  /** Output files, relative to the cohort folder. */
  outputs: string[];
}

export interface EmbedRecord extends RecordBase {
  kind: 'embed';
  settings: { mpps: number[]; format: 'h5' };
  patchesPerMpp?: Record<string, number>;
}

export interface ClassStats {
  name: string;
  areaMm2: number;
  fraction: number;
  max: number;
  mean: number;
}

export interface HeatmapRecord extends RecordBase {
  kind: 'heatmap';
  settings: { probeSha256: string; probe: string; threshold: number; className: string; mpps: number[] };
  stats?: { tissueAreaMm2: number; patchCount: number; level0Mpp: number; classes: ClassStats[] };
}

export type SlideRecord = EmbedRecord | HeatmapRecord;

/** The record of a slide, or undefined when there is none or it cannot be read (then the slide is redone). */
export async function readRecord<K extends CohortKind>(
  dir: string,
  kind: K,
  id: string,
): Promise<(K extends 'embed' ? EmbedRecord : HeatmapRecord) | undefined> {
  try {
    const r = JSON.parse(await readFile(cohortPaths(dir).status(kind, id), 'utf8')) as SlideRecord;
    if (r?.kind !== kind || r.id !== id || (r.state !== 'done' && r.state !== 'failed')) return undefined;
    return r as K extends 'embed' ? EmbedRecord : HeatmapRecord;
  } catch {
    return undefined;
  }
}

export async function writeRecord(dir: string, record: SlideRecord): Promise<void> {
  await writeFileAtomic(cohortPaths(dir).status(record.kind, record.id), `${JSON.stringify(record, null, 1)}\n`);
}

export interface CohortFile {
  manifest: string;
  columns: string[];
  slides: { id: string; slide: string; columns: Record<string, string> }[];
}

export async function writeCohortFile(dir: string, m: CohortManifest): Promise<void> {
  const c: CohortFile = {
    manifest: m.path,
    columns: m.columns,
    slides: m.slides.map((s) => ({ id: s.id, slide: s.slide, columns: s.columns })),
  };
  const text = `${JSON.stringify(c, null, 1)}\n`;
  const old = await readFile(cohortPaths(dir).cohortJson, 'utf8').catch(() => '');
  if (old !== text) await writeFileAtomic(cohortPaths(dir).cohortJson, text);
}

export async function readCohortFile(dir: string): Promise<CohortFile> {
  let text: string;
  try {
    text = await readFile(cohortPaths(dir).cohortJson, 'utf8');
  } catch {
    throw new Error(
      `${dir} is not a cohort folder (no cohort.json: run \`tessera cohort embed\` or \`cohort heatmap\` with --out ${dir} first)`,
    );
  }
  return JSON.parse(text) as CohortFile;
}

export function manifestFromCohortFile(c: CohortFile): CohortManifest {
  return {
    path: c.manifest,
    columns: c.columns,
    slides: c.slides.map((s, position): CohortSlide => ({ ...s, position })),
  };
}
