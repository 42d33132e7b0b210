// Lock files for work shared by processes on one machine or on nodes sharing a file system: created with
// O_EXCL (`wx`), holding the owner's pid, host, start time and a random token. The owner touches the file
// every `heartbeatMs`; a lock is stale once its owner is gone (same host: the pid is not running) or its
// file has not been touched for `staleMs` (another host, or a hung owner). A stale lock is taken over under
// a second O_EXCL guard file (`<lock>.takeover`), so two processes never both take over the same lock.
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  time: string;
  token: string;
  /** What the owner is doing, for people reading the file. */
  purpose?: string;
}

export interface LockOptions {
  /** A lock untouched this long is stale whoever holds it (default 10 minutes). */
  staleMs?: number;
  /** How often the owner touches its lock (default min(30 s, staleMs / 4)). */
  heartbeatMs?: number;
  purpose?: string;
}

const held = new Map<string, string>(); // path → token, released synchronously at exit
let exitHook = false;

function releaseAllSync(): void {
  for (const [path, token] of held) {
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as LockOwner).token === token) unlinkSync(path);
    } catch {
      // gone or not ours
    }
  }
  held.clear();
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(
  path: string,
): Promise<{ raw: string; owner: LockOwner | undefined; mtimeMs: number } | undefined> {
  try {
    const [raw, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let owner: LockOwner | undefined;
    try {
      const p = JSON.parse(raw) as LockOwner;
      if (typeof p?.pid === 'number' && typeof p.host === 'string' && typeof p.token === 'string') owner = p;
    } catch {
      owner = undefined;
    }
    return { raw, owner, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Why the lock at `path` (as read) is stale, or undefined while its owner may still be working. */
export function staleReason(
  info: { owner: LockOwner | undefined; mtimeMs: number },
  staleMs: number,
  now = Date.now(),
): string | undefined {
  const age = now - info.mtimeMs;
  if (!info.owner) return age > Math.min(10_000, staleMs) ? 'unreadable lock file' : undefined; // a writer may be mid-write
  if (info.owner.host === hostname() && info.owner.pid !== process.pid && !pidAlive(info.owner.pid))
    return `process ${info.owner.pid} on ${info.owner.host} is gone`;
  if (age > staleMs) return `not touched for ${Math.round(age / 1000)} s`;
  return undefined;
}

export class FileLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    readonly path: string,
    readonly owner: LockOwner,
    heartbeatMs: number,
    /** Set when the lock was stale and taken over: why. */
    readonly tookOver?: string,
  ) {
    held.set(path, owner.token);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', releaseAllSync);
    }
    this.timer = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => {});
    }, heartbeatMs);
    this.timer.unref();
  }

  /**
   * Takes the lock at `path` if it is free or stale; undefined while another live owner holds it.
   */
  static async tryAcquire(path: string, options: LockOptions = {}): Promise<FileLock | undefined> {
    const staleMs = options.staleMs ?? 10 * 60_000;
    const heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.min(30_000, staleMs / 4));
    await mkdir(dirname(path), { recursive: true });
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      time: new Date().toISOString(),
      token: randomBytes(8).toString('hex'),
      ...(options.purpose ? { purpose: options.purpose } : {}),
    };
    const create = async (): Promise<boolean> => {
      try {
        await writeFile(path, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
    };
    if (await create()) return new FileLock(path, owner, heartbeatMs);
    const info = await readOwner(path);
    if (!info) return (await create()) ? new FileLock(path, owner, heartbeatMs) : undefined; // released meanwhile
    const reason = staleReason(info, staleMs);
    if (!reason) return undefined;
    // Take over under a guard, after checking that the lock is still the one judged stale.
    const guard = `${path}.takeover`;
    const takeGuard = async () => {
      try {
        await writeFile(guard, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        return false;
      }
    };
    if (!(await takeGuard())) {
      const g = await stat(guard).catch(() => undefined);
      if (!g || Date.now() - g.mtimeMs < 30_000) return undefined; // another process is taking it over
      await unlink(guard).catch(() => {}); // a guard left by a process that died mid-takeover
      if (!(await takeGuard())) return undefined;
    }
    try {
      const again = await readOwner(path);
      if (again && again.raw !== info.raw) return undefined; // someone else took it (or it changed hands)
      if (again) await unlink(path).catch(() => {});
      return (await create()) ? new FileLock(path, owner, heartbeatMs, reason) : undefined;
    } finally {
      await unlink(guard).catch(() => {});
    }
  }

  /** Waits (polling) until the lock can be taken. */
  static async acquire(
    path: string,
    options: LockOptions & {
      signal?: AbortSignal;
      pollMs?: number;
      onWait?: (owner: LockOwner | undefined) => void;
    } = {},
  ): Promise<FileLock> {
    let told = false;
    for (;;) {
      options.signal?.throwIfAborted();
      const lock = await FileLock.tryAcquire(path, options);
      if (lock) return lock;
      if (!told) {
        told = true;
        options.onWait?.((await readOwner(path))?.owner);
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    }
  }

  /** Throws unless this process still holds the lock (checked before outputs are committed). */
  async verify(): Promise<void> {
    const info = await readOwner(this.path);
    if (this.released || info?.owner?.token !== this.owner.token) {
      throw new Error(
        `lost the lock ${this.path} (taken over by ${info?.owner ? `pid ${info.owner.pid} on ${info.owner.host}` : 'nobody'}); not writing over its work`,
      );
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    held.delete(this.path);
    const info = await readOwner(this.path).catch(() => undefined);
    if (info?.owner?.token === this.owner.token) await unlink(this.path).catch(() => {});
  }
}

/** Whether a live owner holds the lock at `path` (read only: never takes or removes it). */
export async function lockHeld(path: string, staleMs = 10 * 60_000): Promise<LockOwner | undefined> {
  const info = await readOwner(path).catch(() => undefined);
  if (!info || staleReason(info, staleMs)) return undefined;
  return info.owner ?? { pid: 0, host: '?', time: '', token: '' };
}
