// writeFileAtomic: replacement, refusal without overwrite, and no temp file left behind on any failure path.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileExistsError, writeFileAtomic } from './atomic-write.js';

const errno = (code: string, syscall: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: injected failure, ${syscall}`), { code, syscall });

/** `open` whose handles fail at `step` (the temp file itself is really created). */
function failingOpen(step: 'writeFile' | 'sync' | 'close', err: NodeJS.ErrnoException): typeof open {
  return (async (...args: Parameters<typeof open>) => {
    const real = await open(...args);
    const fail = async () => {
      throw err;
    };
    return {
      writeFile: step === 'writeFile' ? fail : real.writeFile.bind(real),
      sync: step === 'sync' ? fail : real.sync.bind(real),
      close: step === 'close' ? async () => (await real.close(), fail()) : real.close.bind(real),
    } as unknown as FileHandle;
  }) as typeof open;
}

const temps = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.tmp'));

test('atomic write: replaces the file, and refuses an existing one without overwrite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-atomic-'));
  try {
    const path = join(dir, 'sub', 'a.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    assert.equal(await readFile(path, 'utf8'), 'two');
    await assert.rejects(writeFileAtomic(path, 'three', { overwrite: false }), FileExistsError);
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.deepEqual(await temps(join(dir, 'sub')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('atomic write: a failed write, sync, close or rename leaves the old file and no temp file behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-atomic-'));
  try {
    const path = join(dir, 'a.json');
    await writeFile(path, 'old');
    for (const [step, code] of [
      ['writeFile', 'ENOSPC'],
      ['sync', 'EIO'],
      ['close', 'EIO'],
    ] as const) {
      for (const overwrite of [true, false]) {
        await assert.rejects(
          writeFileAtomic(path, 'new', { overwrite, openFile: failingOpen(step, errno(code, step)) }),
          { code },
          `${step} ${overwrite}`,
        );
        assert.equal(await readFile(path, 'utf8'), 'old', `${step}: the old file stays`);
        assert.deepEqual(await temps(dir), [], `${step} (overwrite ${overwrite}): no temp file left`);
      }
    }
    // rename(2) onto a non-empty folder fails after the temp file is complete.
    const folder = join(dir, 'folder');
    await mkdir(folder);
    await writeFile(join(folder, 'x'), 'x');
    await assert.rejects(writeFileAtomic(folder, 'new'));
    assert.deepEqual(await temps(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('atomic write: a full disk is a FileWriteError naming the file asked for (not the temp file); the API answers 507 with it', async () => {
  const { FileWriteError } = await import('./atomic-write.js');
  const { toApiError } = await import('../services/api-error.js');
  const dir = await mkdtemp(join(tmpdir(), 'tessera-atomic-'));
  try {
    const path = join(dir, 'heatmap.png');
    const err = await writeFileAtomic(path, 'x', { openFile: failingOpen('writeFile', errno('ENOSPC', 'write')) }).then(
      () => assert.fail('the write must fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FileWriteError);
    assert.equal(err.code, 'ENOSPC', 'the errno code is kept for callers that act on it');
    assert.equal(err.message, `Could not write ${path}: the disk is full (ENOSPC)`);
    assert.doesNotMatch(err.message, /\.tmp/);
    const api = toApiError(err);
    assert.deepEqual([api.status, api.code], [507, 'disk-full']);
    assert.match(api.message, /heatmap\.png: the disk is full/);
    const denied = toApiError(new FileWriteError(path, 'EACCES'));
    assert.deepEqual([denied.status, denied.code], [403, 'not-writable']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
