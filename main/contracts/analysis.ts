// The analysis half of the contract (annotations, embeddings, probes, heatmaps, exports): the shapes that
// cross a transport. Types only; the renderer imports them, the services implement them
// (main/services/analysis-*.ts). Coordinates are always level-0 pixels of the slide.
import type {
  Annotation,
  AnnotationClass,
  AnnotationGeometry,
  Point,
  Rgb,
  Ring,
} from '../common/annotation-model.js';
import type { ColourMapName } from '../common/colour-maps.js';
import type { ExportFormatId } from '../common/export-formats.js';

export type { Annotation, AnnotationClass, AnnotationGeometry, Point, Rgb, Ring };

export interface LevelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Everything annotated on a slide, as the renderer first loads it. */
export interface AnnotationSnapshot {
  slideId: string;
  /** Increases with every change; a delta older than what the renderer holds is ignored. */
  revision: number;
  classes: AnnotationClass[];
  annotations: Annotation[];
  canUndo: boolean;
  canRedo: boolean;
}

/** What one edit (or undo, redo, import) changed: the renderer applies it to what it holds. */
export interface AnnotationDelta {
  slideId: string;
  revision: number;
  classes: AnnotationClass[];
  /** Added or changed annotations, whole. */
  upserted: Annotation[];
  /** Ids of removed annotations. */
  removed: string[];
  canUndo: boolean;
  canRedo: boolean;
  /** Import notes, one line each saying which feature was skipped and why (detections, lines, duplicates). */
  warnings?: string[];
  /** Import: annotations added, imported ones skipped as already present, existing ones replaced. */
  imported?: number;
  duplicates?: number;
  replaced?: number;
}

/** One class edit (editAnnotationClass): exactly one of create, rename, delete, or a change of fields. */
export interface ClassEdit {
  slideId: string;
  name: string;
  create?: boolean;
  rename?: string;
  colour?: Rgb;
  hidden?: boolean;
  locked?: boolean;
  /** Delete the class: its annotations are deleted too, or moved to class `to`. */
  delete?: { annotations: 'delete' } | { annotations: 'move'; to: string };
}

/** The encoder computing embeddings, as the analysis panel shows it. */
export interface EncoderStatus {
  modelId: string;
  name: string;
  description: string;
  /** `cpu`, `cuda`, `coreml`, …; null until the model has loaded. */
  provider: string | null;
  /** Execution-provider fallbacks and other notes. */
  notices: string[];
  /** True for the built-in stain-texture baseline (not a learned model). */
  baseline: boolean;
  /** µm/px of the grids the encoder reads. */
  magnifications: number[];
}

export interface ProbeClassMetrics {
  name: string;
  count: number;
  /** One-vs-rest cross-validated AUROC; null when not computable. */
  auroc: number | null;
}

/** A trained probe, as listed in the probe panel. The probe file itself stays in the user data dir. */
export interface ProbeSummary {
  id: string;
  name: string;
  createdAt: string;
  encoder: { modelId: string; checksum: string | null };
  magnifications: number[];
  classes: AnnotationClass[];
  perClassCount: number[];
  patchCount: number;
  crossValidation: { folds: number; accuracy: number; macroAuroc: number; perClass: ProbeClassMetrics[] } | null;
  warnings: string[];
  /** Where the probe file is. */
  path: string;
  /** The slides it was trained on: file name (null in older probe files) and content fingerprint. */
  trainedOn: { name: string | null; slideFingerprint: string }[];
}

/** Which probe a slide shows: per slide, chosen by the user (training on a slide chooses its probe there). */
export interface ActiveProbe {
  slideId: string;
  /** Null: no probe is applied to this slide (none is, until the user picks one). */
  probeId: string | null;
}

/** What a drawn heatmap comes from, as the viewer's legend names it. */
export interface HeatmapProvenance {
  probeId: string;
  name: string;
  /** File names of the training slides (or a short fingerprint where the probe did not record one). */
  trainedOn: string[];
  /** Whether this slide is one of them; false: the probe comes from other slides. */
  trainedOnThisSlide: boolean;
}

/**
 * Probabilities of one class on the patch grid, as a raster the overlay draws: cell (c, r) of this
 * raster is grid cell (col0 + c, row0 + r), covering level-0 [cellOffset + (col0 + c)·cellSize, …+cellSize)
 * in x, same in y. Cells are centred on patch centres: with overlapping patches (stride t < patch side s)
 * cellSize is t and cellOffset (s − t)/2; without, cellSize is s and cellOffset 0.
 */
export interface HeatmapRaster {
  slideId: string;
  probeId: string;
  className: string;
  classNames: string[];
  /** Cell side in level-0 px (the stride of the probe's finest grid). */
  cellSize: number;
  /** Level-0 px where grid column (and row) 0 starts. */
  cellOffset: number;
  /** Patch side in level-0 px (the "show patches" view draws cells; patches overlap when larger). */
  patchSize: number;
  /** µm/px of that grid. */
  mpp: number;
  col0: number;
  row0: number;
  cols: number;
  rows: number;
  /** Cells scored (the rest are not embedded yet or not tissue). */
  scored: number;
  /** Base64 of cols·rows bytes, row-major: 0–250 is probability × 250, 255 is unscored. */
  values: string;
  /** The probe drawn, and where it was trained: the viewer's legend shows it. */
  probe: HeatmapProvenance;
  /** Values this heatmap rests on that were assumed, not read (pixel size, a probe from another slide, …). */
  assumptions: string[];
  /**
   * The tissue mask over the same level-0 bounds as the cells: width·height bytes (1 tissue, 0 glass),
   * each `downsample` level-0 px square from (x, y). Nothing is drawn on glass. Null: not known.
   */
  tissue: { x: number; y: number; downsample: number; width: number; height: number; values: string } | null;
}

/** An id of the one list of export formats (main/common/export-formats.ts); 'tif' is accepted as 'tiff' on input. */
export type AnalysisExportFormat = ExportFormatId;
/** A name of the one list of colour maps (main/common/colour-maps.ts). */
export type HeatmapColourMap = ColourMapName;

export interface ExportRequest {
  slideId: string;
  probeId: string;
  format: AnalysisExportFormat;
  /** File to write; its extension should match the format. */
  path: string;
  className?: string;
  colourMap?: HeatmapColourMap;
  /** PNG/TIFF: hide cells below; GeoJSON: the region level (default 0.5). */
  threshold?: number;
  /** PNG/TIFF: level-0 px per image px (default a quarter patch). */
  downsample?: number;
  /** PNG/TIFF: one flat block per patch ("show patches") instead of smooth between patch centres. */
  patches?: boolean;
  /** PNG: "heatmap over slide" (the slide under the heatmap, with legend and scale bar) instead of the bare raster. */
  overlay?: boolean;
  /** `embedded` (default): the patches embedded so far; `all-tissue`: embed the rest of the tissue first. */
  scope?: 'embedded' | 'all-tissue';
  /** Replace an existing file; without it an existing file fails with code `exists`. */
  overwrite?: boolean;
}

export interface ExportResult {
  path: string;
  format: AnalysisExportFormat;
  bytes: number;
  /** Patches scored in the export. */
  patches: number;
}

/** An encoder's manifest as the import form shows and edits it (the fields of `manifest.json`). */
export interface ModelManifestDraft {
  /** Folder name in the user models folder: letters, digits, ".", "_", "-". */
  id: string;
  name: string;
  description?: string;
  /** SHA-256 of the ONNX file (computed by Tessera; an edited value is ignored). */
  sha256: string;
  input: {
    /** Input tensor: float32 [batch, 3, size, size]. */
    name: string;
    size: number;
    channelOrder: 'RGB' | 'BGR';
    /** value = (pixel · scale − mean[c]) / std[c], pixel 0–255. */
    scale: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  /** Output tensor: float32 [batch, dim]. */
  output: { name: string; dim: number };
  /** µm/px the model was trained for. */
  magnifications: number[];
  licence: string;
  source?: string;
  /** Set when the model was converted from a timm checkpoint (safetensors / PyTorch) by Tessera. */
  checkpoint?: CheckpointProvenance;
}

/** What a checkpoint import decided and assumed, kept in the manifest and shown before import. */
export interface CheckpointProvenance {
  format: 'safetensors' | 'pytorch';
  /** One line: "ViT 24×1024, 16 heads, patch 16 at 224 px, MLP gelu, LayerScale, class token; …". */
  architecture: string;
  /** The known model it was matched to (`uni`, `virchow2`, …), or null for a generic timm ViT. */
  preset: string | null;
  /** Other known models with the same shape, when the match is not unique. */
  candidates: string[];
  parameters: number;
  /** Stored precision of the weights in the ONNX file (computation is float32). */
  weights: 'float32' | 'float16';
  embeddingRule: 'token' | 'mean' | 'token+mean';
  gated: boolean | null;
  nonCommercial: boolean | null;
  hub: string | null;
  /** Values Tessera had to assume (said to the user). */
  assumptions: string[];
}

/** What `inspectCheckpoint` shows before a checkpoint import (the UI's preview). */
export interface CheckpointPreview {
  /** The weights file that will be read. */
  weightsFile: string;
  configFile: string | null;
  /** Bytes of weights as stored in the checkpoint. */
  sizeBytes: number;
  manifest: ModelManifestDraft & { checkpoint: CheckpointProvenance };
  /** Known presets the user may pick instead (id and name). */
  presets: { id: string; name: string; licence: string }[];
}

/** Stored precision of a converted checkpoint's weights. */
export type CheckpointWeights = CheckpointProvenance['weights'];

/** Progress of a running model import (checkpoint conversion), sent as events. */
export interface ModelImportProgress {
  phase: 'reading' | 'converting' | 'verifying' | 'done' | 'failed';
  done: number;
  total: number;
  message?: string;
}

/** An encoder Tessera can use, as the Models list shows it. */
export interface ModelSummary {
  id: string;
  name: string;
  description: string;
  /** The built-in stain-texture baseline (not a learned model). */
  baseline: boolean;
  /** `default`: the built-in baseline; `user`: imported; `built-in`: shipped in native-models/. */
  origin: 'default' | 'user' | 'built-in';
  /** Slides are embedded with this one now. */
  active: boolean;
  inputSize: number;
  dim: number;
  magnifications: number[];
  licence: string;
  sha256: string;
  /** The model's folder. */
  dir: string;
  /** Set for a model converted from a timm checkpoint: its architecture line, known model, licence flags. */
  checkpoint?: CheckpointProvenance;
}

export interface ModelList {
  models: ModelSummary[];
  /** Id of the encoder in use (loaded, or loaded at first use). */
  activeId: string;
  /** Model folders that could not be read (broken manifest), shown as warnings. */
  problems: { dir: string; message: string }[];
}

/** A whole-slide (tissue-only) embedding run, as its promise resolves. */
export interface TissueRunResult {
  slideId: string;
  mpps: number[];
  /** Tissue patches embedded (cached or computed), over all magnifications, and in all. */
  done: number;
  total: number;
  cancelled: boolean;
}

/** Analysis events pushed to the renderer over the event channel. */
export type AnalysisEvent =
  /** Embedding of the visible tissue: `done` of `total` patches (all magnifications); `added` when new ones landed. */
  | { type: 'embedding-progress'; slideId: string; done: number; total: number; added: number }
  | { type: 'encoder-status'; status: EncoderStatus }
  /** A whole-slide tissue run: progress (`state` running) and its end (done, cancelled, failed). */
  | {
      type: 'tissue-run';
      slideId: string;
      state: 'running' | 'done' | 'cancelled' | 'failed';
      mpps: number[];
      done: number;
      total: number;
      message?: string;
    }
  /** A model import (checkpoint conversion) of the file or folder at `path` moved on. */
  | { type: 'model-import-progress'; path: string; progress: ModelImportProgress };

// Similar-region search and label suggestions: their own file.
export type * from './search.js';
