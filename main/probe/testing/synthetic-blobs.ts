// Gaussian class blobs for probe tests and benchmarks (deterministic).
export function syntheticBlobs(n: number, d: number, classes: number, separation: number, seed: number): { x: Float32Array; labels: Int32Array } {
  let s = seed >>> 0 || 1;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const means = Array.from({ length: classes }, () => Array.from({ length: d }, () => gauss() * separation));
  const x = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    labels[i] = k;
    for (let j = 0; j < d; j++) x[i * d + j] = gauss() + means[k][j];
  }
  return { x, labels };
}
