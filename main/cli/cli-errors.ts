// What a user sees when a command fails: the message, never a stack trace (set TESSERA_DEBUG=1 for one).
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
