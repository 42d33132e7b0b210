// Imports a timm VisionTransformer checkpoint as researchers download it — a Hugging Face snapshot folder
// (config.json + model.safetensors and/or pytorch_model.bin) or a lone weights file — as a Tessera model:
// read the shapes, decide the architecture (vit-spec.ts), fill in what a known model's preset says, write an
// ONNX graph with the weights streamed into it (vit-graph.ts, onnx-stream-writer.ts), run it on two
// patches, and only then put the folder in place. Nothing is ever executed from the checkpoint, and a
// failed import leaves the models folder as it was.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { CheckpointError, type CheckpointTensors } from './checkpoint-tensors.js';
import { openSafetensors } from './safetensors-file.js';
import { openTorchCheckpoint } from './torch-checkpoint.js';
import { emptyTimmConfig, readTimmConfig, type TimmConfig } from './timm-config.js';
import { decideVitSpec, describeVitSpec, embeddingRules, parameterCount, parseActivation, type EmbeddingRule, type VitSpec, type VitSpecOverrides } from './vit-spec.js';
import { buildVitGraph } from './vit-graph.js';
import { findPreset, matchingPresets, modelPresets, type ModelPreset } from './model-presets.js';
import { writeOnnxStreaming } from '../onnx/onnx-stream-writer.js';
import { sha256File } from '../file-checksum.js';
import { ModelError } from '../model-errors.js';
import { validateManifest, type ModelManifest } from '../model-manifest.js';
import { userModelsDir } from '../model-folders.js';
import { verifyModelFile, type ManifestOverrides } from '../model-import.js';
import { writeFileAtomic } from '../../common/atomic-write.js';
import type { ModelEntry } from '../model-registry.js';
import type { CheckpointPreview, CheckpointProvenance, ModelImportProgress } from '../../contracts/analysis.js';

/** Manifest fields a user may set, plus the architecture settings the files may leave open. */
export type CheckpointOverrides = ManifestOverrides & { num_heads?: number; embedding?: EmbeddingRule; act_layer?: string };

export interface CheckpointImportOptions {
  /** config.json, when `path` is a weights file (default: the config.json beside it, if any). */
  config?: string;
  /** A known model's id (`uni`, `virchow2`, …), chosen over the automatic match. */
  preset?: string;
  /** Stored weight precision in the ONNX file (default float32). */
  weights?: 'float32' | 'float16';
  overrides?: CheckpointOverrides;
  modelsDir?: string;
  replace?: boolean;
  /** Weights above this many bytes go to an external data file (default: ONNX's 2 GB limit). */
  inlineLimit?: number;
  onProgress?: (p: ModelImportProgress) => void;
}

const weightsExtensions = new Set(['.safetensors', '.bin', '.pth', '.pt']);

/** True when `path` is something a checkpoint import can read (a folder, or a weights file). */
export async function isCheckpointPath(path: string): Promise<boolean> {
  const s = await stat(path).catch(() => null);
  if (!s) return false;
  return s.isDirectory() || weightsExtensions.has(extname(path).toLowerCase());
}

interface Located {
  weightsFile: string;
  format: CheckpointProvenance['format'];
  configFile: string | null;
}

/** The weights file and config.json of a snapshot folder or a weights file. */
async function locate(path: string, configOption?: string): Promise<Located> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new CheckpointError('not-found', `no such file or folder: ${path}`);
  let weightsFile: string;
  let configFile: string | null = configOption ?? null;
  if (s.isDirectory()) {
    const names = await readdir(path);
    const pick = ['model.safetensors', 'pytorch_model.bin'].find((n) => names.includes(n)) ?? names.find((n) => weightsExtensions.has(extname(n).toLowerCase()));
    if (names.some((n) => /\.safetensors\.index\.json$|^pytorch_model\.bin\.index\.json$/.test(n))) {
      throw new CheckpointError('unsupported-format', `${path} holds a sharded checkpoint (*.index.json); Tessera reads single-file checkpoints`);
    }
    if (!pick) throw new CheckpointError('not-found', `${path} holds no model.safetensors, pytorch_model.bin or other weights file`);
    weightsFile = join(path, pick);
    if (!configFile && names.includes('config.json')) configFile = join(path, 'config.json');
  } else {
    if (!s.isFile()) throw new CheckpointError('unsupported-format', `${path} is not a regular file`);
    weightsFile = path;
    if (!configFile) {
      const beside = join(dirname(path), 'config.json');
      if (await stat(beside).then((b) => b.isFile(), () => false)) configFile = beside;
    }
  }
  // A PyTorch zip begins "PK\x03\x04"; safetensors with its header length. Anything else is read by the
  // torch reader, which names legacy and foreign formats.
  const head = Buffer.alloc(4);
  const h = await open(weightsFile, 'r');
  try {
    await h.read(head, 0, 4, 0);
  } finally {
    await h.close();
  }
  const isZip = head.readUInt32LE(0) === 0x04034b50;
  const format = !isZip && extname(weightsFile).toLowerCase() === '.safetensors' ? 'safetensors' : 'pytorch';
  return { weightsFile, format, configFile };
}

function openWeights(l: Located): Promise<CheckpointTensors> {
  return l.format === 'safetensors' ? openSafetensors(l.weightsFile) : openTorchCheckpoint(l.weightsFile);
}

interface Decision {
  located: Located;
  config: TimmConfig;
  spec: VitSpec;
  preset: ModelPreset | null;
  candidates: ModelPreset[];
  manifest: Omit<ModelManifest, 'sha256'> & { checkpoint: CheckpointProvenance };
  sizeBytes: number;
}

function specOverrides(o: CheckpointOverrides, preset: ModelPreset | null): VitSpecOverrides {
  const out: VitSpecOverrides = {};
  if (o.num_heads !== undefined) {
    if (!Number.isInteger(o.num_heads) || o.num_heads < 1) throw new CheckpointError('unsupported-format', '`num_heads` must be a positive whole number');
    out.numHeads = o.num_heads;
  }
  const rule = o.embedding ?? preset?.embeddingRule;
  if (rule !== undefined) {
    if (!embeddingRules.includes(rule)) throw new CheckpointError('unsupported-format', `\`embedding\` must be one of ${embeddingRules.join(', ')}`);
    out.embeddingRule = rule;
  }
  if (o.act_layer !== undefined) out.act = parseActivation(o.act_layer);
  if (o.input?.size !== undefined) out.imageSize = o.input.size;
  return out;
}

async function decide(path: string, options: CheckpointImportOptions, tensors: CheckpointTensors, located: Located): Promise<Decision> {
  const config = located.configFile ? await readTimmConfig(located.configFile) : emptyTimmConfig();
  const overrides = options.overrides ?? {};
  let spec = decideVitSpec(tensors.tensors, config, specOverrides(overrides, null));
  const candidates = matchingPresets(spec);
  const preset = options.preset ? findPreset(options.preset) : candidates.length === 1 ? candidates[0] : null;
  if (preset) spec = decideVitSpec(tensors.tensors, config, specOverrides(overrides, preset));
  const assumptions = [...spec.assumptions];
  const mean = config.mean ?? preset?.mean;
  const std = config.std ?? preset?.std;
  if (!mean || !std) assumptions.push('ImageNet mean/std (config.json names none)');
  if (!preset && !overrides.magnifications) assumptions.push('trained at 0.5 µm/px (20×); set magnifications if not');
  if (!preset && candidates.length > 1) assumptions.push(`its shape matches ${candidates.map((c) => c.name).join(', ')}: pick one to use its settings`);
  if (!located.configFile) assumptions.push('no config.json: the architecture was read from the tensors alone');
  const folderName = snapshotName(located.weightsFile === path ? dirname(path) : path);
  const stem = preset?.id ?? (folderName.replace(/^models--/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'timm-vit');
  const sizeBytes = (await stat(located.weightsFile)).size;
  const checkpoint: CheckpointProvenance = {
    format: located.format,
    architecture: describeVitSpec(spec),
    preset: preset?.id ?? null,
    candidates: candidates.filter((c) => c !== preset).map((c) => c.id),
    parameters: parameterCount(tensors.tensors, spec),
    weights: options.weights ?? 'float32',
    embeddingRule: spec.embeddingRule,
    gated: preset?.gated ?? null,
    nonCommercial: preset?.nonCommercial ?? null,
    hub: preset?.hub ?? null,
    assumptions,
  };
  const { input: inputOverride, output: _output, ...rest } = overrides;
  void _output;
  const manifest = {
    id: stem,
    name: preset?.name ?? `${config.architecture ?? 'timm ViT'} (${folderName})`,
    description: `${checkpoint.architecture}. Converted by Tessera from ${basename(located.weightsFile)}${preset?.notes ? `; ${preset.notes}` : ''}.`,
    file: 'model.onnx',
    magnifications: preset?.magnifications ?? [0.5],
    licence: preset?.licence ?? 'unknown (see the model card)',
    source: preset ? `https://huggingface.co/${preset.hub}` : located.weightsFile,
    ...stripArchitectureKeys(rest),
    input: {
      name: 'pixels',
      size: spec.imageSize,
      channelOrder: 'RGB' as const,
      scale: 1 / 255,
      mean: mean ?? [0.485, 0.456, 0.406],
      std: std ?? [0.229, 0.224, 0.225],
      ...inputOverride,
    },
    output: { name: 'embedding', dim: spec.outputDim },
    checkpoint,
  };
  manifest.input.name = 'pixels';
  manifest.input.size = spec.imageSize;
  return { located, config, spec, preset, candidates, manifest, sizeBytes };
}

/** A readable name for a download folder; in a Hugging Face cache (`models--Org--Name/snapshots/<hash>`), `Name`. */
function snapshotName(folder: string): string {
  const m = folder.replace(/\/+$/, '').match(/models--[^/]+--([^/]+)\/snapshots\/[^/]+$/);
  return m ? m[1] : basename(folder);
}

function stripArchitectureKeys(o: Record<string, unknown>): Partial<ModelManifest> {
  const { num_heads: _a, embedding: _b, act_layer: _c, sha256: _d, file: _e, checkpoint: _f, externalData: _g, baseline: _h, ...rest } = o;
  void [_a, _b, _c, _d, _e, _f, _g, _h];
  return rest as Partial<ModelManifest>;
}

/** What an import would do: the detected family, size, licence and the manifest, without writing anything. */
export async function inspectCheckpoint(path: string, options: CheckpointImportOptions = {}): Promise<CheckpointPreview> {
  const located = await locate(path, options.config);
  const tensors = await openWeights(located);
  try {
    const d = await decide(path, options, tensors, located);
    return {
      weightsFile: located.weightsFile,
      configFile: located.configFile,
      sizeBytes: d.sizeBytes,
      manifest: { ...d.manifest, sha256: '' },
      presets: modelPresets.map((p) => ({ id: p.id, name: p.name, licence: p.licence })),
    };
  } finally {
    await tensors.close();
  }
}

/** Converts and imports; returns the new model. The models folder is unchanged when anything fails. */
export async function importCheckpoint(path: string, options: CheckpointImportOptions = {}): Promise<ModelEntry> {
  const progress = options.onProgress ?? (() => {});
  progress({ phase: 'reading', done: 0, total: 1 });
  const located = await locate(path, options.config);
  const tensors = await openWeights(located);
  const modelsDir = options.modelsDir ?? userModelsDir();
  let staging: string | null = null;
  try {
    const d = await decide(path, options, tensors, located);
    const dir = join(modelsDir, d.manifest.id);
    const existing = await readFile(join(dir, 'manifest.json'), 'utf8').then(JSON.parse, () => null);
    if (existing && !options.replace) {
      throw new ModelError('already-exists', `a model with id "${d.manifest.id}" is already imported (${dir}); choose another id or replace it`);
    }
    staging = join(modelsDir, `.import-${d.manifest.id}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    const { model, weights } = buildVitGraph(d.spec, tensors, {
      weights: options.weights,
      metadata: { source: basename(located.weightsFile), architecture: d.manifest.checkpoint.architecture },
    });
    const onnxPath = join(staging, 'model.onnx');
    const written = await writeOnnxStreaming(onnxPath, model, weights, {
      inlineLimit: options.inlineLimit,
      onProgress: (done, total) => progress({ phase: 'converting', done, total }),
      inspect: (w, values) => {
        for (let i = 0; i < values.length; i++) {
          if (!Number.isFinite(values[i])) throw new CheckpointError('corrupt', `${located.weightsFile}: a weight (${w.name}) holds NaN or infinite values`);
        }
      },
    });
    progress({ phase: 'verifying', done: 0, total: 1 });
    const manifest = validateManifest(
      {
        ...d.manifest,
        sha256: await sha256File(onnxPath),
        ...(written.dataPath ? { externalData: { file: basename(written.dataPath), sha256: await sha256File(written.dataPath) } } : {}),
      },
      `manifest for ${path}`,
    );
    await verifyModelFile(onnxPath, manifest);
    await writeFileAtomic(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    if (existing) {
      const old = `${staging}.old`;
      await rename(dir, old);
      await rename(staging, dir);
      await rm(old, { recursive: true, force: true });
    } else await rename(staging, dir);
    staging = null;
    progress({ phase: 'done', done: 1, total: 1 });
    return { manifest, dir, onnxPath: join(dir, manifest.file), origin: 'user' };
  } catch (err) {
    progress({ phase: 'failed', done: 0, total: 1, message: (err as Error).message });
    throw err;
  } finally {
    await tensors.close();
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}
