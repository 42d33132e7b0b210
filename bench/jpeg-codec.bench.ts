// JPEG decode and encode of real stored tiles: libjpeg-turbo straight through TurboJPEG
// (slide/codecs/libjpeg-turbo.ts) against sharp (the same libjpeg-turbo inside a libvips pipeline), in
// one process on the same tiles. The tile path's reason for its codec.
//   node --import tsx bench/jpeg-codec.bench.ts      env: JPEG_BENCH_ROUNDS=400
import { cpus, loadavg } from 'node:os';
import sharp from 'sharp';
import { openSlide } from '../main/slide/open-slide.js';
import { shared } from '../main/testing/shared-data.js';
import { decodeWithLibjpegTurbo, encodeWithLibjpegTurbo, jpegDecoderDescription, libjpegTurboScales } from '../main/slide/codecs/libjpeg-turbo.js';

sharp.cache(false);
const rounds = Number(process.env.JPEG_BENCH_ROUNDS ?? 400);
const slide = await openSlide(shared('data', 'slides', 'CMU-1-Small-Region.svs'));
const { tileWidth: tw, tileHeight: th } = slide.levels[0];
const tiles: Buffer[] = [];
for (let i = 0; i < 16; i++) {
  const t = await slide.readNativeTile(0, i % 8, i >> 3);
  if (t?.encoding === 'jpeg') tiles.push(t.bytes);
}
await slide.close();
const raw = (await decodeWithLibjpegTurbo(tiles[0], tw * th, 3))!.data;

async function measure(run: (i: number) => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < 20; i++) await run(i);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await run(i);
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / rounds, cpu: (c.user + c.system) / 1000 / rounds };
}

console.log(`JPEG codec bench: ${tiles.length} stored ${tw}×${th} tiles of CMU-1-Small-Region, ${rounds} rounds each, one at a time; load ${loadavg()[0].toFixed(1)}`);
console.log(`decoder: ${jpegDecoderDescription()}`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`);
const rows: [string, () => Promise<{ wall: number; cpu: number }>, () => Promise<{ wall: number; cpu: number }>][] = [
  ['decode to RGB', () => measure((i) => sharp(tiles[i % tiles.length]).raw().toBuffer()), () => measure((i) => decodeWithLibjpegTurbo(tiles[i % tiles.length], tw * th, 3))],
  [
    `encode ${tw}×${th} RGB, q75`,
    () => measure(() => sharp(raw, { raw: { width: tw, height: th, channels: 3 } }).jpeg({ quality: 75 }).toBuffer()),
    () => measure(() => encodeWithLibjpegTurbo(raw, tw, th, 75)),
  ],
];
if (libjpegTurboScales()) {
  rows.push([
    'half size (tile cut at 2×)',
    // sharp does no JPEG shrink-on-load at exactly 2× (its pipeline halves the load factor when it equals
    // the resize's integer part), so its best is a full decode and a resize.
    () => measure((i) => sharp(tiles[i % tiles.length]).resize(tw / 2, th / 2, { kernel: 'lanczos3' }).raw().toBuffer()),
    () => measure((i) => decodeWithLibjpegTurbo(tiles[i % tiles.length], tw * th, 3, 2)),
  ]);
}
console.log('operation                 sharp ms (CPU)     libjpeg-turbo ms (CPU)   ratio');
for (const [name, viaSharp, direct] of rows) {
  const a = await viaSharp();
  const b = await direct();
  console.log(`${name.padEnd(26)} ${a.wall.toFixed(3)} (${a.cpu.toFixed(3)})      ${b.wall.toFixed(3)} (${b.cpu.toFixed(3)})            ${(a.wall / b.wall).toFixed(1)}×`);
}
