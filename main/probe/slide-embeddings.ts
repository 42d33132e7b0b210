// What probe training and heatmaps need from the encoder runtime: a slide's embeddings at some
// magnifications, for some regions, all tissue, or what the cache holds. The app and the CLI pass an
// EncoderSlideEmbedder (main/services/encoder-slide-embedder.ts, over the EmbeddingService and its cache).
import type { EmbeddingSet } from '../contracts/embeddings.js';
import type { SlideFrame } from '../export/heatmap-image.js';
import type { TissueMask } from '../encoder/tissue-mask.js';
import type { ProbeEncoder } from './probe-file.js';

export interface SlideEmbeddingProgress {
  /** Magnification being embedded (µm/px). */
  mpp: number;
  /** Patches of this magnification finished (from the cache or computed), and in all. */
  done: number;
  total: number;
  /** How many of `done` came from the cache. */
  cached: number;
}

export interface SlideEmbeddingRequest {
  slidePath: string;
  /** Encoder id; the default encoder when absent. */
  modelId?: string;
  /** µm/px of each grid wanted. */
  mpps: number[];
  /**
   * Level-0 rectangles: embed (or take from the cache) every patch overlapping them, glass included, since
   * an annotation says what its patches are (training on annotated regions).
   */
  regions?: { x: number; y: number; width: number; height: number }[];
  /** Embed every tissue patch (heatmaps). Without it or `regions`: only what the cache already holds. */
  allTissue?: boolean;
  /**
   * Patch px (at each grid's mpp) between neighbouring patch origins. Default: half the patch
   * (`overlappingStride`), the overlapping grid probes train on and heatmaps are drawn from.
   */
  stride?: number;
  signal?: AbortSignal;
  onProgress?: (p: SlideEmbeddingProgress) => void;
}

export interface SlideEmbeddings {
  slideFingerprint: string;
  frame: SlideFrame;
  encoder: ProbeEncoder;
  /** One per magnification asked, in the order asked. */
  sets: EmbeddingSet[];
  /** The slide's tissue mask (what heatmaps and exports may colour), when the embedder has one. */
  tissue?: TissueMask;
  /** Level-0 µm/px used for the grids; `assumed` when the slide states none. */
  scale?: { mpp: number; assumed: boolean; source?: 'slide' | 'user' | 'override' | 'assumed' };
}

export interface SlideEmbedder {
  /** Loads encoder `modelId` (the default encoder when absent) and says which it is: id and weights checksum. */
  encoder(modelId?: string): Promise<ProbeEncoder>;
  embed(request: SlideEmbeddingRequest): Promise<SlideEmbeddings>;
}
