// Wires the services to the browser host and opens the first slides: what `tessera serve`, `npm start`
// (without Electron), the e2e tests and the bench share.
import type { SlideBackend, SlideService } from '../services/slide-service.js';
import { composeServices } from '../services/compose-services.js';
import type { EventBus } from '../services/event-bus.js';
import { toApiError } from '../services/api-error.js';
import { startBrowserHost, type BrowserHost } from './browser-host.js';
import type { TesseraApi } from '../contracts/tessera-api.js';
import type { AnalysisService } from '../services/analysis-service.js';

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
  events: EventBus;
  slideService: SlideService;
  analysis: AnalysisService;
  /** Slides from the command line that did not open, as messages. */
  failures: string[];
}

export async function startTesseraHost(options: StartHostOptions = {}): Promise<TesseraHost> {
  const services = composeServices({ transport: 'browser', backend: options.backend, recentFile: options.recentFile });
  const { api, events, slides: slideService, analysis } = services;
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
    events,
    port: options.port,
    host: options.host,
    rendererDir: options.rendererDir,
  });
  return {
    ...host,
    api,
    events,
    slideService,
    analysis,
    failures,
    /** Rejects when some annotations could not be saved (after closing everything else). */
    async close() {
      await host.close();
      await services.close();
    },
  };
}
