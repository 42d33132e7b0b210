// Whether a probe can read the embeddings of an encoder: the one check the app (against the encoder it runs)
// and the CLI (against the probe's own encoder, loaded for it) share before any embedding work.
import { checkEncoder } from '../probe/apply-probe.js';
import { ProbeFileError, type ProbeEncoder, type ProbeFile } from '../probe/probe-file.js';

/** The app runs another encoder than the probe's: switching the encoder (or retraining) is the way out. */
export class EncoderMismatchError extends Error {
  override readonly name = 'EncoderMismatchError';
  constructor(
    readonly probeModelId: string,
    readonly currentModelId: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Throws EncoderMismatchError when `probe` was trained on another encoder id than `current`, or on the same
 * id with other weights (checksums differ): its features would mean something else.
 */
export function requireProbeEncoder(probe: ProbeFile, current: ProbeEncoder): void {
  if (probe.encoder.modelId !== current.modelId) {
    throw new EncoderMismatchError(
      probe.encoder.modelId,
      current.modelId,
      `This probe was trained on encoder "${probe.encoder.modelId}", but slides are now embedded with "${current.modelId}": switch the encoder to "${probe.encoder.modelId}" or train a new probe`,
    );
  }
  try {
    checkEncoder(probe, current.modelId, current.checksum);
  } catch (err) {
    if (err instanceof ProbeFileError) throw new EncoderMismatchError(probe.encoder.modelId, current.modelId, `This probe cannot be used here: ${err.message}`);
    throw err;
  }
}
