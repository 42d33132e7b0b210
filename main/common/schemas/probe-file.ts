// The probe file (`tessera-probe` version 1) as a schema: what main/probe/probe-file.ts reads back. The
// numbers a probe is applied with (weights, bias, standardisation) are checked in full, shapes included; the
// metrics are carried as written (an undefined AUROC is `null` in JSON), only their outline is checked.
import * as v from 'valibot';
import { annotationClassSchema } from './annotation.js';

export const probeFormat = 'tessera-probe';
export const probeVersion = 1;

const isFiniteNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
const finite = v.custom<number>(isFiniteNumber, 'must be a finite number');
const vector = v.array(finite, 'must be a list of numbers');
const positive = v.custom<number>((n) => isFiniteNumber(n) && n > 0, 'must be a positive number');
const count = v.custom<number>((n) => Number.isInteger(n) && (n as number) >= 0, 'must be a whole number ≥ 0');
const text = v.string('must be text');

/** What a probe reads: the encoder and its weights' checksum (another checksum is another encoder). */
export const probeEncoderSchema = v.object({
  modelId: v.pipe(v.string('must name the encoder model'), v.minLength(1, 'must name the encoder model')),
  checksum: v.optional(v.nullable(v.string('must be the sha256 of the encoder weights, or null')), null),
});

/** The cross-validation result and class counts; `crossValidation` is null when there were too few regions. */
export interface ProbeFileMetrics {
  crossValidation: (import('../../probe/metrics.js').ProbeMetrics & { folds: number }) | null;
  perClassCount: number[];
}

const metricsSchema = v.custom<ProbeFileMetrics>((m) => {
  const o = m as Partial<ProbeFileMetrics> | null;
  const cv = o?.crossValidation;
  return (
    typeof o === 'object' &&
    o !== null &&
    Array.isArray(o.perClassCount) &&
    o.perClassCount.every((c) => Number.isInteger(c)) &&
    (cv === null || (typeof cv === 'object' && cv !== undefined && Array.isArray(cv.perClass)))
  );
}, 'must be {crossValidation: {…, perClass} or null, perClassCount: [counts]}');

export const probeFileSchema = v.pipe(
  v.object({
    format: v.literal(probeFormat, 'is not "tessera-probe"'),
    version: v.literal(probeVersion, `must be ${probeVersion}`),
    encoder: probeEncoderSchema,
    /** The display name the app gave it (the probe library's files; absent in `tessera probe train` output). */
    name: v.optional(text),
    /** µm/px of each concatenated block, finest first (see assemble-features.ts). */
    magnifications: v.pipe(v.array(positive, 'must be a list of µm/px values'), v.minLength(1, 'must list a magnification')),
    dim: v.custom<number>((n) => Number.isInteger(n) && (n as number) >= 1, 'must be a positive whole number of features'),
    classes: v.pipe(v.array(annotationClassSchema, 'must be a list of classes'), v.minLength(2, 'must list at least 2 classes')),
    standardisation: v.object({ mean: vector, std: vector }),
    /** [K][dim] on standardised features. */
    weights: v.array(vector, 'must be a list of weight vectors'),
    bias: vector,
    l2: v.custom<number>((n) => isFiniteNumber(n) && n >= 0, 'must be a number ≥ 0'),
    metrics: metricsSchema,
    training: v.object({
      /** `name`: the slide's file name when it was trained (absent in older probe files). */
      slides: v.array(v.object({ slideFingerprint: text, annotationIds: v.array(text), name: v.optional(text) })),
      /** Patch px between patch origins of the training grid (absent in older files: the patch size). */
      stride: v.optional(positive),
      patchCount: count,
      createdAt: text,
      warnings: v.array(text),
    }),
  }),
  // The shapes agree: K classes × dim features everywhere (what applying the probe relies on).
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const p = dataset.value;
    const K = p.classes.length;
    const problem =
      p.bias.length !== K || p.weights.length !== K || p.weights.some((w) => w.length !== p.dim)
        ? `weights do not match ${K} classes × ${p.dim} features`
        : p.standardisation.mean.length !== p.dim || p.standardisation.std.length !== p.dim
          ? `standardisation does not match ${p.dim} features`
          : null;
    if (problem) addIssue({ message: problem });
  }),
);

export type ProbeFileOutput = v.InferOutput<typeof probeFileSchema>;
