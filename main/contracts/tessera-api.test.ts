// The contract holds across every transport: the services implement each method, and the desktop
// (IPC + preload) and browser (HTTP) transports carry exactly the contract's methods, no more.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TESSERA_API_METHODS, type TesseraBridge } from './tessera-api.js';
import { SlideService } from '../services/slide-service.js';
import { createTesseraApi } from '../services/tessera-services.js';
import { inMemoryBackend } from '../services/testing/in-memory-backend.js';
import { API_CHANNEL, registerApiIpc, type IpcMainLike } from '../electron/ipc.js';
import { startBrowserHost, type BrowserHost } from '../host/browser-host.js';
import { AnalysisService } from '../services/analysis-service.js';
import { CHOOSE_FILE_CHANNEL } from '../electron/choose-file.js';

let dir: string;
let slides: SlideService;
let host: BrowserHost;
const sample = () => join(dir, 'sample.tiff');
/** Valid params for each method (ids filled in once a slide is open). */
let paramsFor: Record<string, unknown>;
/** Methods that must succeed with `paramsFor`; the others need real slides or models, so they only must exist. */
const mustSucceed = new Set(['getAppInfo', 'listSlides', 'openSlide', 'openSampleSlide', 'getSlideInfo', 'listRecentSlides', 'getAnnotations', 'listProbes', 'listModels']);
const analyses: AnalysisService[] = [];
/** The services with analysis kept in the test's folder (and closed after). */
function servicesFor(transport: 'browser' | 'electron') {
  const analysis = new AnalysisService({ slides, dataDir: dir });
  analyses.push(analysis);
  return createTesseraApi({ slides, transport, analysis });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-contract-'));
  // Models and embedding caches (getEncoderStatus loads the built-in encoder) stay in the test's folder.
  process.env.TESSERA_DATA_DIR = dir;
  process.env.TESSERA_EP = 'cpu';
  writeFileSync(sample(), 'x');
  slides = new SlideService(inMemoryBackend(sample()));
  const { id } = await slides.open(sample());
  paramsFor = {
    openSlide: { path: sample() },
    getSlideInfo: { id },
    closeSlide: { id: 'ffffffffffff' },
    getAnnotations: { slideId: id },
  };
  host = await startBrowserHost({ api: servicesFor('browser'), slides, rendererDir: dir });
});
after(async () => {
  await host.close();
  await Promise.all(analyses.map((a) => a.close()));
  await slides.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

test('the services implement every contract method', () => {
  const api = servicesFor('browser');
  assert.deepEqual(Object.keys(api).sort(), [...TESSERA_API_METHODS].sort());
});

test('the preload exposes exactly the contract over one IPC channel', async () => {
  const invoked: unknown[][] = [];
  let exposed: { key: string; value: TesseraBridge } | null = null;
  const fakeElectron = {
    contextBridge: { exposeInMainWorld: (key: string, value: TesseraBridge) => (exposed = { key, value }) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => {
        invoked.push(args);
        if (args[0] === CHOOSE_FILE_CHANNEL) return 'r';
        return args[1] === 'getSlideInfo' ? { ok: false, error: { code: 'not-found', message: 'No open slide' } } : { ok: true, result: 'r' };
      },
      on: () => {},
      removeListener: () => {},
    },
    webUtils: { getPathForFile: () => '/x' },
  };
  const require = createRequire(import.meta.url);
  const electronPath = require.resolve('electron');
  const saved = require.cache[electronPath];
  require.cache[electronPath] = { id: electronPath, filename: electronPath, loaded: true, exports: fakeElectron } as NodeJS.Module;
  try {
    require('../electron/preload.cts');
  } finally {
    if (saved) require.cache[electronPath] = saved;
    else delete require.cache[electronPath];
  }
  assert.ok(exposed, 'preload called contextBridge.exposeInMainWorld');
  const { key, value } = exposed as { key: string; value: TesseraBridge };
  assert.equal(key, 'tessera');
  assert.deepEqual(Object.keys(value).sort(), ['api', 'desktop', 'onEvent']);
  assert.deepEqual(Object.keys(value.api).sort(), [...TESSERA_API_METHODS].sort());
  assert.deepEqual(Object.keys(value.desktop).sort(), ['chooseFile', 'chooseSlideFiles', 'pathForFile']);
  assert.equal(await value.api.listSlides(), 'r');
  assert.deepEqual(invoked[0], [API_CHANNEL, 'listSlides', undefined]);
  // The file dialog: only a kind and a suggested path cross to main.
  assert.equal(await value.desktop.chooseFile({ kind: 'model', defaultPath: '/m', extra: 1 } as never), 'r');
  assert.deepEqual(invoked[1], [CHOOSE_FILE_CHANNEL, { kind: 'model', defaultPath: '/m' }]);
  await assert.rejects(value.api.getSlideInfo({ id: 'x' }), (err: Error) => JSON.parse(err.message).code === 'not-found');
});

test('the IPC handler dispatches every contract method, for our own renderer only', async () => {
  const handlers = new Map<string, (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown>();
  const ipcMain: IpcMainLike = { handle: (channel, listener) => void handlers.set(channel, listener) };
  registerApiIpc(ipcMain, servicesFor('electron'));
  const handler = handlers.get(API_CHANNEL)!;
  const trusted = { senderFrame: { url: 'tessera://app/index.html' } };
  for (const method of TESSERA_API_METHODS) {
    const reply = (await handler(trusted, method, paramsFor[method])) as { ok: boolean; error?: { code: string } };
    assert.notEqual(reply.error?.code, 'unknown-method', method);
    if (mustSucceed.has(method)) assert.equal(reply.ok, true, `${method}: ${JSON.stringify(reply)}`);
  }
  assert.deepEqual(await handler(trusted, 'constructor', undefined), {
    ok: false,
    error: { code: 'unknown-method', message: 'Unknown API method "constructor"' },
  });
  const foreign = (await handler({ senderFrame: { url: 'https://example.com/' } }, 'listSlides')) as { ok: boolean; error: { code: string } };
  assert.equal(foreign.error.code, 'forbidden');
});

test('the browser host answers every contract method at POST /api/<method>', async () => {
  for (const method of TESSERA_API_METHODS) {
    const res = await fetch(`${host.base}api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tessera-token': host.token },
      body: JSON.stringify(paramsFor[method] ?? null),
    });
    const body = (await res.json()) as { result?: unknown; error?: { code: string } };
    assert.notEqual(body.error?.code, 'unknown-method', method);
    if (mustSucceed.has(method)) assert.equal(res.status, 200, `${method}: ${JSON.stringify(body)}`);
  }
  const unknown = await fetch(`${host.base}api/toString`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tessera-token': host.token }, body: 'null' });
  assert.equal(unknown.status, 404);
});
