// PatchCamelyon patches from ../shared (pcam-ai4all): 96 px RGB at ~0.97 µm/px, label 1 = tumour in the centre.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { shared } from '../../testing/shared-data.js';

export interface LabelledPatches {
  paths: string[];
  labels: Uint8Array;
}

export async function listPcam(split: 'train' | 'valid', perClass = Infinity): Promise<LabelledPatches> {
  const paths: string[] = [];
  const labels: number[] = [];
  for (const label of [0, 1]) {
    const dir = shared('data', 'patches', 'pcam-ai4all', split, String(label));
    const names = (await readdir(dir)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort().slice(0, perClass);
    for (const n of names) {
      paths.push(join(dir, n));
      labels.push(label);
    }
  }
  return { paths, labels: Uint8Array.from(labels) };
}

/** Decodes an image to RGB, resized to `size` × `size` when given. */
export async function loadRgb(path: string, size?: number): Promise<Uint8Array> {
  let img = sharp(path).removeAlpha();
  if (size) img = img.resize(size, size, { kernel: 'cubic' });
  const { data } = await img.raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** The baseline every encoder must beat: per-channel RGB mean and standard deviation (6 numbers). */
export function colourStats(rgb: Uint8Array): number[] {
  const n = rgb.length / 3;
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    let s = 0;
    let s2 = 0;
    for (let i = c; i < rgb.length; i += 3) {
      s += rgb[i];
      s2 += rgb[i] * rgb[i];
    }
    const mean = s / n;
    out.push(mean, Math.sqrt(Math.max(0, s2 / n - mean * mean)));
  }
  return out;
}
