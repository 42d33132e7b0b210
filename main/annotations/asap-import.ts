// ASAP XML import: ASAP_Annotations/Annotations/Annotation[@Type, @PartOfGroup]/Coordinates/Coordinate[@Order, @X, @Y],
// groups (AnnotationGroups/Group[@Name, @Color]) become classes.
import { XMLParser } from 'fast-xml-parser';
import { geometrySchema } from '../common/schemas/geometry.js';
import { parseOr } from '../common/schemas/issues.js';
import { AnnotationImportError, type ImportedAnnotations } from './annotation-import-error.js';
import { newAnnotationId, type Annotation, type AnnotationClass, type AnnotationGeometry, type Point, type Rgb } from './annotation-model.js';

type Node = Record<string, unknown>;
const asList = (v: unknown): Node[] => (v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v]) as Node[];

export function importAsapXml(text: string): ImportedAnnotations {
  let root: Node;
  try {
    root = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseAttributeValue: false }).parse(text, true) as Node;
  } catch (err) {
    throw new AnnotationImportError('asap-xml', 'document', `not well-formed XML (${(err as Error).message.split('\n')[0]})`);
  }
  const top = root.ASAP_Annotations as Node | undefined;
  if (!top || typeof top !== 'object') throw new AnnotationImportError('asap-xml', 'document', 'no <ASAP_Annotations> root element');
  const classes = new Map<string, AnnotationClass>();
  for (const g of asList((top.AnnotationGroups as Node | undefined)?.Group)) {
    const name = String(g['@Name'] ?? '');
    if (name) classes.set(name, { name, colour: hexColour(g['@Color']) ?? [128, 128, 128] });
  }
  const annotations: Annotation[] = [];
  const warnings: string[] = [];
  asList((top.Annotations as Node | undefined)?.Annotation).forEach((a, i) => {
    const label = a['@Name'] !== undefined ? `Annotation ${i} "${String(a['@Name'])}"` : `Annotation ${i}`;
    const fail = (problem: string): never => {
      throw new AnnotationImportError('asap-xml', label, problem);
    };
    const type = String(a['@Type'] ?? '');
    const group = a['@PartOfGroup'] === undefined || a['@PartOfGroup'] === 'None' ? 'Unclassified' : String(a['@PartOfGroup']);
    const coords = asList((a.Coordinates as Node | undefined)?.Coordinate).map((c, j) => {
      const order = Number(c['@Order'] ?? j);
      const x = Number(c['@X']);
      const y = Number(c['@Y']);
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(order)) fail(`Coordinate ${j} needs numeric Order, X, Y (got ${JSON.stringify(c)})`);
      return { order, p: [x, y] as Point };
    });
    const points = coords.sort((p, q) => p.order - q.order).map((c) => c.p);
    let geometry: AnnotationGeometry;
    switch (type) {
      case 'Polygon':
      case 'Spline':
      case 'Rectangle':
        if (points.length < 3) fail(`a ${type} needs at least 3 coordinates, has ${points.length}`);
        geometry = { type: 'polygon', rings: [points] };
        break;
      case 'Dot':
        if (points.length !== 1) fail(`a Dot needs exactly 1 coordinate, has ${points.length}`);
        geometry = { type: 'point', x: points[0][0], y: points[0][1] };
        break;
      case 'PointSet':
        if (points.length === 0) fail('a PointSet has no coordinates');
        geometry = { type: 'points', points };
        break;
      default:
        fail(`unsupported Type ${JSON.stringify(type)} (expected Polygon, Spline, Rectangle, Dot or PointSet)`);
        return;
    }
    // The rules every geometry meets (coordinates within ±1e9 px, 3 distinct ring positions): the shared schema.
    geometry = parseOr(geometrySchema, geometry, (problem) => new AnnotationImportError('asap-xml', label, problem));
    if (!classes.has(group)) classes.set(group, { name: group, colour: hexColour(a['@Color']) ?? [128, 128, 128] });
    const annotation: Annotation = { id: newAnnotationId(), className: group, geometry };
    if (a['@Name'] !== undefined) annotation.name = String(a['@Name']);
    annotations.push(annotation);
  });
  return { annotations, classes: [...classes.values()], warnings };
}

function hexColour(v: unknown): Rgb | null {
  const m = typeof v === 'string' ? /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(v.trim()) : null;
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : null;
}
