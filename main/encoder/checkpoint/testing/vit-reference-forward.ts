// A second, deliberately plain implementation of timm's VisionTransformer forward (loops over arrays, no
// ONNX), written from timm's source semantics and described by the generator's RandomVitShape rather than by
// the importer's VitSpec — so a mistake in the importer is not repeated here. It is first checked against
// real timm's outputs (the shared reference checkpoints), then used to check combinations of building blocks
// those three files do not cover.
import type { RandomVitShape } from './random-vit-checkpoint.js';

export type Weights = Map<string, Float32Array>;
export type Rule = 'token' | 'mean' | 'token+mean';

type Act = 'gelu' | 'gelu_tanh' | 'silu' | 'quick_gelu';

function act(x: number, a: Act): number {
  switch (a) {
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_tanh':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'silu':
      return x / (1 + Math.exp(-x));
    case 'quick_gelu':
      return x / (1 + Math.exp(-1.702 * x));
  }
}

/** erf to ~1e-12 (Abramowitz–Stegun 7.1.26 is too coarse for a 1e-4 comparison): series / continued fraction. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let sum = ax;
    let term = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

const get = (w: Weights, n: string): Float32Array => {
  const v = w.get(n);
  if (!v) throw new Error(`reference forward: no tensor ${n}`);
  return v;
};

/** y[t] = W x[t] + b for each of `rows` rows; W is torch's [out, in]. */
function linear(x: Float64Array, rows: number, inp: number, W: Float32Array, b: Float32Array | undefined, out: number): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      const wo = o * inp;
      const xr = r * inp;
      for (let i = 0; i < inp; i++) s += W[wo + i] * x[xr + i];
      y[r * out + o] = s;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, rows: number, dim: number, g: Float32Array, b: Float32Array, eps = 1e-6): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[r * dim + i];
    mean /= dim;
    let v = 0;
    for (let i = 0; i < dim; i++) v += (x[r * dim + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = (x[r * dim + i] - mean) * inv * g[i] + b[i];
  }
  return y;
}

/** One image (normalised CHW float32, S×S) → { tokens [N, D], embedding }. */
export function referenceForward(w: Weights, s: RandomVitShape, pixels: Float32Array, rule: Rule, activation: Act = 'gelu'): { tokens: Float64Array; embedding: Float64Array } {
  const D = s.embedDim;
  const H = s.numHeads;
  const hd = D / H;
  const S = s.imageSize ?? 224;
  const P = s.patchSize;
  const g = S / P;
  const nPatch = g * g;
  const nPrefix = (s.classToken === false ? 0 : 1) + (s.regTokens ?? 0);
  const N = nPrefix + nPatch;
  // Patch embedding (a strided conv), row-major patches.
  const pw = get(w, 'patch_embed.proj.weight');
  const pb = get(w, 'patch_embed.proj.bias');
  const patches = new Float64Array(nPatch * D);
  for (let py = 0; py < g; py++)
    for (let px = 0; px < g; px++)
      for (let o = 0; o < D; o++) {
        let sum = pb[o];
        for (let c = 0; c < 3; c++)
          for (let ky = 0; ky < P; ky++)
            for (let kx = 0; kx < P; kx++) sum += pw[((o * 3 + c) * P + ky) * P + kx] * pixels[(c * S + py * P + ky) * S + px * P + kx];
        patches[(py * g + px) * D + o] = sum;
      }
  const pos = get(w, 'pos_embed');
  let x: Float64Array = new Float64Array(N * D);
  if (s.noEmbedClass) for (let i = 0; i < nPatch * D; i++) patches[i] += pos[i];
  let row = 0;
  if (s.classToken !== false) x.set(get(w, 'cls_token'), row++ * D);
  if (s.regTokens) {
    x.set(get(w, 'reg_token'), row * D);
    row += s.regTokens;
  }
  x.set(patches, row * D);
  if (!s.noEmbedClass) for (let i = 0; i < N * D; i++) x[i] += pos[i];
  if (s.normPre) x = layerNorm(x, N, D, get(w, 'norm_pre.weight'), get(w, 'norm_pre.bias'));
  const mlpAct: Act = s.mlp === 'glu-packed' || s.mlp === 'swiglu' ? 'silu' : activation;
  for (let b = 0; b < s.depth; b++) {
    const p = `blocks.${b}.`;
    const h = layerNorm(x, N, D, get(w, `${p}norm1.weight`), get(w, `${p}norm1.bias`));
    const qkv = linear(h, N, D, get(w, `${p}attn.qkv.weight`), w.get(`${p}attn.qkv.bias`), 3 * D);
    const att = new Float64Array(N * D);
    for (let head = 0; head < H; head++) {
      const q = new Float64Array(N * hd);
      const k = new Float64Array(N * hd);
      const v = new Float64Array(N * hd);
      for (let t = 0; t < N; t++)
        for (let i = 0; i < hd; i++) {
          q[t * hd + i] = qkv[t * 3 * D + head * hd + i];
          k[t * hd + i] = qkv[t * 3 * D + D + head * hd + i];
          v[t * hd + i] = qkv[t * 3 * D + 2 * D + head * hd + i];
        }
      const qn = s.qkNorm ? layerNorm(q, N, hd, get(w, `${p}attn.q_norm.weight`), get(w, `${p}attn.q_norm.bias`)) : q;
      const kn = s.qkNorm ? layerNorm(k, N, hd, get(w, `${p}attn.k_norm.weight`), get(w, `${p}attn.k_norm.bias`)) : k;
      for (let t = 0; t < N; t++) {
        const scores = new Float64Array(N);
        let max = -Infinity;
        for (let u = 0; u < N; u++) {
          let d = 0;
          for (let i = 0; i < hd; i++) d += qn[t * hd + i] * kn[u * hd + i];
          scores[u] = d / Math.sqrt(hd);
          max = Math.max(max, scores[u]);
        }
        let z = 0;
        for (let u = 0; u < N; u++) z += scores[u] = Math.exp(scores[u] - max);
        for (let i = 0; i < hd; i++) {
          let o = 0;
          for (let u = 0; u < N; u++) o += (scores[u] / z) * v[u * hd + i];
          att[t * D + head * hd + i] = o;
        }
      }
    }
    const proj = linear(att, N, D, get(w, `${p}attn.proj.weight`), get(w, `${p}attn.proj.bias`), D);
    const ls1 = w.get(`${p}ls1.gamma`);
    for (let i = 0; i < N * D; i++) x[i] += proj[i] * (ls1 ? ls1[i % D] : 1);
    const m = layerNorm(x, N, D, get(w, `${p}norm2.weight`), get(w, `${p}norm2.bias`));
    let hidden: Float64Array;
    let width: number;
    if (s.mlp === 'swiglu') {
      const fg = get(w, `${p}mlp.fc1_g.weight`);
      width = fg.length / D;
      const gate = linear(m, N, D, fg, get(w, `${p}mlp.fc1_g.bias`), width);
      const val = linear(m, N, D, get(w, `${p}mlp.fc1_x.weight`), get(w, `${p}mlp.fc1_x.bias`), width);
      hidden = gate.map((gv, i) => act(gv, mlpAct) * val[i]);
    } else {
      const f1 = get(w, `${p}mlp.fc1.weight`);
      const wide = f1.length / D;
      const y = linear(m, N, D, f1, get(w, `${p}mlp.fc1.bias`), wide);
      if (s.mlp === 'glu-packed') {
        width = wide / 2;
        hidden = new Float64Array(N * width);
        for (let t = 0; t < N; t++) for (let i = 0; i < width; i++) hidden[t * width + i] = act(y[t * wide + i], mlpAct) * y[t * wide + width + i];
      } else {
        width = wide;
        hidden = y.map((v) => act(v, mlpAct));
      }
    }
    const out = linear(hidden, N, width, get(w, `${p}mlp.fc2.weight`), get(w, `${p}mlp.fc2.bias`), D);
    const ls2 = w.get(`${p}ls2.gamma`);
    for (let i = 0; i < N * D; i++) x[i] += out[i] * (ls2 ? ls2[i % D] : 1);
  }
  const tokens = w.has('norm.weight') ? layerNorm(x, N, D, get(w, 'norm.weight'), get(w, 'norm.bias')) : x;
  const mean = new Float64Array(D);
  for (let t = nPrefix; t < N; t++) for (let i = 0; i < D; i++) mean[i] += tokens[t * D + i] / nPatch;
  const cls = tokens.slice(0, D);
  let embedding: Float64Array = rule === 'token' ? cls : rule === 'mean' ? mean : Float64Array.from([...cls, ...mean]);
  if (w.has('fc_norm.weight')) embedding = layerNorm(embedding, 1, embedding.length, get(w, 'fc_norm.weight'), get(w, 'fc_norm.bias'));
  return { tokens, embedding };
}
