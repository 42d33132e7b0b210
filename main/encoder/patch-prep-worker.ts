// The patch preparation thread: opens slides by path (its own readers and tile caches), reads grid patches as
// RGB (patch-reader.ts), normalises them into the model's float32 NCHW input and hands the tensor straight to
// the encoder worker over a MessagePort, so that no pixel crosses the main thread and the next batch is
// prepared while the encoder runs the current one. Requests are handled one at a time, in order.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { openSlide } from '../slide/open-slide.js';
import { isSlideError } from '../slide/slide-errors.js';
import type { SlideReader } from '../slide/slide-reader.js';
import type { PrepControl, PrepDelivery, PrepRecycle, PrepRequest } from './encoder-messages.js';
import { PatchReader } from './patch-reader.js';
import { normalisePixels } from './pixel-normalise.js';

if (!parentPort) throw new Error('patch-prep-worker must run as a worker thread');
const control = parentPort;
const encoder = (workerData as { port: MessagePort }).port;

const slides = new Map<string, Promise<SlideReader>>();
const readers = new Map<string, PatchReader>();
const spare: ArrayBuffer[] = [];
let rgb = new Uint8Array(0);

encoder.on('message', (m: PrepRecycle) => {
  if (m.type === 'recycle' && spare.length < 4) spare.push(m.tensor);
});

function send(msg: PrepDelivery, transfer: ArrayBuffer[] = []): void {
  encoder.postMessage(msg, transfer);
}

async function patchReader(req: PrepRequest): Promise<PatchReader> {
  const key = `${req.slide}\n${req.grid.mpp}/${req.grid.patchSize}/${req.grid.level0Size}`;
  let r = readers.get(key);
  if (r) return r;
  let slide = slides.get(req.slide);
  if (!slide) {
    slide = openSlide(req.slide);
    slides.set(req.slide, slide);
    slide.catch(() => slides.delete(req.slide));
  }
  r = new PatchReader(await slide, req.grid);
  readers.set(key, r);
  return r;
}

async function prepare(req: PrepRequest): Promise<void> {
  try {
    const n = req.coords.length / 2;
    const size = req.input.size;
    const bytes = n * size * size * 3;
    if (rgb.length < bytes) rgb = new Uint8Array(bytes);
    const reader = await patchReader(req);
    await reader.readBatch(req.coords, rgb);
    const floats = n * 3 * size * size;
    const i = spare.findIndex((b) => b.byteLength >= floats * 4);
    const buf = i >= 0 ? spare.splice(i, 1)[0] : new ArrayBuffer(floats * 4);
    normalisePixels(rgb, n, req.input, new Float32Array(buf, 0, floats));
    send({ type: 'prepared', id: req.id, tensor: buf, count: n }, [buf]);
  } catch (err) {
    send({ type: 'prep-error', id: req.id, message: (err as Error)?.message ?? String(err), ...(isSlideError(err) ? { slideCode: err.code } : {}) });
  }
}

async function closeAll(): Promise<void> {
  const open = [...slides.values()];
  slides.clear();
  readers.clear();
  await Promise.all(open.map((s) => s.then((r) => r.close()).catch(() => {})));
}

let queue: Promise<void> = Promise.resolve();
control.on('message', (msg: PrepControl) => {
  queue = queue.then(async () => {
    if (msg.type === 'prep') await prepare(msg);
    else if (msg.type === 'forget') {
      const s = slides.get(msg.slide);
      slides.delete(msg.slide);
      for (const k of [...readers.keys()]) if (k.startsWith(`${msg.slide}\n`)) readers.delete(k);
      await s?.then((r) => r.close()).catch(() => {});
    } else if (msg.type === 'close') {
      await closeAll();
      control.postMessage({ type: 'closed' });
      encoder.close();
      control.close();
    }
  });
});
