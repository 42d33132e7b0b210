// Messages between EncoderSession (main thread) and encoder-worker.
import type { ModelErrorCode } from './model-errors.js';
import type { ModelManifest } from './model-manifest.js';
import type { ProviderName } from './execution-providers.js';

export interface LoadRequest {
  type: 'load';
  id: number;
  onnxPath: string;
  manifest: ModelManifest;
  providers: ProviderName[];
  threads: number;
}

export interface EmbedRequest {
  type: 'embed';
  id: number;
  /** count × size × size × 3 RGB bytes; transferred, and handed back with the reply for reuse. */
  pixels: ArrayBuffer;
  count: number;
}

export type EncoderRequest = LoadRequest | EmbedRequest | { type: 'close'; id: number };

export type EncoderReply =
  | { type: 'loaded'; id: number; provider: ProviderName; notices: string[] }
  | { type: 'embedded'; id: number; features: ArrayBuffer; pixels: ArrayBuffer }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; code: ModelErrorCode; message: string };
