// What a click does to the polygon being drawn: add a vertex, close the polygon (a click on its first vertex,
// or the second click of a double-click), or nothing (a click on the last vertex again). Pure: the layer
// keeps the vertices and the last click.
type Xy = { x: number; y: number };

/** A click that may be the first of a double-click: when (ms) and where (screen px). */
export interface LastClick {
  t: number;
  x: number;
  y: number;
}

/** Screen px from the first vertex that closes the polygon. */
const CLOSE_DISTANCE = 9;
/** Two clicks this close in time (ms) and place (screen px) are a double-click, whatever OpenSeadragon's
 *  own click pairing says (it pairs any two quick clicks in turn, so after an odd number of vertex clicks
 *  the double-click's first click is paired with the last vertex and no double-click fires). */
const DOUBLE_CLICK_MS = 400;
const DOUBLE_CLICK_DISTANCE = 8;

/**
 * The click at level-0 `p` (screen `screen`, time `now` ms, `scale` screen px per level-0 px) on a polygon with
 * `vertices` so far; `last` is the previous click. Returns what to do and the click to remember.
 */
export function polygonClick(
  vertices: readonly (readonly [number, number])[],
  p: Xy,
  screen: Xy,
  now: number,
  scale: number,
  last: LastClick | null,
): { action: 'add' | 'finish' | 'ignore'; last: LastClick | null } {
  const second = last !== null && now - last.t <= DOUBLE_CLICK_MS && Math.hypot(screen.x - last.x, screen.y - last.y) <= DOUBLE_CLICK_DISTANCE;
  const remember = second ? null : { t: now, x: screen.x, y: screen.y };
  // The second click of a double-click closes what its first click extended: never a vertex of its own,
  // never the start of a new polygon (when the first click already closed it on the first vertex).
  if (second) return { action: vertices.length >= 3 ? 'finish' : 'ignore', last: remember };
  const first = vertices[0];
  const end = vertices[vertices.length - 1];
  if (first && vertices.length >= 3 && Math.hypot(first[0] - p.x, first[1] - p.y) * scale <= CLOSE_DISTANCE) return { action: 'finish', last: remember };
  if (end && Math.hypot(end[0] - p.x, end[1] - p.y) * scale < 3) return { action: 'ignore', last: remember };
  return { action: 'add', last: remember };
}
