/**
 * Synthetic streamed Anthropic Messages answers for the translation micro-benchmark: the upstream side of
 * `POST /v1/responses` (the Codex path) on a `messages` deployment, as SSE frames (one Buffer per upstream
 * event, the way a real provider's tokens arrive: one network read per event). Pure functions,
 * deterministic output; the payload text is the same prose as the Chat Completions streams
 * (bench/lib/chat-stream.ts), so the two tables compare.
 *
 * Frame format: Anthropic API reference, "Streaming Messages": `event: <type>\ndata: <json>\n\n`, events
 * `message_start` (the message shell with input usage), `content_block_start`, `content_block_delta`*,
 * `content_block_stop`, `message_delta` (`stop_reason`, cumulative usage), `message_stop`. A `ping`
 * follows `message_start` as Anthropic sends it. Tool input streams as `input_json_delta` fragments after
 * an empty first fragment (as Anthropic sends it); thinking ends with one `signature_delta`.
 */
import { argumentsJson, CUSTOM_TOOL, FUNCTION_TOOL, prose } from './chat-stream';

/** Which content block and delta the stream carries. */
export type MessagesDeltaKind = 'text' | 'thinking' | 'tool_input' | 'custom_input';

/** Every kind, in report order. */
export const MESSAGES_DELTA_KINDS: readonly MessagesDeltaKind[] = ['text', 'thinking', 'tool_input', 'custom_input'];

/** Human label of a kind for reports. */
export const MESSAGES_KIND_LABEL: Record<MessagesDeltaKind, string> = {
  text: 'text (`text_delta`)',
  thinking: 'thinking (`thinking_delta`, then a `signature_delta`)',
  tool_input: 'function-call input (`input_json_delta` of a `tool_use` block)',
  custom_input: 'custom tool input (apply_patch: `input_json_delta` of `{"input":"..."}`, decoded as it streams)',
};

/** What to generate. */
export interface MessagesStreamSpec {
  kind: MessagesDeltaKind;
  /** Characters of payload per delta event (of the input JSON text for tool kinds). */
  deltaChars: number;
  /** Delta events carrying the payload; the stream has 6 to 7 more frames (see {@link messagesStreamFrames}). */
  events: number;
}

/** A deterministic thinking signature of Anthropic's size and alphabet (base64, a few hundred characters). */
export const BENCH_SIGNATURE = Buffer.from('bench-thinking-signature:'.repeat(10)).toString('base64');

function frame(data: { type: string } & Record<string, unknown>): Buffer {
  return Buffer.from(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

function pieces(text: string, n: number, size: number): string[] {
  return Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size));
}

/**
 * The SSE frames of one streamed Messages answer with one content block: `message_start`, `ping`,
 * `content_block_start`, (`input_json_delta` with `""` for the tool kinds), `spec.events` delta frames,
 * (`signature_delta` for thinking), `content_block_stop`, `message_delta` (`stop_reason` `end_turn`, or
 * `tool_use` for the tool kinds, with usage) and `message_stop`.
 *
 * For `tool_input` the input is the JSON text `{"cmd":"<prose>"}` of a call to {@link FUNCTION_TOOL}, for
 * `custom_input` `{"input":"<patch text>"}` of a call to {@link CUSTOM_TOOL} (Codex's apply_patch, which the
 * gateway offers a Messages upstream as a function with one string parameter `input`), cut every
 * `deltaChars` characters wherever that falls (inside an escape sequence too).
 */
export function messagesStreamFrames(spec: MessagesStreamSpec): Buffer[] {
  const { kind, deltaChars, events } = spec;
  const total = deltaChars * events;
  const usage = { input_tokens: 1000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 };
  const frames: Buffer[] = [
    frame({ type: 'message_start', message: { id: 'msg_bench', type: 'message', role: 'assistant', model: 'bench-model', content: [], stop_reason: null, stop_sequence: null, usage } }),
    frame({ type: 'ping' }),
  ];
  const delta = (d: Record<string, unknown>) => frame({ type: 'content_block_delta', index: 0, delta: d });
  let stop = 'end_turn';
  if (kind === 'text') {
    frames.push(frame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
    for (const p of pieces(prose(total), events, deltaChars)) frames.push(delta({ type: 'text_delta', text: p }));
  } else if (kind === 'thinking') {
    frames.push(frame({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }));
    for (const p of pieces(prose(total), events, deltaChars)) frames.push(delta({ type: 'thinking_delta', thinking: p }));
    frames.push(delta({ type: 'signature_delta', signature: BENCH_SIGNATURE }));
  } else {
    stop = 'tool_use';
    const name = kind === 'tool_input' ? FUNCTION_TOOL : CUSTOM_TOOL;
    const json = argumentsJson(kind === 'tool_input' ? 'cmd' : 'input', total, kind === 'custom_input' ? '*** Begin Patch\n*** Update File: src/app.ts\n@@\n' : '');
    frames.push(frame({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_bench', name, input: {} } }));
    frames.push(delta({ type: 'input_json_delta', partial_json: '' }));
    for (const p of pieces(json, events, deltaChars)) frames.push(delta({ type: 'input_json_delta', partial_json: p }));
  }
  frames.push(frame({ type: 'content_block_stop', index: 0 }));
  frames.push(frame({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { ...usage, output_tokens: events } }));
  frames.push(frame({ type: 'message_stop' }));
  return frames;
}
