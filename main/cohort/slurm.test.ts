// `tessera cohort slurm embed` on a real Slurm (scripts/slurm-single-node.sh start; CI does it): an sbatch of
// 3 array tasks over 5 slides, submitted and awaited, every output identical to a single-process run; then a
// run with one array task cancelled early (scancel), resubmitted, completing with no duplicate, partial or
// corrupt file. Skips with a message when Slurm is not installed or its cluster is not up.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { ensureSampleSlide } from '../sample/sample-slide.js';
import { repoRoot, skipWithoutShared } from '../testing/shared-data.js';
import { runCli } from '../cli/testing/run-cli.js';
import type { EmbedRecord } from './cohort-files.js';
import { readH5, readJson, spawnCli, writeCohortManifest } from './testing/cohort-fixtures.js';

function slurmSkip(): false | string {
  if (skipWithoutShared) return skipWithoutShared;
  for (const cmd of ['sbatch', 'sinfo', 'squeue', 'scancel']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0)
      return `Slurm is not installed (no ${cmd}; apt-get install slurm-wlm munge, then scripts/slurm-single-node.sh start)`;
  }
  const s = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  if (s.status !== 0 || !/idle|mix|alloc/.test(s.stdout))
    return `the Slurm cluster is not up (sinfo: ${(s.stderr || s.stdout).trim().split('\n')[0] || 'no nodes'}); start it with scripts/slurm-single-node.sh start`;
  return false;
}
const skip = slurmSkip();

const root = tempDir('cohort-slurm');
let manifest = '';
let ids: string[] = [];
let env: NodeJS.ProcessEnv = {};

before(async () => {
  if (skip) return;
  const sample = await ensureSampleSlide();
  env = { ...process.env, TESSERA_DATA_DIR: join(root, 'data'), TESSERA_EP: 'cpu' };
  ({ path: manifest, ids } = await writeCohortManifest(root, sample));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const squeue = (job: string) =>
  execFileSync('squeue', ['-h', '-r', '-j', job, '-o', '%i %T'], { encoding: 'utf8' }).trim();

async function waitForJob(job: string, limitMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    let q: string;
    try {
      q = squeue(job);
    } catch {
      return; // the job is gone from squeue's view
    }
    if (q === '') return;
    if (Date.now() - t0 > limitMs) {
      spawnSync('scancel', [job]);
      assert.fail(`job ${job} still queued/running after ${limitMs / 1000} s: ${q}`);
    }
    await sleep(1000);
  }
}

async function writeSbatch(out: string): Promise<string> {
  const r = await spawnCli(
    [
      'cohort',
      'slurm',
      'embed',
      manifest,
      '--out',
      out,
      '--tasks',
      '3',
      '--mpp',
      '2',
      '--cpus-per-task',
      '1',
      '--time',
      '00:10:00',
    ],
    env,
  );
  assert.equal(r.code, 0, r.stderr);
  const file = join(out, 'slurm', 'embed.sbatch');
  assert.match(r.stdout, new RegExp(`wrote ${file}`));
  assert.match(r.stdout, new RegExp(`submit with: sbatch ${file}`));
  return file;
}

const submit = (file: string) =>
  execFileSync('sbatch', ['--parsable', file], { encoding: 'utf8', env, cwd: repoRoot }).trim().split(';')[0];

async function checkComplete(out: string, ref: string): Promise<void> {
  const features = (await readdir(join(out, 'features'))).sort();
  assert.deepEqual(features, ids.map((id) => `${id}.h5`).sort(), 'one file per slide, no temporary or duplicate files');
  const locks = await readdir(join(out, 'locks')).catch(() => [] as string[]);
  assert.deepEqual(locks, [], 'no locks left');
  for (const id of ids) {
    const r = await readJson<EmbedRecord>(join(out, 'status', `${id}.json`));
    assert.equal(r.state, 'done', `${id}: ${r.error ?? ''}`);
    const got = await readH5(join(out, 'features', `${id}.h5`));
    const want = await readH5(join(ref, 'features', `${id}.h5`));
    assert.deepEqual(got.coords, want.coords, id);
    assert.deepEqual(got.features, want.features, id);
    assert.equal(got.coords.length / 2, r.patches);
  }
}

test(
  'Slurm: sbatch of 3 array tasks over 5 slides = a single-process run; a cancelled task is finished by resubmitting',
  { skip, timeout: 300_000 },
  async () => {
    // The reference: one process, same cache folder as the jobs.
    process.env.TESSERA_DATA_DIR = env.TESSERA_DATA_DIR;
    process.env.TESSERA_EP = 'cpu';
    const ref = join(root, 'ref');
    const single = await runCli(['cohort', 'embed', manifest, '--out', ref, '--mpp', '2', '--quiet']);
    assert.equal(single.code, 0, single.stdout);

    const out = join(root, 'run1');
    const file = await writeSbatch(out);
    const job = submit(file);
    await waitForJob(job, 150_000);
    const logs = (await readdir(join(out, 'logs'))).filter((f) => f.startsWith(`embed-${job}_`)).sort();
    assert.deepEqual(
      logs,
      [0, 1, 2].map((i) => `embed-${job}_${i}.log`),
    );
    await checkComplete(out, ref);
    const status = await runCli(['cohort', 'status', out, '--json']);
    assert.equal(JSON.parse(status.stdout).embed.done, ids.length);

    // Cancel one array task early, then resubmit the same script: the cohort completes, nothing redone twice.
    const out2 = join(root, 'run2');
    env.TESSERA_DATA_DIR = join(root, 'data-cold'); // a cold cache: the tasks take a while
    const file2 = await writeSbatch(out2);
    const job2 = submit(file2);
    const t0 = Date.now();
    while (!/_0 RUNNING/.test(squeue(job2)) && Date.now() - t0 < 60_000) await sleep(200);
    await sleep(1500);
    execFileSync('scancel', [`${job2}_0`]);
    await waitForJob(job2, 120_000);
    const afterCancel = JSON.parse((await runCli(['cohort', 'status', out2, '--json'])).stdout) as {
      embed?: { done: number };
    };
    const job3 = submit(file2);
    await waitForJob(job3, 120_000);
    await checkComplete(out2, ref);
    const tmp = (await readdir(out2, { recursive: true })).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(tmp, []);
    process.stderr.write(
      `slurm test: after scancel ${afterCancel.embed?.done ?? 0}/${ids.length} done; resubmitted job ${job3} finished the rest\n`,
    );
  },
);
