// Messages between EncoderSession (main thread), encoder-worker (inference) and patch-prep-worker (reads
// patches from a slide and normalises them, handing tensors straight to the encoder worker over a port).
import type { MessagePort } from 'node:worker_threads';
import type { PatchGrid } from '../contracts/embeddings.js';
import type { ModelErrorCode } from './model-errors.js';
import type { ModelManifest } from './model-manifest.js';
import type { ProviderName } from './execution-providers.js';
import type { SlideErrorCode } from '../slide/slide-errors.js';

export interface LoadRequest {
  type: 'load';
  id: number;
  onnxPath: string;
  manifest: ModelManifest;
  providers: ProviderName[];
  threads: number;
  /** Largest batch handed to onnxruntime at once (bigger requests run in chunks); 0 = no limit. */
  maxRunBatch: number;
}

export interface EmbedRequest {
  type: 'embed';
  id: number;
  /** count × size × size × 3 RGB bytes; transferred, and handed back with the reply for reuse. */
  pixels: ArrayBuffer;
  count: number;
}

/** main → encoder worker: the port on which the prep worker delivers tensors. */
export interface PrepPortRequest {
  type: 'prep-port';
  id: number;
  port: MessagePort;
}

export type EncoderRequest = LoadRequest | EmbedRequest | PrepPortRequest | { type: 'close'; id: number };

export type EncoderReply =
  | { type: 'loaded'; id: number; provider: ProviderName; notices: string[] }
  /** `pixels`: the request's buffer, handed back for reuse (absent for patches prepared by the prep worker). */
  | { type: 'embedded'; id: number; features: ArrayBuffer; pixels?: ArrayBuffer }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; code: ModelErrorCode; message: string; slideCode?: SlideErrorCode };

/** main → prep worker: read `coords` of `grid` from the slide at `slide` (a path), normalise for `input`. */
export interface PrepRequest {
  type: 'prep';
  id: number;
  slide: string;
  grid: PatchGrid;
  /** [n·2] level-0 corners. */
  coords: Int32Array;
  input: ModelManifest['input'];
}

export type PrepControl = PrepRequest | { type: 'forget'; slide: string } | { type: 'close' };

/** prep worker → encoder worker (over the port). */
export type PrepDelivery =
  | { type: 'prepared'; id: number; tensor: ArrayBuffer; count: number }
  | { type: 'prep-error'; id: number; message: string; slideCode?: SlideErrorCode };

/** encoder worker → prep worker: a tensor buffer to reuse. */
export interface PrepRecycle {
  type: 'recycle';
  tensor: ArrayBuffer;
}
