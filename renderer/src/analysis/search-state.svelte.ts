// "Find more like this" in the viewer: the last search (query, matches best first, how much of each slide is
// embedded), gallery thumbnails, which matches are ticked, the fly-to request the search layer follows, and
// label by example (ticked matches added as patch rectangles of one class in one undoable step). With the
// whole-cache scope, matches on slides that are not open come with their own thumbnail and source; showing
// one opens its slide first (when its file is still there).
import type { AnnotationGeometry, SimilarMatch, SimilarityQuery, SimilarityResult } from '../../../main/contracts/tessera-api';
import { client } from '../lib/api';
import { app, messageOf } from '../lib/app-state.svelte';
import { analysis } from './analysis-state.svelte';

/** Gallery thumbnails asked at once. */
const THUMB_CONCURRENCY = 4;

export const matchKey = (m: SimilarMatch): string => `${m.slideId || m.slideFingerprint}:${m.x},${m.y}`;

class SearchState {
  result = $state.raw<SimilarityResult | null>(null);
  running = $state(false);
  scope = $state<'slide' | 'open-slides' | 'cache'>('slide');
  /** Matches wanted. */
  top = $state(50);
  /** The similarity layer is drawn. */
  visible = $state(true);
  /** Data URLs by matchKey. */
  thumbs = $state<Record<string, string>>({});
  /** Ticked matches (matchKey). */
  selected = $state<string[]>([]);
  /** The class label by example adds. */
  className = $state('Tumour');
  /** The gallery asked the viewer to fly to a match (`n` changes on every request). */
  flyRequest = $state<{ match: SimilarMatch; n: number } | null>(null);
  private generation = 0;

  /** Searches for patches like `query` on `slideId`. */
  async find(slideId: string, query: SimilarityQuery): Promise<void> {
    const gen = ++this.generation;
    this.running = true;
    try {
      const result = await client.api.findSimilar({ slideId, query, scope: this.scope, top: this.top });
      if (gen !== this.generation) return;
      this.result = result;
      this.thumbs = Object.fromEntries(result.results.filter((m) => m.thumbnail).map((m) => [matchKey(m), m.thumbnail!]));
      this.selected = [];
      this.visible = true;
      void this.loadThumbs(gen, result.results);
    } catch (err) {
      if (gen === this.generation) app.notify('error', `Could not search: ${messageOf(err)}`);
    } finally {
      if (gen === this.generation) this.running = false;
    }
  }

  clear(): void {
    this.generation++;
    this.result = null;
    this.thumbs = {};
    this.selected = [];
    this.running = false;
  }

  private async loadThumbs(gen: number, matches: SimilarMatch[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < matches.length && gen === this.generation) {
        const m = matches[next++];
        if (!m.slideId) continue; // not open: its thumbnail came with the result
        try {
          const img = await client.api.regionImage({ slideId: m.slideId, x: m.x, y: m.y, width: m.size, height: m.size, size: 96 });
          if (gen === this.generation) this.thumbs = { ...this.thumbs, [matchKey(m)]: img.dataUrl };
        } catch {
          // A missing thumbnail leaves its placeholder; the match is still listed.
        }
      }
    };
    await Promise.all(Array.from({ length: THUMB_CONCURRENCY }, worker));
  }

  toggle(m: SimilarMatch, on: boolean): void {
    const k = matchKey(m);
    this.selected = on ? [...new Set([...this.selected, k])] : this.selected.filter((s) => s !== k);
  }

  /** Ticks every match scoring at least `min` (and unticks the rest). */
  selectAbove(min: number): void {
    this.selected = (this.result?.results ?? []).filter((m) => m.score >= min).map(matchKey);
  }

  /** Shows match `m`: its slide first when it is on another one (opening it when it is not open). */
  async flyTo(m: SimilarMatch): Promise<void> {
    if (!m.slideId) {
      const path = m.source?.exists ? m.source.path : null;
      if (!path) {
        app.notify('error', `${m.slideName} is not open and its file is not where it was last seen`);
        return;
      }
      if (!(await app.openPath(path)) || !app.activeId) return;
      const id = app.activeId;
      // Every match of that slide now belongs to the open slide (the layer draws them, labelling works).
      if (this.result) {
        const results = this.result.results.map((r) => (r.slideFingerprint === m.slideFingerprint ? { ...r, slideId: id, source: undefined } : r));
        this.thumbs = Object.fromEntries(results.map((r) => [matchKey(r), this.thumbs[`${r.slideFingerprint}:${r.x},${r.y}`] ?? this.thumbs[matchKey(r)]]).filter(([, v]) => v));
        this.result = { ...this.result, results };
      }
      m = { ...m, slideId: id, source: undefined };
    }
    if (m.slideId !== app.activeId) await app.activate(m.slideId);
    this.flyRequest = { match: m, n: (this.flyRequest?.n ?? 0) + 1 };
  }

  /** The ticked matches of the slide in view, as rectangles of the patch. */
  get selectedHere(): SimilarMatch[] {
    const keys = new Set(this.selected);
    return (this.result?.results ?? []).filter((m) => keys.has(matchKey(m)) && m.slideId === analysis.slideId);
  }

  /** Adds the ticked matches on this slide as `className` rectangles, one undo step; unticks them. */
  async addSelected(): Promise<number> {
    const matches = this.selectedHere;
    const geometries: AnnotationGeometry[] = matches.map((m) => ({ type: 'rectangle', x: m.x, y: m.y, width: m.size, height: m.size }));
    const delta = await analysis.addAll(this.className, geometries);
    if (!delta) return 0;
    const added = new Set(matches.map(matchKey));
    this.selected = this.selected.filter((k) => !added.has(k));
    app.notify('info', `Added ${delta.upserted.length} ${this.className} annotation${delta.upserted.length === 1 ? '' : 's'} (undo removes them)`);
    return delta.upserted.length;
  }
}

export const search = new SearchState();
