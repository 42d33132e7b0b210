// Slidedat.ini as glib's GKeyFile reads it for OpenSlide: optional UTF-8 BOM, CRLF or LF lines, `[group]`
// headers, `key=value` pairs (whitespace around the key and before the value trimmed), `#` comments.
// Values are kept raw, as `g_key_file_get_value` returns them (the `mirax.GROUP.KEY` properties).
import { SlideError } from '../slide-errors.js';

export class Slidedat {
  private constructor(
    readonly path: string,
    /** Groups in file order, each with its keys in file order. */
    readonly groups: Map<string, Map<string, string>>,
  ) {}

  static parse(text: string, path: string): Slidedat {
    const groups = new Map<string, Map<string, string>>();
    let current: Map<string, string> | null = null;
    const lines = text.replace(/^\ufeff/, '').split('\n');
    lines.forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      if (trimmed.startsWith('[')) {
        if (!trimmed.endsWith(']')) throw new SlideError('corrupt', `${path} is corrupt: line ${i + 1} opens a group without closing it`);
        const name = trimmed.slice(1, -1);
        current = groups.get(name) ?? new Map();
        groups.set(name, current);
        return;
      }
      const eq = line.indexOf('=');
      if (eq < 0 || !current) throw new SlideError('corrupt', `${path} is corrupt: line ${i + 1} is neither a group nor a key=value pair`);
      current.set(line.slice(0, eq).trim(), line.slice(eq + 1).replace(/^\s+/, '').replace(/\s+$/, ''));
    });
    return new Slidedat(path, groups);
  }

  has(group: string): boolean {
    return this.groups.has(group);
  }

  value(group: string, key: string): string {
    const g = this.groups.get(group);
    if (!g) throw new SlideError('corrupt', `${this.path} is corrupt: it has no [${group}] group`);
    const v = g.get(key);
    if (v === undefined) throw new SlideError('corrupt', `${this.path} is corrupt: [${group}] has no ${key} key`);
    return v;
  }

  optional(group: string, key: string): string | undefined {
    return this.groups.get(group)?.get(key);
  }

  integer(group: string, key: string): number {
    const v = this.value(group, key);
    if (!/^\s*[-+]?\d+\s*$/.test(v)) throw new SlideError('corrupt', `${this.path} is corrupt: [${group}] ${key} is "${v}", not an integer`);
    const n = Number(v);
    if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 31 - 1) throw new SlideError('corrupt', `${this.path} is corrupt: [${group}] ${key} is out of range`);
    return n;
  }

  double(group: string, key: string): number {
    const v = this.value(group, key);
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(n)) throw new SlideError('corrupt', `${this.path} is corrupt: [${group}] ${key} is "${v}", not a number`);
    return n;
  }

  /** `mirax.GROUP.KEY` for every key, as OpenSlide's add_properties. */
  properties(): Record<string, string> {
    const p: Record<string, string> = {};
    for (const [group, keys] of this.groups) for (const [key, value] of keys) p[`mirax.${group}.${key}`] = value;
    return p;
  }
}
