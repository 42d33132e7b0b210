// The saved form of a slide's annotations: versioned JSON, one file per slide fingerprint.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { tesseraDataDir } from '../common/data-dir.js';
import type { AnnotationDocument } from './annotation-model.js';
import { validateAnnotation } from './validate-annotation.js';

export const annotationFileVersion = 1;

export function annotationFilePath(slideFingerprint: string, dataDir = tesseraDataDir()): string {
  if (!/^[A-Za-z0-9._-]+$/.test(slideFingerprint)) throw new Error(`slide fingerprint ${JSON.stringify(slideFingerprint)} is not a safe file name`);
  return join(dataDir, 'annotations', `${slideFingerprint}.json`);
}

export function serialiseDocument(doc: AnnotationDocument): string {
  return JSON.stringify({ format: 'tessera-annotations', version: annotationFileVersion, ...doc });
}

export function parseDocument(text: string, source = 'annotation file'): AnnotationDocument {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (raw?.format !== 'tessera-annotations') throw new Error(`${source} is not a Tessera annotation file`);
  if (raw.version !== annotationFileVersion) throw new Error(`${source} has version ${String(raw.version)}; this Tessera reads version ${annotationFileVersion}`);
  if (typeof raw.slideFingerprint !== 'string' || !Array.isArray(raw.classes) || !Array.isArray(raw.annotations)) {
    throw new Error(`${source} lacks slideFingerprint, classes or annotations`);
  }
  raw.annotations.forEach((a, i) => validateAnnotation(a, `${source}: annotation ${i}`));
  return { slideFingerprint: raw.slideFingerprint, classes: raw.classes, annotations: raw.annotations } as AnnotationDocument;
}

/** The saved document, or null when the slide has none yet. */
export async function loadDocument(path: string): Promise<AnnotationDocument | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseDocument(text, path);
}

export async function saveDocument(path: string, doc: AnnotationDocument): Promise<void> {
  await writeFileAtomic(path, serialiseDocument(doc));
}
