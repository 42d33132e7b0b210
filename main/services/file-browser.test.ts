// The file browser (issue 8): listings confined to home + added folders, links resolved before the check.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTesseraApi, dispatchApiCall } from './tessera-services.js';
import { expandHome, FileBrowser } from './file-browser.js';
import { SlideService } from './slide-service.js';
import { inMemoryBackend } from './testing/in-memory-backend.js';

let dir: string;
let home: string;
let outside: string;
let slides: SlideService;
let files: FileBrowser;

const dicomBytes = () => Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(60)]);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-browse-'));
  home = join(dir, 'home');
  outside = join(dir, 'outside');
  mkdirSync(join(home, 'slides', 'series'), { recursive: true });
  mkdirSync(join(home, '.hidden'));
  mkdirSync(outside);
  writeFileSync(join(home, 'slides', 'CMU-1.svs'), Buffer.alloc(1234));
  writeFileSync(join(home, 'slides', 'b.ome.tiff'), 'x');
  writeFileSync(join(home, 'slides', 'notes.txt'), 'not a slide');
  writeFileSync(join(home, 'slides', '.secret.svs'), 'hidden');
  writeFileSync(join(home, 'slides', 'series', 'level0'), dicomBytes()); // DICOM without the extension
  writeFileSync(join(home, 'slides', 'series', 'level1.dcm'), dicomBytes());
  writeFileSync(join(outside, 'foreign.svs'), 'foreign');
  symlinkSync(outside, join(home, 'escape')); // a link leading out of home
  symlinkSync(join(outside, 'foreign.svs'), join(home, 'slides', 'link.svs'));
  symlinkSync(join(home, 'slides', 'CMU-1.svs'), join(home, 'slides', 'inside-link.svs'));
  slides = new SlideService(inMemoryBackend(join(home, 'slides', 'CMU-1.svs')));
  files = new FileBrowser({ home, rootsFile: join(dir, 'data', 'browse-folders.json'), recent: () => slides.recent.list() });
});
after(async () => {
  await slides.closeAll();
  await rm(dir, { recursive: true, force: true });
});

test('lists folders, slides (format list extensions) and DICOM folders with sizes; hidden, other files and links out are left out', async () => {
  const l = await files.list(join(home, 'slides'));
  assert.equal(l.path, join(home, 'slides'));
  assert.equal(l.parent, home);
  assert.deepEqual(
    l.entries.map((e) => [e.name, e.kind, e.size]),
    [
      ['series', 'dicom-folder', 2 * 192],
      ['b.ome.tiff', 'slide', 1],
      ['CMU-1.svs', 'slide', 1234],
      ['inside-link.svs', 'slide', 1234],
    ],
  );
  assert.ok(l.extensions.includes('svs') && l.extensions.includes('ndpi') && l.extensions.includes('dcm'));
  // Default and `~`: the home folder, at the top of its root; the link to outside is not listed.
  for (const path of [undefined, '~', '~/']) {
    const top = await files.list(path);
    assert.equal(top.path, home);
    assert.equal(top.parent, null);
    assert.deepEqual(top.entries.map((e) => e.name), ['slides']);
    assert.deepEqual(top.roots, [{ path: home, label: 'Home', removable: false }]);
  }
});

test('refuses `..`, symlink escapes and absolute paths outside (403), relative paths (400)', async () => {
  for (const path of [join(home, '..'), join(home, 'slides', '..', '..', 'outside'), join(home, 'escape'), outside, '/', '/etc', '~/../outside', join(home, 'slides', 'link.svs')]) {
    await assert.rejects(files.list(path), (err: { code?: string; status?: number }) => err.code === 'forbidden' && err.status === 403, path);
  }
  // A missing path outside says "outside", not "missing" (nothing is told about what lies out there).
  await assert.rejects(files.list(join(outside, 'nope')), { code: 'forbidden' });
  await assert.rejects(files.list(join(home, 'nope')), { code: 'not-found' });
  for (const path of ['slides', './slides', '../outside', 'a\0b']) {
    await assert.rejects(files.list(path), { code: 'invalid-argument' }, path);
  }
  // Through the contract, as the browser host carries it.
  const api = createTesseraApi({ slides, transport: 'browser', files });
  const out = await dispatchApiCall(api, 'listFolder', { path: join(home, 'escape') });
  assert.equal(out.ok, false);
  if (!out.ok) assert.equal(out.status, 403);
  const ok = await dispatchApiCall(api, 'listFolder', undefined);
  assert.ok(ok.ok);
});

test('folders the user adds become roots (kept in the user data folder); recent folders; ~ in openSlide', async () => {
  const roots = await files.addRoot(outside);
  assert.deepEqual(roots.map((r) => r.path), [home, outside]);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'data', 'browse-folders.json'), 'utf8')), [outside]);
  const again = new FileBrowser({ home, rootsFile: join(dir, 'data', 'browse-folders.json') });
  const l = await again.list(outside);
  assert.deepEqual(l.entries.map((e) => e.name), ['foreign.svs']);
  assert.equal(l.parent, null);
  // Now the link through home leads into a root: listed.
  assert.ok((await again.list(home)).entries.some((e) => e.name === 'escape'));
  await again.removeRoot(outside);
  await assert.rejects(again.list(outside), { code: 'forbidden' });
  await assert.rejects(files.addRoot('relative/folder'), { code: 'invalid-argument' });

  assert.equal(expandHome('~/a/b', '/h'), '/h/a/b');
  assert.equal(expandHome('~', '/h'), '/h');
  assert.equal(expandHome('/x/~', '/h'), '/x/~');
  const prevHome = process.env.HOME;
  process.env.HOME = home;
  try {
    const info = await slides.open('~/slides/CMU-1.svs');
    assert.equal(info.path, join(home, 'slides', 'CMU-1.svs'));
  } finally {
    process.env.HOME = prevHome;
  }
  assert.deepEqual((await files.list(home)).recentFolders, [join(home, 'slides')]);
});
