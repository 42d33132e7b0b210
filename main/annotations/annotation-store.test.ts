import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDocument, saveDocument } from './annotation-file.js';
import { AnnotationStore } from './annotation-store.js';

const rect = (id: string, x: number) => ({ id, className: 'Tumour', geometry: { type: 'rectangle' as const, x, y: 0, width: 10, height: 10 } });

test('store: edits autosave after the debounce, undo/redo keep the index in step, reopen restores', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-ann-'));
  try {
    const store = await AnnotationStore.open('slideA', { dataDir, autosaveDelayMs: 20 });
    assert.deepEqual(store.doc.classes.map((c) => c.name), ['Tumour', 'Normal', 'Stroma', 'Background']);
    store.execute({ kind: 'add', annotations: [rect('r1', 0), rect('r2', 100)] });
    store.execute({ kind: 'replace', before: store.get('r2')!, after: { ...rect('r2', 200), className: 'Stroma' } });
    assert.deepEqual(store.index.hitTest(205, 5).map((a) => a.id), ['r2']);
    store.undo();
    assert.deepEqual(store.index.hitTest(105, 5).map((a) => a.id), ['r2']);
    assert.equal(store.index.hitTest(205, 5).length, 0);
    store.redo();
    assert.equal(store.get('r2')!.className, 'Stroma');
    assert.throws(() => store.execute({ kind: 'add', annotations: [rect('r1', 0)] }), /already exists/);
    assert.equal(store.doc.annotations.length, 2);
    // The debounce saves on its own (poll: the suite may run on loaded machines).
    let text = '';
    for (let waited = 0; !text && waited < 10_000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
      text = await readFile(store.path, 'utf8').catch(() => '');
    }
    const saved = parseDocument(text);
    assert.equal(saved.annotations.length, 2);
    await store.close();
    const again = await AnnotationStore.open('slideA', { dataDir });
    assert.equal(again.get('r2')!.className, 'Stroma');
    await assert.rejects(AnnotationStore.open('../evil', { dataDir }), /not a safe file name/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('store: a process killed mid-save always leaves a parseable file with the last or the previous state', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-crash-'));
  const child = fileURLToPath(new URL('./testing/save-forever.ts', import.meta.url));
  try {
    let kills = 0;
    for (let round = 0; round < 6; round++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, 'crashslide'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let lastSaved = -1;
      let out = '';
      proc.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = out.match(/saved (\d+)\n(?!.*saved)/s);
        if (m) lastSaved = Number(m[1]);
      });
      // Kill at a different moment each round, once saving is under way.
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (lastSaved >= 0) {
            clearInterval(check);
            setTimeout(() => {
              proc.kill('SIGKILL');
              resolve();
            }, 5 + round * 17);
          }
        }, 5);
      });
      await new Promise((r) => proc.once('exit', r));
      kills++;
      const doc = parseDocument(await readFile(join(dataDir, 'annotations', 'crashslide.json'), 'utf8'));
      const n = doc.annotations.length;
      assert.ok(n === lastSaved || n === lastSaved + 1, `round ${round}: file has ${n} annotations, last reported save ${lastSaved}`);
    }
    assert.equal(kills, 6);
    const leftovers = (await readdir(join(dataDir, 'annotations'))).filter((f) => f.endsWith('.tmp'));
    assert.ok(leftovers.length <= 6, 'at most one orphaned temp file per kill');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** Polls `done` every 10 ms for up to 10 s (the suite may run on a loaded machine). */
async function waitFor(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let waited = 0; !(await done()) && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

const point = (id: string, x: number) => ({ id, className: 'Tumour', geometry: { type: 'point' as const, x, y: 0 } });
const savedCount = async (path: string) => {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text ? parseDocument(text).annotations.length : 0;
};
const diskFull = (): NodeJS.ErrnoException => Object.assign(new Error("ENOSPC: no space left on device, write '/x/.a.json.1.ab.tmp'"), { code: 'ENOSPC', syscall: 'write' });

test('store: under continuous editing (every 50 ms for 3 s) the file is never more than ~1 s behind', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-maxwait-'));
  try {
    // The default timings: 500 ms quiet time, saved at the latest 1 s after the first unsaved edit.
    const store = await AnnotationStore.open('busy', { dataDir });
    const editedAt: number[] = [];
    const lags: number[] = [];
    const slack = 500; // a loaded machine's timer and save latency
    const start = Date.now();
    let nextCheck = start + 1200;
    while (Date.now() - start < 3000) {
      store.execute({ kind: 'add', annotations: [point(`p${editedAt.length}`, editedAt.length)] });
      editedAt.push(Date.now());
      await new Promise((r) => setTimeout(r, 50));
      if (Date.now() >= nextCheck) {
        nextCheck += 300;
        const now = Date.now();
        const saved = await savedCount(store.path);
        // The oldest edit not on disk yet, and how long ago it was made.
        const lag = saved >= editedAt.length ? 0 : now - editedAt[saved];
        lags.push(lag);
        assert.ok(lag <= 1000 + slack, `at ${now - start} ms: ${saved} of ${editedAt.length} edits on disk, the oldest unsaved one ${lag} ms old`);
      }
    }
    assert.ok(lags.length >= 5, `checked ${lags.length} times`);
    await store.close();
    assert.equal(await savedCount(store.path), editedAt.length);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('store: a process killed with -9 under continuous editing loses at most ~1 s of edits', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-kill-'));
  const child = fileURLToPath(new URL('./testing/edit-forever.ts', import.meta.url));
  try {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, 'killslide'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const reportedAt: number[] = []; // reportedAt[n - 1]: when edit n was reported
    let out = '';
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      for (const m of out.matchAll(/edit (\d+)\n/g)) reportedAt[Number(m[1]) - 1] ??= Date.now();
      out = out.slice(out.lastIndexOf('\n') + 1);
    });
    // Edit for 2.5 s once the child is under way, then kill it.
    for (let waited = 0; reportedAt.length === 0 && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.ok(reportedAt.length > 0, 'the child started editing');
    await new Promise((r) => setTimeout(r, 2500));
    const killedAt = Date.now();
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    const saved = await savedCount(join(dataDir, 'annotations', 'killslide.json'));
    const mustHave = reportedAt.filter((t) => t <= killedAt - 1000 - 500).length;
    assert.ok(saved >= mustHave, `${saved} edits on disk; ${mustHave} of ${reportedAt.length} were made over 1.5 s before the kill`);
    assert.ok(saved <= reportedAt.length + 1);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('store: a failed autosave keeps the edits dirty, reports why, retries with backoff, and saves once the disk recovers', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-fail-'));
  try {
    let failing = true;
    const calls: number[] = [];
    const store = await AnnotationStore.open('full', {
      dataDir,
      autosaveDelayMs: 10,
      retryDelayMs: 40,
      retryMaxDelayMs: 120,
      save: async (path, doc) => {
        calls.push(Date.now());
        if (failing) throw diskFull();
        await saveDocument(path, doc);
      },
    });
    const states: string[] = [];
    store.onSaveState((s) => states.push(s.status));
    store.execute({ kind: 'add', annotations: [point('a', 1)] });
    await waitFor(() => calls.length >= 5);
    assert.equal(store.saveState.status, 'failed');
    assert.match(store.saveState.error ?? '', /disk is full.*ENOSPC/);
    assert.doesNotMatch(store.saveState.error ?? '', /\.tmp|\//, 'the reason names no path');
    assert.ok(store.saveState.failures >= 4);
    // Retries back off: 40, 80, then capped at 120 ms.
    const gaps = calls.slice(1).map((t, i) => t - calls[i]);
    assert.ok(gaps[0] >= 35 && gaps[1] >= 75 && gaps[2] >= 115 && gaps[3] >= 115, `gaps ${gaps.join(', ')}`);
    assert.ok(gaps[3] < 1000, `capped: ${gaps.join(', ')}`);
    // Edits keep coming while the disk is full; then it recovers and the next retry saves everything.
    store.execute({ kind: 'add', annotations: [point('b', 2)] });
    failing = false;
    await waitFor(() => store.saveState.status === 'saved');
    assert.equal(store.saveState.status, 'saved');
    assert.equal(store.saveState.failures, 0);
    assert.equal(await savedCount(store.path), 2);
    assert.ok(states.includes('failed') && states.at(-1) === 'saved', states.join(' '));
    // Autosave still works after the failure.
    store.execute({ kind: 'add', annotations: [point('c', 3)] });
    await waitFor(async () => (await savedCount(store.path)) >= 3);
    assert.equal(await savedCount(store.path), 3);
    await store.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('store: close() saves, or rejects with the reason and tries again on the next close()', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-close-'));
  try {
    let failing = true;
    const store = await AnnotationStore.open('closing', {
      dataDir,
      autosaveDelayMs: 60_000,
      save: async (path, doc) => {
        if (failing) throw diskFull();
        await saveDocument(path, doc);
      },
    });
    store.execute({ kind: 'add', annotations: [point('a', 1)] });
    await assert.rejects(store.close(), /could not be saved: the disk is full \(ENOSPC\)/);
    assert.equal(store.saveState.status, 'failed');
    assert.equal(await savedCount(store.path), 0);
    failing = false;
    await store.close();
    assert.equal(await savedCount(store.path), 1);
    assert.equal(store.saveState.status, 'saved');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('store: after a save fails (the folder cannot be made), later autosaves still happen', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-blocked-'));
  try {
    const store = await AnnotationStore.open('blocked', { dataDir, autosaveDelayMs: 10 });
    await writeFile(join(dataDir, 'annotations'), 'a file where the annotations folder goes');
    store.execute({ kind: 'add', annotations: [point('a', 1)] });
    await assert.rejects(store.flush());
    await rm(join(dataDir, 'annotations'));
    store.execute({ kind: 'add', annotations: [point('b', 2)] });
    let saved = 0;
    for (let waited = 0; saved < 2 && waited < 10_000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
      saved = await savedCount(store.path);
    }
    assert.equal(saved, 2, 'both edits saved by autosave once the folder can be made');
    await store.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
