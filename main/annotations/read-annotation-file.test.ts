// Annotation files a user names: named pipes, devices and huge files are refused quickly and clearly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnotationImportError } from './annotation-import-error.js';
import { maxAnnotationFileBytes, readAnnotationFile } from './read-annotation-file.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-annotation-file-'));
const fifo = join(dir, 'regions.geojson');
execFileSync('mkfifo', [fifo]);

after(() => {
  for (let k = 0; k < 8; k++) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

async function refusedQuickly(work: Promise<unknown>, pattern: RegExp): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('still waiting after 2 s: the read blocked')), 2000);
  });
  try {
    await assert.rejects(Promise.race([work, timeout]), (err: unknown) => {
      assert.ok(err instanceof AnnotationImportError, `expected an AnnotationImportError, got ${String(err)}`);
      assert.match(err.message, pattern);
      return true;
    });
  } finally {
    clearTimeout(timer);
  }
}

test('a FIFO as an annotation file is refused at once', { timeout: 10_000 }, async () => {
  await refusedQuickly(readAnnotationFile(fifo), /regions\.geojson.*not a regular file.*named pipe/);
});

test('/dev/zero as an annotation file is refused without reading it', { timeout: 10_000 }, async () => {
  const before = process.memoryUsage().rss;
  await refusedQuickly(readAnnotationFile('/dev/zero'), /\/dev\/zero.*not a regular file/);
  assert.ok(process.memoryUsage().rss - before < 64 << 20, 'nothing large was read');
});

test('an annotation file over the size limit is refused before reading', { timeout: 10_000 }, async () => {
  const big = join(dir, 'huge.geojson');
  writeFileSync(big, '');
  truncateSync(big, maxAnnotationFileBytes + 1); // sparse: no disk used
  await refusedQuickly(readAnnotationFile(big), /huge\.geojson.*larger than.*512 MiB/);
});

test('a missing file still fails with ENOENT; a small file is read', async () => {
  await assert.rejects(readAnnotationFile(join(dir, 'missing.geojson')), /ENOENT|no such file/i);
  const ok = join(dir, 'ok.geojson');
  writeFileSync(ok, JSON.stringify({ type: 'FeatureCollection', features: [] }));
  const r = await readAnnotationFile(ok);
  assert.deepEqual(r.annotations, []);
});
