// LC25000 lung patches from ../shared, with the near-duplicate groups of lc25000-lung-groups.csv (cross-validate
// by group, never by image): three classes, adenocarcinoma, squamous carcinoma, benign.
import { readFile } from 'node:fs/promises';
import { shared } from '../../testing/shared-data.js';
import type { FitInput } from '../fit-probe.js';

export const LC25000_LUNG_CLASSES = ['lung_aca', 'lung_scc', 'lung_n'] as const;
const PREFIX: Record<string, number> = { lungaca: 0, lungscc: 1, lungn: 2 };

export interface GroupedPatches {
  paths: string[];
  /** Index into LC25000_LUNG_CLASSES. */
  labels: Int32Array;
  groups: Int32Array;
  groupCount: number;
}

export async function listLc25000Lung(): Promise<GroupedPatches> {
  const rows = (await readFile(shared('data', 'patches', 'lc25000-lung-groups.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const groupIds = new Map<string, number>();
  const paths = rows.map((r) => shared('data', r[0]));
  const labels = Int32Array.from(rows, (r) => PREFIX[/^(lungaca|lungscc|lungn)\d/.exec(r[0].split('/').pop()!)![1]]);
  const groups = Int32Array.from(rows, (r) => groupIds.get(r[1]) ?? (groupIds.set(r[1], groupIds.size), groupIds.size - 1));
  return { paths, labels, groups, groupCount: groupIds.size };
}

/** The probe input for all three classes, features `x` (paths.length × dim). */
export function lungProbeInput(lung: GroupedPatches, x: Float32Array, dim: number): FitInput {
  return { x, n: lung.paths.length, dim, labels: lung.labels, groups: lung.groups, classNames: LC25000_LUNG_CLASSES };
}

/** The probe input for the two carcinoma subtypes alone (benign rows left out). */
export function carcinomaSubtypesProbeInput(lung: GroupedPatches, x: Float32Array, dim: number): FitInput {
  const keep = Array.from(lung.labels.keys()).filter((i) => lung.labels[i] !== 2);
  const sub = new Float32Array(keep.length * dim);
  keep.forEach((i, r) => sub.set(x.subarray(i * dim, (i + 1) * dim), r * dim));
  return {
    x: sub,
    n: keep.length,
    dim,
    labels: Int32Array.from(keep, (i) => lung.labels[i]),
    groups: Int32Array.from(keep, (i) => lung.groups[i]),
    classNames: LC25000_LUNG_CLASSES.slice(0, 2),
  };
}
