// Renders the sample slide's tiles at any pyramid level: background, stroma or tumour texture where a
// tile is all one class (shared buffers, so repeated tiles cost nothing), and a per-pixel blend of the
// three along the tissue and tumour outlines.
import sharp from 'sharp';
import { FieldGrid, type TissueLayout } from './tissue-layout.js';
import { TEXTURE_SIZE, stromaTexture, tumourTexture } from './tissue-textures.js';

const BACKGROUND_GREY = 245;
export const BACKGROUND: [number, number, number] = [BACKGROUND_GREY, BACKGROUND_GREY, BACKGROUND_GREY];

export interface RenderedTile {
  /** Same key, same pixels: lets the writer reuse the encoded tile. */
  key: string;
  pixels: Buffer;
}

export class SampleTileRenderer {
  private readonly tissueField: FieldGrid;
  private readonly tumourField: FieldGrid;
  private readonly uniform = new Map<string, Buffer>();

  private constructor(
    readonly layout: TissueLayout,
    readonly tileSize: number,
    /** Per level: [stroma, tumour] textures at that level's scale, `TEXTURE_SIZE / 2^level` px square. */
    private readonly textures: [Buffer, Buffer][],
  ) {
    this.tissueField = new FieldGrid(layout.width, layout.height, layout.tissue);
    this.tumourField = new FieldGrid(layout.width, layout.height, layout.tumour);
  }

  static async create(layout: TissueLayout, tileSize: number, levels: number, seed: number): Promise<SampleTileRenderer> {
    const full = [stromaTexture(seed + 1), tumourTexture(seed + 2)];
    const textures: [Buffer, Buffer][] = [];
    for (let level = 0; level < levels; level++) {
      const size = Math.max(1, TEXTURE_SIZE >> level);
      const scaled = await Promise.all(
        full.map((t) =>
          level === 0
            ? t
            : sharp(t, { raw: { width: TEXTURE_SIZE, height: TEXTURE_SIZE, channels: 3 } }).resize(size, size, { kernel: 'lanczos3' }).raw().toBuffer(),
        ),
      );
      textures.push([scaled[0], scaled[1]]);
    }
    return new SampleTileRenderer(layout, tileSize, textures);
  }

  /** Tile (col, row) of pyramid `level` (level-k pixel = 2^k level-0 pixels), RGB, tileSize square. */
  render(level: number, col: number, row: number): RenderedTile {
    const t = this.tileSize;
    const scale = 2 ** level;
    const x0 = col * t;
    const y0 = row * t;
    const levelWidth = Math.ceil(this.layout.width / scale);
    const levelHeight = Math.ceil(this.layout.height / scale);
    const half = scale / 2;
    const [tLo, tHi] = this.tissueField.range(x0 * scale, y0 * scale, (x0 + t) * scale, (y0 + t) * scale);
    const [uLo, uHi] = this.tumourField.range(x0 * scale, y0 * scale, (x0 + t) * scale, (y0 + t) * scale);
    const inside = x0 + t <= levelWidth && y0 + t <= levelHeight;
    if (inside && tHi <= -half) return this.uniformTile(level, 'background', x0, y0);
    if (inside && tLo >= half && uHi <= -half) return this.uniformTile(level, 'stroma', x0, y0);
    if (inside && tLo >= half && uLo >= half) return this.uniformTile(level, 'tumour', x0, y0);
    return { key: `${level}/${col}/${row}`, pixels: this.blend(level, x0, y0, levelWidth, levelHeight) };
  }

  private uniformTile(level: number, kind: 'background' | 'stroma' | 'tumour', x0: number, y0: number): RenderedTile {
    const period = Math.max(1, TEXTURE_SIZE >> level);
    const ox = kind === 'background' ? 0 : x0 % period;
    const oy = kind === 'background' ? 0 : y0 % period;
    const key = `${level}/${kind}/${ox}/${oy}`;
    let pixels = this.uniform.get(key);
    if (!pixels) {
      const t = this.tileSize;
      pixels = Buffer.alloc(t * t * 3);
      if (kind === 'background') {
        for (let i = 0; i < t * t; i++) pixels.set(BACKGROUND, i * 3);
      } else {
        const tex = this.textures[level][kind === 'stroma' ? 0 : 1];
        for (let y = 0; y < t; y++) {
          const row = ((oy + y) % period) * period * 3;
          // Copy whole texture runs (the texture repeats every `period` pixels).
          for (let x = 0; x < t; ) {
            const tx = (ox + x) % period;
            const run = Math.min(period - tx, t - x);
            tex.copy(pixels, (y * t + x) * 3, row + tx * 3, row + (tx + run) * 3);
            x += run;
          }
        }
      }
      this.uniform.set(key, pixels);
    }
    return { key, pixels };
  }

  private blend(level: number, x0: number, y0: number, levelWidth: number, levelHeight: number): Buffer {
    const t = this.tileSize;
    const scale = 2 ** level;
    const half = scale / 2;
    const period = Math.max(1, TEXTURE_SIZE >> level);
    const [stroma, tumour] = this.textures[level];
    const out = Buffer.alloc(t * t * 3);
    // Classify 16-pixel blocks from the field grid; only blocks on an outline need per-pixel fields.
    const block = 16;
    for (let by = 0; by < t; by += block) {
      for (let bx = 0; bx < t; bx += block) {
        const rx0 = (x0 + bx) * scale;
        const ry0 = (y0 + by) * scale;
        const [tLo, tHi] = this.tissueField.range(rx0, ry0, rx0 + block * scale, ry0 + block * scale);
        const [uLo, uHi] = this.tumourField.range(rx0, ry0, rx0 + block * scale, ry0 + block * scale);
        const tissueMode = tLo >= half ? 1 : tHi <= -half ? 0 : -1;
        const tumourMode = uLo >= half ? 1 : uHi <= -half ? 0 : -1;
        const insideLevel = x0 + bx + block <= levelWidth && y0 + by + block <= levelHeight;
        if (insideLevel && tissueMode !== -1 && tumourMode !== -1 && (x0 + bx) % period <= period - block) {
          // One class over the block: row copies from the texture (or background).
          const tex = tumourMode === 1 ? tumour : stroma;
          for (let y = by; y < by + block; y++) {
            const o = (y * t + bx) * 3;
            if (tissueMode === 0) out.fill(BACKGROUND_GREY, o, o + block * 3);
            else {
              const s = (((y0 + y) % period) * period + ((x0 + bx) % period)) * 3;
              tex.copy(out, o, s, s + block * 3);
            }
          }
          continue;
        }
        for (let y = by; y < by + block; y++) {
          const ly = y0 + y;
          const py = (ly + 0.5) * scale;
          const ty = (ly % period) * period;
          for (let x = bx; x < bx + block; x++) {
            const lx = x0 + x;
            const o = (y * t + x) * 3;
            if (lx >= levelWidth || ly >= levelHeight || tissueMode === 0) {
              out[o] = BACKGROUND[0];
              out[o + 1] = BACKGROUND[1];
              out[o + 2] = BACKGROUND[2];
              continue;
            }
            const px = (lx + 0.5) * scale;
            // Coverage of one level pixel by tissue / tumour, from the signed distance.
            const a = tissueMode === 1 ? 1 : Math.min(1, Math.max(0, 0.5 + this.tissueField.at(px, py) / scale));
            const b = tumourMode >= 0 ? tumourMode : a === 0 ? 0 : Math.min(1, Math.max(0, 0.5 + this.tumourField.at(px, py) / scale));
            const s = (ty + (lx % period)) * 3;
            for (let c = 0; c < 3; c++) {
              const tissue = b === 0 ? stroma[s + c] : b === 1 ? tumour[s + c] : stroma[s + c] * (1 - b) + tumour[s + c] * b;
              out[o + c] = a === 1 ? tissue : Math.round(BACKGROUND[c] * (1 - a) + tissue * a);
            }
          }
        }
      }
    }
    return out;
  }
}
