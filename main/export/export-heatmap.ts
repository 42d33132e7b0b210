// One entry for every heatmap export, chosen by the output's extension (.png .tif .geojson .csv .html).
import type { ColourMapName } from '../heatmap/colour-maps.js';
import type { TissueMask } from '../encoder/tissue-mask.js';
import { probabilityRaster, refineRaster } from '../heatmap/probability-raster.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';
import type { ProbeFile } from '../probe/probe-file.js';
import { heatmapOverlayPng, heatmapPng, heatmapTiff, imageSize, type SlideFrame, type SlidePicture } from './heatmap-image.js';
import { patchCsv } from './patch-csv.js';
import { probeReportHtml, type ReportRegion } from './probe-report-html.js';
import { regionsGeoJson } from './regions-geojson.js';
import { checkExportTarget } from '../common/export-target.js';
import { exportFormatOf, writeExport, type ExportFormat } from './write-export.js';

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

/** Longest side of the report's thumbnail, px. */
export const REPORT_THUMBNAIL_SIZE = 800;

/** Sub-cells per patch-grid cell the regions are outlined on (smooth between patch centres, cut to tissue). */
export const regionRefinement = 4;

export function defaultClassName(classNames: readonly string[]): string {
  return classNames.find((c) => /^tumou?r$/i.test(c)) ?? classNames[0];
}

export async function exportHeatmap(path: string, o: HeatmapExportOptions): Promise<ExportFormat> {
  const format = exportFormatOf(path);
  await checkExportTarget(path); // before drawing anything; writeExport checks again
  const className = o.className ?? defaultClassName(o.probabilities.classNames);
  const raster = () => probabilityRaster(o.probabilities, className, o.slide);
  const downsample = o.downsample ?? Math.max(1, o.probabilities.level0Size / 4);
  let data: string | Uint8Array;
  switch (format) {
    case 'png':
      if (o.overlay) {
        if (!o.slideImage) throw new Error('a heatmap over the slide needs the slide image');
        const { width, height } = imageSize(o.slide, downsample);
        data = await heatmapOverlayPng(raster(), o.slide, downsample, await o.slideImage(width, height), {
          colourMap: o.colourMap,
          threshold: o.threshold,
          tissue: o.tissue,
          smooth: !o.patches,
          legendTitle: className,
        });
        break;
      }
      data = await heatmapPng(raster(), o.slide, downsample, { colourMap: o.colourMap, threshold: o.threshold, tissue: o.tissue, smooth: !o.patches });
      break;
    case 'tif':
      data = await heatmapTiff(raster(), o.slide, downsample, { colourMap: o.colourMap, threshold: o.threshold, tissue: o.tissue, smooth: !o.patches });
      break;
    case 'geojson': {
      const colour = o.probe.classes.find((c) => c.name === className)?.colour ?? [200, 0, 0];
      data = `${JSON.stringify(regionsGeoJson(refineRaster(raster(), regionRefinement, o.tissue), o.threshold ?? 0.5, colour))}\n`;
      break;
    }
    case 'csv':
      data = patchCsv(o.slideName, o.probabilities);
      break;
    case 'html': {
      let thumbnailPng: Buffer | undefined;
      if (o.slideImage && o.probabilities.n > 0) {
        const ds = Math.max(1, o.slide.width / REPORT_THUMBNAIL_SIZE, o.slide.height / REPORT_THUMBNAIL_SIZE);
        const { width, height } = imageSize(o.slide, ds);
        thumbnailPng = await heatmapOverlayPng(raster(), o.slide, ds, await o.slideImage(width, height), {
          colourMap: o.colourMap,
          tissue: o.tissue,
          legendTitle: className,
        });
      }
      data = probeReportHtml(o.probe, `Probe report — ${o.slideName}`, {
        assumptions: o.assumptions,
        thumbnailPng,
        threshold: o.threshold,
        className,
        regions: o.regions,
      });
      break;
    }
  }
  await writeExport(path, data, { overwrite: o.overwrite });
  return format;
}
