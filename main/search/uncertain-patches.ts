// "Suggest what to label next": the patches where a probe is least sure (smallest margin between its two
// most probable classes), spread over the slide. Twenty neighbours of one ambiguous spot teach the probe one
// thing; one patch per region teaches it twenty. Greedy: least certain first, skipping any patch closer than
// `spacing` (level-0 px, centre to centre, in x and y: a square neighbourhood) to one already suggested.
import type { LabelSuggestion } from '../contracts/search.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';

/** A suggestion as the contract has it, before the grid's µm/px is added. */
export type UncertainPatch = Omit<LabelSuggestion, 'mpp'>;

export interface UncertainOptions {
  /** Suggestions wanted (default 12). */
  count?: number;
  /**
   * Least distance between two suggestions' origins, in level-0 px (square: |dx| and |dy| both below it is too
   * close). Default: half the side of the square each suggestion would get if they tiled the scored patches,
   * at least two patch sides.
   */
  spacing?: number;
  /** Patches never to suggest (dismissed, already labelled): by level-0 origin. */
  exclude?: (x: number, y: number) => boolean;
}

export const defaultSuggestionCount = 12;

/** The spacing used when none is given (see UncertainOptions.spacing). */
export function defaultSpacing(p: PatchProbabilities, count: number): number {
  const stride = p.level0Stride ?? p.level0Size;
  return Math.max(2 * p.level0Size, 0.5 * stride * Math.sqrt(p.n / Math.max(1, count)));
}

export function uncertainPatches(p: PatchProbabilities, options: UncertainOptions = {}): UncertainPatch[] {
  const count = options.count ?? defaultSuggestionCount;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count ${count} is not a whole number ≥ 1`);
  const k = p.classNames.length;
  if (k < 2) throw new RangeError('a probe of fewer than two classes has no margin');
  if (p.probabilities.length !== p.n * k || p.coords.length !== 2 * p.n) throw new RangeError('probabilities and coordinates do not match n');
  const spacing = options.spacing ?? defaultSpacing(p, count);
  if (!(spacing >= 0)) throw new RangeError(`spacing ${spacing} is not a distance`);

  const margin = new Float32Array(p.n);
  const best = new Int32Array(p.n);
  const next = new Int32Array(p.n);
  for (let i = 0; i < p.n; i++) {
    let a = -1;
    let b = -1;
    for (let c = 0; c < k; c++) {
      const v = p.probabilities[i * k + c];
      if (a < 0 || v > p.probabilities[i * k + a]) {
        b = a;
        a = c;
      } else if (b < 0 || v > p.probabilities[i * k + b]) b = c;
    }
    best[i] = a;
    next[i] = b;
    margin[i] = p.probabilities[i * k + a] - p.probabilities[i * k + b];
  }
  const order = Array.from({ length: p.n }, (_, i) => i).filter((i) => !Number.isNaN(margin[i]) && !options.exclude?.(p.coords[2 * i], p.coords[2 * i + 1]));
  // Least certain first; ties by position (top-to-bottom, left-to-right) so the answer is deterministic.
  order.sort((i, j) => margin[i] - margin[j] || p.coords[2 * i + 1] - p.coords[2 * j + 1] || p.coords[2 * i] - p.coords[2 * j]);

  // Picks bucketed by `spacing`-sided cells: a too-close pick can only be in the 3×3 cells around.
  const cell = Math.max(1, spacing);
  const buckets = new Map<string, number[]>();
  const out: UncertainPatch[] = [];
  for (const i of order) {
    if (out.length >= count) break;
    const x = p.coords[2 * i];
    const y = p.coords[2 * i + 1];
    const cx = Math.floor(x / cell);
    const cy = Math.floor(y / cell);
    let near = false;
    for (let dy = -1; dy <= 1 && !near; dy++)
      for (let dx = -1; dx <= 1 && !near; dx++)
        for (const j of buckets.get(`${cx + dx},${cy + dy}`) ?? []) {
          if (Math.abs(p.coords[2 * j] - x) < spacing && Math.abs(p.coords[2 * j + 1] - y) < spacing) {
            near = true;
            break;
          }
        }
    if (near) continue;
    const key = `${cx},${cy}`;
    buckets.set(key, [...(buckets.get(key) ?? []), i]);
    out.push({
      x,
      y,
      size: p.level0Size,
      margin: margin[i],
      top: { className: p.classNames[best[i]], p: p.probabilities[i * k + best[i]] },
      second: { className: p.classNames[next[i]], p: p.probabilities[i * k + next[i]] },
    });
  }
  return out;
}
