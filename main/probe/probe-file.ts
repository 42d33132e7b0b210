// The probe file: a self-describing JSON a pathologist can share; refuses to be applied to another encoder.
// Its shape is one schema (main/common/schemas/probe-file.ts); a file that does not fit is a ProbeFileError
// naming the field, e.g. `probe.json: standardisation.std[3] must be a finite number`.
import { readFile } from 'node:fs/promises';
import type * as v from 'valibot';
import { writeFileAtomic } from '../common/atomic-write.js';
import { parseOr } from '../common/schemas/issues.js';
import { probeEncoderSchema, probeFileSchema, probeFormat, probeVersion, type ProbeFileOutput } from '../common/schemas/probe-file.js';
import type { AnnotationClass } from '../annotations/annotation-model.js';
import type { FittedProbe } from './fit-probe.js';
import type { LogisticRegressionModel } from './logistic-regression.js';
import type { Standardisation } from './standardise.js';

export { probeFormat, probeVersion };

/** What a probe reads: the encoder model and the SHA-256 of its weights (same id, other weights is another encoder). */
export type ProbeEncoder = v.InferOutput<typeof probeEncoderSchema>;

/** The file's fields, as its schema (main/common/schemas/probe-file.ts) reads them. */
export type ProbeFile = ProbeFileOutput;

export function probeFileFrom(
  fitted: FittedProbe,
  info: {
    encoder: ProbeEncoder;
    magnifications: number[];
    classes: AnnotationClass[];
    perClassCount: number[];
    regions: { slideFingerprint: string; annotationId: string }[];
    warnings: string[];
    /** File name of each training slide, by fingerprint. */
    slideNames?: Record<string, string>;
    stride?: number;
  },
): ProbeFile {
  const { model, standardisation: s } = fitted;
  const slides = new Map<string, string[]>();
  for (const r of info.regions) (slides.get(r.slideFingerprint) ?? slides.set(r.slideFingerprint, []).get(r.slideFingerprint)!).push(r.annotationId);
  return {
    format: probeFormat,
    version: probeVersion,
    encoder: info.encoder,
    magnifications: info.magnifications,
    dim: model.dim,
    classes: info.classes,
    standardisation: { mean: Array.from(s.mean), std: Array.from(s.std) },
    weights: info.classes.map((_, k) => Array.from(model.weights.subarray(k * model.dim, (k + 1) * model.dim))),
    bias: Array.from(model.bias),
    l2: fitted.l2,
    metrics: { crossValidation: fitted.crossValidation, perClassCount: info.perClassCount },
    training: {
      slides: [...slides].map(([slideFingerprint, annotationIds]) => ({
        slideFingerprint,
        annotationIds,
        ...(info.slideNames?.[slideFingerprint] ? { name: info.slideNames[slideFingerprint] } : {}),
      })),
      ...(info.stride !== undefined ? { stride: info.stride } : {}),
      patchCount: info.perClassCount.reduce((a, b) => a + b, 0),
      createdAt: new Date().toISOString(),
      warnings: [...info.warnings, ...fitted.warnings],
    },
  };
}

export class ProbeFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeFileError';
  }
}

export function parseProbeFile(text: string, source = 'probe file'): ProbeFile {
  let raw: { format?: unknown; version?: unknown } | null;
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (err) {
    throw new ProbeFileError(`${source} is not JSON (${(err as Error).message})`);
  }
  // Format and version first, in words of their own: a foreign or newer file is not "malformed".
  if (raw?.format !== probeFormat) throw new ProbeFileError(`${source} is not a Tessera probe`);
  if (raw.version !== probeVersion) throw new ProbeFileError(`${source} has probe version ${String(raw.version)}; this Tessera reads ${probeVersion}`);
  return parseOr(probeFileSchema, raw, (message) => new ProbeFileError(`${source}: ${message}`));
}

export async function readProbeFile(path: string): Promise<ProbeFile> {
  return parseProbeFile(await readFile(path, 'utf8'), path);
}

/** Writes the probe, after checking that the file will read back (a NaN weight would be written as null). */
export async function writeProbeFile(path: string, probe: ProbeFile, options: { overwrite?: boolean } = {}): Promise<void> {
  const text = `${JSON.stringify(probe, null, 1)}\n`;
  parseOr(probeFileSchema, JSON.parse(text), (message) => new ProbeFileError(`the probe cannot be saved as ${path}: ${message}`));
  await writeFileAtomic(path, text, { overwrite: options.overwrite ?? false });
}

export function probeModel(p: ProbeFile): { model: LogisticRegressionModel; standardisation: Standardisation } {
  const K = p.classes.length;
  const weights = new Float64Array(K * p.dim);
  p.weights.forEach((w, k) => weights.set(w, k * p.dim));
  return {
    model: { classCount: K, dim: p.dim, weights, bias: Float64Array.from(p.bias) },
    standardisation: { mean: Float64Array.from(p.standardisation.mean), std: Float64Array.from(p.standardisation.std) },
  };
}
