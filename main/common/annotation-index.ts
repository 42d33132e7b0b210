// Spatial index over a slide's annotations (R-tree, rbush) for viewport queries and hit-testing.
import RBush from 'rbush';
import type { Annotation } from './annotation-model.js';
import { geometryBounds, geometryContains, type Bounds } from './geometry.js';

interface Entry extends Bounds {
  annotation: Annotation;
}

export class AnnotationIndex {
  private readonly tree = new RBush<Entry>();
  private readonly entries = new Map<string, Entry>();

  constructor(annotations: readonly Annotation[] = []) {
    this.reset(annotations);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Rebuilds from scratch (bulk loading is much faster than inserting one by one). */
  reset(annotations: readonly Annotation[]): void {
    this.tree.clear();
    this.entries.clear();
    const entries = annotations.map((a) => this.entry(a));
    for (const e of entries) this.entries.set(e.annotation.id, e);
    this.tree.load(entries);
  }

  insert(annotation: Annotation): void {
    this.remove(annotation.id);
    const e = this.entry(annotation);
    this.entries.set(annotation.id, e);
    this.tree.insert(e);
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.tree.remove(e);
    this.entries.delete(id);
  }

  /** Annotations whose bounds meet the rectangle (level-0 px): what a viewport must draw. */
  search(bounds: Bounds): Annotation[] {
    return this.tree.search(bounds).map((e) => e.annotation);
  }

  /**
   * Annotations under (x, y): areas containing the point, and points and lines within `tolerance` px.
   * Smallest first, so a click picks the innermost region.
   */
  hitTest(x: number, y: number, tolerance = 0): Annotation[] {
    const near = this.tree.search({ minX: x - tolerance, minY: y - tolerance, maxX: x + tolerance, maxY: y + tolerance });
    const hits = near.filter((e) => {
      const g = e.annotation.geometry;
      if (g.type === 'point') return Math.hypot(g.x - x, g.y - y) <= tolerance;
      if (g.type === 'points') return g.points.some(([px, py]) => Math.hypot(px - x, py - y) <= tolerance);
      if (g.type === 'line') return g.points.some((p, i) => i > 0 && segmentDistance(x, y, g.points[i - 1], p) <= tolerance);
      return geometryContains(g, x, y);
    });
    const area = (e: Entry) => (e.maxX - e.minX) * (e.maxY - e.minY);
    return hits.sort((a, b) => area(a) - area(b)).map((e) => e.annotation);
  }

  private entry(annotation: Annotation): Entry {
    return { ...geometryBounds(annotation.geometry), annotation };
  }
}

function segmentDistance(px: number, py: number, [ax, ay]: readonly number[], [bx, by]: readonly number[]): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
