// What the API does with paths a client names (issue "Nothing lost, nobody let in"): a foreign file's
// contents never come back in an error, and exports are written only as regular files at absolute paths,
// never over a device, a FIFO or a folder, never relative to the host's working folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeFileAtomic } from '../common/atomic-write.js';
import { checkReplaceable, ExportTargetError } from '../common/export-target.js';
import type { TesseraApi } from '../contracts/tessera-api.js';
import { writeExport } from '../export/write-export.js';
import { AnalysisService } from './analysis-service.js';
import { createDefaultSlideBackend } from './default-slide-backend.js';
import { SlideService } from './slide-service.js';
import { dispatchApiCall, createTesseraApi } from './tessera-services.js';
import { inMemoryBackend } from './testing/in-memory-backend.js';

const SHADOW = 'root:*:19000:0:99999:7:::\nhunter2:$6$saltsalt$secrethash:19000::::::\n';
let dir: string;
let api: TesseraApi;
let slides: SlideService;
let analysis: AnalysisService;
let slideId: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-untrusted-'));
  writeFileSync(join(dir, 'slide.svs'), 'slide bytes');
  slides = new SlideService(inMemoryBackend(join(dir, 'slide.svs')));
  analysis = new AnalysisService({ slides, dataDir: join(dir, 'data'), autosaveDelayMs: 10 });
  api = createTesseraApi({ slides, transport: 'browser', analysis });
  slideId = (await slides.open(join(dir, 'slide.svs'))).id;
  await api.addAnnotation({ slideId, geometry: { type: 'rectangle', x: 1, y: 1, width: 5, height: 5 }, className: 'Tumour' } as never);
});
after(async () => {
  await analysis.close();
  await slides.closeAll();
  await rm(dir, { recursive: true, force: true });
});

async function call(method: string, params: unknown): Promise<{ status: number; message: string }> {
  const out = await dispatchApiCall(api, method, params);
  return out.ok ? { status: 200, message: '' } : { status: out.status, message: out.error.message };
}

const mkfifo = (path: string): boolean => spawnSync('mkfifo', [path]).status === 0;

test('importAnnotations never echoes a foreign file: /etc/shadow-like text as .json, .xml or no extension', async () => {
  for (const name of ['shadow', 'shadow.json', 'shadow.geojson', 'shadow.xml']) {
    const path = join(dir, name);
    writeFileSync(path, name.endsWith('.xml') ? `<${SHADOW}` : SHADOW);
    const r = await call('importAnnotations', { slideId, path });
    assert.equal(r.status, 422, `${name}: ${r.message}`);
    assert.doesNotMatch(r.message, /root|hunter2|secret|\$6\$|:\*:/, name);
    assert.match(r.message, /not JSON|not well-formed XML/, name);
  }
  // Valid JSON that is not GeoJSON: its `type` or first object's `id` is not repeated either.
  for (const [name, text] of [
    ['key.json', JSON.stringify({ type: 'hunter2-key', private_key: 'secret' })],
    ['list.json', JSON.stringify([{ id: 'hunter2', token: 'secret' }])],
  ]) {
    writeFileSync(join(dir, name), text);
    const r = await call('importAnnotations', { slideId, path: join(dir, name) });
    assert.equal(r.status, 422, `${name}: ${r.message}`);
    assert.doesNotMatch(r.message, /hunter2|secret/, name);
  }
});

test('openSlide on a text file says it is no slide, without its contents', async () => {
  const real = new SlideService(createDefaultSlideBackend());
  const realApi = createTesseraApi({ slides: real, transport: 'browser' });
  try {
    for (const name of ['shadow.svs', 'shadow.tif', 'shadow.dcm', 'shadow']) {
      writeFileSync(join(dir, name), SHADOW);
      const out = await dispatchApiCall(realApi, 'openSlide', { path: join(dir, name) });
      assert.equal(out.ok, false, name);
      if (!out.ok) assert.doesNotMatch(out.error.message, /root|hunter2|secret/, name);
    }
  } finally {
    await real.closeAll();
  }
});

test('importAnnotations and exportAnnotations refuse relative paths and NUL bytes (400), writing nothing in the working folder', async () => {
  const before = readdirSync(process.cwd());
  for (const [method, path] of [
    ['exportAnnotations', 'relative-export.geojson'],
    ['exportAnnotations', './sub/x.geojson'],
    ['importAnnotations', 'relative-import.geojson'],
    ['exportAnnotations', join(dir, 'nul\0.geojson')],
    ['importAnnotations', join(dir, 'nul\0.geojson')],
  ] as const) {
    const r = await call(method, { slideId, path, overwrite: true });
    assert.equal(r.status, 400, `${method} ${JSON.stringify(path)}: ${r.message}`);
    assert.match(r.message, /absolute|null byte/, r.message);
    assert.doesNotMatch(r.message, /\0/);
  }
  assert.deepEqual(readdirSync(process.cwd()), before);
});

test('exportAnnotations with overwrite replaces a regular file but never a FIFO, a folder, a symlink to a device, or a device', async () => {
  const file = join(dir, 'out.geojson');
  writeFileSync(file, 'old');
  assert.equal((await call('exportAnnotations', { slideId, path: file, overwrite: true })).status, 200);
  assert.match(readFileSync(file, 'utf8'), /FeatureCollection/);

  const targets: [string, () => boolean, (p: string) => boolean][] = [
    ['fifo.geojson', () => mkfifo(join(dir, 'fifo.geojson')), (p) => lstatSync(p).isFIFO()],
    ['folder.geojson', () => (mkdirSync(join(dir, 'folder.geojson')), true), (p) => lstatSync(p).isDirectory()],
    ['null-link.geojson', () => (symlinkSync('/dev/null', join(dir, 'null-link.geojson')), true), (p) => lstatSync(p).isSymbolicLink()],
    // /dev/full's own numbers (1, 7): only root may make one, and root is who replaced the real one.
    ['full.geojson', () => spawnSync('mknod', [join(dir, 'full.geojson'), 'c', '1', '7']).status === 0, (p) => lstatSync(p).isCharacterDevice()],
  ];
  for (const [name, make, unchanged] of targets) {
    if (!make()) continue; // mkfifo / mknod unavailable (or not root)
    const path = join(dir, name);
    const r = await call('exportAnnotations', { slideId, path, overwrite: true });
    assert.equal(r.status, 400, `${name}: ${r.message}`);
    assert.match(r.message, /not a regular file/, name);
    assert.ok(unchanged(path), `${name} was replaced`);
    // A heatmap export is refused the same way, before any work (the probe does not even exist).
    const h = await call('exportHeatmap', { slideId, probeId: 'none', format: 'geojson', path, overwrite: true });
    assert.equal(h.status, 400, `heatmap ${name}: ${h.message}`);
    assert.match(h.message, /not a regular file/, name);
    assert.ok(unchanged(path), `${name} was replaced by the heatmap export`);
  }
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('writeExport refuses relative paths; a device that appears before the rename is not replaced', async () => {
  await assert.rejects(writeExport('relative.csv', 'x'), ExportTargetError);
  await assert.rejects(writeExport(join(dir, 'a\0.csv'), 'x'), ExportTargetError);
  // The race: the target turns into a FIFO after the first check, before the temp file is renamed over it.
  const racy = join(dir, 'racy.csv');
  if (mkfifo(racy)) {
    await assert.rejects(writeFileAtomic(racy, 'x', { beforeReplace: checkReplaceable }), /named pipe/);
    assert.ok(lstatSync(racy).isFIFO());
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('racy.csv.') && n.endsWith('.tmp')), []);
  }
});
