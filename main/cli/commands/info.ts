// `tessera info <slide> [--json]`: what a slide is (vendor, levels, scale, associated images, properties).
// The JSON form is a stable interface for scripts; the text form is for people.
import type { Command } from 'commander';
import { openSlide } from '../../slide/open-slide.js';
import { slideFingerprint } from '../../slide/slide-fingerprint.js';
import { loadUserMpp } from '../../slide/slide-pixel-size.js';
import type { SlideReader } from '../../slide/slide-reader.js';

export interface SlideInfo {
  file: string;
  vendor: string;
  levels: { width: number; height: number; downsample: number; tileWidth: number; tileHeight: number }[];
  mpp: { x: number; y: number } | null;
  objectivePower: number | null;
  /** The level-0 µm/px set for this slide in the app (stored per slide content), when one is; analysis uses it. */
  userMpp?: number;
  associatedImages: { name: string; width: number; height: number }[];
  properties: Record<string, string>;
}

export function slideInfo(file: string, slide: SlideReader): SlideInfo {
  return {
    file,
    vendor: slide.vendor,
    levels: slide.levels.map(({ width, height, downsample, tileWidth, tileHeight }) => ({ width, height, downsample, tileWidth, tileHeight })),
    mpp: slide.mpp,
    objectivePower: slide.objectivePower,
    associatedImages: slide.associatedImages.map(({ name, width, height }) => ({ name, width, height })),
    properties: { ...slide.properties },
  };
}

export function formatSlideInfo(info: SlideInfo): string {
  // Property values may hold line breaks (Aperio descriptions): escape them so one property is one line.
  const oneLine = (s: string): string => s.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  const lines = [
    `file: ${info.file}`,
    `vendor: ${info.vendor}`,
    `levels: ${info.levels.length}`,
    ...info.levels.map(
      (l, i) => `  ${i}: ${l.width} x ${l.height}, downsample ${l.downsample}, tiles ${l.tileWidth} x ${l.tileHeight}`,
    ),
    `mpp: ${info.mpp ? `${info.mpp.x} x ${info.mpp.y} µm/px` : 'unknown'}`,
    ...(info.userMpp !== undefined ? [`pixel size set by the user: ${info.userMpp} µm/px (stored for this slide; analysis uses it unless --mpp-override)`] : []),
    `objective power: ${info.objectivePower ?? 'unknown'}`,
    `associated images: ${info.associatedImages.length === 0 ? 'none' : ''}`.trimEnd(),
    ...info.associatedImages.map((a) => `  ${a.name}: ${a.width} x ${a.height}`),
    'properties:',
    ...Object.entries(info.properties).map(([k, v]) => `  ${k}: ${oneLine(v)}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('Show a slide: vendor, levels, MPP, objective power, associated images, properties')
    .argument('<slide>', 'slide file, or a folder of DICOM (.dcm) files')
    .option('--json', 'print JSON instead of text')
    .action(async (slidePath: string, opts: { json?: boolean }) => {
      const slide = await openSlide(slidePath);
      try {
        const info = slideInfo(slidePath, slide);
        const userMpp = await loadUserMpp(await slideFingerprint(slidePath));
        if (userMpp !== null) info.userMpp = userMpp;
        process.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : formatSlideInfo(info));
      } finally {
        await slide.close();
      }
    });
}
