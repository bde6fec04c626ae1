/**
 * The one way the gateway rewrites a user's file (Codex config.toml, Claude settings.json, the master key
 * file): resolve symlinks to the real target, hold an inter-process lock, write atomically, keep backups.
 * No `vscode` import; no knowledge of any file format.
 *
 * - Atomic write: `write-file-atomic` (temp file `<target>.<number>` in the target's own directory, written,
 *   fsynced, chmod'ed, then renamed over the target; POSIX rename is atomic, so a reader or a crash sees the
 *   old or the new file, never a partial one). We add: the directory fsync after the rename, and on Windows a
 *   few retries of a rename refused because another process has the file open for a moment.
 * - Lock: `proper-lockfile` (a directory created with mkdir, atomic on every local file system and NFS).
 *   Location: `<real target>.lock` next to the file ({@link lockPathFor}). A live holder refreshes the lock's
 *   mtime every `staleMs / 2`; a lock whose mtime is older than `staleMs` (its holder died or hung) is removed
 *   by the next writer. Waiting is bounded by `timeoutMs`.
 *
 * Limits: a writer killed with SIGKILL between creating and renaming its temp file leaves that temp file
 * (`<target>.<number>`); write-file-atomic removes it on every catchable exit (exceptions, SIGINT, SIGTERM, ...).
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import writeFileAtomicLib from 'write-file-atomic';

/** Default wait for another writer's lock, in ms. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
/**
 * Default age in ms after which a lock counts as abandoned. A live holder refreshes it every half of this, so
 * only a holder whose event loop is blocked this long loses it (proper-lockfile's minimum is 2000).
 */
export const DEFAULT_STALE_LOCK_MS = 5_000;
/** Interval between two attempts to take a held lock, in ms. */
const LOCK_RETRY_MS = 50;

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /**
   * Permission bits of the written file, e.g. `0o600`. When omitted, the existing target's mode (and owner)
   * are kept; a new file gets `0o666` minus the umask.
   */
  mode?: number;
  /**
   * Test seam: called once the temp file exists in the target's directory (still empty), before the data is
   * written, fsynced and renamed over the target. Throwing (or rejecting) aborts the write: the temp file is
   * removed and the target is left as it was.
   */
  onTempFile?: (tempPath: string, targetPath: string) => void | Promise<void>;
}

function isNodeError(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves `file` through symlinks (dotfile managers link `~/.codex/config.toml` into a repository), so a
 * rename replaces the real file and the link survives. Returns `file` itself when it does not exist yet (or
 * a link in its path is dangling).
 */
export async function realTarget(file: string): Promise<string> {
  try {
    return await fsp.realpath(file);
  } catch {
    return file;
  }
}

/** fsyncs a directory so a rename in it is durable; a no-op where directories cannot be opened (Windows). */
async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not supported everywhere: the rename itself is still atomic.
  }
}

/**
 * Writes `data` to `file` atomically (write-file-atomic: temp file in the same directory, write, fsync,
 * chmod, rename), following symlinks to the real target, then fsyncs the directory. The parent directory must
 * exist. Concurrent calls for one file within this process are serialised by write-file-atomic; across
 * processes, hold {@link withFileLock}.
 * @param data Text (written as UTF-8) or bytes.
 * @returns The path actually written (the symlink's target, or `file`).
 * @throws The file-system error (ENOENT for a missing directory, EACCES, ENOSPC, ...) or the error thrown by
 *   {@link AtomicWriteOptions.onTempFile}; the target is then unchanged and no temp file is left.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<string> {
  const target = await realTarget(file);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let attempt = 0; ; attempt++) {
    try {
      // A fresh options object each time: write-file-atomic fills in mode/chown from the old file.
      await writeFileAtomicLib(target, bytes, {
        fsync: true,
        ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
        ...(opts.onTempFile ? { tmpfileCreated: (tmp: string) => opts.onTempFile?.(tmp, target) } : {}),
      });
      break;
    } catch (e) {
      // Windows refuses to replace a file another process has open for a moment (Codex reading it).
      if (process.platform !== 'win32' || attempt >= 5 || !isNodeError(e, 'EPERM', 'EBUSY', 'EACCES')) throw e;
      await sleep(50);
    }
  }
  await fsyncDir(path.dirname(target));
  return target;
}

/**
 * Creates `file` with `data` only if it does not exist yet (a one-time backup): the bytes go to a temp file
 * first (fsynced), which is then hard-linked to `file` (exclusive copy where links are not supported), so the
 * file is never partial and never overwritten.
 * @param mode Permission bits, e.g. `0o600`.
 * @returns `true` when this call created it, `false` when it already existed.
 * @throws File-system errors other than "already exists".
 */
export async function createOnce(file: string, data: Uint8Array, mode: number): Promise<boolean> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fh = await fsp.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  let created = true;
  try {
    await fsp.link(tmp, file);
  } catch (e) {
    if (isNodeError(e, 'EEXIST')) created = false;
    else {
      // No hard links on this file system: exclusive copy instead.
      await fsp.copyFile(tmp, file, fsConstants.COPYFILE_EXCL).catch((e2: unknown) => {
        if (!isNodeError(e2, 'EEXIST')) throw e2;
        created = false;
      });
    }
  } finally {
    await fsp.unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(path.dirname(file));
  return created;
}

/**
 * Reads a file's bytes and permission bits (through symlinks).
 * @returns `null` when the file does not exist.
 * @throws Other file-system errors (EACCES, EISDIR, ...).
 */
export async function readFileIfExists(file: string): Promise<{ bytes: Buffer; mode: number } | null> {
  try {
    const fh = await fsp.open(file, 'r');
    try {
      const bytes = await fh.readFile();
      return { bytes, mode: (await fh.stat()).mode & 0o777 };
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (isNodeError(e, 'ENOENT')) return null;
    throw e;
  }
}

/** Where {@link withFileLock} keeps the lock of `file`: `<file>.lock` (a directory). */
export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** How long to wait for another holder, in ms (default {@link DEFAULT_LOCK_TIMEOUT_MS}). 0: one attempt. */
  timeoutMs?: number;
  /**
   * Age in ms of the lock's mtime after which it counts as abandoned and is removed (default
   * {@link DEFAULT_STALE_LOCK_MS}; values under 2000 are raised to 2000 by proper-lockfile).
   */
  staleMs?: number;
}

/** Why {@link withFileLock} gave up. */
export class FileLockError extends Error {
  /**
   * @param code `locked`: another holder kept the lock for the whole timeout. `compromised`: while we held
   *   it, the lock was removed or taken over (our event loop was blocked for longer than `staleMs`); what we
   *   wrote is complete but another writer may have written at the same time.
   * @param lockPath The lock directory (deleting it by hand frees a lock whose holder is gone).
   */
  constructor(
    readonly code: 'locked' | 'compromised',
    readonly lockPath: string,
    message: string,
  ) {
    super(message);
    this.name = 'FileLockError';
  }
}

/**
 * Runs `fn` while holding the inter-process lock of `file` (proper-lockfile, lock directory
 * {@link lockPathFor}(`file`)). Use the real target ({@link realTarget}) as `file` so every path to one file
 * shares one lock. The lock's directory must exist. Attempts are {@link LOCK_RETRY_MS} ms apart, for at most
 * `timeoutMs`; a stale lock is removed on the way. The lock is released when `fn` settles.
 * @returns What `fn` returns.
 * @throws FileLockError `locked` after `timeoutMs`; `compromised` when the lock was lost while `fn` ran (after
 *   `fn` finished); what `fn` throws; file-system errors from creating the lock (EACCES, ENOENT, ...).
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const timeoutMs = Math.max(0, opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  const lockPath = lockPathFor(file);
  let lost: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: opts.staleMs ?? DEFAULT_STALE_LOCK_MS,
      // One attempt more than timeoutMs / LOCK_RETRY_MS, so a waiter gives up only after the whole timeout.
      retries: { retries: timeoutMs > 0 ? Math.ceil(timeoutMs / LOCK_RETRY_MS) + 1 : 0, factor: 1, minTimeout: LOCK_RETRY_MS, maxTimeout: LOCK_RETRY_MS, randomize: false },
      onCompromised: (e) => {
        lost = e;
      },
    });
  } catch (e) {
    if (isNodeError(e, 'ELOCKED')) {
      throw new FileLockError('locked', lockPath, `${file} is being written by another process (lock ${lockPath} held for more than ${timeoutMs} ms). Try again in a moment; if no other program is writing it, delete ${lockPath}.`);
    }
    throw e;
  }
  let result: T;
  try {
    result = await fn();
  } finally {
    if (!lost) await release().catch(() => undefined);
  }
  if (lost) {
    throw new FileLockError('compromised', lockPath, `The lock on ${file} (${lockPath}) was taken over while writing: another process may have written it at the same time. Check the file and try again.`);
  }
  return result;
}
