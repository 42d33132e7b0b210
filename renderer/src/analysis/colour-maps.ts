// The heatmap colour maps, the same list and tables the exports use (main/common/colour-maps.ts): the
// viewer's menu offers `colourMapNames`, so a map added to that list shows up here too.
import { colourMapTable, type ColourMapName } from '../../../main/common/colour-maps';

export { colourMapNames, defaultColourMap } from '../../../main/common/colour-maps';

const tables = new Map<ColourMapName, Uint8Array>();

/** 256 RGB entries of a colour map. */
export function colourTable(name: ColourMapName): Uint8Array {
  let t = tables.get(name);
  if (!t) tables.set(name, (t = colourMapTable(name)));
  return t;
}

/** A CSS gradient of the map, low to high, for legends. */
export function colourGradient(name: ColourMapName): string {
  const lut = colourTable(name);
  const stops = Array.from({ length: 9 }, (_, i) => {
    const k = Math.round((i / 8) * 255) * 3;
    return `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]}) ${(i / 8) * 100}%`;
  });
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
