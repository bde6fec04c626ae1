/**
 * Property tests for ChatToResponsesStream: the same chat completion, cut into chunks at arbitrary
 * places (inside words, JSON escapes, `\uXXXX` sequences, between interleaved parallel calls), must give
 * the same final `response.completed` output, equal to what the unsplit content says; and every event
 * stream must be well formed (sequence numbers 0..n-1, items added before their deltas, deltas adding up
 * to the `.done` values).
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  ChatToResponsesStream,
  sequentialIds,
  type ChatCompletionChunk,
  type ResponsesOutputItem,
  type ResponsesStreamEvent,
  type ToolTarget,
} from '../../../src/gateway/translate';

/** A UTF-16 surrogate without its partner. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const TOOLS = new Map<string, ToolTarget>([
  ['exec_command', { kind: 'function', name: 'exec_command' }],
  ['ns__close_agent', { kind: 'function', name: 'close_agent', namespace: 'ns' }],
  ['apply_patch', { kind: 'custom', name: 'apply_patch' }],
  ['tool_search', { kind: 'tool_search', name: 'tool_search' }],
]);

type CallKind = 'exec_command' | 'ns__close_agent' | 'apply_patch' | 'tool_search';

interface CallSpec {
  fn: CallKind;
  payload: string;
  /** Encode non-ASCII as \uXXXX (Python's json.dumps default, used by many servers). */
  ascii: boolean;
}

interface Spec {
  reasoning: string;
  content: string;
  calls: CallSpec[];
}

/** JSON.stringify with optional ensure_ascii-style escaping (surrogate pairs as two \u escapes). */
function encode(value: unknown, ascii: boolean): string {
  const s = JSON.stringify(value);
  return ascii ? s.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : s;
}

function argsOf(c: CallSpec): string {
  switch (c.fn) {
    case 'apply_patch':
      return encode({ input: c.payload }, c.ascii);
    case 'tool_search':
      return encode({ query: c.payload, limit: 2 }, c.ascii);
    case 'ns__close_agent':
      return encode({ target: c.payload }, c.ascii);
    default:
      return encode({ cmd: c.payload }, c.ascii);
  }
}

/** Cuts a string at the given positions (taken modulo its length in code points). */
function cut(s: string, cuts: number[]): string[] {
  const cps = Array.from(s);
  if (cps.length === 0) return [];
  const at = [...new Set(cuts.map((c) => c % cps.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(cps.slice(prev, c).join(''));
    prev = c;
  }
  out.push(cps.slice(prev).join(''));
  return out;
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk => ({
  id: 'chatcmpl-p',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

/** Builds one chunk sequence for a spec: cut points per string, and an interleaving order of call fragments. */
function chunksFor(spec: Spec, cuts: number[][], order: number[]): ChatCompletionChunk[] {
  const out: ChatCompletionChunk[] = [chunk({ role: 'assistant', content: '' })];
  for (const r of cut(spec.reasoning, cuts[0] ?? [])) out.push(chunk({ reasoning_content: r, content: null }));
  for (const t of cut(spec.content, cuts[1] ?? [])) out.push(chunk({ content: t }));
  // Per call, a queue of fragments; the first carries id and name.
  const queues = spec.calls.map((c, i) => {
    const frags = cut(argsOf(c), cuts[2 + i] ?? []);
    const q: Array<Record<string, unknown>> = [
      { index: i, id: `call_${i}`, type: 'function', function: { name: c.fn, arguments: frags[0] ?? '' } },
    ];
    for (const f of frags.slice(1)) q.push({ index: i, function: { arguments: f } });
    return q;
  });
  // Interleave: each pick takes the next fragment of a not-yet-started-or-open call; calls start in index order.
  let started = 0;
  let k = 0;
  while (queues.some((q) => q.length)) {
    const live = queues.map((q, i) => i).filter((i) => queues[i].length && i <= started);
    const i = live[(order[k++ % Math.max(order.length, 1)] ?? 0) % live.length];
    if (i === started && started < queues.length - 1) started++;
    out.push(chunk({ tool_calls: [queues[i].shift()] }));
  }
  out.push(chunk({}, spec.calls.length ? 'tool_calls' : 'stop'));
  out.push({ id: 'chatcmpl-p', choices: [], usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 } });
  return out;
}

function run(chunks: ChatCompletionChunk[]): ResponsesStreamEvent[] {
  const tr = new ChatToResponsesStream({
    responseId: 'resp_p',
    alias: 'alias',
    createdAt: 1,
    tools: { byUpstream: TOOLS },
    request: { model: 'alias' },
    ids: sequentialIds(),
  });
  const events = [...tr.start()];
  for (const c of chunks) events.push(...tr.push(c));
  events.push(...tr.end());
  return JSON.parse(JSON.stringify(events)) as ResponsesStreamEvent[];
}

/** The output items the spec says must come out, whatever the chunking. */
function expectedOutput(spec: Spec): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (spec.reasoning) out.push({ type: 'reasoning', text: spec.reasoning });
  if (spec.content) out.push({ type: 'message', text: spec.content });
  spec.calls.forEach((c, i) => {
    const call_id = `call_${i}`;
    if (c.fn === 'apply_patch') out.push({ type: 'custom_tool_call', call_id, name: 'apply_patch', input: c.payload });
    else if (c.fn === 'tool_search') out.push({ type: 'tool_search_call', call_id, arguments: { query: c.payload, limit: 2 } });
    else {
      const ns = c.fn === 'ns__close_agent';
      out.push({ type: 'function_call', call_id, name: ns ? 'close_agent' : 'exec_command', namespace: ns ? 'ns' : undefined, args: JSON.parse(argsOf(c)) });
    }
  });
  return out;
}

function summarize(item: ResponsesOutputItem): Record<string, unknown> {
  switch (item.type) {
    case 'reasoning':
      return { type: 'reasoning', text: item.summary.map((s) => s.text).join('') };
    case 'message':
      return { type: 'message', text: item.content.map((p) => (p.type === 'output_text' ? p.text : '')).join('') };
    case 'custom_tool_call':
      return { type: 'custom_tool_call', call_id: item.call_id, name: item.name, input: item.input };
    case 'tool_search_call':
      return { type: 'tool_search_call', call_id: item.call_id, arguments: item.arguments };
    case 'function_call':
      return { type: 'function_call', call_id: item.call_id, name: item.name, namespace: item.namespace, args: JSON.parse(item.arguments) };
  }
}

/** Checks event-level invariants; returns the final response event. */
function checkWellFormed(events: ResponsesStreamEvent[]): Extract<ResponsesStreamEvent, { response: unknown }> {
  events.forEach((e, i) => assert.equal(e.sequence_number, i, 'sequence numbers count from 0 without gaps'));
  assert.equal(events[0].type, 'response.created');
  assert.equal(events[1].type, 'response.in_progress');
  const added = new Map<number, ResponsesOutputItem>();
  const doneIdx = new Set<number>();
  const acc = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'response.output_item.added') {
      assert.ok(!added.has(e.output_index), 'one added per output_index');
      added.set(e.output_index, e.item);
      continue;
    }
    if (e.type === 'response.output_item.done') {
      assert.ok(added.has(e.output_index), 'done after added');
      assert.equal(e.item.id, added.get(e.output_index)!.id);
      doneIdx.add(e.output_index);
      const item = e.item;
      if (item.type === 'function_call') assert.equal(acc.get(`args:${item.id}`) ?? '', item.arguments, 'argument deltas add up to the item');
      if (item.type === 'custom_tool_call') assert.equal(acc.get(`input:${item.id}`) ?? '', item.input, 'input deltas add up to the item');
      if (item.type === 'message') assert.equal(acc.get(`text:${item.id}`) ?? '', item.content.map((p) => (p.type === 'output_text' ? p.text : '')).join(''));
      if (item.type === 'reasoning') assert.equal(acc.get(`rs:${item.id}`) ?? '', item.summary[0].text);
      continue;
    }
    if ('delta' in e) assert.ok(!LONE_SURROGATE.test(e.delta), `${e.type} delta is well-formed UTF-16 (no split surrogate pair)`);
    if ('item_id' in e) {
      const idx = e.output_index;
      assert.ok(added.has(idx) && !doneIdx.has(idx), `${e.type} between added and done`);
      assert.equal(added.get(idx)!.id, e.item_id);
      const key = (k: string) => `${k}:${e.item_id}`;
      if (e.type === 'response.output_text.delta') acc.set(key('text'), (acc.get(key('text')) ?? '') + e.delta);
      if (e.type === 'response.output_text.done') assert.equal(e.text, acc.get(key('text')) ?? '');
      if (e.type === 'response.function_call_arguments.delta') acc.set(key('args'), (acc.get(key('args')) ?? '') + e.delta);
      if (e.type === 'response.function_call_arguments.done') assert.equal(e.arguments, acc.get(key('args')) ?? '');
      if (e.type === 'response.custom_tool_call_input.delta') acc.set(key('input'), (acc.get(key('input')) ?? '') + e.delta);
      if (e.type === 'response.custom_tool_call_input.done') assert.equal(e.input, acc.get(key('input')) ?? '');
      if (e.type === 'response.reasoning_summary_text.delta') acc.set(key('rs'), (acc.get(key('rs')) ?? '') + e.delta);
      if (e.type === 'response.reasoning_summary_text.done') assert.equal(e.text, acc.get(key('rs')) ?? '');
    }
  }
  assert.equal(doneIdx.size, added.size, 'every item is closed');
  const last = events[events.length - 1];
  assert.equal(last.type, 'response.completed');
  return last as Extract<ResponsesStreamEvent, { response: unknown }>;
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
// Payloads rich in characters that JSON escapes: quotes, backslashes, control characters, non-BMP.
const payload = fc.string({
  unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\t', '\u0001', '/', 'é', '😀', '\u2028', 'u', '{', '}'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 30,
});
const spec: fc.Arbitrary<Spec> = fc.record({
  reasoning: text,
  content: text,
  calls: fc.array(
    fc.record({ fn: fc.constantFrom<CallKind>('exec_command', 'ns__close_agent', 'apply_patch', 'tool_search'), payload, ascii: fc.boolean() }),
    { maxLength: 4 },
  ),
});
const split = fc.record({ cuts: fc.array(fc.array(fc.nat({ max: 200 }), { maxLength: 12 }), { minLength: 6, maxLength: 6 }), order: fc.array(fc.nat({ max: 7 }), { maxLength: 20 }) });

describe('ChatToResponsesStream properties', () => {
  it('gives the same final output for any chunking of the same completion, equal to the unsplit content', () => {
    fc.assert(
      fc.property(spec, split, split, (s, a, b) => {
        const ea = run(chunksFor(s, a.cuts, a.order));
        const eb = run(chunksFor(s, b.cuts, b.order));
        const fa = checkWellFormed(ea);
        const fb = checkWellFormed(eb);
        assert.deepStrictEqual(fa.response.output, fb.response.output);
        assert.deepStrictEqual(JSON.parse(JSON.stringify(fa.response.output.map(summarize))), JSON.parse(JSON.stringify(expectedOutput(s))));
        assert.deepStrictEqual(fa.response.usage, { input_tokens: 7, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 });
      }),
      { numRuns: 300 },
    );
  });

  it('streams custom tool input incrementally (not only at the end) when arguments are {"input": ...}', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 8, maxLength: 40 }), (p) => {
        const args = JSON.stringify({ input: p });
        const chunks: ChatCompletionChunk[] = [chunk({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'apply_patch', arguments: '' } }] })];
        for (const ch of Array.from(args)) chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: ch } }] }));
        chunks.push(chunk({}, 'tool_calls'));
        const tr = new ChatToResponsesStream({ responseId: 'r', alias: 'a', createdAt: 1, tools: { byUpstream: TOOLS }, request: { model: 'a' }, ids: sequentialIds() });
        tr.start();
        let deltasBeforeFinish = '';
        for (const c of chunks.slice(0, -1)) {
          for (const e of tr.push(c)) if (e.type === 'response.custom_tool_call_input.delta') deltasBeforeFinish += e.delta;
        }
        // Everything but nothing held back: the whole input was delivered before the finish chunk.
        assert.equal(deltasBeforeFinish, p);
      }),
      { numRuns: 100 },
    );
  });
});
