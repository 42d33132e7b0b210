// Which stored slide level serves a given downsample: OpenSlide 3.4.1's get_best_level_for_downsample,
// the finest level whose downsample does not exceed the one asked for.
export function bestLevelForDownsample(levelDownsamples: readonly number[], downsample: number): number {
  if (levelDownsamples.length === 0) throw new Error('A slide has at least one level');
  if (downsample < levelDownsamples[0]) return 0;
  for (let i = 1; i < levelDownsamples.length; i++) {
    if (downsample < levelDownsamples[i]) return i - 1;
  }
  return levelDownsamples.length - 1;
}
