// Errors are values a person can read (OpenSlide's GError idea): a code for programs, a message for people.
export type SlideErrorCode =
  | 'not-found'
  | 'unsupported-format'
  | 'corrupt'
  | 'truncated'
  | 'unsupported-feature'
  | 'too-large'
  | 'io'
  | 'invalid-argument';

export class SlideError extends Error {
  constructor(
    readonly code: SlideErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SlideError';
  }
}

export function isSlideError(err: unknown): err is SlideError {
  return err instanceof SlideError;
}
