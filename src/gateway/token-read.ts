/**
 * Reading a gateway token file (written by token-file.ts or auth.ts). Kept apart from the writers, with no
 * import beyond Node's, so Codex's auth command (`dist/codex-auth.js`) loads nothing else: the writers pull
 * in the lock and atomic-write libraries (and graceful-fs, which patches `fs` when loaded).
 */
import { readFile } from 'node:fs/promises';

/**
 * Reads a token file.
 * @returns the trimmed token, or `undefined` when the file does not exist or is empty.
 * @throws file-system errors other than ENOENT (EACCES, EISDIR, ...).
 */
export async function readTokenFile(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
