// A cohort manifest: a CSV with a `slide` column (a slide file or a DICOM folder; relative paths are
// relative to the manifest), optionally `id` (default: the file name without its extension, made unique
// with -2, -3, …), and any other columns, carried into summaries unchanged.
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import * as v from 'valibot';
import { cohortRowSchema } from '../common/schemas/cohort-manifest.js';
import { firstIssueOnly } from '../common/schemas/issues.js';
import { parseCsv } from './csv.js';

export interface CohortSlide {
  /** Used in every output name: letters, digits, . _ - only. */
  id: string;
  /** Absolute path. */
  slide: string;
  /** Row position in the manifest (0-based, data rows), which fixes the shard. */
  position: number;
  /** The manifest's other columns (not `id` or `slide`), in its order. */
  columns: Record<string, string>;
}

export interface CohortManifest {
  path: string;
  /** The manifest's other columns, in order. */
  columns: string[];
  slides: CohortSlide[];
}

/** The default id of a slide path: its name without the extension (`.ome.tiff` counts as one), made file-safe. */
export function defaultSlideId(slidePath: string): string {
  let name = basename(slidePath.replace(/[/\\]+$/, ''));
  name = name.replace(/(\.ome)?\.[A-Za-z0-9]{1,5}$/i, '');
  name = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '');
  return (name || 'slide').slice(0, 180);
}

export function parseManifest(text: string, path: string): CohortManifest {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new Error(`${path}: the manifest is empty (it needs a header with a "slide" column)`);
  const header = rows[0].map((h) => h.trim());
  const slideCol = header.findIndex((h) => h.toLowerCase() === 'slide');
  const idCol = header.findIndex((h) => h.toLowerCase() === 'id');
  if (slideCol < 0) throw new Error(`${path}: no "slide" column (header: ${header.join(', ')})`);
  const dup = header.find((h, i) => h !== '' && header.indexOf(h) !== i);
  if (dup) throw new Error(`${path}: column "${dup}" appears twice`);
  const other = header.map((h, i) => ({ h, i })).filter(({ i }) => i !== slideCol && i !== idCol);
  const base = dirname(resolve(path));
  const explicit = new Set<string>();
  const pending: { slide: string; id?: string; columns: Record<string, string>; line: number }[] = [];
  rows.slice(1).forEach((r, k) => {
    const line = k + 2;
    const row = v.safeParse(cohortRowSchema, { slide: r[slideCol] ?? '', id: idCol >= 0 ? (r[idCol] ?? '') : undefined }, firstIssueOnly);
    if (!row.success) {
      const message = row.issues[0].message;
      throw new Error(`${path}: row ${line}${message.startsWith('id ') ? ': ' : ' '}${message}`);
    }
    const { slide, id } = row.output;
    if (r.length > header.length && r.slice(header.length).some((f) => f.trim() !== '')) {
      throw new Error(`${path}: row ${line} has ${r.length} fields, the header ${header.length}`);
    }
    if (id) {
      if (explicit.has(id)) throw new Error(`${path}: row ${line}: id "${id}" appears twice`);
      explicit.add(id);
    }
    const columns: Record<string, string> = {};
    for (const { h, i } of other) columns[h || `column${i + 1}`] = r[i] ?? '';
    pending.push({ slide: isAbsolute(slide) ? slide : resolve(base, slide), ...(id ? { id } : {}), columns, line });
  });
  if (pending.length === 0) throw new Error(`${path}: the manifest lists no slides`);
  const used = new Set(explicit);
  const slides = pending.map((p, position): CohortSlide => {
    let id = p.id;
    if (!id) {
      const stem = defaultSlideId(p.slide);
      id = stem;
      for (let n = 2; used.has(id); n++) id = `${stem}-${n}`;
      used.add(id);
    }
    return { id, slide: p.slide, position, columns: p.columns };
  });
  return { path: resolve(path), columns: other.map(({ h, i }) => h || `column${i + 1}`), slides };
}

export async function readManifest(path: string): Promise<CohortManifest> {
  return parseManifest(await readFile(path, 'utf8'), path);
}
