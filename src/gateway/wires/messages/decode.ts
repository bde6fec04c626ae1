/**
 * Anthropic Messages answers -> hub events: the SSE stream ({@link MessagesDecoder}) and a whole
 * non-streamed `message` ({@link messagesJsonToEvents}).
 *
 * Stream contract (Anthropic API reference, "Streaming Messages"): `message_start` (the message shell with
 * its input usage) -> per content block `content_block_start` / `content_block_delta`* /
 * `content_block_stop` -> `message_delta` (`stop_reason`, cumulative usage) -> `message_stop`; `ping` at
 * any time; `error` events. Completeness and `error` events are judged by the SSE reader
 * (upstream-answer.ts, wire `messages`) before the decoder sees them.
 *
 * Mapping:
 * - block `text` -> `text` events (`text_delta`); `thinking` -> `reasoning` (`thinking_delta`) closed by
 *   `reasoning_signature` (`signature_delta`); `redacted_thinking` -> one `reasoning_redacted`;
 *   `tool_use` -> `call` events: index counts tool_use blocks from 0, the first carries `id` and `name`,
 *   the next ones the `input_json_delta` fragments (a tool_use whose input came whole in its start event,
 *   or not at all, gets one fragment with that JSON, `{}` at least). Server tool blocks
 *   (`server_tool_use`, `*_tool_result`) and `citations_delta` have no hub meaning and are skipped.
 * - `stop_reason` -> `finish` ({@link mapStopReason}); `usage` -> `usage` events ({@link messagesUsage}),
 *   each the whole usage so far (a later one replaces an earlier one): at `message_start` and at
 *   `message_delta`.
 */
import { jsonText, isObject } from '../../translate/safe';
import { messagesErrorFailure } from '../../upstream-answer';
import type { HubEvent, HubFinishReason, HubUsage } from '../../hub/types';
import type { UpstreamDecoder } from '../types';
import type { MessagesUsage } from './types';

/**
 * Anthropic `stop_reason` -> hub finish reason (Anthropic docs, "Handling stop reasons"): `end_turn`,
 * `stop_sequence` -> `stop`; `tool_use` -> `tool_calls`; `max_tokens`, `model_context_window_exceeded`
 * -> `length`; `refusal` -> `refusal`; `pause_turn` -> `pause`; anything else -> `stop`.
 */
export function mapStopReason(reason: unknown): HubFinishReason {
  switch (reason) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'refusal';
    case 'pause_turn':
      return 'pause';
    default:
      return 'stop';
  }
}

/** The `usage` counts Anthropic reports (a later report of one replaces an earlier one). */
export const MESSAGES_USAGE_KEYS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

/** A token count: a finite number floored to a non-negative integer, else 0. */
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/**
 * Anthropic usage -> hub usage (tokens). Anthropic's `input_tokens` excludes cache reads and writes;
 * the hub's `input` includes them (OpenAI's convention): `input = input_tokens + cache_read_input_tokens +
 * cache_creation_input_tokens`, `cachedInput = cache_read_input_tokens`, `cacheCreationInput =
 * cache_creation_input_tokens` (both only when the upstream reported them).
 */
export function messagesUsage(u: MessagesUsage): HubUsage {
  const read = num(u.cache_read_input_tokens);
  const write = num(u.cache_creation_input_tokens);
  const out: HubUsage = { input: num(u.input_tokens) + read + write, output: num(u.output_tokens) };
  if (typeof u.cache_read_input_tokens === 'number') out.cachedInput = read;
  if (typeof u.cache_creation_input_tokens === 'number') out.cacheCreationInput = write;
  return out;
}

/** What a started content block is, by its stream index. */
interface Block {
  kind: 'text' | 'thinking' | 'redacted' | 'tool' | 'other';
  /** Hub call index of a tool_use block. */
  call?: number;
  /** True once an argument fragment of a tool_use block was emitted. */
  args?: boolean;
  /** The whole input came in the start event (deltas ignored). */
  wholeInput?: boolean;
}

/**
 * Decodes one streamed Anthropic Messages answer (parsed SSE events in order) into hub events. Use one
 * instance per answer. Never throws for unknown or malformed events (they are skipped), except an `error`
 * event, which throws the UpstreamError {@link messagesErrorFailure} classifies (the SSE reader normally
 * catches it first).
 */
export class MessagesDecoder implements UpstreamDecoder {
  /** The upstream message id (`msg_…`) from `message_start`, once seen. */
  messageId: string | undefined;
  /** The upstream model from `message_start`, once seen. */
  model: string | undefined;
  private readonly blocks = new Map<number, Block>();
  private calls = 0;
  private raw: MessagesUsage = {};
  private finished = false;

  /**
   * One event.
   * @param json the event's data (`{"type": ...}`).
   * @param event the SSE `event:` name (Anthropic sends it equal to `type`); `type` wins when both exist.
   * @returns the hub events it yields (often one, possibly none).
   * @throws UpstreamError for an `error` event ({@link messagesErrorFailure}).
   */
  push(json: Record<string, unknown>, event: string | undefined): HubEvent[] {
    const type = typeof json.type === 'string' ? json.type : event;
    switch (type) {
      case 'message_start': {
        const m = isObject(json.message) ? json.message : {};
        if (typeof m.id === 'string') this.messageId = m.id;
        if (typeof m.model === 'string') this.model = m.model;
        if (!isObject(m.usage)) return [];
        this.raw = { ...(m.usage as MessagesUsage) };
        return [{ type: 'usage', usage: messagesUsage(this.raw) }];
      }
      case 'content_block_start':
        return this.start(json);
      case 'content_block_delta':
        return this.delta(json);
      case 'content_block_stop': {
        const b = typeof json.index === 'number' ? this.blocks.get(json.index) : undefined;
        if (b?.kind === 'tool' && !b.args) {
          b.args = true;
          return [{ type: 'call', index: b.call!, arguments: '{}' }];
        }
        return [];
      }
      case 'message_delta': {
        const out: HubEvent[] = [];
        if (isObject(json.usage)) {
          const u = json.usage as MessagesUsage;
          for (const k of MESSAGES_USAGE_KEYS) {
            if (typeof u[k] === 'number') this.raw[k] = u[k];
          }
          out.push({ type: 'usage', usage: messagesUsage(this.raw) });
        }
        const d = isObject(json.delta) ? json.delta : {};
        if (typeof d.stop_reason === 'string' && !this.finished) {
          this.finished = true;
          out.push({ type: 'finish', reason: mapStopReason(d.stop_reason) });
        }
        return out;
      }
      case 'message_stop':
        if (this.finished) return [];
        this.finished = true;
        return [{ type: 'finish', reason: 'stop' }];
      case 'error':
        throw messagesErrorFailure(json.error ?? json, undefined, 'mid-stream');
      default:
        return []; // ping, unknown events
    }
  }

  private start(json: Record<string, unknown>): HubEvent[] {
    const index = typeof json.index === 'number' ? json.index : -1;
    const cb = isObject(json.content_block) ? json.content_block : {};
    switch (cb.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text' });
        return typeof cb.text === 'string' && cb.text ? [{ type: 'text', text: cb.text }] : [];
      case 'thinking': {
        this.blocks.set(index, { kind: 'thinking' });
        const out: HubEvent[] = [];
        if (typeof cb.thinking === 'string' && cb.thinking) out.push({ type: 'reasoning', text: cb.thinking });
        if (typeof cb.signature === 'string' && cb.signature) out.push({ type: 'reasoning_signature', signature: cb.signature });
        return out;
      }
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'redacted' });
        return typeof cb.data === 'string' ? [{ type: 'reasoning_redacted', data: cb.data }] : [];
      case 'tool_use': {
        const b: Block = { kind: 'tool', call: this.calls++ };
        this.blocks.set(index, b);
        const ev: HubEvent = { type: 'call', index: b.call! };
        if (typeof cb.id === 'string') ev.id = cb.id;
        if (typeof cb.name === 'string') ev.name = cb.name;
        if (isObject(cb.input) && Object.keys(cb.input).length > 0) {
          ev.arguments = jsonText(cb.input) ?? '{}';
          b.args = true;
          b.wholeInput = true;
        }
        return [ev];
      }
      default:
        this.blocks.set(index, { kind: 'other' });
        return [];
    }
  }

  private delta(json: Record<string, unknown>): HubEvent[] {
    const b = typeof json.index === 'number' ? this.blocks.get(json.index) : undefined;
    if (b?.kind === 'other') return [];
    const d = isObject(json.delta) ? json.delta : {};
    switch (d.type) {
      case 'text_delta':
        return typeof d.text === 'string' && d.text ? [{ type: 'text', text: d.text }] : [];
      case 'thinking_delta':
        return typeof d.thinking === 'string' && d.thinking ? [{ type: 'reasoning', text: d.thinking }] : [];
      case 'signature_delta':
        return typeof d.signature === 'string' && d.signature ? [{ type: 'reasoning_signature', signature: d.signature }] : [];
      case 'input_json_delta':
        if (b?.kind !== 'tool' || b.wholeInput || typeof d.partial_json !== 'string' || !d.partial_json) return [];
        b.args = true;
        return [{ type: 'call', index: b.call!, arguments: d.partial_json }];
      default:
        return [];
    }
  }
}

/**
 * A whole non-streamed Anthropic `message` (Anthropic API reference, "Messages": response) -> the hub
 * events a stream of it would give, each tool_use's input folded into one `call` event: content events in
 * order, then `usage`, then `finish`.
 * @param json the parsed answer (`{type: "message", content: [...], stop_reason, usage}`), judged by
 *   `judgeJson('messages', ...)` first. Malformed blocks are skipped; never throws.
 */
export function messagesJsonToEvents(json: Record<string, unknown>): HubEvent[] {
  const out: HubEvent[] = [];
  let calls = 0;
  const content = Array.isArray(json.content) ? json.content : [];
  for (const cb of content) {
    if (!isObject(cb)) continue;
    switch (cb.type) {
      case 'text':
        if (typeof cb.text === 'string' && cb.text) out.push({ type: 'text', text: cb.text });
        break;
      case 'thinking':
        if (typeof cb.thinking === 'string' && cb.thinking) out.push({ type: 'reasoning', text: cb.thinking });
        if (typeof cb.signature === 'string' && cb.signature) out.push({ type: 'reasoning_signature', signature: cb.signature });
        break;
      case 'redacted_thinking':
        if (typeof cb.data === 'string') out.push({ type: 'reasoning_redacted', data: cb.data });
        break;
      case 'tool_use': {
        const ev: HubEvent = { type: 'call', index: calls++, arguments: (isObject(cb.input) ? jsonText(cb.input) : undefined) ?? '{}' };
        if (typeof cb.id === 'string') ev.id = cb.id;
        if (typeof cb.name === 'string') ev.name = cb.name;
        out.push(ev);
        break;
      }
    }
  }
  if (isObject(json.usage)) out.push({ type: 'usage', usage: messagesUsage(json.usage as MessagesUsage) });
  out.push({ type: 'finish', reason: mapStopReason(json.stop_reason) });
  return out;
}
