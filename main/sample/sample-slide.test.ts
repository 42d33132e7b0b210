import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openSlide } from '../slide/open-slide.js';
import { DeepZoomTileService } from '../tiles/deepzoom-tile-service.js';
import { SAMPLE_SLIDE, SAMPLE_TISSUE_REGIONS, SAMPLE_TUMOUR_REGIONS, ensureSampleSlide, sampleLabelPath, sampleSlidePath } from './sample-slide.js';

function centroid(polygon: [number, number][]): [number, number] {
  const n = polygon.length;
  return [polygon.reduce((s, p) => s + p[0], 0) / n, polygon.reduce((s, p) => s + p[1], 0) / n];
}

function insidePolygon([x, y]: [number, number], polygon: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

async function meanRgb(slide: Awaited<ReturnType<typeof openSlide>>, [x, y]: [number, number]): Promise<number[]> {
  const { data } = await slide.readRegion(0, Math.round(x) - 128, Math.round(y) - 128, 256, 256);
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c] += data[i + c];
  return sum.map((s) => s / (data.length / 4));
}

test('the sample slide is generated once into TESSERA_DATA_DIR and reads as a 40× pyramid with tumour where the ground truth says', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-sample-'));
  const saved = process.env.TESSERA_DATA_DIR;
  process.env.TESSERA_DATA_DIR = dir;
  try {
    const path = await ensureSampleSlide();
    assert.equal(path, sampleSlidePath());
    assert.ok(path.startsWith(dir));
    assert.equal(await ensureSampleSlide(), path, 'reused');
    assert.ok(existsSync(sampleLabelPath()));
    const label = await sharp(sampleLabelPath()).metadata();
    assert.deepEqual([label.width, label.height], [SAMPLE_SLIDE.label.width, SAMPLE_SLIDE.label.height]);

    const slide = await openSlide(path);
    try {
      assert.deepEqual([slide.levels[0].width, slide.levels[0].height], [20480, 15360]);
      assert.equal(slide.levels.length, 8);
      assert.deepEqual([slide.levels[0].tileWidth, slide.levels[0].tileHeight], [256, 256]);
      assert.equal(slide.properties['tiff.XResolution'] !== undefined || slide.mpp !== null, true);
      if (slide.mpp) assert.ok(Math.abs(slide.mpp.x - 0.25) < 1e-6, `mpp ${slide.mpp.x}`);

      // Tumour is dense dark nuclei: darker and bluer than stroma; background is near white.
      const tumour = await meanRgb(slide, centroid(SAMPLE_TUMOUR_REGIONS[0].polygon));
      const tissue = SAMPLE_TISSUE_REGIONS[0].polygon;
      // A stroma point: inside tissue 1, outside every tumour region.
      const [cx, cy] = centroid(tissue);
      let stromaPoint: [number, number] = [cx, cy];
      for (let dy = 0; dy < 4000; dy += 250) {
        const p: [number, number] = [cx, cy + dy];
        if (insidePolygon(p, tissue) && SAMPLE_TUMOUR_REGIONS.every((r) => !insidePolygon([p[0], p[1]], r.polygon) && Math.hypot(p[0] - centroid(r.polygon)[0], p[1] - centroid(r.polygon)[1]) > 2500)) {
          stromaPoint = p;
          break;
        }
      }
      const stroma = await meanRgb(slide, stromaPoint);
      const background = await meanRgb(slide, [300, 15000]);
      const brightness = (c: number[]) => c[0] + c[1] + c[2];
      assert.ok(brightness(tumour) < brightness(stroma) - 100, `tumour ${tumour} vs stroma ${stroma}`);
      assert.ok(stroma[0] > stroma[1] + 30, `stroma is pink: ${stroma}`);
      assert.ok(background.every((v) => v > 235), `background ${background}`);
      for (const region of SAMPLE_TUMOUR_REGIONS) {
        assert.ok(region.polygon.length >= 64);
        assert.ok(region.polygon.every(([x, y]) => x > 0 && y > 0 && x < 20480 && y < 15360));
      }

      const tiles = new DeepZoomTileService(slide, { tileSize: 256, overlap: 0 });
      const tile = await tiles.getTile(tiles.levelCount - 1, 20, 20);
      assert.equal(tiles.stats().passthroughTiles, 1);
      assert.equal((await sharp(tile).metadata()).width, 256);
    } finally {
      await slide.close();
    }
  } finally {
    if (saved === undefined) delete process.env.TESSERA_DATA_DIR;
    else process.env.TESSERA_DATA_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ground truth is deterministic and inside the tissue', () => {
  assert.equal(SAMPLE_TUMOUR_REGIONS.length, 4);
  for (const region of SAMPLE_TUMOUR_REGIONS) {
    const c = centroid(region.polygon);
    assert.ok(SAMPLE_TISSUE_REGIONS.some((t) => insidePolygon(c, t.polygon)), region.id);
  }
  assert.deepEqual(SAMPLE_TUMOUR_REGIONS[0].polygon[0], [5881.1, 5836.8]);
});
