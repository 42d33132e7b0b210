// The heatmap of the slide in view: the display settings, and the live raster of every class held here,
// kept up to date from the services' binary updates (only the cells changed since the version held travel).
// Switching the shown class recolours what is held: no request.
import type { ExportRequest, ExportResult, HeatmapColourMap } from '../../../main/contracts/tessera-api';
import { decodeHeatmapUpdate } from '../../../main/common/heatmap-update-codec';
import { defaultColourMap } from '../../../main/common/colour-maps';
import { client } from '../lib/api';
import { app, messageOf } from '../lib/app-state.svelte';
import { HeldHeatmap, type HeatmapView } from './heatmap-model';

export interface HeatmapSettings {
  visible: boolean;
  className: string | null;
  colourMap: HeatmapColourMap;
  /** 0–1 */
  opacity: number;
  /** Cells below are not drawn. */
  threshold: number;
  /** One flat block per patch instead of smooth between patch centres. */
  showPatches: boolean;
  /** Alpha ramps up from the threshold, so low values are transparent (as CLAM/SlideFlow heatmaps). */
  ramp: boolean;
}

/** The slide and probe the heatmap is of (the analysis state's). */
export interface HeatmapTarget {
  slideId: string | null;
  probeId: string | null;
}

export class HeatmapState {
  settings = $state<HeatmapSettings>({
    visible: true,
    className: null,
    colourMap: defaultColourMap,
    opacity: 0.7,
    threshold: 0,
    showPatches: false,
    ramp: true,
  });
  /** What is held (null: nothing yet); replaced on every update applied. */
  view = $state.raw<HeatmapView | null>(null);
  held = new HeldHeatmap();
  /** Cells changed since the layer last drew (null entry: everything changed). */
  private changes: (Uint32Array | null)[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;
  private again = false;

  constructor(private readonly target: () => HeatmapTarget) {}

  /** Forgets what is held (another slide or probe). */
  reset(): void {
    this.held = new HeldHeatmap();
    this.changes = [null];
    this.view = null;
  }

  /** The cells changed since the last call, or null when everything must be redrawn. */
  takeChanges(): Uint32Array[] | null {
    const c = this.changes;
    this.changes = [];
    return c.some((x) => x === null) ? null : (c as Uint32Array[]);
  }

  /** Shows another class: recoloured from what is held, no request. */
  setClass(name: string): void {
    this.settings.className = name;
  }

  /** Asks for what changed soon (coalescing bursts of embedding progress). */
  schedule(delay = 250): void {
    const { slideId, probeId } = this.target();
    if (!probeId || !slideId) return;
    if (this.timer) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.fetch();
    }, delay);
  }

  private async fetch(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const { slideId, probeId } = this.target();
    if (!slideId || !probeId) return;
    this.inFlight = true;
    try {
      const held = this.held;
      const mine = held.header?.slideId === slideId && held.header.probeId === probeId;
      const since = mine ? held.version : undefined;
      const bytes = await client.api.getHeatmapUpdate({ slideId, probeId, ...(since !== undefined ? { since } : {}) });
      const now = this.target();
      if (now.slideId !== slideId || now.probeId !== probeId || held !== this.held) return;
      const changed = held.apply(decodeHeatmapUpdate(bytes));
      if (changed === false) {
        // A delta for a version not held (the services rebuilt meanwhile): start again from a snapshot.
        this.reset();
        this.again = true;
        return;
      }
      // Kept while the layer does not draw (hidden); past a few, one full redraw is cheaper.
      if (this.changes.length > 32) this.changes = [null];
      this.changes.push(changed);
      this.view = held.view();
    } catch (err) {
      if (this.target().probeId === probeId) {
        app.notify('error', messageOf(err));
        this.settings.visible = false;
        this.reset();
      }
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    }
  }

  async exportHeatmap(req: Omit<ExportRequest, 'slideId' | 'probeId'>): Promise<ExportResult> {
    const { slideId, probeId } = this.target();
    if (!slideId || !probeId) throw new Error('Train or pick a probe first');
    return client.api.exportHeatmap({ ...req, slideId, probeId });
  }
}
