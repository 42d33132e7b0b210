// `tessera models [--json]`: the encoders Tessera can use. `tessera models import <path> [--manifest m.json]`:
// adds an encoder to the user models folder after checking it runs as its manifest says — an ONNX file, or a
// timm checkpoint (a Hugging Face snapshot folder, or a .safetensors / .bin / .pth file with --config),
// converted to ONNX without Python. `tessera models propose <path>` prints the manifest an import would use,
// to edit and pass as --manifest. `tessera models presets` lists the known foundation models.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { listModels } from '../../encoder/model-registry.js';
import { importModel, proposeManifest, type ManifestOverrides } from '../../encoder/model-import.js';
import type { ModelEntry } from '../../encoder/model-registry.js';
import { importCheckpoint, inspectCheckpoint, isCheckpointPath, type CheckpointImportOptions } from '../../encoder/checkpoint/checkpoint-import.js';
import { modelPresets } from '../../encoder/checkpoint/model-presets.js';
import type { ModelImportProgress } from '../../contracts/analysis.js';

interface CheckpointFlags {
  config?: string;
  preset?: string;
  weights?: string;
}

const isOnnx = (path: string) => /\.onnx$/i.test(path);

function checkpointOptions(opts: CheckpointFlags, overrides: ManifestOverrides): CheckpointImportOptions {
  const w = opts.weights?.toLowerCase();
  if (w !== undefined && !['fp32', 'float32', 'fp16', 'float16'].includes(w)) throw new Error('--weights must be fp32 or fp16');
  return { config: opts.config, preset: opts.preset, weights: w === 'fp16' || w === 'float16' ? 'float16' : 'float32', overrides };
}

async function readOverrides(file: string | undefined): Promise<ManifestOverrides> {
  if (!file) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read --manifest ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Conversion progress on stderr: a bar on a terminal, a line per phase (and every 2 s) otherwise. */
function importProgress(): (p: ModelImportProgress) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  let lastPhase = '';
  return (p) => {
    if (p.phase === 'failed') return;
    const frac = p.total ? p.done / p.total : 0;
    const text = p.phase === 'converting' ? `converting: ${(p.done / 1e6).toFixed(0)}/${(p.total / 1e6).toFixed(0)} MB of weights (${Math.round(frac * 100)}%)` : p.phase;
    if (tty) process.stderr.write(`\r${text.padEnd(60)}${p.phase === 'done' ? '\n' : ''}`);
    else if (p.phase !== lastPhase || Date.now() - last > 2000 || frac === 1) {
      process.stderr.write(`${text}\n`);
      last = Date.now();
    }
    lastPhase = p.phase;
  };
}

function describe(e: ModelEntry): string {
  const m = e.manifest;
  return [
    `${m.id}${m.baseline ? ' (baseline)' : ''}: ${m.name}`,
    `  ${m.input.size}×${m.input.size} ${m.input.channelOrder} in, ${m.output.dim} out; magnifications ${m.magnifications.join(', ')} µm/px`,
    `  licence: ${m.licence}; ${e.origin} model in ${e.dir}`,
    ...(m.checkpoint ? [`  converted from ${m.checkpoint.format}: ${m.checkpoint.architecture}; ${m.checkpoint.weights} weights`] : []),
  ].join('\n');
}

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('List encoder models (the built-in baseline, imported and bundled models)')
    .option('--json', 'print JSON (manifests, folders, problems)')
    .action(async (opts: { json?: boolean }) => {
      const { models: list, problems } = await listModels();
      if (opts.json) {
        const out = {
          models: list.map((e) => ({ ...e.manifest, dir: e.dir, origin: e.origin })),
          problems: problems.map((p) => ({ dir: p.dir, code: p.error.code, message: p.error.message })),
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      process.stdout.write(list.map(describe).join('\n') + '\n');
      for (const p of problems) process.stderr.write(`warning: ${p.error.message}\n`);
    });
  models
    .command('presets')
    .description('List the pathology foundation models Tessera knows (normalisation, embedding rule, licence)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) process.stdout.write(`${JSON.stringify(modelPresets, null, 2)}\n`);
      else {
        for (const p of modelPresets) {
          const s = p.signature;
          process.stdout.write(`${p.id}: ${p.name} (${p.hub})\n  ViT ${s.depth}×${s.embedDim}, patch ${s.patchSize}${s.regTokens ? `, ${s.regTokens} registers` : ''}; embedding ${p.embeddingRule}; ${p.magnifications.join(', ')} µm/px\n  licence: ${p.licence}${p.gated ? '; gated on the hub' : ''}${p.nonCommercial ? '; non-commercial' : ''}\n`);
        }
      }
    });
  models
    .command('propose')
    .description('Print the manifest Tessera proposes for an encoder (edit it, then `models import <path> --manifest <it>`)')
    .argument('<path>', 'ONNX file, timm snapshot folder, or .safetensors / .bin / .pth weights')
    .option('--out <file>', 'write the manifest JSON here instead of stdout')
    .option('--config <file>', 'config.json for a lone weights file')
    .option('--preset <id>', 'use a known model\'s settings (see `tessera models presets`)')
    .action(async (file: string, opts: { out?: string } & CheckpointFlags) => {
      const proposed = isOnnx(file) || !(await isCheckpointPath(file)) ? await proposeManifest(file) : (await inspectCheckpoint(file, checkpointOptions(opts, {}))).manifest;
      const text = `${JSON.stringify(proposed, null, 2)}\n`;
      if (opts.out) {
        await writeFile(opts.out, text, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
          throw new Error(err.code === 'EEXIST' ? `${opts.out} already exists` : `cannot write ${opts.out}: ${err.message}`, { cause: err });
        });
        process.stderr.write(`wrote ${opts.out}: edit it (name, magnifications, mean/std, licence), then run\n  tessera models import ${file} --manifest ${opts.out}\n`);
      } else process.stdout.write(text);
    });
  models
    .command('import')
    .description('Import an encoder: an ONNX file, or a timm checkpoint (snapshot folder or weights file) converted to ONNX; verify, install')
    .argument('<path>', 'ONNX file, timm snapshot folder (config.json + model.safetensors / pytorch_model.bin), or weights file')
    .option('--manifest <file>', 'JSON with manifest fields to set (id, name, magnifications, input.mean, licence, num_heads, embedding, …)')
    .option('--config <file>', 'config.json for a lone weights file')
    .option('--preset <id>', 'use a known model\'s settings (see `tessera models presets`)')
    .option('--weights <precision>', 'stored weight precision of a converted checkpoint: fp32 (default) or fp16 (half the size; computed in fp32)')
    .option('--replace', 'replace an imported model with the same id')
    .option('--json', 'print the resulting manifest as JSON')
    .action(async (file: string, opts: { manifest?: string; replace?: boolean; json?: boolean } & CheckpointFlags) => {
      const overrides = await readOverrides(opts.manifest);
      let entry: ModelEntry;
      if (isOnnx(file) || !(await isCheckpointPath(file))) entry = await importModel(file, overrides, { replace: opts.replace === true });
      else {
        const options = checkpointOptions(opts, overrides);
        const preview = await inspectCheckpoint(file, options);
        const c = preview.manifest.checkpoint;
        process.stderr.write(`${preview.weightsFile}: ${c.architecture}\n  ${c.preset ? `known model: ${preview.manifest.name}` : 'generic timm ViT'}; licence: ${preview.manifest.licence}${c.gated ? ' (gated)' : ''}${c.nonCommercial ? ' (non-commercial)' : ''}\n`);
        for (const a of c.assumptions) process.stderr.write(`  assumed: ${a}\n`);
        entry = await importCheckpoint(file, { ...options, replace: opts.replace === true, onProgress: importProgress() });
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...entry.manifest, dir: entry.dir }, null, 2)}\n`);
      else process.stdout.write(`imported\n${describe(entry)}\n`);
    });
}
