// The cohort's pieces without slides: CSV, manifests, shards, lock files, sbatch scripts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { formatCsv, parseCsv } from './csv.js';
import { FileLock, lockHeld } from './file-lock.js';
import { defaultSlideId, parseManifest } from './manifest.js';
import { inShard, parseShard, resolveShard, shardFromSlurm } from './shard.js';
import { shellQuote, slurmScript, tesseraEntry } from './slurm-script.js';

const dir = tempDir('cohort-units');

test('CSV: quoted fields with commas, quotes and line breaks, CRLF, BOM, blank lines; round trip', () => {
  const text = '\ufeffslide,note\r\n"a,b.svs","say ""hi""\nthere"\r\n\r\nc.svs,\n';
  assert.deepEqual(parseCsv(text), [
    ['slide', 'note'],
    ['a,b.svs', 'say "hi"\nthere'],
    ['c.svs', ''],
  ]);
  const rows = [['x', 'a "q"', 'l1\nl2', ' pad', '']];
  assert.deepEqual(parseCsv(formatCsv(rows)), rows);
  assert.throws(() => parseCsv('a,"b\n'), /unterminated/);
});

test('manifest: ids from file names made unique, explicit ids kept, other columns carried, relative paths', () => {
  const m = parseManifest(
    'Slide,ID,site\nx/A.svs,,1\ny/A.svs,,2\nz/B.ome.tiff,,3\nfolder/dicom-1/,,4\nq.svs,A-2,5\n',
    join(dir, 'm.csv'),
  );
  assert.deepEqual(
    m.slides.map((s) => s.id),
    ['A', 'A-3', 'B', 'dicom-1', 'A-2'],
  );
  assert.equal(m.slides[0].slide, join(dir, 'x', 'A.svs'));
  assert.deepEqual(m.columns, ['site']);
  assert.deepEqual(m.slides[4].columns, { site: '5' });
  assert.equal(defaultSlideId('/p/my slide (1).svs'), 'my_slide_1_');
  assert.throws(() => parseManifest('path\na.svs\n', 'm.csv'), /no "slide" column/);
  assert.throws(() => parseManifest('slide,id\na.svs,x\nb.svs,x\n', 'm.csv'), /appears twice/);
  assert.throws(() => parseManifest('slide,id\na.svs,../x\n', 'm.csv'), /must be letters/);
  assert.throws(() => parseManifest('slide\n', 'm.csv'), /no slides/);
});

test('shards: I/N disjoint and covering; Slurm array defaults; bad values refused', () => {
  const n = 3;
  const owners = Array.from({ length: 10 }, (_, k) => [0, 1, 2].filter((i) => inShard(k, { index: i, count: n })));
  assert.ok(owners.every((o) => o.length === 1));
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  for (const bad of ['3/3', '1', '-1/2', 'a/b', '0/0']) assert.throws(() => parseShard(bad), /--shard/);
  assert.deepEqual(shardFromSlurm({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '5' }), { index: 4, count: 5 });
  assert.deepEqual(shardFromSlurm({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3' }), {
    index: 2,
    count: 3,
  });
  assert.equal(shardFromSlurm({}), undefined);
  assert.deepEqual(
    resolveShard('0/2', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' }),
    { index: 0, count: 2 },
    '--shard wins',
  );
  assert.equal(inShard(5, undefined), true);
});

test('lock files: exclusive, released, stale when the owner pid is gone or untouched past the timeout, never stolen from a live owner', async () => {
  const path = join(dir, 'locks', 'a.lock');
  const a = await FileLock.tryAcquire(path);
  assert.ok(a);
  const owner = JSON.parse(await readFile(path, 'utf8')) as { pid: number; host: string; time: string };
  assert.equal(owner.pid, process.pid);
  assert.equal(owner.host, hostname());
  assert.equal(await FileLock.tryAcquire(path), undefined, 'held');
  assert.ok(await lockHeld(path));
  await a.verify();
  await a.release();
  assert.equal(await lockHeld(path), undefined);
  const b = await FileLock.tryAcquire(path);
  assert.ok(b && !b.tookOver);
  await b.release();

  // A dead owner on this host: taken over at once.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await writeFile(
    path,
    JSON.stringify({ pid: Number(dead), host: hostname(), time: new Date().toISOString(), token: 'dead' }),
  );
  const c = await FileLock.tryAcquire(path);
  assert.match(c?.tookOver ?? '', /is gone/);
  await c!.release();

  // Another host's lock: live until untouched for staleMs; a heartbeat keeps a live lock fresh.
  await writeFile(
    path,
    JSON.stringify({ pid: 1, host: 'other-node', time: new Date().toISOString(), token: 'remote' }),
  );
  assert.equal(await FileLock.tryAcquire(path, { staleMs: 60_000 }), undefined);
  const old = new Date(Date.now() - 120_000);
  await utimes(path, old, old);
  const d = await FileLock.tryAcquire(path, { staleMs: 60_000 });
  assert.match(d?.tookOver ?? '', /not touched/);
  // Lost lock: verify() refuses to commit.
  await writeFile(path, JSON.stringify({ pid: 1, host: 'other-node', time: '', token: 'thief' }));
  await assert.rejects(d!.verify(), /lost the lock/);
  await d!.release();
  assert.equal(JSON.parse(await readFile(path, 'utf8')).token, 'thief', "release leaves another owner's lock alone");

  // Many concurrent takers of one free lock: exactly one wins.
  const e = join(dir, 'locks', 'race.lock');
  const got = await Promise.all(Array.from({ length: 20 }, () => FileLock.tryAcquire(e)));
  assert.equal(got.filter(Boolean).length, 1);
  await got.find(Boolean)!.release();
});

test('sbatch script: array 0..N-1, logs, resources, each task on its shard with the tessera entry, quoted', () => {
  const text = slurmScript({
    kind: 'embed',
    manifest: '/data/my cohort/m.csv',
    out: '/scratch/out',
    logsDir: '/scratch/out/logs',
    tasks: 4,
    partition: 'gpu',
    time: '02:00:00',
    gpusPerTask: 1,
    cpusPerTask: 8,
    mem: '32G',
    commandArgs: ['--mpp', '0.5,1'],
    entry: ['/usr/bin/node', '/opt/tessera/bin/tessera.js'],
    cwd: '/home/u',
  });
  for (const line of [
    '#SBATCH --array=0-3',
    '#SBATCH --output=/scratch/out/logs/embed-%A_%a.log',
    '#SBATCH --partition=gpu',
    '#SBATCH --time=02:00:00',
    '#SBATCH --gpus-per-task=1',
    '#SBATCH --cpus-per-task=8',
    '#SBATCH --mem=32G',
    '#SBATCH --chdir=/home/u',
  ]) {
    assert.ok(text.includes(`${line}\n`), line);
  }
  assert.match(
    text,
    /\nexec \/usr\/bin\/node \/opt\/tessera\/bin\/tessera\.js cohort embed '\/data\/my cohort\/m\.csv' --out \/scratch\/out --mpp 0\.5,1 --shard "\$\{SLURM_ARRAY_TASK_ID\}\/4" --quiet\n/,
  );
  assert.throws(
    () =>
      slurmScript({
        kind: 'embed',
        manifest: '/m',
        out: '/o',
        logsDir: '/o/l',
        tasks: 0,
        commandArgs: [],
        entry: ['node'],
        cwd: '/',
      }),
    /--tasks/,
  );
  assert.throws(
    () =>
      slurmScript({
        kind: 'embed',
        manifest: '/m',
        out: '/o',
        logsDir: '/o/l',
        tasks: 1,
        time: 'soon',
        commandArgs: [],
        entry: ['node'],
        cwd: '/',
      }),
    /--time/,
  );
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.deepEqual(tesseraEntry('/nonexistent/tessera.js', ['--import', 'tsx', '--test', '--inspect=9229']), [
    process.execPath,
    '--import',
    'tsx',
    '/nonexistent/tessera.js',
  ]);
});
