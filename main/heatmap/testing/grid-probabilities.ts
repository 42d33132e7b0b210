// Synthetic per-patch probabilities on a regular patch grid, for heatmap and export tests.
import type { PatchProbabilities } from '../../probe/apply-probe.js';

/** Patches of side 448 level-0 px (224 px at 1 µm/px on a 0.5 µm/px slide); Tumour = prob(col, row), Normal = 1 − that. */
export function gridProbabilities(cols: number, rows: number, prob: (c: number, r: number) => number): PatchProbabilities {
  const n = cols * rows;
  const coords = new Int32Array(2 * n);
  const probabilities = new Float32Array(2 * n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      coords[2 * i] = c * 448;
      coords[2 * i + 1] = r * 448;
      probabilities[2 * i] = prob(c, r);
      probabilities[2 * i + 1] = 1 - prob(c, r);
    }
  }
  return { slideFingerprint: 's', classNames: ['Tumour', 'Normal'], level0Size: 448, mpp: 1, n, coords, probabilities };
}

