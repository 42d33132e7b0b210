// `tessera associated <slide> <name> --out f.png`: an associated image (thumbnail, label, macro) as PNG.
import type { Command } from 'commander';
import { openSlide } from '../../slide/open-slide.js';
import { writeRgbaPng } from '../write-png.js';

export function registerAssociated(program: Command): void {
  program
    .command('associated')
    .description('Write an associated image of a slide (thumbnail, label, macro) as PNG')
    .argument('<slide>', 'slide file')
    .argument('<name>', 'associated image name, as `tessera info` lists them')
    .requiredOption('--out <file>', 'output PNG file')
    .action(async (slidePath: string, name: string, opts: { out: string }) => {
      const slide = await openSlide(slidePath);
      try {
        await writeRgbaPng(opts.out, await slide.readAssociatedImage(name));
      } finally {
        await slide.close();
      }
    });
}
