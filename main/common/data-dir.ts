// The one per-user Tessera folder: annotations, probes, imported models, the embedding cache and the
// generated sample. $TESSERA_DATA_DIR, else $XDG_DATA_HOME/tessera, else ~/.local/share/tessera. Not a
// cache folder: it holds user work (annotations, probes) that cache cleaners must not delete.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function tesseraDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TESSERA_DATA_DIR) return resolve(env.TESSERA_DATA_DIR);
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'tessera');
  return join(homedir(), '.local', 'share', 'tessera');
}
