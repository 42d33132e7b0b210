// `tessera tile <slide> <level> <col> <row> --out tile.jpeg`: one Deep Zoom tile, laid out as OpenSlide's
// DeepZoomGenerator (limit_bounds off), written as JPEG or PNG by the output file's extension.
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { openSlide } from '../../slide/open-slide.js';
import { DEFAULT_JPEG_QUALITY, DeepZoomTileService, type TileFormat } from '../../tiles/index.js';

function wholeNumber(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || n < min || n > max) {
      throw new Error(`${name} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` ≥ ${min}`}, not "${value}"`);
    }
    return n;
  };
}

function formatOf(path: string): TileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.png') return 'png';
  throw new Error(`--out must end in .jpeg, .jpg or .png (the tile format), not "${path}"`);
}

export function registerTile(program: Command): void {
  program
    .command('tile')
    .description('Write one Deep Zoom tile of a slide (OpenSlide DeepZoomGenerator layout, limit_bounds off)')
    .argument('<slide>', 'slide file')
    .argument('<level>', 'Deep Zoom level (0 is 1×1 pixel)')
    .argument('<col>', 'tile column')
    .argument('<row>', 'tile row')
    .requiredOption('--out <file>', 'output file, .jpeg/.jpg or .png')
    .option('--tile-size <px>', 'tile size without overlap', '254')
    .option('--overlap <px>', 'overlap added on interior edges', '1')
    .option('--quality <q>', 'JPEG quality 1–100', String(DEFAULT_JPEG_QUALITY))
    .action(async (slidePath: string, level: string, col: string, row: string, opts: Record<string, string>) => {
      const format = formatOf(opts.out);
      const tileSize = wholeNumber('--tile-size', 1, 65536)(opts.tileSize);
      const overlap = wholeNumber('--overlap', 0, 65536)(opts.overlap);
      const quality = wholeNumber('--quality', 1, 100)(opts.quality);
      const address = [wholeNumber('level', 0)(level), wholeNumber('col', 0)(col), wholeNumber('row', 0)(row)] as const;
      const slide = await openSlide(slidePath);
      try {
        const service = new DeepZoomTileService(slide, { tileSize, overlap, tileCacheBytes: 0 });
        const bytes = await service.getTile(...address, format, quality);
        await writeFile(opts.out, bytes);
      } finally {
        await slide.close();
      }
    });
}
