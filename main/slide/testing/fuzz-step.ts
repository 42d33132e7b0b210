// One step of a slide fuzz test (main/slide/fuzz*.test.ts): the work must end within a time limit, and may
// fail only with a SlideError (the outcome, false); any other error or a hang fails the test.
import assert from 'node:assert/strict';
import { SlideError } from '../slide-errors.js';

export const FUZZ_STEP_TIMEOUT_MS = 5000;

function withTimeout<T>(work: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one step: true when it succeeded, false when it failed with a SlideError. */
export async function fuzzStep(what: string, work: () => Promise<unknown>, ms = FUZZ_STEP_TIMEOUT_MS): Promise<boolean> {
  try {
    await withTimeout(work(), what, ms);
    return true;
  } catch (err) {
    if (err instanceof SlideError) return false;
    assert.fail(`${what}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}
