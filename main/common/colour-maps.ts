// Colour maps for probabilities in [0, 1] (viridis, magma: perceptually uniform; jet: familiar) and the
// opacity ramp: pure, shared by the heatmap renderer (main/heatmap/colour-maps.ts), the exports, the CLI,
// the contract's `HeatmapColourMap` and the viewer. `colourMaps` is the one list: adding an entry there is
// all a new colour map takes (colour-maps.test.ts checks that every consumer offers the same names).

export interface ColourMapEntry {
  /** What the API, the CLI's --colour-map and the viewer's menu call it. */
  readonly name: string;
  /** Evenly spaced stops low → high, linearly interpolated between. */
  readonly stops: readonly (readonly [number, number, number])[];
}

// Nine evenly spaced stops of each map (matplotlib's values).
export const colourMaps = [
  { name: 'viridis', stops: [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]] },
  { name: 'magma', stops: [[0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122], [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191]] },
  { name: 'jet', stops: [[0, 0, 128], [0, 0, 255], [0, 128, 255], [0, 255, 255], [128, 255, 128], [255, 255, 0], [255, 128, 0], [255, 0, 0], [128, 0, 0]] },
] as const satisfies readonly ColourMapEntry[]; // prettier-ignore

export type ColourMapName = (typeof colourMaps)[number]['name'];

export const colourMapNames: readonly ColourMapName[] = colourMaps.map((m) => m.name);

/** The map drawn when none is chosen. */
export const defaultColourMap: ColourMapName = 'viridis';

export function isColourMapName(name: unknown): name is ColourMapName {
  return typeof name === 'string' && (colourMapNames as readonly string[]).includes(name);
}

/** "viridis, magma or jet", for help texts and messages. */
export function colourMapList(): string {
  return colourMapNames.length < 2 ? colourMapNames.join('') : `${colourMapNames.slice(0, -1).join(', ')} or ${colourMapNames[colourMapNames.length - 1]}`;
}

/** A 256-entry RGB lookup table. */
export function colourMapTable(name: ColourMapName): Uint8Array {
  const s = colourMaps.find((m) => m.name === name)?.stops as ColourMapEntry['stops'] | undefined;
  if (!s) throw new Error(`unknown colour map ${JSON.stringify(name)} (known: ${colourMapNames.join(', ')})`);
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (s.length - 1);
    const a = Math.min(Math.floor(t), s.length - 2);
    const f = t - a;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(s[a][c] * (1 - f) + s[a + 1][c] * f);
  }
  return lut;
}

/**
 * How opaque a probability is drawn (0–1) with the opacity ramp: 0 at and below the threshold, rising
 * linearly to full over half of what lies above it (at 0.5 for threshold 0), as CLAM/SlideFlow heatmaps look.
 */
export function opacityRamp(p: number, threshold = 0): number {
  const width = Math.max(0.05, (1 - threshold) / 2);
  return Math.min(1, Math.max(0, (p - threshold) / width));
}
