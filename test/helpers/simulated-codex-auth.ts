/**
 * Codex's side of `$CODEX_HOME/auth.json`, reproduced for tests: how Codex 0.169 serializes and writes the
 * file and how it refreshes a ChatGPT sign-in, so tests can race the gateway's reader against "Codex"
 * without spawning the CLI hundreds of times (one test also runs the real CLI).
 *
 * Observed from Codex 0.169 (strace, see docs/chatgpt.md "Credentials and refresh"): after a successful
 * refresh POST it takes `flock(auth.lock, LOCK_EX)` and `flock(auth.json.lock, LOCK_EX|LOCK_NB)`, re-reads
 * auth.json, writes `.auth-XXXXXX` (O_EXCL, mode 0600), fsyncs and renames it over auth.json. The bytes are
 * serde_json's pretty print of `AuthDotJson` (2-space indent, no trailing newline; unknown fields dropped).
 * Older Codex versions truncated and rewrote auth.json in place ({@link writeAuthInPlace}).
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CODEX_CLIENT_ID, type MintedTokens } from './chatgpt-auth-mock';

/** `last_refresh` as chrono prints a `DateTime<Utc>` (RFC 3339, nanoseconds, `Z`). */
export function chronoNow(d = new Date()): string {
  return d.toISOString().replace(/Z$/, '000000Z');
}

/** auth.json bytes exactly as Codex 0.169 writes a ChatGPT sign-in (field order and pretty print). */
export function codexAuthJson(t: MintedTokens, lastRefresh = chronoNow()): string {
  return JSON.stringify(
    { auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens: { id_token: t.id_token, access_token: t.access_token, refresh_token: t.refresh_token, account_id: t.account_id }, last_refresh: lastRefresh },
    null,
    2,
  );
}

/** Writes auth.json as Codex 0.169 does: temp `.auth-XXXXXX` (0600), fsync, rename. */
export async function writeAuthLikeCodex(codexHome: string, bytes: string): Promise<void> {
  const tmp = join(codexHome, `.auth-${randomBytes(4).toString('base64url').slice(0, 6)}`);
  const fh = await fsp.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, join(codexHome, 'auth.json'));
}

/** Writes auth.json as older Codex versions did: truncate in place, then write (in two parts here). */
export async function writeAuthInPlace(codexHome: string, bytes: string): Promise<void> {
  const fh = await fsp.open(join(codexHome, 'auth.json'), 'w', 0o600);
  try {
    const half = Math.floor(bytes.length / 2);
    await fh.write(bytes.slice(0, half));
    await new Promise((r) => setImmediate(r));
    await fh.write(bytes.slice(half));
  } finally {
    await fh.close();
  }
}

/**
 * One refresh as Codex does it: read auth.json, POST the refresh token (JSON body, Codex's client id), and on
 * success write the rotated tokens back like Codex ({@link writeAuthLikeCodex}).
 * @returns the HTTP status of the token endpoint.
 */
export async function simulatedCodexRefresh(codexHome: string, tokenUrl: string): Promise<number> {
  const cur = JSON.parse(await fsp.readFile(join(codexHome, 'auth.json'), 'utf8')) as { tokens: MintedTokens };
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', originator: 'codex_exec', 'user-agent': 'simulated-codex/0.169.0' },
    body: JSON.stringify({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_reason: 'proactive_expiry', refresh_token: cur.tokens.refresh_token }),
  });
  const body = (await res.json()) as Partial<MintedTokens>;
  if (res.status !== 200) return res.status;
  const next: MintedTokens = { id_token: body.id_token!, access_token: body.access_token!, refresh_token: body.refresh_token!, account_id: cur.tokens.account_id };
  await writeAuthLikeCodex(codexHome, codexAuthJson(next));
  return res.status;
}
