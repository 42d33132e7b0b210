// Where the pixels of each Deep Zoom level come from. OpenSlide always reads the best stored level and
// resamples; that is slow when no stored level is near (a one-level slide's overview levels read the
// whole slide per tile). Here a level is read 1:1 from a stored level of exactly the same scale,
// resampled (at the stored level's real downsample, e.g. 64.09 or 2.0005, never its rounded one) from
// a stored level at most `maxScale` times finer, or else derived by halving the next
// finer Deep Zoom level (built once, lazily, in cached blocks). The stored level is the one OpenSlide
// picks (the coarsest whose downsample does not exceed the Deep Zoom level's). `snapToStoredLevels` (the app's
// native-aligned layout) instead treats a stored level within the tolerance as 1:1, so its stored
// JPEG tiles can be sent as they are, at the cost of up to a pixel's drift from OpenSlide's numbering.

export type LevelSource =
  /** Deep Zoom pixel (x, y) is stored pixel (x, y) of `slideLevel` (scale 1). */
  | { kind: 'stored'; slideLevel: number }
  /**
   * Deep Zoom pixel (x, y) is stored pixel (x·scale, y·scale) of `slideLevel`, scale = the Deep Zoom
   * downsample over the stored level's real one: 1 < scale ≤ maxScale·(1 + tolerance) (≥ 1 − tolerance when snapping).
   */
  | { kind: 'resampled'; slideLevel: number; scale: number }
  /** Halve the next finer Deep Zoom level. */
  | { kind: 'derived' };

export interface PlanOptions {
  /**
   * A stored level whose downsample is within this relative distance of the Deep Zoom level's counts as
   * the same scale. Pyramids that floor-halve odd sizes (libvips, Aperio) have downsamples like 2.0005.
   */
  sameScaleTolerance?: number;
  /** Largest resampling factor from a stored level before deriving from a finer Deep Zoom level instead. */
  maxScale?: number;
  /** Read a stored level within `sameScaleTolerance` 1:1 instead of resampling it (default false). */
  snapToStoredLevels?: boolean;
}

/** Scales this close to 1 are float noise of an exact match. */
const EXACT = 1e-9;

export function planLevelSources(
  dzDownsamples: readonly number[],
  slideDownsamples: readonly number[],
  { sameScaleTolerance = 0.01, maxScale = 2, snapToStoredLevels = false }: PlanOptions = {},
): LevelSource[] {
  return dzDownsamples.map((d) => {
    let best = 0;
    for (let i = 0; i < slideDownsamples.length; i++) {
      // OpenSlide's get_best_level_for_downsample, or within the tolerance when snapping.
      if (slideDownsamples[i] <= d * (1 + (snapToStoredLevels ? sameScaleTolerance : EXACT))) best = i;
    }
    const scale = d / slideDownsamples[best];
    const off = Math.abs(scale - 1);
    if (off <= EXACT || (snapToStoredLevels && off <= sameScaleTolerance)) return { kind: 'stored', slideLevel: best };
    if (scale <= maxScale * (1 + sameScaleTolerance)) return { kind: 'resampled', slideLevel: best, scale };
    return { kind: 'derived' };
  });
}
