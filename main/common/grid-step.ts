// The distance between neighbouring patch origins of a patch grid (shared by the encoder and probes).

/** Level-0 px between neighbouring patch origins. */
export function gridStep(grid: { level0Size: number; level0Stride?: number }): number {
  return grid.level0Stride ?? grid.level0Size;
}
