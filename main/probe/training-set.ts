// Labelled patches for a probe: a patch whose centre lies inside an annotation takes its class.
import type { Annotation } from '../annotations/annotation-model.js';
import { AnnotationIndex } from '../annotations/annotation-index.js';
import { isAreal } from '../annotations/geometry.js';
import type { AssembledFeatures } from './assemble-features.js';

export interface AnnotatedSlide {
  features: AssembledFeatures;
  annotations: readonly Annotation[];
}

export interface TrainingSet {
  classNames: string[];
  n: number;
  dim: number;
  /** [n·dim] */
  x: Float32Array;
  labels: Int32Array;
  /** Annotation region of each sample (index into `regions`): cross-validation folds never split one. */
  groups: Int32Array;
  regions: { slideFingerprint: string; annotationId: string; className: string; patches: number }[];
  perClassCount: number[];
  modelId: string;
  magnifications: number[];
  warnings: string[];
}

export const minPatchesPerClass = 20;

/**
 * `classNames` fixes the class order (and may list classes the slides lack, which then get a warning);
 * by default the classes met, in order of first appearance.
 */
export function buildTrainingSet(slides: readonly AnnotatedSlide[], classNames?: readonly string[]): TrainingSet {
  if (slides.length === 0) throw new Error('no slides to train on');
  const { modelId, magnifications, dim } = slides[0].features;
  for (const s of slides) {
    if (s.features.modelId !== modelId) throw new Error(`slides embedded with different encoders (${modelId}, ${s.features.modelId})`);
    if (s.features.magnifications.join() !== magnifications.join()) throw new Error(`slides embedded at different magnifications (${magnifications.join('+')} vs ${s.features.magnifications.join('+')} µm/px)`);
  }
  const names = classNames ? [...classNames] : [];
  const warnings: string[] = [];
  const regions: TrainingSet['regions'] = [];
  const rows: { slide: number; row: number; label: number; group: number }[] = [];
  let ambiguous = 0;
  slides.forEach((slide, si) => {
    const areal = slide.annotations.filter((a) => isAreal(a.geometry));
    if (!classNames) for (const a of areal) if (!names.includes(a.className)) names.push(a.className);
    const regionOf = new Map<string, number>();
    for (const a of areal) {
      if (!names.includes(a.className)) continue;
      regionOf.set(a.id, regions.length);
      regions.push({ slideFingerprint: slide.features.slideFingerprint, annotationId: a.id, className: a.className, patches: 0 });
    }
    const index = new AnnotationIndex(areal.filter((a) => regionOf.has(a.id)));
    const { coords, n, level0Size } = slide.features;
    for (let i = 0; i < n; i++) {
      const hits = index.hitTest(coords[2 * i] + level0Size / 2, coords[2 * i + 1] + level0Size / 2);
      if (hits.length === 0) continue;
      if (hits.some((h) => h.className !== hits[0].className)) {
        ambiguous++;
        continue;
      }
      const group = regionOf.get(hits[0].id)!; // the smallest region containing the centre
      regions[group].patches++;
      rows.push({ slide: si, row: i, label: names.indexOf(hits[0].className), group });
    }
  });
  if (ambiguous) warnings.push(`${ambiguous} patches lie inside annotations of different classes and were left out`);
  const n = rows.length;
  const x = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  const groups = new Int32Array(n);
  const perClassCount = names.map(() => 0);
  rows.forEach((r, k) => {
    x.set(slides[r.slide].features.features.subarray(r.row * dim, (r.row + 1) * dim), k * dim);
    labels[k] = r.label;
    groups[k] = r.group;
    perClassCount[r.label]++;
  });
  names.forEach((name, c) => {
    const regionCount = regions.filter((r) => r.className === name && r.patches > 0).length;
    if (perClassCount[c] === 0) warnings.push(`class ${name} has no patches: no patch centre falls inside its annotations`);
    else if (perClassCount[c] < minPatchesPerClass) warnings.push(`class ${name} has only ${perClassCount[c]} patches (fewer than ${minPatchesPerClass}): its metrics are unreliable`);
    if (regionCount === 1) warnings.push(`class ${name} comes from a single annotation region: cross-validation cannot hold it out and train on it at once`);
  });
  for (const r of regions) if (r.patches === 0) warnings.push(`annotation ${r.annotationId} (${r.className}) covers no patch centre`);
  return { classNames: names, n, dim, x, labels, groups, regions, perClassCount, modelId, magnifications, warnings };
}
