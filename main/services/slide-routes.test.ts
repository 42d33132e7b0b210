import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlideService } from './slide-service.js';
import { handleTileRequest, slidesPathOf } from './slide-routes.js';
import { inMemoryBackend } from './testing/in-memory-backend.js';

let dir: string;
let slides: SlideService;
let id: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-routes-'));
  writeFileSync(join(dir, 'a.svs'), 'x');
  writeFileSync(join(dir, 'secret.txt'), 'do not serve');
  slides = new SlideService(inMemoryBackend(join(dir, 'a.svs')));
  id = (await slides.open(join(dir, 'a.svs'))).id;
});
after(async () => {
  await slides.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

test('serves the list, the .dzi, tiles and nothing else for an open slide', async () => {
  const list = await handleTileRequest('tessera://slides/', slides);
  assert.equal(list.status, 200);
  assert.deepEqual(JSON.parse(String(list.body)).map((s: { id: string }) => s.id), [id]);
  const dzi = await handleTileRequest(`/slides/${id}.dzi`, slides);
  assert.equal(dzi.status, 200);
  assert.match(String(dzi.body), /TileSize="254" Overlap="1" Format="jpeg"/);
  const tile = await handleTileRequest(`tessera://slides/${id}_files/10/1_1.jpeg`, slides);
  assert.equal(tile.status, 200);
  assert.equal(tile.headers['content-type'], 'image/jpeg');
  assert.deepEqual([...(tile.body as Buffer).subarray(0, 2)], [0xff, 0xd8]);
  const png = await handleTileRequest(`http://127.0.0.1:1/slides/${id}_files/9/0_0.png?x=1`, slides);
  assert.equal(png.headers['content-type'], 'image/png');
});

test('traversal, escapes, unknown ids and malformed paths get errors, never a file', async () => {
  const bad = [
    `/slides/../secret.txt`,
    `/slides/${id}_files/../../secret.txt`,
    `/slides/%2e%2e/secret.txt`,
    `/slides/${id}_files/10/%2e%2e%2fsecret.txt`,
    `/slides/${id}_files/10/1_1.jpeg%00`,
    `/slides/${id}_files\\10\\1_1.jpeg`,
    `/slides/${id}.dzi/..`,
    `/slides/./${id}.dzi`,
    `/slides/${dir}/secret.txt`,
    `/slides/${join(dir, 'secret.txt')}`,
    `/slides/ffffffffffff.dzi`,
    `/slides/ffffffffffff_files/10/0_0.jpeg`,
    `/slides/${id}_files/10/1_1.gif`,
    `/slides/${id}_files/10/1_1`,
    `/slides/${id}_files/-1/0_0.jpeg`,
    `/slides/${id}_files/99/0_0.jpeg`,
    `/slides/${id}_files/10/999_0.jpeg`,
    `/slides/${id}/associated/label.jpeg`,
    `/slides/${id}/associated/../../secret.jpeg`,
    `tessera://slides/../../etc/passwd`,
    `tessera://other/${id}.dzi`,
    `/elsewhere/${id}.dzi`,
  ];
  for (const url of bad) {
    const r = await handleTileRequest(url, slides);
    assert.ok(r.status >= 400 && r.status < 500, `${url} -> ${r.status}`);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', url);
    assert.doesNotMatch(String(r.body), /do not serve/, url);
  }
  assert.equal((await handleTileRequest(`/slides/${id}.dzi`, slides, 'POST')).status, 405);
});

test('closed slides stop being served', async () => {
  writeFileSync(join(dir, 'b.svs'), 'y');
  const b = await slides.open(join(dir, 'b.svs'));
  assert.equal((await handleTileRequest(`/slides/${b.id}.dzi`, slides)).status, 200);
  await slides.close(b.id);
  assert.equal((await handleTileRequest(`/slides/${b.id}.dzi`, slides)).status, 404);
});

test('slidesPathOf only accepts the slides root', () => {
  assert.equal(slidesPathOf('tessera://slides/abc.dzi'), 'abc.dzi');
  assert.equal(slidesPathOf('/slides/abc.dzi?token=1'), 'abc.dzi');
  assert.equal(slidesPathOf('/slides'), '');
  assert.equal(slidesPathOf('/slidesx/abc.dzi'), null);
  assert.equal(slidesPathOf('tessera://app/index.html'), null);
});
