/**
 * Integration, fault matrix (issues 7, 8): every upstream fault of test/helpers/fault-upstream.ts, streamed
 * and not, on every door/upstream-wire pair (the Responses and Chat doors x chat, responses, Anthropic
 * messages and the ChatGPT plan backend; the Messages door x the ChatGPT plan backend), without and with a
 * fallback alias (a healthy mock), against the real gateway on loopback, with the official `openai` SDK as
 * the client of the OpenAI doors and the official `@anthropic-ai/sdk` as the client of the Messages door.
 *
 * The ChatGPT plan (`chatgpt/<model>`, the `chatgpt` wire) serves streams only: a non-streamed client's
 * request goes upstream streamed and the gateway collects the stream (src/gateway/chatgpt/collect.ts), so
 * there every fault acts in its streamed form and a non-streamed client gets the whole answer or an error
 * before any byte ({@link chatgptExpect}). Its deployments use a fixture Codex sign-in (`auth.json` in a
 * temp CODEX_HOME), whose tokens count as keys here, and the mock applies the backend's request rules.
 *
 * The contract pinned here:
 * - every attempt is bounded: `litellm_params.timeout` the whole non-streamed attempt, `stream_timeout` a
 *   stream's headers and first complete SSE event, `gateway_settings.stream_idle_timeout_ms` the silence
 *   between two chunks after that;
 * - an answer counts only when complete and well-formed for its wire; anything else is a failure, retried
 *   (`num_retries`) or fallen back while nothing went to the client;
 * - before the first byte, a final failure is a JSON error in the door's shape, never a 200 with an empty
 *   or partial body: on the OpenAI doors `{"error": {message, type, param, code}}` with 504
 *   `upstream_timeout`, 502 for 5xx / unreachable / malformed answers, 429 with Retry-After; on the
 *   Messages door Anthropic's `{"type": "error", "error": {type, message}}` with the status Claude Code acts
 *   on (src/gateway/wires/messages/errors.ts: 529 `overloaded_error` for upstream 5xx, 502 `api_error` for
 *   unreachable / malformed answers, 504 `timeout_error`, 429 `rate_limit_error` with Retry-After);
 * - after the first byte, the stream ends with a terminal error on a fresh SSE frame (`response.failed`
 *   with code `server_error` on /v1/responses, `data: {"error": ...}` on /v1/chat/completions,
 *   `event: error` with `overloaded_error` on /v1/messages, the cut block left open), every event's data
 *   valid JSON, and the SDK surfaces it;
 * - provider keys quoted by an upstream error reach neither the client nor the gateway log.
 *
 * Each case gets its own gateway and mocks (no shared router state, no cooldown bleed). Cases run a
 * window ahead of mocha (see {@link CaseRunner}) so the suite takes a fraction of the sum of its waits; the
 * SDK's raw bytes are recorded by a fetch wrapper (exact bytes, fed to eventsource-parser).
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { writeAuthFixture, type AuthFixture } from '../helpers/chatgpt-backend-mock';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';
import { CHATGPT_FAULT_MODEL, closedPortUrl, FaultUpstream, type AnswerMode, type Exchange, type FaultName, type FaultWire } from '../helpers/fault-upstream';

/* ------------------------------------------------------------------ limits (config) and margins */

/** `litellm_params.timeout` and `stream_timeout` of the primary, in seconds. */
const LIMIT_S = 1;
const LIMIT_MS = LIMIT_S * 1000;
/** `gateway_settings.stream_idle_timeout_ms`. */
const IDLE_MS = 500;
/** `router_settings.num_retries`: one retry, so "retried" means exactly 2 upstream requests. */
const NUM_RETRIES = 1;
/** Longest backoff before a retry with `retry_after: 0` (router: 250 ms base, jitter < 1.2). */
const BACKOFF_MAX_MS = 300;
/**
 * Slack on every upper time bound: the suite runs ~15 cases at once on a shared 2-core machine. Far below
 * what a missing bound costs (the 600 s default timeout, the 270 s default idle timeout).
 */
const MARGIN_MS = 2_000;
/** A timeout must not fire much earlier than configured. */
const EARLY_FACTOR = 0.8;
/** Cases started ahead of the running test. */
const WINDOW = 15;

/* ------------------------------------------------------------------ doors (client side) */

/** What the SDK gave back for one request. */
interface SdkOutcome {
  /** Non-streamed result (the SDK's parsed object). */
  result?: any;
  /** Streamed events/chunks the SDK yielded, in order. */
  events: any[];
  /** What the SDK threw (before or while streaming). */
  error?: unknown;
}

/** What a door's SDK client is built from: the case's gateway and the recording fetch. */
interface ClientSetup {
  g: TestGateway;
  fetch: typeof fetch;
}

/** The door's error, before any byte, for an expected gateway error: the allowed (status, type-or-code) pairs. */
interface DoorError {
  status: number;
  /** OpenAI doors: `error.code`; Messages door: `error.type`. */
  ids: readonly string[];
}

/** One client-facing route ("door") of the gateway. */
interface DoorSpec {
  path: '/v1/responses' | '/v1/chat/completions' | '/v1/messages';
  /** Upstream wires this door reaches today (a new wire: add it here and to the helper's WIRES). */
  wires: FaultWire[];
  /** Sends one request through the door's SDK (built on `setup`) and consumes it entirely. */
  call(setup: ClientSetup, model: string, mode: AnswerMode): Promise<SdkOutcome>;
  /**
   * The statuses and ids a pre-stream gateway error (OpenAI status and codes, as in the expectation table)
   * becomes on this door; one entry per status.
   */
  errorFor(outcome: Extract<Outcome, { kind: 'error' }>): DoorError[];
  /** Problems of a parsed JSON error body against `want` (shape, id), or null when it is right. */
  errorBodyProblem(body: any, want: DoorError): string | null;
  /** Whether the SDK threw the door's API error with `status`. */
  sdkThrewStatus(e: unknown, status: number): boolean;
  /** Assistant text of a non-streamed SDK result. */
  textOfResult(result: any): string;
  /** Assistant text carried by one parsed SSE data object. */
  textOfEvent(data: any): string;
  /** Whether a parsed SSE data object is the door's normal end of an answer. */
  isCompletion(data: any): boolean;
  /**
   * Checks that the stream's last event is the door's terminal error (mid-stream failure) and that no
   * normal end was sent; returns a problem description or null.
   */
  terminalErrorProblem(events: ParsedEvent[]): string | null;
  /** Checks the SDK surfaced a mid-stream failure; returns a problem description or null. */
  sdkSawFailure(o: SdkOutcome): string | null;
  /** Whether `data: [DONE]` is legal on this door. */
  allowsDone: boolean;
}

const PROMPT = 'Say hello.';

/** The openai SDK on a case's gateway. */
function openaiClient(setup: ClientSetup): OpenAI {
  return new OpenAI({ baseURL: setup.g.baseURL, apiKey: setup.g.token, maxRetries: 0, timeout: CLIENT_LIMIT_MS, fetch: setup.fetch, logLevel: 'off' });
}

/** Errors of the OpenAI doors: `{"error": {message, type, param, code}}`, status and codes as in the table. */
const OPENAI_ERRORS: Pick<DoorSpec, 'errorFor' | 'errorBodyProblem' | 'sdkThrewStatus'> = {
  errorFor: (outcome) => [{ status: outcome.status, ids: outcome.codes }],
  errorBodyProblem(body, want) {
    if (JSON.stringify(Object.keys(body ?? {})) !== '["error"]') return 'the body is not {"error": ...}';
    if (JSON.stringify(Object.keys(body.error ?? {}).sort()) !== '["code","message","param","type"]') return 'not the OpenAI error shape';
    if (typeof body.error.message !== 'string' || !body.error.message) return 'error.message is empty';
    if (typeof body.error.type !== 'string' || !body.error.type) return 'error.type is empty';
    if (!want.ids.includes(body.error.code)) return `error.code ${JSON.stringify(body.error.code)} is not one of ${want.ids.join(', ')}`;
    return null;
  },
  sdkThrewStatus: (e, status) => e instanceof OpenAI.APIError && e.status === status,
};

const RESPONSES_DOOR: DoorSpec = {
  path: '/v1/responses',
  wires: ['responses', 'chat', 'messages', 'chatgpt'],
  async call(setup, model, mode) {
    const client = openaiClient(setup);
    const out: SdkOutcome = { events: [] };
    try {
      if (mode === 'json') out.result = await client.responses.create({ model, input: PROMPT });
      else for await (const ev of await client.responses.create({ model, input: PROMPT, stream: true })) out.events.push(ev);
    } catch (e) {
      out.error = e;
    }
    return out;
  },
  textOfResult: (r) => r?.output_text ?? '',
  textOfEvent: (d) => (d?.type === 'response.output_text.delta' && typeof d.delta === 'string' ? d.delta : ''),
  isCompletion: (d) => d?.type === 'response.completed',
  terminalErrorProblem(events) {
    const last = events.at(-1);
    if (!last) return 'no event at all';
    if (events.some((e) => e.json?.type === 'response.completed')) return 'a response.completed was sent';
    // The upstream completed no output item before the fault (the mock's prefixes stop mid-message), so an
    // `output_item.done` here closes a cut item: Codex then shows the fragment as a finished message and
    // keeps it in the history, before its retry adds the whole answer (seen in test/e2e/codex-faults).
    const cut = events.find((e) => e.json?.type === 'response.output_item.done');
    if (cut) return `a cut output item was reported done (response.output_item.done with ${JSON.stringify(cut.json.item?.content?.[0]?.text ?? cut.json.item?.type)})`;
    if (last.event !== 'response.failed' || last.json?.type !== 'response.failed') return `last event is ${last.event ?? '(no event name)'} / ${last.json?.type}, not response.failed`;
    const err = last.json?.response?.error;
    if (err?.code !== 'server_error') return `response.failed has error.code ${JSON.stringify(err?.code)}, not "server_error"`;
    if (typeof err?.message !== 'string' || !err.message) return 'response.failed has no error.message';
    return null;
  },
  sdkSawFailure(o) {
    if (o.error) return `the SDK threw ${describeError(o.error)} instead of yielding response.failed`;
    if (o.events.at(-1)?.type !== 'response.failed') return `the SDK's last event is ${o.events.at(-1)?.type}, not response.failed`;
    return null;
  },
  allowsDone: false,
  ...OPENAI_ERRORS,
};

const CHAT_DOOR: DoorSpec = {
  path: '/v1/chat/completions',
  wires: ['chat', 'responses', 'messages', 'chatgpt'],
  async call(setup, model, mode) {
    const client = openaiClient(setup);
    const out: SdkOutcome = { events: [] };
    const messages = [{ role: 'user' as const, content: PROMPT }];
    try {
      if (mode === 'json') out.result = await client.chat.completions.create({ model, messages });
      else for await (const c of await client.chat.completions.create({ model, messages, stream: true })) out.events.push(c);
    } catch (e) {
      out.error = e;
    }
    return out;
  },
  textOfResult: (r) => r?.choices?.[0]?.message?.content ?? '',
  textOfEvent: (d) => (typeof d?.choices?.[0]?.delta?.content === 'string' ? d.choices[0].delta.content : ''),
  isCompletion: (d) => Array.isArray(d?.choices) && d.choices.some((c: any) => c?.finish_reason != null),
  terminalErrorProblem(events) {
    const json = events.filter((e) => e.data !== '[DONE]');
    const last = json.at(-1);
    if (!last) return 'no JSON event at all';
    const firstDone = events.findIndex((e) => e.data === '[DONE]');
    if (firstDone >= 0 && firstDone < events.indexOf(last)) return 'data: [DONE] came before the error frame';
    if (json.some((e) => CHAT_DOOR.isCompletion(e.json))) return 'a chunk with finish_reason was sent';
    const err = last.json?.error;
    if (!err || typeof err !== 'object') return `the last data frame is not {"error": ...}: ${last.data.slice(0, 200)}`;
    if (typeof err.message !== 'string' || !err.message) return 'the error frame has no message';
    if (typeof err.type !== 'string' || !err.type) return 'the error frame has no type';
    if (!('code' in err)) return 'the error frame has no code';
    return null;
  },
  sdkSawFailure(o) {
    if (!(o.error instanceof OpenAI.APIError)) return `the SDK did not throw an APIError for the error frame (threw: ${o.error ? describeError(o.error) : 'nothing'})`;
    return null;
  },
  allowsDone: true,
  ...OPENAI_ERRORS,
};

/**
 * The Messages door (Anthropic Messages, what Claude Code speaks), on the ChatGPT plan's wire: the plan's
 * models for Claude Code (issue 11). Its failures follow src/gateway/wires/messages/errors.ts (before any
 * byte) and door-encoder.ts (`messagesErrorFrame`, after it).
 */
const MESSAGES_DOOR: DoorSpec = {
  path: '/v1/messages',
  wires: ['chatgpt'],
  async call(setup, model, mode) {
    const client = new Anthropic({ baseURL: setup.g.url, authToken: setup.g.token, maxRetries: 0, timeout: CLIENT_LIMIT_MS, fetch: setup.fetch, logLevel: 'off' });
    const out: SdkOutcome = { events: [] };
    const body = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: PROMPT }] };
    try {
      if (mode === 'json') out.result = await client.messages.create(body);
      else for await (const ev of await client.messages.create({ ...body, stream: true })) out.events.push(ev);
    } catch (e) {
      out.error = e;
    }
    return out;
  },
  textOfResult: (r) => (Array.isArray(r?.content) ? r.content.map((b: any) => (b?.type === 'text' ? b.text : '')).join('') : ''),
  textOfEvent: (d) => (d?.type === 'content_block_delta' && d.delta?.type === 'text_delta' && typeof d.delta.text === 'string' ? d.delta.text : ''),
  isCompletion: (d) => d?.type === 'message_stop',
  terminalErrorProblem(events) {
    const last = events.at(-1);
    if (!last) return 'no event at all';
    if (events.some((e) => e.json?.type === 'message_stop')) return 'a message_stop was sent';
    if (events.some((e) => e.json?.type === 'message_delta')) return 'a message_delta (stop_reason) was sent';
    // As response.output_item.done on /v1/responses: a closed block is a finished one for Claude Code (it
    // yields an assistant message per content_block_stop), so the cut block must stay open.
    if (events.some((e) => e.json?.type === 'content_block_stop')) return 'the cut content block was closed (content_block_stop)';
    if (last.event !== 'error' || last.json?.type !== 'error') return `last event is ${last.event ?? '(no event name)'} / ${last.json?.type}, not error`;
    const err = last.json?.error;
    if (err?.type !== 'overloaded_error') return `the error event has error.type ${JSON.stringify(err?.type)}, not "overloaded_error" (which Claude Code retries)`;
    if (typeof err?.message !== 'string' || !err.message) return 'the error event has no error.message';
    return null;
  },
  sdkSawFailure(o) {
    if (!(o.error instanceof Anthropic.APIError)) return `the SDK did not throw an APIError for the error event (threw: ${o.error ? describeError(o.error) : 'nothing'})`;
    return null;
  },
  allowsDone: false,
  errorFor(outcome) {
    switch (outcome.status) {
      case 429:
        return [{ status: 429, ids: ['rate_limit_error'] }];
      case 504:
        return [{ status: 504, ids: ['timeout_error'] }];
      case 502: {
        // An upstream 5xx (after retries and fallbacks) is 529 overloaded_error, which Claude Code retries.
        const out: DoorError[] = [];
        if (outcome.codes.includes('upstream_error')) out.push({ status: 529, ids: ['overloaded_error'] });
        if (outcome.codes.some((x) => x !== 'upstream_error')) out.push({ status: 502, ids: ['api_error'] });
        return out;
      }
      default:
        return [{ status: outcome.status, ids: [outcome.status >= 500 ? 'api_error' : 'invalid_request_error'] }];
    }
  },
  errorBodyProblem(body, want) {
    if (JSON.stringify(Object.keys(body ?? {}).sort()) !== '["error","type"]' || body.type !== 'error') return `not Anthropic's error shape {"type": "error", "error": {...}}`;
    if (JSON.stringify(Object.keys(body.error ?? {}).sort()) !== '["message","type"]') return `error has keys ${Object.keys(body.error ?? {}).join(', ')}, not type and message`;
    if (typeof body.error.message !== 'string' || !body.error.message) return 'error.message is empty';
    if (!want.ids.includes(body.error.type)) return `error.type ${JSON.stringify(body.error.type)} is not one of ${want.ids.join(', ')}`;
    return null;
  },
  sdkThrewStatus: (e, status) => e instanceof Anthropic.APIError && e.status === status,
};

/** The doors, and through `wires` the door/wire pairs of the matrix. */
const DOORS: DoorSpec[] = [RESPONSES_DOOR, CHAT_DOOR, MESSAGES_DOOR];

/* ------------------------------------------------------------------ the expectation table */

/** What the client must get. */
type Outcome =
  /** A complete, well-formed answer from the primary. */
  | { kind: 'ok' }
  /** Before any byte: this status and one of these codes (with a fallback: the fallback's answer). */
  | { kind: 'error'; status: number; codes: readonly string[]; retryAfter?: boolean; retryAfterS?: number }
  /** After bytes went out: the door's terminal error on a fresh frame (a fallback cannot help). */
  | { kind: 'broken' };

/** Expectation for one fault in one answer mode. */
interface ModeExpect {
  outcome: Outcome;
  /** Upstream requests the primary must get; null when they cannot be counted (connection refused). */
  attempts: number | null;
  /** Which limit ends each attempt: the per-attempt timeout, or the stream idle timeout. */
  timing?: 'attempt' | 'idle';
}

/** One row of the matrix: a fault, and what each answer mode must produce. */
interface Row {
  fault: FaultName | 'connection_refused';
  json?: ModeExpect;
  stream?: ModeExpect;
  /** The wires the row applies to (faults of one upstream only); all when absent. */
  wires?: readonly FaultWire[];
}

const RETRIED = NUM_RETRIES + 1;
const OK: ModeExpect = { outcome: { kind: 'ok' }, attempts: 1 };
const BROKEN: ModeExpect = { outcome: { kind: 'broken' }, attempts: 1 };
/** Codes of docs/reliability.md ("The contract", 4): 5xx, unreachable (refused or reset), not a valid answer. */
const UPSTREAM_ERROR = ['upstream_error'];
const UNREACHABLE = ['upstream_unreachable'];
const BAD_ANSWER = ['bad_upstream_response'];
/** An error object (2xx body or in-stream) is classified by its own code: ours says server_error. */
const ERROR_OBJECT = ['bad_upstream_response', 'upstream_error'];
/** Headers came, then the connection was reset while the body was read: a reset, or an incomplete answer. */
const RESET_IN_BODY = ['upstream_unreachable', 'bad_upstream_response'];
const e502 = (codes: readonly string[], attempts: number | null = RETRIED): ModeExpect => ({ outcome: { kind: 'error', status: 502, codes }, attempts });
const E504: ModeExpect = { outcome: { kind: 'error', status: 504, codes: ['upstream_timeout'] }, attempts: RETRIED, timing: 'attempt' };
// A 429 cools the deployment down at once (router), so no retry on the same deployment.
const E429: ModeExpect = { outcome: { kind: 'error', status: 429, codes: ['rate_limit_exceeded'], retryAfter: true }, attempts: 1 };
const both = (x: ModeExpect) => ({ json: x, stream: x });

const ROWS: Row[] = [
  { fault: 'healthy', ...both(OK) },
  { fault: 'healthy_fragmented', ...both(OK) },
  { fault: 'healthy_keepalive', stream: OK },
  { fault: 'healthy_no_done', stream: OK },
  { fault: 'rate_limit_retry_after', ...both(E429) },
  { fault: 'rate_limit', ...both(E429) },
  { fault: 'http_500', ...both(e502(UPSTREAM_ERROR)) },
  { fault: 'http_502', ...both(e502(UPSTREAM_ERROR)) },
  { fault: 'http_503', ...both(e502(UPSTREAM_ERROR)) },
  { fault: 'http_529', ...both(e502(UPSTREAM_ERROR)) },
  { fault: 'connection_refused', ...both(e502(UNREACHABLE, null)) },
  { fault: 'reset_before_headers', ...both(e502(UNREACHABLE)) },
  { fault: 'no_headers', ...both(E504) },
  { fault: 'headers_no_body', ...both(E504) },
  { fault: 'keepalive_only', stream: E504 },
  { fault: 'stall_mid_body', json: E504, stream: { ...BROKEN, timing: 'idle' } },
  { fault: 'reset_mid_body', json: e502(RESET_IN_BODY), stream: BROKEN },
  { fault: 'cut_mid_line', stream: BROKEN },
  { fault: 'malformed_sse', stream: BROKEN },
  { fault: 'invalid_json', ...both(e502(BAD_ANSWER)) },
  { fault: 'truncated_json', ...both(e502(BAD_ANSWER)) },
  { fault: 'html_200', ...both(e502(BAD_ANSWER)) },
  { fault: 'error_object_200', ...both(e502(ERROR_OBJECT)) },
  { fault: 'in_stream_error', stream: BROKEN },
  { fault: 'error_first_event', stream: e502(ERROR_OBJECT) },
  { fault: 'no_terminal', stream: BROKEN },
  { fault: 'empty_body', ...both(e502(BAD_ANSWER)) },
  { fault: 'json_wrong_shape', ...both(e502(BAD_ANSWER)) },
  // The ChatGPT plan's own answers. A usage limit cools the deployment down until the reset: no retry, the
  // client gets Retry-After = the time to the reset (Codex shows "You've hit your usage limit").
  { fault: 'usage_limit', wires: ['chatgpt'], ...both({ outcome: { kind: 'error', status: 429, codes: ['usage_limit_reached'], retryAfterS: 60 }, attempts: 1 }) },
  // A 401: the sign-in is read again; the same token is not sent again, so one request, then the auth
  // failure (400, so Codex shows it instead of re-running its own auth) and the fallback.
  { fault: 'unauthorized', wires: ['chatgpt'], ...both({ outcome: { kind: 'error', status: 400, codes: ['chatgpt_unauthorized'] }, attempts: 1 }) },
  // A stream that never ends (nor goes silent) collected for a non-streamed client: `timeout` bounds the
  // whole non-streamed attempt (docs/reliability.md, contract 1). A streamed client is never cut for length.
  { fault: 'endless_stream', wires: ['chatgpt'], json: E504 },
];

/** A non-streamed client's expectation on the chatgpt wire for faults that broke a stream mid-way: what the collect path reports. */
const COLLECTED_BROKEN: Partial<Record<FaultName, ModeExpect>> = {
  // The idle timeout ends each attempt; nothing went to the client, so it is retried, then 504.
  stall_mid_body: { outcome: { kind: 'error', status: 504, codes: ['upstream_timeout'] }, attempts: RETRIED, timing: 'idle' },
  reset_mid_body: e502(RESET_IN_BODY),
  cut_mid_line: e502(BAD_ANSWER),
  malformed_sse: e502(BAD_ANSWER),
  in_stream_error: e502(ERROR_OBJECT),
  no_terminal: e502(BAD_ANSWER),
};

/**
 * What a case must produce on `wire`. On the chatgpt wire the upstream request is always streamed, so the
 * fault's streamed form applies to a non-streamed client as well: a complete stream is collected into the
 * answer; a stream that broke after some events is a failure before the client's first byte (retried, then
 * the fallback or an error), never a partial answer.
 */
function chatgptExpect(row: Row, mode: AnswerMode, wire: FaultWire): ModeExpect | undefined {
  if (row.wires && !row.wires.includes(wire)) return undefined;
  if (wire !== 'chatgpt' || mode === 'stream') return row[mode];
  const s = row.stream;
  // A row for non-streamed clients only (a fault only the collect path can meet).
  if (!s) return row.json;
  if (s.outcome.kind !== 'broken') return row.json ?? s;
  const x = COLLECTED_BROKEN[row.fault as FaultName];
  if (!x) throw new Error(`fault matrix: no collected expectation for ${row.fault} on the chatgpt wire`);
  return x;
}

/* ------------------------------------------------------------------ one case */

interface Case {
  door: DoorSpec;
  wire: FaultWire;
  fallback: boolean;
  row: Row;
  mode: AnswerMode;
  expect: ModeExpect;
}

/** Bytes the client received, as recorded under the SDK. */
interface RawRecord {
  status: number;
  headers: Headers;
  chunks: Uint8Array[];
  /** True when the body ended normally (false: reset, or cut by the recorder's own bound). */
  ended: boolean;
  error?: unknown;
  done: Promise<void>;
}

/** Everything observed in one case. */
interface Observed {
  /** Set when the harness itself failed (mock or gateway did not start). */
  harnessError?: unknown;
  status: number;
  headers: Headers;
  body: string;
  rawEnded: boolean;
  sdk: SdkOutcome;
  /** Client wall time from sending to the end of the answer, ms. */
  ms: number;
  primary: Exchange[] | null;
  backup: Exchange[];
  primaryClosed: boolean;
  logs: string[];
  keys: string[];
}

/** Bound for the recorder's own read of a body (the SDK's abort does not stop it). */
const CLIENT_LIMIT_MS = 20_000;

/**
 * A fetch for the SDK that records the exact bytes of the answer. The body is read to its end by the
 * recorder whatever the SDK does (the SDK aborts when it throws on an error frame; the recorder keeps
 * reading so it sees everything the gateway sent after that), bounded by {@link CLIENT_LIMIT_MS}.
 */
function recordingFetch(): { fetch: typeof fetch; rec: RawRecord } {
  const rec: RawRecord = { status: 0, headers: new Headers(), chunks: [], ended: false, done: Promise.resolve() };
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, { ...init, signal: AbortSignal.timeout(CLIENT_LIMIT_MS) });
    rec.status = res.status;
    rec.headers = res.headers;
    if (!res.body) {
      rec.ended = true;
      return res;
    }
    let ctl!: ReadableStreamDefaultController<Uint8Array>;
    let cancelled = false;
    const copy = new ReadableStream<Uint8Array>({
      start: (c) => void (ctl = c),
      cancel: () => void (cancelled = true),
    });
    const reader = res.body.getReader();
    rec.done = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          rec.chunks.push(value);
          if (!cancelled) ctl.enqueue(value);
        }
        rec.ended = true;
        if (!cancelled) ctl.close();
      } catch (e) {
        rec.error = e;
        if (!cancelled) ctl.error(e);
      }
    })();
    return new Response(copy, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return { fetch: f as typeof fetch, rec };
}

function deploymentYaml(alias: string, baseUrl: string, keyEnv: string, wire: FaultWire, limits: boolean): string[] {
  const timeouts = limits ? [`      timeout: ${LIMIT_S}`, `      stream_timeout: ${LIMIT_S}`] : [`      timeout: 10`];
  // The ChatGPT plan: the Codex sign-in instead of a key, the Responses wire by provider.
  if (wire === 'chatgpt') return [`  - model_name: ${alias}`, `    litellm_params:`, `      model: chatgpt/${CHATGPT_FAULT_MODEL}`, `      api_base: ${baseUrl}`, ...timeouts];
  return [
    `  - model_name: ${alias}`,
    `    litellm_params:`,
    // A messages deployment is an Anthropic one (x-api-key, anthropic-version, /v1/messages).
    `      model: ${wire === 'messages' ? 'anthropic' : 'openai'}/${alias}-model`,
    `      api_base: ${baseUrl}`,
    `      api_key: os.environ/${keyEnv}`,
    `      wire_api: ${wire}`,
    ...(limits ? [`      timeout: ${LIMIT_S}`, `      stream_timeout: ${LIMIT_S}`] : [`      timeout: 10`]),
  ];
}

/** The gateway config of one case: the primary (faulty) alias, and the backup alias with a fallback rule. */
function caseYaml(c: Case, primaryBase: string, backupBase: string | undefined): string {
  return [
    'model_list:',
    ...deploymentYaml('primary', primaryBase, 'PRIMARY_KEY', c.wire, true),
    ...(backupBase ? deploymentYaml('backup', backupBase, 'BACKUP_KEY', c.wire, false) : []),
    'router_settings:',
    `  num_retries: ${NUM_RETRIES}`,
    '  retry_after: 0',
    '  allowed_fails: 100',
    '  cooldown_time: 30',
    ...(backupBase ? ['  fallbacks:', '    - primary: [backup]'] : []),
    'gateway_settings:',
    `  stream_idle_timeout_ms: ${IDLE_MS}`,
    ...(c.wire === 'chatgpt' ? ['  chatgpt_plan: true'] : []),
    '',
  ].join('\n');
}

/** The Codex sign-in of every chatgpt case (written once, removed after the matrix). */
let chatgptSignIn: Promise<AuthFixture> | undefined;

/** `api_base` of an upstream for `wire`: the mock's `/v1`, or its `/backend-api/codex` for the ChatGPT plan. */
function apiBase(wire: FaultWire, v1Url: string): string {
  return wire === 'chatgpt' ? `${new URL(v1Url).origin}/backend-api/codex` : v1Url;
}

/** Runs one case end to end; never rejects (a harness failure is returned in `harnessError`). */
async function runCase(c: Case): Promise<Observed> {
  const keys: Record<string, string> = { PRIMARY_KEY: fakeKey('primary'), BACKUP_KEY: fakeKey('backup') };
  const signIn = c.wire === 'chatgpt' ? await (chatgptSignIn ??= writeAuthFixture()) : undefined;
  // The sign-in's tokens are the chatgpt wire's keys: the mock quotes the access token in its errors.
  if (signIn) Object.assign(keys, { CHATGPT_ACCESS: signIn.accessToken, CHATGPT_REFRESH: signIn.refreshToken });
  const upKey = (name: 'PRIMARY_KEY' | 'BACKUP_KEY') => ({ apiKey: signIn?.accessToken ?? keys[name], chatgptAccountId: signIn?.accountId });
  let primary: FaultUpstream | undefined;
  let backup: FaultUpstream | undefined;
  let g: TestGateway | undefined;
  const empty = (harnessError: unknown): Observed => ({
    harnessError,
    status: 0,
    headers: new Headers(),
    body: '',
    rawEnded: false,
    sdk: { events: [] },
    ms: 0,
    primary: null,
    backup: [],
    primaryClosed: false,
    logs: g?.logs ?? [],
    keys: Object.values(keys),
  });
  try {
    let primaryBase: string;
    if (c.row.fault === 'connection_refused') primaryBase = apiBase(c.wire, await closedPortUrl());
    else {
      primary = await FaultUpstream.start({ name: 'primary', ...upKey('PRIMARY_KEY'), always: c.row.fault });
      primaryBase = apiBase(c.wire, primary.baseUrl);
    }
    if (c.fallback) backup = await FaultUpstream.start({ name: 'backup', ...upKey('BACKUP_KEY'), always: 'healthy' });
    const chatgpt = signIn ? { chatgpt: { credentials: { codexHome: signIn.codexHome } } } : {};
    g = await startGateway(caseYaml(c, primaryBase, backup && apiBase(c.wire, backup.baseUrl)), keys, {}, chatgpt);
    const { fetch: f, rec } = recordingFetch();
    const t0 = performance.now();
    const sdk = await c.door.call({ g, fetch: f }, 'primary', c.mode);
    await rec.done;
    const ms = performance.now() - t0;
    // The upstream connections must be closed soon after the client got its answer (no leaked attempts).
    const primaryClosed = primary ? await primary.waitAllClosed(3_000) : true;
    if (backup) await backup.waitAllClosed(3_000);
    // The request's log line is written after the answer ended; wait for it (bounded) before scanning logs.
    const logDeadline = Date.now() + 2_000;
    while (!g.logs.some((l) => l.includes(`${c.door.path} alias=`)) && Date.now() < logDeadline) await new Promise((r) => setTimeout(r, 10));
    return {
      status: rec.status,
      headers: rec.headers,
      body: Buffer.concat(rec.chunks).toString('utf8'),
      rawEnded: rec.ended,
      sdk,
      ms,
      primary: primary ? primary.exchanges.slice() : null,
      backup: backup ? backup.exchanges.slice() : [],
      primaryClosed,
      logs: g.logs.slice(),
      keys: Object.values(keys),
    };
  } catch (e) {
    return empty(e);
  } finally {
    await g?.close().catch(() => undefined);
    await Promise.all([primary?.close(), backup?.close()]);
  }
}

/**
 * Starts cases a window ahead of mocha: when the test of case k starts, cases k..k+WINDOW-1 are started
 * (if not yet), and the test awaits case k only. Tests run in order, so each waits at most for its own
 * case; with `--grep`, at most WINDOW-1 unselected cases run for nothing.
 */
class CaseRunner {
  private readonly cases: Case[] = [];
  private readonly results = new Map<number, Promise<Observed>>();
  add(c: Case): number {
    this.cases.push(c);
    return this.cases.length - 1;
  }
  result(k: number): Promise<Observed> {
    for (let j = k; j < Math.min(k + WINDOW, this.cases.length); j++) {
      if (!this.results.has(j)) this.results.set(j, runCase(this.cases[j]!));
    }
    return this.results.get(k)!;
  }
  /** Waits for every started case (teardown). */
  async settle(): Promise<void> {
    await Promise.all(this.results.values());
  }
}

/* ------------------------------------------------------------------ checks */

interface ParsedEvent extends EventSourceMessage {
  /** The data parsed as JSON (undefined for `[DONE]` or invalid JSON). */
  json?: any;
}

/** Parses an SSE body strictly: every event's data must be JSON (or `[DONE]` where allowed), frames complete. */
function parseSse(body: string, allowDone: boolean): { events: ParsedEvent[]; problems: string[] } {
  const events: ParsedEvent[] = [];
  const problems: string[] = [];
  const parser = createParser({
    onEvent: (ev) => events.push(ev),
    onError: (err) => problems.push(`SSE parse error (${err.type}): ${JSON.stringify(err.line ?? err.field ?? '').slice(0, 120)}`),
  });
  parser.feed(body);
  if (body !== '' && !/\n\n$|\r\n\r\n$|\r\r$/.test(body)) problems.push(`the stream does not end on a frame boundary: …${JSON.stringify(body.slice(-120))}`);
  for (const ev of events) {
    if (ev.data === '[DONE]') {
      if (!allowDone) problems.push('data: [DONE] on a door that has none');
      continue;
    }
    try {
      ev.json = JSON.parse(ev.data);
      if (typeof ev.json !== 'object' || ev.json === null) problems.push(`event data is JSON but not an object: ${ev.data.slice(0, 120)}`);
    } catch {
      problems.push(`event data is not valid JSON (half-written frame?): ${JSON.stringify(ev.data.slice(0, 200))}`);
    }
  }
  return { events, problems };
}

function describeError(e: unknown): string {
  if (e instanceof OpenAI.APIError) return `${e.constructor.name}(status ${e.status}, code ${e.code}): ${e.message.slice(0, 200)}`;
  if (e instanceof Anthropic.APIError) return `Anthropic.${e.constructor.name}(status ${e.status}, type ${(e.error as any)?.error?.type}): ${e.message.slice(0, 200)}`;
  return e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e);
}

/** `text` with every key of the case replaced by `<key>` (assertion messages must not leak them either). */
function mask(o: Observed, text: string): string {
  for (const k of o.keys) text = text.split(k).join('<key>');
  return text;
}

/** A short account of what happened (keys masked), for assertion messages. */
function summary(o: Observed): string {
  return mask(o, rawSummary(o));
}

function rawSummary(o: Observed): string {
  const x = (xs: Exchange[] | null) =>
    xs === null
      ? 'n/a'
      : `${xs.length} [${xs.map((e) => `${e.fault}: closed ${e.closedBy ?? 'open'} after ${e.closedAt ? e.closedAt - e.request.receivedAt : '?'} ms`).join('; ')}]`;
  return [
    `status ${o.status} in ${Math.round(o.ms)} ms; content-type ${o.headers.get('content-type')}; deployment ${o.headers.get('x-codex-gateway-deployment')}; fallback-from ${o.headers.get('x-codex-gateway-fallback-from')}`,
    `primary requests: ${x(o.primary)}; backup requests: ${x(o.backup)}`,
    `sdk: ${o.sdk.error ? describeError(o.sdk.error) : 'no error'}; ${o.sdk.events.length} events`,
    `body (${o.body.length} chars): ${JSON.stringify(o.body.slice(0, 700))}${o.body.length > 700 ? '…' : ''}`,
  ].join('\n  ');
}

/** Upper bound of the client's wall time for a case. */
function wallBound(c: Case): number {
  const n = c.expect.attempts ?? RETRIED;
  const per = c.expect.timing === 'attempt' ? LIMIT_MS : 0;
  return n * per + (n - 1) * BACKOFF_MAX_MS + (c.expect.timing === 'idle' ? n * IDLE_MS : 0) + MARGIN_MS;
}

function assertNoKeyLeak(o: Observed): void {
  let headerText = '';
  o.headers.forEach((v, k) => (headerText += `${k}: ${v}\n`));
  const sdkText = o.sdk.error instanceof Error ? o.sdk.error.message : '';
  for (const key of o.keys) {
    assert.ok(!o.body.includes(key) && !headerText.includes(key) && !sdkText.includes(key), 'a provider key reached the client');
    const line = o.logs.find((l) => l.includes(key));
    assert.equal(line, undefined, `a provider key reached the gateway log: ${line?.replace(key, '<KEY>')}`);
  }
}

/** The primary's attempts: their number, and for timed faults how long each lasted before the gateway gave up. */
function assertPrimaryAttempts(c: Case, o: Observed): void {
  const xs = o.primary;
  if (xs === null) return;
  if (c.expect.attempts !== null) {
    assert.equal(xs.length, c.expect.attempts, `the primary should get ${c.expect.attempts} request(s)\n  ${summary(o)}`);
  }
  assert.ok(o.primaryClosed, `an upstream connection to the primary was still open 3 s after the client's answer (attempt not aborted)\n  ${summary(o)}`);
  // The ChatGPT backend serves streams only: every request went out streamed, on its own endpoint.
  if (c.wire === 'chatgpt') for (const x of [...xs, ...o.backup]) assert.ok(x.wire === 'chatgpt' && x.mode === 'stream', `a ${x.mode} request on the ${x.wire} wire\n  ${summary(o)}`);
  if (c.expect.timing === 'attempt') {
    for (const x of xs) {
      assert.equal(x.closedBy, 'peer', `the gateway should close the timed-out attempt itself\n  ${summary(o)}`);
      const d = x.closedAt! - x.request.receivedAt;
      assert.ok(d >= EARLY_FACTOR * LIMIT_MS, `an attempt was abandoned after ${d} ms, before the ${LIMIT_MS} ms timeout\n  ${summary(o)}`);
      assert.ok(d <= LIMIT_MS + MARGIN_MS, `an attempt lasted ${d} ms, over the ${LIMIT_MS} ms timeout + ${MARGIN_MS} ms\n  ${summary(o)}`);
    }
  }
  if (c.expect.timing === 'idle') {
    for (const x of xs) {
      assert.equal(x.closedBy, 'peer', `the gateway should close the stalled stream itself\n  ${summary(o)}`);
      const d = x.closedAt! - x.lastWriteAt;
      assert.ok(d >= EARLY_FACTOR * IDLE_MS, `the stalled stream was dropped ${d} ms after its last chunk, before the ${IDLE_MS} ms idle timeout\n  ${summary(o)}`);
      assert.ok(d <= IDLE_MS + MARGIN_MS, `the stalled stream was dropped ${d} ms after its last chunk, over ${IDLE_MS} + ${MARGIN_MS} ms\n  ${summary(o)}`);
    }
  }
}

/** A complete answer: from the primary (`from: 'primary'`) or served by the fallback alias. */
function assertAnswer(c: Case, o: Observed, from: 'primary' | 'backup'): void {
  assert.equal(o.status, 200, `expected 200 with ${from === 'backup' ? "the fallback's" : 'the'} answer\n  ${summary(o)}`);
  assert.ok(o.sdk.error === undefined, mask(o, `the SDK failed: ${describeError(o.sdk.error)}\n  ${summary(o)}`));
  const expectedText = `Hello from ${from}: all good.`;
  if (c.mode === 'json') {
    assert.equal(c.door.textOfResult(o.sdk.result), expectedText, summary(o));
  } else {
    const { events, problems } = parseSse(o.body, c.door.allowsDone);
    assert.ok(problems.length === 0, mask(o, `malformed SSE: ${problems.join('; ')}\n  ${summary(o)}`));
    assert.equal(events.map((e) => c.door.textOfEvent(e.json)).join(''), expectedText, summary(o));
    assert.ok(events.some((e) => c.door.isCompletion(e.json)), `the stream has no normal end\n  ${summary(o)}`);
    assert.ok(o.rawEnded, `the stream did not end cleanly\n  ${summary(o)}`);
  }
  assert.equal(o.headers.get('x-codex-gateway-deployment'), from === 'primary' ? 'primary#0' : 'backup#1', summary(o));
  if (from === 'backup') {
    assert.equal(o.headers.get('x-codex-gateway-fallback-from'), 'primary', summary(o));
    assert.equal(o.backup.length, 1, `the fallback should get exactly 1 request\n  ${summary(o)}`);
  } else {
    assert.equal(o.headers.get('x-codex-gateway-fallback-from'), null, summary(o));
    assert.equal(o.backup.length, 0, summary(o));
  }
}

/** A JSON error in the door's shape before any byte, with the expected status and code (or Anthropic type). */
function assertError(c: Case, o: Observed, outcome: Extract<Outcome, { kind: 'error' }>): void {
  const allowed = c.door.errorFor(outcome);
  const want = allowed.find((w) => w.status === o.status);
  assert.ok(want, `expected ${allowed.map((w) => `HTTP ${w.status} ${w.ids.join('|')}`).join(' or ')}\n  ${summary(o)}`);
  assert.match(o.headers.get('content-type') ?? '', /^application\/json/, summary(o));
  let body: any;
  assert.doesNotThrow(() => (body = JSON.parse(o.body)), `the error body is not JSON\n  ${summary(o)}`);
  const problem = c.door.errorBodyProblem(body, want);
  assert.ok(problem === null, `${problem}\n  ${summary(o)}`);
  if (outcome.retryAfter || outcome.retryAfterS !== undefined) {
    const ra = o.headers.get('retry-after');
    assert.ok(ra !== null && /^\d+$/.test(ra) && Number(ra) >= 1, `a 429 needs Retry-After in whole seconds >= 1, got ${ra}\n  ${summary(o)}`);
    if (outcome.retryAfterS !== undefined) {
      assert.ok(Math.abs(Number(ra) - outcome.retryAfterS) <= 2, `Retry-After should be the time to the reset (${outcome.retryAfterS} s), got ${ra}\n  ${summary(o)}`);
    }
  }
  assert.ok(c.door.sdkThrewStatus(o.sdk.error, want.status), mask(o, `the SDK should throw APIError ${want.status}: ${describeError(o.sdk.error)}`));
  assert.equal(o.backup.length, 0, summary(o));
}

/** A stream that failed after bytes went out: 200, the door's terminal error on a fresh frame, surfaced by the SDK. */
function assertBroken(c: Case, o: Observed): void {
  assert.equal(o.status, 200, `headers were sent before the failure: the status stays 200\n  ${summary(o)}`);
  assert.match(o.headers.get('content-type') ?? '', /^text\/event-stream/, summary(o));
  const { events, problems } = parseSse(o.body, c.door.allowsDone);
  assert.ok(problems.length === 0, mask(o, `the stream is not well-formed SSE with JSON data (terminal event not on a fresh frame?): ${problems.join('; ')}\n  ${summary(o)}`));
  const problem = c.door.terminalErrorProblem(events);
  assert.ok(problem === null, mask(o, `no proper terminal error event: ${problem}\n  ${summary(o)}`));
  assert.ok(o.rawEnded, `the gateway should end the stream after the terminal error (it was reset or left open)\n  ${summary(o)}`);
  const sdkProblem = c.door.sdkSawFailure(o.sdk);
  assert.ok(sdkProblem === null, mask(o, `${sdkProblem}\n  ${summary(o)}`));
  // What the primary sent before the failure was relayed, nothing after it.
  const seen = events.map((e) => c.door.textOfEvent(e.json)).join('');
  assert.equal(seen, o.primary?.[0]?.sentText, `the client should see exactly the text sent before the failure\n  ${summary(o)}`);
  assert.equal(o.headers.get('x-codex-gateway-fallback-from'), null, summary(o));
  assert.equal(o.backup.length, 0, `no fallback once bytes went out\n  ${summary(o)}`);
}

function expectation(c: Case): string {
  const o = c.expect.outcome;
  const tries = c.expect.attempts === RETRIED ? 'retried, then ' : '';
  if (o.kind === 'ok') return 'answers';
  if (o.kind === 'broken') return `ends with the terminal error on a fresh frame${c.expect.timing === 'idle' ? ` after ${IDLE_MS} ms idle` : ''}`;
  if (c.fallback) return `${tries}the fallback answers`;
  const errors = c.door.errorFor(o).map((w) => `${w.status} ${w.ids.length === 1 ? w.ids[0] : 'error'}`).join(' or ');
  return `${tries}${errors}${c.expect.timing === 'attempt' ? ` after ${LIMIT_S} s per attempt` : ''}`;
}

/* ------------------------------------------------------------------ the matrix */

describe('upstream faults on every door and wire (fault matrix, issue 7)', function () {
  this.timeout(30_000);
  const runner = new CaseRunner();
  after(async function () {
    this.timeout(60_000);
    await runner.settle();
    const signIn = await chatgptSignIn;
    if (signIn) {
      const unchanged = await signIn.unchanged();
      await signIn.cleanup();
      assert.ok(unchanged, 'the gateway changed the Codex sign-in (auth.json)');
    }
  });

  for (const door of DOORS) {
    for (const wire of door.wires) {
      for (const fallback of [false, true]) {
        describe(`${door.path} -> ${wire} upstream, ${fallback ? 'with' : 'without'} a fallback alias`, () => {
          for (const row of ROWS) {
            for (const mode of ['json', 'stream'] as const) {
              const expect = chatgptExpect(row, mode, wire);
              if (!expect) continue;
              const c: Case = { door, wire, fallback, row, mode, expect };
              const k = runner.add(c);
              it(`${row.fault} (${mode === 'json' ? 'not streamed' : 'streamed'}): ${expectation(c)}`, async () => {
                const o = await runner.result(k);
                if (o.harnessError) throw o.harnessError;
                const outcome = expect.outcome;
                if (outcome.kind === 'ok') assertAnswer(c, o, 'primary');
                else if (outcome.kind === 'broken') assertBroken(c, o);
                else if (fallback) assertAnswer(c, o, 'backup');
                else assertError(c, o, outcome);
                assertPrimaryAttempts(c, o);
                assertNoKeyLeak(o);
                const bound = wallBound(c);
                assert.ok(o.ms <= bound, `took ${Math.round(o.ms)} ms, over the bound of ${bound} ms\n  ${summary(o)}`);
              });
            }
          }
        });
      }
    }
  }
});
