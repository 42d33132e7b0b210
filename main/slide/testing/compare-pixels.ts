// Test helper: how far our RGBA pixels are from a reference PNG (OpenSlide's output).
import sharp from 'sharp';

export interface PixelDiff {
  /** Mean absolute RGB difference over pixels visible (alpha > 0) in the reference. */
  mean: number;
  p99: number;
  max: number;
  /** Largest alpha difference, and how many pixels differ in alpha at all. */
  alphaMax: number;
  alphaMismatches: number;
}

export async function loadRgba(path: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export function diffRgba(ours: Buffer, reference: Buffer): PixelDiff {
  const histogram = new Array<number>(256).fill(0);
  let sum = 0;
  let n = 0;
  let alphaMax = 0;
  let alphaMismatches = 0;
  for (let i = 0; i < reference.length; i += 4) {
    const da = Math.abs(ours[i + 3] - reference[i + 3]);
    if (da) {
      alphaMismatches++;
      alphaMax = Math.max(alphaMax, da);
    }
    if (reference[i + 3] === 0) continue;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(ours[i + c] - reference[i + c]);
      histogram[d]++;
      sum += d;
      n++;
    }
  }
  let max = 0;
  for (let d = 0; d < 256; d++) if (histogram[d]) max = d;
  let p99 = 0;
  for (let d = 0, seen = 0; d < 256; d++) {
    seen += histogram[d];
    if (seen >= 0.99 * n) {
      p99 = d;
      break;
    }
  }
  return { mean: n ? sum / n : 0, p99, max, alphaMax, alphaMismatches };
}
