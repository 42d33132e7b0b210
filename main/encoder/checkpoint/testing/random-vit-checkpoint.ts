// Random timm-named ViT checkpoints of any shape, for tests of other building-block combinations and for
// benches (ViT-S/16, ViT-L/16, ViT-g sized). Values are seeded, scaled so activations stay O(1) in any depth,
// and generated one tensor at a time (a 4 GB checkpoint is never in memory).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '../../../common/seeded-random.js';
import { writeSafetensors, type TensorToWrite } from './write-safetensors.js';

export interface RandomVitShape {
  embedDim: number;
  depth: number;
  numHeads: number;
  patchSize: number;
  imageSize?: number;
  classToken?: boolean;
  regTokens?: number;
  /** timm's no_embed_class: the position embedding covers the patches only. */
  noEmbedClass?: boolean;
  layerScale?: boolean;
  qkNorm?: boolean;
  normPre?: boolean;
  /** `mlp` (fc1 hidden = mlpRatio·D), `glu-packed` (fc1 twice fc2's input), `swiglu` (fc1_g, fc1_x). */
  mlp?: 'mlp' | 'glu-packed' | 'swiglu';
  mlpRatio?: number;
  /** Final norm on the tokens (`norm`), or on the pooled vector (`fc_norm`, timm's avg pooling). */
  finalNorm?: 'norm' | 'fc_norm';
  /** Width of fc_norm (2·D for token+mean pooling). */
  fcNormDim?: number;
  head?: number;
  seed?: number;
}

/** The tensors of a ViT with this shape, in timm's names and file order. */
export function randomVitTensors(s: RandomVitShape): TensorToWrite[] {
  const D = s.embedDim;
  const hd = D / s.numHeads;
  const grid = (s.imageSize ?? 224) / s.patchSize;
  const prefix = (s.classToken === false ? 0 : 1) + (s.regTokens ?? 0);
  const mlp = s.mlp ?? 'mlp';
  const hidden = Math.round(D * (s.mlpRatio ?? 4));
  const fc2In = mlp === 'glu-packed' ? hidden / 2 : hidden;
  const random = seededRandom(s.seed ?? 1);
  const t = (name: string, shape: number[], scale: number, centre = 0): TensorToWrite => ({
    name,
    shape,
    values: () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = centre + (random() * 2 - 1) * scale;
      return v;
    },
  });
  const lin = (name: string, out: number, inp: number) => [t(`${name}.weight`, [out, inp], 1.7 / Math.sqrt(inp)), t(`${name}.bias`, [out], 0.1)];
  const norm = (name: string, dim: number) => [t(`${name}.weight`, [dim], 0.3, 1), t(`${name}.bias`, [dim], 0.1)];
  const out: TensorToWrite[] = [];
  if (s.classToken !== false) out.push(t('cls_token', [1, 1, D], 1));
  if (s.regTokens) out.push(t('reg_token', [1, s.regTokens, D], 1));
  out.push(t('pos_embed', [1, grid * grid + (s.noEmbedClass ? 0 : prefix), D], 0.5));
  out.push(t('patch_embed.proj.weight', [D, 3, s.patchSize, s.patchSize], 1.7 / Math.sqrt(3 * s.patchSize ** 2)), t('patch_embed.proj.bias', [D], 0.1));
  if (s.normPre) out.push(...norm('norm_pre', D));
  for (let b = 0; b < s.depth; b++) {
    const p = `blocks.${b}.`;
    out.push(...norm(`${p}norm1`, D), ...lin(`${p}attn.qkv`, 3 * D, D));
    if (s.qkNorm) out.push(...norm(`${p}attn.q_norm`, hd), ...norm(`${p}attn.k_norm`, hd));
    out.push(...lin(`${p}attn.proj`, D, D));
    if (s.layerScale) out.push(t(`${p}ls1.gamma`, [D], 0.5, 0.5));
    out.push(...norm(`${p}norm2`, D));
    if (mlp === 'swiglu') out.push(...lin(`${p}mlp.fc1_g`, hidden, D), ...lin(`${p}mlp.fc1_x`, hidden, D));
    else out.push(...lin(`${p}mlp.fc1`, hidden, D));
    out.push(...lin(`${p}mlp.fc2`, D, fc2In));
    if (s.layerScale) out.push(t(`${p}ls2.gamma`, [D], 0.5, 0.5));
  }
  if ((s.finalNorm ?? 'norm') === 'norm') out.push(...norm('norm', D));
  else out.push(...norm('fc_norm', s.fcNormDim ?? D));
  if (s.head) out.push(...lin('head', s.head, s.fcNormDim ?? D));
  return out;
}

/** Writes a hub-style snapshot folder: config.json + model.safetensors. */
export async function writeRandomVitSnapshot(
  dir: string,
  s: RandomVitShape,
  options: { dtype?: 'float32' | 'float16' | 'bfloat16'; config?: Record<string, unknown>; globalPool?: string } = {},
): Promise<void> {
  await writeSafetensors(join(dir, 'model.safetensors'), randomVitTensors(s), options.dtype ?? 'float32');
  const config = {
    architecture: 'vit_custom',
    num_classes: 0,
    global_pool: options.globalPool ?? 'token',
    model_args: {
      embed_dim: s.embedDim,
      depth: s.depth,
      num_heads: s.numHeads,
      patch_size: s.patchSize,
      ...(s.regTokens ? { reg_tokens: s.regTokens } : {}),
      ...(s.noEmbedClass ? { no_embed_class: true } : {}),
      ...(s.classToken === false ? { class_token: false } : {}),
    },
    pretrained_cfg: { input_size: [3, s.imageSize ?? 224, s.imageSize ?? 224], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    ...options.config,
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2));
}
