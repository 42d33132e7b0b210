// A synthetic RGB texture fine enough that a one-pixel shift or a blurred resampling shows in a mean
// |Δ| (waves of 20–60 px in red and green, 64-px checks in blue), for tests of tile geometry.
export function fineTexture(w0: number, h0: number): Buffer {
  const raw = Buffer.alloc(w0 * h0 * 3);
  for (let y = 0; y < h0; y++) {
    for (let x = 0; x < w0; x++) {
      const i = (y * w0 + x) * 3;
      raw[i] = 128 + 110 * Math.sin(x / 9.3 + Math.sin(y / 41));
      raw[i + 1] = 128 + 110 * Math.cos(y / 7.7 + x / 131);
      raw[i + 2] = ((x >> 6) + (y >> 6)) % 2 ? 200 + 50 * Math.sin((x * y) / 5000) : 40;
    }
  }
  return raw;
}
