// The browser host's file browser (and the desktop's, through the same contract): lists folders and slides,
// confined to the user's home and the folders the user added (kept in the user data folder). Every path is
// resolved with realpath before the check, so `..` and symbolic links cannot lead outside.
import { mkdir, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { BrowseRoot, FolderEntry, FolderListing, RecentSlide } from '../contracts/tessera-api.js';
import { slideFormatEntries } from '../slide/formats/index.js';
import { ApiError } from './api-error.js';
import { isDicom, slideFileSize } from './slide-file-size.js';

export interface FileBrowserOptions {
  /** The user's home (default os.homedir()). */
  home?: string;
  /** JSON file of the folders the user added; null keeps them in memory (tests). */
  rootsFile: string | null;
  /** Recently opened slides, for the recent folders. */
  recent?: () => Promise<RecentSlide[]>;
}

/** `~` and `~/…` → the home folder. Other paths unchanged. */
export function expandHome(path: string, home = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith(`~${sep}`)) return join(home, path.slice(2));
  return path;
}

/** Slide extensions of the format list (`svs`, `ome.tif`, …), longest first so `ome.tif` wins over `tif`. */
export const slideExtensions: string[] = [...new Set(slideFormatEntries.flatMap((e) => e.extensions))].sort((a, b) => b.length - a.length);

const within = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/** How many files of a sub-folder are looked at to tell a DICOM series. */
const DICOM_PROBE_FILES = 8;

export class FileBrowser {
  private added: string[] | null = null;
  readonly home: string;

  constructor(private readonly options: FileBrowserOptions) {
    this.home = options.home ?? homedir();
  }

  /** Real paths of the browse roots: home first, then the added ones that still exist. */
  async roots(): Promise<BrowseRoot[]> {
    const out: BrowseRoot[] = [];
    const home = await realpath(this.home).catch(() => resolve(this.home));
    out.push({ path: home, label: 'Home', removable: false });
    for (const p of await this.addedFolders()) {
      const real = await realpath(p).catch(() => null);
      if (real && !out.some((r) => r.path === real)) out.push({ path: real, label: basename(real) || real, removable: true });
    }
    return out;
  }

  async addRoot(path: unknown): Promise<BrowseRoot[]> {
    const abs = this.absolute(path);
    const real = await realpath(abs).catch(() => {
      throw new ApiError('not-found', `No such folder: ${abs}`, 404);
    });
    if (!(await stat(real)).isDirectory()) throw new ApiError('invalid-argument', `${abs} is not a folder`);
    const added = await this.addedFolders();
    if (!added.includes(real)) {
      added.push(real);
      await this.save(added);
    }
    return this.roots();
  }

  async removeRoot(path: unknown): Promise<BrowseRoot[]> {
    const abs = this.absolute(path);
    const real = await realpath(abs).catch(() => abs);
    const added = (await this.addedFolders()).filter((p) => p !== abs && p !== real);
    await this.save(added);
    return this.roots();
  }

  /** The real path of `path` when it lies inside a root; ApiError forbidden otherwise. */
  async confine(path: unknown): Promise<{ real: string; root: BrowseRoot; roots: BrowseRoot[] }> {
    const abs = this.absolute(path);
    const roots = await this.roots();
    let real: string;
    try {
      real = await realpath(abs);
    } catch {
      // Say "outside" before "missing" for paths outside, so the browser tells nothing about them.
      if (!roots.some((r) => within(resolve(abs), r.path))) throw forbidden(abs);
      throw new ApiError('not-found', `No such folder: ${abs}`, 404);
    }
    const root = roots.filter((r) => within(real, r.path)).sort((a, b) => b.path.length - a.path.length)[0];
    if (!root) throw forbidden(abs);
    return { real, root, roots };
  }

  async list(path?: unknown): Promise<FolderListing> {
    const { real, root, roots } = await this.confine(path === undefined || path === '' ? '~' : path);
    if (!(await stat(real)).isDirectory()) throw new ApiError('invalid-argument', `${real} is not a folder`);
    let names;
    try {
      names = await readdir(real, { withFileTypes: true });
    } catch (err) {
      throw new ApiError('forbidden', `Cannot read ${real}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 403);
    }
    const entries: FolderEntry[] = [];
    for (const d of names) {
      if (d.name.startsWith('.')) continue;
      const full = join(real, d.name);
      let target: string;
      try {
        target = d.isSymbolicLink() ? await realpath(full) : full;
      } catch {
        continue; // dangling link
      }
      if (!roots.some((r) => within(target, r.path))) continue; // a link leading outside
      const s = await stat(target).catch(() => null);
      if (!s) continue;
      const modifiedAt = s.mtime.toISOString();
      if (s.isDirectory()) {
        const dicom = await this.isDicomFolder(target);
        entries.push({ name: d.name, path: full, kind: dicom ? 'dicom-folder' : 'folder', size: dicom ? await slideFileSize(target).catch(() => null) : null, modifiedAt });
      } else if (s.isFile() && this.isSlideName(d.name)) {
        entries.push({ name: d.name, path: full, kind: 'slide', size: s.size, modifiedAt });
      }
    }
    const order = { folder: 0, 'dicom-folder': 1, slide: 2 } as const;
    entries.sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }));
    const recentFolders: string[] = [];
    for (const r of (await this.options.recent?.()) ?? []) {
      const folder = dirname(r.path);
      if (!recentFolders.includes(folder) && roots.some((x) => within(folder, x.path))) recentFolders.push(folder);
    }
    return {
      path: real,
      parent: real === root.path ? null : dirname(real),
      entries,
      roots,
      recentFolders,
      extensions: [...slideExtensions],
    };
  }

  isSlideName(name: string): boolean {
    const lower = name.toLowerCase();
    return slideExtensions.some((e) => lower.endsWith(`.${e}`));
  }

  private async isDicomFolder(dir: string): Promise<boolean> {
    try {
      const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).slice(0, DICOM_PROBE_FILES);
      for (const f of files) if (await isDicom(join(dir, f.name))) return true;
    } catch {
      // unreadable: a plain folder
    }
    return false;
  }

  private absolute(path: unknown): string {
    if (typeof path !== 'string' || path.trim() === '') throw new ApiError('invalid-argument', 'Parameter "path" must be a non-empty string');
    if (path.includes('\0')) throw new ApiError('invalid-argument', 'Paths cannot contain a null byte');
    const expanded = expandHome(path.trim(), this.home);
    if (!isAbsolute(expanded)) throw new ApiError('invalid-argument', `Give an absolute path or one starting with ~: ${path}`);
    return resolve(expanded);
  }

  private async addedFolders(): Promise<string[]> {
    if (this.added) return this.added;
    this.added = [];
    if (this.options.rootsFile) {
      try {
        const parsed: unknown = JSON.parse(await readFile(this.options.rootsFile, 'utf8'));
        if (Array.isArray(parsed)) this.added = parsed.filter((p): p is string => typeof p === 'string' && isAbsolute(p));
      } catch {
        // none yet
      }
    }
    return this.added;
  }

  private async save(list: string[]): Promise<void> {
    this.added = list;
    const file = this.options.rootsFile;
    if (!file) return;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(list, null, 2)}\n`);
  }
}

function forbidden(path: string): ApiError {
  return new ApiError('forbidden', `${path} is outside the folders Tessera may browse (your home and the folders you added)`, 403);
}
