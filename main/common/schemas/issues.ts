// Turning valibot's issues into the one-line, human messages Tessera's errors carry: where (a path such
// as `rect.width` or `rings[0][2]`) and what is wrong. Pure: the renderer may use it too.
import * as v from 'valibot';

/**
 * The message of an object schema. valibot reports a missing key with its object's message, so the one
 * function says both: `is missing` for a key (the issue has the key's path), `must be <what>` for the object.
 */
export const objectMessage =
  (what: string) =>
  (issue: v.BaseIssue<unknown>): string =>
    issue.path ? 'is missing' : what;

/** Where a schema gives no message of its own: "is missing" for a missing key, else what was expected. */
function fallbackMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.path && issue.input === undefined) return 'is missing';
  return `must be ${issue.expected ?? 'something else'}, not ${issue.received}`;
}

/**
 * Parse options: the first issue is all a message reports, so parsing stops there (and a hostile 10⁶-item
 * array is not walked); messages a schema leaves out read as predicates too.
 */
export const firstIssueOnly = { abortEarly: true, abortPipeEarly: true, message: fallbackMessage } as const;

/** `rect.width`, `geometries[3].rings[0][2]`: object keys dotted, array indices in brackets; '' at the root. */
export function issuePath(issue: v.BaseIssue<unknown>, prefix = ''): string {
  let out = prefix;
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * `<label> <message>`: schema messages are written as predicates ("must be a positive number", "has no
 * rings"), so they read after the path; one written as a sentence (capitalised) follows a colon.
 * `label` turns the path into the subject (e.g. `Parameter "rect.width"`); at the root only the message is left.
 */
export function describeIssue(issue: v.BaseIssue<unknown>, label: (path: string) => string, prefix = ''): string {
  const path = issuePath(issue, prefix);
  if (!path) return issue.message;
  return /^[A-Z]/.test(issue.message) ? `${label(path)}: ${issue.message}` : `${label(path)} ${issue.message}`;
}

/** How API parameters are named in messages: `Parameter "rect.width" must be a positive number`. */
export const parameterLabel = (path: string): string => `Parameter "${path}"`;
/** How a field of a file is named: `geometry.rings[0] has fewer than 3 distinct positions`. */
export const fieldLabel = (path: string): string => path;

/**
 * The schema's output, or the error `toError` makes of the first issue's text. The one way Tessera's
 * code parses with a schema, so that every boundary keeps throwing its own typed error.
 */
export function parseOr<const S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  toError: (message: string, issue: v.BaseIssue<unknown>) => Error,
  options: { label?: (path: string) => string; prefix?: string } = {},
): v.InferOutput<S> {
  const result = v.safeParse(schema, value, firstIssueOnly);
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw toError(describeIssue(issue, options.label ?? fieldLabel, options.prefix), issue);
}

/** A short text of a JSON value for a message, safe on values nested arbitrarily deep or huge. */
export function preview(value: unknown): string {
  let depth = 0;
  for (let x = value; Array.isArray(x) && depth <= 8; x = x[0]) depth++;
  if (depth > 8) return 'arrays nested more than 8 deep';
  try {
    // Only the head of a long array is looked at: a message never walks a hostile million-item list.
    if (Array.isArray(value) && value.length > 8) return `${JSON.stringify(value.slice(0, 8)).slice(0, 57)}…`;
    return JSON.stringify(value)?.slice(0, 60) ?? String(value);
  } catch {
    return typeof value;
  }
}
