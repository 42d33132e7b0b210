// Small formatting helpers the analysis panel's sections share.
import type { Annotation } from '../../../main/common/annotation-model';

/** A class colour as CSS. */
export const rgbCss = (c: readonly number[]): string => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

/** A metric with three decimals; a dash where there is none (too few regions to cross-validate). */
export const metric = (v: number | null | undefined): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '—');

/**
 * How the annotation list names an annotation: its name, else `#n` in creation order, so names in notes and
 * warnings match what the list shows.
 */
export function annotationLabeller(list: readonly Annotation[]): (a: Annotation) => string {
  const numbers = new Map(list.map((a, i) => [a.id, i + 1]));
  return (a) => a.name ?? `#${numbers.get(a.id) ?? '?'}`;
}
