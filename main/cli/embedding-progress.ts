// Progress of embedding work on stderr, shared by `tessera embed`, `probe train` and `heatmap`: a bar that
// redraws on a terminal, a line every 2 s (and at the end) otherwise. Ctrl-C aborts the work cleanly.

export interface EmbeddingProgressLike {
  mpp: number;
  done: number;
  total: number;
  cached: number;
}

export function progressBar(prefix = ''): (p: EmbeddingProgressLike) => void {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  return (p) => {
    const frac = p.total === 0 ? 1 : p.done / p.total;
    const width = 30;
    const filled = Math.round(frac * width);
    const text = `${prefix}mpp ${p.mpp}: [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} patches (${p.cached} cached)`;
    if (tty) process.stderr.write(`\r${text}${p.done === p.total ? '\n' : ''}`);
    else if (p.done === p.total || Date.now() - lastLine > 2000) {
      process.stderr.write(`${text}\n`);
      lastLine = Date.now();
    }
  };
}

/** Runs `fn` with a signal that SIGINT aborts (the embedding cache keeps every finished batch). */
export async function abortableOnSigint<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
  }
}
