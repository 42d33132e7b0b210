// Slides + annotation files → a probe file: embeds the annotated regions, labels patches, fits off-thread.
import { basename } from 'node:path';
import { withClasses } from '../annotations/annotation-classes.js';
import type { Annotation, AnnotationClass } from '../annotations/annotation-model.js';
import { geometryBounds, isAreal } from '../annotations/geometry.js';
import { readAnnotationFile } from '../annotations/read-annotation-file.js';
import { assembleFeatures } from './assemble-features.js';
import { fitProbeInWorker } from './fit-probe-in-worker.js';
import { probeFileFrom, type ProbeFile } from './probe-file.js';
import type { SlideEmbedder, SlideEmbeddingProgress } from './slide-embeddings.js';
import { buildTrainingSet, type AnnotatedSlide } from './training-set.js';

export type TrainingInput =
  | { slidePath: string; annotationsPath: string }
  | { slidePath: string; annotations: readonly Annotation[]; classes: readonly AnnotationClass[]; source?: string };

export interface TrainFromSlidesOptions {
  /** Where embeddings come from: an EncoderSlideEmbedder (the EmbeddingService and its cache). */
  embedder: SlideEmbedder;
  /** Each slide with its annotations: a QuPath GeoJSON / ASAP XML file, or (the app) the annotations themselves. */
  inputs: TrainingInput[];
  modelId?: string;
  mpps: number[];
  folds?: number;
  l2?: number;
  /** Patch px between patch origins (at each grid's mpp); default half the patch (the embedder's default). */
  stride?: number;
  log?: (line: string) => void;
  /** Embedding progress of each slide (patches under its annotations, cache hits included). */
  onProgress?: (slidePath: string, p: SlideEmbeddingProgress) => void;
  signal?: AbortSignal;
}

export async function trainProbeFromSlides(o: TrainFromSlidesOptions): Promise<ProbeFile> {
  const log = o.log ?? (() => {});
  const slides: AnnotatedSlide[] = [];
  let classes: AnnotationClass[] = [];
  let encoder: ProbeFile['encoder'] | null = null;
  const warnings: string[] = [];
  const slideNames: Record<string, string> = {};
  let stride: number | undefined;
  for (const input of o.inputs) {
    const { slidePath } = input;
    const annotationsPath = 'annotationsPath' in input ? input.annotationsPath : (input.source ?? `the annotations of ${basename(slidePath)}`);
    const imported = 'annotationsPath' in input ? await readAnnotationFile(input.annotationsPath) : { annotations: [...input.annotations], classes: [...input.classes], warnings: [] };
    warnings.push(...imported.warnings.map((w) => `${basename(annotationsPath)}: ${w}`));
    classes = withClasses(classes, imported.classes);
    const regions = imported.annotations.filter((a) => isAreal(a.geometry)).map((a) => {
      const b = geometryBounds(a.geometry);
      return { x: b.minX, y: b.minY, width: b.maxX - b.minX, height: b.maxY - b.minY };
    });
    if (regions.length === 0) throw new Error(`${annotationsPath} has no area annotations (polygons or rectangles) to train on`);
    log(`${basename(slidePath)}: embedding ${regions.length} annotated regions at ${o.mpps.join(', ')} µm/px`);
    const e = await o.embedder.embed({ slidePath, modelId: o.modelId ?? encoder?.modelId, mpps: o.mpps, regions, stride: o.stride, signal: o.signal, onProgress: o.onProgress && ((p) => o.onProgress!(slidePath, p)) });
    slideNames[e.slideFingerprint] = basename(slidePath);
    const g = e.sets[0]?.grid;
    if (g) stride = Math.round(((g.level0Stride ?? g.level0Size) * g.patchSize) / g.level0Size);
    if (encoder && e.encoder.modelId !== encoder.modelId) throw new Error(`${slidePath} was embedded with ${e.encoder.modelId}, the others with ${encoder.modelId}`);
    encoder = e.encoder;
    slides.push({ features: assembleFeatures(e.sets), annotations: imported.annotations });
  }
  const set = buildTrainingSet(slides, classes.map((c) => c.name).filter((name) => slides.some((s) => s.annotations.some((a) => a.className === name && isAreal(a.geometry)))));
  log(`training on ${set.n} patches: ${set.classNames.map((c, k) => `${c} ${set.perClassCount[k]}`).join(', ')}`);
  const fitted = await fitProbeInWorker({ x: set.x, n: set.n, dim: set.dim, labels: set.labels, groups: set.groups, classNames: set.classNames }, { folds: o.folds, l2: o.l2 });
  return probeFileFrom(fitted, {
    encoder: encoder!,
    magnifications: set.magnifications,
    classes: set.classNames.map((name) => classes.find((c) => c.name === name)!),
    perClassCount: set.perClassCount,
    regions: set.regions.filter((r) => r.patches > 0),
    warnings: [...warnings, ...set.warnings],
    slideNames,
    stride,
  });
}
