// `tessera cohort embed|heatmap|status|slurm`: whole cohorts from a manifest CSV, resumable, on one machine
// or as a Slurm array job. See main/cohort/ (files under the output folder: main/cohort/cohort-files.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cohortEmbed } from '../../cohort/cohort-embed.js';
import { cohortPaths, type CohortKind } from '../../cohort/cohort-files.js';
import { cohortHeatmap } from '../../cohort/cohort-heatmap.js';
import type { CohortLog, CohortRunResult } from '../../cohort/cohort-run.js';
import { cohortStatus, formatCohortStatus } from '../../cohort/cohort-status.js';
import { readManifest } from '../../cohort/manifest.js';
import { resolveShard } from '../../cohort/shard.js';
import { shellQuote, slurmScript, tesseraEntry } from '../../cohort/slurm-script.js';
import { progressBar } from '../embedding-progress.js';

const shardHelp =
  "this process's share I/N (0-based): slides at manifest rows ≡ I mod N; in a Slurm array job the default is SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT";

function parseMpps(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.some((x) => !(x > 0))) throw new Error(`--mpp must be positive numbers, comma-separated, got "${s}"`);
  return v;
}

function parseThreshold(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = Number(s);
  if (!(t >= 0 && t <= 1)) throw new Error(`--threshold must be between 0 and 1, got "${s}"`);
  return t;
}

function cliLog(quiet: boolean): CohortLog {
  const bars = new Map<string, ReturnType<typeof progressBar>>();
  return {
    result: (line) => process.stdout.write(`${line}\n`),
    progress: quiet ? () => {} : (line) => process.stderr.write(`${line}\n`),
    ...(quiet
      ? {}
      : { patches: (p, prefix) => (bars.get(prefix) ?? bars.set(prefix, progressBar(prefix)).get(prefix)!)(p) }),
  };
}

/** Runs `fn` with a signal that SIGINT / SIGTERM (Slurm's scancel) abort: the slide in hand is not recorded,
 * its lock released, its temporary files removed. A second signal, or 20 s, ends the process at once. */
async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    const code = sig === 'SIGTERM' ? 143 : 130;
    if (ac.signal.aborted) process.exit(code);
    process.stderr.write(`tessera cohort: ${sig}, stopping after cleaning up\n`);
    ac.abort(new Error(`interrupted by ${sig}`));
    timer = setTimeout(() => process.exit(code), 20_000);
    timer.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearTimeout(timer);
  }
}

function finish(r: CohortRunResult): void {
  if (r.failed.length > 0) process.exitCode = 1;
}

interface EmbedOpts {
  out: string;
  model?: string;
  mpp?: string;
  shard?: string;
  quiet?: boolean;
}
interface HeatmapOpts {
  out: string;
  probe: string;
  threshold?: string;
  class?: string;
  shard?: string;
  quiet?: boolean;
}
interface SlurmOpts {
  out: string;
  tasks: string;
  partition?: string;
  time?: string;
  gpusPerTask?: string;
  cpusPerTask?: string;
  mem?: string;
}

const embedOptions = (c: Command) =>
  c
    .option('--model <id>', 'encoder id (see `tessera models`; default: the built-in baseline)')
    .option(
      '--mpp <list>',
      "magnifications in µm/px, comma-separated (default: the model's); several: features/<id>.mpp-<mpp>.h5",
    );
const heatmapOptions = (c: Command) =>
  c
    .requiredOption('--probe <file>', 'probe file from `tessera probe train`')
    .option('--threshold <p>', 'probability at which a patch counts as the class (areas, fractions, regions)', '0.5')
    .option('--class <name>', 'class whose regions are written (default: Tumour, else the first class)');

function embedArgs(o: { model?: string; mpp?: string }): string[] {
  return [...(o.model ? ['--model', o.model] : []), ...(o.mpp ? ['--mpp', o.mpp] : [])];
}
function heatmapArgs(o: { probe: string; threshold?: string; class?: string }): string[] {
  return [
    '--probe',
    resolve(o.probe),
    ...(o.threshold ? ['--threshold', o.threshold] : []),
    ...(o.class ? ['--class', o.class] : []),
  ];
}

async function writeSlurm(kind: CohortKind, manifestPath: string, o: SlurmOpts, commandArgs: string[]): Promise<void> {
  const manifest = await readManifest(manifestPath); // fail here on a bad manifest, not in every task
  const out = resolve(o.out);
  const paths = cohortPaths(out);
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const text = slurmScript({
    kind,
    manifest: manifest.path,
    out,
    logsDir: paths.logsDir,
    tasks: Number(o.tasks),
    partition: o.partition,
    time: o.time,
    gpusPerTask: num(o.gpusPerTask),
    cpusPerTask: num(o.cpusPerTask),
    mem: o.mem,
    commandArgs,
    entry: tesseraEntry(),
    cwd: process.cwd(),
  });
  await mkdir(paths.logsDir, { recursive: true });
  await mkdir(paths.slurmDir, { recursive: true });
  const file = join(paths.slurmDir, `${kind}.sbatch`);
  await writeFile(file, text, { mode: 0o755 });
  process.stdout.write(
    `wrote ${file} (${o.tasks} array tasks over ${manifest.slides.length} slides; logs in ${paths.logsDir})\n`,
  );
  process.stdout.write(`submit with: sbatch ${shellQuote(file)}\n`);
}

const slurmOptions = (c: Command) =>
  c
    .requiredOption('--out <dir>', 'cohort output folder (the sbatch goes to DIR/slurm/, logs to DIR/logs/)')
    .requiredOption('--tasks <n>', 'array tasks (shards): --array=0-(N-1)')
    .option('--partition <p>', 'Slurm partition')
    .option('--time <HH:MM:SS>', 'time limit per task')
    .option('--gpus-per-task <g>', 'GPUs per task')
    .option('--cpus-per-task <c>', 'CPUs per task')
    .option('--mem <m>', 'memory per task (e.g. 16G)');

export function registerCohort(program: Command): void {
  const cohort = program
    .command('cohort')
    .description('Embed or score a cohort of slides from a manifest CSV, resumable, on one machine or a Slurm cluster')
    .addHelpText(
      'after',
      '\nThe manifest is a CSV with a "slide" column (a slide file or DICOM folder, relative to the manifest),\n' +
        'optionally "id" (default: the file name without extension, made unique) and any other columns (carried\n' +
        'into summary.csv). Several processes (or Slurm tasks) may work on one output folder at once: each slide is\n' +
        'locked while it is worked on and every file is written to a temporary name and renamed into place.',
    );
  embedOptions(
    cohort
      .command('embed')
      .description(
        'One CLAM/TRIDENT HDF5 per slide (DIR/features/<id>.h5) and a status record (DIR/status/<id>.json); done slides are skipped',
      )
      .argument('<manifest>', 'manifest CSV')
      .requiredOption('--out <dir>', 'cohort output folder'),
  )
    .option('--shard <I/N>', shardHelp)
    .option('--quiet', 'no progress on stderr (batch logs): one line per slide on stdout')
    .action(async (manifestPath: string, opts: EmbedOpts) => {
      const mpps = parseMpps(opts.mpp);
      const manifest = await readManifest(manifestPath);
      const shard = resolveShard(opts.shard);
      const r = await interruptible((signal) =>
        cohortEmbed({
          manifest,
          out: resolve(opts.out),
          modelId: opts.model,
          mpps,
          shard,
          signal,
          log: cliLog(opts.quiet === true),
        }),
      );
      finish(r);
    });
  heatmapOptions(
    cohort
      .command('heatmap')
      .description(
        'Apply a probe to every slide: DIR/heatmap/regions/<id>.geojson, DIR/heatmap/patches/<id>.csv and DIR/summary.csv',
      )
      .argument('<manifest>', 'manifest CSV')
      .requiredOption('--out <dir>', 'cohort output folder'),
  )
    .option('--shard <I/N>', shardHelp)
    .option('--quiet', 'no progress on stderr (batch logs): one line per slide on stdout')
    .action(async (manifestPath: string, opts: HeatmapOpts) => {
      const threshold = parseThreshold(opts.threshold);
      const manifest = await readManifest(manifestPath);
      const shard = resolveShard(opts.shard);
      const r = await interruptible((signal) =>
        cohortHeatmap({
          manifest,
          out: resolve(opts.out),
          probePath: opts.probe,
          threshold,
          className: opts.class,
          shard,
          signal,
          log: cliLog(opts.quiet === true),
        }),
      );
      finish(r);
    });
  cohort
    .command('status')
    .description('Slides done / failed / pending (and running) per step, with the failures; rebuilds DIR/summary.csv')
    .argument('<dir>', 'cohort output folder')
    .option('--json', 'machine-readable')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const s = await cohortStatus(resolve(dir));
      process.stdout.write(opts.json ? `${JSON.stringify(s, null, 1)}\n` : formatCohortStatus(s));
    });
  const slurm = cohort
    .command('slurm')
    .description('Write an sbatch script running a cohort command as a Slurm array job (one shard per task)');
  embedOptions(
    slurmOptions(
      slurm
        .command('embed')
        .description('sbatch for `cohort embed`: DIR/slurm/embed.sbatch')
        .argument('<manifest>', 'manifest CSV'),
    ),
  ).action(async (manifestPath: string, opts: SlurmOpts & { model?: string; mpp?: string }) => {
    parseMpps(opts.mpp);
    await writeSlurm('embed', manifestPath, opts, embedArgs(opts));
  });
  heatmapOptions(
    slurmOptions(
      slurm
        .command('heatmap')
        .description('sbatch for `cohort heatmap`: DIR/slurm/heatmap.sbatch')
        .argument('<manifest>', 'manifest CSV'),
    ),
  ).action(async (manifestPath: string, opts: SlurmOpts & { probe: string; threshold?: string; class?: string }) => {
    parseThreshold(opts.threshold);
    await writeSlurm('heatmap', manifestPath, opts, heatmapArgs(opts));
  });
}
