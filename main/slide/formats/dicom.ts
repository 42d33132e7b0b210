// DICOM VL Whole Slide Microscopy (OpenSlide's openslide-vendor-dicom.c): a slide is a series of
// instances, usually one .dcm file per pyramid level, in one folder. Opening a folder or any one file
// of the series gathers the instances with the same Series Instance UID from that folder
// (`dicom/series-folder.ts`): VOLUME images are the levels (sized by TotalPixelMatrixColumns/Rows, tiled by
// Columns/Rows, frames read on demand from the encapsulated pixel data: `dicom/dicom-level.ts`), LABEL and
// OVERVIEW images are the `label` and `macro` associated images. Only headers are parsed at open
// (`dicom/wsi-instance.ts`); frames are read when a tile is asked for.
import { dirname } from 'node:path';
import { isDicomFile } from '../dicom/dicom-dataset.js';
import { dicomLevel } from '../dicom/dicom-level.js';
import { endsWithDelimiter, frameReader } from '../dicom/frame-reader.js';
import { listFiles, readFolder } from '../dicom/series-folder.js';
import { checkInstance, readInstance, type Instance } from '../dicom/wsi-instance.js';
import { dicomProperties, objectivePower, pixelSpacingMpp } from '../dicom/wsi-properties.js';
import { WsiTag, WSI_SOP_CLASS } from '../dicom/wsi-tags.js';
import { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { associatedImageOfLevel, TiledSlide, type AssociatedImageSource } from '../tiled-slide.js';

export { WSI_SOP_CLASS } from '../dicom/wsi-tags.js';

export const dicom: SlideFormat = {
  name: 'dicom',

  async detect(source: FileSource): Promise<boolean> {
    return isDicomFile(source);
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const primary = await readInstance(source);
    if (primary.sopClass !== WSI_SOP_CLASS) {
      throw new SlideError(
        'unsupported-format',
        `${source.path} is a DICOM file but not a whole-slide image (SOP class ${primary.sopClass || 'missing'}, not VL Whole Slide Microscopy)`,
      );
    }
    const siblings = await readFolder(dirname(source.path), new Set([source.path]), primary.seriesUid).catch(async (err: unknown) => {
      await source.close().catch(() => undefined);
      throw err;
    });
    return assemble([primary, ...siblings], options);
  },

  async detectDirectory(path: string): Promise<boolean> {
    for (const file of await listFiles(path)) {
      let source: FileSource | null = null;
      try {
        source = await FileSource.open(file);
        if (await isDicomFile(source)) return true;
      } catch {
        // Unreadable entries are not slides.
      } finally {
        await source?.close().catch(() => undefined);
      }
    }
    return false;
  },

  async openDirectory(path: string, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const instances = await readFolder(path, new Set(), null);
    if (instances.length === 0) {
      throw new SlideError('unsupported-format', `${path} is a folder without any DICOM whole-slide image (.dcm) files`);
    }
    // A folder may hold several series: the slide is the one with the largest VOLUME image.
    const volumes = instances.filter((i) => i.flavor === 'VOLUME').sort((a, b) => b.width * b.height - a.width * a.height);
    const series = (volumes[0] ?? instances[0]).seriesUid;
    const chosen = instances.filter((i) => i.seriesUid === series);
    await Promise.all(instances.filter((i) => i.seriesUid !== series).map((i) => i.source.close().catch(() => undefined)));
    try {
      return await assemble(chosen, options);
    } catch (err) {
      await Promise.all(chosen.map((i) => i.source.close().catch(() => undefined)));
      throw err;
    }
  },
};

async function assemble(instances: Instance[], options: OpenSlideOptions): Promise<SlideReader> {
  const volumes = instances.filter((i) => i.flavor === 'VOLUME');
  const path = instances[0].source.path;
  if (volumes.length === 0) throw new SlideError('corrupt', `${path} belongs to a DICOM slide series without any VOLUME image`);
  // One level per distinct size; the files of a concatenation (one level split across files) share it.
  const bySize = new Map<string, Instance[]>();
  for (const v of volumes) {
    const key = `${v.width}x${v.height}`;
    bySize.set(key, [...(bySize.get(key) ?? []), v]);
  }
  const groups = [...bySize.values()].map((g) => g.sort((a, b) => a.frameOffset - b.frameOffset)).sort((a, b) => b[0].width - a[0].width);
  for (const g of groups) for (const inst of g) checkInstance(inst);
  const base = groups[0][0];
  const levels = groups.map((g) => dicomLevel(g, (base.width / g[0].width + base.height / g[0].height) / 2));

  const associated: AssociatedImageSource[] = [];
  for (const [flavor, name] of [
    ['LABEL', 'label'],
    ['OVERVIEW', 'macro'],
  ] as const) {
    const inst = instances.find((i) => i.flavor === flavor);
    if (!inst) continue;
    try {
      checkInstance(inst);
      associated.push(associatedImageOfLevel(name, dicomLevel([inst], 1)));
    } catch {
      // An associated image Tessera cannot decode is left out rather than failing the slide.
    }
  }
  // A truncated file shows at open, not at the first tile: encapsulated pixel data ends with a sequence
  // delimiter; when it does not (truncated, or trailing elements), index the frames now, which checks them.
  for (const inst of groups.flat()) {
    if (inst.header.pixelDataLength === null && !(await endsWithDelimiter(inst.source))) {
      inst.frameReader ??= frameReader(inst);
      await inst.frameReader;
    }
  }
  const used = new Set<Instance>([...groups.flat(), ...instances.filter((i) => associated.length && (i.flavor === 'LABEL' || i.flavor === 'OVERVIEW'))]);
  await Promise.all(instances.filter((i) => !used.has(i)).map((i) => i.source.close().catch(() => undefined)));

  const properties = dicomProperties(base);
  const mpp = pixelSpacingMpp(base.ds);
  const power = objectivePower(base.ds);
  if (mpp) properties['dicom.PixelSpacing'] = base.ds.item(WsiTag.SharedFunctionalGroupsSequence)?.item(WsiTag.PixelMeasuresSequence)?.string(WsiTag.PixelSpacing) ?? '';
  if (power !== null) properties['dicom.ObjectiveLensPower'] = String(power);
  return new TiledSlide(
    {
      vendor: 'dicom',
      source: base.source,
      extraSources: [...used].filter((i) => i !== base).map((i) => i.source),
      levels,
      mpp,
      objectivePower: power,
      properties,
      associated,
    },
    options,
  );
}
