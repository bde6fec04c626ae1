/**
 * The Anthropic Messages door's answer side: hub events from a translated (non-Anthropic) upstream ->
 * Anthropic Messages SSE ({@link MessagesEncoder}), or the same events folded into one `message` JSON
 * ({@link foldMessage}). Plus the pieces both need: tool-use ids, stop reasons, usage, the error frame.
 *
 * Stream contract (Anthropic API reference, "Streaming Messages"; what Claude Code 2.1.328 needs, see
 * shared/notes/claude-code-wire.md "The streaming contract"):
 * - every frame is `event: <type>\ndata: <json>\n\n` (the `event:` name equals the data's `type`);
 * - `message_start` first (`message: {id, type: "message", role: "assistant", model: <alias>, content: [],
 *   stop_reason: null, stop_sequence: null, usage}`), sent with the first content (not by `start()`), so
 *   that a usage report the upstream sends before its content is in it. Its usage is the upstream's input
 *   counts when known by then, else an estimate of the request ({@link estimateInputTokens} in ./door.ts):
 *   Claude Code shows "Ctx 0%" when `message_start` carries no input count (notes, bridge point 6), and
 *   OpenAI-wire upstreams report usage only at the end. The real counts follow in `message_delta`, whose
 *   usage is cumulative (the SDK's MessageStream overwrites its input/cache counts from it).
 * - per block `content_block_start` -> `content_block_delta`* -> `content_block_stop`, indexes 0, 1, ...
 *   in order; exactly one block is open at a time, it is closed before the next opens, and no delta or stop
 *   is ever written for an index whose start was not written (Claude Code: "API Error: Content block not
 *   found", notes point 4).
 * - text and refusal events -> `text` blocks (`text_delta`); reasoning -> `thinking` blocks
 *   (`thinking_delta`, then one `signature_delta` just before the stop); a `reasoning_signature` event (an
 *   Anthropic signature) closes the thinking block with that signature byte-exact; a thinking block the
 *   upstream did not sign (DeepSeek, Qwen, OpenAI summaries...) gets OUR opaque signature
 *   {@link ownThinkingSignature} (`cgw1:` + base64 of the text), which Claude Code stores and sends back
 *   without verifying it (notes, bridge point 2) and the door's parser turns back into plain reasoning;
 *   `reasoning_redacted` -> a `redacted_thinking` block carrying `data` in its start event.
 * - tool calls -> `tool_use` blocks: start `{type: "tool_use", id, name, input: {}}`, then `input_json_delta`
 *   fragments (`partial_json`), `{}` when the call had no argument text (the SDK and Claude Code JSON-parse
 *   the concatenation). The id is the hub call id made Anthropic-valid by {@link messagesDoorToolId}; a
 *   missing id is minted `toolu_…`; the name is mapped back to the client's through `EncodeContext.tools`.
 *   A call's block opens when its name is known. Only one block can be open, so a call that starts while
 *   another call's block is open is held and written whole (start, one delta, stop) when that block closes
 *   (interleaved parallel calls stay correct; sequential ones stream the first live). Argument fragments for
 *   a call whose block was already closed by later content cannot be written and are left out (no known
 *   upstream sends them), as are calls that never got a name.
 * - the end: the open block closes, then `message_delta` (`delta: {stop_reason, stop_sequence: null}`,
 *   cumulative `usage`) and `message_stop`. Stop reasons: {@link messagesStopReason}.
 * - a failure: one `event: error` frame `{"type": "error", "error": {"type", "message"}}` (the SDK raises an
 *   APIError for it; {@link messagesErrorType} picks the type); nothing follows it.
 */
import { randomBytes } from 'node:crypto';
import type { UpstreamError } from '../../errors';
import type { HubEvent, HubFinishReason, HubUsage } from '../../hub/types';
import { encodeReasoningBlock } from '../../translate/reasoning';
import { targetOf } from '../../translate/output';
import type { DoorEncoder, EncodeContext } from '../types';

/** Anthropic's `stop_reason` values the door sends. */
export type MessagesStopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal' | 'pause_turn';

/** The usage object the door writes (tokens; Anthropic's convention: `input_tokens` excludes cache reads and writes). */
export interface MessagesUsageOut {
  input_tokens?: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** A new message id, `msg_` + 24 random hex characters (the prefix Anthropic's message ids carry). */
export function newMessageId(): string {
  return `msg_${randomBytes(12).toString('hex')}`;
}

/** A minted tool-use id for a call the upstream gave none: `toolu_` + 24 random hex characters. */
function mintToolUseId(): string {
  return `toolu_${randomBytes(12).toString('hex')}`;
}

/** Prefix of a tool-use id that carries a hub call id Anthropic's id pattern does not allow. */
export const ENCODED_ID_PREFIX = 'cgwid_';
const VALID_ID = /^[a-zA-Z0-9_-]+$/;

/**
 * The `tool_use.id` for a hub call id. Anthropic requires `^[a-zA-Z0-9_-]+$` (API reference, "Messages":
 * `tool_use.id`; the Anthropic upstream's builder enforces the same), and hub ids may carry other
 * characters: Kimi's `functions.exec:0`, or a Gemini thought signature folded in by hub/call-id.ts (`~sig~`
 * and base64). Such an id (and any id that already starts with {@link ENCODED_ID_PREFIX}, so the mapping is
 * one-to-one) becomes the prefix + base64url of its UTF-8 bytes; every other id is kept as it is. Claude Code
 * sends tool_use ids back unchanged, and {@link hubCallIdOf} restores the original, so the upstream sees its
 * own ids (Gemini needs its signatures back).
 */
export function messagesDoorToolId(id: string): string {
  if (VALID_ID.test(id) && !id.startsWith(ENCODED_ID_PREFIX)) return id;
  return ENCODED_ID_PREFIX + Buffer.from(id, 'utf8').toString('base64url');
}

/** The hub call id for a `tool_use.id` / `tool_use_id` the client sent: the inverse of {@link messagesDoorToolId}. */
export function hubCallIdOf(id: string): string {
  if (!id.startsWith(ENCODED_ID_PREFIX)) return id;
  const decoded = Buffer.from(id.slice(ENCODED_ID_PREFIX.length), 'base64url').toString('utf8');
  // Not one of ours (or damaged): keep what the client sent.
  return messagesDoorToolId(decoded) === id ? decoded : id;
}

/**
 * Our `signature` for a thinking block whose reasoning came from a non-Anthropic upstream: the gateway's
 * opaque reasoning state (`cgw1:` + base64 of the text, translate/reasoning.ts), which the door's parser
 * recognises and turns back into plain reasoning (no Anthropic signature). Claude Code does not verify
 * signatures and sends them back (notes, bridge point 2).
 */
export function ownThinkingSignature(text: string): string {
  return encodeReasoningBlock({ text });
}

/**
 * The Anthropic `stop_reason` for a hub finish (Anthropic docs, "Handling stop reasons"):
 * `stop` -> `end_turn`; `tool_calls` -> `tool_use`; `length` -> `max_tokens`; `refusal` -> `refusal`;
 * `pause` -> `pause_turn`; `content_filter` -> `refusal` (Anthropic's reason when its safety classifiers
 * stop an answer; it has no separate content-filter reason). An answer that wrote tool_use blocks ends with
 * `tool_use` unless it was cut (`max_tokens`), and one that wrote none never ends with `tool_use`: Claude
 * Code runs the tools of a `tool_use` turn. A stop-sequence stop cannot be told apart from a natural stop in
 * the hub and is `end_turn` (with `stop_sequence: null`).
 * @param reason the hub's reason; undefined (no finish seen) counts as `stop`.
 * @param calls whether the answer wrote tool_use blocks.
 */
export function messagesStopReason(reason: HubFinishReason | undefined, calls: boolean): MessagesStopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'refusal':
    case 'content_filter':
      return 'refusal';
    case 'pause':
      return calls ? 'tool_use' : 'pause_turn';
    default: // stop, tool_calls, undefined
      return calls ? 'tool_use' : 'end_turn';
  }
}

/**
 * Hub usage -> Anthropic usage (tokens): `input_tokens` = hub input minus cache reads and writes (Anthropic
 * counts those apart, notes bridge point 6), `cache_read_input_tokens` / `cache_creation_input_tokens` = the
 * hub's cached / cache-written input (0 when the upstream reported none), `output_tokens` = output.
 */
export function messagesUsageOut(u: HubUsage): Required<MessagesUsageOut> {
  const read = u.cachedInput ?? 0;
  const write = u.cacheCreationInput ?? 0;
  return { input_tokens: Math.max(0, u.input - read - write), output_tokens: u.output, cache_creation_input_tokens: write, cache_read_input_tokens: read };
}

/**
 * The Anthropic error `type` for a failed stream (Anthropic API reference, "Errors"; kept in line with the
 * door's pre-stream errors in ./errors.ts): rate limit -> `rate_limit_error`; context window ->
 * `invalid_request_error` (the message should read "prompt is too long", which Claude Code matches);
 * auth -> `authentication_error`; not found -> `not_found_error`; other 4xx -> `invalid_request_error`;
 * server, timeout, connection and malformed answers -> `overloaded_error` (Claude Code retries it, as after
 * a 529); no classified error (a gateway fault) -> `api_error`.
 */
export function messagesErrorType(err: UpstreamError | undefined): string {
  switch (err?.kind) {
    case 'rate_limit':
      return 'rate_limit_error';
    case 'context_window':
    case 'bad_request':
    case 'not_implemented':
      return 'invalid_request_error';
    case 'auth':
      return 'authentication_error';
    case 'not_found':
      return 'not_found_error';
    case 'server':
    case 'timeout':
    case 'connection':
    case 'bad_response':
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}

/**
 * One Anthropic `error` SSE frame: `event: error\ndata: {"type":"error","error":{"type","message"}}\n\n`.
 * A context-window failure's message gets the "prompt is too long: " prefix when it lacks it (Claude Code
 * starts its own compaction on that wording, notes "The streaming contract").
 */
export function messagesErrorFrame(err: UpstreamError | undefined, message: string): string {
  const text = err?.kind === 'context_window' && !/^prompt is too long/i.test(message) ? `prompt is too long: ${message}` : message;
  return sseFrame('error', { type: 'error', error: { type: messagesErrorType(err), message: text } });
}

/**
 * Anthropic's keep-alive frame (API reference, "Streaming Messages": `ping` events may come at any time; the
 * SDK skips them). Claude Code's idle watchdog is 300 s, so a door writes one every ~15 s while the upstream
 * is silent (notes, "The streaming contract"). Valid before `message_start` too (the SDK drops pings before
 * assembling the message), so it may be written while the encoder still waits for the first content.
 */
export const MESSAGES_PING_FRAME = 'event: ping\ndata: {"type":"ping"}\n\n';

/** One SSE frame with its `event:` name. */
function sseFrame(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A `content_block_delta` frame, byte-identical to `sseFrame('content_block_delta', {type, index, delta: {type: kind, [key]: value}})`
 * but without building and serialising the wrapper objects (one per streamed text piece: the hot path).
 */
function deltaFrame(index: number, kind: 'text_delta' | 'thinking_delta' | 'signature_delta' | 'input_json_delta', key: string, value: string): string {
  return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"${kind}","${key}":${JSON.stringify(value)}}}\n\n`;
}

/** Merges a later usage report into the earlier one: fields it carries win. */
function mergeUsage(prev: HubUsage | undefined, next: HubUsage): HubUsage {
  if (!prev) return { ...next };
  const out: HubUsage = { ...prev };
  for (const k of Object.keys(next) as Array<keyof HubUsage>) if (typeof next[k] === 'number') out[k] = next[k] as number;
  return out;
}

/** One tool call as the encoder assembles it. */
interface CallSlot {
  /** Hub call index. */
  index: number;
  id?: string;
  /** Upstream (flat) name. */
  name?: string;
  /** Argument text not yet written. */
  held: string;
  /** Characters of arguments written. */
  written: number;
  state: 'new' | 'queued' | 'open' | 'closed';
}

/** The block being streamed. */
type OpenBlock = { index: number; kind: 'text' } | { index: number; kind: 'thinking'; text: string } | { index: number; kind: 'tool'; call: CallSlot };

/** An input estimator for `message_start` when the upstream has not reported usage yet. */
export type InputEstimator = (request: Record<string, unknown>) => number;

/**
 * Encodes hub events into a streamed Anthropic Messages answer (see the module notes for every rule).
 * Each method returns the SSE text to write; after `end()` or `fail()` every method returns ''.
 */
export class MessagesEncoder implements DoorEncoder {
  private started = false;
  private closed = false;
  private finished = false;
  private finish: HubFinishReason | undefined;
  private block: OpenBlock | null = null;
  private nextIndex = 0;
  private readonly calls = new Map<number, CallSlot>();
  private readonly queue: CallSlot[] = [];
  private wroteCall = false;
  private hubUsage: HubUsage | undefined;

  /**
   * @param ctx `id` (`msg_…`, {@link newMessageId}), `alias` (the message's `model`), `tools` (the door's
   *   tool map, for names), `request` (the client's body, for the input estimate).
   * @param estimate the input-token estimate used in `message_start` before the upstream reported usage
   *   (the door passes `estimateInputTokens`); 0 when absent.
   */
  constructor(
    private readonly ctx: EncodeContext,
    private readonly estimate?: InputEstimator,
  ) {}

  /** Usage seen so far (tokens, hub convention: input includes cached), for the log line. */
  get usage(): { input?: number; output?: number } {
    const u = this.hubUsage;
    return u ? { input: u.input, output: u.output } : {};
  }

  /** '' : `message_start` goes out with the first content, so it can carry usage reported before it. */
  start(): string {
    return '';
  }

  /** One hub event as zero or more frames. Content after the finish is ignored; usage is kept for `end()`. */
  push(ev: HubEvent): string {
    if (this.closed) return '';
    if (ev.type === 'usage') {
      this.hubUsage = mergeUsage(this.hubUsage, ev.usage);
      return '';
    }
    if (this.finished) return '';
    switch (ev.type) {
      case 'text':
      case 'refusal':
        return ev.text ? this.text(ev.text) : '';
      case 'reasoning':
        return ev.text ? this.thinking(ev.text) : '';
      case 'reasoning_signature':
        return this.signature(ev.signature);
      case 'reasoning_redacted': {
        let out = this.head() + this.closeBlock();
        const index = this.nextIndex++;
        out += sseFrame('content_block_start', { type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: ev.data } });
        return out + sseFrame('content_block_stop', { type: 'content_block_stop', index });
      }
      case 'call':
        return this.call(ev);
      case 'finish': {
        const out = this.head() + this.closeBlock();
        this.finish = ev.reason;
        this.finished = true;
        return out;
      }
      default:
        return '';
    }
  }

  /** Closes the open block, then `message_delta` (stop reason, cumulative usage) and `message_stop`. */
  end(): string {
    if (this.closed) return '';
    let out = this.head() + this.closeBlock();
    this.finished = true;
    this.closed = true;
    const usage: MessagesUsageOut = this.hubUsage ? messagesUsageOut(this.hubUsage) : { output_tokens: 0 };
    out += sseFrame('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: messagesStopReason(this.finish, this.wroteCall), stop_sequence: null },
      usage,
    });
    return out + sseFrame('message_stop', { type: 'message_stop' });
  }

  /** One `event: error` frame ({@link messagesErrorFrame}); the open block is not closed, nothing follows. */
  fail(err: UpstreamError | undefined, message: string): string {
    if (this.closed) return '';
    this.closed = true;
    return messagesErrorFrame(err, message);
  }

  /* ------------------------------------------------------------------ internals */

  /** `message_start`, once. */
  private head(): string {
    if (this.started) return '';
    this.started = true;
    let usage: Required<MessagesUsageOut>;
    if (this.hubUsage) usage = messagesUsageOut(this.hubUsage);
    else {
      let est = 0;
      try {
        est = this.estimate ? this.estimate(this.ctx.request ?? {}) : 0;
      } catch {
        est = 0;
      }
      usage = { input_tokens: est, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    }
    return sseFrame('message_start', {
      type: 'message_start',
      message: { id: this.ctx.id, type: 'message', role: 'assistant', model: this.ctx.alias, content: [], stop_reason: null, stop_sequence: null, usage },
    });
  }

  private open(content_block: Record<string, unknown>): { out: string; index: number } {
    const index = this.nextIndex++;
    return { index, out: sseFrame('content_block_start', { type: 'content_block_start', index, content_block }) };
  }

  private text(text: string): string {
    let out = this.head();
    if (this.block?.kind !== 'text') {
      out += this.closeBlock();
      const o = this.open({ type: 'text', text: '' });
      this.block = { index: o.index, kind: 'text' };
      out += o.out;
    }
    return out + deltaFrame(this.block.index, 'text_delta', 'text', text);
  }

  private openThinking(): string {
    if (this.block?.kind === 'thinking') return '';
    const out = this.closeBlock();
    const o = this.open({ type: 'thinking', thinking: '', signature: '' });
    this.block = { index: o.index, kind: 'thinking', text: '' };
    return out + o.out;
  }

  private thinking(text: string): string {
    const out = this.head() + this.openThinking();
    const b = this.block as Extract<OpenBlock, { kind: 'thinking' }>;
    b.text += text;
    return out + deltaFrame(b.index, 'thinking_delta', 'thinking', text);
  }

  /** An upstream (Anthropic) signature: closes the thinking block (an empty one when none is open). */
  private signature(signature: string): string {
    const out = this.head() + this.openThinking();
    const b = this.block as Extract<OpenBlock, { kind: 'thinking' }>;
    this.block = null;
    return (
      out +
      deltaFrame(b.index, 'signature_delta', 'signature', signature) +
      sseFrame('content_block_stop', { type: 'content_block_stop', index: b.index })
    );
  }

  private call(ev: Extract<HubEvent, { type: 'call' }>): string {
    let s = this.calls.get(ev.index);
    if (!s) {
      s = { index: ev.index, held: '', written: 0, state: 'new' };
      this.calls.set(ev.index, s);
    }
    if (ev.id && s.id === undefined) s.id = ev.id;
    if (ev.name && s.name === undefined) s.name = ev.name;
    if (s.state === 'closed') return ''; // late fragment: its block is gone (see the module notes)
    s.held += ev.arguments ?? '';
    if (s.state === 'open') return this.flushArgs(s);
    if (s.state === 'queued' || s.name === undefined) return '';
    // A named call not yet written.
    if (this.block?.kind === 'tool') {
      s.state = 'queued';
      this.queue.push(s);
      return '';
    }
    return this.head() + this.closeBlock() + this.openCall(s);
  }

  private openCall(s: CallSlot): string {
    s.state = 'open';
    s.id ??= mintToolUseId();
    this.wroteCall = true;
    const name = targetOf(this.ctx.tools, s.name!).name;
    const o = this.open({ type: 'tool_use', id: messagesDoorToolId(s.id), name, input: {} });
    this.block = { index: o.index, kind: 'tool', call: s };
    return o.out + this.flushArgs(s);
  }

  private flushArgs(s: CallSlot): string {
    if (!s.held || this.block?.kind !== 'tool') return '';
    const piece = s.held;
    s.held = '';
    s.written += piece.length;
    return deltaFrame(this.block.index, 'input_json_delta', 'partial_json', piece);
  }

  /** Closes the open block (a thinking block gets our signature; a tool block `{}` if it had no input), then writes the held calls whole. */
  private closeBlock(): string {
    let out = '';
    const b = this.block;
    if (b) {
      this.block = null;
      if (b.kind === 'thinking') {
        out += deltaFrame(b.index, 'signature_delta', 'signature', ownThinkingSignature(b.text));
      } else if (b.kind === 'tool') {
        b.call.state = 'closed';
        if (b.call.written === 0) {
          b.call.written = 2;
          out += deltaFrame(b.index, 'input_json_delta', 'partial_json', '{}');
        }
      }
      out += sseFrame('content_block_stop', { type: 'content_block_stop', index: b.index });
    }
    if (this.queue.length && this.block === null) {
      const q = this.queue.splice(0).sort((a, c) => a.index - c.index);
      for (const s of q) {
        out += this.openCall(s);
        // Recursion depth 1: the queue is empty now, so this only closes the call's own block.
        out += this.closeBlock();
      }
    }
    return out;
  }
}

/**
 * Folds a whole answer's hub events into one Anthropic `message` (Anthropic API reference, "Messages":
 * response): `{id, type: "message", role: "assistant", model: <alias>, content, stop_reason, stop_sequence:
 * null, usage}`. Content blocks in order: `thinking` (`thinking`, `signature`: the upstream's, else
 * {@link ownThinkingSignature}), `redacted_thinking` (`data`), `text` (text and refusal text), `tool_use`
 * (`id` via {@link messagesDoorToolId}, minted when missing; `name` mapped back through `ctx.tools`; `input`
 * the parsed arguments object, `{}` when they are empty or not a JSON object). Calls that never got a name
 * are left out. `usage` as in {@link messagesUsageOut} (all zero when the upstream reported none); stop
 * reason as {@link messagesStopReason}.
 * @param events the answer's hub events, in order.
 * @param ctx `id`, `alias`, `tools` as for {@link MessagesEncoder}.
 */
export function foldMessage(events: HubEvent[], ctx: EncodeContext): Record<string, unknown> {
  type Block =
    | { type: 'thinking'; thinking: string; signature?: string; done: boolean }
    | { type: 'redacted_thinking'; data: string }
    | { type: 'text'; text: string }
    | { type: 'tool_use'; slot: { id?: string; name?: string; args: string } };
  const blocks: Block[] = [];
  const slots = new Map<number, { id?: string; name?: string; args: string; placed: boolean }>();
  let usage: HubUsage | undefined;
  let finish: HubFinishReason | undefined;
  let finished = false;
  const last = (): Block | undefined => blocks[blocks.length - 1];
  for (const ev of events) {
    if (ev.type === 'usage') {
      usage = mergeUsage(usage, ev.usage);
      continue;
    }
    if (finished) continue;
    switch (ev.type) {
      case 'text':
      case 'refusal': {
        if (!ev.text) break;
        const b = last();
        if (b?.type === 'text') b.text += ev.text;
        else blocks.push({ type: 'text', text: ev.text });
        break;
      }
      case 'reasoning': {
        if (!ev.text) break;
        const b = last();
        if (b?.type === 'thinking' && !b.done) b.thinking += ev.text;
        else blocks.push({ type: 'thinking', thinking: ev.text, done: false });
        break;
      }
      case 'reasoning_signature': {
        const b = last();
        if (b?.type === 'thinking' && !b.done) {
          b.signature = ev.signature;
          b.done = true;
        } else blocks.push({ type: 'thinking', thinking: '', signature: ev.signature, done: true });
        break;
      }
      case 'reasoning_redacted':
        blocks.push({ type: 'redacted_thinking', data: ev.data });
        break;
      case 'call': {
        let s = slots.get(ev.index);
        if (!s) {
          s = { args: '', placed: false };
          slots.set(ev.index, s);
        }
        if (ev.id && s.id === undefined) s.id = ev.id;
        if (ev.name && s.name === undefined) s.name = ev.name;
        s.args += ev.arguments ?? '';
        if (!s.placed && s.name !== undefined) {
          s.placed = true;
          blocks.push({ type: 'tool_use', slot: s });
        }
        break;
      }
      case 'finish':
        finish = ev.reason;
        finished = true;
        break;
      default:
        break;
    }
  }
  let calls = false;
  const content = blocks.map((b): Record<string, unknown> => {
    switch (b.type) {
      case 'thinking':
        return { type: 'thinking', thinking: b.thinking, signature: b.signature ?? ownThinkingSignature(b.thinking) };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: b.data };
      case 'text':
        return { type: 'text', text: b.text };
      case 'tool_use': {
        calls = true;
        let input: unknown;
        try {
          input = b.slot.args.trim() ? JSON.parse(b.slot.args) : {};
        } catch {
          input = {};
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) input = {};
        return { type: 'tool_use', id: messagesDoorToolId(b.slot.id ?? mintToolUseId()), name: targetOf(ctx.tools, b.slot.name!).name, input };
      }
    }
  });
  return {
    id: ctx.id,
    type: 'message',
    role: 'assistant',
    model: ctx.alias,
    content,
    stop_reason: messagesStopReason(finish, calls),
    stop_sequence: null,
    usage: messagesUsageOut(usage ?? { input: 0, output: 0 }),
  };
}
