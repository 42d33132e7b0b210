// What an annotation is: a class name and a geometry in level-0 pixels of one slide.

export type Point = [x: number, y: number];
/** A closed ring; the last point need not repeat the first. */
export type Ring = Point[];
export type Rgb = [r: number, g: number, b: number];

export type AnnotationGeometry =
  | { type: 'rectangle'; x: number; y: number; width: number; height: number }
  /** Outer ring then holes. Brush strokes are stored as the polygon they paint (`drawnWith: 'brush'`);
   *  ellipses as a polygon approximating them (`drawnWith: 'ellipse'`), which is what QuPath itself writes
   *  to GeoJSON for its ellipse ROIs and reads back (as a polygon), so the shape round-trips everywhere. */
  | { type: 'polygon'; rings: Ring[]; drawnWith?: 'brush' | 'ellipse' }
  | { type: 'multipolygon'; polygons: Ring[][] }
  | { type: 'point'; x: number; y: number }
  | { type: 'points'; points: Point[] }
  /** An open polyline (the ruler draws two points); GeoJSON LineString, QuPath's line ROI. No area. */
  | { type: 'line'; points: Point[] };

export interface Annotation {
  id: string;
  className: string;
  geometry: AnnotationGeometry;
  /** Overrides the class colour for this annotation only. */
  colour?: Rgb;
  name?: string;
  /** Free text the pathologist keeps with the annotation. */
  note?: string;
  /** QuPath's `isLocked`: the UI must not move or reshape it. */
  locked?: boolean;
}

export interface AnnotationClass {
  name: string;
  colour: Rgb;
  /** Not drawn on the slide (the list still shows its annotations). */
  hidden?: boolean;
  /** Its annotations cannot be moved or reshaped (as each annotation's own `locked`). */
  locked?: boolean;
}

/** Everything annotated on one slide, as saved. */
export interface AnnotationDocument {
  slideFingerprint: string;
  classes: AnnotationClass[];
  annotations: Annotation[];
}

export function emptyDocument(slideFingerprint: string, classes: AnnotationClass[]): AnnotationDocument {
  return { slideFingerprint, classes, annotations: [] };
}

let counter = 0;
/** Unique enough for one user's annotations: time, a counter and randomness. */
export function newAnnotationId(): string {
  counter = (counter + 1) % 0x10000;
  return `${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
