// The composition root: the one place the app's services are made and wired together, for both transports
// (Electron's main process and the browser host). One event bus, one slide service, one analysis service,
// one file browser, and the contract implemented over them. Transports only add their wiring on top.
import { join } from 'node:path';
import type { AppInfo, TesseraApi } from '../contracts/tessera-api.js';
import { tesseraDataDir } from '../common/data-dir.js';
import { AnalysisService } from './analysis-service.js';
import { createDefaultSlideBackend } from './default-slide-backend.js';
import { EventBus } from './event-bus.js';
import { FileBrowser } from './file-browser.js';
import { RecentSlides } from './recent-slides.js';
import { SlideService, type SlideBackend } from './slide-service.js';
import { createTesseraApi } from './tessera-services.js';

export interface ComposeOptions {
  transport: AppInfo['transport'];
  /** Where slides and tiles come from; default the slide engine. */
  backend?: SlideBackend;
  /** Recent-slides file; null keeps it in memory (tests). Default: the user's config folder. */
  recentFile?: string | null;
  /** The user's data folder (annotations, probes, embeddings, exports); default common/data-dir.ts. */
  dataDir?: string;
}

export interface TesseraServices {
  events: EventBus;
  slides: SlideService;
  analysis: AnalysisService;
  files: FileBrowser;
  api: TesseraApi;
  /** Saves and closes everything: analysis first (annotations, encoder), then the slides. Rejects when some annotations could not be saved. */
  close(): Promise<void>;
}

export function composeServices(options: ComposeOptions): TesseraServices {
  const events = new EventBus();
  const recent = new RecentSlides(options.recentFile === undefined ? RecentSlides.defaultFile() : options.recentFile);
  const slides = new SlideService(options.backend ?? createDefaultSlideBackend(), recent, { dataDir: options.dataDir, events });
  const analysis = new AnalysisService({ slides, events, dataDir: options.dataDir });
  const files = new FileBrowser({
    rootsFile: join(options.dataDir ?? tesseraDataDir(), 'browse-folders.json'),
    recent: () => slides.recent.list(),
  });
  const api = createTesseraApi({ slides, transport: options.transport, analysis, files });
  return {
    events,
    slides,
    analysis,
    files,
    api,
    async close() {
      try {
        await analysis.close();
      } finally {
        await slides.closeAll();
      }
    },
  };
}
