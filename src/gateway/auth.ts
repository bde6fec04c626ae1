/**
 * The gateway's own access control: the master key (bearer token) and the Host / Origin checks that stop
 * DNS-rebinding and drive-by browser requests. Provider keys are not handled here (see upstream.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { realTarget, withFileLock, writeFileAtomic } from './files';

/**
 * Folder for the gateway's own state (`$CODEX_GATEWAY_HOME`, else `~/.codex-gateway`).
 * Holds `master_key` (0600).
 */
export function gatewayHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CODEX_GATEWAY_HOME || join(homedir(), '.codex-gateway');
}

/** Path of the generated master key file (`<gatewayHome>/master_key`). */
export function masterKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(gatewayHome(env), 'master_key');
}

/** A new random gateway token: `cgw-` + 32 random bytes, base64url (43 chars). */
export function generateToken(): string {
  return `cgw-${randomBytes(32).toString('base64url')}`;
}

/**
 * Reads the master key file, creating it (0600, parent 0700) with a new token on first use, under the file's
 * inter-process lock (`<path>.lock`, {@link withFileLock}) so concurrent first uses agree on one token.
 * Written atomically ({@link writeMasterKey}) so a concurrent reader never sees a partial token.
 * @returns the token and whether it was created now.
 * @throws the filesystem error when the folder cannot be created or the file cannot be written; FileLockError
 *   `locked` when another process holds the lock for more than 10 s.
 */
export async function loadOrCreateMasterKey(path: string): Promise<{ token: string; created: boolean }> {
  const existing = await readToken(path);
  if (existing) return { token: existing, created: false };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Two windows or processes starting at once: one creates, the other reads what it wrote.
  return withFileLock(await realTarget(path), async () => {
    const token = await readToken(path);
    if (token) return { token, created: false };
    return { token: await writeMasterKey(path, generateToken()), created: true };
  });
}

/** The token in the file at `path` (trimmed); '' when the file is missing or empty. @throws other read errors. */
async function readToken(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return '';
  }
}

/**
 * Writes `token` plus a newline to `path` atomically with mode 0600 ({@link writeFileAtomic}; through a
 * symlink to its target), creating the parent folder (0700) when missing. Used for creation and rotation.
 * @returns the token.
 * @throws the file-system error (EACCES, ENOSPC, ...); the previous file is then unchanged.
 */
export async function writeMasterKey(path: string, token: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * Constant-time bearer check. Both sides are hashed to fixed-length digests first, so neither the
 * comparison time nor an early length mismatch reveals anything about the expected token.
 */
export class BearerCheck {
  private readonly expected: Buffer;

  /** @param token the gateway master key. */
  constructor(token: string) {
    this.expected = createHash('sha256').update(token).digest();
  }

  /**
   * @param header the raw `Authorization` header value (`Bearer <token>`), or undefined.
   * @returns true when it carries the expected token.
   */
  verify(header: string | undefined): boolean {
    if (!header || header.length < 8) return false;
    // RFC 6750 §2.1: the scheme is case-insensitive.
    if (header.slice(0, 7).toLowerCase() !== 'bearer ') return false;
    return this.verifyKey(header.slice(7).trim());
  }

  /**
   * @param key a bare token, e.g. an `x-api-key` header value (Anthropic's auth header, which Claude Code
   *   sends for `ANTHROPIC_API_KEY` and an `apiKeyHelper`), compared in constant time.
   * @returns true when it is the expected token.
   */
  verifyKey(key: string | undefined): boolean {
    if (!key) return false;
    const got = createHash('sha256').update(key.trim()).digest();
    return timingSafeEqual(got, this.expected);
  }
}

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Strips an optional `:port` from a Host header value (`[::1]:4000` -> `[::1]`). */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

/** True for loopback host names: `localhost`, `*.localhost`, `127.x.x.x`, `[::1]`. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return LOOPBACK_HOSTNAMES.has(h) || h.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Decides whether a request's `Host` and `Origin` headers are acceptable.
 *
 * - `Host` must name a loopback address (or the explicit non-loopback bind address the user chose):
 *   a DNS-rebinding page reaches us with its own domain in `Host`.
 * - `Origin`, when present, must be a loopback web origin (or `null`-less non-web clients send none):
 *   a web page on another site that fetches `http://127.0.0.1:PORT` sends its own origin.
 *
 * @param bindHost the address the server listens on; when it is not loopback, that name is allowed too.
 * @returns null when allowed, else the reason (for a 403 message).
 */
export function checkHostAndOrigin(host: string | undefined, origin: string | undefined, bindHost: string): string | null {
  if (!host) return 'the request has no Host header; send Host: 127.0.0.1:<port>';
  const hn = hostnameOf(host);
  if (!isLoopbackHostname(hn) && hn !== bindHost.toLowerCase() && !(bindHost === '0.0.0.0' || bindHost === '::')) {
    return `Host "${hn}" is not a loopback address; the gateway only answers requests addressed to 127.0.0.1 or localhost`;
  }
  if (origin && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).hostname;
    } catch {
      return `Origin "${origin}" is not a valid origin; send a scheme://host[:port] origin, or none`;
    }
    if (!isLoopbackHostname(originHost)) {
      return `requests from web pages on "${originHost}" are refused (only loopback pages may call the gateway)`;
    }
  }
  return null;
}
