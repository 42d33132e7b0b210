// The saved form of a slide's annotations: versioned JSON, one file per slide fingerprint.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { tesseraDataDir } from '../common/data-dir.js';
import { annotationDocumentSchema, annotationFileVersion, annotationFormat } from '../common/schemas/annotation.js';
import { parseOr } from '../common/schemas/issues.js';
import type { AnnotationDocument } from './annotation-model.js';

export { annotationFileVersion };

export function annotationFilePath(slideFingerprint: string, dataDir = tesseraDataDir()): string {
  if (!/^[A-Za-z0-9._-]+$/.test(slideFingerprint)) throw new Error(`slide fingerprint ${JSON.stringify(slideFingerprint)} is not a safe file name`);
  return join(dataDir, 'annotations', `${slideFingerprint}.json`);
}

export function serialiseDocument(doc: AnnotationDocument): string {
  return JSON.stringify({ format: annotationFormat, version: annotationFileVersion, ...doc });
}

export function parseDocument(text: string, source = 'annotation file'): AnnotationDocument {
  const raw = JSON.parse(text) as Record<string, unknown> | null;
  // Format and version first, in words of their own: a foreign or newer file is not "malformed".
  if (raw?.format !== annotationFormat) throw new Error(`${source} is not a Tessera annotation file`);
  if (raw.version !== annotationFileVersion) throw new Error(`${source} has version ${String(raw.version)}; this Tessera reads version ${annotationFileVersion}`);
  return parseOr(annotationDocumentSchema, raw, (message) => new Error(`${source}: ${message}`));
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
