// The size Pillow's Image.thumbnail() (9.x) gives a w × h image asked to fit in maxW × maxH: aspect kept,
// each side rounded to whichever neighbour keeps the aspect best. OpenSlide's DeepZoomGenerator scales
// tiles with thumbnail(), so its tile sizes follow this rule, and never grow an image.
export function thumbnailSize(
  width: number,
  height: number,
  maxWidth: number,
  maxHeight: number,
): { width: number; height: number } {
  const x = Math.floor(maxWidth);
  const y = Math.floor(maxHeight);
  if (x >= width && y >= height) return { width, height };
  const aspect = width / height;
  const roundAspect = (n: number, error: (v: number) => number): number => {
    const lo = Math.floor(n);
    const hi = Math.ceil(n);
    // Python's min(a, b, key=…) keeps the first on ties.
    return Math.max(error(hi) < error(lo) ? hi : lo, 1);
  };
  if (x / y >= aspect) {
    return { width: roundAspect(y * aspect, (v) => Math.abs(aspect - v / y)), height: y };
  }
  return { width: x, height: roundAspect(x / aspect, (v) => (v === 0 ? 0 : Math.abs(aspect - x / v))) };
}
