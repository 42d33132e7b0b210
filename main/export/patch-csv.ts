// Per-patch probabilities as CSV: `slide,mpp,x,y,size,<class>…`; x, y = top-left level-0 px, size = patch
// side in level-0 px, mpp = µm/px of the patch pixels (the encoder's magnification), one column per class.
import type { PatchProbabilities } from '../probe/apply-probe.js';

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function patchCsv(slideName: string, p: PatchProbabilities): string {
  const K = p.classNames.length;
  const lines = [['slide', 'mpp', 'x', 'y', 'size', ...p.classNames].map(csvField).join(',')];
  const slide = csvField(slideName);
  for (let i = 0; i < p.n; i++) {
    const probs = Array.from(p.probabilities.subarray(i * K, i * K + K), (v) => v.toFixed(5));
    lines.push(`${slide},${p.mpp},${p.coords[2 * i]},${p.coords[2 * i + 1]},${p.level0Size},${probs.join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}
