/**
 * The settings panel's Test button, done for real: one tiny, non-streaming Responses API request for an alias through
 * the running gateway (`POST {baseUrl}/v1/responses`, the same route Codex uses), timed, with the answer's first
 * words or the gateway's error and what to do about it. No `vscode` import; the backend calls it with the gateway's
 * URL and token.
 */
import type { TestAliasResult } from '../../shared/panel-protocol';

/** Options of {@link testAliasThroughGateway}. */
export interface TestAliasOptions {
  /** Gateway origin, e.g. `http://127.0.0.1:4141` (no `/v1`). */
  baseUrl: string;
  /** The gateway token (Bearer). */
  token: string;
  /** Alias to test. */
  alias: string;
  /** Whole-request limit in ms [60000]. */
  timeoutMs?: number;
  /** fetch implementation [globalThis.fetch]. */
  fetch?: typeof fetch;
}

/** Longest answer excerpt returned, in characters. */
const EXCERPT = 120;

/** The first words of `text`, at most {@link EXCERPT} characters, cut at a word boundary with an ellipsis. */
export function firstWords(text: string, max = EXCERPT): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const sp = cut.lastIndexOf(' ');
  return `${(sp > max / 2 ? cut.slice(0, sp) : cut).trimEnd()}…`;
}

/** The text of a Responses API `response` object (its `message` items' `output_text` parts). */
export function responseText(body: unknown): string {
  const out = (body as { output?: unknown })?.output;
  if (!Array.isArray(out)) return '';
  const parts: string[] = [];
  for (const item of out) {
    if ((item as { type?: unknown })?.type !== 'message') continue;
    const content = (item as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (const c of content) if ((c as { type?: unknown })?.type === 'output_text' && typeof (c as { text?: unknown }).text === 'string') parts.push((c as { text: string }).text);
  }
  return parts.join('');
}

/**
 * What to do about a failed test, from the gateway's status and message (its messages follow the project rule
 * "what happened and what to do", so the hint adds the panel's own way to fix it).
 */
export function hintFor(status: number, message: string): string | undefined {
  const keyName = /([A-Z][A-Z0-9_]*_(?:API_)?KEY)\b/.exec(message)?.[1];
  if (/is not set/.test(message) && keyName) return `Set ${keyName} in the Key column of the Models tab.`;
  if (status === 401 || status === 403 || /auth|api key|unauthori[sz]ed|forbidden/i.test(message)) {
    return keyName ? `Check the key ${keyName}: set it again in the Key column.` : 'Check the provider key: set it again in the Key column.';
  }
  if (status === 404 || /model_not_found|not found|does not exist/i.test(message)) return 'Check the model name and api_base of this alias.';
  if (status === 429) return 'The provider is rate limiting: wait a moment, or add a fallback for this alias.';
  if (status === 0 || /ECONNREFUSED|connect|timed? ?out|ENOTFOUND/i.test(message)) return 'Check api_base and that the provider (or local server) is reachable.';
  if (status >= 500) return 'The provider failed; try again, or add a fallback for this alias.';
  return undefined;
}

/**
 * Sends `{model: alias, input: "Reply with: OK", stream: false, max_output_tokens: 64}` through the gateway.
 * @returns `{ok: true, latencyMs, text, deployment?, fallback?}` or `{ok: false, latencyMs, error, hint?}`; latency
 *   in ms from sending to the whole answer read. Never throws (network errors and timeouts are results).
 */
export async function testAliasThroughGateway(o: TestAliasOptions): Promise<TestAliasResult> {
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  try {
    const res = await doFetch(`${o.baseUrl.replace(/\/+$/, '')}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        model: o.alias,
        input: 'This is a connection test. Reply with one short sentence.',
        stream: false,
        store: false,
        max_output_tokens: 64,
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const latencyMs = elapsed();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const msg = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
      const error = typeof msg === 'string' && msg ? msg : `The gateway answered HTTP ${res.status}${text ? `: ${firstWords(text, 200)}` : ''}`;
      const hint = hintFor(res.status, error);
      return hint ? { ok: false, latencyMs, error, hint } : { ok: false, latencyMs, error };
    }
    const answer = responseText(body);
    const result: TestAliasResult = { ok: true, latencyMs, text: answer ? firstWords(answer) : '(an empty answer: the model may have spent its 64 output tokens on reasoning)' };
    const dep = res.headers.get('x-codex-gateway-deployment');
    if (dep) result.deployment = dep;
    if (res.headers.get('x-codex-gateway-fallback-from')) result.fallback = true;
    return result;
  } catch (e) {
    const err = e as Error;
    const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
    const error = timedOut
      ? `No answer within ${Math.round(timeoutMs / 1000)} s.`
      : `Could not reach the gateway at ${o.baseUrl} (${(err as { cause?: { code?: string } }).cause?.code ?? err.message}).`;
    return {
      ok: false,
      latencyMs: elapsed(),
      error,
      hint: timedOut ? 'The provider is slow or unreachable: check api_base, or raise the timeout in Fallbacks & routing.' : 'Check that the gateway is running (status bar), then try again.',
    };
  }
}
