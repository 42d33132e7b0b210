// Where each cached slide came from. The embedding cache is keyed by content fingerprint and records no path,
// so a whole-cache search could not name a slide that is not open, nor show or open it. Whatever embeds a
// slide (the app's viewport and whole-slide runs, `tessera embed`, `tessera cohort embed`) and every search
// records its path here; a lookup then says the name, the
// path, and whether the file is still there and still that slide (same fingerprint) — or that it is gone.
// One small JSON file beside the search indexes, rewritten atomically; a broken file is an empty record.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';

export interface SlideSource {
  path: string;
  name: string;
  /** ISO time it was last seen open. */
  seenAt: string;
}

export interface ResolvedSource {
  slideFingerprint: string;
  /** The file's name, or a short fingerprint where no path was ever recorded. */
  name: string;
  path: string | null;
  /** The recorded path holds this slide now (false: moved, deleted, or replaced by another file). */
  exists: boolean;
}

/** The search indexes' folder for an embedding cache folder: `search-index` beside it. */
export const searchIndexDir = (cacheDir: string): string => join(dirname(cacheDir), 'search-index');

const maxSources = 100_000;

export class SlideSources {
  private readonly file: string;
  private cache: Map<string, SlideSource> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(indexDir: string) {
    this.file = join(indexDir, 'slide-sources.json');
  }

  private async load(): Promise<Map<string, SlideSource>> {
    if (this.cache) return this.cache;
    const map = new Map<string, SlideSource>();
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        for (const [fp, v] of Object.entries(parsed as Record<string, unknown>)) {
          const s = v as Partial<SlideSource> | null;
          if (typeof s?.path === 'string' && typeof s.name === 'string' && typeof s.seenAt === 'string') map.set(fp, { path: s.path, name: s.name, seenAt: s.seenAt });
        }
    } catch {
      // Missing or unreadable: nothing recorded yet (the next record rewrites it whole).
    }
    this.cache = map;
    return map;
  }

  /** Remembers where these slides are (by fingerprint); written only when something changed. */
  record(entries: readonly { slideFingerprint: string; path: string }[]): Promise<void> {
    const run = this.writing.then(async () => {
      const map = await this.load();
      let changed = false;
      const now = new Date().toISOString();
      for (const e of entries) {
        const had = map.get(e.slideFingerprint);
        // seenAt moves on once a day at most, so a search does not rewrite the file each time.
        if (had?.path === e.path && Date.parse(now) - Date.parse(had.seenAt) < 86_400_000) continue;
        map.set(e.slideFingerprint, { path: e.path, name: basename(e.path), seenAt: now });
        changed = true;
      }
      if (!changed) return;
      const kept = [...map.entries()].sort((a, b) => b[1].seenAt.localeCompare(a[1].seenAt)).slice(0, maxSources);
      await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(kept)));
    });
    this.writing = run.catch(() => {});
    return run;
  }

  /** Name, path and presence of a cached slide. */
  async resolve(fingerprint: string): Promise<ResolvedSource> {
    const s = (await this.load()).get(fingerprint);
    if (!s) return { slideFingerprint: fingerprint, name: `slide ${fingerprint.slice(0, 12)}`, path: null, exists: false };
    const there = await stat(s.path).catch(() => undefined);
    const same = there ? await slideFingerprint(s.path).then((f) => f === fingerprint, () => false) : false;
    return { slideFingerprint: fingerprint, name: s.name, path: s.path, exists: same };
  }
}

/** One record per cache folder for the process (its writes queue one after another). */
const records = new Map<string, SlideSources>();
export function slideSourcesFor(cacheDir: string): SlideSources {
  let r = records.get(cacheDir);
  if (!r) records.set(cacheDir, (r = new SlideSources(searchIndexDir(cacheDir))));
  return r;
}

/**
 * Records where a slide that was just embedded lives, without failing the embedding: the record only names
 * slides in whole-cache search results (several processes writing it at once may drop an entry, never corrupt it).
 */
export function recordSlideSource(cacheDir: string, slideFingerprint: string, path: string): Promise<void> {
  return slideSourcesFor(cacheDir)
    .record([{ slideFingerprint, path }])
    .catch(() => {});
}
