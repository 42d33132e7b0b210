// Errors that cross a transport: a code for programs, a message for people, an HTTP status for the host.
import { isSlideError } from '../slide/slide-errors.js';
import { ExportTargetError } from '../common/export-target.js';
import { FileWriteError } from '../common/atomic-write.js';
import type { ApiErrorPayload } from '../contracts/tessera-api.js';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const slideErrorStatus: Record<string, number> = {
  'not-found': 404,
  'invalid-argument': 400,
  'unsupported-format': 415,
  'unsupported-feature': 415,
  corrupt: 422,
  truncated: 422,
  'too-large': 413,
  io: 500,
};

/** Any thrown value as the payload a renderer shows, and the HTTP status that goes with it. */
export function toApiError(err: unknown): ApiErrorPayload & { status: number } {
  if (err instanceof ApiError) return { code: err.code, message: err.message, status: err.status };
  if (err instanceof ExportTargetError) return { code: 'invalid-argument', message: err.message, status: 400 };
  if (err instanceof FileWriteError) {
    // The path is the one the user chose: saying it is the point. Disk full is 507 (Insufficient Storage).
    const full = err.code === 'ENOSPC' || err.code === 'EDQUOT';
    const denied = err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS';
    return { code: full ? 'disk-full' : denied ? 'not-writable' : 'write-failed', message: err.message, status: full ? 507 : denied ? 403 : 500 };
  }
  if (isSlideError(err)) return { code: err.code, message: err.message, status: slideErrorStatus[err.code] ?? 500 };
  if (err instanceof RangeError) return { code: 'invalid-argument', message: err.message, status: 400 };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message, status: 500 };
}
