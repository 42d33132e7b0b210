// `tessera region <slide> --level L --x X --y Y --width W --height H --out f.png`: OpenSlide's
// read_region (x, y in level-0 pixels, W × H in level pixels) written as an RGBA PNG.
import type { Command } from 'commander';
import { openSlide } from '../../slide/open-slide.js';
import { writeRgbaPng } from '../write-png.js';

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new Error(`${name} must be a whole number ≥ ${min}, not "${value}"`);
    }
    return n;
  };
}

export function registerRegion(program: Command): void {
  program
    .command('region')
    .description('Write a region of a slide as an RGBA PNG (OpenSlide read_region: x, y in level-0 pixels)')
    .argument('<slide>', 'slide file')
    .option('--level <L>', 'pyramid level', '0')
    .requiredOption('--x <X>', 'left edge, level-0 pixels')
    .requiredOption('--y <Y>', 'top edge, level-0 pixels')
    .requiredOption('--width <W>', 'width in pixels of the level')
    .requiredOption('--height <H>', 'height in pixels of the level')
    .requiredOption('--out <file>', 'output PNG file')
    .action(async (slidePath: string, opts: Record<string, string>) => {
      const level = integer('--level', 0)(opts.level);
      const x = integer('--x', Number.MIN_SAFE_INTEGER)(opts.x);
      const y = integer('--y', Number.MIN_SAFE_INTEGER)(opts.y);
      const width = integer('--width', 1)(opts.width);
      const height = integer('--height', 1)(opts.height);
      const slide = await openSlide(slidePath);
      try {
        await writeRgbaPng(opts.out, await slide.readRegion(level, x, y, width, height));
      } finally {
        await slide.close();
      }
    });
}
