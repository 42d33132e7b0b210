// The renderer's state: open slides (tabs), the active one, what is loading and what went wrong.
import type { RecentSlide, SlideInfo, SlideSummary } from '../../../main/contracts/tessera-api';
import { client, ApiCallError } from './api';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

class AppState {
  slides = $state<SlideSummary[]>([]);
  infos = $state<Record<string, SlideInfo>>({});
  activeId = $state<string | null>(null);
  opening = $state<string | null>(null);
  notices = $state<Notice[]>([]);
  recent = $state<RecentSlide[]>([]);
  progress = $state<{ label: string; done: number; total: number } | null>(null);
  private nextNotice = 1;

  active = $derived(this.activeId ? (this.infos[this.activeId] ?? null) : null);

  async init(): Promise<void> {
    client.onEvent((event) => {
      if (event.type === 'slides-changed') this.setSlides(event.slides);
      else if (event.type === 'slide-opened') this.adopt(event.slide);
      else if (event.type === 'slide-info-changed') {
        if (this.infos[event.slide.id]) this.infos[event.slide.id] = event.slide;
      }
      else if (event.type === 'progress') this.progress = event.done >= event.total ? null : event;
      else if (event.type === 'error') this.notify('error', event.message);
    });
    try {
      const slides = await client.api.listSlides();
      this.setSlides(slides);
      if (slides.length > 0) await this.activate(slides[0].id);
      this.recent = await client.api.listRecentSlides();
    } catch (err) {
      this.notify('error', messageOf(err));
    }
  }

  async openPath(path: string): Promise<boolean> {
    const name = path.split(/[\\/]/).pop() || path;
    return this.run(name, () => client.api.openSlide({ path }), `Could not open ${name}`);
  }

  async openSample(): Promise<boolean> {
    return this.run('sample slide', () => client.api.openSampleSlide(), 'Could not open the sample slide');
  }

  async activate(id: string): Promise<void> {
    if (!this.infos[id]) {
      try {
        this.infos[id] = await client.api.getSlideInfo({ id });
      } catch (err) {
        this.notify('error', messageOf(err));
        return;
      }
    }
    this.activeId = id;
  }

  async close(id: string): Promise<void> {
    const index = this.slides.findIndex((s) => s.id === id);
    try {
      await client.api.closeSlide({ id });
    } catch (err) {
      this.notify('error', messageOf(err));
    }
    this.setSlides(this.slides.filter((s) => s.id !== id));
    if (this.activeId === id) {
      const next = this.slides[Math.min(index, this.slides.length - 1)];
      this.activeId = null;
      if (next) await this.activate(next.id);
    }
  }

  /** n / p: the next or previous tab, wrapping. */
  async cycle(step: 1 | -1): Promise<void> {
    if (this.slides.length < 2 || !this.activeId) return;
    const i = this.slides.findIndex((s) => s.id === this.activeId);
    const next = this.slides[(i + step + this.slides.length) % this.slides.length];
    await this.activate(next.id);
  }

  notify(kind: Notice['kind'], message: string): void {
    const notice = { id: this.nextNotice++, kind, message };
    this.notices = [...this.notices.slice(-3), notice];
    if (kind === 'info') setTimeout(() => this.dismiss(notice.id), 5000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Sets (or clears, null) a slide's pixel size in µm/px; false (with a notice) when the services refuse. */
  async setPixelSize(id: string, mpp: number | null): Promise<boolean> {
    try {
      this.infos[id] = await client.api.setPixelSize({ slideId: id, mpp });
      return true;
    } catch (err) {
      this.notify('error', `Could not set the pixel size: ${(err as Error).message}`);
      return false;
    }
  }

  private adopt(info: SlideInfo): void {
    this.infos[info.id] = info;
    if (!this.slides.some((s) => s.id === info.id)) this.slides = [...this.slides, info];
    this.activeId = info.id;
  }

  private setSlides(slides: SlideSummary[]): void {
    this.slides = slides;
  }

  private async run(label: string, open: () => Promise<SlideInfo>, failure: string): Promise<boolean> {
    this.opening = label;
    try {
      const info = await open();
      this.adopt(info);
      client.api.listRecentSlides().then((r) => (this.recent = r), () => {});
      return true;
    } catch (err) {
      this.notify('error', `${failure}: ${messageOf(err)}`);
      return false;
    } finally {
      this.opening = null;
    }
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiCallError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export const app = new AppState();
