// Test helpers for cohorts: a manifest of the real slides (+ the built-in sample, + a copy of CMU under
// another id), a synthetic probe for the built-in encoder, HDF5 read-back, and the CLI as a child process.
import { spawn } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { findModel } from '../../encoder/model-registry.js';
import { seededRandom } from '../../common/seeded-random.js';
import { shared } from '../../testing/shared-data.js';
import { formatCsv } from '../csv.js';

export const tesseraCli = fileURLToPath(new URL('./tessera-cli.ts', import.meta.url));

/** The five cohort slides: the three shared ones, the sample, and a copy of CMU (another id, same bytes). */
export async function writeCohortManifest(
  dir: string,
  samplePath: string,
  extraRows: string[][] = [],
): Promise<{ path: string; ids: string[] }> {
  const copy = join(dir, 'cmu copy.svs');
  await copyFile(shared('data', 'slides', 'CMU-1-Small-Region.svs'), copy);
  const rows = [
    ['slide', 'id', 'diagnosis', 'note, with comma'],
    [shared('data', 'slides', 'CMU-1-Small-Region.svs'), '', 'tumour', 'said "small"'],
    [shared('data', 'slides', 'TCGA-CR-7395-01A-01-TS1.svs'), '', 'normal', 'JPEG 2000'],
    [shared('data', 'slides', 'dicom-CMU-1-Small-Region'), '', 'tumour', 'DICOM\nfolder'],
    [samplePath, 'sample', 'tumour', ''],
    ['cmu copy.svs', '', '', 'relative path'],
    ...extraRows,
  ];
  const path = join(dir, 'manifest.csv');
  await writeFile(path, formatCsv(rows));
  return {
    path,
    ids: [
      'CMU-1-Small-Region',
      'TCGA-CR-7395-01A-01-TS1',
      'dicom-CMU-1-Small-Region',
      'sample',
      'cmu_copy',
      ...extraRows.map((r) => r[1]),
    ],
  };
}

/** A probe (Tumour / Normal) on the built-in encoder at 2 µm/px with seeded random weights. */
export async function writeSyntheticProbe(path: string): Promise<void> {
  const m = (await findModel(undefined)).manifest;
  const rand = seededRandom(7);
  const dim = m.output.dim;
  const vec = (n: number, f: () => number) => Array.from({ length: n }, f);
  const probe = {
    format: 'tessera-probe',
    version: 1,
    encoder: { modelId: m.id, checksum: m.sha256 },
    magnifications: [2],
    dim,
    classes: [
      { name: 'Tumour', colour: [200, 0, 0] },
      { name: 'Normal', colour: [60, 160, 60] },
    ],
    standardisation: { mean: vec(dim, () => 0), std: vec(dim, () => 1) },
    weights: [vec(dim, () => rand() * 2 - 1), vec(dim, () => rand() * 2 - 1)],
    bias: [0, 0],
    l2: 0.001,
    metrics: { crossValidation: null, perClassCount: [1, 1] },
    training: { slides: [], patchCount: 2, createdAt: new Date(0).toISOString(), warnings: [] },
  };
  await writeFile(path, JSON.stringify(probe));
}

export async function readH5(
  path: string,
): Promise<{ features: Float32Array; coords: Int32Array; attrs: Record<string, unknown> }> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'r');
  try {
    const features = (f.get('features') as InstanceType<typeof h5wasm.Dataset>).value as Float32Array;
    const coords = (f.get('coords') as InstanceType<typeof h5wasm.Dataset>).value as Int32Array;
    const attrs = Object.fromEntries(Object.entries(f.attrs).map(([k, a]) => [k, a.value]));
    return { features: Float32Array.from(features), coords: Int32Array.from(coords), attrs };
  } finally {
    f.close();
  }
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `tessera args…` in a separate process (from source, through tsx). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', tesseraCli, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}

export const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;
