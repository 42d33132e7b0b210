// The models Tessera knows: the generated default encoder, the user's imported models, and the repo's
// native-models/. A folder is a model when it holds manifest.json; broken folders are reported, not fatal.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDefaultEncoder, defaultEncoderId } from './default-encoder-model.js';
import { ModelError } from './model-errors.js';
import { validateManifest, type ModelManifest } from './model-manifest.js';
import { builtInModelsDir, userModelsDir } from './model-folders.js';

export interface ModelEntry {
  manifest: ModelManifest;
  dir: string;
  onnxPath: string;
  origin: 'default' | 'user' | 'built-in';
}

export interface ModelListing {
  models: ModelEntry[];
  /** Folders that look like models but could not be read. */
  problems: { dir: string; error: ModelError }[];
}

export interface ModelFolders {
  user?: string;
  builtIn?: string;
}

async function readEntry(dir: string, origin: ModelEntry['origin']): Promise<ModelEntry> {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ModelError('manifest-invalid', `${path}: missing`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelError('manifest-invalid', `${path}: not valid JSON (${(err as Error).message})`);
  }
  const manifest = validateManifest(json, path);
  return { manifest, dir, onnxPath: join(dir, manifest.file), origin };
}

async function scan(root: string, origin: ModelEntry['origin'], out: ModelListing): Promise<void> {
  const names = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const d of names.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!d.isDirectory() || d.name.startsWith('.')) continue;
    const dir = join(root, d.name);
    const hasManifest = await readdir(dir).then((f) => f.includes('manifest.json'), () => false);
    if (!hasManifest) continue;
    try {
      const entry = await readEntry(dir, origin);
      if (out.models.some((m) => m.manifest.id === entry.manifest.id)) continue; // earlier folders win
      out.models.push(entry);
    } catch (err) {
      if (err instanceof ModelError) out.problems.push({ dir, error: err });
      else throw err;
    }
  }
}

/** Every usable model, default encoder first (generated into the user folder when absent or outdated). */
export async function listModels(folders: ModelFolders = {}): Promise<ModelListing> {
  const user = folders.user ?? userModelsDir();
  const out: ModelListing = { models: [], problems: [] };
  const defaultDir = await ensureDefaultEncoder(user);
  out.models.push(await readEntry(defaultDir, 'default'));
  await scan(user, 'user', out);
  await scan(folders.builtIn ?? builtInModelsDir(), 'built-in', out);
  return out;
}

export async function findModel(id: string | undefined, folders: ModelFolders = {}): Promise<ModelEntry> {
  const { models, problems } = await listModels(folders);
  const want = id ?? defaultEncoderId;
  const found = models.find((m) => m.manifest.id === want);
  if (found) return found;
  const broken = problems.find((p) => p.dir.endsWith(want));
  if (broken) throw broken.error;
  throw new ModelError('not-found', `no model "${want}" (have: ${models.map((m) => m.manifest.id).join(', ')})`);
}
