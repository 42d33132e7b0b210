// One entry for every heatmap export, chosen by the output's extension (.png .tif .geojson .csv .html):
// the format list (main/common/export-formats.ts) picks the format, export-writers.ts draws it.
import type { ColourMapName } from '../heatmap/colour-maps.js';
import type { TissueMask } from '../encoder/tissue-mask.js';
import { probabilityRaster } from '../heatmap/probability-raster.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';
import type { ProbeFile } from '../probe/probe-file.js';
import type { SlideFrame, SlidePicture } from './heatmap-image.js';
import type { ReportRegion } from './probe-report-html.js';
import { checkExportTarget } from '../common/export-target.js';
import { exportWriters } from './export-writers.js';
import { exportFormatFor, writeExport, type ExportFormat } from './write-export.js';

export interface HeatmapExportOptions {
  slideName: string;
  slide: SlideFrame;
  probe: ProbeFile;
  probabilities: PatchProbabilities;
  /** The class drawn / outlined; default Tumour (or Tumor) when the probe has it, else its first class. */
  className?: string;
  colourMap?: ColourMapName;
  /** PNG/TIFF: cells below are transparent (default 0: everything scored). GeoJSON: region level (default 0.5). */
  threshold?: number;
  /** Level-0 px per image px for PNG/TIFF; default: one image pixel per 1/4 patch, at least 1. */
  downsample?: number;
  /** The slide's tissue mask: PNG/TIFF never colour glass, and regions end at the tissue's edge. */
  tissue?: TissueMask;
  /** PNG/TIFF: one flat block per patch instead of smooth (bilinear between patch centres, the default). */
  patches?: boolean;
  /** Values the analysis assumed (pixel size, a probe from another slide, a model's magnification): said in the report. */
  assumptions?: string[];
  overwrite?: boolean;
  /** PNG: the heatmap over the slide with a legend and scale bar ("heatmap over slide"), not the bare raster. */
  overlay?: boolean;
  /**
   * The whole slide's pixels at about `width`×`height` (scaled to fit): the tissue under an overlay PNG and
   * the report's thumbnail. Without it an overlay fails and the report has no thumbnail.
   */
  slideImage?: (width: number, height: number) => Promise<SlidePicture>;
  /** HTML: the training regions, listed by name. */
  regions?: readonly ReportRegion[];
}

export { REPORT_THUMBNAIL_SIZE, regionRefinement } from './export-writers.js';

export function defaultClassName(classNames: readonly string[]): string {
  return classNames.find((c) => /^tumou?r$/i.test(c)) ?? classNames[0];
}

/** Writes the export `path`'s extension asks for; returns the format's short name ('tif' for TIFF). */
export async function exportHeatmap(path: string, o: HeatmapExportOptions): Promise<ExportFormat> {
  const format = exportFormatFor(path);
  await checkExportTarget(path); // before drawing anything; writeExport checks again
  const className = o.className ?? defaultClassName(o.probabilities.classNames);
  const downsample = o.downsample ?? Math.max(1, o.probabilities.level0Size / 4);
  const data = await exportWriters[format.id]({ ...o, className, downsample, raster: () => probabilityRaster(o.probabilities, className, o.slide) });
  await writeExport(path, data, { overwrite: o.overwrite });
  return format.extensions[0];
}
