/**
 * Reading an upstream answer under the gateway's contract (docs/reliability.md): every read is bounded
 * in time, and an answer counts as a success only when it is complete and well-formed for its wire.
 *
 * - {@link readWhole}: a non-streamed body, read whole before the whole-attempt deadline, then judged by
 *   {@link judgeJson} (JSON of the expected shape; a 2xx `{"error": ...}` object is a failure).
 * - {@link SseReader}: a streamed body as complete SSE frames. Bytes are handed on only a whole frame at a
 *   time (a frame ends with a blank line, HTML Living Standard §9.2.6 "Interpreting an event stream"), so a stream cut in the
 *   middle of a line leaves nothing half-written on the client side and the gateway's closing event always
 *   starts a fresh frame. Each event is parsed (eventsource-parser) and judged per wire: Chat Completions
 *   chunks must be JSON and a `finish_reason` or `data: [DONE]` ends the answer; Responses events must be
 *   JSON and `response.completed` / `.incomplete` / `.failed` end it; Anthropic Messages events must be
 *   JSON, `message_stop` ends the answer, `error` events fail it ({@link messagesErrorFailure}) and `ping`
 *   events are relayed as text but are not events (they prove nothing about the answer). Silence is bounded twice: until the
 *   first complete event (`stream_timeout`, else `timeout`), then between two chunks
 *   (`gateway_settings.stream_idle_timeout_ms`).
 *
 * Every failure is an {@link UpstreamError} (kind `timeout` or `bad_response`, or the kind an upstream
 * error object names) whose message is scrubbed of the provider key in use.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { UpstreamError, USAGE_LIMIT_CODE, type FailureKind } from './errors';
export { USAGE_LIMIT_CODE } from './errors';
import { redactSecrets } from './router/redact';
import type { Wire } from './wires/types';

/** The upstream wires whose answers the gateway judges. */
export type JudgedWire = Wire;

/** Longest SSE frame accepted from an upstream, in characters (a Responses `response.completed` carries the whole answer). */
export const MAX_FRAME_CHARS = 32 * 1024 * 1024;

/** Longest non-streamed upstream body accepted, in bytes. */
export const MAX_WHOLE_BYTES = 64 * 1024 * 1024;

/**
 * The secret(s) an attempt sent upstream, scrubbed from what the upstream answers: a deployment's key (one
 * string), or, for an upstream account, every secret the attempt has posted with so far (`AccountCall.secrets`
 * in accounts.ts, e.g. an access token and the fresher one a retry after a 401 used); undefined for none.
 */
export type Secrets = string | readonly string[] | undefined;

/**
 * Scrubs text that came from an upstream before it reaches a client or a log: the secret(s) in use
 * (verbatim), then anything key-shaped ({@link redactSecrets}).
 */
export function scrubUpstreamText(text: string, key: Secrets): string {
  return typeof key === 'string' || key === undefined ? redactSecrets(text, key) : redactSecrets(withoutKey(text, key));
}

/**
 * Removes the secret(s) in use, verbatim, from bytes relayed to a client (cheap when absent). A single key
 * (every deployment without an account) costs what it always did: one `includes`.
 */
export function withoutKey(text: string, key: Secrets): string {
  if (typeof key !== 'string') {
    if (key) for (const k of key) text = withoutKey(text, k);
    return text;
  }
  if (key.length < 4 || !text.includes(key)) return text;
  return text.split(key).join('[redacted]');
}

/**
 * Classifies an error object an upstream sent with a 2xx status or inside a stream
 * (`{"error": {"message", "type", "code"}}` in OpenAI's shape, or a Responses `error` event).
 * Rate limits (`rate_limit_exceeded`, `429`) -> `rate_limit`; context-length codes -> `context_window`;
 * `insufficient_quota` keeps its code; everything else -> `server` (the provider failed the request).
 */
export function errorObjectFailure(err: unknown, key: Secrets, where: string): UpstreamError {
  const e = (err && typeof err === 'object' ? err : { message: err }) as Record<string, unknown>;
  const rawMessage = typeof e.message === 'string' ? e.message : typeof err === 'string' ? err : '';
  const message = scrubUpstreamText(rawMessage.slice(0, 1000), key).trim() || 'no message';
  const codeOf = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  const code = codeOf(e.code) ?? codeOf(e.type) ?? codeOf(e.status);
  let kind: FailureKind = 'server';
  if (code === 'insufficient_quota' || code === 'rate_limit_exceeded' || code === 'rate_limit_error' || code === '429' || code === USAGE_LIMIT_CODE) kind = 'rate_limit';
  else if (code === 'context_length_exceeded') kind = 'context_window';
  return new UpstreamError(kind, `the upstream reported an error ${where}: ${message}`, 0, code === USAGE_LIMIT_CODE ? usageLimitResetMs(e, Date.now()) : undefined, code);
}


/**
 * Time until a usage limit resets, in ms, from an error object's `resets_at` (unix seconds; values past
 * 1e10 read as ms) or `resets_in_seconds`; undefined when it has neither.
 */
export function usageLimitResetMs(err: Record<string, unknown>, now: number): number | undefined {
  const at = typeof err.resets_at === 'number' ? err.resets_at : typeof err.resets_at === 'string' && /^\d+$/.test(err.resets_at) ? Number(err.resets_at) : undefined;
  if (at !== undefined && at > 0) return Math.max(0, (at < 1e10 ? at * 1000 : at) - now);
  const inS = typeof err.resets_in_seconds === 'number' ? err.resets_in_seconds : undefined;
  if (inS !== undefined && Number.isFinite(inS) && inS >= 0) return Math.round(inS * 1000);
  return undefined;
}

/**
 * Classifies an Anthropic error object (`{"type": "error", "error": {"type", "message"}}`: the body of an
 * `event: error` in a Messages stream, or a 2xx JSON error body), by `error.type` (Anthropic API
 * reference, "Errors"): `rate_limit_error` -> `rate_limit`; `overloaded_error`, `api_error` and unknown
 * types -> `server`; `timeout_error` -> `timeout`; `authentication_error`, `permission_error`,
 * `billing_error` -> `auth`; `not_found_error` -> `not_found`; `invalid_request_error` whose message says
 * the prompt is too long (Anthropic: "prompt is too long: N tokens > M maximum") -> `context_window`,
 * other `invalid_request_error` and `request_too_large` -> `bad_request`. The upstream code is `error.type`.
 * @param err the `error` member (or the whole event when it has none).
 * @param key the provider key in use (scrubbed from the message).
 * @param where e.g. `mid-stream`, for the message.
 */
export function messagesErrorFailure(err: unknown, key: Secrets, where: string): UpstreamError {
  const e = (err && typeof err === 'object' ? err : { message: err }) as Record<string, unknown>;
  const inner = e.type === 'error' && e.error && typeof e.error === 'object' ? (e.error as Record<string, unknown>) : e;
  const rawMessage = typeof inner.message === 'string' ? inner.message : typeof err === 'string' ? err : '';
  const message = scrubUpstreamText(rawMessage.slice(0, 1000), key).trim() || 'no message';
  const type = typeof inner.type === 'string' ? inner.type : undefined;
  let kind: FailureKind;
  switch (type) {
    case 'rate_limit_error':
      kind = 'rate_limit';
      break;
    case 'timeout_error':
      kind = 'timeout';
      break;
    case 'authentication_error':
    case 'permission_error':
    case 'billing_error':
      kind = 'auth';
      break;
    case 'not_found_error':
      kind = 'not_found';
      break;
    case 'invalid_request_error':
      kind = /prompt is too long|context window|context length|too many tokens|input is too long/i.test(rawMessage) ? 'context_window' : 'bad_request';
      break;
    case 'request_too_large':
      kind = 'bad_request';
      break;
    default:
      kind = 'server'; // overloaded_error, api_error, unknown
  }
  return new UpstreamError(kind, `the upstream reported an error ${where}: ${message}`, 0, undefined, type);
}

/** What a body that is not the expected JSON looks like, for the failure message (never its content). */
function describeNonJson(text: string, contentType: string): string {
  const t = text.trimStart();
  if (/html/i.test(contentType) || /^<(!doctype|html|head|body)/i.test(t)) return 'an HTML page instead of JSON';
  if (!t) return 'an empty body';
  return `a body that is not valid JSON (${text.length} characters${/json/i.test(contentType) ? ', truncated?' : ''})`;
}

/**
 * Judges a whole non-streamed upstream answer.
 * - `chat`: a JSON object with a `choices` array (OpenAI "The chat completion object").
 * - `responses`: a JSON object with an `output` array (OpenAI "The response object").
 * - `messages`: a JSON object with `type: "message"` and a `content` array (Anthropic API reference,
 *   "Messages": response); `{"type": "error", "error": {...}}` is classified by {@link messagesErrorFailure}.
 * @returns the parsed object.
 * @throws UpstreamError `bad_response` (HTML, invalid JSON, wrong shape) or the kind of a 2xx error object.
 */
export function judgeJson(wire: JudgedWire, text: string, contentType: string, key: Secrets): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new UpstreamError('bad_response', `the upstream answered with ${describeNonJson(text, contentType)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UpstreamError('bad_response', 'the upstream answered with JSON that is not an object');
  const o = v as Record<string, unknown>;
  if (wire === 'messages') {
    if (o.type === 'error' || (o.error && typeof o.error === 'object' && !Array.isArray(o.content))) throw messagesErrorFailure(o.error ?? o, key, 'with a 2xx status');
    if (o.type !== 'message' || !Array.isArray(o.content)) throw new UpstreamError('bad_response', 'the upstream answer is not an Anthropic message (no type "message" with a "content" array)');
    return o;
  }
  if (o.error && typeof o.error === 'object' && !Array.isArray(o.choices) && !Array.isArray(o.output)) throw errorObjectFailure(o.error, key, 'with a 2xx status');
  if (wire === 'chat' && !Array.isArray(o.choices)) throw new UpstreamError('bad_response', 'the upstream answer has no "choices" (not a chat completion)');
  if (wire === 'responses' && !Array.isArray(o.output)) throw new UpstreamError('bad_response', 'the upstream answer has no "output" (not a Responses API response)');
  return o;
}

/**
 * Reads a non-streamed body whole, destroying it when `deadline` (epoch ms, `Date.now()`) passes first.
 * @param limitLabel names the limit for the timeout message, e.g. `timeout 3 s`.
 * @throws UpstreamError `timeout` when the deadline passes; `bad_response` over {@link MAX_WHOLE_BYTES} or
 *   when the connection breaks; an abort (client gone) rethrows the abort reason.
 */
export async function readWhole(body: Readable, deadline: number, limitLabel: string, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  const left = deadline - Date.now();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      body.destroy(new Error('deadline'));
    },
    Math.max(0, left),
  );
  try {
    for await (const c of body) {
      n += (c as Buffer).length;
      if (n > MAX_WHOLE_BYTES) throw new UpstreamError('bad_response', `the upstream answer is larger than ${MAX_WHOLE_BYTES} bytes`);
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (signal.aborted) throw signal.reason ?? e;
    if (timedOut) throw new UpstreamError('timeout', `the whole answer did not arrive within ${limitLabel}`);
    if (e instanceof UpstreamError) throw e;
    throw new UpstreamError('bad_response', `the upstream connection broke while sending the answer (${codeOf(e)})`);
  } finally {
    clearTimeout(timer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function codeOf(e: unknown): string {
  const x = e as { code?: string; message?: string };
  return x?.code ?? x?.message ?? 'network error';
}

/** One parsed upstream event handed to the consumer. */
export interface UpstreamEvent {
  /** SSE `event:` field, if any. */
  event: string | undefined;
  /** Parsed JSON of `data:` (undefined for Chat's `[DONE]`). */
  json: Record<string, unknown> | undefined;
}

/** A batch of complete frames: their exact text (key removed) and their parsed events, in order. */
export interface FrameBatch {
  text: string;
  events: UpstreamEvent[];
}

/** Limits of one streamed attempt. */
export interface StreamLimits {
  /** Epoch ms by which the first complete event must have arrived (`stream_timeout`, else `timeout`). */
  firstEventDeadline: number;
  /** Names that limit in messages, e.g. `stream_timeout 3 s`. */
  firstEventLabel: string;
  /** Longest silence between two chunks after the first event, in ms. */
  idleMs: number;
}

const FRAME_END = /\r\n\r\n|\n\n|\r\r/g;

/**
 * A streamed upstream answer read as complete SSE frames, judged per wire, under the stream limits.
 * Call {@link first} inside the router attempt (so a failure before the first event is retried or falls
 * back), then iterate {@link batches}. After `batches` ends without throwing, the answer was complete.
 */
export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private readonly parser: EventSourceParser;
  private readonly iter: AsyncIterator<Buffer>;
  private tail = '';
  private pending: UpstreamEvent | undefined;
  private problem: UpstreamError | undefined;
  private held: FrameBatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timedOut: string | undefined;
  /** True after the first event: the timer is then an idle timer, refreshed by every chunk. */
  private idlePhase = false;
  /** True once the wire's terminal marker was seen (finish_reason / [DONE]; response.completed/.incomplete/.failed; message_stop). */
  complete = false;

  /**
   * @param wire how events are judged.
   * @param body the upstream body (undici Readable).
   * @param key the secret(s) in use ({@link Secrets}), removed from relayed text and messages.
   * @param limits time limits (see {@link StreamLimits}).
   * @param signal the client's abort signal; an abort rethrows its reason.
   */
  constructor(
    readonly wire: JudgedWire,
    private readonly body: Readable,
    private readonly key: Secrets,
    private readonly limits: StreamLimits,
    private readonly signal: AbortSignal,
  ) {
    this.parser = createParser({ onEvent: (ev) => this.onEvent(ev) });
    this.iter = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /**
   * Reads until the first complete event (frames before it included) and holds it for {@link batches}.
   * @throws UpstreamError `timeout` past the first-event deadline, `bad_response` for an invalid first
   *   event or an early end, or the kind of an upstream error event.
   */
  async first(): Promise<void> {
    this.arm(Math.max(0, this.limits.firstEventDeadline - Date.now()), `no event arrived within ${this.limits.firstEventLabel}`);
    let text = '';
    const events: UpstreamEvent[] = [];
    try {
      while (events.length === 0) {
        const b = await this.readBatch();
        if (!b) throw this.problem ?? new UpstreamError('bad_response', 'the upstream ended the stream before its first event');
        text += b.text;
        events.push(...b.events);
      }
    } catch (e) {
      this.stop();
      throw e;
    }
    this.held = { text, events };
    this.idlePhase = true;
    this.arm(this.limits.idleMs, `the stream went silent for more than ${fmtMs(this.limits.idleMs)} (gateway_settings.stream_idle_timeout_ms)`);
  }

  /** The events {@link first} read and holds (empty before it or once {@link batches} took them). */
  get firstEvents(): readonly UpstreamEvent[] {
    return this.held?.events ?? [];
  }

  /**
   * The rest of the answer, batch by batch (the first batch holds what {@link first} read).
   * @throws UpstreamError on a timeout, a malformed event, an error event, a broken connection, or an end
   *   before the wire's terminal marker (`complete` false).
   */
  async *batches(): AsyncGenerator<FrameBatch> {
    try {
      if (this.held) {
        const h = this.held;
        this.held = undefined;
        yield h;
      }
      for (;;) {
        const b = await this.readBatch();
        if (!b) break;
        if (b.text) yield b;
      }
      if (this.problem) throw this.problem;
      if (!this.complete) {
        throw new UpstreamError(
          'bad_response',
          this.wire === 'chat'
            ? 'the upstream closed the stream before a finish_reason or [DONE]'
            : this.wire === 'messages'
              ? 'the upstream closed the stream before message_stop'
              : 'the upstream closed the stream before response.completed',
        );
      }
    } finally {
      this.stop();
    }
  }

  /** Stops the timer (idempotent); called when the answer ended or failed. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Destroys the upstream body (closing its connection) when the answer will not be read to its end. */
  cancel(): void {
    this.stop();
    if (!this.body.destroyed) this.body.destroy();
  }

  private arm(ms: number, why: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = why;
      this.body.destroy(new Error('timeout'));
    }, ms);
  }

  /**
   * Reads one chunk and returns its complete frames (null at the end of the body). A problem found in a
   * frame stops the batch there: frames before it are returned, `problem` is set, and the next call
   * returns null.
   */
  private async readBatch(): Promise<FrameBatch | null> {
    if (this.problem) return null;
    let r: IteratorResult<Buffer>;
    try {
      r = await this.iter.next();
    } catch (e) {
      if (this.signal.aborted) throw this.signal.reason ?? e;
      if (this.timedOut) throw new UpstreamError('timeout', this.timedOut);
      throw new UpstreamError('bad_response', `the upstream connection broke mid-stream (${codeOf(e)})`);
    }
    if (this.idlePhase && this.timer) this.timer.refresh();
    let s = r.done ? this.decoder.end() : this.decoder.write(r.value);
    if (r.done) {
      // A last frame without its blank line still counts when it is whole otherwise.
      if (this.tail.trim() && !s) s = '\n\n';
      else if (!this.tail && !s) return null;
    }
    // Scrubbed before framing, so the parsed events (which translated streams encode) carry no secret either;
    // a secret split across two chunks is whole here, since the unframed tail is carried over.
    const buf = withoutKey(this.tail + s, this.key);
    let out = '';
    const events: UpstreamEvent[] = [];
    let from = 0;
    FRAME_END.lastIndex = 0;
    for (let m = FRAME_END.exec(buf); m; m = FRAME_END.exec(buf)) {
      const end = m.index + m[0].length;
      const frame = buf.slice(from, end);
      this.parser.feed(frame);
      const ev = this.pending;
      this.pending = undefined;
      if (this.problem) {
        this.tail = '';
        return { text: out, events };
      }
      out += frame;
      if (ev) events.push(ev);
      from = end;
    }
    this.tail = buf.slice(from);
    if (this.tail.length > MAX_FRAME_CHARS) {
      this.problem = new UpstreamError('bad_response', `the upstream sent an SSE event longer than ${MAX_FRAME_CHARS} characters`);
    }
    if (r.done) this.tail = '';
    return { text: out, events };
  }

  private onEvent(ev: EventSourceMessage): void {
    if (this.problem) return;
    const data = ev.data;
    if (this.wire === 'chat' && data === '[DONE]') {
      this.complete = true;
      this.pending = { event: ev.event, json: undefined };
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.problem = new UpstreamError('bad_response', `the upstream sent a malformed event (data is not JSON: ${data.length} characters)`);
      return;
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      this.problem = new UpstreamError('bad_response', 'the upstream sent an event whose data is not a JSON object');
      return;
    }
    const o = json as Record<string, unknown>;
    if (this.wire === 'chat') {
      if (o.error) {
        this.problem = errorObjectFailure(o.error, this.key, 'mid-stream');
        return;
      }
      const choices = o.choices;
      if (Array.isArray(choices)) {
        for (const c of choices) {
          const fr = (c as { finish_reason?: unknown } | null)?.finish_reason;
          if (fr !== undefined && fr !== null) this.complete = true;
        }
      }
    } else if (this.wire === 'messages') {
      const type = typeof o.type === 'string' ? o.type : (ev.event ?? '');
      if (type === 'error' || ev.event === 'error') {
        this.problem = messagesErrorFailure(o.error ?? o, this.key, 'mid-stream');
        return;
      }
      if (type === 'ping') return; // relayed with its frame, not an event
      if (type === 'message_stop') this.complete = true;
    } else {
      const type = ev.event ?? (typeof o.type === 'string' ? o.type : '');
      if (type === 'error') {
        this.problem = errorObjectFailure(o.error ?? o, this.key, 'mid-stream');
        return;
      }
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') this.complete = true;
    }
    this.pending = { event: ev.event, json: o };
  }
}

/** `3 s`, `500 ms`. */
export function fmtMs(ms: number): string {
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
