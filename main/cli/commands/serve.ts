// `tessera serve [slides…] [--port N] [--host ADDR] [--tile-layout native|openslide] [--no-open]`: the
// browser host. Prints the URL with its access token (`http://127.0.0.1:PORT/?token=…`) on stdout (one
// line, for scripts) and keeps serving until interrupted.
// `--tile-layout openslide` serves OpenSlide's 254/1 Deep Zoom layout (for DZI clients that compare
// with OpenSlide); the default serves each slide in its native-aligned layout (default-slide-backend.ts).
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { startTesseraHost } from '../../host/start-host.js';
import { createDefaultSlideBackend, type TileLayout } from '../../services/default-slide-backend.js';

function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '""', url] : [url];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No browser to open: the printed URL is enough.
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the viewer and slides to a web browser (127.0.0.1 unless --host; prints the URL)')
    .argument('[slides...]', 'slide files to open (default: the built-in sample slide)')
    .option('--port <n>', 'port to listen on (default: a free port)')
    .option('--host <addr>', 'address to listen on (default 127.0.0.1); every request needs the access token in the printed URL')
    .option('--tile-layout <layout>', "Deep Zoom layout: 'native' (stored tile size, no overlap, where the slide allows) or 'openslide' (254/1)", 'native')
    .option('--no-open', 'do not open a web browser')
    .action(async (slidePaths: string[], opts: { port?: string; host?: string; tileLayout: string; open: boolean }) => {
      const port = opts.port === undefined ? 0 : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number 0–65535, not "${opts.port}"`);
      if (opts.tileLayout !== 'native' && opts.tileLayout !== 'openslide') throw new Error(`--tile-layout must be native or openslide, not "${opts.tileLayout}"`);
      const backend = createDefaultSlideBackend({ tileLayout: opts.tileLayout as TileLayout });
      const host = await startTesseraHost({ slides: slidePaths, port, host: opts.host, backend });
      process.stdout.write(`${host.url}\n`);
      for (const failure of host.failures) process.stderr.write(`tessera: ${failure}\n`);
      if (opts.open) openInBrowser(host.url);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void host.close().then(resolve, (err: unknown) => {
            // Unsaved annotations (a full disk): say so, and exit non-zero.
            process.stderr.write(`tessera: ${(err as Error).message}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
