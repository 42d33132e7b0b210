// What the analysis services share: the open slides' analysis state (annotations, scheduler, viewport, the
// probe shown), the one EmbeddingService (model, workers, cache) and its slide embedder, the probe library,
// the encoder in use, the work locks and the event bus. The parts (encoder, embedding, training, exports)
// each take this core; `AnalysisService` puts them behind the contract.
import { join } from 'node:path';
import { AnnotationStore, type SaveDocument } from '../annotations/annotation-store.js';
import { tesseraDataDir } from '../common/data-dir.js';
import type { EncoderStatus, LevelRect } from '../contracts/analysis.js';
import type { TesseraEvent } from '../contracts/tessera-api.js';
import type { EmbeddingScheduler } from '../encoder/embedding-scheduler.js';
import { EmbeddingService } from '../encoder/embedding-service.js';
import { overlappingStride } from '../encoder/patch-grid.js';
import type { ProbeEncoder } from '../probe/probe-file.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';
import { SlideAnnotations } from './analysis-annotations.js';
import { WorkLocks } from './analysis-locks.js';
import { ApiError } from './api-error.js';
import { readEncoderChoice } from './analysis-models.js';
import { checkSlideId } from './analysis-params.js';
import { ProbeLibrary } from './analysis-probes.js';
import { EncoderSlideEmbedder } from './encoder-slide-embedder.js';
import type { EventBus } from './event-bus.js';
import type { SlideService } from './slide-service.js';

export interface AnalysisServiceOptions {
  slides: SlideService;
  /** Where its events go; default the slide service's bus (the composition root passes the one bus). */
  events?: EventBus;
  /** Annotations and probes live here; default: common/data-dir.ts (read at first use). */
  dataDir?: string;
  /** The embedding runtime; default a fresh EmbeddingService (user's models and cache), made at first use. */
  embeddings?: EmbeddingService;
  autosaveDelayMs?: number;
  /** How annotation files are written (tests inject failing disks); default the atomic saveDocument. */
  saveAnnotations?: SaveDocument;
}

export interface SlideState {
  id: string;
  path: string;
  name: string;
  annotations: Promise<SlideAnnotations>;
  scheduler?: Promise<EmbeddingScheduler>;
  viewport: LevelRect | null;
  /** The magnifications its view embeds (null: all the model's). */
  viewportMpps: number[] | null;
  added: number;
  /** The probe this slide shows (chosen per slide; none until chosen, or trained here). */
  probeId: string | null;
}

export class AnalysisCore {
  readonly slides: SlideService;
  readonly events: EventBus;
  readonly states = new Map<string, SlideState>();
  readonly locks = new WorkLocks();
  /** The slide whose viewport was reported last (the one in view). */
  inView: string | null = null;
  /** Set when the service closes: requests still arriving are refused. */
  closed = false;
  /** Notes about the encoder choice (a remembered model that failed to load). */
  modelNotices: string[] = [];
  /** Restarts a slide's viewport embedding after work that held it (set by the embedding part). */
  resume: (s: SlideState) => void = () => {};
  /** Each batch the viewport embedding stored (set by the service: the live heatmaps score it). */
  embedded: (slideId: string, batch: { mpp: number; coords: Int32Array }) => void = () => {};
  /** Reports the encoder's status (set by the encoder part; the embedder's notices trigger it). */
  statusOf: () => Promise<EncoderStatus> = () => Promise.reject(new Error('no encoder part'));
  private embeddingService: EmbeddingService | undefined;
  private embedderInstance: EncoderSlideEmbedder | undefined;
  private library: ProbeLibrary | undefined;
  /** Loads the remembered encoder once (the baseline when there is none or it fails). */
  private encoderReady: Promise<ProbeEncoder> | undefined;

  constructor(readonly options: AnalysisServiceOptions) {
    this.slides = options.slides;
    this.events = options.events ?? options.slides.events;
    this.embeddingService = options.embeddings;
  }

  get dataDir(): string {
    return this.options.dataDir ?? tesseraDataDir();
  }

  emit(event: TesseraEvent): void {
    this.events.emit(event);
  }

  /** The EmbeddingService, made at first use unless one was given. */
  get embeddings(): EmbeddingService {
    // Pixel sizes users set are beside the annotations; slides open in the viewer are read through its readers.
    this.embeddingService ??= new EmbeddingService({ dataDir: this.options.dataDir, openReaders: (path) => this.slides.readerFor(path) });
    return this.embeddingService;
  }

  /** The EmbeddingService if one exists yet (nothing is made). */
  get embeddingsIfMade(): EmbeddingService | undefined {
    return this.embeddingService;
  }

  get embedder(): EncoderSlideEmbedder {
    if (!this.embedderInstance) {
      const service = this.embeddings;
      service.on('notice', () => void this.statusOf().then((status) => this.emit({ type: 'encoder-status', status }), () => {}));
      this.embedderInstance = new EncoderSlideEmbedder(service);
    }
    return this.embedderInstance;
  }

  get probes(): ProbeLibrary {
    this.library ??= new ProbeLibrary(join(this.dataDir, 'probes'));
    return this.library;
  }

  /** Patch px between patch origins of the app's grids: half the encoder's patch (overlapping). */
  get stride(): number {
    return overlappingStride(this.embeddingService?.model?.input.size ?? 224);
  }

  /** The per-slide state of an open slide (annotations opened on first use). */
  state(slideId: unknown): SlideState {
    const id = checkSlideId(slideId);
    // After close nothing may open annotation stores or start embedding again (a request still in flight).
    if (this.closed) throw new ApiError('closed', 'Tessera is shutting down', 503);
    const info = this.slides.info(id); // not-found for unknown ids
    let s = this.states.get(id);
    if (!s) {
      const dataDir = this.dataDir;
      const annotations = slideFingerprint(info.path)
        .then((fp) => AnnotationStore.open(fp, { dataDir, autosaveDelayMs: this.options.autosaveDelayMs, save: this.options.saveAnnotations }))
        .then((store) => new SlideAnnotations(id, store, { name: info.name, notify: (message) => this.emit({ type: 'error', message }) }));
      annotations.catch(() => this.states.delete(id));
      s = { id, path: info.path, name: info.name, annotations, viewport: null, viewportMpps: null, added: 0, probeId: null };
      this.states.set(id, s);
    }
    return s;
  }

  /** The encoder in use: on first use the one the user chose last, the baseline when that fails. */
  async encoder(): Promise<ProbeEncoder> {
    if (this.locks.switching) await this.locks.switching.catch(() => {});
    this.encoderReady ??= (async () => {
      const saved = await readEncoderChoice(this.dataDir);
      if (saved) {
        try {
          return await this.embedder.encoder(saved);
        } catch (err) {
          this.modelNotices = [`The encoder "${saved}" chosen last could not load (${(err as Error).message}); using the baseline`];
        }
      }
      return this.embedder.encoder();
    })();
    this.encoderReady.catch(() => (this.encoderReady = undefined));
    await this.encoderReady;
    return this.embedder.encoder();
  }

  /** Stops a slide's viewport embedding (if it has a scheduler). */
  async stopScheduler(s: SlideState): Promise<void> {
    await s.scheduler?.then(
      (sc) => sc.stop(),
      () => {},
    );
  }
}
