// Where the pixels of each Deep Zoom level come from. OpenSlide always reads the best stored level and
// resamples; that is slow when no stored level is near (a one-level slide's overview levels read the
// whole slide per tile). Here a level is read 1:1 from a stored level of the same scale, resampled
// from a stored level at most `maxScale` times finer, or else derived by halving the next finer
// Deep Zoom level (built once, lazily, in cached blocks).

export type LevelSource =
  /** Deep Zoom pixel (x, y) is stored pixel (x, y) of `slideLevel` (scale 1). */
  | { kind: 'stored'; slideLevel: number }
  /** Deep Zoom pixel (x, y) is stored pixel (x·scale, y·scale) of `slideLevel`, 1 < scale ≤ maxScale. */
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
}

export function planLevelSources(
  dzDownsamples: readonly number[],
  slideDownsamples: readonly number[],
  { sameScaleTolerance = 0.01, maxScale = 2 }: PlanOptions = {},
): LevelSource[] {
  return dzDownsamples.map((d) => {
    let best = 0;
    for (let i = 0; i < slideDownsamples.length; i++) {
      if (slideDownsamples[i] <= d * (1 + sameScaleTolerance)) best = i;
    }
    const scale = d / slideDownsamples[best];
    if (Math.abs(scale - 1) <= sameScaleTolerance) return { kind: 'stored', slideLevel: best };
    if (scale <= maxScale) return { kind: 'resampled', slideLevel: best, scale };
    return { kind: 'derived' };
  });
}
