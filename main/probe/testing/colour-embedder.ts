// A stand-in embedding source for tests: per-patch RGB mean/std (6 features) of real slide pixels on the
// contract's patch grid. Meaningful enough to tell tissue from background; not an encoder.
import sharp from 'sharp';
import { colourStats } from '../../encoder/testing/pcam.js';
import { cellsInRect, patchGrid, patchOrigin, slideScale } from '../../encoder/patch-grid.js';
import { openSlide } from '../../slide/open-slide.js';
import { slideFingerprint } from '../../slide/slide-fingerprint.js';
import type { EmbedSlide } from '../slide-embeddings.js';

export const colourModelId = 'test-colour-stats';

export const colourEmbedder: EmbedSlide = async (req) => {
  const reader = await openSlide(req.slidePath);
  try {
    const { width, height } = reader.levels[0];
    const scale = slideScale(reader);
    const fingerprint = await slideFingerprint(reader);
    const rects = req.regions && !req.allTissue ? req.regions : [{ x: 0, y: 0, width, height }];
    const sets = [];
    for (const mpp of req.mpps) {
      const grid = patchGrid(mpp, scale);
      const cells = new Map<string, [number, number]>();
      for (const r of rects) for (const c of cellsInRect(grid, r, width, height)) cells.set(c.join(), c);
      const coords = new Int32Array(cells.size * 2);
      const features = new Float32Array(cells.size * 6);
      let k = 0;
      for (const [i, j] of cells.values()) {
        const [x, y] = patchOrigin(grid, i, j);
        const side = Math.round(grid.level0Size);
        const img = await reader.readRegion(0, x, y, side, side);
        const { data } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } }).removeAlpha().resize(56, 56).raw().toBuffer({ resolveWithObject: true });
        coords[2 * k] = x;
        coords[2 * k + 1] = y;
        features.set(colourStats(new Uint8Array(data.buffer, data.byteOffset, data.length)), 6 * k);
        k++;
        req.onProgress?.(k, cells.size);
      }
      sets.push({ slideFingerprint: fingerprint, modelId: colourModelId, grid, dim: 6, coords, features });
    }
    return { slideFingerprint: fingerprint, frame: { width, height, mpp: reader.mpp }, encoder: { modelId: colourModelId, checksum: null }, sets };
  } finally {
    await reader.close();
  }
};
