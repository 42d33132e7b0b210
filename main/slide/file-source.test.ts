// FileSource: exact reads with clear errors, and the pacing that makes small reads inline only while the
// file answers from the page cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { FileSource, ReadPacing } from './file-source.js';
import { tempDir } from './testing/fixtures.js';
import { isSlideError } from './slide-errors.js';

test('reads go inline after 16 fast thread-pool reads in a row, and back to the pool for 30 s after one slow inline read', () => {
  const p = new ReadPacing();
  for (let i = 0; i < 15; i++) p.asyncRead(0.05);
  assert.equal(p.sync(), false);
  p.asyncRead(0.5); // a slow one starts the count again
  for (let i = 0; i < 15; i++) p.asyncRead(0.05);
  assert.equal(p.sync(), false);
  p.asyncRead(0.05);
  assert.equal(p.sync(), true);
  p.syncRead(0.01);
  assert.equal(p.sync(), true);
  p.syncRead(5);
  assert.equal(p.sync(), false);
  for (let i = 0; i < 32; i++) p.asyncRead(0.05);
  assert.equal(p.sync(), false, 'backing off');
});

test('inline and thread-pool reads return the same bytes; reads past the end are truncated errors either way', async () => {
  const dir = tempDir();
  try {
    const path = dir.file('data.bin');
    const data = Buffer.alloc(100_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 255;
    writeFileSync(path, data);
    const source = await FileSource.open(path);
    try {
      const seen: Buffer[] = [];
      for (let i = 0; i < 40; i++) seen.push(await source.read(i * 1000, 3000));
      seen.forEach((b, i) => assert.ok(b.equals(data.subarray(i * 1000, i * 1000 + 3000)), `read ${i}`));
      assert.ok(source.pacing.inlineReads > 0 && source.pacing.inlineReads < 40, `inline reads: ${source.pacing.inlineReads} of 40`);
      await assert.rejects(source.read(99_000, 2000), (err) => isSlideError(err) && err.code === 'truncated');
      await assert.rejects(source.read(-1, 10), (err) => isSlideError(err) && err.code === 'corrupt');
    } finally {
      await source.close();
    }
  } finally {
    dir.remove();
  }
});
