// The `tessera` command run from source (through tsx), for tests that spawn the CLI as a separate process:
// `node --import tsx main/cohort/testing/tessera-cli.ts <args…>`, the same main() as bin/tessera.js.
import { main } from '../../cli/tessera.js';

process.exitCode = await main(process.argv.slice(2));
