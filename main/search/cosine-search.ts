// Exact cosine nearest neighbours over an [n·dim] row-major float32 matrix: one pass per row (dot product and
// squared norm together), a bounded min-heap for the top k. No index: 10^5 × 1,536 is ~150 M multiply-adds.

export interface CosineSearchInput {
  /** The query vector (dim numbers); need not be normalised. */
  query: Float32Array;
  /** [n·dim] row-major candidates. */
  matrix: Float32Array;
  dim: number;
  /** How many best rows to return. */
  k: number;
  /** Rows to skip (1 = excluded), n long; optional. */
  exclude?: Uint8Array;
  /**
   * Standardise every feature over the rows searched (subtract its mean, divide by its standard deviation)
   * before the cosine: a feature shared by every patch no longer dominates the angle. Default false.
   */
  standardise?: boolean;
}

export interface FeatureStats {
  mean: Float32Array;
  /** 1 / standard deviation (1 where a feature is constant). */
  invSd: Float32Array;
}

/** Per-feature mean and 1/sd over the rows of an [n·dim] matrix (excluded rows count too: they are the scope). */
export function featureStats(matrix: Float32Array, dim: number): FeatureStats {
  const n = matrix.length / dim;
  const s = new Float64Array(dim);
  const s2 = new Float64Array(dim);
  // Four rows at a time: a quarter of the loads and stores of the sums (the pass is bound by them, not by the adds).
  const n4 = n - (n % 4);
  for (let i = 0; i < n4; i += 4) {
    const b0 = i * dim, b1 = b0 + dim, b2 = b1 + dim, b3 = b2 + dim; // prettier-ignore
    for (let j = 0; j < dim; j++) {
      const a = matrix[b0 + j], b = matrix[b1 + j], c = matrix[b2 + j], d = matrix[b3 + j]; // prettier-ignore
      s[j] += a + b + c + d;
      s2[j] += a * a + b * b + c * c + d * d;
    }
  }
  for (let base = n4 * dim; base < matrix.length; base += dim) {
    for (let j = 0; j < dim; j++) {
      const v = matrix[base + j];
      s[j] += v;
      s2[j] += v * v;
    }
  }
  return statsFromSums(s, s2, n);
}

/**
 * Mean and 1/sd per feature from the sums of values and of squares over `n` rows (1 where a feature is
 * constant): what featureStats computes, and what the cache index keeps up to date as rows are added.
 */
export function statsFromSums(sum: ArrayLike<number>, sumSq: ArrayLike<number>, n: number): FeatureStats {
  const dim = sum.length;
  const mean = new Float32Array(dim);
  const invSd = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    const m = n > 0 ? sum[j] / n : 0;
    const v = n > 0 ? Math.max(0, sumSq[j] / n - m * m) : 0;
    mean[j] = m;
    invSd[j] = v > 1e-12 * Math.max(1, m * m) ? 1 / Math.sqrt(v) : 1;
  }
  return { mean, invSd };
}

export interface CosineHits {
  /** Row indices, best first. */
  rows: Int32Array;
  /** Cosine similarity of each, in [-1, 1]. */
  scores: Float32Array;
}

/** Cosine similarity of every row with the query ([n] scores; 0 for a zero row or a zero query). */
export function cosineScores(query: Float32Array, matrix: Float32Array, dim: number, stats?: FeatureStats): Float32Array {
  if (query.length !== dim) throw new RangeError(`query has ${query.length} numbers, rows have ${dim}`);
  if (matrix.length % dim !== 0) throw new RangeError(`matrix of ${matrix.length} numbers is not rows of ${dim}`);
  if (stats) return standardisedCosineScores(query, matrix, dim, stats);
  const n = matrix.length / dim;
  let qq = 0;
  for (let j = 0; j < dim; j++) qq += query[j] * query[j];
  const qn = Math.sqrt(qq);
  const out = new Float32Array(n);
  if (qn === 0) return out;
  const d4 = dim - (dim % 4);
  for (let i = 0, base = 0; i < n; i++, base += dim) {
    // Four independent accumulators: the adds pipeline instead of waiting on each other.
    let d0 = 0, d1 = 0, d2 = 0, d3 = 0, r0 = 0, r1 = 0, r2 = 0, r3 = 0; // prettier-ignore
    let j = 0;
    for (; j < d4; j += 4) {
      const a = matrix[base + j], b = matrix[base + j + 1], c = matrix[base + j + 2], e = matrix[base + j + 3]; // prettier-ignore
      d0 += a * query[j];
      d1 += b * query[j + 1];
      d2 += c * query[j + 2];
      d3 += e * query[j + 3];
      r0 += a * a;
      r1 += b * b;
      r2 += c * c;
      r3 += e * e;
    }
    for (; j < dim; j++) {
      const v = matrix[base + j];
      d0 += v * query[j];
      r0 += v * v;
    }
    const dot = d0 + d1 + d2 + d3;
    const rr = r0 + r1 + r2 + r3;
    out[i] = rr > 0 ? dot / (qn * Math.sqrt(rr)) : 0;
  }
  return out;
}

/** Cosine of standardised vectors: z = (x − mean)·invSd, without materialising the standardised matrix. */
function standardisedCosineScores(query: Float32Array, matrix: Float32Array, dim: number, { mean, invSd }: FeatureStats): Float32Array {
  const n = matrix.length / dim;
  const w = new Float32Array(dim);
  const qw = new Float32Array(dim);
  let qq = 0;
  for (let j = 0; j < dim; j++) {
    w[j] = invSd[j] * invSd[j];
    const d = query[j] - mean[j];
    qw[j] = d * w[j];
    qq += d * d * w[j];
  }
  const qn = Math.sqrt(qq);
  const out = new Float32Array(n);
  if (qn === 0) return out;
  const d4 = dim - (dim % 4);
  for (let i = 0, base = 0; i < n; i++, base += dim) {
    // Four independent accumulators each, as in the plain cosine: the adds pipeline.
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0, r0 = 0, r1 = 0, r2 = 0, r3 = 0; // prettier-ignore
    let j = 0;
    for (; j < d4; j += 4) {
      const a = matrix[base + j] - mean[j], b = matrix[base + j + 1] - mean[j + 1], c = matrix[base + j + 2] - mean[j + 2], e = matrix[base + j + 3] - mean[j + 3]; // prettier-ignore
      t0 += qw[j] * a;
      t1 += qw[j + 1] * b;
      t2 += qw[j + 2] * c;
      t3 += qw[j + 3] * e;
      r0 += w[j] * a * a;
      r1 += w[j + 1] * b * b;
      r2 += w[j + 2] * c * c;
      r3 += w[j + 3] * e * e;
    }
    for (; j < dim; j++) {
      const d = matrix[base + j] - mean[j];
      t0 += qw[j] * d;
      r0 += w[j] * d * d;
    }
    const rr = r0 + r1 + r2 + r3;
    out[i] = rr > 0 ? (t0 + t1 + t2 + t3) / (qn * Math.sqrt(rr)) : 0;
  }
  return out;
}

/** The k rows most similar to the query, best first (ties: lower row first); excluded and NaN rows never. */
export function topKCosine(input: CosineSearchInput): CosineHits {
  const { query, matrix, dim, exclude } = input;
  const scores = cosineScores(query, matrix, dim, input.standardise ? featureStats(matrix, dim) : undefined);
  const n = scores.length;
  const k = Math.max(0, Math.min(Math.floor(input.k), n));
  // Min-heap of (score, row) by score, then by row descending (so the worse tie is at the top).
  const hs = new Float32Array(k);
  const hr = new Int32Array(k);
  let size = 0;
  const worse = (a: number, b: number) => hs[a] < hs[b] || (hs[a] === hs[b] && hr[a] > hr[b]);
  const swap = (a: number, b: number) => {
    const s = hs[a];
    hs[a] = hs[b];
    hs[b] = s;
    const r = hr[a];
    hr[a] = hr[b];
    hr[b] = r;
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  if (k > 0) {
    for (let i = 0; i < n; i++) {
      if (exclude && exclude[i]) continue;
      const s = scores[i];
      if (Number.isNaN(s)) continue;
      if (size < k) {
        hs[size] = s;
        hr[size] = i;
        let c = size++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          if (!worse(c, p)) break;
          swap(c, p);
          c = p;
        }
      } else if (s > hs[0]) {
        hs[0] = s;
        hr[0] = i;
        down(0);
      }
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => hs[b] - hs[a] || hr[a] - hr[b]);
  return { rows: Int32Array.from(order, (i) => hr[i]), scores: Float32Array.from(order, (i) => hs[i]) };
}

/** Mean of the given rows of an [n·dim] matrix (the query of a region: the mean embedding of its patches). */
export function meanRow(matrix: Float32Array, dim: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(dim);
  if (rows.length === 0) return out;
  const acc = new Float64Array(dim);
  for (let k = 0; k < rows.length; k++) {
    const base = rows[k] * dim;
    for (let j = 0; j < dim; j++) acc[j] += matrix[base + j];
  }
  for (let j = 0; j < dim; j++) out[j] = acc[j] / rows.length;
  return out;
}
