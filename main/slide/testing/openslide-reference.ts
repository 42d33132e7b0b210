// Test helper: what OpenSlide 3.4.1 (Debian's python3-openslide) makes of a file, for fidelity tests of
// generated fixtures: detected vendor, geometry, properties, associated images, and region crops as PNGs.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { join } from 'node:path';

/** Debian's interpreter, whose dist-packages hold python3-openslide (a pyenv python3 may not). */
const PYTHON = process.env.TESSERA_OPENSLIDE_PYTHON ?? '/usr/bin/python3';

let available: boolean | undefined;

/** A skip reason when python3-openslide is missing, else false. */
export function skipWithoutOpenSlide(): string | false {
  available ??= spawnSync(PYTHON, ['-c', 'import openslide'], { encoding: 'utf8' }).status === 0;
  return available ? false : `OpenSlide for Python is not installed (apt-get install python3-openslide; ${PYTHON})`;
}

export interface RegionSpec {
  level: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface OpenSlideReference {
  version: string;
  /** OpenSlide.detect_format: the vendor, or null when OpenSlide does not recognise the file. */
  detected: string | null;
  /** Set when OpenSlide could not open the file. */
  error?: string;
  level_dimensions: [number, number][];
  level_downsamples: number[];
  properties: Record<string, string>;
  associated_images: Record<string, [number, number]>;
}

const SCRIPT = String.raw`
import json, sys, openslide
path, out, regions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ref = {'version': openslide.__library_version__, 'detected': openslide.OpenSlide.detect_format(path)}
try:
    s = openslide.OpenSlide(path)
except Exception as e:
    ref['error'] = str(e)
    print(json.dumps(ref)); sys.exit(0)
ref['level_dimensions'] = [list(d) for d in s.level_dimensions]
ref['level_downsamples'] = list(s.level_downsamples)
ref['properties'] = dict(s.properties)
ref['associated_images'] = {k: list(v.size) for k, v in s.associated_images.items()}
for i, r in enumerate(regions):
    s.read_region((r['x'], r['y']), r['level'], (r['w'], r['h'])).save('%s/region-%d.png' % (out, i))
for k, v in s.associated_images.items():
    v.convert('RGBA').save('%s/associated-%s.png' % (out, k))
print(json.dumps(ref))
`;

/** Runs OpenSlide on `path`; crops land in `outDir` as region-<i>.png, associated images as associated-<name>.png. */
export function openSlideReference(path: string, regions: RegionSpec[], outDir: string): OpenSlideReference {
  const run = spawnSync(PYTHON, ['-c', SCRIPT, path, outDir, JSON.stringify(regions)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`OpenSlide reference run failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as OpenSlideReference;
}

export const regionPng = (outDir: string, i: number): string => join(outDir, `region-${i}.png`);
export const associatedPng = (outDir: string, name: string): string => join(outDir, `associated-${name}.png`);

/** Asserts `slide` has OpenSlide's vendor, level sizes and downsamples, exactly its properties (same keys,
 * same values) and its associated images' names and sizes. */
export function assertSameMetadataAsOpenSlide(
  slide: Pick<import('../slide-reader.js').SlideReader, 'vendor' | 'levels' | 'properties' | 'associatedImages'>,
  ref: OpenSlideReference,
  vendor: string,
): void {
  assert.equal(slide.vendor, vendor);
  assert.deepEqual(
    slide.levels.map((l) => [l.width, l.height]),
    ref.level_dimensions,
  );
  assert.deepEqual(
    slide.levels.map((l) => l.downsample),
    ref.level_downsamples,
  );
  assert.deepEqual([...Object.keys(slide.properties)].sort(), Object.keys(ref.properties).sort());
  for (const [key, value] of Object.entries(ref.properties))
    assert.equal(slide.properties[key], value, `property ${key}`);
  assert.deepEqual(
    Object.fromEntries(slide.associatedImages.map((a) => [a.name, [a.width, a.height]])),
    ref.associated_images,
  );
}
