// The contract between Tessera's renderer and its services. Both transports (Electron IPC + the
// `tessera://` protocol, and the browser host's HTTP + WebSocket) carry exactly this; the renderer
// imports only types from here. Every method takes at most one JSON params object and returns JSON.
import type {
  ActiveProbe,
  AnalysisEvent,
  CheckpointPreview,
  CheckpointWeights,
  AnnotationDelta,
  AnnotationGeometry,
  AnnotationSnapshot,
  EncoderStatus,
  ExportRequest,
  ExportResult,
  HeatmapRaster,
  LevelRect,
  ModelList,
  ModelManifestDraft,
  ModelSummary,
  ProbeSummary,
  Rgb,
  TissueRunResult,
  ClassEdit,
  FindSimilarParams,
  RegionImage,
  SimilarityResult,
  SuggestLabelsParams,
  LabelSuggestions,
} from './analysis.js';
import type { HeatmapUpdateRequest } from './heatmap-update.js';

export type * from './analysis.js';
export type * from './heatmap-update.js';

/** A slide opened in this session, as listed in the slide tabs. */
export interface SlideSummary {
  /** Session-scoped id; tile URLs use it, never the file path. */
  id: string;
  /** File name shown to the user. */
  name: string;
  path: string;
  vendor: string;
  /** Level-0 size in pixels. */
  width: number;
  height: number;
}

export interface SlideLevelInfo {
  width: number;
  height: number;
  downsample: number;
}

export interface AssociatedImageSummary {
  /** `thumbnail`, `label`, `macro`, … */
  name: string;
  width: number;
  height: number;
  /** Path relative to the slides root, e.g. `<id>/associated/label.jpeg` (see slideUrls). */
  path: string;
}

/** The Deep Zoom pyramid the viewer reads: `<id>.dzi` and `<id>_files/<level>/<col>_<row>.<format>`. */
export interface DeepZoomInfo {
  width: number;
  height: number;
  tileSize: number;
  overlap: number;
  format: 'jpeg' | 'png';
  levelCount: number;
}

export interface SlideInfo extends SlideSummary {
  levels: SlideLevelInfo[];
  /** µm per pixel at level 0, null when the file does not say. */
  mpp: { x: number; y: number } | null;
  /**
   * The level-0 µm/px Tessera uses for this slide (scale bar, magnification, patch grids): the pixel size the
   * user set for it (`user`: kept per slide content, see setPixelSize), else the file's (`slide`), else
   * `assumedMpp` (`assumed`: shown as such until the user sets one).
   */
  scale: { mpp: number; source: 'slide' | 'user' | 'assumed' };
  /** Scanner objective power (AppMag), null when unknown. */
  objectivePower: number | null;
  fileSize: number;
  associatedImages: AssociatedImageSummary[];
  deepZoom: DeepZoomInfo;
  properties: Record<string, string>;
}

export interface RecentSlide {
  path: string;
  name: string;
  /** ISO time of the last open. */
  openedAt: string;
}

/** One row of the file browser: a folder, a slide file, or a folder holding a DICOM whole-slide series. */
export interface FolderEntry {
  name: string;
  /** Absolute host path (what openSlide / listFolder take). */
  path: string;
  kind: 'folder' | 'slide' | 'dicom-folder';
  /** Bytes (a slide file; a DICOM folder: its DICOM files); null for plain folders. */
  size: number | null;
  /** ISO time of the last change. */
  modifiedAt: string;
}

/** A folder the file browser may show: the user's home, or one the user added (kept in the user data folder). */
export interface BrowseRoot {
  path: string;
  label: string;
  /** False for the home folder. */
  removable: boolean;
}

export interface FolderListing {
  /** The folder listed (real path: links resolved). */
  path: string;
  /** Its parent, null at the top of a browse root. */
  parent: string | null;
  /** Folders first, then slides, by name. Hidden files, other files and links leading outside are left out. */
  entries: FolderEntry[];
  roots: BrowseRoot[];
  /** Folders of recently opened slides (inside the roots), newest first. */
  recentFolders: string[];
  /** Slide file extensions shown, lower case without the dot (from the slide format list). */
  extensions: string[];
}

export interface AppInfo {
  version: string;
  transport: 'electron' | 'browser';
  platform: string;
  /** The per-user folder exports are proposed in (`<Tessera data folder>/exports`; see README). */
  exportsFolder: string;
}

/** The service surface. Errors reject with an ApiError-shaped message (code + message). */
export interface TesseraApi {
  getAppInfo(): Promise<AppInfo>;
  listSlides(): Promise<SlideSummary[]>;
  /** Opens a slide file (or returns the already open one for the same path). */
  openSlide(params: { path: string }): Promise<SlideInfo>;
  /** Opens the built-in sample slide, generating it on first use. */
  openSampleSlide(): Promise<SlideInfo>;
  getSlideInfo(params: { id: string }): Promise<SlideInfo>;
  closeSlide(params: { id: string }): Promise<void>;
  /**
   * Sets the level-0 pixel size (µm/px, 0.01–100) of a slide, stored per slide content in the user data folder
   * and used by every later open of it (app and CLI); null clears it (back to the file's, else assumed).
   * Embedding of the slide restarts on the new grid; code `busy` while it trains or runs over all tissue.
   */
  setPixelSize(params: { slideId: string; mpp: number | null }): Promise<SlideInfo>;
  listRecentSlides(): Promise<RecentSlide[]>;
  /**
   * The file browser: folders and slides in `path` (default the home folder; `~` expands). Only inside the
   * user's home and the folders the user added; anything else, links resolved first, fails with code
   * `forbidden` (403); relative paths fail with `invalid-argument`.
   */
  listFolder(params?: { path?: string }): Promise<FolderListing>;
  /** Adds a folder (absolute or `~/…`, existing) to the file browser's roots; returns them all. */
  addBrowseFolder(params: { path: string }): Promise<BrowseRoot[]>;
  /** Removes a folder the user added. */
  removeBrowseFolder(params: { path: string }): Promise<BrowseRoot[]>;

  // Annotations of an open slide: saved automatically in the user data dir, keyed by slide content.
  getAnnotations(params: { slideId: string }): Promise<AnnotationSnapshot>;
  addAnnotation(params: { slideId: string; className: string; geometry: AnnotationGeometry }): Promise<AnnotationDelta>;
  /** Reshapes (moved vertices, moved whole) and/or relabels one annotation. */
  updateAnnotation(params: {
    slideId: string;
    id: string;
    geometry?: AnnotationGeometry;
    className?: string;
    /** Its name and note ('' clears them). */
    name?: string;
    note?: string;
  }): Promise<AnnotationDelta>;
  /** Adds several annotations of one class as one undoable step (label by example). */
  addAnnotations(params: { slideId: string; className: string; geometries: AnnotationGeometry[] }): Promise<AnnotationDelta>;
  deleteAnnotations(params: { slideId: string; ids: string[] }): Promise<AnnotationDelta>;
  undoAnnotations(params: { slideId: string }): Promise<AnnotationDelta>;
  redoAnnotations(params: { slideId: string }): Promise<AnnotationDelta>;
  /** Adds a user-defined class (or recolours an existing one). */
  setAnnotationClass(params: { slideId: string; name: string; colour: Rgb }): Promise<AnnotationDelta>;
  /**
   * One undoable class edit: `create` a new class (code `exists` when the name is taken; colour default the
   * next unused palette colour), `rename` it (relabels its annotations), change its `colour`, `hidden` or
   * `locked`, or `delete` it, deleting its annotations or moving them to another class.
   */
  editAnnotationClass(params: ClassEdit): Promise<AnnotationDelta>;
  /**
   * Imports a QuPath GeoJSON or ASAP XML file on the host; nothing changes when the file is bad. `merge`
   * (default) keeps what is there and skips annotations already present (same class and shape), so a file
   * imported twice adds nothing the second time; `replace` removes all the slide's annotations first (undoable).
   */
  importAnnotations(params: { slideId: string; path: string; mode?: 'merge' | 'replace' }): Promise<AnnotationDelta>;
  /** Writes the slide's annotations as QuPath GeoJSON; code `exists` unless `overwrite`. */
  exportAnnotations(params: { slideId: string; path: string; overwrite?: boolean }): Promise<{ path: string; count: number }>;

  // Embeddings: the renderer reports the settled viewport; visible tissue is embedded in the background.
  getEncoderStatus(): Promise<EncoderStatus>;
  /** The level-0 rectangle now in view; null stops embedding for this slide. `mpps`: which of the encoder's
   *  magnifications the view embeds (default all of them). */
  setViewport(params: { slideId: string; rect: LevelRect | null; mpps?: number[] }): Promise<void>;
  /**
   * Embeds all the slide's tissue at `mpps` (default: the probe's magnifications when `probeId` is given, else
   * the encoder's), reporting `tissue-run` events; resolves when done or cancelled. One run per slide.
   */
  embedAllTissue(params: { slideId: string; probeId?: string; mpps?: number[] }): Promise<TissueRunResult>;
  /** Stops the slide's whole-slide run (what is embedded so far stays cached); false when none runs. */
  cancelEmbedAllTissue(params: { slideId: string }): Promise<boolean>;

  // Encoder models: the built-in baseline, imported ONNX models and converted timm checkpoints; embeddings
  // and probes are per model.
  listModels(): Promise<ModelList>;
  /**
   * Reads a model on the host and proposes its manifest: for an ONNX file from its graph (input/output names
   * and sizes, checksum, …); for a timm checkpoint (a Hugging Face snapshot folder, or a .safetensors / .bin /
   * .pth / .pt file) the manifest a conversion would write, with its `checkpoint` provenance (sha256 empty).
   */
  proposeModelManifest(params: { path: string }): Promise<ModelManifestDraft>;
  /**
   * What importing a timm checkpoint would do, without writing anything: the weights and config files read, the
   * detected architecture, the known model (`preset`, default the automatic match), licence, assumptions and
   * the manifest, and the presets one may pick instead.
   */
  inspectModelCheckpoint(params: { path: string; preset?: string; weights?: CheckpointWeights }): Promise<CheckpointPreview>;
  /**
   * Checks the file against `manifest` (loads it, runs one patch) and copies it into the user models folder.
   * A timm checkpoint is first converted to ONNX in a worker (`preset` and `weights` as for
   * inspectModelCheckpoint; the manifest's user fields apply), reporting `model-import-progress` events.
   * A broken file or a manifest that disagrees with the graph fails with a ModelError code; the encoder in use
   * does not change. Does not select the model. One import at a time (code `busy`).
   */
  importModel(params: {
    path: string;
    manifest: ModelManifestDraft;
    replace?: boolean;
    preset?: string;
    weights?: CheckpointWeights;
  }): Promise<ModelSummary>;
  /** Switches the encoder (remembered across sessions); on failure the current one stays. */
  selectModel(params: { id: string }): Promise<EncoderStatus>;

  // Probes: trained on a slide's annotations, saved in the user data dir.
  trainProbe(params: { slideId: string; classes?: string[]; mpps?: number[]; name?: string }): Promise<ProbeSummary>;
  listProbes(): Promise<ProbeSummary[]>;
  /** Adds a probe file from elsewhere (a colleague's) to the list. */
  loadProbe(params: { path: string }): Promise<ProbeSummary>;

  /** The probe a slide shows (per slide; none until the user picks one there or trains one on it). */
  getActiveProbe(params: { slideId: string }): Promise<ActiveProbe>;
  /** Applies a probe to this slide (null: none); other slides keep theirs. */
  setActiveProbe(params: { slideId: string; probeId: string | null }): Promise<ActiveProbe>;
  /** A probe's class probabilities on what is embedded of the slide (in `rect`, or everywhere). */
  getHeatmap(params: { slideId: string; probeId: string; className?: string; rect?: LevelRect }): Promise<HeatmapRaster>;
  /**
   * What changed in the live heatmap of (slide, probe) since version `since` (none: a snapshot), every class at
   * once: binary, decoded by `main/common/heatmap-update-codec.ts` (layout in `contracts/heatmap-update.ts`).
   * The one method that returns bytes: over HTTP it is `GET /heatmap/<slideId>/<probeId>?since=<v>`.
   */
  getHeatmapUpdate(params: HeatmapUpdateRequest): Promise<Uint8Array>;
  /** Writes a heatmap (PNG, pyramidal TIFF), regions (GeoJSON), per-patch CSV or the probe report (HTML). */
  exportHeatmap(params: ExportRequest): Promise<ExportResult>;

  // "Find more like this".
  /**
   * The patches most similar to a query box/point or annotation: its own slide (or every open slide), from the
   * embedding cache (the query region is embedded when missing), best first, with how much of each slide is
   * embedded (so the UI can offer the whole-slide tissue run).
   */
  findSimilar(params: FindSimilarParams): Promise<SimilarityResult>;
  /** A level-0 region of an open slide as a JPEG data URL, its longer side `size` px (default 128, at most 512). */
  regionImage(params: { slideId: string; x: number; y: number; width: number; height: number; size?: number }): Promise<RegionImage>;

  // "Suggest what to label next".
  /** The patches where the slide's probe is least certain, spread over the slide; dismissed ones never again this session. */
  suggestLabels(params: SuggestLabelsParams): Promise<LabelSuggestions>;
  /** Drops a suggestion (by its patch's level-0 corner) for the rest of this session. */
  dismissSuggestion(params: { slideId: string; x: number; y: number }): Promise<{ dismissed: number }>;
}

export type TesseraApiMethod = keyof TesseraApi;
export type ApiParams<M extends TesseraApiMethod> = Parameters<TesseraApi[M]> extends [infer P] ? P : undefined;
export type ApiResult<M extends TesseraApiMethod> = Awaited<ReturnType<TesseraApi[M]>>;

/**
 * Every contract method, once. `satisfies` makes the compiler reject a missing or unknown name,
 * so transports that iterate this list implement exactly the contract.
 */
const methodSet = {
  getAppInfo: true,
  listSlides: true,
  openSlide: true,
  openSampleSlide: true,
  getSlideInfo: true,
  closeSlide: true,
  setPixelSize: true,
  listRecentSlides: true,
  listFolder: true,
  addBrowseFolder: true,
  removeBrowseFolder: true,
  getAnnotations: true,
  addAnnotation: true,
  addAnnotations: true,
  updateAnnotation: true,
  deleteAnnotations: true,
  undoAnnotations: true,
  redoAnnotations: true,
  setAnnotationClass: true,
  editAnnotationClass: true,
  importAnnotations: true,
  exportAnnotations: true,
  getEncoderStatus: true,
  setViewport: true,
  embedAllTissue: true,
  cancelEmbedAllTissue: true,
  listModels: true,
  proposeModelManifest: true,
  inspectModelCheckpoint: true,
  importModel: true,
  selectModel: true,
  trainProbe: true,
  listProbes: true,
  loadProbe: true,
  getActiveProbe: true,
  setActiveProbe: true,
  getHeatmap: true,
  getHeatmapUpdate: true,
  exportHeatmap: true,
  findSimilar: true,
  regionImage: true,
  suggestLabels: true,
  dismissSuggestion: true,
} as const satisfies Record<TesseraApiMethod, true>;
export const TESSERA_API_METHODS = Object.keys(methodSet) as TesseraApiMethod[];

export function isApiMethod(name: string): name is TesseraApiMethod {
  return Object.prototype.hasOwnProperty.call(methodSet, name);
}

/** Events the services push to every connected renderer. */
export type TesseraEvent =
  | { type: 'slides-changed'; slides: SlideSummary[] }
  /** The desktop shell opened a slide (menu, recent list, file drop, command line): show it. */
  | { type: 'slide-opened'; slide: SlideInfo }
  /** A slide's info changed (the user set its pixel size): show the new one. */
  | { type: 'slide-info-changed'; slide: SlideInfo }
  | { type: 'progress'; task: string; label: string; done: number; total: number }
  | { type: 'error'; message: string }
  | AnalysisEvent;

/** How an error crosses a transport: a code a program can test and a message a person can read. */
export interface ApiErrorPayload {
  code: string;
  message: string;
}

/** What the Electron preload exposes as `window.tessera` (contextBridge). */
export interface TesseraBridge {
  api: TesseraApi;
  /** Subscribes to service events; returns the unsubscribe function. */
  onEvent(listener: (event: TesseraEvent) => void): () => void;
  desktop: {
    /** Native open-file dialog; resolves to the chosen paths (empty when cancelled). */
    chooseSlideFiles(): Promise<string[]>;
    /** The file-system path of a dropped File (Electron's webUtils.getPathForFile). */
    pathForFile(file: File): string;
    /** Native dialog for one path the contract takes: open a file of `kind`, or `save` to a new one; null when cancelled. */
    chooseFile(options: ChooseFileOptions): Promise<string | null>;
  };
}

/** `model`: an ONNX or checkpoint weights file; `model-folder`: a checkpoint (Hugging Face snapshot) folder. */
export type ChooseFileKind = 'slide' | 'model' | 'model-folder' | 'annotations' | 'probe' | 'save';

export interface ChooseFileOptions {
  kind: ChooseFileKind;
  /** Suggested file or folder (for `save`: the proposed file name, whose extension sets the filter). */
  defaultPath?: string;
}

/** What Tessera assumes when a slide states no pixel size: level 0 scanned at 20× (as `encoder/patch-grid.ts`). */
export const assumedMpp = 0.5;

/** URL layout of the slides root (`tessera://slides/` in Electron, `/slides/` over HTTP). */
export const slideUrls = {
  dzi: (id: string) => `${id}.dzi`,
  tile: (id: string, level: number, col: number, row: number, format: string) => `${id}_files/${level}/${col}_${row}.${format}`,
  associated: (id: string, name: string) => `${id}/associated/${name}.jpeg`,
};
