// The ONNX graph of a timm VisionTransformer, built from a VitSpec with the checkpoint's tensors as streamed
// weights: `pixels` float32 [batch, 3, S, S] (normalised) → `embedding` float32 [batch, D'] and, optionally,
// `tokens` (timm's forward_features: [batch, prefix + patches, D], after the final norm).
// It follows timm's forward exactly: patch conv → (pos-embed, prefix tokens, in timm's order) → norm_pre →
// blocks (x + ls1·attn(norm1 x); x + ls2·mlp(norm2 x)) → norm → pool → fc_norm.
import { GraphBuilder, type LazyWeight, type ModelObject } from '../onnx/graph-builder.js';
import type { CheckpointTensors } from './checkpoint-tensors.js';
import type { Activation, VitSpec } from './vit-spec.js';

export interface VitGraphOptions {
  /** Stored weight precision (computation stays float32). */
  weights?: 'float32' | 'float16';
  /** Also output `tokens` (for checks against timm's forward_features). */
  tokensOutput?: boolean;
  producerVersion?: string;
  metadata?: Record<string, string>;
}

export interface VitGraph {
  model: ModelObject;
  weights: LazyWeight[];
}

/** [rows, cols] row-major → [cols, rows]: a torch Linear weight (out × in) as MatMul's right operand. */
export function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[base + c];
  }
  return out;
}

export function buildVitGraph(spec: VitSpec, source: CheckpointTensors, options: VitGraphOptions = {}): VitGraph {
  const g = new GraphBuilder('tessera-timm-vit');
  const storage = options.weights ?? 'float32';
  const D = spec.embedDim;
  const H = spec.numHeads;
  const hd = D / H;
  const grid = spec.imageSize / spec.patchSize;
  const name = (n: string) => spec.prefix + n;
  const raw = (n: string, dims: number[]) => g.weight(n.replace(/[^A-Za-z0-9]+/g, '_'), dims, () => source.readFloat32(name(n)), storage);
  /** A Linear's weight, transposed to [in, out]. */
  const linear = (n: string, out: number, inp: number) =>
    g.weight(n.replace(/[^A-Za-z0-9]+/g, '_'), [inp, out], async () => transpose2d(await source.readFloat32(name(n)), out, inp), storage);
  const vec = (n: string, len: number) => raw(n, [len]);
  const layerNorm = (x: string, n: string, len: number) =>
    g.op1('LayerNormalization', [x, vec(`${n}.weight`, len), vec(`${n}.bias`, len)], { axis: -1, epsilon: { floats: [spec.normEps] } });
  const dense = (x: string, n: string, out: number, inp: number, bias = true) => {
    const y = g.op1('MatMul', [x, linear(`${n}.weight`, out, inp)]);
    return bias ? g.op1('Add', [y, vec(`${n}.bias`, out)]) : y;
  };

  // Patch embedding: [B, 3, S, S] → [B, grid², D].
  const convInputs = ['pixels', raw('patch_embed.proj.weight', [D, 3, spec.patchSize, spec.patchSize])];
  if (spec.patchBias) convInputs.push(vec('patch_embed.proj.bias', D));
  const conv = g.op1('Conv', convInputs, { kernel_shape: [spec.patchSize, spec.patchSize], strides: [spec.patchSize, spec.patchSize] });
  let x = g.op1('Transpose', [g.op1('Reshape', [conv, g.ints([0, D, -1])])], { perm: [0, 2, 1] });

  const prefixTokens = (spec.classToken ? 1 : 0) + spec.regTokens;
  if (spec.posEmbed === 'patches-only') x = g.op1('Add', [x, raw('pos_embed', [1, grid * grid, D])]);
  if (prefixTokens > 0) {
    const batch = g.op1('Slice', [g.op1('Shape', ['pixels']), g.ints([0]), g.ints([1])]);
    const expand = (n: string, k: number) => g.op1('Expand', [raw(n, [1, k, D]), g.op1('Concat', [batch, g.ints([k, D])], { axis: 0 })]);
    const parts: string[] = [];
    if (spec.classToken) parts.push(expand('cls_token', 1));
    if (spec.regTokens) parts.push(expand(sourceHas(source, name('reg_token')) ? 'reg_token' : 'register_tokens', spec.regTokens));
    x = g.op1('Concat', [...parts, x], { axis: 1 });
  }
  if (spec.posEmbed === 'with-prefix') x = g.op1('Add', [x, raw('pos_embed', [1, grid * grid + prefixTokens, D])]);
  if (spec.normPre) x = layerNorm(x, 'norm_pre', D);

  const scale = g.scalar(1 / Math.sqrt(hd));
  for (let b = 0; b < spec.depth; b++) {
    const p = `blocks.${b}.`;
    // Attention.
    const h = layerNorm(x, `${p}norm1`, D);
    const qkv = dense(h, `${p}attn.qkv`, 3 * D, D, spec.qkvBias);
    const heads = g.op1('Transpose', [g.op1('Reshape', [qkv, g.ints([0, 0, 3, H, hd])])], { perm: [2, 0, 3, 1, 4] }); // [3, B, H, N, hd]
    let q = g.op1('Gather', [heads, g.constant({ dims: [], data: [0], type: 'int64' }, 'i')], { axis: 0 });
    let k = g.op1('Gather', [heads, g.constant({ dims: [], data: [1], type: 'int64' }, 'i')], { axis: 0 });
    const v = g.op1('Gather', [heads, g.constant({ dims: [], data: [2], type: 'int64' }, 'i')], { axis: 0 });
    if (spec.qkNorm) {
      q = layerNorm(q, `${p}attn.q_norm`, hd);
      k = layerNorm(k, `${p}attn.k_norm`, hd);
    }
    const scores = g.op1('MatMul', [g.op1('Mul', [q, scale]), g.op1('Transpose', [k], { perm: [0, 1, 3, 2] })]);
    const attn = g.op1('MatMul', [g.op1('Softmax', [scores], { axis: -1 }), v]); // [B, H, N, hd]
    let o = g.op1('Reshape', [g.op1('Transpose', [attn], { perm: [0, 2, 1, 3] }), g.ints([0, 0, D])]);
    if (spec.attnNorm) o = layerNorm(o, `${p}attn.norm`, D);
    o = dense(o, `${p}attn.proj`, D, D);
    if (spec.layerScale) o = g.op1('Mul', [o, vec(`${p}ls1.gamma`, D)]);
    x = g.op1('Add', [x, o]);
    // MLP.
    const m = layerNorm(x, `${p}norm2`, D);
    let y: string;
    let width: number;
    if (spec.mlp.kind === 'mlp') {
      y = activation(g, dense(m, `${p}mlp.fc1`, spec.mlp.hidden, D), spec.mlp.act);
      width = spec.mlp.hidden;
    } else if (spec.mlp.kind === 'glu-packed') {
      width = spec.mlp.hidden / 2;
      const [first, second] = g.op('Split', [dense(m, `${p}mlp.fc1`, spec.mlp.hidden, D), g.ints([width, width])], { axis: -1 }, 2);
      y = spec.mlp.gateLast ? g.op1('Mul', [first, activation(g, second, spec.mlp.act)]) : g.op1('Mul', [activation(g, first, spec.mlp.act), second]);
    } else {
      width = spec.mlp.hidden;
      y = g.op1('Mul', [activation(g, dense(m, `${p}mlp.fc1_g`, width, D), spec.mlp.act), dense(m, `${p}mlp.fc1_x`, width, D)]);
    }
    if (spec.mlpNorm) y = layerNorm(y, `${p}mlp.norm`, width);
    y = dense(y, `${p}mlp.fc2`, D, width);
    if (spec.layerScale) y = g.op1('Mul', [y, vec(`${p}ls2.gamma`, D)]);
    x = g.op1('Add', [x, y]);
  }
  const tokens = spec.finalNorm ? layerNorm(x, 'norm', D) : x;

  // Pooling by the embedding rule; registers never enter the mean.
  const classToken = () => g.op1('Gather', [tokens, g.constant({ dims: [], data: [0], type: 'int64' }, 'i')], { axis: 1 });
  const patchMean = () =>
    g.op1('ReduceMean', [g.op1('Slice', [tokens, g.ints([prefixTokens]), g.ints([prefixTokens + grid * grid]), g.ints([1])])], { axes: [1], keepdims: 0 });
  let embedding =
    spec.embeddingRule === 'token' ? classToken() : spec.embeddingRule === 'mean' ? patchMean() : g.op1('Concat', [classToken(), patchMean()], { axis: 1 });
  if (spec.fcNorm) embedding = layerNorm(embedding, 'fc_norm', spec.outputDim);
  g.output(embedding, 'embedding');
  if (options.tokensOutput) g.output(tokens, 'tokens');

  const model = g.toModelObject({
    inputs: [{ name: 'pixels', shape: ['batch', 3, spec.imageSize, spec.imageSize] }],
    outputs: [
      { name: 'embedding', shape: ['batch', spec.outputDim] },
      ...(options.tokensOutput ? [{ name: 'tokens', shape: ['batch', prefixTokens + grid * grid, D] }] : []),
    ],
    opset: 17,
    producerName: 'tessera',
    producerVersion: options.producerVersion ?? '0.1.0',
    docString: `timm VisionTransformer converted by Tessera from ${source.path}`,
    metadata: options.metadata,
  });
  return { model, weights: g.lazyWeights };
}

function sourceHas(source: CheckpointTensors, n: string): boolean {
  return source.tensors.some((t) => t.name === n);
}

/** timm's activations, in their exact forms (GELU is the erf form unless gelu_tanh is named). */
function activation(g: GraphBuilder, x: string, act: Activation): string {
  switch (act) {
    case 'gelu': {
      const erf = g.op1('Erf', [g.op1('Mul', [x, g.scalar(Math.SQRT1_2)])]);
      return g.op1('Mul', [g.op1('Mul', [x, g.op1('Add', [erf, g.scalar(1)])]), g.scalar(0.5)]);
    }
    case 'gelu_tanh': {
      const cube = g.op1('Mul', [g.op1('Mul', [x, x]), x]);
      const inner = g.op1('Mul', [g.op1('Add', [x, g.op1('Mul', [cube, g.scalar(0.044715)])]), g.scalar(Math.sqrt(2 / Math.PI))]);
      return g.op1('Mul', [g.op1('Mul', [x, g.op1('Add', [g.op1('Tanh', [inner]), g.scalar(1)])]), g.scalar(0.5)]);
    }
    case 'quick_gelu':
      return g.op1('Mul', [x, g.op1('Sigmoid', [g.op1('Mul', [x, g.scalar(1.702)])])]);
    case 'silu':
      return g.op1('Mul', [x, g.op1('Sigmoid', [x])]);
    case 'relu':
      return g.op1('Relu', [x]);
    case 'sigmoid':
      return g.op1('Sigmoid', [x]);
  }
}
