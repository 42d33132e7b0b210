// Annotation classes: the presets every slide starts with, and user-defined additions.
import type { AnnotationClass, AnnotationDocument, Rgb } from './annotation-model.js';

/** Tumour and Stroma use QuPath's colours so imported QuPath projects look the same. */
export const presetClasses: readonly AnnotationClass[] = Object.freeze([
  { name: 'Tumour', colour: [200, 0, 0] as Rgb },
  { name: 'Normal', colour: [0, 160, 60] as Rgb },
  { name: 'Stroma', colour: [150, 200, 150] as Rgb },
  { name: 'Background', colour: [180, 180, 180] as Rgb },
]);

/** Colours handed to classes met without one (imports, user additions), in turn. */
const palette: Rgb[] = [
  [0, 0, 180], [255, 200, 0], [160, 90, 160], [0, 180, 200], [230, 120, 30], [120, 70, 20], [255, 105, 180], [50, 50, 50],
]; // prettier-ignore

export function defaultClasses(): AnnotationClass[] {
  return presetClasses.map((c) => ({ name: c.name, colour: [...c.colour] as Rgb }));
}

export function findClass(classes: readonly AnnotationClass[], name: string): AnnotationClass | undefined {
  return classes.find((c) => c.name === name);
}

/** The colour for a new class: the first palette colour no class uses yet, else the palette in turn. */
export function nextClassColour(classes: readonly AnnotationClass[]): Rgb {
  const used = new Set(classes.map((c) => c.colour.join(',')));
  const free = palette.find((p) => !used.has(p.join(',')));
  return [...(free ?? palette[Math.max(0, classes.length - presetClasses.length) % palette.length])] as Rgb;
}

/** `classes` plus any of `names` not yet there, with colours given or picked from the palette (distinct). */
export function withClasses(classes: readonly AnnotationClass[], wanted: readonly { name: string; colour?: Rgb }[]): AnnotationClass[] {
  const out = classes.slice();
  for (const w of wanted) {
    if (findClass(out, w.name)) continue;
    out.push({ name: w.name, colour: w.colour ?? nextClassColour(out) });
  }
  return out;
}

/** The colour an annotation is drawn with: its own, else its class's, else grey. */
export function annotationColour(doc: AnnotationDocument, annotation: { className: string; colour?: Rgb }): Rgb {
  return annotation.colour ?? findClass(doc.classes, annotation.className)?.colour ?? [128, 128, 128];
}
