// The one error importers throw: which file format, which feature, what is wrong with it.

export class AnnotationImportError extends Error {
  constructor(
    readonly format: 'geojson' | 'asap-xml',
    /** Where in the input: `feature 3 (id abc)`, `Annotation "Annotation 2"`, or `document`. */
    readonly location: string,
    readonly problem: string,
  ) {
    super(`${format === 'geojson' ? 'GeoJSON' : 'ASAP XML'} ${location}: ${problem}`);
    this.name = 'AnnotationImportError';
  }
}

/** What an importer produced, ready to merge: nothing has touched any store yet. */
export interface ImportedAnnotations {
  annotations: import('./annotation-model.js').Annotation[];
  /** Classes met, with the colours the file gave them. */
  classes: import('./annotation-model.js').AnnotationClass[];
  /** Things skipped on purpose (detections, lines), one line each. */
  warnings: string[];
}
