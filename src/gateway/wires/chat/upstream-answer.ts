/**
 * The Chat Completions upstream adapter's answer side: `chat.completion.chunk`s (streamed) or one
 * `chat.completion` (not streamed) -> hub events (OpenAI API reference, "The chat completion chunk
 * object" / "The chat completion object").
 *
 * - Only choice index 0 is used.
 * - `delta.reasoning_content` (DeepSeek, Qwen, Ollama) or `delta.reasoning` (OpenRouter, vLLM) -> reasoning;
 *   `content` -> text; `refusal` -> refusal; in that order within a chunk.
 * - `tool_calls[]` fragments -> `call` events. Parallel calls are told apart by `tool_calls[].index`; some
 *   OpenAI-compatible servers send no index: then a fragment with a new `id` starts a new call, and one
 *   without an id continues the last call. Calls are renumbered 0, 1, ... in order of appearance.
 * - `finish_reason`: `stop` -> stop, `length` -> length, `tool_calls` (and the legacy `function_call`) ->
 *   tool_calls, `content_filter` -> content_filter, anything else (`eos`, ...) -> stop.
 * - `usage` (the final `choices: []` chunk with `stream_options.include_usage`): prompt tokens include
 *   cached ones (`prompt_tokens_details.cached_tokens`, or DeepSeek's `prompt_cache_hit_tokens`).
 * - Gemini's per-call `extra_content.google.thought_signature` is folded into the call id (hub/call-id.ts),
 *   so it comes back on the next turn.
 * A mid-stream `error` object is judged as a failure by the SSE reader (upstream-answer.ts) before this.
 */
import { joinCallId, thoughtSignatureOf } from '../../hub/call-id';
import type { HubEvent, HubFinishReason, HubUsage } from '../../hub/types';
import type { ChatCompletion, ChatCompletionChunk, ChatToolCallDelta, ChatUsage } from '../../translate/types';
import type { UpstreamDecoder } from '../types';

/** A token count: a finite number floored to a non-negative integer, else 0. */
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** Chat usage -> hub usage (tokens). */
export function chatUsageToHub(u: ChatUsage): HubUsage {
  const h: HubUsage = { input: num(u.prompt_tokens), output: num(u.completion_tokens) };
  const cached = num(u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens);
  if (cached) h.cachedInput = cached;
  const reasoning = num(u.completion_tokens_details?.reasoning_tokens);
  if (reasoning) h.reasoning = reasoning;
  return h;
}

/** A Chat `finish_reason` in hub terms. */
export function chatFinishToHub(fr: unknown): HubFinishReason {
  switch (fr) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Decodes streamed `chat.completion.chunk`s into hub events (see the module notes). */
export class ChatDecoder implements UpstreamDecoder {
  /** Upstream call key (`index`, or a position) -> hub call index and the upstream id it carries. */
  private readonly calls = new Map<number, { index: number; id?: string }>();
  private nextIndex = 0;
  private lastKey: number | undefined;

  /** Decodes one parsed chunk. */
  push(json: Record<string, unknown>): HubEvent[] {
    const chunk = json as ChatCompletionChunk;
    const out: HubEvent[] = [];
    const choices = chunk.choices;
    if (Array.isArray(choices) && choices.length > 0) {
      const choice = choices.length === 1 ? choices[0] : (choices.find((c) => (c?.index ?? 0) === 0) ?? choices[0]);
      const delta = choice?.delta;
      if (delta && typeof delta === 'object') {
        const r = typeof delta.reasoning_content === 'string' && delta.reasoning_content ? delta.reasoning_content : delta.reasoning;
        if (typeof r === 'string' && r) out.push({ type: 'reasoning', text: r });
        if (typeof delta.content === 'string' && delta.content) out.push({ type: 'text', text: delta.content });
        if (typeof delta.refusal === 'string' && delta.refusal) out.push({ type: 'refusal', text: delta.refusal });
        if (Array.isArray(delta.tool_calls)) {
          for (let i = 0; i < delta.tool_calls.length; i++) {
            const ev = this.call(delta.tool_calls[i], i);
            if (ev) out.push(ev);
          }
        }
      }
      const fr = choice?.finish_reason;
      if (fr !== undefined && fr !== null) {
        out.push({ type: 'finish', reason: chatFinishToHub(fr) });
        this.calls.clear();
        this.lastKey = undefined;
      }
    }
    if (chunk.usage && typeof chunk.usage === 'object') out.push({ type: 'usage', usage: chatUsageToHub(chunk.usage) });
    return out;
  }

  private key(tc: ChatToolCallDelta, position: number): number {
    if (typeof tc.index === 'number') return tc.index;
    // No index (some OpenAI-compatible servers): match by id, else continue the last call, else position.
    if (typeof tc.id === 'string' && tc.id) {
      for (const [k, c] of this.calls) if (c.id === tc.id) return k;
      let k = position;
      while (this.calls.has(k)) k++;
      return k;
    }
    return this.lastKey ?? position;
  }

  private call(tc: ChatToolCallDelta, position: number): HubEvent | undefined {
    if (!tc || typeof tc !== 'object') return undefined;
    const key = this.key(tc, position);
    this.lastKey = key;
    let c = this.calls.get(key);
    if (!c) {
      c = { index: this.nextIndex++ };
      this.calls.set(key, c);
    }
    const ev: Extract<HubEvent, { type: 'call' }> = { type: 'call', index: c.index };
    if (typeof tc.id === 'string' && tc.id) {
      c.id ??= tc.id;
      ev.id = joinCallId(tc.id, thoughtSignatureOf(tc));
    }
    const fn = tc.function;
    if (fn && typeof fn.name === 'string' && fn.name) ev.name = fn.name;
    if (fn && typeof fn.arguments === 'string' && fn.arguments) ev.arguments = fn.arguments;
    return ev;
  }
}

/**
 * A non-streamed chat completion as hub events: reasoning, text, refusal, each tool call whole, finish,
 * usage (the same events a stream of it would give).
 */
export function chatJsonToEvents(json: Record<string, unknown>): HubEvent[] {
  const chat = json as unknown as ChatCompletion;
  const out: HubEvent[] = [];
  const choice = Array.isArray(chat?.choices) ? (chat.choices.find((c) => (c?.index ?? 0) === 0) ?? chat.choices[0]) : undefined;
  const msg = choice?.message;
  if (msg && typeof msg === 'object') {
    const reasoning = typeof msg.reasoning_content === 'string' && msg.reasoning_content ? msg.reasoning_content : typeof msg.reasoning === 'string' ? msg.reasoning : '';
    if (reasoning) out.push({ type: 'reasoning', text: reasoning });
    if (typeof msg.content === 'string' && msg.content) out.push({ type: 'text', text: msg.content });
    if (typeof msg.refusal === 'string' && msg.refusal) out.push({ type: 'refusal', text: msg.refusal });
    if (Array.isArray(msg.tool_calls)) {
      let index = 0;
      for (const tc of msg.tool_calls) {
        if (!tc || typeof tc !== 'object') continue;
        const fn = tc.function;
        const name = fn && typeof fn.name === 'string' ? fn.name : '';
        if (!name) continue;
        const args = typeof fn!.arguments === 'string' ? fn!.arguments : fn!.arguments && typeof fn!.arguments === 'object' ? safeJson(fn!.arguments) : '';
        const ev: Extract<HubEvent, { type: 'call' }> = { type: 'call', index: index++, name, arguments: args };
        if (typeof tc.id === 'string' && tc.id) ev.id = joinCallId(tc.id, thoughtSignatureOf(tc));
        out.push(ev);
      }
    }
  }
  out.push({ type: 'finish', reason: chatFinishToHub(choice?.finish_reason) });
  if (chat?.usage && typeof chat.usage === 'object') out.push({ type: 'usage', usage: chatUsageToHub(chat.usage) });
  return out;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}
