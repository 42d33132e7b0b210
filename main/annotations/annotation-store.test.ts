import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDocument } from './annotation-file.js';
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
