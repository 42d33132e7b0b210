// Search results as JSON, CSV (same columns) or QuPath-readable GeoJSON (one square polygon per result patch,
// level-0 px, the score and rank in its properties; results on other slides are named in `slide`).
import type { Feature, FeatureCollection } from 'geojson';
import type { FindSimilarResult } from './find-similar.js';

export type SearchFormat = 'json' | 'csv' | 'geojson';

export function searchFormatOf(path: string): SearchFormat {
  const m = /\.(json|csv|geojson)$/i.exec(path);
  if (!m) throw new Error(`--out ${path}: the extension must be .json, .csv or .geojson`);
  return m[1].toLowerCase() as SearchFormat;
}

export interface NamedSearchResult {
  /** The query as asked, with its slide's name. */
  query: { slide: string; x: number; y: number; width: number; height: number; mpp: number; model: string; patches: number };
  results: { slide: string; x: number; y: number; size: number; mpp: number; score: number }[];
}

/** Names slide indices with `names` ([query slide, ...others]). */
export function nameSearchResult(r: FindSimilarResult, names: readonly string[]): NamedSearchResult {
  const q = r.query;
  return {
    query: { slide: names[0], x: q.x, y: q.y, width: q.width, height: q.height, mpp: q.mpp, model: q.modelId, patches: q.patches },
    results: r.results.map((p) => ({ slide: names[p.slide], x: p.x, y: p.y, size: p.size, mpp: p.mpp, score: Number(p.score.toFixed(6)) })),
  };
}

const csvCell = (v: string | number): string => (typeof v === 'number' ? String(v) : /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export function searchCsv(r: NamedSearchResult): string {
  const rows = r.results.map((p) => [p.slide, p.x, p.y, p.size, p.mpp, p.score].map(csvCell).join(','));
  return ['slide,x,y,size,mpp,score', ...rows].join('\n') + '\n';
}

/** Result patches as QuPath annotations (class "Similar", the score as a measurement); the query outlined too. */
export function searchGeoJson(r: NamedSearchResult): FeatureCollection {
  const square = (x: number, y: number, w: number, h: number) => [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]];
  const features: Feature[] = r.results.map((p, i) => ({
    type: 'Feature',
    id: `similar-${i + 1}`,
    geometry: { type: 'Polygon', coordinates: square(p.x, p.y, p.size, p.size) },
    properties: {
      objectType: 'annotation',
      name: `#${i + 1} ${p.score.toFixed(3)}`,
      classification: { name: 'Similar', color: [255, 140, 0] },
      isLocked: false,
      slide: p.slide,
      rank: i + 1,
      score: p.score,
      measurements: { score: p.score, rank: i + 1 },
    },
  }));
  const q = r.query;
  const w = q.width || 1;
  const h = q.height || 1;
  features.unshift({
    type: 'Feature',
    id: 'query',
    geometry: { type: 'Polygon', coordinates: square(q.x, q.y, w, h) },
    properties: { objectType: 'annotation', name: 'Query', classification: { name: 'Query', color: [0, 120, 255] }, isLocked: false, slide: q.slide },
  });
  return { type: 'FeatureCollection', features };
}

export function searchOutput(r: NamedSearchResult, format: SearchFormat): string {
  if (format === 'csv') return searchCsv(r);
  if (format === 'geojson') return JSON.stringify(searchGeoJson(r), null, 1) + '\n';
  return JSON.stringify(r, null, 1) + '\n';
}
