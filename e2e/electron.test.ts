// The desktop app end to end: the same flow as viewer.test.ts, in Electron through playwright-core's
// `_electron`. Electron's binary is often absent (its download is denied offline): then this skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { appRoot } from '../main/services/app-paths.js';
import { hasShared, shared } from '../main/testing/shared-data.js';
import { electronBinary } from './support/electron-binary.js';
import { ensureRendererBuilt } from './support/renderer-build.js';
import { actAndWaitForDrawn, waitForDrawn } from './support/viewer-page.js';

declare const window: any;

const binary = electronBinary();
const skip = binary
  ? false
  : 'no Electron binary in node_modules/electron (its download is denied offline; set TESSERA_ELECTRON or run `node node_modules/electron/install.js`): Electron e2e skipped';
const shots = join(appRoot, 'test-output', 'e2e');

describe('desktop app (Electron)', { skip }, () => {
  let electronApp: ElectronApplication;
  let page: Page;
  let userData: string;

  before(async () => {
    ensureRendererBuilt();
    if (!existsSync(join(appRoot, 'dist', 'main', 'electron', 'main.js')) || !existsSync(join(appRoot, 'dist', 'main', 'electron', 'preload.cjs'))) {
      const r = spawnSync(process.execPath, [join(appRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: appRoot, encoding: 'utf8' });
      assert.ok(existsSync(join(appRoot, 'dist', 'main', 'electron', 'main.js')), `tsc did not build the app: ${r.stdout}`);
    }
    mkdirSync(shots, { recursive: true });
    userData = mkdtempSync(join(tmpdir(), 'tessera-electron-'));
    const slide = hasShared ? [shared('data', 'slides', 'CMU-1-Small-Region.svs')] : [];
    electronApp = await _electron.launch({
      executablePath: binary!,
      args: [appRoot, `--user-data-dir=${userData}`, ...slide],
      env: { ...process.env, TESSERA_DATA_DIR: join(userData, 'data') },
    });
    page = await electronApp.firstWindow();
    await page.setViewportSize({ width: 1440, height: 900 }).catch(() => {});
  });

  after(async () => {
    await electronApp?.close();
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  test('the renderer is sandboxed and sees only the bridge', async () => {
    const probe = await page.evaluate(() => ({
      require: typeof (window as { require?: unknown }).require,
      process: typeof (window as { process?: unknown }).process,
      bridge: Object.keys(window.tessera ?? {}).sort(),
      origin: location.origin,
    }));
    assert.equal(probe.require, 'undefined');
    assert.equal(probe.process, 'undefined');
    assert.deepEqual(probe.bridge, ['api', 'desktop', 'onEvent']);
    assert.equal(probe.origin, 'tessera://app');
  });

  test('opens a slide from the command line and draws it over tessera://', { skip: hasShared ? false : '../shared is absent' }, async () => {
    await page.waitForSelector('[data-testid="slide-tab"]', { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="info-vendor"]')?.textContent === 'Aperio');
    await waitForDrawn(page);
    await actAndWaitForDrawn(page, () => page.keyboard.press('+'));
    await actAndWaitForDrawn(page, () => page.click('[data-testid="zoom-native"]'));
    assert.equal((await page.textContent('[data-testid="magnification"]'))?.trim(), '20×');
    await page.screenshot({ path: join(shots, 'electron-cmu.png') });
  });

  test('a corrupt file shows an error and the app keeps running', async () => {
    const bad = join(userData, 'corrupt.svs');
    writeFileSync(bad, randomBytes(32 * 1024));
    const message = await page.evaluate(async (path) => {
      try {
        await window.tessera.api.openSlide({ path });
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    }, bad);
    assert.match(message ?? '', /not a slide format|corrupt/);
    assert.ok(await page.evaluate(() => document.querySelector('[data-testid="viewer"]') !== null));
  });
});

declare const document: any, location: any;
