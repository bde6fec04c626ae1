/**
 * The ChatGPT backend's rules (`POST https://chatgpt.com/backend-api/codex/responses`, the endpoint Codex
 * itself uses with a ChatGPT sign-in), applied to every request of a `chatgpt/<model>` deployment after the
 * ordinary Responses body was built or relayed. Sources: openai/codex `codex-rs` (its `ResponsesApiRequest`
 * and the headers its ChatGPT client sends), LiteLLM `litellm/llms/chatgpt/` (its working allow-list of body
 * fields), and shared/notes/peers.md ("ChatGPT-login upstream facts").
 *
 * Body ({@link chatgptBody}):
 * - Only the fields Codex itself sends to this backend are kept: `model`, `instructions`, `input`, `tools`,
 *   `tool_choice`, `parallel_tool_calls`, `reasoning`, `store`, `stream`, `include`, `service_tier`,
 *   `prompt_cache_key`, `text`. Everything else is left out and listed (`chatgpt:<field>`) for the debug
 *   log: the backend rejects max-token fields (`max_output_tokens`, ...), `metadata`, sampling settings, and
 *   `client_metadata` (Codex's own telemetry for its own backend) is not ours to forward.
 * - `stream: true` always (the backend serves streams only; a non-streamed client gets the stream collected,
 *   see collect.ts) and `store: false` always (the backend keeps nothing).
 * - `instructions` is required: the client's own when given; else the text of a leading `developer` /
 *   `system` message of `input` is moved there (Codex 0.169 sends a custom provider its base prompt that way,
 *   codex-wire.md; with its own ChatGPT sign-in it sends the same text as `instructions`); else
 *   {@link DEFAULT_INSTRUCTIONS}.
 * - `input` is always a list (a string becomes one user message); the gateway's own reasoning items (made while
 *   another wire served earlier turns) are removed, as the backend cannot decrypt them.
 * - `include` always has `reasoning.encrypted_content` (with `store: false` the reasoning of earlier turns
 *   comes back only that way; Codex and LiteLLM ask for it too).
 *
 * Headers ({@link chatgptHeaders}): `Authorization: Bearer <access token>`, `ChatGPT-Account-Id`,
 * `originator: codex_gateway` and `User-Agent: codex-gateway/<version> (<os> <release>; <arch>) node/<version>`:
 * this gateway names itself, it never claims to be the Codex CLI. No cookies and no other identifying
 * headers; a deployment's `extra_headers` cannot replace these.
 */
import { arch, platform, release } from 'node:os';
import { stripForeignReasoning } from '../translate/reasoning';
import type { Deployment } from '../types';
import type { ChatgptAuth } from './credentials';
import { version as packageVersion } from '../../../package.json';
import { isObject } from '../translate/safe';

/** Body fields the backend accepts (what Codex's own `ResponsesApiRequest` sends it). */
export const BACKEND_BODY_FIELDS: ReadonlySet<string> = new Set([
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
]);

/** `instructions` when the request carries no system or developer text of its own. */
export const DEFAULT_INSTRUCTIONS = 'You are a helpful assistant.';

/** The `originator` header value: this gateway, under its own name (never `codex_cli_rs`). */
export const CHATGPT_ORIGINATOR = 'codex_gateway';

/** The gateway's version (package.json), as it appears in the User-Agent. */
export const GATEWAY_VERSION: string = packageVersion;

/** Header names the gateway sets itself; a deployment's `extra_headers` for them (or any cookie) are ignored. */
const OWN_HEADERS = new Set(['authorization', 'chatgpt-account-id', 'originator', 'user-agent', 'cookie', 'content-type', 'accept']);

/** Keeps printable ASCII only (header values must not carry control characters). */
function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_');
}

/** `codex-gateway/<version> (<os> <release>; <arch>) node/<version>`: who is calling, honestly. */
export function chatgptUserAgent(): string {
  return headerSafe(`codex-gateway/${GATEWAY_VERSION} (${platform()} ${release()}; ${arch()}) node/${process.versions.node}`);
}

/**
 * The headers of one backend request.
 * @param d the deployment (its `extra_headers` are added, except the ones named in the module notes).
 * @param auth the access token and account id (from credentials.ts; never logged).
 */
export function chatgptHeaders(d: Pick<Deployment, 'extraHeaders'>, auth: ChatgptAuth): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.extraHeaders)) if (!OWN_HEADERS.has(k.toLowerCase())) h[k] = v;
  h['content-type'] = 'application/json';
  h.accept = 'text/event-stream';
  h.authorization = `Bearer ${auth.accessToken}`;
  h['chatgpt-account-id'] = auth.accountId;
  h.originator = CHATGPT_ORIGINATOR;
  h['user-agent'] = chatgptUserAgent();
  return h;
}

/** The text of a `message` input item (string content, or its `input_text` / `text` parts joined). */
function messageText(item: Record<string, unknown>): string {
  const c = item.content;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return '';
  return c
    .map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : ''))
    .filter((t) => t)
    .join('\n\n');
}

/**
 * The backend body for a Responses body (relayed from a Responses client, or built from a Chat / Messages
 * client), following the module notes. Does not modify `body`.
 * @param dropped receives `chatgpt:<field>` for each field left out, and `chatgpt:instructions:<source>`
 *   (`input` or `default`) when `instructions` was supplied.
 */
export function chatgptBody(body: Record<string, unknown>, dropped: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    if (BACKEND_BODY_FIELDS.has(k)) out[k] = v;
    else dropped.add(`chatgpt:${k}`);
  }
  let input: unknown[] =
    typeof out.input === 'string'
      ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: out.input }] }]
      : Array.isArray(out.input)
        ? stripForeignReasoning(out.input as Record<string, unknown>[])
        : [];
  if (typeof out.instructions !== 'string' || out.instructions.trim() === '') {
    const first = input[0];
    const text = isObject(first) && (first.type === 'message' || first.type === undefined) && (first.role === 'developer' || first.role === 'system') ? messageText(first) : '';
    if (text.trim()) {
      out.instructions = text;
      input = input.slice(1);
      dropped.add('chatgpt:instructions:input');
    } else {
      out.instructions = DEFAULT_INSTRUCTIONS;
      dropped.add('chatgpt:instructions:default');
    }
  }
  out.input = input;
  out.stream = true;
  out.store = false;
  const include = Array.isArray(out.include) ? out.include.filter((x): x is string => typeof x === 'string') : [];
  if (!include.includes('reasoning.encrypted_content')) include.push('reasoning.encrypted_content');
  out.include = include;
  return out;
}

/**
 * Whether a backend 400 says the model is not one the plan offers (the backend answers e.g. "The 'x' model
 * is not supported when using Codex with a ChatGPT account."): such an answer is reported as an unknown
 * model for the deployment, not as a bad request.
 */
export function isUnsupportedModelMessage(message: string): boolean {
  return /model/i.test(message) && /not supported|does not exist|unknown model|not available|not found/i.test(message);
}
