/**
 * A local stand-in for OpenAI's token endpoint (`POST https://auth.openai.com/oauth/token`) as Codex uses it
 * to refresh a ChatGPT sign-in, enforcing the rules the real one enforces. Listens on 127.0.0.1 only.
 *
 * Wire (observed from Codex 0.169 pointed at this mock with `CODEX_REFRESH_TOKEN_URL_OVERRIDE`, and
 * codex-rs/login/src/auth/manager.rs `request_chatgpt_token_refresh`): `Content-Type: application/json`,
 * body `{"client_id": "app_EMoamEEZ73f0CkXaXp7hrann", "grant_type": "refresh_token", "refresh_reason":
 * "proactive_expiry", "refresh_token": "..."}`; answer `{id_token, access_token, refresh_token}` (the
 * refresh token rotates). Errors carry `{"error": {"code": ...}}`, the shape Codex's
 * `extract_refresh_token_error_code` reads.
 *
 * Rules enforced (the real endpoint's, as Codex's error handling and the refresh_token_reused reports in
 * openai/codex#9634, #10332 describe them):
 * - JSON body only (400 `invalid_request`), `client_id` must be Codex's (401 `invalid_client`),
 *   `grant_type` must be `refresh_token` (400 `unsupported_grant_type`).
 * - Refresh tokens are single use and rotate: a successful refresh returns a new refresh token and spends the
 *   old one. Presenting a spent token answers 401 `refresh_token_reused` AND invalidates the whole family
 *   (every later refresh of that login, even with the newest token, answers 401 `refresh_token_invalidated`):
 *   the user's sign-in is broken for good, which is exactly what the gateway must never cause.
 * - `expireFamily()` makes a family answer 401 `refresh_token_expired`.
 *
 * Every other path answers 404 quickly (Codex, pointed here with `chatgpt_base_url`, probes backend paths).
 * Minted tokens are registered with the leak checker, so any test output that prints one fails the run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerSecret } from './leak-registry';

/** Codex's OAuth client id (codex-rs/login/src/auth/manager.rs `CLIENT_ID`; also in the 0.169 binary). */
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
/** The claim namespace carrying `chatgpt_account_id` (codex-rs/login/src/token_data.rs). */
export const AUTH_CLAIM = 'https://api.openai.com/auth';

/** The tokens of one sign-in, as auth.json's `tokens` holds them. */
export interface MintedTokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
  account_id: string;
}

/** What happened to one token-endpoint request. */
export type RefreshOutcome = 'rotated' | 'reused' | 'invalidated' | 'expired' | 'unknown_token' | 'bad_body' | 'bad_client' | 'bad_grant';

/** One request the token endpoint received (no token values kept). */
export interface TokenRequestRecord {
  /** ms since the epoch. */
  at: number;
  contentType: string;
  userAgent: string;
  originator: string;
  /** `refresh_reason` as sent (Codex 0.169 sends `proactive_expiry` or others). */
  refreshReason?: string;
  /** Family (sign-in) the presented refresh token belongs to, when known. */
  family?: number;
  outcome: RefreshOutcome;
  status: number;
}

interface Family {
  id: number;
  accountId: string;
  email: string;
  /** The one refresh token that may be spent next. */
  current: string;
  invalidated: boolean;
  expired: boolean;
}

/** base64url of a JSON value. */
function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/**
 * A JWT-shaped token (unsigned: nothing here verifies signatures, and the gateway only reads claims).
 * @param claims payload claims; a random `jti` makes every token unique.
 */
export function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64({ alg: 'RS256', typ: 'JWT', kid: 'mock' })}.${b64({ ...claims, jti: randomBytes(8).toString('hex') })}.${randomBytes(32).toString('base64url')}`;
}

/** Short non-secret fingerprint of a token for assertions and logs (sha256 prefix). */
export function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** The mock token endpoint. */
export class ChatgptAuthMock {
  /** Every token-endpoint request received, in order. */
  readonly requests: TokenRequestRecord[] = [];
  /** Requests to paths other than /oauth/token (method and path only). */
  readonly otherRequests: string[] = [];
  private server?: Server;
  private origin = '';
  private readonly families: Family[] = [];
  /** refresh token -> family id and whether it was spent. */
  private readonly refreshTokens = new Map<string, { family: number; spent: boolean }>();

  /**
   * @param accessTtlSec lifetime of minted access tokens in seconds [3600].
   */
  constructor(private readonly opts: { accessTtlSec?: number } = {}) {}

  /** Starts listening on 127.0.0.1 (random port). */
  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    return this.origin;
  }

  /** The token endpoint URL (`CODEX_REFRESH_TOKEN_URL_OVERRIDE`). */
  get tokenUrl(): string {
    return `${this.origin}/oauth/token`;
  }

  /** Stops the server (open connections are closed). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /**
   * Starts a new sign-in family (what `codex login` gets) and returns its tokens.
   * @param o.accessExpSec the access token's `exp` (seconds since the epoch) [now + accessTtlSec].
   */
  signIn(o: { accountId?: string; email?: string; accessExpSec?: number } = {}): MintedTokens {
    const fam: Family = { id: this.families.length + 1, accountId: o.accountId ?? `acct-${randomBytes(4).toString('hex')}`, email: o.email ?? 'user@example.com', current: '', invalidated: false, expired: false };
    this.families.push(fam);
    return this.mint(fam, o.accessExpSec);
  }

  /** Makes every refresh of a family answer 401 `refresh_token_expired`. */
  expireFamily(family: number): void {
    this.families[family - 1].expired = true;
  }

  /** A family's state: whether it still works and how many refreshes rotated it. */
  family(family: number): { invalidated: boolean; rotations: number; currentFingerprint: string } {
    const f = this.families[family - 1];
    return { invalidated: f.invalidated, rotations: this.requests.filter((r) => r.family === family && r.outcome === 'rotated').length, currentFingerprint: fingerprint(f.current) };
  }

  /** Requests with the given outcome. */
  count(outcome: RefreshOutcome): number {
    return this.requests.filter((r) => r.outcome === outcome).length;
  }

  private mint(f: Family, accessExpSec?: number): MintedTokens {
    const now = Math.floor(Date.now() / 1000);
    const exp = accessExpSec ?? now + (this.opts.accessTtlSec ?? 3600);
    const auth = { chatgpt_account_id: f.accountId, chatgpt_plan_type: 'plus', chatgpt_user_id: `user-${f.id}` };
    const t: MintedTokens = {
      id_token: fakeJwt({ iss: 'https://auth.openai.com', aud: [CODEX_CLIENT_ID], email: f.email, iat: now, exp: now + 3600, [AUTH_CLAIM]: auth }),
      access_token: fakeJwt({ iss: 'https://auth.openai.com', iat: now, exp, [AUTH_CLAIM]: auth }),
      refresh_token: `rt_${randomBytes(24).toString('base64url')}`,
      account_id: f.accountId,
    };
    f.current = t.refresh_token;
    this.refreshTokens.set(t.refresh_token, { family: f.id, spent: false });
    registerSecret(t.access_token, `mock ChatGPT access token (family ${f.id})`);
    registerSecret(t.refresh_token, `mock ChatGPT refresh token (family ${f.id})`);
    registerSecret(t.id_token, `mock ChatGPT id token (family ${f.id})`);
    return t;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== '/oauth/token') {
      this.otherRequests.push(`${req.method} ${path}`);
      return send(res, 404, { detail: 'Not Found' });
    }
    const rec: TokenRequestRecord = {
      at: Date.now(),
      contentType: String(req.headers['content-type'] ?? ''),
      userAgent: String(req.headers['user-agent'] ?? ''),
      originator: String(req.headers.originator ?? ''),
      outcome: 'bad_body',
      status: 400,
    };
    this.requests.push(rec);
    const reply = (status: number, outcome: RefreshOutcome, body: unknown) => {
      rec.status = status;
      rec.outcome = outcome;
      send(res, status, body);
    };
    const err = (code: string, message: string) => ({ error: { message, type: 'invalid_request_error', param: null, code } });
    let body: Record<string, unknown>;
    try {
      if (!/^application\/json\b/i.test(rec.contentType)) throw new Error('not json');
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      if (!body || typeof body !== 'object') throw new Error('not an object');
    } catch {
      return reply(400, 'bad_body', err('invalid_request', 'The request body must be a JSON object.'));
    }
    if (typeof body.refresh_reason === 'string') rec.refreshReason = body.refresh_reason;
    if (body.client_id !== CODEX_CLIENT_ID) return reply(401, 'bad_client', err('invalid_client', 'Unknown client.'));
    if (body.grant_type !== 'refresh_token') return reply(400, 'bad_grant', err('unsupported_grant_type', 'Unsupported grant type.'));
    const presented = typeof body.refresh_token === 'string' ? this.refreshTokens.get(body.refresh_token) : undefined;
    if (!presented) return reply(401, 'unknown_token', err('invalid_grant', 'Invalid refresh token.'));
    const fam = this.families[presented.family - 1];
    rec.family = fam.id;
    if (fam.invalidated) return reply(401, 'invalidated', err('refresh_token_invalidated', 'Your refresh token has been invalidated. Please try signing in again.'));
    if (fam.expired) return reply(401, 'expired', err('refresh_token_expired', 'Your refresh token has expired. Please try signing in again.'));
    if (presented.spent) {
      fam.invalidated = true;
      return reply(401, 'reused', err('refresh_token_reused', 'Your refresh token has already been used to generate a new access token. Please try signing in again.'));
    }
    presented.spent = true;
    const t = this.mint(fam);
    return reply(200, 'rotated', { id_token: t.id_token, access_token: t.access_token, refresh_token: t.refresh_token, expires_in: this.opts.accessTtlSec ?? 3600, token_type: 'Bearer', scope: 'openid profile email offline_access' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
