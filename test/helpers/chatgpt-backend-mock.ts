/**
 * A mock of the ChatGPT Codex backend (`POST {base}/responses`, the endpoint Codex uses with a ChatGPT
 * sign-in) on 127.0.0.1, plus the `auth.json` fixture of a Codex ChatGPT sign-in it checks requests against.
 *
 * It enforces the backend's rules (openai/codex `codex-rs` request building; LiteLLM `litellm/llms/chatgpt/`;
 * shared/notes/peers.md) and REJECTS what the real backend rejects, in its `{"detail": ...}` error shape:
 * - `Authorization: Bearer <the fixture's access token>` (else 401) and `ChatGPT-Account-Id: <its account id>`
 *   (else 403); an `originator` and a `User-Agent` header; no `Cookie` header;
 * - `stream: true`, `store: false`, a non-empty `instructions` string, a list `input`;
 * - no max-token fields (`max_output_tokens`, `max_tokens`, `max_completion_tokens`), no `metadata`, no
 *   sampling fields, and no field outside what Codex itself sends this backend (400 "Unsupported parameter");
 * - `model` among {@link PLAN_MODELS} (400 "The 'x' model is not supported when using Codex with a ChatGPT account.").
 *
 * Accepted requests get an SSE answer (`response.created`, items, `response.completed` whose `output` is
 * empty, as clients must rebuild it from `response.output_item.done`), with the `x-codex-primary-*` /
 * `x-codex-secondary-*` usage headers. {@link ChatgptBackendMock.limitReached} makes the next answers a 429
 * `usage_limit_reached` with a reset time.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerSecret } from './leak-registry';
import { MockUpstream, type RecordedRequest } from './mock-upstream';

/** The models the mock plan offers (a few slugs of Codex 0.169's bundled catalog). */
export const PLAN_MODELS = ['gpt-5.5', 'gpt-5.6-sol', 'gpt-6-luna'];

/** Body fields the backend takes: what Codex's own `ResponsesApiRequest` sends it. */
const ACCEPTED_FIELDS = new Set([
  'model',
  'instructions',
  'input',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'store',
  'stream',
  'include',
  'service_tier',
  'prompt_cache_key',
  'text',
  'client_metadata',
]);

/**
 * Why the real ChatGPT backend would refuse `req` (the rules in the module notes), or undefined when it
 * would take it. Shared by {@link ChatgptBackendMock} and the fault mock's `chatgpt` wire
 * (test/helpers/fault-upstream.ts), so a fault test cannot pass with a request the backend would refuse.
 * @param auth the sign-in the backend accepts (access token and account id).
 * @returns the status and the `detail` text the backend answers with (`{"detail": ...}`).
 */
export function chatgptRequestProblem(req: RecordedRequest, auth: Pick<AuthFixture, 'accessToken' | 'accountId'>): { status: number; detail: string } | undefined {
  const h = req.headers;
  if (req.method !== 'POST' || !req.path.endsWith('/backend-api/codex/responses')) return { status: 404, detail: 'Not Found' };
  if (h.authorization !== `Bearer ${auth.accessToken}`) return { status: 401, detail: 'Unauthorized' };
  if (h['chatgpt-account-id'] !== auth.accountId) return { status: 403, detail: 'Forbidden: ChatGPT-Account-Id does not match the token' };
  if (!h.originator) return { status: 400, detail: 'Missing originator header' };
  if (!h['user-agent']) return { status: 400, detail: 'Missing User-Agent header' };
  if (h.cookie !== undefined) return { status: 400, detail: 'Cookies are not accepted on this API' };
  const b = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return { status: 400, detail: 'Invalid JSON body' };
  for (const k of Object.keys(b)) if (!ACCEPTED_FIELDS.has(k)) return { status: 400, detail: `Unsupported parameter: ${k}` };
  if (b.stream !== true) return { status: 400, detail: 'Stream must be set to true' };
  if (b.store !== false) return { status: 400, detail: 'Store must be set to false' };
  if (typeof b.instructions !== 'string' || b.instructions.trim() === '') return { status: 400, detail: 'Instructions are required' };
  if (!Array.isArray(b.input)) return { status: 400, detail: 'Input must be a list' };
  if (!PLAN_MODELS.includes(b.model)) return { status: 400, detail: `The '${String(b.model)}' model is not supported when using Codex with a ChatGPT account.` };
  return undefined;
}

/** A Codex ChatGPT sign-in written to a temp `CODEX_HOME/auth.json`. */
export interface AuthFixture {
  /** The temp CODEX_HOME holding auth.json. */
  codexHome: string;
  /** `<codexHome>/auth.json`. */
  path: string;
  accessToken: string;
  refreshToken: string;
  accountId: string;
  /** The file's bytes as written (compare after the tests: nothing may change them). */
  bytes: Buffer;
  /** Whether auth.json still has exactly {@link bytes}. */
  unchanged(): Promise<boolean>;
  /** Removes the temp CODEX_HOME. */
  cleanup(): Promise<void>;
}

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** A JWT-shaped token (unsigned; the mock compares it byte for byte) that expires in a day. */
function fakeJwt(claims: Record<string, unknown>): string {
  const exp = Math.floor(Date.now() / 1000) + 86_400;
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ exp, iat: exp - 86_400 * 2, ...claims })}.${randomBytes(16).toString('base64url')}`;
}

/**
 * Writes a Codex ChatGPT sign-in (`auth_mode: "chatgpt"`, `tokens.{id_token, access_token, refresh_token,
 * account_id}`, `last_refresh`, Codex's auth.json shape) to a fresh temp CODEX_HOME. Tokens are random and
 * registered with the key-leak registry.
 */
export async function writeAuthFixture(): Promise<AuthFixture> {
  const codexHome = await mkdtemp(join(tmpdir(), 'cgw-plan-home-'));
  const accountId = randomUUID();
  const auth = { 'https://api.openai.com/auth': { chatgpt_account_id: accountId, chatgpt_plan_type: 'plus' } };
  const accessToken = fakeJwt({ ...auth, scp: ['openid'] });
  const refreshToken = `rt_test_${randomBytes(24).toString('hex')}`;
  const idToken = fakeJwt({ ...auth, email: 'user@example.invalid' });
  registerSecret(accessToken, 'chatgpt fixture access token');
  registerSecret(refreshToken, 'chatgpt fixture refresh token');
  registerSecret(idToken, 'chatgpt fixture id token');
  const text = `${JSON.stringify(
    { auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens: { id_token: idToken, access_token: accessToken, refresh_token: refreshToken, account_id: accountId }, last_refresh: new Date().toISOString() },
    null,
    2,
  )}\n`;
  const path = join(codexHome, 'auth.json');
  await writeFile(path, text, { mode: 0o600 });
  const bytes = Buffer.from(text);
  return {
    codexHome,
    path,
    accessToken,
    refreshToken,
    accountId,
    bytes,
    unchanged: async () => (await readFile(path)).equals(bytes),
    cleanup: () => rm(codexHome, { recursive: true, force: true }),
  };
}

/** One scripted backend answer; a text is streamed in `output_text.delta` events of `deltaChars` characters (default 6). */
export type BackendReply = { kind: 'text'; text: string; deltaChars?: number } | { kind: 'tool'; name: string; arguments: string; callId?: string };

/** Usage headers the mock reports on every accepted answer (percent used, window minutes). */
export interface MockUsage {
  primaryUsedPercent: number;
  secondaryUsedPercent: number;
}

/** See the module notes. Start with {@link ChatgptBackendMock.start}; always close it. */
export class ChatgptBackendMock {
  /** Scripted answers (FIFO); when empty, a text answer "plan says hi". */
  readonly script: BackendReply[] = [];
  /**
   * When set, picks the answer to each accepted request before the {@link script} is consulted (undefined:
   * the script's next), e.g. a `function_call` for a first turn and a text once `input` holds its
   * `function_call_output`, whatever background requests a client makes in between.
   */
  reply: ((req: RecordedRequest) => BackendReply | undefined) | undefined;
  /** Requests the mock refused, with the reason (the test asserts there are none unless it wants them). */
  readonly rejected: Array<{ request: RecordedRequest; status: number; detail: string }> = [];
  /** The usage the next answers report. */
  usage: MockUsage = { primaryUsedPercent: 12.5, secondaryUsedPercent: 3 };
  private limit: { resetsInSeconds: number } | undefined;

  private constructor(
    readonly up: MockUpstream,
    readonly auth: AuthFixture,
  ) {
    up.setFallback((req, res) => this.answer(req, res));
  }

  /** Starts the mock (and nothing else); `auth` is the sign-in it accepts. */
  static async start(auth: AuthFixture): Promise<ChatgptBackendMock> {
    return new ChatgptBackendMock(await MockUpstream.start({ name: 'chatgpt-backend' }), auth);
  }

  /** `api_base` for a chatgpt deployment: `http://127.0.0.1:PORT/backend-api/codex`. */
  get baseUrl(): string {
    return `${this.up.origin}/backend-api/codex`;
  }

  /** Every request received. */
  get requests(): RecordedRequest[] {
    return this.up.requests;
  }

  /** Requests the mock accepted and answered with 200. */
  get accepted(): RecordedRequest[] {
    return this.up.requests.filter((r) => !this.rejected.some((x) => x.request === r) && !r.path.endsWith('/models'));
  }

  /** Scripts the next answers. */
  enqueue(...r: BackendReply[]): this {
    this.script.push(...r);
    return this;
  }

  /** From now on (until {@link limitCleared}), answers 429 `usage_limit_reached` resetting in `resetsInSeconds`. */
  limitReached(resetsInSeconds: number): void {
    this.limit = { resetsInSeconds };
  }

  /** The plan serves again. */
  limitCleared(): void {
    this.limit = undefined;
  }

  /** Stops the server. */
  close(): Promise<void> {
    return this.up.close();
  }

  /** Why the real backend would refuse `req`, or undefined. */
  private problem(req: RecordedRequest): { status: number; detail: string } | undefined {
    return chatgptRequestProblem(req, this.auth);
  }

  private usageHeaders(primaryUsed: number): Record<string, string> {
    const now = Math.floor(Date.now() / 1000);
    return {
      'x-codex-primary-used-percent': String(primaryUsed),
      'x-codex-primary-window-minutes': '300',
      'x-codex-primary-reset-at': String(now + 3600),
      'x-codex-secondary-used-percent': String(this.usage.secondaryUsedPercent),
      'x-codex-secondary-window-minutes': '10080',
      'x-codex-secondary-reset-at': String(now + 5 * 86_400),
    };
  }

  private async answer(req: RecordedRequest, res: http.ServerResponse): Promise<void> {
    const bad = this.problem(req);
    if (bad) {
      this.rejected.push({ request: req, ...bad });
      const text = JSON.stringify({ detail: bad.detail });
      res.writeHead(bad.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (this.limit) {
      const s = this.limit.resetsInSeconds;
      const text = JSON.stringify({
        error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_at: Math.floor(Date.now() / 1000) + s, resets_in_seconds: s },
      });
      res.writeHead(429, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...this.usageHeaders(100) });
      res.end(text);
      return;
    }
    const reply = this.reply?.(req) ?? this.script.shift() ?? { kind: 'text', text: 'plan says hi' };
    const model = String(req.body.model);
    const id = `resp_${randomBytes(8).toString('hex')}`;
    const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model, status: 'in_progress', output: [] as unknown[], usage: null };
    let seq = 0;
    const frames: string[] = [];
    const ev = (type: string, data: Record<string, unknown>) => frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
    ev('response.created', { response: base });
    ev('response.in_progress', { response: base });
    if (reply.kind === 'text') {
      const item = { type: 'message', id: `msg_${randomBytes(6).toString('hex')}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: reply.text, annotations: [] }] };
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
      ev('response.content_part.added', { item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      const n = reply.deltaChars ?? 6;
      for (let i = 0; i < reply.text.length; i += n) ev('response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta: reply.text.slice(i, i + n) });
      ev('response.output_text.done', { item_id: item.id, output_index: 0, content_index: 0, text: reply.text });
      ev('response.content_part.done', { item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] });
      ev('response.output_item.done', { output_index: 0, item });
    } else {
      const item = { type: 'function_call', id: `fc_${randomBytes(6).toString('hex')}`, status: 'completed', call_id: reply.callId ?? `call_${randomBytes(6).toString('hex')}`, name: reply.name, arguments: reply.arguments };
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } });
      ev('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: reply.arguments });
      ev('response.function_call_arguments.done', { item_id: item.id, output_index: 0, arguments: reply.arguments });
      ev('response.output_item.done', { output_index: 0, item });
    }
    // The terminal event carries no output: clients rebuild it from the output_item.done events.
    ev('response.completed', { response: { ...base, status: 'completed', usage: { input_tokens: 42, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 49 } } });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...this.usageHeaders(this.usage.primaryUsedPercent) });
    res.end(frames.join(''));
  }
}
