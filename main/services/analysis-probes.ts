// The user's probes: probe files in `<data dir>/probes/<id>.json`, listed for the probe panel. A probe
// loaded from elsewhere is copied in, so it stays listed in later sessions.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ProbeSummary } from '../contracts/analysis.js';
import { readProbeFile, writeProbeFile, ProbeFileError, type ProbeFile } from '../probe/probe-file.js';
import { ApiError } from './api-error.js';

/** A probe file may carry a display name beside the standard fields. */
export type NamedProbe = ProbeFile & { name?: string };

interface Entry {
  id: string;
  path: string;
  probe: NamedProbe;
}

export class ProbeLibrary {
  private entries: Map<string, Entry> | null = null;

  constructor(readonly dir: string) {}

  async list(): Promise<ProbeSummary[]> {
    const entries = await this.load();
    return [...entries.values()].map(summariseProbe).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async get(id: unknown): Promise<{ id: string; path: string; probe: NamedProbe }> {
    const e = typeof id === 'string' ? (await this.load()).get(id) : undefined;
    if (!e) throw new ApiError('not-found', `No probe with id ${JSON.stringify(id)}`, 404);
    return e;
  }

  /** Saves a new probe under a fresh id. */
  async add(probe: ProbeFile, name: string): Promise<ProbeSummary> {
    const entries = await this.load();
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    const id = `probe-${stamp}-${randomBytes(3).toString('hex')}`;
    const path = join(this.dir, `${id}.json`);
    const named: NamedProbe = { ...probe, name };
    await writeProbeFile(path, named);
    const entry = { id, path, probe: named };
    entries.set(id, entry);
    return summariseProbe(entry);
  }

  /** Reads a probe file from anywhere and adds a copy to the library. */
  async import(path: string): Promise<ProbeSummary> {
    let probe: NamedProbe;
    try {
      probe = await readProbeFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ApiError('not-found', `No such file: ${path}`, 404);
      if (code === 'EISDIR') throw new ApiError('invalid-argument', `${path} is a folder: give a probe file (.json) saved by Tessera`);
      if (code === 'EACCES' || code === 'EPERM') throw new ApiError('forbidden', `${path} cannot be read (permission denied)`, 403);
      if (err instanceof ProbeFileError) throw new ApiError('invalid-file', err.message, 422);
      throw err;
    }
    const name =
      probe.name ??
      path
        .split(/[\\/]/)
        .pop()!
        .replace(/\.json$/i, '');
    return this.add(probe, name);
  }

  private async load(): Promise<Map<string, Entry>> {
    if (this.entries) return this.entries;
    const entries = new Map<string, Entry>();
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const path = join(this.dir, name);
      try {
        entries.set(name.slice(0, -5), { id: name.slice(0, -5), path, probe: await readProbeFile(path) });
      } catch (err) {
        process.emitWarning(`skipped probe file ${path}: ${(err as Error).message}`);
      }
    }
    this.entries ??= entries;
    return this.entries;
  }
}

const finiteOrNull = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

export function summariseProbe({ id, path, probe }: { id: string; path: string; probe: NamedProbe }): ProbeSummary {
  const cv = probe.metrics.crossValidation;
  return {
    id,
    name: probe.name ?? `${probe.classes.map((c) => c.name).join(' vs ')}`,
    createdAt: probe.training.createdAt,
    encoder: probe.encoder,
    magnifications: probe.magnifications,
    classes: probe.classes,
    perClassCount: probe.metrics.perClassCount,
    patchCount: probe.training.patchCount,
    crossValidation: cv
      ? {
          folds: cv.folds,
          accuracy: finiteOrNull(cv.accuracy) ?? NaN,
          macroAuroc: finiteOrNull(cv.macroAuroc) ?? NaN,
          perClass: cv.perClass.map((c) => ({ name: c.name, count: c.count, auroc: finiteOrNull(c.auroc) })),
        }
      : null,
    warnings: probe.training.warnings,
    path,
    trainedOn: probe.training.slides.map((s) => ({ name: s.name ?? null, slideFingerprint: s.slideFingerprint })),
  };
}
