// k-fold splits that keep every group (annotation region, near-duplicate family, slide) inside one fold,
// so no region is both trained on and scored.

export interface GroupedFolds {
  /** Fold index per sample. */
  fold: Int32Array;
  /** Number of folds actually used (fewer than asked when there are fewer groups). */
  k: number;
  warnings: string[];
}

/**
 * Assigns whole groups to folds, balancing each class's count across folds: groups are placed largest
 * first into the fold that currently has the fewest samples of the group's majority class.
 */
export function groupedFolds(groups: ArrayLike<number>, labels: ArrayLike<number>, classNames: readonly string[], k: number): GroupedFolds {
  const classCount = classNames.length;
  const warnings: string[] = [];
  const n = groups.length;
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    let m = members.get(groups[i]);
    if (!m) members.set(groups[i], (m = []));
    m.push(i);
  }
  const groupCount = members.size;
  let folds = k;
  if (groupCount < k) {
    folds = groupCount;
    warnings.push(`only ${groupCount} annotation regions: cross-validation uses ${folds} folds instead of ${k}`);
  }
  const fold = new Int32Array(n);
  if (folds < 2) {
    warnings.push('cross-validation needs at least two annotation regions: metrics are not available');
    return { fold: fold.fill(-1), k: 0, warnings };
  }
  const load = Array.from({ length: folds }, () => new Float64Array(classCount));
  const total = new Float64Array(folds);
  const entries = [...members.entries()].sort((a, b) => b[1].length - a[1].length || a[0] - b[0]);
  for (const [, idx] of entries) {
    const counts = new Float64Array(classCount);
    for (const i of idx) counts[labels[i]]++;
    let major = 0;
    for (let c = 1; c < classCount; c++) if (counts[c] > counts[major]) major = c;
    let best = 0;
    for (let f = 1; f < folds; f++) {
      if (load[f][major] < load[best][major] || (load[f][major] === load[best][major] && total[f] < total[best])) best = f;
    }
    for (const i of idx) fold[i] = best;
    for (let c = 0; c < classCount; c++) load[best][c] += counts[c];
    total[best] += idx.length;
  }
  for (let c = 0; c < classCount; c++) {
    const without = load.filter((l) => l[c] === 0).length;
    if (without > 0 && load.some((l) => l[c] > 0)) {
      warnings.push(`class ${classNames[c]} appears in ${folds - without} of ${folds} folds: its regions are too few to spread over every fold`);
    }
  }
  return { fold, k: folds, warnings };
}
