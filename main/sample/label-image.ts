// The sample slide's label: a white sticker with a seeded barcode and a coloured header band, RGB.
import { seededRandom } from '../common/seeded-random.js';

export function labelImage(width: number, height: number, seed: number): Buffer {
  const rand = seededRandom(seed);
  const img = Buffer.alloc(width * height * 3, 250);
  const band = Math.round(height * 0.18);
  for (let y = 0; y < band; y++) for (let x = 0; x < width; x++) img.set([176, 60, 120], (y * width + x) * 3);
  // Barcode: bars of 1–4 modules across the middle.
  const module = Math.max(2, Math.floor(width / 120));
  let x = Math.round(width * 0.08);
  const top = Math.round(height * 0.3);
  const bottom = Math.round(height * 0.8);
  let black = true;
  while (x < width * 0.92) {
    const w = module * (1 + Math.floor(rand() * 4));
    if (black) {
      for (let y = top; y < bottom; y++) for (let i = x; i < Math.min(x + w, width); i++) img.set([20, 20, 20], (y * width + i) * 3);
    }
    x += w;
    black = !black;
  }
  return img;
}
