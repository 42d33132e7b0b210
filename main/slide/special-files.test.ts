// Named pipes and devices given as slides: refused at once with a SlideError, never a hang or an endless read.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { openSlide } from './open-slide.js';
import { FileSource } from './file-source.js';
import { slideFingerprint } from './slide-fingerprint.js';
import { SlideError } from './slide-errors.js';
import { tempDir } from './testing/fixtures.js';

const dir = tempDir();
const fifo = dir.file('slide.svs');
execFileSync('mkfifo', [fifo]);

after(() => {
  // Wake any reader left blocked on the FIFO (only before the fix), so the test process can end.
  for (let k = 0; k < 8; k++) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      break; // ENXIO: nobody is reading it
    }
  }
  dir.remove();
});

/** `work` must reject with a SlideError matching `pattern` within two seconds. */
async function refusedQuickly(work: Promise<unknown>, pattern: RegExp): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('still waiting after 2 s: the open blocked')), 2000);
  });
  try {
    await assert.rejects(Promise.race([work, timeout]), (err: unknown) => {
      assert.ok(err instanceof SlideError, `expected a SlideError, got ${String(err)}`);
      assert.equal(err.code, 'unsupported-format');
      assert.match(err.message, pattern);
      return true;
    });
  } finally {
    clearTimeout(timer);
  }
}

test('a FIFO as a slide is refused at once', { timeout: 10_000 }, async () => {
  await refusedQuickly(openSlide(fifo), /not a regular file.*named pipe/);
  await refusedQuickly(FileSource.open(fifo), /not a regular file/);
  await refusedQuickly(slideFingerprint(fifo), /not a regular file/);
});

test('/dev/zero as a slide is refused without reading it', { timeout: 10_000 }, async () => {
  const before = process.memoryUsage().rss;
  await refusedQuickly(openSlide('/dev/zero'), /\/dev\/zero is not a regular file.*device/);
  await refusedQuickly(slideFingerprint('/dev/zero'), /not a regular file/);
  assert.ok(process.memoryUsage().rss - before < 64 << 20, 'nothing large was read');
});
