/**
 * Synthetic streamed Chat Completions answers for the translation micro-benchmark: the upstream side of
 * `POST /v1/responses` on a `chat` deployment, as SSE frames (one Buffer per upstream event, the way a
 * real provider's tokens arrive: one network read per event). Pure functions, deterministic output.
 *
 * Frame format: OpenAI API reference, "The chat completion chunk object" (`data: {chunk}\n\n`), the same
 * shape the bench's mock upstream sends.
 */

/** Which delta field the stream carries. */
export type DeltaKind = 'text' | 'tool_args' | 'reasoning' | 'custom_input';

/** Every kind, in report order. */
export const DELTA_KINDS: readonly DeltaKind[] = ['text', 'tool_args', 'reasoning', 'custom_input'];

/** Human label of a kind for reports. */
export const KIND_LABEL: Record<DeltaKind, string> = {
  text: 'text (`delta.content`)',
  tool_args: 'function-call arguments (`delta.tool_calls[].function.arguments`)',
  reasoning: 'reasoning (`delta.reasoning_content`)',
  custom_input: 'custom tool input (apply_patch, `{"input":"..."}` decoded as it streams)',
};

/** What to generate. */
export interface ChatStreamSpec {
  kind: DeltaKind;
  /** Characters of payload per delta event (of the argument JSON text for tool kinds). */
  deltaChars: number;
  /** Delta events; the stream then has 3 more frames: finish_reason, usage, `[DONE]`. */
  events: number;
}

/** Name of the function tool the `tool_args` stream calls (must be in the request's tools). */
export const FUNCTION_TOOL = 'exec_command';
/** Name of the custom (freeform) tool the `custom_input` stream calls. */
export const CUSTOM_TOOL = 'apply_patch';

const CREATED = 1_700_000_000;
/** Words of code-review prose, with a few characters that JSON must escape or that are not ASCII. */
const WORDS = ['the', 'patch', 'keeps', '"quoted"', 'names', 'and', 'runs', 'tests;', 'café', 'const x = {a: 1};', 'returns', 'ok\n', 'diff', '—', 'then', 'path/to/file.ts', 'tab\there', 'done.'];

/** Deterministic prose of exactly `chars` UTF-16 code units. */
export function prose(chars: number): string {
  let s = '';
  for (let i = 0; s.length < chars; i++) s += WORDS[(i * 7 + (i >> 3)) % WORDS.length] + ' ';
  return s.slice(0, chars);
}

function frame(delta: Record<string, unknown> | null, finish: string | null, usage?: Record<string, number>): Buffer {
  const c: Record<string, unknown> = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'bench-model',
    choices: usage ? [] : [{ index: 0, delta: delta ?? {}, finish_reason: finish }],
  };
  if (usage) c.usage = usage;
  return Buffer.from(`data: ${JSON.stringify(c)}\n\n`);
}

/**
 * Splits `text` into `n` pieces of `size` UTF-16 code units (the last ones may be shorter or empty when
 * `text` is short; callers size `text` to `n * size`).
 */
function pieces(text: string, n: number, size: number): string[] {
  return Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size));
}

/**
 * A JSON object text `{"<key>":"<prefix><prose>"}` of exactly `chars` characters (at least the length of
 * the object with an empty string), valid JSON: the value is cut where its encoding allows and padded
 * with spaces.
 */
export function argumentsJson(key: string, chars: number, prefix = ''): string {
  const full = JSON.stringify({ [key]: prefix + prose(chars) });
  const close = '"}';
  let t = full.slice(0, Math.max(0, chars - close.length));
  const valid = (x: string) => {
    try {
      JSON.parse(x + close);
      return true;
    } catch {
      return false;
    }
  };
  while (t.length > 0 && !valid(t)) t = t.slice(0, -1);
  if (!t) return JSON.stringify({ [key]: '' });
  return t + ' '.repeat(Math.max(0, chars - close.length - t.length)) + close;
}

/**
 * The SSE frames of one streamed chat completion: `spec.events` delta frames (the first one also carries
 * the role, or the tool call's id and name), a `finish_reason` frame (`stop`, or `tool_calls` for the tool
 * kinds), a usage frame (`choices: []`) and `data: [DONE]`.
 *
 * For `tool_args` the arguments are the JSON text `{"cmd":"<prose>"}`, for `custom_input` the JSON text
 * `{"input":"<patch text>"}`, cut every `deltaChars` characters wherever that falls (inside an escape
 * sequence too, as providers do).
 */
export function chatStreamFrames(spec: ChatStreamSpec): Buffer[] {
  const { kind, deltaChars, events } = spec;
  const total = deltaChars * events;
  const frames: Buffer[] = [];
  let finish = 'stop';
  if (kind === 'text' || kind === 'reasoning') {
    const field = kind === 'text' ? 'content' : 'reasoning_content';
    pieces(prose(total), events, deltaChars).forEach((p, i) => frames.push(frame(i === 0 ? { role: 'assistant', [field]: p } : { [field]: p }, null)));
  } else {
    finish = 'tool_calls';
    const name = kind === 'tool_args' ? FUNCTION_TOOL : CUSTOM_TOOL;
    const parts = pieces(argumentsJson(kind === 'tool_args' ? 'cmd' : 'input', total, kind === 'custom_input' ? '*** Begin Patch\n*** Update File: src/app.ts\n@@\n' : ''), events, deltaChars);
    parts.forEach((p, i) =>
      frames.push(
        frame(
          i === 0
            ? { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_bench', type: 'function', function: { name, arguments: p } }] }
            : { tool_calls: [{ index: 0, function: { arguments: p } }] },
          null,
        ),
      ),
    );
  }
  frames.push(frame({}, finish));
  frames.push(frame(null, null, { prompt_tokens: 1000, completion_tokens: events, total_tokens: 1000 + events }));
  frames.push(Buffer.from('data: [DONE]\n\n'));
  return frames;
}
