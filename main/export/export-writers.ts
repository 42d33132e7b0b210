// One writer per export format of the list (main/common/export-formats.ts): `satisfies Record<ExportFormatId, …>`
// makes a format added to the list without a writer a compile error. Each turns the scored patches into the
// file's bytes; export-heatmap.ts picks the writer and writes the file.
import type { ExportFormatId } from '../common/export-formats.js';
import { refineRaster, type ProbabilityRaster } from '../heatmap/probability-raster.js';
import type { HeatmapExportOptions } from './export-heatmap.js';
import { heatmapOverlayPng, heatmapPng, heatmapTiff, imageSize } from './heatmap-image.js';
import { patchCsv } from './patch-csv.js';
import { probeReportHtml } from './probe-report-html.js';
import { regionsGeoJson } from './regions-geojson.js';

/** Longest side of the report's thumbnail, px. */
export const REPORT_THUMBNAIL_SIZE = 800;

/** Sub-cells per patch-grid cell the regions are outlined on (smooth between patch centres, cut to tissue). */
export const regionRefinement = 4;

/** The options with the choices export-heatmap.ts settles: the class drawn, the downsample, the raster. */
export interface ExportInput extends HeatmapExportOptions {
  className: string;
  downsample: number;
  /** The class's probability raster on the patch grid (built only by writers that draw it). */
  raster: () => ProbabilityRaster;
}

export type ExportWriter = (o: ExportInput) => Promise<string | Uint8Array>;

export const exportWriters = {
  async png(o) {
    if (!o.overlay) return heatmapPng(o.raster(), o.slide, o.downsample, { colourMap: o.colourMap, threshold: o.threshold, tissue: o.tissue, smooth: !o.patches });
    if (!o.slideImage) throw new Error('a heatmap over the slide needs the slide image');
    const { width, height } = imageSize(o.slide, o.downsample);
    return heatmapOverlayPng(o.raster(), o.slide, o.downsample, await o.slideImage(width, height), {
      colourMap: o.colourMap,
      threshold: o.threshold,
      tissue: o.tissue,
      smooth: !o.patches,
      legendTitle: o.className,
    });
  },
  async tiff(o) {
    return heatmapTiff(o.raster(), o.slide, o.downsample, { colourMap: o.colourMap, threshold: o.threshold, tissue: o.tissue, smooth: !o.patches });
  },
  async geojson(o) {
    const colour = o.probe.classes.find((c) => c.name === o.className)?.colour ?? [200, 0, 0];
    return `${JSON.stringify(regionsGeoJson(refineRaster(o.raster(), regionRefinement, o.tissue), o.threshold ?? 0.5, colour))}\n`;
  },
  async csv(o) {
    return patchCsv(o.slideName, o.probabilities);
  },
  async html(o) {
    let thumbnailPng: Buffer | undefined;
    if (o.slideImage && o.probabilities.n > 0) {
      const ds = Math.max(1, o.slide.width / REPORT_THUMBNAIL_SIZE, o.slide.height / REPORT_THUMBNAIL_SIZE);
      const { width, height } = imageSize(o.slide, ds);
      thumbnailPng = await heatmapOverlayPng(o.raster(), o.slide, ds, await o.slideImage(width, height), {
        colourMap: o.colourMap,
        tissue: o.tissue,
        legendTitle: o.className,
      });
    }
    return probeReportHtml(o.probe, `Probe report — ${o.slideName}`, {
      assumptions: o.assumptions,
      thumbnailPng,
      threshold: o.threshold,
      className: o.className,
      regions: o.regions,
    });
  },
} satisfies Record<ExportFormatId, ExportWriter>;
