// The one service layer behind the contract: both transports call `dispatchApiCall` on this object.
import { ApiError, toApiError } from './api-error.js';
import type { SlideService } from './slide-service.js';
import {
  isApiMethod,
  type ApiErrorPayload,
  type AppInfo,
  type TesseraApi,
} from '../contracts/tessera-api.js';
import { appVersion } from './app-paths.js';
import { createAnalysisApi } from './analysis-api.js';
import { AnalysisService } from './analysis-service.js';
import { FileBrowser } from './file-browser.js';
import { tesseraDataDir } from '../common/data-dir.js';
import { nonEmptyStringSchema, readParam } from '../common/schemas/api-params.js';
import { join } from 'node:path';

export interface ServicesOptions {
  slides: SlideService;
  transport: AppInfo['transport'];
  /** Annotations, embeddings, probes, heatmaps; default one over `slides` with the user's data dir. */
  analysis?: AnalysisService;
  /** The file browser; default one over the user's home and `<data dir>/browse-folders.json`. */
  files?: FileBrowser;
}

function requireString(params: unknown, key: string): string {
  const value = (params as Record<string, unknown> | null | undefined)?.[key];
  return readParam(nonEmptyStringSchema, value, key, (message) => new ApiError('invalid-argument', message));
}

/** The contract implemented over the services. Parameters are checked here, since they come off the wire. */
export function createTesseraApi({ slides, transport, analysis, files }: ServicesOptions): TesseraApi {
  const analysisService = analysis ?? new AnalysisService({ slides });
  const browser = files ?? new FileBrowser({ rootsFile: join(tesseraDataDir(), 'browse-folders.json'), recent: () => slides.recent.list() });
  return {
    ...createAnalysisApi(analysisService),
    async getAppInfo() {
      return { version: appVersion, transport, platform: process.platform, exportsFolder: analysisService.exportsFolder };
    },
    async listSlides() {
      return slides.list();
    },
    async openSlide(params) {
      return slides.open(requireString(params, 'path'));
    },
    async openSampleSlide() {
      return slides.openSample();
    },
    async getSlideInfo(params) {
      return slides.info(requireString(params, 'id'));
    },
    async closeSlide(params) {
      await slides.close(requireString(params, 'id'));
    },
    async setPixelSize(params) {
      const id = requireString(params, 'slideId');
      const mpp = (params as { mpp?: unknown } | null | undefined)?.mpp;
      if (mpp !== null && typeof mpp !== 'number') throw new ApiError('invalid-argument', 'Parameter "mpp" must be a number of µm/px, or null to clear it');
      slides.info(id); // not-found before anything else
      return analysisService.setPixelSize(id, () => slides.setPixelSize(id, mpp));
    },
    async listRecentSlides() {
      return slides.recent.list();
    },
    async listFolder(params) {
      return browser.list((params as { path?: unknown } | undefined)?.path);
    },
    async addBrowseFolder(params) {
      return browser.addRoot(requireString(params, 'path'));
    },
    async removeBrowseFolder(params) {
      return browser.removeRoot(requireString(params, 'path'));
    },
  };
}

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: ApiErrorPayload; status: number };

/** Calls one contract method by name: the whole of what the IPC handler and the HTTP/WebSocket router do. */
export async function dispatchApiCall(api: TesseraApi, method: string, params: unknown): Promise<DispatchResult> {
  if (!isApiMethod(method)) {
    return { ok: false, status: 404, error: { code: 'unknown-method', message: `Unknown API method "${method}"` } };
  }
  try {
    const fn = api[method] as (p: unknown) => Promise<unknown>;
    const result = await fn.call(api, params ?? undefined);
    return { ok: true, result: result ?? null };
  } catch (err) {
    const { status, ...error } = toApiError(err);
    return { ok: false, error, status };
  }
}
