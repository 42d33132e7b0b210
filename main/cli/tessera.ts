// The `tessera` command line: a public interface for scripts and pipelines. Each command is one file
// under `commands/`, listed once in `commands/index.ts`. Errors go to stderr with a non-zero exit code.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { describeError } from './cli-errors.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('tessera')
    .description('Tessera: whole-slide images, embeddings, probes and heatmaps from the command line')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`tessera: ${describeError(err)}\n`);
    if (process.env.TESSERA_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return 1;
  }
}
