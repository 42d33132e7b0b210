// Structural checks on an annotation read from disk or built by an importer: the shared annotation schema
// (main/common/schemas/), with the problem named by its path, e.g. `annotation 3: geometry.rings[0] has
// fewer than 3 distinct positions`.
import { annotationSchema } from '../common/schemas/annotation.js';
import { parseOr } from '../common/schemas/issues.js';
import type { Annotation } from './annotation-model.js';

export { MAX_COORDINATE } from '../common/schemas/geometry.js';

/** The annotation with only its known fields (rings opened, see geometry.ts); throws `<where>: <problem>`. */
export function parseAnnotation(value: unknown, where: string): Annotation {
  return parseOr(annotationSchema, value, (message) => new Error(`${where}: ${message}`));
}

export function validateAnnotation(value: unknown, where: string): asserts value is Annotation {
  parseAnnotation(value, where);
}
