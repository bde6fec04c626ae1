/**
 * The Responses upstream adapter: {@link HubRequest} -> `POST /responses` body ({@link buildResponsesRequest}),
 * and the upstream's answer -> hub events, streamed ({@link ResponsesDecoder}) or whole
 * ({@link responsesJsonToEvents}). Used when a door other than Responses (Chat Completions, Messages) is
 * served by a `responses`-wire deployment; a Responses client on a Responses deployment is relayed as is.
 *
 * Request (OpenAI API reference, "Responses: Create a model response"):
 * - `instructions` = the hub's system text; `input` items in order: user messages as `message` items with
 *   `input_text` / `input_image` (`detail` defaults to `auto`) / `input_file` parts; later system messages as
 *   `message` items of role `system`; assistant text as a `message` item with one `output_text` part (the shape
 *   Codex resends, accepted by OpenAI); each tool call as a `function_call` item (`call_id`, `name`,
 *   `arguments`) after it; each tool message as a `function_call_output` item (`output` a string, or
 *   `input_text`/`input_image`/`input_file` parts when the tool returned media; a tool error, which the
 *   Responses API has no flag for, is prefixed `Error: ` so the model still learns of it).
 * - Reasoning blocks are left out (listed as `input:reasoning`): a real Responses upstream only accepts
 *   reasoning items it produced itself (encrypted, with its own ids), and the hub's reasoning came from
 *   another wire (DeepSeek text, Anthropic thinking, or nothing).
 * - `tools` as `{type: "function", name, description, parameters, strict}`. `strict` is always sent: in the
 *   Responses API function tools are strict unless told otherwise (OpenAI docs, "Migrate to the Responses
 *   API": "functions are strict by default"), and strict mode rejects the loose schemas Chat clients send
 *   (it requires `additionalProperties: false` and every property required), so `strict: false` unless the
 *   client asked for strict.
 * - `tool_choice` (`auto`/`none`/`required` or `{type: "function", name}`) and `parallel_tool_calls`, only
 *   with tools; `max_output_tokens` (the client's, else the deployment's `maxTokens`; raised to 16, the
 *   Responses API's minimum, listed as `max_output_tokens:min16`); `temperature`; `top_p`;
 *   `reasoning: {effort}`; `text: {format}` (json_object / json_schema with name, schema, description,
 *   strict); `user`; `prompt_cache_key`; `store: false` (the gateway sends the whole conversation every turn
 *   and keeps no response ids); `stream: true` when streaming.
 * - `stop` has no Responses equivalent: dropped (listed) when `dropParams` is on, else a 400 naming it.
 * - `extraBody` (deployment `litellm_params`) gives defaults; the client's values win (LiteLLM's order).
 *   Chat-named defaults are renamed (`max_tokens`/`max_completion_tokens` -> `max_output_tokens`,
 *   `reasoning_effort` -> `reasoning.effort`); an `extraBody.reasoning` object is merged under the client's
 *   effort (so `reasoning: {summary: "auto"}` in litellm_params turns reasoning summaries on). Keys the
 *   builder owns (`model`, `input`, `instructions`, `stream`, `tools`, `tool_choice`) are ignored, and Chat-only
 *   keys (`stop`, `n`, `seed`, penalties, `logit_bias`, `stream_options`, `response_format`) are dropped and listed.
 * - `dropParamNames` (Responses names, or their Chat names: `max_tokens`, `max_completion_tokens`,
 *   `reasoning_effort`, `response_format`): such a parameter is dropped (listed) when `dropParams` is on, else
 *   a GatewayError 400 names it (in Chat's names, which the Chat and Messages doors' clients use); `reasoning`,
 *   `parallel_tool_calls`, `prompt_cache_key` and `store` are always dropped without error (clients send the
 *   first three on their own; `store` is the gateway's).
 *
 * Answer (OpenAI API reference, "Responses: Streaming events" and "The response object"): see
 * {@link ResponsesDecoder} and {@link responsesJsonToEvents}.
 */
import { GatewayError, UpstreamError } from '../../errors';
import type { HubEvent, HubFinishReason, HubMedia, HubMessage, HubPart, HubRequest, HubUsage } from '../../hub/types';
import { errorObjectFailure } from '../../upstream-answer';
import { dropRejected } from '../policy';
import { BUILDER_PARAMS } from '../types';
import type { BuildOptions, BuiltRequest, UpstreamDecoder } from '../types';
import { isObject } from '../../translate/safe';

/**
 * The smallest `max_output_tokens` the Responses API accepts, in tokens (below it OpenAI answers 400 "integer
 * below minimum value. Expected a value >= 16"); Chat allows 1, so smaller client limits are raised to it.
 */
export const MIN_OUTPUT_TOKENS = 16;

/** Responses params the client (or the gateway) sets on its own: dropped, never an error, when rejected. */
const AUTO_DROPPED = new Set(['reasoning', 'parallel_tool_calls', 'prompt_cache_key', 'store']);
/** Chat names of Responses params, for `dropParamNames` written either way and for messages. */
const CHAT_NAMES: Record<string, string[]> = {
  max_output_tokens: ['max_tokens', 'max_completion_tokens'],
  reasoning: ['reasoning_effort'],
  text: ['response_format'],
};
/** How a param is named in a 400 (the Chat/Messages doors' clients know these names). */
const SHOWN_NAME: Record<string, string> = { max_output_tokens: 'max_tokens', reasoning: 'reasoning_effort', text: 'response_format' };
/** extraBody keys the builder owns. */
const RESERVED_BODY_KEYS = new Set(['model', 'input', 'instructions', 'stream', 'tools', 'tool_choice', 'messages', 'functions']);
/** Chat-only extraBody keys the Responses API rejects. */
const CHAT_ONLY_KEYS = new Set(['stop', 'n', 'seed', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'stream_options', 'response_format', 'logprobs']);

/** A Responses input part for a hub part (user message or tool output). */
function inputPart(p: HubPart): Record<string, unknown> {
  switch (p.type) {
    case 'text':
      return { type: 'input_text', text: p.text };
    case 'image':
      return { type: 'input_image', image_url: p.url, detail: p.detail ?? 'auto' };
    default: {
      const f: Record<string, unknown> = { type: 'input_file' };
      if (p.fileId !== undefined) f.file_id = p.fileId;
      if (p.fileData !== undefined) f.file_data = p.fileData;
      if (p.filename !== undefined) f.filename = p.filename;
      return f;
    }
  }
}

/**
 * Builds the Responses API body for one deployment from the hub request (see the module notes).
 * @param hub the parsed client request.
 * @param opts the deployment's model, provider, drop rules, defaults, and whether the call streams.
 * @returns the body and what was left out: the door's `hub.dropped`, then the builder's (`input:reasoning`,
 *   `stop`, `max_output_tokens:min16`, `extra:<key>`, a rejected param's Responses name, ...).
 * @throws GatewayError 400 `unsupported_parameter` (param = the Chat name) when the client set a parameter this
 *   deployment rejects, or `stop`, while `drop_params` is off.
 */
export function buildResponsesRequest(hub: HubRequest, opts: BuildOptions): BuiltRequest {
  // The door's list first (as the Chat builder does), then the builder's own decisions.
  const dropped = new Set<string>(hub.dropped);

  const rejected = (name: string): boolean => {
    const names = opts.dropParamNames;
    if (names.size === 0) return false;
    return names.has(name) || (CHAT_NAMES[name] ?? []).some((n) => names.has(n));
  };
  /** Sets a param unless the upstream rejects it (then drop it, or throw when drop_params is off). */
  const set = (body: Record<string, unknown>, name: string, value: unknown): void => {
    if (rejected(name) && !dropRejected(name, SHOWN_NAME[name] ?? name, opts, AUTO_DROPPED, dropped)) {
      delete body[name];
      return;
    }
    body[name] = value;
  };

  const body: Record<string, unknown> = { model: opts.model };
  if (hub.system) body.instructions = hub.system;
  body.input = inputItems(hub.messages, dropped);

  // Deployment defaults first (client values set below win).
  const extra = opts.extraBody ?? {};
  let extraReasoning: Record<string, unknown> | undefined;
  let extraMax: unknown;
  for (const k in extra) {
    const v = extra[k];
    if (v === undefined || RESERVED_BODY_KEYS.has(k) || BUILDER_PARAMS.has(k)) continue;
    if (k === 'max_tokens' || k === 'max_completion_tokens' || k === 'max_output_tokens') extraMax ??= v;
    else if (k === 'reasoning_effort') {
      if (typeof v === 'string') extraReasoning = { ...extraReasoning, effort: v };
    } else if (k === 'reasoning') {
      if (isObject(v)) extraReasoning = { ...v, ...extraReasoning };
    } else if (CHAT_ONLY_KEYS.has(k)) dropped.add(`extra:${k}`);
    else set(body, k, v);
  }

  if (hub.tools.length) {
    set(
      body,
      'tools',
      hub.tools.map((t) => {
        const o: Record<string, unknown> = { type: 'function', name: t.name };
        if (t.description) o.description = t.description;
        o.parameters = t.parameters;
        o.strict = t.strict === true;
        return o;
      }),
    );
    const c = hub.settings.toolChoice;
    if (c !== undefined && body.tools) set(body, 'tool_choice', typeof c === 'string' ? c : { type: 'function', name: c.name });
    if (hub.settings.parallelToolCalls !== undefined && body.tools) set(body, 'parallel_tool_calls', hub.settings.parallelToolCalls);
  }

  const s = hub.settings;
  let max = s.maxOutputTokens ?? (typeof extraMax === 'number' ? extraMax : opts.maxTokens);
  if (max !== undefined) {
    if (max < MIN_OUTPUT_TOKENS) {
      max = MIN_OUTPUT_TOKENS;
      dropped.add(`max_output_tokens:min${MIN_OUTPUT_TOKENS}`);
    }
    set(body, 'max_output_tokens', max);
  }
  if (s.temperature !== undefined) set(body, 'temperature', s.temperature);
  if (s.topP !== undefined) set(body, 'top_p', s.topP);
  const reasoning = s.reasoningEffort !== undefined ? { ...extraReasoning, effort: s.reasoningEffort } : extraReasoning;
  if (reasoning) set(body, 'reasoning', reasoning);
  const f = s.responseFormat;
  if (f) {
    const format: Record<string, unknown> =
      f.type === 'json_object' ? { type: 'json_object' } : { type: 'json_schema', name: f.name, schema: f.schema, ...(f.description !== undefined ? { description: f.description } : {}), ...(f.strict !== undefined ? { strict: f.strict } : {}) };
    set(body, 'text', { ...(isObject(body.text) ? body.text : {}), format });
  }
  if (s.stop?.length) {
    if (!opts.dropParams) {
      throw new GatewayError(
        400,
        `Parameter 'stop' is not supported by model '${opts.model}' (provider '${opts.provider}'): it is served over the OpenAI Responses API, which has no stop sequences. Remove 'stop' from the request, or set litellm_settings.drop_params: true in the gateway config to drop it automatically.`,
        'invalid_request_error',
        'unsupported_parameter',
        'stop',
      );
    }
    dropped.add('stop');
  }
  if (s.user !== undefined) set(body, 'user', s.user);
  if (s.promptCacheKey !== undefined) set(body, 'prompt_cache_key', s.promptCacheKey);
  if (body.store === undefined) set(body, 'store', false);
  if (opts.stream) body.stream = true;
  else delete body.stream;
  return { body, dropped: [...dropped] };
}

/** The hub conversation as Responses input items. */
function inputItems(messages: HubMessage[], dropped: Set<string>): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        items.push({ type: 'message', role: 'system', content: [{ type: 'input_text', text: m.text }] });
        break;
      case 'user':
        items.push({ type: 'message', role: 'user', content: typeof m.content === 'string' ? [{ type: 'input_text', text: m.content }] : m.content.map(inputPart) });
        break;
      case 'assistant':
        if (m.reasoning?.length) dropped.add('input:reasoning');
        if (m.text) items.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: m.text }] });
        for (const c of m.toolCalls ?? []) items.push({ type: 'function_call', call_id: c.id, name: c.name, arguments: c.arguments });
        break;
      case 'tool': {
        const text = m.isError && m.text && !/^error\b/i.test(m.text) ? `Error: ${m.text}` : m.isError && !m.text ? 'Error' : m.text;
        const media: HubMedia[] = m.media ?? [];
        items.push({
          type: 'function_call_output',
          call_id: m.callId,
          output: media.length ? [...(text ? [{ type: 'input_text', text }] : []), ...media.map(inputPart)] : text,
        });
        break;
      }
    }
  }
  return items;
}

/* ------------------------------------------------------------------------------------------------
 * Answer
 * ---------------------------------------------------------------------------------------------- */

/** A token count: a finite number floored to a non-negative integer, else undefined. */
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.floor(v)) : undefined;
}

/**
 * Responses usage -> hub usage (tokens): `input_tokens` (cached included, as in the hub),
 * `input_tokens_details.cached_tokens`, `output_tokens`, `output_tokens_details.reasoning_tokens`.
 * Undefined when `u` is not a usage object.
 */
export function responsesUsageToHub(u: unknown): HubUsage | undefined {
  if (!isObject(u)) return undefined;
  const input = num(u.input_tokens);
  const output = num(u.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  const out: HubUsage = { input: input ?? 0, output: output ?? 0 };
  const cached = isObject(u.input_tokens_details) ? num(u.input_tokens_details.cached_tokens) : undefined;
  if (cached !== undefined) out.cachedInput = cached;
  const reasoning = isObject(u.output_tokens_details) ? num(u.output_tokens_details.reasoning_tokens) : undefined;
  if (reasoning !== undefined) out.reasoning = reasoning;
  return out;
}

/**
 * The finish reason of a terminal response object: `incomplete` -> `length` (reason `max_output_tokens`, or
 * any other reason) or `content_filter`; otherwise `tool_calls` when the answer called a function, else `stop`.
 */
function finishOf(status: unknown, response: Record<string, unknown> | undefined, calls: boolean): HubFinishReason {
  if (status === 'incomplete') {
    const d = response?.incomplete_details;
    return isObject(d) && d.reason === 'content_filter' ? 'content_filter' : 'length';
  }
  return calls ? 'tool_calls' : 'stop';
}

/** The failure a `failed` response (or an `error` event) stands for, as the router classifies it. */
function failedResponse(response: Record<string, unknown> | undefined, where: string): UpstreamError {
  const err = response?.error;
  return errorObjectFailure(isObject(err) ? err : { message: 'the response failed without an error message' }, undefined, where);
}

/** One streamed function call. */
interface CallState {
  index: number;
  /** Whether argument text was emitted for it. */
  streamed: boolean;
}

/**
 * Decodes a streamed Responses answer (parsed SSE events, in order) into hub events (OpenAI API reference,
 * "Responses: Streaming events"):
 * - `response.output_text.delta` -> text; `response.refusal.delta` -> refusal;
 *   `response.reasoning_summary_text.delta` and `response.reasoning_text.delta` -> reasoning. A new text part
 *   (another message item or content part) or a new reasoning part (another item or summary index) after
 *   some text of its kind is separated by a blank line.
 * - `response.output_item.added` of a `function_call` -> `call` {index 0, 1, ... in output order, id =
 *   `call_id`, name}; `response.function_call_arguments.delta` -> `call` {index, arguments} (the call found by
 *   `item_id`, else `output_index`); a call whose arguments were never streamed gets them in one fragment from
 *   `response.function_call_arguments.done` or the item's `response.output_item.done` (also when `.added` was
 *   missing). A message or reasoning item done without any delta gives its text at `output_item.done`.
 * - `response.completed` -> `usage`, then `finish` (`tool_calls` when a function call was output, else
 *   `stop`); `response.incomplete` -> `usage`, `finish` `length` (`max_output_tokens`) or `content_filter`.
 *   When no content event came before it at all (a server that sends only the final object), the content of
 *   the terminal event's `response.output` comes first, as {@link responsesJsonToEvents} maps it.
 * - `response.failed` and `error` throw an UpstreamError (classified like an in-stream error object) should
 *   the SSE reader pass them on. Other events (`response.created`, part added/done events, hosted tool items)
 *   give nothing. After the finish every event gives nothing.
 */
export class ResponsesDecoder implements UpstreamDecoder {
  private readonly byItem = new Map<string, CallState>();
  private readonly byOutput = new Map<number, CallState>();
  private nextCall = 0;
  /** Message / reasoning item ids that sent deltas. */
  private readonly streamedItems = new Set<string>();
  /** The part the last text / refusal delta belonged to (a new part after some text is separated). */
  private readonly lastKey: { text?: string; refusal?: string } = {};
  private lastReasoningKey: string | undefined;
  private finished = false;
  /** Whether any content (text, refusal, reasoning, call) was decoded. */
  private content = false;

  /** One parsed event (its JSON `data` and SSE `event:` name) -> hub events. */
  push(json: Record<string, unknown>, event: string | undefined): HubEvent[] {
    if (this.finished) return [];
    const out = this.decode(json, event);
    if (!this.content && out.some((e) => e.type !== 'usage' && e.type !== 'finish')) this.content = true;
    return out;
  }

  private decode(json: Record<string, unknown>, event: string | undefined): HubEvent[] {
    const type = typeof json.type === 'string' ? json.type : event;
    switch (type) {
      case 'response.output_text.delta':
        return this.text(json, 'text');
      case 'response.refusal.delta':
        return this.text(json, 'refusal');
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return this.reasoning(json, type === 'response.reasoning_text.delta' ? `c${num(json.content_index) ?? 0}` : `s${num(json.summary_index) ?? 0}`);
      case 'response.output_item.added':
        return this.itemAdded(json);
      case 'response.function_call_arguments.delta': {
        const c = this.callOf(json);
        const d = typeof json.delta === 'string' ? json.delta : '';
        if (!c || !d) return [];
        c.streamed = true;
        return [{ type: 'call', index: c.index, arguments: d }];
      }
      case 'response.function_call_arguments.done': {
        const c = this.callOf(json);
        if (!c || c.streamed || typeof json.arguments !== 'string' || !json.arguments) return [];
        c.streamed = true;
        return [{ type: 'call', index: c.index, arguments: json.arguments }];
      }
      case 'response.output_item.done':
        return this.itemDone(json);
      case 'response.completed':
      case 'response.incomplete': {
        const r = isObject(json.response) ? json.response : undefined;
        // A server that streamed no content events at all: the content of the final response object.
        const whole = this.content ? undefined : outputEvents(r?.output);
        const out: HubEvent[] = whole ? whole.events : [];
        const u = responsesUsageToHub(r?.usage);
        if (u) out.push({ type: 'usage', usage: u });
        out.push({ type: 'finish', reason: finishOf(type === 'response.incomplete' ? 'incomplete' : r?.status, r, this.nextCall > 0 || (whole?.calls ?? 0) > 0) });
        this.finished = true;
        return out;
      }
      case 'response.failed':
        throw failedResponse(isObject(json.response) ? json.response : undefined, 'mid-stream');
      case 'error':
        throw errorObjectFailure(isObject(json.error) ? json.error : json, undefined, 'mid-stream');
      default:
        return [];
    }
  }

  private text(json: Record<string, unknown>, kind: 'text' | 'refusal'): HubEvent[] {
    const d = typeof json.delta === 'string' ? json.delta : '';
    if (!d) return [];
    const item = typeof json.item_id === 'string' ? json.item_id : `#${num(json.output_index) ?? 0}`;
    this.streamedItems.add(item);
    const key = `${item}\u0000${num(json.content_index) ?? 0}`;
    const sep = this.lastKey[kind] !== undefined && this.lastKey[kind] !== key ? '\n\n' : '';
    this.lastKey[kind] = key;
    return [{ type: kind, text: sep + d }];
  }

  private reasoning(json: Record<string, unknown>, part: string): HubEvent[] {
    const d = typeof json.delta === 'string' ? json.delta : '';
    if (!d) return [];
    const item = typeof json.item_id === 'string' ? json.item_id : `#${num(json.output_index) ?? 0}`;
    this.streamedItems.add(item);
    const key = `${item}\u0000${part}`;
    const sep = this.lastReasoningKey !== undefined && this.lastReasoningKey !== key ? '\n\n' : '';
    this.lastReasoningKey = key;
    return [{ type: 'reasoning', text: sep + d }];
  }

  private callOf(json: Record<string, unknown>): CallState | undefined {
    if (typeof json.item_id === 'string') {
      const c = this.byItem.get(json.item_id);
      if (c) return c;
    }
    const oi = num(json.output_index);
    return oi === undefined ? undefined : this.byOutput.get(oi);
  }

  /** Registers a function call item; returns its state (new or known) and whether it is new. */
  private register(item: Record<string, unknown>, outputIndex: number | undefined): { c: CallState; fresh: boolean } {
    const known = (typeof item.id === 'string' ? this.byItem.get(item.id) : undefined) ?? (outputIndex !== undefined ? this.byOutput.get(outputIndex) : undefined);
    if (known) return { c: known, fresh: false };
    const c: CallState = { index: this.nextCall++, streamed: false };
    if (typeof item.id === 'string') this.byItem.set(item.id, c);
    if (outputIndex !== undefined) this.byOutput.set(outputIndex, c);
    return { c, fresh: true };
  }

  private itemAdded(json: Record<string, unknown>): HubEvent[] {
    const item = json.item;
    if (!isObject(item) || item.type !== 'function_call') return [];
    const { c, fresh } = this.register(item, num(json.output_index));
    if (!fresh) return [];
    const ev: Extract<HubEvent, { type: 'call' }> = { type: 'call', index: c.index };
    if (typeof item.call_id === 'string' && item.call_id) ev.id = item.call_id;
    if (typeof item.name === 'string' && item.name) ev.name = item.name;
    if (typeof item.arguments === 'string' && item.arguments) {
      ev.arguments = item.arguments;
      c.streamed = true;
    }
    return [ev];
  }

  private itemDone(json: Record<string, unknown>): HubEvent[] {
    const item = json.item;
    if (!isObject(item)) return [];
    if (item.type === 'function_call') {
      const { c, fresh } = this.register(item, num(json.output_index));
      const args = typeof item.arguments === 'string' ? item.arguments : '';
      if (fresh) {
        const ev: Extract<HubEvent, { type: 'call' }> = { type: 'call', index: c.index };
        if (typeof item.call_id === 'string' && item.call_id) ev.id = item.call_id;
        if (typeof item.name === 'string' && item.name) ev.name = item.name;
        if (args) ev.arguments = args;
        c.streamed = true;
        return [ev];
      }
      if (c.streamed || !args) return [];
      c.streamed = true;
      return [{ type: 'call', index: c.index, arguments: args }];
    }
    // A message or reasoning item that arrived whole (no deltas): its text now.
    const id = typeof item.id === 'string' ? item.id : `#${num(json.output_index) ?? 0}`;
    if (this.streamedItems.has(id)) return [];
    const out: HubEvent[] = [];
    for (const ev of itemEvents(item)) {
      if (ev.type === 'text' || ev.type === 'refusal') {
        const key = `${id}\u0000whole`;
        if (this.lastKey[ev.type] !== undefined && this.lastKey[ev.type] !== key) ev.text = `\n\n${ev.text}`;
        this.lastKey[ev.type] = key;
      } else if (ev.type === 'reasoning') {
        const key = `${id}\u0000whole`;
        if (this.lastReasoningKey !== undefined && this.lastReasoningKey !== key) ev.text = `\n\n${ev.text}`;
        this.lastReasoningKey = key;
      }
      out.push(ev);
    }
    return out;
  }
}

/** Text, refusal and reasoning events of one whole message or reasoning output item. */
function itemEvents(item: Record<string, unknown>): Array<Extract<HubEvent, { type: 'text' | 'refusal' | 'reasoning' }>> {
  const out: Array<Extract<HubEvent, { type: 'text' | 'refusal' | 'reasoning' }>> = [];
  if (item.type === 'message' && Array.isArray(item.content)) {
    const texts: string[] = [];
    const refusals: string[] = [];
    for (const p of item.content) {
      if (!isObject(p)) continue;
      if (p.type === 'output_text' && typeof p.text === 'string' && p.text) texts.push(p.text);
      else if (p.type === 'refusal' && typeof p.refusal === 'string' && p.refusal) refusals.push(p.refusal);
    }
    if (texts.length) out.push({ type: 'text', text: texts.join('\n\n') });
    if (refusals.length) out.push({ type: 'refusal', text: refusals.join('\n\n') });
  } else if (item.type === 'reasoning') {
    const parts: string[] = [];
    if (Array.isArray(item.summary)) for (const s of item.summary) if (isObject(s) && typeof s.text === 'string' && s.text) parts.push(s.text);
    if (parts.length === 0 && Array.isArray(item.content)) for (const c of item.content) if (isObject(c) && typeof c.text === 'string' && c.text) parts.push(c.text);
    if (parts.length) out.push({ type: 'reasoning', text: parts.join('\n\n') });
  }
  return out;
}

/**
 * A whole (non-streamed) Responses `response` object -> hub events, with the decoder's mapping: per `output`
 * item in order, reasoning (summary texts, else `reasoning_text` content, joined by blank lines), text and
 * refusal of messages, and one `call` event per `function_call` item (index 0, 1, ..., with `call_id`, `name`
 * and the whole `arguments`); then `usage` when present and `finish` from `status` (`incomplete` ->
 * `length`/`content_filter`, else `tool_calls` when a function was called, else `stop`). Texts of separate
 * message items are joined by a blank line. Other item types (hosted tools) give nothing.
 * @throws UpstreamError for `status: "failed"` (classified from its `error`, like an in-stream error object).
 */
export function responsesJsonToEvents(json: Record<string, unknown>): HubEvent[] {
  if (json.status === 'failed') throw failedResponse(json, 'in its response');
  const { events: out, calls } = outputEvents(json.output);
  const u = responsesUsageToHub(json.usage);
  if (u) out.push({ type: 'usage', usage: u });
  out.push({ type: 'finish', reason: finishOf(json.status, json, calls > 0) });
  return out;
}

/** The content events of a response's `output` array (see {@link responsesJsonToEvents}) and its call count. */
function outputEvents(output: unknown): { events: HubEvent[]; calls: number } {
  const out: HubEvent[] = [];
  let calls = 0;
  let hadText = false;
  let hadRefusal = false;
  let hadReasoning = false;
  for (const item of Array.isArray(output) ? output : []) {
    if (!isObject(item)) continue;
    if (item.type === 'function_call') {
      const ev: Extract<HubEvent, { type: 'call' }> = { type: 'call', index: calls++ };
      if (typeof item.call_id === 'string' && item.call_id) ev.id = item.call_id;
      if (typeof item.name === 'string' && item.name) ev.name = item.name;
      ev.arguments = typeof item.arguments === 'string' ? item.arguments : '';
      out.push(ev);
      continue;
    }
    for (const ev of itemEvents(item)) {
      if (ev.type === 'text') {
        if (hadText) ev.text = `\n\n${ev.text}`;
        hadText = true;
      } else if (ev.type === 'refusal') {
        if (hadRefusal) ev.text = `\n\n${ev.text}`;
        hadRefusal = true;
      } else {
        if (hadReasoning) ev.text = `\n\n${ev.text}`;
        hadReasoning = true;
      }
      out.push(ev);
    }
  }
  return { events: out, calls };
}
