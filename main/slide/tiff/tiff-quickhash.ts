// OpenSlide's `openslide.quickhash-1` for TIFF-based slides: SHA-256 of the smallest level's raw tiles,
// then each `tiff.*` string property name and value (NUL-terminated, "" when absent). Matches OpenSlide.
import { createHash } from 'node:crypto';
import type { TiffFile, TiffTags } from './tiff-file.js';
import { readTiffPiece, type TiffImage } from './tiff-image.js';
import { TIFF_STRING_TAGS } from './tiff-properties.js';

/** OpenSlide refuses to hash more than this; we leave the property out instead. */
const MAX_HASHED_BYTES = 5 << 20;

/** The hash, or null when the tiles are too many to hash or cannot be read (the reads will say why later). */
export async function tiffQuickHash(file: TiffFile, smallest: TiffImage, propertyTags: TiffTags): Promise<string | null> {
  try {
    return await hashTiles(file, smallest, propertyTags);
  } catch {
    return null;
  }
}

async function hashTiles(file: TiffFile, smallest: TiffImage, propertyTags: TiffTags): Promise<string | null> {
  const total = smallest.byteCounts.reduce((a, b) => a + b, 0);
  if (!smallest.tiled || total > MAX_HASHED_BYTES) return null;
  const hash = createHash('sha256');
  for (let row = 0; row < smallest.tilesDown; row++) {
    for (let col = 0; col < smallest.tilesAcross; col++) hash.update(await readTiffPiece(file, smallest, col, row));
  }
  const nul = Buffer.from([0]);
  for (const [name, tag] of TIFF_STRING_TAGS) {
    hash.update(name);
    hash.update(nul);
    const value = propertyTags.string(tag);
    if (value !== undefined) hash.update(value, 'utf8');
    hash.update(nul);
  }
  return hash.digest('hex');
}
