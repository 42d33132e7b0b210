// The export part of the analysis services: a probe's result on a slide written as a heatmap image (bare or
// over the slide), pyramidal TIFF, regions GeoJSON, per-patch CSV or the HTML report, through the same use
// case as `tessera heatmap`; with progress events, never over a file unless asked, never into a device.
import { stat } from 'node:fs/promises';
import type { ExportRequest, ExportResult } from '../contracts/analysis.js';
import { exportNameProblem } from '../common/export-formats.js';
import { exportFormatSchema, readParam } from '../common/schemas/api-params.js';
import { FileExistsError } from '../common/atomic-write.js';
import { checkExportTarget, ExportTargetError } from '../common/export-target.js';
import type { ReportRegion } from '../export/probe-report-html.js';
import type { ProbeFile } from '../probe/probe-file.js';
import { exportProbeResult } from '../usecases/export-probe-result.js';
import type { AnalysisCore, SlideState } from './analysis-core.js';
import { checkColourMap, checkPath, optionalNumber } from './analysis-params.js';
import { probeResult } from './analysis-probe-results.js';
import { ApiError } from './api-error.js';

const invalid = (message: string) => new ApiError('invalid-argument', message);

export class AnalysisExports {
  constructor(private readonly core: AnalysisCore) {}

  async exportHeatmap(req: Partial<ExportRequest>): Promise<ExportResult> {
    const { core } = this;
    const s = core.state(req.slideId);
    const format = readParam(exportFormatSchema, req.format, 'format', invalid);
    const path = checkPath(req.path);
    const problem = exportNameProblem(format, path);
    if (problem) throw invalid(problem);
    await checkExportTarget(path); // a device, FIFO or folder there: a 400 before any work
    const overwrite = req.overwrite === true;
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (!overwrite && exists) throw new ApiError('exists', `${path} already exists`, 409);
    const colourMap = checkColourMap(req.colourMap);
    const threshold = optionalNumber(req.threshold, 'threshold', 0, 1);
    const downsample = optionalNumber(req.downsample, 'downsample', 0.01, 1e6);
    const task = `export:${s.id}`;
    const label = `Exporting ${format.toUpperCase()}`;
    core.emit({ type: 'progress', task, label, done: 0, total: 2 });
    try {
      const allTissue = req.scope === 'all-tissue';
      const result = await probeResult(core, s, req.probeId, allTissue, (done, total) =>
        core.emit({ type: 'progress', task, label: `${label}: embedding tissue`, done, total: total + 1 }),
      );
      if (result.probabilities.n === 0 && format !== 'html')
        throw new ApiError('no-embeddings', 'Nothing of this slide is embedded yet: look around the slide (or export all tissue) first', 409);
      core.emit({ type: 'progress', task, label: `${label}: writing`, done: 1, total: 2 });
      await exportProbeResult(path, result.probe, result, core.embeddings.model, {
        slideName: s.name,
        className: typeof req.className === 'string' ? req.className : undefined,
        colourMap,
        threshold,
        downsample,
        patches: req.patches === true,
        overwrite,
        overlay: req.overlay === true,
        slideImage: (width, height) => core.slides.overview(s.id, width, height),
        regions: format === 'html' ? await this.trainingRegions(s, result.probe) : undefined,
      });
      return { path, format, bytes: (await stat(path)).size, patches: result.probabilities.n };
    } catch (err) {
      if (err instanceof FileExistsError) throw new ApiError('exists', `${path} already exists`, 409);
      if (err instanceof ApiError) throw err;
      if (err instanceof ExportTargetError) throw new ApiError('invalid-argument', err.message);
      throw new ApiError('export-failed', `Export failed: ${(err as Error).message}`, 500);
    } finally {
      core.emit({ type: 'progress', task, label, done: 2, total: 2 });
    }
  }

  /** The probe's training regions for its report: named from this slide's annotations where they are here. */
  private async trainingRegions(s: SlideState, probe: ProbeFile): Promise<ReportRegion[]> {
    const doc = await s.annotations.then(
      (a) => a.store.doc,
      () => null,
    );
    const byId = new Map((doc?.annotations ?? []).map((a) => [a.id, a]));
    return probe.training.slides.flatMap((t) =>
      t.annotationIds.map((id) => {
        const a = byId.get(id);
        return { id, name: a?.name?.trim() || null, className: a?.className ?? null, slideName: t.name ?? (a ? s.name : null) };
      }),
    );
  }
}
