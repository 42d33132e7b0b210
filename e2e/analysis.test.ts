// The pathologist's loop end to end in the browser host: on the built-in sample slide, draw tumour and
// normal regions with the mouse, train a probe, see the heatmap drawn (hotter over tumour), export PNG,
// pyramidal TIFF, GeoJSON, CSV and the HTML report through the UI, and parse each. A corrupt GeoJSON import
// shows a clear error and loses nothing. Isolated data dir; screenshots in test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, window: any;
import { startTesseraHost, type TesseraHost } from '../main/host/start-host.js';
import { appRoot } from '../main/services/app-paths.js';
import { SAMPLE_TUMOUR_REGIONS, ensureSampleSlide } from '../main/sample/sample-slide.js';
import { launchChromium, skipWithoutChromium } from './support/chromium.js';
import { ensureRendererBuilt } from './support/renderer-build.js';
import { actAndWaitForDrawn, waitForDrawn, collectPageErrors } from './support/viewer-page.js';

const shots = join(appRoot, 'test-output', 'e2e');

type Xy = [number, number];
// Tumour 1 (ground-truth blob centred near 4550, 5930): a rectangle well inside it. Tumour 2: its outline
// shrunk 20 % towards its centre, drawn as a polygon. Normal: tissue ≥ 900 px from any tumour.
const TUMOUR_RECT = { x: 3900, y: 5300, width: 1300, height: 1300 };
const [, t2] = SAMPLE_TUMOUR_REGIONS.map((t) => t.polygon);
const t2Centre: Xy = [t2.reduce((s, p) => s + p[0], 0) / t2.length, t2.reduce((s, p) => s + p[1], 0) / t2.length];
const TUMOUR_POLYGON: Xy[] = t2
  .filter((_, i) => i % Math.floor(t2.length / 8) === 0)
  .map(([x, y]) => [t2Centre[0] + 0.8 * (x - t2Centre[0]), t2Centre[1] + 0.8 * (y - t2Centre[1])]);
const NORMAL_RECTS = [
  { x: 7200, y: 4400, width: 1400, height: 1400 },
  { x: 8600, y: 7000, width: 1400, height: 1400 },
];
const VIEW = { x: 2800, y: 3800, width: 7600, height: 6100 };

describe('analysis loop in the browser host', { skip: skipWithoutChromium }, () => {
  let host: TesseraHost;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  let out: string;
  let consoleErrors: string[] = [];

  before(async () => {
    ensureRendererBuilt();
    mkdirSync(shots, { recursive: true });
    const sample = await ensureSampleSlide(); // generated once in the usual cache
    tmp = mkdtempSync(join(tmpdir(), 'tessera-e2e-analysis-'));
    out = join(tmp, 'exports');
    mkdirSync(out);
    // Annotations, probes, models and embeddings in a fresh folder.
    process.env.TESSERA_DATA_DIR = join(tmp, 'data');
    process.env.TESSERA_EP = 'cpu';
    host = await startTesseraHost({ slides: [sample], recentFile: null });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    consoleErrors = collectPageErrors(page);
    await page.goto(host.url);
    await page.waitForSelector('[data-testid="slide-tab"]');
    await waitForDrawn(page);
  });

  after(async () => {
    await page?.screenshot({ path: join(shots, 'analysis-zz-last.png') }).catch(() => {});
    await browser?.close();
    await host?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Page coordinates of a level-0 point. */
  const toPage = (points: Xy[]): Promise<Xy[]> =>
    page.evaluate((pts: Xy[]) => {
      const viewer = window.__tessera.viewer;
      const item = viewer.world.getItemAt(0);
      const box = viewer.canvas.getBoundingClientRect();
      return pts.map(([x, y]) => {
        const p = viewer.viewport.pixelFromPoint(item.imageToViewportCoordinates(x, y, true), true);
        return [box.left + p.x, box.top + p.y] as Xy;
      });
    }, points);

  async function dragRect(r: { x: number; y: number; width: number; height: number }): Promise<void> {
    const [[x0, y0], [x1, y1]] = await toPage([
      [r.x, r.y],
      [r.x + r.width, r.y + r.height],
    ]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) await page.mouse.move(x0 + ((x1 - x0) * i) / 8, y0 + ((y1 - y0) * i) / 8);
    await page.mouse.up();
  }

  const annotationCount = (): Promise<number> => page.locator('[data-testid="annotation-item"]').count();
  const waitForCount = (n: number) =>
    page.waitForFunction((k) => document.querySelectorAll('[data-testid="annotation-item"]').length === k, n);

  test('draws two tumour and two normal regions with the mouse', async () => {
    await page.click('button[role="tab"]:has-text("Analysis")');
    await page.waitForSelector('[data-testid="analysis-panel"]');
    await page.waitForSelector('[data-testid="baseline-notice"]');
    await actAndWaitForDrawn(page, () =>
      page.evaluate((v) => {
        const viewer = window.__tessera.viewer;
        const item = viewer.world.getItemAt(0);
        viewer.viewport.fitBounds(item.imageToViewportRectangle(v.x, v.y, v.width, v.height), true);
      }, VIEW),
    );

    await page.click('[data-testid="class-option"][data-class="Tumour"]');
    await page.click('[data-testid="tool-rectangle"]');
    await dragRect(TUMOUR_RECT);
    await waitForCount(1);
    await page.click('[data-testid="tool-polygon"]');
    const vertices = await toPage(TUMOUR_POLYGON);
    for (const [x, y] of vertices) await page.mouse.click(x, y);
    await page.mouse.dblclick(vertices[0][0] + 1, vertices[0][1] + 1);
    await waitForCount(2);

    await page.click('[data-testid="class-option"][data-class="Normal"]');
    await page.click('[data-testid="tool-rectangle"]');
    for (const r of NORMAL_RECTS) await dragRect(r);
    await waitForCount(4);

    // Undo and redo from the keyboard.
    await page.keyboard.press('Control+z');
    await waitForCount(3);
    await page.keyboard.press('Control+Shift+z');
    await waitForCount(4);
    const summary = await page.$$eval('[data-testid="class-summary"] tbody tr', (rows: any[]) =>
      rows.map((r) => [r.dataset.class, Number(r.dataset.count)]),
    );
    assert.deepEqual(summary, [
      ['Tumour', 2],
      ['Normal', 2],
    ]);
    const text = (await page.textContent('[data-testid="class-summary"]')) ?? '';
    assert.match(text, /Area \(mm²\)/);
    await page.click('[data-testid="tool-pan"]');
    await page.screenshot({ path: join(shots, 'analysis-01-annotated.png') });
  });

  test('trains a probe and shows its cross-validated metrics', async () => {
    await page.click('[data-testid="train-probe"]');
    const metrics = await page.waitForSelector('[data-testid="probe-metrics"]', { timeout: 60_000 });
    const text = (await metrics.textContent()) ?? '';
    assert.match(text, /AUROC/);
    assert.match(text, /Tumour/);
    assert.match(text, /Normal/);
    const auroc = Number(await metrics.getAttribute('data-auroc'));
    assert.ok(auroc > 0.7, `CV AUROC ${auroc}`);
  });

  test('draws the heatmap over the slide, hotter over tumour than over normal tissue', async () => {
    // The view's tissue is embedded in the background and the heatmap fills in as it lands.
    await page.waitForFunction(
      () => {
        const e = document.querySelector('[data-testid="embedding-progress"]');
        return e && Number(e.dataset.total) > 0 && e.dataset.done === e.dataset.total;
      },
      undefined,
      { timeout: 60_000, polling: 200 },
    );
    const [tumourAt, normalAt] = await toPage([
      [TUMOUR_RECT.x + TUMOUR_RECT.width / 2, TUMOUR_RECT.y + TUMOUR_RECT.height / 2],
      [NORMAL_RECTS[0].x + NORMAL_RECTS[0].width / 2, NORMAL_RECTS[0].y + NORMAL_RECTS[0].height / 2],
    ]);
    const sample = () =>
      page.evaluate(
        ([t, n]: Xy[]) => {
          const canvas = document.querySelector('[data-testid="heatmap-layer"]');
          const box = canvas.getBoundingClientRect();
          const sx = canvas.width / box.width;
          const ctx = canvas.getContext('2d');
          const all = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          let opaque = 0;
          for (let i = 3; i < all.length; i += 4 * 16) if (all[i] > 0) opaque++;
          // (No named inner functions: the test's compiler would wrap them in a helper the page lacks.)
          const picked = [t, n].map(
            (q) =>
              Array.from(
                ctx.getImageData(Math.round((q[0] - box.left) * sx), Math.round((q[1] - box.top) * sx), 1, 1).data,
              ) as number[],
          );
          return { opaque, scored: Number(canvas.dataset.scored), tumour: picked[0], normal: picked[1] };
        },
        [tumourAt, normalAt],
      );
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="heatmap-layer"]')?.dataset.scored) > 50,
      undefined,
      { timeout: 30_000 },
    );
    // The legend on the viewer names the probe and the slide it was trained on.
    await page.waitForSelector('[data-testid="viewer-heatmap-legend"] [data-testid="viewer-legend-probe"]');
    assert.match((await page.textContent('[data-testid="viewer-legend-trained-on"]')) ?? '', /Trained on this slide/);
    // Low values fade out by default (the opacity ramp); without it every scored point is coloured.
    await page.uncheck('[data-testid="heatmap-ramp"]');
    // Let the last refetch after the final batch land.
    await page.waitForTimeout(1200);
    const s = await sample();
    assert.ok(s.opaque > 1000, `non-transparent heatmap pixels: ${JSON.stringify(s)}`);
    assert.ok(s.tumour[3] > 0 && s.normal[3] > 0, `both points are scored: ${JSON.stringify(s)}`);
    // Viridis: green rises monotonically with probability.
    assert.ok(s.tumour[1] > s.normal[1] + 40, `tumour hotter than normal: ${JSON.stringify(s)}`);
    await page.screenshot({ path: join(shots, 'analysis-02-heatmap.png') });

    // The embedding badge stays clear of the scale bar (and its label).
    const boxes = await page.evaluate(() =>
      ['embedding-status', 'scale-bar'].map((id) => {
        const r = document.querySelector(`[data-testid="${id}"]`).getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      }),
    );
    const [badge, bar] = boxes;
    const overlap = badge.left < bar.right && bar.left < badge.right && badge.top < bar.bottom && bar.top < badge.bottom;
    assert.ok(!overlap, `embedding badge ${JSON.stringify(badge)} covers the scale bar ${JSON.stringify(bar)}`);
    await page.screenshot({ path: join(shots, 'analysis-02b-badge-and-scale-bar.png'), clip: { x: 0, y: 0, width: 1100, height: 900 } });
  });

  test('exports PNG, pyramidal TIFF, GeoJSON, CSV and the HTML report, each parsed back', async () => {
    await page.click('[data-testid="open-export"]');
    await page.waitForSelector('[data-testid="export-dialog"]');
    // At the defaults (format PNG, resolution, path): the form is valid and the file goes to the per-user
    // exports folder, not the slide's folder.
    const exportsFolder = join(tmp, 'data', 'exports');
    await page.waitForFunction(
      (f) => (document.querySelector('[data-testid="export-path"]')?.value ?? '').startsWith(f),
      exportsFolder,
    );
    assert.ok(Number(await page.inputValue('[data-testid="export-downsample"]')) >= 1, 'a valid default resolution');
    await page.click('[data-testid="export-submit"]');
    await page.waitForSelector('[data-testid="export-result"]', { timeout: 30_000 });
    const defaultPng = (await page.getAttribute('[data-testid="export-result"]', 'data-path')) ?? '';
    assert.ok(defaultPng.startsWith(join(exportsFolder, 'tessera-sample-he-v')), defaultPng);
    assert.match(defaultPng, /-tumour-heatmap\.png$/);
    assert.equal((await sharp(defaultPng).metadata()).format, 'png');
    await page.selectOption('[data-testid="export-format"]', 'tiff');
    await page.fill('[data-testid="export-path"]', join(exportsFolder, 'defaults.tif'));
    await page.click('[data-testid="export-submit"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="export-result"]').length === 2, undefined, {
      timeout: 30_000,
    });
    assert.equal((await sharp(join(exportsFolder, 'defaults.tif')).metadata()).format, 'tiff');
    const exportAs = async (format: string, file: string, extra?: () => Promise<void>) => {
      await page.selectOption('[data-testid="export-format"]', format);
      await page.fill('[data-testid="export-path"]', join(out, file));
      await extra?.();
      const before = await page.locator('[data-testid="export-result"]').count();
      await page.click('[data-testid="export-submit"]');
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="export-result"]').length === n + 1,
        before,
        { timeout: 30_000 },
      );
    };
    await exportAs('png', 'over-slide.png', async () => {
      await page.selectOption('[data-testid="export-png-kind"]', 'overlay');
      await page.fill('[data-testid="export-downsample"]', '32');
    });
    await exportAs('png', 'heatmap.png', async () => {
      await page.selectOption('[data-testid="export-png-kind"]', 'bare');
      await page.fill('[data-testid="export-downsample"]', '32');
    });
    await exportAs('tiff', 'heatmap.tif', () => page.fill('[data-testid="export-downsample"]', '8'));
    await exportAs('geojson', 'regions.geojson');
    await exportAs('csv', 'patches.csv');
    await exportAs('html', 'report.html');
    await page.screenshot({ path: join(shots, 'analysis-03-export.png') });

    // An existing file is replaced only after the user confirms.
    await page.selectOption('[data-testid="export-format"]', 'png');
    await page.fill('[data-testid="export-path"]', join(out, 'heatmap.png'));
    await page.fill('[data-testid="export-downsample"]', '64');
    await page.click('[data-testid="export-submit"]');
    await page.waitForSelector('[data-testid="export-confirm"]');
    assert.equal((await sharp(join(out, 'heatmap.png')).metadata()).width, 640, 'not replaced before confirming');
    await page.screenshot({ path: join(shots, 'analysis-04-confirm-overwrite.png') });
    const before = await page.locator('[data-testid="export-result"]').count();
    await page.click('[data-testid="export-replace"]');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="export-result"]').length === n + 1,
      before,
    );
    await page.keyboard.press('Escape');
    // Reopened, the dialog proposes the folder last exported to.
    await page.click('[data-testid="open-export"]');
    await page.waitForFunction(
      (f) => (document.querySelector('[data-testid="export-path"]')?.value ?? '').startsWith(f),
      join(out, '/'),
    );
    await page.keyboard.press('Escape');

    const png = await sharp(join(out, 'heatmap.png')).metadata();
    assert.deepEqual([png.format, png.width, png.height, png.channels], ['png', 320, 240, 4]);
    // Heatmap over the slide (at 32 level-0 px per image px: 640 × 480): opaque slide pixels (not
    // transparent), the legend strip below the picture.
    const over = await sharp(join(out, 'over-slide.png')).raw().toBuffer({ resolveWithObject: true });
    assert.equal(over.info.width, 640);
    assert.ok(over.info.height > 480, `legend strip: ${over.info.height}`);
    const colours = new Set<string>();
    for (let i = 0; i < 640 * 480; i += 97) colours.add(over.data.subarray(i * over.info.channels, i * over.info.channels + 3).join());
    assert.ok(colours.size > 50, `slide texture under the heatmap: ${colours.size} colours`);
    const tif = await sharp(join(out, 'heatmap.tif')).metadata();
    assert.equal(tif.format, 'tiff');
    assert.deepEqual([tif.width, tif.height], [2560, 1920]);
    assert.ok((tif.pages ?? 1) >= 3, `pyramid levels: ${tif.pages}`);
    assert.ok(Math.abs((tif.density ?? 0) - 12700) < 1, `2 µm per image px: ${tif.density}`);
    const fc = JSON.parse(await readFile(join(out, 'regions.geojson'), 'utf8'));
    assert.equal(fc.type, 'FeatureCollection');
    assert.ok(fc.features.length >= 1, 'tumour regions above 0.5');
    assert.equal(fc.features[0].properties.classification.name, 'Tumour');
    const [header, ...rows] = (await readFile(join(out, 'patches.csv'), 'utf8')).trim().split('\n');
    assert.equal(header, 'slide,mpp,x,y,size,Tumour,Normal');
    assert.ok(rows.length > 50, `${rows.length} patches`);
    const [name, mpp, x, y, size, pt, pn] = rows[0].split(',');
    assert.match(name, /^tessera-sample-he-v\d+\.tiff$/);
    assert.equal(Number(mpp), 0.5);
    assert.equal(Number(size), 448);
    assert.ok(Number(x) % 224 === 0 && Number(y) % 224 === 0, 'patches on the half-patch (overlapping) grid');
    assert.ok(Math.abs(Number(pt) + Number(pn) - 1) < 1e-3);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    assert.match(html, /<svg[^>]*>[\s\S]*<polyline/);
    assert.match(html, /tessera-stain-texture-v1/);
  });

  test('a corrupt GeoJSON import shows a clear error and loses nothing', async () => {
    const bad = join(tmp, 'corrupt.geojson');
    writeFileSync(
      bad,
      '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1',
    );
    const count = await annotationCount();
    await page.fill('[data-testid="import-path"]', bad);
    await page.click('[data-testid="import-annotations"]');
    const notice = await page.waitForSelector('[data-testid="notice-error"]');
    const text = (await notice.textContent()) ?? '';
    assert.match(text, /Import failed: Could not import .*corrupt\.geojson: not JSON/);
    assert.match(text, /Nothing was changed/);
    await page.screenshot({ path: join(shots, 'analysis-05-corrupt-import.png') });
    assert.equal(await annotationCount(), count);
    await page.click('[data-testid="notice-error"] button');
  });

  test('brush, point, select-and-move a vertex, delete', async () => {
    await page.click('[data-testid="class-option"][data-class="Stroma"]');
    await page.click('[data-testid="tool-brush"]');
    const stroke = await toPage([
      [6000, 4000],
      [6500, 4100],
      [6900, 4300],
    ]);
    const count = await annotationCount();
    await page.mouse.move(...stroke[0]);
    await page.mouse.down();
    for (const [x, y] of stroke.slice(1)) await page.mouse.move(x, y, { steps: 6 });
    await page.mouse.up();
    await waitForCount(count + 1);
    assert.match(
      (await page.textContent('[data-testid="annotation-list"] li:first-child')) ?? '',
      /brush · [\d.]+ mm²/,
    );
    await page.click('[data-testid="tool-point"]');
    const [pt] = await toPage([[9000, 6500]]); // clear of the navigator (bottom right)
    await page.mouse.click(...pt);
    await waitForCount(count + 2);
    assert.match((await page.textContent('[data-testid="annotation-list"] li:first-child')) ?? '', /point/);

    // Select the first normal rectangle and drag its top-left corner: its area shrinks.
    await page.click('[data-testid="tool-select"]');
    const r = NORMAL_RECTS[0];
    const [inside, corner, moved] = await toPage([
      [r.x + 300, r.y + 300],
      [r.x, r.y],
      [r.x + 400, r.y + 400],
    ]);
    await page.mouse.click(...inside);
    await page.waitForSelector('[data-testid="annotation-item"].selected');
    const areaBefore = (await page.textContent('[data-testid="annotation-item"].selected')) ?? '';
    await page.mouse.move(...corner);
    await page.mouse.down();
    await page.mouse.move(...moved, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(
      (t) => document.querySelector('[data-testid="annotation-item"].selected')?.textContent !== t,
      areaBefore,
    );
    assert.match(
      (await page.textContent('[data-testid="annotation-item"].selected')) ?? '',
      /rectangle · 0\.0[0-9]+ mm²/,
    );
    await page.screenshot({ path: join(shots, 'analysis-06-edit.png') });
    await page.keyboard.press('Delete');
    await waitForCount(count + 1);
    await page.keyboard.press('Control+z');
    await waitForCount(count + 2);
  });

  test('double-click closes a polygon: no stray vertex, no new polygon', async () => {
    await page.click('[data-testid="class-option"][data-class="Background"]');
    await page.click('[data-testid="tool-polygon"]');
    const draft = () => page.getAttribute('[data-testid="annotation-layer"]', 'data-draft-vertices');
    const newest = () =>
      page.evaluate(() => {
        const list = window.__tessera.analysis.list;
        const g = list[list.length - 1].geometry;
        return g.type === 'polygon' ? g.rings[0].length : -1;
      });
    // Three vertices clicked quickly, then a double-click elsewhere: that is the fourth and last vertex.
    const a = await toPage([
      [3100, 4200],
      [3700, 4250],
      [3650, 4800],
      [3150, 4750],
    ]);
    let count = await annotationCount();
    for (const [x, y] of a.slice(0, 3)) await page.mouse.click(x, y);
    await page.mouse.dblclick(...a[3]);
    await waitForCount(count + 1);
    assert.equal(await newest(), 4);
    await page.waitForTimeout(400);
    assert.equal(await draft(), '0', 'no polygon left open or started');
    assert.equal(await annotationCount(), count + 1);

    // Double-clicking on the first vertex closes it there (the first click closes, the second adds nothing).
    const b = await toPage([
      [3100, 5000],
      [3700, 5050],
      [3400, 5600],
    ]);
    count = await annotationCount();
    for (const [x, y] of b) await page.mouse.click(x, y);
    await page.mouse.dblclick(b[0][0] + 1, b[0][1] + 1);
    await waitForCount(count + 1);
    assert.equal(await newest(), 3);
    await page.waitForTimeout(400);
    assert.equal(await draft(), '0', 'no stray vertex');
    await page.screenshot({ path: join(shots, 'analysis-07-double-click-polygons.png') });
    await page.click('[data-testid="tool-pan"]');
  });

  test('classes: no silent recolour, distinct colours, rename, delete with a choice, hide; list shows and zooms', async () => {
    const classes = () => page.evaluate(() => window.__tessera.analysis.classes.map((c: { name: string; colour: number[] }) => [c.name, c.colour.join(',')]));
    const tumourBefore = (await classes()).find((c: string[]) => c[0] === 'Tumour');
    await page.fill('[data-testid="new-class-name"]', 'Tumour');
    await page.click('[data-testid="add-class"]');
    await page.waitForSelector('[data-testid="notice-error"]:has-text("already exists")');
    await page.click('[data-testid="notice-error"] button');
    assert.deepEqual((await classes()).find((c: string[]) => c[0] === 'Tumour'), tumourBefore, 'Tumour not recoloured');
    for (const name of ['Necrosis', 'Fat']) {
      await page.fill('[data-testid="new-class-name"]', name);
      await page.click('[data-testid="add-class"]');
      await page.waitForSelector(`[data-testid="class-option"][data-class="${name}"]`);
    }
    const colours = (await classes()).map((c: string[]) => c[1]);
    assert.equal(new Set(colours).size, colours.length, `distinct colours ${colours.join(' ')}`);

    const ofClass = (name: string) => page.locator(`[data-testid="annotation-item"][data-class="${name}"]`).count();
    await page.click('[data-testid="toggle-class-manager"]');
    const background = await ofClass('Background');
    assert.equal(background, 2);
    await page.click('[data-testid="class-row"][data-class="Background"] [data-testid="class-rename"]');
    await page.fill('[data-testid="class-rename-input"]', 'Glass');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="class-row"][data-class="Glass"]');
    assert.equal(await ofClass('Glass'), 2);
    await page.screenshot({ path: join(shots, 'analysis-08-classes.png') });
    const stroma = await ofClass('Stroma');
    await page.click('[data-testid="class-row"][data-class="Glass"] [data-testid="class-delete"]');
    await page.selectOption('[data-testid="class-delete-move-to"]', 'Stroma');
    await page.screenshot({ path: join(shots, 'analysis-09-delete-class.png') });
    await page.click('[data-testid="class-delete-move"]');
    await page.waitForFunction(() => !document.querySelector('[data-testid="class-row"][data-class="Glass"]'));
    assert.equal(await ofClass('Stroma'), stroma + 2);
    await page.keyboard.press('Control+z');
    await page.waitForSelector('[data-testid="class-row"][data-class="Glass"]');
    assert.equal(await ofClass('Glass'), 2);

    // Hide a class: its annotations are not drawn.
    const drawn = async () => Number(await page.getAttribute('[data-testid="annotation-layer"]', 'data-drawn'));
    const hiddenCount = await ofClass('Glass');
    await page.click('[data-testid="class-row"][data-class="Glass"] [data-testid="class-hide"]');
    await page.waitForSelector('[data-testid="class-row"][data-class="Glass"][data-hidden="true"]');
    assert.ok((await drawn()) >= 0 && hiddenCount === 2);

    // Click a list item: the view zooms to it.
    const zoomBefore = await page.evaluate(() => window.__tessera.viewer.viewport.getZoom(true));
    await page.click('[data-testid="annotation-item"][data-class="Normal"] .pick');
    await page.waitForFunction((z) => window.__tessera.viewer.viewport.getZoom(true) > z * 1.5, zoomBefore);
    assert.match((await page.textContent('[data-testid="annotation-item"].selected')) ?? '', /#\d+ rectangle/);
    await page.screenshot({ path: join(shots, 'analysis-10-zoomed-to-annotation.png') });
  });

  test('re-importing an exported file adds nothing; replace all swaps them', async () => {
    const file = join(tmp, 'roundtrip.geojson');
    await page.fill('[data-testid="export-annotations"] input', file).catch(() => {});
    const count = await annotationCount();
    await page.evaluate((f) => window.__tessera.analysis.exportAnnotations(f, true), file);
    await page.fill('[data-testid="import-path"]', file);
    await page.click('[data-testid="import-annotations"]');
    await page.waitForSelector('[data-testid="import-report"]');
    assert.match((await page.textContent('[data-testid="import-report"]')) ?? '', /0 imported .*already on this slide/s);
    assert.equal(await annotationCount(), count);
    await page.screenshot({ path: join(shots, 'analysis-11-reimport.png') });
    await page.selectOption('[data-testid="import-mode"]', 'replace');
    await page.fill('[data-testid="import-path"]', file);
    await page.click('[data-testid="import-annotations"]');
    await page.waitForSelector('[data-testid="notice-info"]:has-text("replacing")');
    assert.equal(await annotationCount(), count);
  });

  test('the page logged no errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
