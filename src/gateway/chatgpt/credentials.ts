/**
 * The user's own Codex ChatGPT sign-in, read from `$CODEX_HOME/auth.json` when a request needs it.
 *
 * Design (docs/chatgpt.md, "Credentials and refresh"): this module NEVER refreshes and NEVER writes
 * auth.json. ChatGPT refresh tokens are single use and rotate; a second refresher racing Codex's own refresh
 * spends an already-spent token and OpenAI then answers `refresh_token_reused` and invalidates the whole
 * login. Codex 0.169 gives another process no way to avoid that race: it posts the refresh without holding
 * any cross-process lock and only takes its `flock` locks (`auth.lock`, `auth.json.lock`) for the write-back
 * (observed with strace; see the doc), and Node cannot take `flock` locks anyway. So when the access token
 * has expired we say so and ask the user to start Codex once: Codex renews the sign-in (it refreshes when the
 * access token is within 5 minutes of its JWT `exp`, also when its model provider is the gateway) and the
 * next request here reads the new token.
 *
 * What is read (Codex's `AuthDotJson`, codex-rs/login/src/auth/storage.rs):
 * `{auth_mode?, OPENAI_API_KEY, tokens?: {id_token, access_token, refresh_token, account_id?}, last_refresh?}`.
 * Mode resolution as Codex's `resolved_mode()`: `auth_mode` when present, else `apikey` when
 * `OPENAI_API_KEY` is set, else `chatgpt`. Account id: `tokens.account_id`, else the id_token's
 * `https://api.openai.com/auth.chatgpt_account_id` claim (where Codex takes it from at login).
 *
 * Where Codex keeps the sign-in: top-level `cli_auth_credentials_store` in `$CODEX_HOME/config.toml`
 * (`file` default: auth.json; `keyring`: the OS keyring only, auth.json ignored and deleted on save;
 * `auto`: the keyring when available, else auth.json; `ephemeral`: memory of one Codex process).
 *
 * Caching: auth.json and config.toml are `stat`ed on every call (microseconds) and re-read only when their
 * identity (device, inode, size, mtime, ctime) changed. Codex 0.169 replaces auth.json by rename (atomic);
 * older Codex versions truncate and rewrite it in place, so a parse failure is retried a few times (bounded,
 * {@link TORN_READ_RETRY_MS}) before it is reported.
 *
 * Tokens stay in this object's memory; they are never copied to another file, never logged and never put in
 * an error message. `onSecret` hands each token to the logger's scrubber (`Logger.addSecret`).
 */
import { promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import { codexHome } from '../codex/config-toml';

// smol-toml ships a CJS build; loaded with require() like in codex/config-toml.ts.
const smol = require('smol-toml') as { parse(text: string): Record<string, unknown> };

/** The credentials one backend request needs. */
export interface ChatgptAuth {
  /** Bearer token for `Authorization` (a JWT issued by auth.openai.com). Never logged. */
  accessToken: string;
  /** ChatGPT account (workspace) id for the `ChatGPT-Account-Id` header. */
  accountId: string;
}

/** Why the user's ChatGPT sign-in cannot be used. */
export type ChatgptAuthErrorCode = 'not_signed_in' | 'api_key_mode' | 'keyring' | 'expired' | 'unreadable';

/**
 * Why the user's ChatGPT sign-in cannot be used. `userMessage` (also `message`) says what happened and what
 * to do next; it never contains a token.
 */
export class ChatgptAuthError extends Error {
  constructor(
    readonly code: ChatgptAuthErrorCode,
    readonly userMessage: string,
  ) {
    super(userMessage);
    this.name = 'ChatgptAuthError';
  }
}

/** Options of {@link ChatgptCredentials}. */
export interface ChatgptCredentialsOptions {
  /** Codex's home directory; default `codexHome(env)` (`$CODEX_HOME`, else `~/.codex`). */
  codexHome?: string;
  /** Environment used to find CODEX_HOME/HOME [process.env]. */
  env?: NodeJS.ProcessEnv;
  /** Clock in ms since the epoch [Date.now]; compared with the access token's JWT `exp`. */
  now?: () => number;
  /**
   * Called with every token value read (access, refresh and id token), once per value, so a logger can scrub
   * them from its output, e.g. `(v) => logger.addSecret(v)`.
   */
  onSecret?: (value: string) => void;
  /**
   * An access token whose `exp` is less than this many ms away counts as expired [30000], so a request is not
   * sent with a token that dies in flight.
   */
  expirySkewMs?: number;
}

/** What {@link ChatgptCredentials.status} reports (no token in it). */
export type ChatgptCredentialsStatus =
  | { ok: true; accountId: string; /** JWT `exp` of the access token in ms, when it has one. */ expiresAt?: number; authFile: string }
  | { ok: false; code: ChatgptAuthErrorCode; userMessage: string; authFile: string };

/** Delays in ms between re-reads of an auth.json that did not parse (an older Codex rewriting it in place). */
export const TORN_READ_RETRY_MS: readonly number[] = [20, 50, 100];
/** Default of {@link ChatgptCredentialsOptions.expirySkewMs}, in ms. */
export const DEFAULT_EXPIRY_SKEW_MS = 30_000;
/** The claim namespace of OpenAI's id/access tokens that carries `chatgpt_account_id` (codex-rs/login/src/token_data.rs). */
const AUTH_CLAIM = 'https://api.openai.com/auth';

/** Values of `cli_auth_credentials_store` (codex-rs config types `AuthCredentialsStoreMode`, lowercase). */
type StoreMode = 'file' | 'keyring' | 'auto' | 'ephemeral';

/** auth.json as parsed: a usable sign-in, or why not. */
type Parsed = { ok: true; accessToken: string; accountId: string; expiresAt?: number } | { ok: false; error: ChatgptAuthError };

/** A file's identity; equal keys mean "unchanged since last read". */
function statKey(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/** What to tell a user whose Codex sign-in is not a ChatGPT one, or missing. */
const LOGIN_HINT = 'run `codex login` in a terminal and choose "Sign in with ChatGPT"';
/** What to tell a user whose access token expired (Codex renews it when it starts). */
const RENEW_HINT =
  'Start Codex once (run `codex` in a terminal, or open a new Codex chat in VS Code): Codex renews the sign-in in auth.json and the gateway uses it on the next request. If Codex asks you to sign in, ' +
  LOGIN_HINT +
  '.';

/**
 * Reads the claims of a JWT without verifying it (the token is only passed on; the backend verifies it).
 * @returns the payload object, or undefined when `token` is not a JWT with a JSON payload.
 */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const v = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The user's Codex ChatGPT sign-in, read from auth.json on demand, never refreshed, never written.
 * One instance per gateway is enough; instances in several processes may read the same file at once.
 */
export class ChatgptCredentials {
  /** `$CODEX_HOME/auth.json` (absolute). */
  readonly authFile: string;
  private readonly configFile: string;
  private readonly now: () => number;
  private readonly skewMs: number;
  private readonly onSecret?: (value: string) => void;
  private readonly secretsSeen = new Set<string>();
  private authCache?: { key: string; parsed: Parsed };
  private configCache?: { key: string; mode: StoreMode };

  constructor(o: ChatgptCredentialsOptions = {}) {
    const home = o.codexHome ?? codexHome(o.env ?? process.env);
    this.authFile = path.join(home, 'auth.json');
    this.configFile = path.join(home, 'config.toml');
    this.now = o.now ?? Date.now;
    this.skewMs = o.expirySkewMs ?? DEFAULT_EXPIRY_SKEW_MS;
    this.onSecret = o.onSecret;
  }

  /**
   * The access token and account id to send now, from auth.json as it is on disk at this moment.
   * @throws ChatgptAuthError `not_signed_in` (no auth.json, or a sign-in other than ChatGPT), `api_key_mode`
   *   (Codex signed in with an API key), `keyring` (Codex keeps the sign-in in the OS keyring),
   *   `unreadable` (auth.json cannot be read or parsed), `expired` (the access token's JWT `exp` has passed
   *   or is less than `expirySkewMs` away).
   */
  async current(): Promise<ChatgptAuth> {
    const p = await this.load();
    if (!p.ok) throw p.error;
    if (p.expiresAt !== undefined && p.expiresAt - this.skewMs <= this.now()) throw this.expiredError(p.expiresAt);
    return { accessToken: p.accessToken, accountId: p.accountId };
  }

  /**
   * After the backend answered 401 to `rejectedAccessToken`: re-reads auth.json and returns the credentials
   * in it when they hold a different, unexpired access token (Codex renewed the sign-in meanwhile), so the
   * caller can retry once. Returns undefined when auth.json still holds the rejected token (or one that
   * expired): the caller reports the 401 (the user should start Codex once; see {@link rejectedError}).
   * Never refreshes.
   * @throws ChatgptAuthError as {@link current} when auth.json no longer holds a usable ChatGPT sign-in
   *   (other than `expired`).
   */
  async afterUnauthorized(rejectedAccessToken: string): Promise<ChatgptAuth | undefined> {
    const p = await this.load();
    if (!p.ok) throw p.error;
    if (p.accessToken === rejectedAccessToken) return undefined;
    if (p.expiresAt !== undefined && p.expiresAt - this.skewMs <= this.now()) return undefined;
    return { accessToken: p.accessToken, accountId: p.accountId };
  }

  /**
   * The error to report when the backend keeps rejecting the sign-in (401 after {@link afterUnauthorized}
   * found nothing newer): code `expired`, with what to do.
   */
  rejectedError(): ChatgptAuthError {
    return new ChatgptAuthError(
      'expired',
      `ChatGPT rejected your Codex sign-in (the access token in ${this.authFile}; HTTP 401). The gateway never renews it itself, so that it can never sign Codex out. ${RENEW_HINT}`,
    );
  }

  /** The sign-in's state for a panel or status line, without any token; never throws. */
  async status(): Promise<ChatgptCredentialsStatus> {
    try {
      const p = await this.load();
      if (!p.ok) return { ok: false, code: p.error.code, userMessage: p.error.userMessage, authFile: this.authFile };
      if (p.expiresAt !== undefined && p.expiresAt - this.skewMs <= this.now()) {
        const e = this.expiredError(p.expiresAt);
        return { ok: false, code: e.code, userMessage: e.userMessage, authFile: this.authFile };
      }
      return { ok: true, accountId: p.accountId, ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}), authFile: this.authFile };
    } catch (e) {
      return { ok: false, code: 'unreadable', userMessage: String((e as Error)?.message ?? e), authFile: this.authFile };
    }
  }

  private expiredError(expiresAt: number): ChatgptAuthError {
    return new ChatgptAuthError(
      'expired',
      `Your Codex ChatGPT sign-in expired at ${new Date(expiresAt).toISOString()} (the access token in ${this.authFile}). The gateway never renews it itself, so that it can never sign Codex out. ${RENEW_HINT}`,
    );
  }

  /** Where Codex keeps its sign-in, from config.toml (cached by stat; unreadable or unknown → `file`). */
  private async storeMode(): Promise<StoreMode> {
    let st: Stats;
    try {
      st = await fsp.stat(this.configFile);
    } catch {
      this.configCache = undefined;
      return 'file';
    }
    const key = statKey(st);
    if (this.configCache?.key === key) return this.configCache.mode;
    let mode: StoreMode = 'file';
    try {
      const v = smol.parse(await fsp.readFile(this.configFile, 'utf8')).cli_auth_credentials_store;
      if (v === 'keyring' || v === 'auto' || v === 'ephemeral' || v === 'file') mode = v;
    } catch {
      // Codex itself refuses to start with a broken config.toml; auth.json is still the best guess.
    }
    this.configCache = { key, mode };
    return mode;
  }

  /** auth.json as it is now (re-read only when it changed). Errors come back as `{ok: false}`. */
  private async load(): Promise<Parsed> {
    const mode = await this.storeMode();
    if (mode === 'keyring') {
      return fail(
        'keyring',
        `Codex keeps your ChatGPT sign-in in the OS keyring (cli_auth_credentials_store = "keyring" in ${this.configFile}), which the gateway does not read. To use your ChatGPT plan through the gateway, set cli_auth_credentials_store = "file" in that file, then ${LOGIN_HINT}.`,
      );
    }
    if (mode === 'ephemeral') {
      return fail(
        'not_signed_in',
        `Codex keeps your ChatGPT sign-in in memory only (cli_auth_credentials_store = "ephemeral" in ${this.configFile}), so the gateway cannot use it. Set cli_auth_credentials_store = "file" in that file, then ${LOGIN_HINT}.`,
      );
    }
    let st: Stats;
    try {
      st = await fsp.stat(this.authFile);
    } catch (e) {
      this.authCache = undefined;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return fail('unreadable', `The gateway cannot read ${this.authFile} (${(e as NodeJS.ErrnoException).code ?? 'error'}). Check the file's permissions, or ${LOGIN_HINT}.`);
      if (mode === 'auto') {
        return fail(
          'keyring',
          `Codex keeps your ChatGPT sign-in in the OS keyring when one is available (cli_auth_credentials_store = "auto" in ${this.configFile}) and there is no ${this.authFile}; the gateway does not read the keyring. Set cli_auth_credentials_store = "file" in that file, then ${LOGIN_HINT}.`,
        );
      }
      return fail('not_signed_in', `Codex is not signed in on this machine (there is no ${this.authFile}). To use your ChatGPT plan through the gateway, ${LOGIN_HINT}.`);
    }
    if (this.authCache?.key === statKey(st)) return this.authCache.parsed;
    const { parsed, key } = await this.readParsed();
    this.authCache = { key, parsed };
    return parsed;
  }

  /**
   * Reads and parses auth.json, retrying a few times when it does not parse (a rewrite in progress).
   * The result is cached under the file's stat key only when the stat taken before the read equals the one
   * taken after it (so content is never cached under another version's key); otherwise under '' (read again).
   */
  private async readParsed(): Promise<{ parsed: Parsed; key: string }> {
    for (let attempt = 0; ; attempt++) {
      const before = await fsp.stat(this.authFile).then(statKey, () => '');
      let text: string;
      try {
        text = await fsp.readFile(this.authFile, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && attempt < TORN_READ_RETRY_MS.length) {
          await delay(TORN_READ_RETRY_MS[attempt]);
          continue;
        }
        return { parsed: fail('unreadable', `The gateway cannot read ${this.authFile} (${code ?? 'error'}). Check the file's permissions, or ${LOGIN_HINT}.`), key: '' };
      }
      const after = await fsp.stat(this.authFile).then(statKey, () => '');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        if (attempt < TORN_READ_RETRY_MS.length) {
          await delay(TORN_READ_RETRY_MS[attempt]);
          continue;
        }
        // Not cached: the next request reads it again, in case a writer was still busy.
        return { parsed: fail('unreadable', `${this.authFile} is not valid JSON, so the gateway cannot use your Codex sign-in. To repair it, ${LOGIN_HINT}.`), key: '' };
      }
      return { parsed: this.interpret(json), key: before !== '' && before === after ? after : '' };
    }
  }

  /** Turns parsed auth.json into a sign-in or an error (Codex's `resolved_mode()` rules). */
  private interpret(json: unknown): Parsed {
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      return fail('unreadable', `${this.authFile} does not hold a Codex sign-in (it is not a JSON object). To repair it, ${LOGIN_HINT}.`);
    }
    const j = json as Record<string, unknown>;
    const apiKey = typeof j.OPENAI_API_KEY === 'string' && j.OPENAI_API_KEY !== '';
    const mode = typeof j.auth_mode === 'string' ? j.auth_mode : apiKey ? 'apikey' : 'chatgpt';
    if (mode === 'apikey') {
      return fail('api_key_mode', `Codex is signed in with an API key, not with ChatGPT (${this.authFile}), so there is no ChatGPT plan to use. To use your plan through the gateway, ${LOGIN_HINT}.`);
    }
    if (mode !== 'chatgpt') {
      return fail('not_signed_in', `Codex is signed in with "${mode.slice(0, 40)}", not with a ChatGPT account (${this.authFile}). To use your ChatGPT plan through the gateway, ${LOGIN_HINT}.`);
    }
    const t = j.tokens as Record<string, unknown> | null | undefined;
    const accessToken = t && typeof t === 'object' && typeof t.access_token === 'string' ? t.access_token : '';
    if (!accessToken) return fail('not_signed_in', `${this.authFile} holds no ChatGPT access token. To use your ChatGPT plan through the gateway, ${LOGIN_HINT}.`);
    for (const v of [accessToken, t!.refresh_token, t!.id_token]) this.secret(v);
    let accountId = typeof t!.account_id === 'string' ? t!.account_id : '';
    if (!accountId && typeof t!.id_token === 'string') {
      const auth = jwtClaims(t!.id_token)?.[AUTH_CLAIM] as Record<string, unknown> | undefined;
      if (auth && typeof auth.chatgpt_account_id === 'string') accountId = auth.chatgpt_account_id;
    }
    if (!accountId) return fail('unreadable', `${this.authFile} names no ChatGPT account (no tokens.account_id and no account in the id token). To repair it, ${LOGIN_HINT}.`);
    const exp = jwtClaims(accessToken)?.exp;
    return { ok: true, accessToken, accountId, ...(typeof exp === 'number' && Number.isFinite(exp) ? { expiresAt: exp * 1000 } : {}) };
  }

  private secret(v: unknown): void {
    if (!this.onSecret || typeof v !== 'string' || v === '' || this.secretsSeen.has(v)) return;
    this.secretsSeen.add(v);
    this.onSecret(v);
  }
}

function fail(code: ChatgptAuthErrorCode, userMessage: string): Parsed {
  return { ok: false, error: new ChatgptAuthError(code, userMessage) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
