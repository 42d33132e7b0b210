// Runs the CLI in-process for tests: `tessera args…` through main(), as a script would call it.
import { main } from '../tessera.js';

export interface CliResult {
  /** main()'s exit status. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tessera args…`, capturing what it writes to stdout and stderr. The CLI writes strings; the test
 * runner's own reports travel as binary chunks on the same streams and are passed through. process.exitCode
 * is cleared for the call (main() reads it: a failed test before must not fail this command) and restored after.
 */
export async function runCli(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const capture = (into: string[], original: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk !== 'string') return original(chunk, ...rest);
      into.push(chunk);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out, writeOut);
  process.stderr.write = capture(err, writeErr);
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = exitCode;
  }
}
