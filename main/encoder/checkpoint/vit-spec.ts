// Decides a timm VisionTransformer's building blocks from its config.json and from the tensors' own names
// and shapes: widths, depth, patch size, class/register tokens, how the position embedding is laid out,
// LayerScale, QK-norm, the MLP kind (plain, packed GLU such as SwiGLUPacked, or split SwiGLU), the
// activation, the final norms, and the embedding rule. Whatever the files do not settle is an error naming
// the field to set; every tensor must be used by the spec, so a building block we do not know is never
// silently dropped.
import { CheckpointError, type CheckpointTensorInfo } from './checkpoint-tensors.js';
import type { TimmConfig } from './timm-config.js';

export type Activation = 'gelu' | 'gelu_tanh' | 'quick_gelu' | 'silu' | 'relu' | 'sigmoid';
/** `token`: the class token; `mean`: the mean of the patch tokens (registers excluded);
 * `token+mean`: both concatenated (Virchow, Virchow2: twice the width). */
export type EmbeddingRule = 'token' | 'mean' | 'token+mean';
export const embeddingRules: readonly EmbeddingRule[] = ['token', 'mean', 'token+mean'];

export type MlpSpec =
  | { kind: 'mlp'; hidden: number; act: Activation }
  /** fc1 is twice as wide as fc2's input: act(first half) · second half (timm GluMlp, gate_last=False). */
  | { kind: 'glu-packed'; hidden: number; act: Activation; gateLast: boolean }
  /** timm SwiGLU: act(fc1_g(x)) · fc1_x(x). */
  | { kind: 'swiglu'; hidden: number; act: Activation };

export interface VitSpec {
  /** Tensor-name prefix the checkpoint puts before timm's names ("", "module.", "backbone.", …). */
  prefix: string;
  embedDim: number;
  depth: number;
  numHeads: number;
  patchSize: number;
  /** The square input the graph takes (px). */
  imageSize: number;
  classToken: boolean;
  regTokens: number;
  /** `with-prefix`: the position embedding also covers the class/register tokens (timm's default);
   * `patches-only`: it covers the patches, added before the tokens are joined (no_embed_class). */
  posEmbed: 'with-prefix' | 'patches-only' | 'none';
  patchBias: boolean;
  normPre: boolean;
  qkvBias: boolean;
  qkNorm: boolean;
  attnNorm: boolean;
  layerScale: boolean;
  mlp: MlpSpec;
  mlpNorm: boolean;
  finalNorm: boolean;
  fcNorm: boolean;
  normEps: number;
  embeddingRule: EmbeddingRule;
  /** Width of the embedding the graph outputs. */
  outputDim: number;
  /** Tensors in the file the ViT does not use (a classifier head), named for the report. */
  unused: string[];
  /** Values we had to assume, said to the user. */
  assumptions: string[];
}

/** What a user (or a preset) may set where the files are silent or wrong. */
export interface VitSpecOverrides {
  numHeads?: number;
  embeddingRule?: EmbeddingRule;
  act?: Activation;
  imageSize?: number;
  normEps?: number;
}

/** timm's defaults for the architecture names pathology models use (heads cannot be read off shapes). */
const architectureHeads: [RegExp, number][] = [
  [/giant_patch14.*dinov2/, 24],
  [/^vit_tiny/, 3],
  [/^vit_small/, 6],
  [/^vit_base/, 12],
  [/^vit_(large|huge|giant|gigantic)/, 16],
];

const activationNames: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_tanh: 'gelu_tanh',
  gelutanh: 'gelu_tanh',
  approximate_gelu: 'gelu_tanh',
  quick_gelu: 'quick_gelu',
  quickgelu: 'quick_gelu',
  silu: 'silu',
  swish: 'silu',
  relu: 'relu',
  sigmoid: 'sigmoid',
};

/** "torch.nn.SiLU", "silu", "nn.GELU" → a known activation, or undefined. */
export function parseActivation(value: unknown): Activation | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  const key = value.split('.').pop()!.toLowerCase();
  const act = activationNames[key];
  if (!act) throw new CheckpointError('unsupported-format', `activation "${value}" is not one Tessera can build (gelu, gelu_tanh, quick_gelu, silu, relu, sigmoid)`);
  return act;
}

const knownPrefixes = ['module.', 'model.', 'backbone.', 'trunk.', 'encoder.', 'teacher.backbone.', 'student.backbone.'];

function findPrefix(names: Set<string>): string {
  if (names.has('patch_embed.proj.weight')) return '';
  for (const p of knownPrefixes) if (names.has(`${p}patch_embed.proj.weight`)) return p;
  const any = [...names].find((n) => n.endsWith('patch_embed.proj.weight'));
  if (any) return any.slice(0, -'patch_embed.proj.weight'.length);
  throw new CheckpointError('unsupported-format', 'no tensor "patch_embed.proj.weight": this is not a timm VisionTransformer checkpoint');
}

/** Reads the spec; throws CheckpointError naming what is missing or inconsistent. */
export function decideVitSpec(tensors: readonly CheckpointTensorInfo[], config: TimmConfig, overrides: VitSpecOverrides = {}): VitSpec {
  const all = new Set(tensors.map((t) => t.name));
  const prefix = findPrefix(all);
  const shapes = new Map<string, number[]>();
  for (const t of tensors) if (t.name.startsWith(prefix)) shapes.set(t.name.slice(prefix.length), t.shape);
  const used = new Set<string>();
  const has = (n: string) => shapes.has(n);
  const shape = (n: string): number[] => {
    const s = shapes.get(n);
    if (!s) throw new CheckpointError('unsupported-format', `the checkpoint has no tensor "${prefix}${n}"`);
    used.add(n);
    return s;
  };
  const expect = (n: string, want: number[]) => {
    const s = shape(n);
    if (s.length !== want.length || s.some((d, i) => d !== want[i])) {
      throw new CheckpointError('corrupt', `tensor "${prefix}${n}" has shape [${s.join(', ')}], expected [${want.join(', ')}]`);
    }
  };
  const optional = (n: string, want: number[]): boolean => {
    if (!has(n)) return false;
    expect(n, want);
    return true;
  };
  const args = config.modelArgs;
  const assumptions: string[] = [];

  const pw = shape('patch_embed.proj.weight');
  if (pw.length !== 4 || pw[1] !== 3 || pw[2] !== pw[3]) throw new CheckpointError('corrupt', `patch_embed.proj.weight has shape [${pw.join(', ')}], expected [width, 3, p, p]`);
  const [embedDim, , patchSize] = pw;
  const patchBias = optional('patch_embed.proj.bias', [embedDim]);
  if (typeof args.embed_dim === 'number' && args.embed_dim !== embedDim) {
    throw new CheckpointError('corrupt', `config.json says embed_dim ${args.embed_dim}, the weights are ${embedDim} wide`);
  }
  if (typeof args.patch_size === 'number' && args.patch_size !== patchSize) {
    throw new CheckpointError('corrupt', `config.json says patch_size ${args.patch_size}, the patch embedding is ${patchSize} px`);
  }

  let depth = 0;
  while (has(`blocks.${depth}.norm1.weight`)) depth++;
  if (depth === 0) throw new CheckpointError('unsupported-format', 'the checkpoint has no transformer blocks (blocks.0.norm1.weight)');
  if (typeof args.depth === 'number' && args.depth !== depth) {
    throw new CheckpointError('corrupt', `config.json says depth ${args.depth}, the checkpoint has ${depth} blocks`);
  }

  const classToken = optional('cls_token', [1, 1, embedDim]);
  if (args.class_token === false && classToken) throw new CheckpointError('corrupt', 'config.json says class_token false, the checkpoint has cls_token');
  const regName = has('reg_token') ? 'reg_token' : has('register_tokens') ? 'register_tokens' : null;
  const regShape = regName ? shape(regName) : null;
  const regTokens = regShape ? regShape[1] : 0;
  if (regShape && (regShape.length !== 3 || regShape[0] !== 1 || regShape[2] !== embedDim)) {
    throw new CheckpointError('corrupt', `${regName} has shape [${regShape.join(', ')}], expected [1, n, ${embedDim}]`);
  }
  if (typeof args.reg_tokens === 'number' && args.reg_tokens !== regTokens) {
    throw new CheckpointError('corrupt', `config.json says reg_tokens ${args.reg_tokens}, the checkpoint has ${regTokens}`);
  }
  const prefixTokens = (classToken ? 1 : 0) + regTokens;
  if (has('mask_token')) used.add('mask_token'); // DINOv2's masked-image-modelling token, unused at inference

  // Without a stated input size, the position embedding's square grid says what the model was trained at.
  let inferredSize: number | undefined;
  const posShape = shapes.get('pos_embed');
  if (posShape && posShape.length === 3) {
    for (const extra of [0, prefixTokens]) {
      const side = Math.sqrt(posShape[1] - extra);
      if (Number.isInteger(side) && side > 0) {
        inferredSize = side * patchSize;
        break;
      }
    }
  }
  const imageSize = overrides.imageSize ?? config.inputSize ?? inferredSize ?? 224;
  if (overrides.imageSize === undefined && config.inputSize === undefined && inferredSize !== undefined && inferredSize !== 224) {
    assumptions.push(`input ${inferredSize} px, from the position embedding's grid`);
  }
  if (imageSize % patchSize !== 0) throw new CheckpointError('unsupported-format', `input size ${imageSize} px is not a multiple of the ${patchSize}-px patch`);
  const grid = imageSize / patchSize;
  let posEmbed: VitSpec['posEmbed'] = 'none';
  if (has('pos_embed')) {
    const ps = shape('pos_embed');
    if (ps.length !== 3 || ps[0] !== 1 || ps[2] !== embedDim) throw new CheckpointError('corrupt', `pos_embed has shape [${ps.join(', ')}], expected [1, n, ${embedDim}]`);
    if (ps[1] === grid * grid && (args.no_embed_class !== false || prefixTokens === 0)) posEmbed = 'patches-only';
    else if (ps[1] === grid * grid + prefixTokens && args.no_embed_class !== true) posEmbed = 'with-prefix';
    else {
      const side = Math.sqrt(ps[1] - (args.no_embed_class ? 0 : prefixTokens));
      throw new CheckpointError(
        'unsupported-format',
        `pos_embed holds ${ps[1]} positions, which does not fit a ${grid}×${grid} grid of ${patchSize}-px patches at ${imageSize} px` +
          (Number.isInteger(side) ? ` (it was trained at ${side * patchSize} px; set the input size to ${side * patchSize})` : ''),
      );
    }
  }

  let numHeads = overrides.numHeads ?? (typeof args.num_heads === 'number' ? args.num_heads : undefined);
  if (numHeads === undefined && has('blocks.0.attn.q_norm.weight')) numHeads = embedDim / shapes.get('blocks.0.attn.q_norm.weight')![0];
  if (numHeads === undefined && config.architecture) {
    const hit = architectureHeads.find(([re]) => re.test(config.architecture!));
    if (hit) {
      numHeads = hit[1];
      assumptions.push(`${numHeads} attention heads (timm's default for ${config.architecture})`);
    }
  }
  if (numHeads === undefined) {
    throw new CheckpointError('unsupported-format', 'cannot decide the number of attention heads: set model_args.num_heads in config.json (or num_heads with --manifest)');
  }
  if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
    throw new CheckpointError('corrupt', `${numHeads} attention heads do not divide the width ${embedDim}`);
  }
  const headDim = embedDim / numHeads;

  // The block tensors, checked on every block (a checkpoint may not vary them, and a cut-off one shows).
  const first = (n: string) => has(`blocks.0.${n}`);
  const qkvBias = first('attn.qkv.bias');
  const qkNorm = first('attn.q_norm.weight');
  const attnNorm = first('attn.norm.weight');
  const layerScale = first('ls1.gamma');
  const mlpNorm = first('mlp.norm.weight');
  const fc1 = has('blocks.0.mlp.fc1.weight') ? shapes.get('blocks.0.mlp.fc1.weight')! : null;
  const fc2In = shape('blocks.0.mlp.fc2.weight')[1];
  const argAct = overrides.act ?? parseActivation(args.act_layer);
  const mlpLayer = typeof args.mlp_layer === 'string' ? args.mlp_layer.split('.').pop()!.toLowerCase() : '';
  let mlp: MlpSpec;
  if (fc1) {
    const hidden = fc1[0];
    if (hidden === 2 * fc2In) {
      let act = argAct;
      if (!act) {
        act = mlpLayer === 'glumlp' ? 'sigmoid' : 'silu';
        assumptions.push(`packed GLU MLP with ${act === 'silu' ? 'SiLU (SwiGLUPacked)' : 'sigmoid (GluMlp)'}`);
      }
      mlp = { kind: 'glu-packed', hidden, act, gateLast: false };
    } else if (hidden === fc2In) {
      mlp = { kind: 'mlp', hidden, act: argAct ?? 'gelu' };
    } else {
      throw new CheckpointError('corrupt', `blocks.0.mlp.fc1 is ${hidden} wide but fc2 takes ${fc2In}: neither a plain nor a packed GLU MLP`);
    }
  } else if (has('blocks.0.mlp.fc1_g.weight')) {
    mlp = { kind: 'swiglu', hidden: shapes.get('blocks.0.mlp.fc1_g.weight')![0], act: argAct ?? 'silu' };
  } else {
    throw new CheckpointError('unsupported-format', 'blocks.0.mlp has neither fc1 nor fc1_g/fc1_x: an MLP Tessera does not know');
  }
  if (typeof args.mlp_ratio === 'number') {
    const expected = Math.round(embedDim * args.mlp_ratio);
    if (Math.abs(expected - mlp.hidden) > 1) throw new CheckpointError('corrupt', `config.json says mlp_ratio ${args.mlp_ratio} (${expected} wide), the weights are ${mlp.hidden}`);
  }
  const gluOut = mlp.kind === 'mlp' ? mlp.hidden : mlp.kind === 'glu-packed' ? mlp.hidden / 2 : mlp.hidden;
  for (let b = 0; b < depth; b++) {
    const p = `blocks.${b}.`;
    expect(`${p}norm1.weight`, [embedDim]);
    expect(`${p}norm1.bias`, [embedDim]);
    expect(`${p}attn.qkv.weight`, [3 * embedDim, embedDim]);
    if (qkvBias) expect(`${p}attn.qkv.bias`, [3 * embedDim]);
    if (qkNorm) {
      for (const n of ['q_norm', 'k_norm']) {
        expect(`${p}attn.${n}.weight`, [headDim]);
        expect(`${p}attn.${n}.bias`, [headDim]);
      }
    }
    if (attnNorm) {
      expect(`${p}attn.norm.weight`, [embedDim]);
      expect(`${p}attn.norm.bias`, [embedDim]);
    }
    expect(`${p}attn.proj.weight`, [embedDim, embedDim]);
    expect(`${p}attn.proj.bias`, [embedDim]);
    if (layerScale) {
      expect(`${p}ls1.gamma`, [embedDim]);
      expect(`${p}ls2.gamma`, [embedDim]);
    }
    expect(`${p}norm2.weight`, [embedDim]);
    expect(`${p}norm2.bias`, [embedDim]);
    if (mlp.kind === 'swiglu') {
      for (const n of ['fc1_g', 'fc1_x']) {
        expect(`${p}mlp.${n}.weight`, [mlp.hidden, embedDim]);
        expect(`${p}mlp.${n}.bias`, [mlp.hidden]);
      }
    } else {
      expect(`${p}mlp.fc1.weight`, [mlp.hidden, embedDim]);
      expect(`${p}mlp.fc1.bias`, [mlp.hidden]);
    }
    if (mlpNorm) {
      expect(`${p}mlp.norm.weight`, [gluOut]);
      expect(`${p}mlp.norm.bias`, [gluOut]);
    }
    expect(`${p}mlp.fc2.weight`, [embedDim, gluOut]);
    expect(`${p}mlp.fc2.bias`, [embedDim]);
  }
  if (has(`blocks.${depth}.attn.qkv.weight`)) throw new CheckpointError('corrupt', `block ${depth} is incomplete (no norm1)`);

  const normPre = optional('norm_pre.weight', [embedDim]) && (expect('norm_pre.bias', [embedDim]), true);
  const finalNorm = optional('norm.weight', [embedDim]) && (expect('norm.bias', [embedDim]), true);
  const fcNormPresent = has('fc_norm.weight');
  if (has('attn_pool.latent') || [...shapes.keys()].some((n) => n.startsWith('attn_pool.'))) {
    throw new CheckpointError('unsupported-format', 'attention-pool ("map") heads are not supported; use a checkpoint with token or average pooling');
  }

  let embeddingRule: EmbeddingRule = overrides.embeddingRule ?? config.embeddingRule ?? (config.globalPool === 'avg' ? 'mean' : 'token');
  if (config.globalPool === '' && !overrides.embeddingRule && !config.embeddingRule) {
    embeddingRule = 'token';
    assumptions.push('embedding = the class token (config.json sets no global_pool)');
  }
  if ((embeddingRule === 'token' || embeddingRule === 'token+mean') && !classToken) {
    throw new CheckpointError('unsupported-format', `embedding rule "${embeddingRule}" needs a class token and the checkpoint has none; use "mean"`);
  }
  const fcWidth = embeddingRule === 'token+mean' ? 2 * embedDim : embedDim;
  const fcNorm = fcNormPresent && (expect('fc_norm.weight', [fcWidth]), expect('fc_norm.bias', [fcWidth]), true);

  const unused: string[] = [];
  for (const n of shapes.keys()) {
    if (used.has(n)) continue;
    if (/^head(_dist)?\.(weight|bias)$/.test(n)) unused.push(prefix + n);
    else throw new CheckpointError('unsupported-format', `tensor "${prefix}${n}" is not part of any ViT building block Tessera knows; refusing to guess`);
  }
  const normEps = overrides.normEps ?? 1e-6;
  return {
    prefix,
    embedDim,
    depth,
    numHeads,
    patchSize,
    imageSize,
    classToken,
    regTokens,
    posEmbed,
    patchBias,
    normPre,
    qkvBias,
    qkNorm,
    attnNorm,
    layerScale,
    mlp,
    mlpNorm,
    finalNorm,
    fcNorm,
    normEps,
    embeddingRule,
    outputDim: fcWidth,
    unused,
    assumptions,
  };
}

/** One line a person can read: "ViT 24×1024, 16 heads, patch 16, LayerScale, class token → 1024-d". */
export function describeVitSpec(s: VitSpec): string {
  const parts = [
    `ViT ${s.depth}×${s.embedDim}`,
    `${s.numHeads} heads`,
    `patch ${s.patchSize} at ${s.imageSize} px`,
    s.mlp.kind === 'mlp' ? `MLP ${s.mlp.act}` : s.mlp.kind === 'glu-packed' ? `packed GLU (${s.mlp.act})` : `SwiGLU (${s.mlp.act})`,
  ];
  if (s.layerScale) parts.push('LayerScale');
  if (s.qkNorm) parts.push('QK-norm');
  if (s.classToken) parts.push('class token');
  if (s.regTokens) parts.push(`${s.regTokens} registers`);
  if (s.posEmbed === 'patches-only' && (s.classToken || s.regTokens)) parts.push('no class position embedding');
  return `${parts.join(', ')}; embedding ${s.embeddingRule} → ${s.outputDim}-d`;
}

/** How many parameters the spec's tensors hold (for size reports). */
export function parameterCount(tensors: readonly CheckpointTensorInfo[], spec: VitSpec): number {
  return tensors
    .filter((t) => t.name.startsWith(spec.prefix) && !spec.unused.includes(t.name))
    .reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}
