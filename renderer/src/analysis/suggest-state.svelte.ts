// "Suggest what to label next" in the viewer: the patches where the slide's probe is least sure (spread over
// the slide), one focused at a time. Accepting one into a class adds it as a patch rectangle of that class
// (one undoable step, as label by example) and retrains the probe on the cached embeddings, which redraws the
// heatmap and refreshes the suggestions; dismissing one drops it for the session (the service remembers).
import type { LabelSuggestion, LabelSuggestions } from '../../../main/contracts/tessera-api';
import { client } from '../lib/api';
import { app, messageOf } from '../lib/app-state.svelte';
import { analysis } from './analysis-state.svelte';
import { search } from './search-state.svelte';

export const suggestionKey = (s: LabelSuggestion): string => `${s.x},${s.y}`;

class SuggestState {
  result = $state.raw<LabelSuggestions | null>(null);
  running = $state(false);
  /** Accepting: adding the annotation and retraining. */
  busy = $state(false);
  /** Index of the focused suggestion. */
  cursor = $state(0);
  /** Suggestions wanted per round. */
  count = $state(12);
  thumbs = $state<Record<string, string>>({});
  /** Accepted this session, and the last retrain's probe (the panel shows the probe changed). */
  accepted = $state(0);
  private generation = 0;

  get current(): LabelSuggestion | null {
    return this.result?.suggestions[this.cursor] ?? null;
  }

  /** Asks for suggestions on the slide in view, for its probe. */
  async load(slideId: string): Promise<void> {
    const gen = ++this.generation;
    this.running = true;
    try {
      const result = await client.api.suggestLabels({ slideId, count: this.count });
      if (gen !== this.generation) return;
      this.result = result;
      this.cursor = Math.min(this.cursor, Math.max(0, result.suggestions.length - 1));
      void this.loadThumbs(gen, slideId, result.suggestions);
    } catch (err) {
      if (gen === this.generation) app.notify('error', `Could not suggest patches: ${messageOf(err)}`);
    } finally {
      if (gen === this.generation) this.running = false;
    }
  }

  clear(): void {
    this.generation++;
    this.result = null;
    this.thumbs = {};
    this.cursor = 0;
    this.running = false;
  }

  private async loadThumbs(gen: number, slideId: string, list: LabelSuggestion[]): Promise<void> {
    for (const s of list) {
      const k = suggestionKey(s);
      if (gen !== this.generation) return;
      if (this.thumbs[k]) continue;
      try {
        const img = await client.api.regionImage({ slideId, x: s.x, y: s.y, width: s.size, height: s.size, size: 96 });
        if (gen === this.generation) this.thumbs = { ...this.thumbs, [k]: img.dataUrl };
      } catch {
        // A missing thumbnail leaves its placeholder; the suggestion is still listed.
      }
    }
  }

  /** Shows the suggestion in the viewer (the search layer's fly-to). */
  show(s: LabelSuggestion): void {
    const slideId = this.result?.slideId;
    if (!slideId) return;
    void search.flyTo({ slideId, slideName: '', x: s.x, y: s.y, size: s.size, mpp: s.mpp, score: 1 - s.margin });
  }

  focus(i: number): void {
    const n = this.result?.suggestions.length ?? 0;
    if (n === 0) return;
    this.cursor = Math.max(0, Math.min(n - 1, i));
    this.show(this.result!.suggestions[this.cursor]);
  }

  /** Drops `s` from the list here (the next round fills the gap). */
  private drop(s: LabelSuggestion): void {
    if (!this.result) return;
    const suggestions = this.result.suggestions.filter((x) => suggestionKey(x) !== suggestionKey(s));
    this.result = { ...this.result, suggestions };
    this.cursor = Math.min(this.cursor, Math.max(0, suggestions.length - 1));
  }

  /** Adds `s` as a `className` patch (undoable), retrains the probe on the cached embeddings, refreshes. */
  async accept(s: LabelSuggestion, className: string): Promise<boolean> {
    const slideId = this.result?.slideId;
    if (!slideId || this.busy) return false;
    this.busy = true;
    try {
      const delta = await analysis.addAll(className, [{ type: 'rectangle', x: s.x, y: s.y, width: s.size, height: s.size }]);
      if (!delta) return false;
      this.accepted++;
      this.drop(s);
      const probe = await analysis.train(); // selects the new probe: the heatmap redraws
      if (probe && analysis.slideId === slideId) await this.load(slideId);
      return true;
    } finally {
      this.busy = false;
    }
  }

  /** Never suggests `s` again this session. */
  async dismiss(s: LabelSuggestion): Promise<void> {
    const slideId = this.result?.slideId;
    if (!slideId) return;
    this.drop(s);
    try {
      await client.api.dismissSuggestion({ slideId, x: s.x, y: s.y });
    } catch (err) {
      app.notify('error', `Could not dismiss: ${messageOf(err)}`);
    }
  }
}

export const suggest = new SuggestState();
