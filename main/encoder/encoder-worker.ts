// The inference thread: loads and checks a model, then turns RGB patch batches into embeddings.
// onnxruntime-node's run() blocks its thread, so it lives here, off the main event loop.
import { parentPort } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { sha256File } from './file-checksum.js';
import { ModelError } from './model-errors.js';
import { checkGraphAgainstManifest, checkOutputDims } from './model-graph-check.js';
import { normalisePixels } from './pixel-normalise.js';
import type { EncoderRequest, EncoderReply, LoadRequest, PrepDelivery, PrepRecycle } from './encoder-messages.js';
import type { MessagePort } from 'node:worker_threads';
import type { ProviderName } from './execution-providers.js';

if (!parentPort) throw new Error('encoder-worker must run as a worker thread');
const port = parentPort;

let session: ort.InferenceSession | undefined;
let manifest: LoadRequest['manifest'] | undefined;
let maxRunBatch = 0;
let inputBuffer: Float32Array<ArrayBuffer> = new Float32Array(0);
/** Where prepared tensors come from (patch-prep-worker), once the session has started one. */
let prepPort: MessagePort | undefined;

function reply(msg: EncoderReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function errorReply(id: number, err: unknown): EncoderReply {
  if (err instanceof ModelError) return { type: 'error', id, code: err.code, message: err.message };
  return { type: 'error', id, code: 'inference-failed', message: (err as Error)?.message ?? String(err) };
}

function sessionOptions(provider: ProviderName, threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Idle intra-op threads sleep instead of spinning: the cores are shared with patch decoding (and, on a
    // laptop, with everything else); spinning threads steal the CPU the next batch's pixels need.
    extra: { session: { intra_op: { allow_spinning: process.env.TESSERA_ORT_SPIN ?? '0' } } },
  };
}

async function load(req: LoadRequest): Promise<void> {
  const m = req.manifest;
  const actual = await sha256File(req.onnxPath).catch((err: Error) => {
    throw new ModelError('not-found', `model ${m.id}: cannot read ${req.onnxPath}: ${err.message}`);
  });
  if (actual !== m.sha256) {
    throw new ModelError('checksum-mismatch', `model ${m.id}: ${req.onnxPath} has SHA-256 ${actual}, the manifest says ${m.sha256} (file damaged or replaced)`);
  }
  if (m.externalData) {
    const dataPath = join(dirname(req.onnxPath), m.externalData.file);
    const data = await sha256File(dataPath).catch((err: Error) => {
      throw new ModelError('not-found', `model ${m.id}: cannot read its weights ${dataPath}: ${err.message}`);
    });
    if (data !== m.externalData.sha256) {
      throw new ModelError('checksum-mismatch', `model ${m.id}: ${dataPath} has SHA-256 ${data}, the manifest says ${m.externalData.sha256} (file damaged or replaced)`);
    }
  }
  const notices: string[] = [];
  for (const provider of req.providers) {
    let s: ort.InferenceSession;
    try {
      s = await ort.InferenceSession.create(req.onnxPath, sessionOptions(provider, req.threads));
    } catch (err) {
      const why = firstLine(err);
      if (provider === 'cpu') throw new ModelError('onnx-invalid', `model ${m.id}: onnxruntime cannot load ${req.onnxPath}: ${why}`);
      notices.push(`${provider} unavailable (${why}); falling back`);
      continue;
    }
    try {
      checkGraphAgainstManifest(s.inputMetadata, s.outputMetadata, m);
      const out = await s.run({
        [m.input.name]: new ort.Tensor('float32', new Float32Array(3 * m.input.size ** 2), [1, 3, m.input.size, m.input.size]),
      });
      const y = out[m.output.name];
      checkOutputDims(y.dims, 1, m);
    } catch (err) {
      await s.release().catch(() => {});
      if (err instanceof ModelError || provider === 'cpu') {
        throw err instanceof ModelError ? err : new ModelError('inference-failed', `model ${m.id}: test inference failed: ${firstLine(err)}`);
      }
      notices.push(`${provider} failed a test inference (${firstLine(err)}); falling back`);
      continue;
    }
    await session?.release().catch(() => {});
    session = s;
    manifest = m;
    maxRunBatch = req.maxRunBatch;
    reply({ type: 'loaded', id: req.id, provider, notices });
    return;
  }
  throw new ModelError('onnx-invalid', `model ${m.id}: no execution provider could run it`);
}

/** The useful sentence of an onnxruntime error ("Failed to get a WebGPU adapter: …"), without source paths. */
function firstLine(err: unknown): string {
  const line = String((err as Error)?.message ?? err).split('\n')[0];
  const useful = line.match(/(?:Failed|Error|error|Could not|cannot)[^]*$/);
  return (useful ? useful[0] : line).slice(0, 200);
}

// One request at a time: run() yields (setImmediate) before computing, and batches share the input buffer.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: EncoderRequest) => {
  if (req.type === 'prep-port') {
    prepPort = req.port;
    req.port.on('message', (d: PrepDelivery) => {
      queue = queue.then(() => handlePrepared(d));
    });
    return;
  }
  queue = queue.then(() => handle(req));
});

/**
 * Runs `count` patches of normalised input through the model, in chunks of at most `maxRunBatch` (small
 * graphs such as the built-in encoder run faster per patch on batches that stay in cache). Returns its own
 * (transferable) [count × dim] features.
 */
async function infer(input: Float32Array, count: number): Promise<Float32Array<ArrayBuffer>> {
  if (!session || !manifest) throw new ModelError('not-found', 'no model loaded');
  const s = session;
  const m = manifest;
  const per = 3 * m.input.size * m.input.size;
  const features = new Float32Array(count * m.output.dim);
  const step = maxRunBatch > 0 ? maxRunBatch : count;
  for (let at = 0; at < count; at += step) {
    const k = Math.min(step, count - at);
    const out = (await s.run({
      [m.input.name]: new ort.Tensor('float32', input.subarray(at * per, (at + k) * per), [k, 3, m.input.size, m.input.size]),
    }))[m.output.name];
    checkOutputDims(out.dims, k, m);
    features.set(out.data as Float32Array, at * m.output.dim);
  }
  return features;
}

async function handlePrepared(d: PrepDelivery): Promise<void> {
  if (d.type === 'prep-error') {
    reply({ type: 'error', id: d.id, code: 'inference-failed', message: d.message, ...(d.slideCode ? { slideCode: d.slideCode } : {}) });
    return;
  }
  try {
    const features = await infer(new Float32Array(d.tensor, 0, d.count * 3 * manifest!.input.size ** 2), d.count);
    reply({ type: 'embedded', id: d.id, features: features.buffer }, [features.buffer]);
  } catch (err) {
    reply(errorReply(d.id, err));
  } finally {
    const back: PrepRecycle = { type: 'recycle', tensor: d.tensor };
    prepPort?.postMessage(back, [d.tensor]);
  }
}

async function handle(req: EncoderRequest): Promise<void> {
  try {
    if (req.type === 'load') {
      await load(req);
    } else if (req.type === 'embed') {
      if (!session || !manifest) throw new ModelError('not-found', 'no model loaded');
      const m = manifest;
      const input = normalisePixels(new Uint8Array(req.pixels), req.count, m.input, ensureInput(req.count, m));
      const features = await infer(input, req.count);
      reply({ type: 'embedded', id: req.id, features: features.buffer, pixels: req.pixels }, [features.buffer, req.pixels]);
    } else if (req.type === 'close') {
      await session?.release().catch(() => {});
      session = undefined;
      reply({ type: 'closed', id: req.id });
      prepPort?.close();
      port.close();
    }
  } catch (err) {
    reply(errorReply(req.id, err));
  }
}

function ensureInput(n: number, m: LoadRequest["manifest"]): Float32Array<ArrayBuffer> {
  const need = n * 3 * m.input.size * m.input.size;
  if (inputBuffer.length < need) inputBuffer = new Float32Array(need);
  return inputBuffer.subarray(0, need);
}
