// A fixed share of a cohort for one of N workers: slide k (0-based, manifest order) belongs to shard k mod N.
// Deterministic and disjoint: the N shards of a manifest cover each slide exactly once. Inside a Slurm array
// job the shard defaults to the task's: SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (0-based; an array
// that does not start at 0 counts from SLURM_ARRAY_TASK_MIN).

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count))
    throw new Error(`--shard must be I/N with 0 ≤ I < N (0-based), got "${text}"`);
  return { index, count };
}

/** The Slurm array task's shard, or undefined outside an array job. */
export function shardFromSlurm(env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  const id = env.SLURM_ARRAY_TASK_ID;
  if (id === undefined || id === '') return undefined;
  const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
  const count =
    env.SLURM_ARRAY_TASK_COUNT !== undefined
      ? Number(env.SLURM_ARRAY_TASK_COUNT)
      : Number(env.SLURM_ARRAY_TASK_MAX) - min + 1;
  const index = Number(id) - min;
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) {
    throw new Error(
      `cannot tell this Slurm array task's shard (SLURM_ARRAY_TASK_ID=${id}, COUNT=${env.SLURM_ARRAY_TASK_COUNT}, MIN=${env.SLURM_ARRAY_TASK_MIN}, MAX=${env.SLURM_ARRAY_TASK_MAX}): give --shard I/N`,
    );
  }
  return { index, count };
}

/** --shard when given, else the Slurm array task's, else everything. */
export function resolveShard(option: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  return option !== undefined ? parseShard(option) : shardFromSlurm(env);
}

export function inShard(position: number, shard: Shard | undefined): boolean {
  return !shard || position % shard.count === shard.index;
}
