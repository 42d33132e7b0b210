// A content fingerprint for caches keyed by slide (embeddings, tiles): the same bytes give the same
// fingerprint wherever the file lives or whatever it is called; a changed file gives another.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { FileSource } from './file-source.js';
import { openSlide } from './open-slide.js';
import type { SlideReader } from './slide-reader.js';
import { TiledSlide } from './tiled-slide.js';

/** Bytes sampled at each of the start, quarter points and end of the file. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * SHA-256 (hex) of the file size and five 64 KiB samples: the start (header and usually the first
 * directory), the quarter points (tile data) and the end. Cheap on any file size: five reads.
 */
export async function slideFingerprint(slide: SlideReader | string): Promise<string> {
  if (typeof slide === 'string') {
    if ((await stat(slide).catch(() => null))?.isDirectory()) {
      // A slide that is a folder (DICOM): the fingerprint of its main file (level 0).
      const reader = await openSlide(slide);
      try {
        return await slideFingerprint(reader);
      } finally {
        await reader.close();
      }
    }
    const source = await FileSource.open(slide);
    try {
      return await fingerprintSource(source);
    } finally {
      await source.close();
    }
  }
  if (slide instanceof TiledSlide) return fingerprintSource(slide.source);
  // Readers not backed by one file (future DICOM folders): their metadata, which includes quickhash-1 where known.
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ vendor: slide.vendor, levels: slide.levels, properties: slide.properties }));
  return hash.digest('hex');
}

async function fingerprintSource(source: FileSource): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`tessera-fingerprint-1:${source.size}:`);
  const size = source.size;
  const starts = [0, size / 4, size / 2, (3 * size) / 4, size - SAMPLE_BYTES].map((s) => Math.max(0, Math.floor(s)));
  for (const start of starts) {
    const length = Math.min(SAMPLE_BYTES, size - start);
    if (length > 0) hash.update(await source.read(start, length));
  }
  return hash.digest('hex');
}
