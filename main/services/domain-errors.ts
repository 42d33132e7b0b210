// Errors of the layers below (use cases) as the API's typed errors: one mapping for every service.
import { EncoderMismatchError } from '../usecases/probe-compatibility.js';
import { ApiError } from './api-error.js';

/** The ApiError for an error the API knows how to name (null for anything else: the caller decides). */
export function apiErrorOfDomain(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof EncoderMismatchError) return new ApiError('encoder-mismatch', err.message, 409);
  return null;
}
