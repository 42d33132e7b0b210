// Feature standardisation (z-scores) fitted on training rows and stored with the probe.

export interface Standardisation {
  mean: Float64Array;
  /** Standard deviation, with constant features set to 1 so they standardise to 0. */
  std: Float64Array;
}

export function fitStandardisation(x: Float32Array, n: number, d: number): Standardisation {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) mean[j] += x[row + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, n);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) {
      const v = x[row + j] - mean[j];
      sq[j] += v * v;
    }
  }
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sq[j] / Math.max(1, n));
    std[j] = s > 1e-12 ? s : 1;
  }
  return { mean, std };
}

/** A standardised copy of `x` [n·d]. */
export function applyStandardisation(s: Standardisation, x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) out[row + j] = (x[row + j] - s.mean[j]) / s.std[j];
  }
  return out;
}
