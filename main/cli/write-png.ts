// Writes decoded slide pixels as PNG, keeping alpha (transparent outside the slide).
import sharp from 'sharp';
import type { RawImage } from '../slide/slide-reader.js';

export async function writeRgbaPng(path: string, image: RawImage): Promise<void> {
  if (!path.toLowerCase().endsWith('.png')) throw new Error(`--out must be a .png file, not "${path}"`);
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .png()
    .toFile(path);
}
