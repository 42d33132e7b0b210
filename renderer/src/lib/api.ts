// The renderer's one way to reach the services: over the Electron preload bridge (`window.tessera`) or,
// in a plain browser, over the browser host's HTTP (`POST /api/<method>`; heatmap updates, which are bytes,
// `GET /heatmap/…`) and WebSocket events.
// Everything else in the renderer uses `client` and never cares which.
import {
  TESSERA_API_METHODS,
  type ApiErrorPayload,
  type TesseraApi,
  type TesseraBridge,
  type TesseraEvent,
} from '../../../main/contracts/tessera-api';

export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

export interface TesseraClient {
  transport: 'electron' | 'browser';
  api: TesseraApi;
  onEvent(listener: (event: TesseraEvent) => void): () => void;
  /** Root URL of `<id>.dzi`, tiles and associated images, ending in `/`. */
  slidesBase: string;
  /** Native dialog and dropped-file paths: only in the desktop app. */
  desktop: TesseraBridge['desktop'] | null;
}

declare global {
  interface Window {
    tessera?: TesseraBridge;
  }
}

/** Electron's contextBridge rejects with a plain Error whose message carries the payload as JSON. */
function unwrapBridgeError(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  const json = /\{"code".*\}$/.exec(message)?.[0];
  if (json) {
    try {
      const payload = JSON.parse(json) as ApiErrorPayload;
      throw new ApiCallError(payload.code, payload.message);
    } catch (e) {
      if (e instanceof ApiCallError) throw e;
    }
  }
  throw new ApiCallError('internal', message);
}

function bridgeClient(bridge: TesseraBridge): TesseraClient {
  const api = {} as Record<string, (params?: unknown) => Promise<unknown>>;
  for (const method of TESSERA_API_METHODS) {
    const call = bridge.api[method] as (params?: unknown) => Promise<unknown>;
    api[method] = (params) => call(params).catch(unwrapBridgeError);
  }
  return {
    transport: 'electron',
    api: api as unknown as TesseraApi,
    onEvent: (listener) => bridge.onEvent(listener),
    slidesBase: 'tessera://slides/',
    desktop: bridge.desktop,
  };
}

function httpClient(): TesseraClient {
  const root = new URL('./', location.href);
  const api = {} as Record<string, (params?: unknown) => Promise<unknown>>;
  for (const method of TESSERA_API_METHODS) {
    api[method] = async (params) => {
      let res: Response;
      try {
        res = await fetch(new URL(`api/${method}`, root), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params ?? null),
          credentials: 'same-origin',
        });
      } catch (err) {
        throw new ApiCallError('offline', `The Tessera host is not reachable (${(err as Error).message})`);
      }
      const body = (await res.json().catch(() => null)) as { result?: unknown; error?: ApiErrorPayload } | null;
      if (!res.ok || !body || body.error) {
        throw new ApiCallError(body?.error?.code ?? `http-${res.status}`, body?.error?.message ?? `HTTP ${res.status}`);
      }
      return body.result;
    };
  }
  // The one method that returns bytes: the host's binary route (the JSON API cannot carry them).
  api.getHeatmapUpdate = async (params) => {
    const p = params as { slideId: string; probeId: string; since?: number };
    const url = new URL(`heatmap/${encodeURIComponent(p.slideId)}/${encodeURIComponent(p.probeId)}`, root);
    if (p.since !== undefined) url.searchParams.set('since', String(p.since));
    let res: Response;
    try {
      res = await fetch(url, { credentials: 'same-origin' });
    } catch (err) {
      throw new ApiCallError('offline', `The Tessera host is not reachable (${(err as Error).message})`);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: ApiErrorPayload } | null;
      throw new ApiCallError(body?.error?.code ?? `http-${res.status}`, body?.error?.message ?? `HTTP ${res.status}`);
    }
    return new Uint8Array(await res.arrayBuffer());
  };

  const listeners = new Set<(event: TesseraEvent) => void>();
  let socket: WebSocket | null = null;
  let retry = 500;
  const connect = (): void => {
    const url = new URL('api/events', root);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(url);
    socket.onopen = () => (retry = 500);
    socket.onmessage = (m) => {
      const data = JSON.parse(String(m.data)) as { event?: TesseraEvent };
      if (data.event) for (const l of listeners) l(data.event);
    };
    socket.onclose = () => {
      socket = null;
      if (listeners.size > 0) setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
    };
  };

  return {
    transport: 'browser',
    api: api as unknown as TesseraApi,
    onEvent(listener) {
      listeners.add(listener);
      if (!socket) connect();
      return () => listeners.delete(listener);
    },
    slidesBase: new URL('slides/', root).href,
    desktop: null,
  };
}

export const client: TesseraClient = window.tessera ? bridgeClient(window.tessera) : httpClient();
