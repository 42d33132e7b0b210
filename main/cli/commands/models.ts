// `tessera models [--json]`: the encoders Tessera can use. `tessera models import <file.onnx> [--manifest m.json]`:
// adds an ONNX encoder to the user models folder after checking it runs as its manifest says;
// `tessera models propose <file.onnx>` prints the manifest an import would use, to edit and pass as --manifest.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { listModels } from '../../encoder/model-registry.js';
import { importModel, proposeManifest, type ManifestOverrides } from '../../encoder/model-import.js';
import type { ModelEntry } from '../../encoder/model-registry.js';

function describe(e: ModelEntry): string {
  const m = e.manifest;
  return [
    `${m.id}${m.baseline ? ' (baseline)' : ''}: ${m.name}`,
    `  ${m.input.size}×${m.input.size} ${m.input.channelOrder} in, ${m.output.dim} out; magnifications ${m.magnifications.join(', ')} µm/px`,
    `  licence: ${m.licence}; ${e.origin} model in ${e.dir}`,
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
    .command('propose')
    .description('Print the manifest Tessera proposes for an ONNX encoder (edit it, then `models import <file> --manifest <it>`)')
    .argument('<file>', 'ONNX file (float32 [batch, 3, S, S] in, [batch, D] out)')
    .option('--out <file>', 'write the manifest JSON here instead of stdout')
    .action(async (file: string, opts: { out?: string }) => {
      const text = `${JSON.stringify(await proposeManifest(file), null, 2)}\n`;
      if (opts.out) {
        await writeFile(opts.out, text, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
          throw new Error(err.code === 'EEXIST' ? `${opts.out} already exists` : `cannot write ${opts.out}: ${err.message}`, { cause: err });
        });
        process.stderr.write(`wrote ${opts.out}: edit it (name, magnifications, mean/std, licence), then run\n  tessera models import ${file} --manifest ${opts.out}\n`);
      } else process.stdout.write(text);
    });
  models
    .command('import')
    .description('Import an ONNX encoder: propose a manifest from its graph, apply --manifest overrides, verify, copy')
    .argument('<file>', 'ONNX file (float32 [batch, 3, S, S] in, [batch, D] out)')
    .option('--manifest <file>', 'JSON with manifest fields to set (id, name, magnifications, input.mean, licence, …)')
    .option('--replace', 'replace an imported model with the same id')
    .option('--json', 'print the resulting manifest as JSON')
    .action(async (file: string, opts: { manifest?: string; replace?: boolean; json?: boolean }) => {
      let overrides: ManifestOverrides = {};
      if (opts.manifest) {
        try {
          overrides = JSON.parse(await readFile(opts.manifest, 'utf8'));
        } catch (err) {
          throw new Error(`cannot read --manifest ${opts.manifest}: ${(err as Error).message}`, { cause: err });
        }
      }
      const entry = await importModel(file, overrides, { replace: opts.replace === true });
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...entry.manifest, dir: entry.dir }, null, 2)}\n`);
      else process.stdout.write(`imported\n${describe(entry)}\n`);
    });
}
