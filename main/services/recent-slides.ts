// The recent-slides list, kept in a small JSON file (Electron's userData, or ~/.config/tessera for the host).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { homedir } from 'node:os';
import type { RecentSlide } from '../contracts/tessera-api.js';

const MAX_RECENT = 12;

export class RecentSlides {
  private items: RecentSlide[] | null = null;

  /** `file` null keeps the list in memory only (tests). */
  constructor(private readonly file: string | null) {}

  static defaultFile(): string {
    const base = process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
    return join(base, 'tessera', 'recent-slides.json');
  }

  async list(): Promise<RecentSlide[]> {
    if (this.items === null) this.items = await this.load();
    return [...this.items];
  }

  async add(path: string): Promise<void> {
    const items = (await this.list()).filter((r) => r.path !== path);
    items.unshift({ path, name: basename(path), openedAt: new Date().toISOString() });
    this.items = items.slice(0, MAX_RECENT);
    if (this.file) {
      try {
        await mkdir(dirname(this.file), { recursive: true });
        await writeFile(this.file, JSON.stringify(this.items, null, 2));
      } catch {
        // A read-only config folder must not stop a slide from opening.
      }
    }
  }

  private async load(): Promise<RecentSlide[]> {
    if (!this.file) return [];
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (r): r is RecentSlide => typeof r?.path === 'string' && typeof r?.name === 'string' && typeof r?.openedAt === 'string',
      );
    } catch {
      return [];
    }
  }
}
