// A JPEG 2000 decode worker (see jp2k-pool.ts): decodes codestreams posted by the pool with its own
// OpenJPEG WASM instance, created once on the first job, and transfers the RGBA pixels back.
import { parentPort } from 'node:worker_threads';
import { SlideError } from '../slide-errors.js';
import { decodeJp2kHere, wasmInstantiations } from './jp2k-decode.js';

export interface Jp2kJob {
  id: number;
  codestream: Uint8Array;
  ycbcr: boolean;
}

export type Jp2kReply =
  | { id: number; ok: true; pixels: Uint8Array; width: number; height: number; instantiations: number }
  | { id: number; ok: false; code: SlideError['code']; message: string; instantiations: number };

const port = parentPort;
if (!port) throw new Error('jp2k-worker.ts runs as a worker thread only');

port.on('message', (job: Jp2kJob) => {
  void decodeJp2kHere(job.codestream, job.ycbcr).then(
    (image) => {
      const pixels = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
      const reply: Jp2kReply = { id: job.id, ok: true, pixels, width: image.width, height: image.height, instantiations: wasmInstantiations };
      port.postMessage(reply, [pixels.buffer as ArrayBuffer]);
    },
    (err: unknown) => {
      const reply: Jp2kReply = {
        id: job.id,
        ok: false,
        code: err instanceof SlideError ? err.code : 'corrupt',
        message: err instanceof Error ? err.message : String(err),
        instantiations: wasmInstantiations,
      };
      port.postMessage(reply);
    },
  );
});
