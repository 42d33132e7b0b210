import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlideService } from './slide-service.js';
import { inMemoryBackend } from './testing/in-memory-backend.js';

const dicom = (bytes: number): Buffer => {
  const b = Buffer.alloc(bytes);
  b.write('DICM', 128, 'latin1');
  return b;
};

test('a DICOM folder reports the total size of its DICOM files, not the folder entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-dicom-size-'));
  try {
    const folder = join(dir, 'series');
    mkdirSync(folder);
    writeFileSync(join(folder, 'level-0'), dicom(50_000)); // DICOM without the extension
    writeFileSync(join(folder, 'level-1.dcm'), dicom(20_000));
    writeFileSync(join(folder, 'notes.txt'), 'not part of the slide\n'.repeat(100));
    mkdirSync(join(folder, 'sub'));
    const slides = new SlideService(inMemoryBackend(join(dir, 'sample.tiff')));
    const info = await slides.open(folder);
    assert.equal(info.fileSize, 70_000);
    // A plain file still reports its own size.
    writeFileSync(join(dir, 'slide.svs'), Buffer.alloc(1234));
    assert.equal((await slides.open(join(dir, 'slide.svs'))).fileSize, 1234);
    await slides.closeAll();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
