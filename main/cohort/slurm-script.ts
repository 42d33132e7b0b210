// `tessera cohort slurm`: an sbatch script for a Slurm array job of N tasks, task i running `tessera cohort
// embed|heatmap` on shard i/N (0-based), its log in DIR/logs/. Resubmitting it is safe: done slides are
// skipped, slides a cancelled task left half-done are redone (their locks are stale once the task is gone).
import { realpathSync } from 'node:fs';
import type { CohortKind } from './cohort-files.js';

export interface SlurmScriptOptions {
  kind: CohortKind;
  /** Absolute paths. */
  manifest: string;
  out: string;
  logsDir: string;
  tasks: number;
  partition?: string;
  time?: string;
  gpusPerTask?: number;
  cpusPerTask?: number;
  mem?: string;
  /** Options passed on to the cohort command (--model, --mpp, --probe, …). */
  commandArgs: string[];
  /** The `tessera` command: node, its flags, the entry script. */
  entry: string[];
  /** Working folder of every task. */
  cwd: string;
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The running `tessera`: this node binary, the flags it was started with that load code (`--import tsx` from
 * source; test-runner and inspector flags dropped) and the entry script (bin/tessera.js, by its real path).
 */
export function tesseraEntry(argv1 = process.argv[1], execArgv = process.execArgv): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (/^--(test|inspect|watch|eval|print)/.test(a) || a === '-e' || a === '-p') continue;
    if (
      (a === '--import' || a === '--loader' || a === '--experimental-loader' || a === '--require' || a === '-r') &&
      i + 1 < execArgv.length
    ) {
      flags.push(a, execArgv[++i]);
    } else if (a.startsWith('-')) flags.push(a);
  }
  let script = argv1;
  try {
    script = realpathSync(argv1);
  } catch {
    // keep as given
  }
  return [process.execPath, ...flags, script];
}

function checkOptions(o: SlurmScriptOptions): void {
  if (!Number.isInteger(o.tasks) || o.tasks < 1 || o.tasks > 100_000)
    throw new Error(`--tasks must be a whole number ≥ 1, got ${o.tasks}`);
  if (o.time !== undefined && !/^(\d+-)?\d{1,3}:\d{2}(:\d{2})?$|^\d+$/.test(o.time))
    throw new Error(`--time must be HH:MM:SS (or D-HH:MM:SS, or minutes), got "${o.time}"`);
  if (o.mem !== undefined && !/^\d+[KMGT]?$/i.test(o.mem))
    throw new Error(`--mem must be like 16G or 8000M, got "${o.mem}"`);
  for (const [name, v] of [
    ['--gpus-per-task', o.gpusPerTask],
    ['--cpus-per-task', o.cpusPerTask],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new Error(`${name} must be a whole number, got ${v}`);
  }
  if (o.partition !== undefined && !/^[A-Za-z0-9_.,-]+$/.test(o.partition))
    throw new Error(`--partition looks wrong: "${o.partition}"`);
}

export function slurmScript(o: SlurmScriptOptions): string {
  checkOptions(o);
  const directives = [
    `--job-name=tessera-${o.kind}`,
    `--array=0-${o.tasks - 1}`,
    `--output=${o.logsDir}/${o.kind}-%A_%a.log`,
    `--chdir=${o.cwd}`,
    '--ntasks=1',
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.time ? [`--time=${o.time}`] : []),
    ...(o.gpusPerTask ? [`--gpus-per-task=${o.gpusPerTask}`] : []),
    ...(o.cpusPerTask ? [`--cpus-per-task=${o.cpusPerTask}`] : []),
    ...(o.mem ? [`--mem=${o.mem}`] : []),
  ];
  const command = [...o.entry, 'cohort', o.kind, o.manifest, '--out', o.out, ...o.commandArgs]
    .map(shellQuote)
    .join(' ');
  return [
    '#!/bin/bash',
    `# Written by \`tessera cohort slurm ${o.kind}\`. Submit with: sbatch <this file>`,
    `# Array task i of ${o.tasks} runs \`tessera cohort ${o.kind}\` on shard i/${o.tasks}: the slides at manifest rows i, i+${o.tasks}, …`,
    '# Resubmit to finish a cohort after failures or cancelled tasks: done slides are skipped.',
    ...directives.map((d) => `#SBATCH ${d}`),
    'set -u',
    `echo "tessera cohort ${o.kind}: array task \${SLURM_ARRAY_TASK_ID}/${o.tasks} (job \${SLURM_ARRAY_JOB_ID:-?}) on $(hostname)" >&2`,
    `exec ${command} --shard "\${SLURM_ARRAY_TASK_ID}/${o.tasks}" --quiet`,
    '',
  ].join('\n');
}
