// What probe training and heatmaps need from the encoder runtime: a slide's embeddings at some
// magnifications, for some regions or all tissue. The CLI and UI plug the EmbeddingService in here.
import type { EmbeddingSet } from '../contracts/embeddings.js';
import type { SlideFrame } from '../export/heatmap-image.js';
import type { ProbeEncoder } from './probe-file.js';

export interface SlideEmbeddingRequest {
  slidePath: string;
  /** Encoder id; the default encoder when absent. */
  modelId?: string;
  /** µm/px of each grid wanted. */
  mpps: number[];
  /** Level-0 rectangles: embed only patches overlapping them (training on annotated regions). */
  regions?: { x: number; y: number; width: number; height: number }[];
  /** Embed every tissue patch (heatmaps); otherwise only `regions`, or what the cache already holds. */
  allTissue?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface SlideEmbeddings {
  slideFingerprint: string;
  frame: SlideFrame;
  encoder: ProbeEncoder;
  /** One per magnification asked. */
  sets: EmbeddingSet[];
}

export type EmbedSlide = (request: SlideEmbeddingRequest) => Promise<SlideEmbeddings>;

let embedder: EmbedSlide | null = null;

/** Installs the embedding source (the encoder runtime's EmbeddingService; a test double in tests). */
export function useSlideEmbedder(embed: EmbedSlide | null): void {
  embedder = embed;
}

export function slideEmbedder(): EmbedSlide {
  if (!embedder) throw new Error('no embedding source is installed: the encoder runtime (EmbeddingService) is not wired into this build yet');
  return embedder;
}
