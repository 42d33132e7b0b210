// Seeded H&E-like textures, drawn once in JS at 1024 × 1024 and repeated across the slide (they wrap
// seamlessly): eosin-pink fibrous stroma with sparse slender nuclei, and tumour with dense, large,
// dark, pleomorphic nuclei on purplish cytoplasm.
import { seededRandom, type Random } from '../common/seeded-random.js';

export const TEXTURE_SIZE = 1024;

type Rgb = [number, number, number];

/** Periodic value noise on a `cells` × `cells` lattice, smoothly interpolated, in [0, 1]. */
function periodicNoise(rand: Random, cells: number): (x: number, y: number) => number {
  const lattice = Float32Array.from({ length: cells * cells }, () => rand());
  const step = TEXTURE_SIZE / cells;
  const wrap = (a: number) => ((a % cells) + cells) % cells;
  return (x, y) => {
    const gx = x / step;
    const gy = y / step;
    const i = Math.floor(gx);
    const j = Math.floor(gy);
    const fx = gx - i;
    const fy = gy - j;
    const sx = fx * fx * (3 - 2 * fx);
    const sy = fy * fy * (3 - 2 * fy);
    const i0 = wrap(i);
    const i1 = wrap(i + 1);
    const j0 = wrap(j) * cells;
    const j1 = wrap(j + 1) * cells;
    return (lattice[j0 + i0] * (1 - sx) + lattice[j0 + i1] * sx) * (1 - sy) + (lattice[j1 + i0] * (1 - sx) + lattice[j1 + i1] * sx) * sy;
  };
}

function fill(base: (x: number, y: number) => Rgb): Buffer {
  const n = TEXTURE_SIZE;
  const out = Buffer.alloc(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const [r, g, b] = base(x, y);
      const o = (y * n + x) * 3;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return out;
}

/** Paints a rotated elliptical nucleus (wrapping around the edges) with a soft rim and chromatin speckle. */
function nucleus(img: Buffer, rand: Random, cx: number, cy: number, rx: number, ry: number, angle: number, colour: Rgb): void {
  const n = TEXTURE_SIZE;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const reach = Math.ceil(Math.max(rx, ry)) + 2;
  const speckle = 0.25 + 0.2 * rand();
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      const u = (dx * cos + dy * sin) / rx;
      const v = (-dx * sin + dy * cos) / ry;
      const d = Math.sqrt(u * u + v * v);
      if (d > 1.15) continue;
      // Opaque inside, fading over the last 15 % of the radius; darker rim (nuclear membrane).
      let a = d < 0.85 ? 1 : Math.max(0, (1.15 - d) / 0.3);
      if (d > 0.75 && d < 1) a = Math.min(1, a * 1.1);
      const x = (((Math.round(cx) + dx) % n) + n) % n;
      const y = (((Math.round(cy) + dy) % n) + n) % n;
      const o = (y * n + x) * 3;
      const grain = 1 - speckle * Math.max(0, Math.sin(dx * 1.7 + dy * 2.3) * Math.cos(dx * 0.9 - dy * 1.3));
      const rim = d > 0.75 && d < 1 ? 0.85 : 1;
      for (let c = 0; c < 3; c++) {
        const target = colour[c] * grain * rim;
        img[o + c] = Math.round(img[o + c] * (1 - a) + target * a);
      }
    }
  }
}

export function stromaTexture(seed: number): Buffer {
  const rand = seededRandom(seed);
  const coarse = periodicNoise(rand, 8);
  const fine = periodicNoise(rand, 64);
  const img = fill((x, y) => {
    // Wavy collagen fibres running roughly along x.
    const fibre = 0.5 + 0.5 * Math.sin((y + 40 * coarse(x, y) * 6) * ((2 * Math.PI) / 32) + fine(x, y) * 3);
    const t = 0.55 * fibre + 0.45 * fine(x * 2, y * 2);
    const gap = fine(x * 4, y) > 0.82 ? 0.35 : 0; // pale clefts between bundles
    return [
      Math.round(246 - 20 * t + 6 * gap),
      Math.round(196 - 62 * t + 40 * gap),
      Math.round(216 - 36 * t + 24 * gap),
    ];
  });
  for (let i = 0; i < 70; i++) {
    // Spindle fibroblast nuclei, aligned with the fibres.
    const r = 4 + rand() * 3;
    nucleus(img, rand, rand() * TEXTURE_SIZE, rand() * TEXTURE_SIZE, r * (2.6 + rand() * 1.4), r, (rand() - 0.5) * 0.6, [112, 62, 150]);
  }
  for (let i = 0; i < 25; i++) {
    // Small round lymphocytes.
    const r = 6 + rand() * 2;
    nucleus(img, rand, rand() * TEXTURE_SIZE, rand() * TEXTURE_SIZE, r, r, 0, [70, 40, 120]);
  }
  return img;
}

export function tumourTexture(seed: number): Buffer {
  const rand = seededRandom(seed);
  const coarse = periodicNoise(rand, 16);
  const fine = periodicNoise(rand, 128);
  const img = fill((x, y) => {
    const t = 0.6 * coarse(x, y) + 0.4 * fine(x, y);
    return [Math.round(222 - 30 * t), Math.round(160 - 40 * t), Math.round(208 - 22 * t)];
  });
  // Crowded, large, pleomorphic, hyperchromatic nuclei on a jittered lattice.
  const spacing = 58;
  const per = Math.round(TEXTURE_SIZE / spacing);
  const step = TEXTURE_SIZE / per;
  for (let j = 0; j < per; j++) {
    for (let i = 0; i < per; i++) {
      const r = 17 + rand() * 11;
      const dark = 0.75 + rand() * 0.35;
      nucleus(
        img,
        rand,
        (i + 0.5) * step + (rand() - 0.5) * step * 0.5,
        (j + 0.5) * step + (rand() - 0.5) * step * 0.5,
        r * (1 + rand() * 0.45),
        r,
        rand() * Math.PI,
        [Math.round(78 * dark), Math.round(38 * dark), Math.round(118 * dark)],
      );
    }
  }
  return img;
}
