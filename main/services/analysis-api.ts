// The analysis methods of the contract over the AnalysisService: parameters off the wire go straight to
// the service, which checks them.
import type { TesseraApi } from '../contracts/tessera-api.js';
import type { AnalysisService } from './analysis-service.js';
import { ApiError } from './api-error.js';
import { paramsObjectSchema, readParam, trimmedStringSchema } from '../common/schemas/api-params.js';

export type AnalysisMethod =
  | 'getAnnotations'
  | 'addAnnotation'
  | 'addAnnotations'
  | 'updateAnnotation'
  | 'deleteAnnotations'
  | 'undoAnnotations'
  | 'redoAnnotations'
  | 'setAnnotationClass'
  | 'editAnnotationClass'
  | 'importAnnotations'
  | 'exportAnnotations'
  | 'getEncoderStatus'
  | 'setViewport'
  | 'embedAllTissue'
  | 'cancelEmbedAllTissue'
  | 'listModels'
  | 'proposeModelManifest'
  | 'inspectModelCheckpoint'
  | 'importModel'
  | 'selectModel'
  | 'trainProbe'
  | 'listProbes'
  | 'loadProbe'
  | 'getActiveProbe'
  | 'setActiveProbe'
  | 'getHeatmap'
  | 'getHeatmapUpdate'
  | 'exportHeatmap'
  | 'findSimilar'
  | 'regionImage'
  | 'suggestLabels'
  | 'dismissSuggestion';

type Params = Record<string, unknown>;
const invalidArgument = (message: string) => new ApiError('invalid-argument', message);
const obj = (p: unknown): Params => readParam(paramsObjectSchema, p, '', invalidArgument);
const path = (p: Params): string => readParam(trimmedStringSchema, p.path, 'path', invalidArgument);

export function createAnalysisApi(analysis: AnalysisService): Pick<TesseraApi, AnalysisMethod> {
  const annotations = (p: unknown) => analysis.annotations(obj(p).slideId);
  return {
    async getAnnotations(p) {
      return (await annotations(p)).snapshot();
    },
    async addAnnotation(p) {
      return (await annotations(p)).add(obj(p).className, obj(p).geometry);
    },
    async addAnnotations(p) {
      const o = obj(p);
      return (await annotations(p)).addMany(o.className, o.geometries);
    },
    async updateAnnotation(p) {
      const o = obj(p);
      return (await annotations(p)).update(o.id, o.geometry, o.className, { name: o.name, note: o.note });
    },
    async deleteAnnotations(p) {
      return (await annotations(p)).remove(obj(p).ids);
    },
    async undoAnnotations(p) {
      return (await annotations(p)).undo();
    },
    async redoAnnotations(p) {
      return (await annotations(p)).redo();
    },
    async setAnnotationClass(p) {
      const o = obj(p);
      return (await annotations(p)).setClass(o.name, o.colour);
    },
    async editAnnotationClass(p) {
      return (await annotations(p)).editClass(obj(p));
    },
    async importAnnotations(p) {
      return (await annotations(p)).import(path(obj(p)), obj(p).mode ?? 'merge');
    },
    async exportAnnotations(p) {
      const o = obj(p);
      return (await annotations(p)).export(path(o), o.overwrite === true);
    },
    getEncoderStatus() {
      return analysis.encoderStatus();
    },
    setViewport(p) {
      const o = obj(p);
      return analysis.setViewport(o.slideId, o.rect, o.mpps);
    },
    embedAllTissue(p) {
      return analysis.embedAllTissue(obj(p));
    },
    cancelEmbedAllTissue(p) {
      return analysis.cancelEmbedAllTissue(obj(p).slideId);
    },
    listModels() {
      return analysis.listModels();
    },
    proposeModelManifest(p) {
      return analysis.proposeModelManifest(obj(p).path);
    },
    inspectModelCheckpoint(p) {
      return analysis.inspectModelCheckpoint(obj(p));
    },
    importModel(p) {
      return analysis.importModel(obj(p));
    },
    selectModel(p) {
      return analysis.selectModel(obj(p).id);
    },
    trainProbe(p) {
      return analysis.trainProbe(obj(p));
    },
    listProbes() {
      return analysis.listProbes();
    },
    loadProbe(p) {
      return analysis.loadProbe(obj(p).path);
    },
    async getActiveProbe(p) {
      return analysis.getActiveProbe(obj(p).slideId);
    },
    setActiveProbe(p) {
      return analysis.setActiveProbe(obj(p));
    },
    getHeatmap(p) {
      return analysis.heatmap(obj(p));
    },
    getHeatmapUpdate(p) {
      return analysis.heatmapUpdate(obj(p));
    },
    exportHeatmap(p) {
      return analysis.exportHeatmap(obj(p));
    },
    findSimilar(p) {
      return analysis.findSimilar(obj(p));
    },
    regionImage(p) {
      return analysis.regionImage(obj(p));
    },
    suggestLabels(p) {
      return analysis.suggestLabels(obj(p));
    },
    async dismissSuggestion(p) {
      return analysis.dismissSuggestion(obj(p));
    },
  };
}
