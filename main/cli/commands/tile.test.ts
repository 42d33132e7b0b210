import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli } from '../testing/run-cli.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';

test('tessera tile writes OpenSlide-sized Deep Zoom tiles and fails cleanly', { skip: skipWithoutShared }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-tile-'));
  try {
    const svs = shared('data', 'slides', 'CMU-1-Small-Region.svs');
    const png = join(dir, 'tile.png');
    const first = await runCli(['tile', svs, '11', '0', '4', '--out', png]);
    assert.deepEqual({ code: first.code, stderr: first.stderr }, { code: 0, stderr: '' });
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 255, 256]);

    const jpeg = join(dir, 'tile.jpg');
    assert.equal((await runCli(['tile', svs, '12', '1', '1', '--tile-size', '240', '--overlap', '0', '--out', jpeg])).code, 0);
    assert.deepEqual([(await sharp(jpeg).metadata()).width, (await sharp(jpeg).metadata()).height], [240, 240]);

    for (const [argv, message] of [
      [['tile', svs, '13', '0', '0', '--out', png], /Invalid Deep Zoom level 13/],
      [['tile', svs, '12', '99', '0', '--out', png], /Invalid tile address 99_0/],
      [['tile', svs, '12', '0', '0', '--out', join(dir, 'tile.gif')], /--out must end in \.jpeg, \.jpg or \.png/],
      [['tile', svs, 'x', '0', '0', '--out', png], /level must be a whole number/],
      [['tile', join(dir, 'missing.svs'), '1', '0', '0', '--out', png], /No such file/],
    ] as const) {
      const { code, stderr } = await runCli([...argv]);
      assert.equal(code, 1, stderr);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(existsSync(join(dir, 'tile.gif')), false);
    assert.equal((await runCli(['tile', svs, '1', '0'])).code, 2, 'usage errors exit 2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
