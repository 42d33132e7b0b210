// The desktop renderer's only door to the app: exposes `window.tessera` (TesseraBridge) through
// contextBridge. Sandboxed preloads can load nothing but `electron`, so the contract's method list is
// repeated here, and `satisfies` makes the compiler hold it to the contract exactly.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { TesseraApiMethod, TesseraBridge, TesseraEvent } from '../contracts/tessera-api.js';

// Channel names as in ipc.ts (which this sandboxed file cannot import).
const API_CHANNEL = 'tessera:api';
const EVENT_CHANNEL = 'tessera:event';
const CHOOSE_SLIDES_CHANNEL = 'tessera:choose-slides';
const CHOOSE_FILE_CHANNEL = 'tessera:choose-file';

const methods = {
  getAppInfo: true,
  listSlides: true,
  openSlide: true,
  openSampleSlide: true,
  getSlideInfo: true,
  closeSlide: true,
  setPixelSize: true,
  listRecentSlides: true,
  listFolder: true,
  addBrowseFolder: true,
  removeBrowseFolder: true,
  getAnnotations: true,
  addAnnotation: true,
  addAnnotations: true,
  updateAnnotation: true,
  deleteAnnotations: true,
  undoAnnotations: true,
  redoAnnotations: true,
  setAnnotationClass: true,
  editAnnotationClass: true,
  importAnnotations: true,
  exportAnnotations: true,
  getEncoderStatus: true,
  setViewport: true,
  embedAllTissue: true,
  cancelEmbedAllTissue: true,
  listModels: true,
  proposeModelManifest: true,
  inspectModelCheckpoint: true,
  importModel: true,
  selectModel: true,
  trainProbe: true,
  listProbes: true,
  loadProbe: true,
  getActiveProbe: true,
  setActiveProbe: true,
  getHeatmap: true,
  getHeatmapUpdate: true,
  exportHeatmap: true,
  findSimilar: true,
  regionImage: true,
  suggestLabels: true,
  dismissSuggestion: true,
} as const satisfies Record<TesseraApiMethod, true>;

type Envelope = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

async function call(method: string, params: unknown): Promise<unknown> {
  const reply = (await ipcRenderer.invoke(API_CHANNEL, method, params)) as Envelope;
  // contextBridge keeps only an Error's message: carry the code inside it as JSON.
  if (!reply.ok) throw new Error(JSON.stringify(reply.error));
  return reply.result;
}

const api = Object.fromEntries(
  Object.keys(methods).map((method) => [method, (params?: unknown) => call(method, params)]),
) as unknown as TesseraBridge['api'];

const bridge: TesseraBridge = {
  api,
  onEvent(listener) {
    const handler = (_e: unknown, event: TesseraEvent): void => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
  desktop: {
    chooseSlideFiles: () => ipcRenderer.invoke(CHOOSE_SLIDES_CHANNEL) as Promise<string[]>,
    pathForFile: (file) => webUtils.getPathForFile(file),
    // Only the kind and a suggested path cross: main picks the dialog, its title and filters.
    chooseFile: ({ kind, defaultPath }) =>
      ipcRenderer.invoke(CHOOSE_FILE_CHANNEL, { kind, defaultPath }) as Promise<string | null>,
  },
};

contextBridge.exposeInMainWorld('tessera', bridge);
