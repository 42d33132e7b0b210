// Where Tessera keeps the user's own data (annotations, probes): $TESSERA_DATA_DIR, else ~/.cache/tessera.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function tesseraDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TESSERA_DATA_DIR || join(homedir(), '.cache', 'tessera');
}
