#!/usr/bin/env node
// Draws Tessera's icon (a mosaic of H&E-coloured tiles on a dark rounded square) with sharp:
// build/icon.png (512 px, electron-builder derives the platform formats from it) and the renderer's favicon.
// Usage: node scripts/make-icons.js
import sharp from 'sharp';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const colours = ['#e3a6c4', '#c56a9f', '#8e4a8c', '#f0d2e2', '#6b3f86', '#d88bb5'];
let cells = '';
const n = 4;
const size = 82;
const gap = 10;
const origin = (512 - (n * size + (n - 1) * gap)) / 2;
for (let r = 0; r < n; r++) {
  for (let c = 0; c < n; c++) {
    const fill = colours[(r * 3 + c * 5 + r * c) % colours.length];
    const x = origin + c * (size + gap);
    const y = origin + r * (size + gap);
    cells += `<rect x="${x}" y="${y}" width="${size}" height="${size}" rx="12" fill="${fill}"/>`;
  }
}
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <rect width="512" height="512" rx="96" fill="#1d1f23"/>
  ${cells}
  <rect x="${origin + 2 * (size + gap) - 6}" y="${origin + (size + gap) - 6}" width="${2 * size + gap + 12}" height="${2 * size + gap + 12}" rx="16" fill="none" stroke="#5b9bd5" stroke-width="10"/>
</svg>`;

const outputs = [
  [join(root, 'build', 'icon.png'), 512],
  [join(root, 'renderer', 'public', 'favicon.png'), 64],
];
for (const [path, px] of outputs) {
  mkdirSync(dirname(path), { recursive: true });
  await sharp(Buffer.from(svg)).resize(px, px).png({ compressionLevel: 9, palette: true }).toFile(path);
  console.log(`wrote ${path}`);
}
