// Wires the services to the browser host and opens the first slides: what `tessera serve`, `npm start`
// (without Electron), the e2e tests and the bench share.
import { RecentSlides } from '../services/recent-slides.js';
import { SlideService, type SlideBackend } from '../services/slide-service.js';
import { createTesseraApi } from '../services/tessera-services.js';
import { createDefaultSlideBackend } from '../services/default-slide-backend.js';
import { toApiError } from '../services/api-error.js';
import { startBrowserHost, type BrowserHost } from './browser-host.js';
import type { TesseraApi } from '../contracts/tessera-api.js';
import { AnalysisService } from '../services/analysis-service.js';

export interface StartHostOptions {
  /** Slides to open first; none opens the built-in sample (unless `openSample` is false). */
  slides?: string[];
  openSample?: boolean;
  port?: number;
  host?: string;
  rendererDir?: string;
  backend?: SlideBackend;
  /** Recent-slides file; null keeps it in memory (tests). Default: the user's config folder. */
  recentFile?: string | null;
}

export interface TesseraHost extends BrowserHost {
  api: TesseraApi;
  slideService: SlideService;
  analysis: AnalysisService;
  /** Slides from the command line that did not open, as messages. */
  failures: string[];
}

export async function startTesseraHost(options: StartHostOptions = {}): Promise<TesseraHost> {
  const recent = new RecentSlides(options.recentFile === undefined ? RecentSlides.defaultFile() : options.recentFile);
  const slideService = new SlideService(options.backend ?? createDefaultSlideBackend(), recent);
  const analysis = new AnalysisService({ slides: slideService });
  const api = createTesseraApi({ slides: slideService, transport: 'browser', analysis });
  const failures: string[] = [];
  const paths = options.slides ?? [];
  for (const path of paths) {
    try {
      await slideService.open(path);
    } catch (err) {
      failures.push(toApiError(err).message);
    }
  }
  if (paths.length === 0 && options.openSample !== false) {
    try {
      await slideService.openSample();
    } catch (err) {
      failures.push(toApiError(err).message);
    }
  }
  const host = await startBrowserHost({
    api,
    slides: slideService,
    port: options.port,
    host: options.host,
    rendererDir: options.rendererDir,
  });
  return {
    ...host,
    api,
    slideService,
    analysis,
    failures,
    /** Rejects when some annotations could not be saved (after closing everything else). */
    async close() {
      await host.close();
      try {
        await analysis.close();
      } finally {
        await slideService.closeAll();
      }
    },
  };
}
