// The probe file: a self-describing JSON a pathologist can share; refuses to be applied to another encoder.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { AnnotationClass } from '../annotations/annotation-model.js';
import type { FittedProbe } from './fit-probe.js';
import type { LogisticRegressionModel } from './logistic-regression.js';
import type { ProbeMetrics } from './metrics.js';
import type { Standardisation } from './standardise.js';

export const probeFormat = 'tessera-probe';
export const probeVersion = 1;

export interface ProbeEncoder {
  modelId: string;
  /** SHA-256 of the encoder weights, from its manifest: same id, other weights is another encoder. */
  checksum: string | null;
}

export interface ProbeFile {
  format: typeof probeFormat;
  version: typeof probeVersion;
  encoder: ProbeEncoder;
  /** µm/px of each concatenated block, finest first (see assemble-features.ts). */
  magnifications: number[];
  dim: number;
  classes: AnnotationClass[];
  standardisation: { mean: number[]; std: number[] };
  /** [K][dim] on standardised features. */
  weights: number[][];
  bias: number[];
  l2: number;
  metrics: { crossValidation: (ProbeMetrics & { folds: number }) | null; perClassCount: number[] };
  training: {
    /** `name`: the slide's file name when it was trained (absent in older probe files). */
    slides: { slideFingerprint: string; annotationIds: string[]; name?: string }[];
    /** Patch px between patch origins of the training grid (absent in older files: the patch size). */
    stride?: number;
    patchCount: number;
    createdAt: string;
    warnings: string[];
  };
}

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
  let p: ProbeFile;
  try {
    p = JSON.parse(text) as ProbeFile;
  } catch (err) {
    throw new ProbeFileError(`${source} is not JSON (${(err as Error).message})`);
  }
  if (p?.format !== probeFormat) throw new ProbeFileError(`${source} is not a Tessera probe`);
  if (p.version !== probeVersion) throw new ProbeFileError(`${source} has probe version ${String(p.version)}; this Tessera reads ${probeVersion}`);
  const K = p.classes?.length ?? 0;
  const okVec = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (K < 2 || !okVec(p.bias, K) || !Array.isArray(p.weights) || p.weights.length !== K || !p.weights.every((w) => okVec(w, p.dim))) {
    throw new ProbeFileError(`${source}: weights do not match ${K} classes × ${p.dim} features`);
  }
  if (!okVec(p.standardisation?.mean, p.dim) || !okVec(p.standardisation?.std, p.dim)) throw new ProbeFileError(`${source}: standardisation does not match ${p.dim} features`);
  if (typeof p.encoder?.modelId !== 'string') throw new ProbeFileError(`${source}: no encoder model id`);
  return p;
}

export async function readProbeFile(path: string): Promise<ProbeFile> {
  return parseProbeFile(await readFile(path, 'utf8'), path);
}

export async function writeProbeFile(path: string, probe: ProbeFile, options: { overwrite?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(probe, null, 1)}\n`, { overwrite: options.overwrite ?? false });
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
