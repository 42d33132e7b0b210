// The pathologist's loop end to end in the browser host: on the built-in sample slide, draw tumour and
// normal regions with the mouse, train a probe, see the heatmap drawn (hotter over tumour), export PNG,
// pyramidal TIFF, GeoJSON, CSV and the HTML report through the UI, and parse each. A corrupt GeoJSON import
// shows a clear error and loses nothing. Isolated data dir; screenshots in test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, window: any;
import { skipWithoutChromium } from './support/chromium.js';
import { e2eShots as shots, startHostSession, type HostSession } from './support/host-session.js';
import { drawPolygon, drawRectangles, fitView, pageCoords, waitForAnnotationCount, type Xy } from './support/slide-drawing.js';
import {
  SAMPLE_NORMAL_RECTS as NORMAL_RECTS,
  SAMPLE_TUMOUR_POLYGON as TUMOUR_POLYGON,
  SAMPLE_TUMOUR_RECT as TUMOUR_RECT,
  SAMPLE_VIEW as VIEW,
  openAnalysisPanel,
  waitForViewEmbedded,
} from './support/analysis-page.js';

describe('analysis loop in the browser host', { skip: skipWithoutChromium }, () => {
  let session: HostSession;
  let page: Page;
  let tmp: string;
  let out: string;
  let consoleErrors: string[] = [];

  before(async () => {
    // Annotations, probes, models and embeddings in a fresh folder.
    session = await startHostSession({ name: 'analysis' });
    ({ page, tmp, errors: consoleErrors } = session);
    out = join(tmp, 'exports');
    mkdirSync(out);
  });

  after(() => session?.close('analysis-zz-last.png'));

  /** Page coordinates of level-0 points. */
  const toPage = (points: Xy[]): Promise<Xy[]> => pageCoords(page, points);
  const annotationCount = (): Promise<number> => page.locator('[data-testid="annotation-item"]').count();
  const waitForCount = (n: number) => waitForAnnotationCount(page, n);

  test('draws two tumour and two normal regions with the mouse', async () => {
    await openAnalysisPanel(page);
    await page.waitForSelector('[data-testid="baseline-notice"]');
    await fitView(page, VIEW);

    await drawRectangles(page, 'Tumour', [TUMOUR_RECT]);
    await waitForCount(1);
    await drawPolygon(page, 'Tumour', TUMOUR_POLYGON);
    await waitForCount(2);

    await drawRectangles(page, 'Normal', NORMAL_RECTS);
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
    await waitForViewEmbedded(page);
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

  test('the heatmap grows while a new view embeds, from binary updates, and switches class without a request', async () => {
    const heatmapRequests: string[] = [];
    const jsonHeatmaps: string[] = [];
    const types = new Set<string>();
    const onRequest = (r: { url(): string }) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/heatmap/')) heatmapRequests.push(url.search);
      if (url.pathname === '/api/getHeatmap') jsonHeatmaps.push(url.pathname);
    };
    const onResponse = (r: { url(): string; headers(): Record<string, string> }) => {
      if (new URL(r.url()).pathname.startsWith('/heatmap/')) types.add(r.headers()['content-type']);
    };
    page.on('request', onRequest);
    page.on('response', onResponse);
    const layer = () =>
      page.evaluate(() => {
        const c = document.querySelector('[data-testid="heatmap-layer"]');
        const p = document.querySelector('[data-testid="embedding-progress"]');
        return { scored: Number(c.dataset.scored), className: c.dataset.className as string, embedded: Boolean(p && Number(p.dataset.total) > 0 && p.dataset.done === p.dataset.total) };
      });
    try {
      const start = (await layer()).scored;
      // Tissue right of the trained view, not embedded yet: the heatmap fills in batch by batch.
      await fitView(page, { x: 11000, y: 3500, width: 6500, height: 5200 });
      await page.waitForFunction((n: number) => Number(document.querySelector('[data-testid="heatmap-layer"]').dataset.scored) > n, start, { timeout: 60_000, polling: 100 });
      const steps = new Set<number>();
      for (let s = await layer(); ; s = await layer()) {
        steps.add(s.scored);
        if (s.embedded && steps.size >= 2) break;
        await page.waitForTimeout(100);
      }
      await page.waitForTimeout(800); // the update after the last batch
      const end = (await layer()).scored;
      steps.add(end);
      assert.ok(steps.size >= 3, `the heatmap grew in steps while embedding: ${start} → ${[...steps].join(' → ')}`);
      assert.ok(end > start, `${start} → ${end} scored`);
      assert.ok(heatmapRequests.some((q) => /since=\d+/.test(q)), `later updates ask for changes since a version: ${heatmapRequests.join(' ')}`);
      assert.deepEqual([...types], ['application/octet-stream']);
      assert.deepEqual(jsonHeatmaps, [], 'no JSON heatmap requests');

      // Every class is held: showing another one redraws without asking the services.
      const asked = heatmapRequests.length;
      await page.selectOption('[data-testid="heatmap-class"]', 'Normal');
      await page.waitForFunction(() => document.querySelector('[data-testid="heatmap-layer"]').dataset.className === 'Normal');
      assert.equal((await layer()).scored, end);
      await page.selectOption('[data-testid="heatmap-class"]', 'Tumour');
      await page.waitForFunction(() => document.querySelector('[data-testid="heatmap-layer"]').dataset.className === 'Tumour');
      assert.equal(heatmapRequests.length, asked, 'switching the class made no heatmap request');
      await page.screenshot({ path: join(shots, 'analysis-02c-heatmap-grown.png') });
    } finally {
      page.off('request', onRequest);
      page.off('response', onResponse);
      await fitView(page, VIEW);
    }
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
