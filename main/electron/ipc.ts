// The IPC side of the desktop transport: one channel carries every contract call to the shared
// dispatcher; replies are envelopes the preload unwraps. Only our own renderer (tessera://app) may call.
import type { TesseraApi } from '../contracts/tessera-api.js';
import { dispatchApiCall } from '../services/tessera-services.js';
import { APP_ORIGIN } from './tile-protocol.js';

export const API_CHANNEL = 'tessera:api';
export const EVENT_CHANNEL = 'tessera:event';
export const CHOOSE_SLIDES_CHANNEL = 'tessera:choose-slides';

/** The slice of Electron's IpcMain used here (a fake in tests). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown): void;
}

export type ApiEnvelope = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

export function isTrustedSender(event: { senderFrame?: { url: string } | null }): boolean {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith(`${APP_ORIGIN}/`);
}

export function registerApiIpc(ipcMain: IpcMainLike, api: TesseraApi): void {
  ipcMain.handle(API_CHANNEL, async (event, method, params): Promise<ApiEnvelope> => {
    if (!isTrustedSender(event)) return { ok: false, error: { code: 'forbidden', message: 'Untrusted caller' } };
    const out = await dispatchApiCall(api, String(method), params);
    return out.ok ? { ok: true, result: out.result } : { ok: false, error: out.error };
  });
}
