/**
 * Responses door <-> Anthropic Messages upstream, through the registry (`DOORS.responses`,
 * `UPSTREAMS.messages`), property-based (fast-check, fixed seed printed once; `FUZZ_SEED=N` repeats another
 * run). Generated Codex-like sessions: turns of user text (sometimes with an image or a mid-session
 * developer message), each answered by a generated Messages answer (signed and redacted thinking, text,
 * parallel tool_use blocks of every tool kind: function, custom/freeform, namespace member, client
 * tool_search), whose Responses items are sent back as Codex does, with the outputs of every call (in any
 * order), sometimes with a foreign reasoning item (another vendor's encrypted blob) in the history.
 *
 * - forth: every request of the session, `parse` then `build`, satisfies the strict Anthropic validator of
 *   the mock (test/helpers/anthropic-mock.ts `validateMessagesRequest`, with the signatures "issued" by the
 *   answers: alternating roles, every tool_use answered by a tool_result in the next turn, tool results
 *   first, thinking rules, <= 4 cache breakpoints), keeps every call id as the tool_use / tool_result id,
 *   and sends back, when thinking is on, exactly the signed thinking of the session byte-exact;
 * - back: each answer, decoded (streamed, any delta size, or whole) and encoded by the Responses door,
 *   gives items whose call ids are the tool_use ids in order, of the client's kind (`function_call` with
 *   its namespace, `custom_tool_call` with the raw input, `tool_search_call`), reasoning items whose
 *   `cgw2:` state is the block's text and signature (or redacted data), and the streamed items equal the
 *   folded ones.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { HubEvent } from '../../../src/gateway/hub/types';
import { decodeReasoningBlock } from '../../../src/gateway/translate/reasoning';
import { DOORS, UPSTREAMS } from '../../../src/gateway/wires/registry';
import type { MessagesRequest } from '../../../src/gateway/wires/messages/types';
import type { BuildOptions, EncodeContext } from '../../../src/gateway/wires/types';
import { messageStreamFrames, validateMessagesRequest, type MockBlock } from '../../helpers/anthropic-mock';
import { fuzzSeed } from '../../helpers/fuzz-arbitraries';
import { parseSse } from '../../helpers/openai-conformance';

/** The tools of every request: one of each kind Codex declares. */
const TOOLS = [
  { type: 'function', name: 'exec_command', description: 'Runs a command.', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] }, strict: false },
  { type: 'custom', name: 'apply_patch', description: 'Applies a patch.', format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/s' } },
  { type: 'namespace', name: 'mcp__fs', description: 'Files.', tools: [{ type: 'function', name: 'read', description: 'Reads a file.', parameters: { type: 'object', properties: { path: { type: 'string' } } } }] },
  { type: 'tool_search', execution: 'client', description: 'Finds tools.', parameters: { type: 'object', properties: { query: { type: 'string' } } } },
];
/** Upstream (flat) tool names, and what the client gets back for each. */
const CALLS = {
  exec_command: { item: 'function_call', name: 'exec_command', namespace: undefined },
  apply_patch: { item: 'custom_tool_call', name: 'apply_patch', namespace: undefined },
  mcp__fs__read: { item: 'function_call', name: 'read', namespace: 'mcp__fs' },
  tool_search: { item: 'tool_search_call', name: 'tool_search', namespace: undefined },
} as const;
type FlatName = keyof typeof CALLS;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** One tool_use of a generated answer (its id made unique when the session is assembled). */
interface CallSpec {
  name: FlatName;
  /** The command, patch, path or query. */
  arg: string;
  output: string;
}

/** One generated assistant answer. */
interface AnswerSpec {
  thinking: { text: string; signed: boolean } | null;
  redacted: boolean;
  text: string | null;
  calls: CallSpec[];
  /** Decode it streamed (with this delta size) or whole. */
  stream: number | null;
  /** Outputs sent back in reverse order (parallel calls finish in any order). */
  reverseOutputs: boolean;
}

/** One turn: what the client adds, then the answer; `user: null` continues a tool loop without user text. */
interface TurnSpec {
  user: string | null;
  image: boolean;
  developer: string | null;
  /** A reasoning item from another vendor (an encrypted blob with a summary) before this turn. */
  foreignReasoning: boolean;
  answer: AnswerSpec;
}

const text = fc.oneof(fc.string({ minLength: 1, maxLength: 16 }), fc.constantFrom('ok', 'ünïcödé ✓', 'line\nbreak', 'ends with space '));
const argText = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('ls -la', '*** Begin Patch\n*** Add File: a.txt\n+"quoted" \\ back\n*** End Patch\n', 'a/b.ts'));
const call: fc.Arbitrary<CallSpec> = fc.record({ name: fc.constantFrom(...(Object.keys(CALLS) as FlatName[])), arg: argText, output: fc.oneof(text, fc.constant('')) });
const answer: fc.Arbitrary<AnswerSpec> = fc
  .record({
    thinking: fc.option(fc.record({ text: fc.string({ maxLength: 30 }), signed: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) }), { nil: null }),
    redacted: fc.boolean(),
    text: fc.option(text, { nil: null }),
    calls: fc.array(call, { maxLength: 4 }),
    stream: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
    reverseOutputs: fc.boolean(),
  })
  // An answer says something or calls something (Anthropic does not end a turn on thinking alone).
  .map((a) => (a.text === null && a.calls.length === 0 ? { ...a, text: 'Done.' } : a));
const turn: fc.Arbitrary<TurnSpec> = fc.record({
  // Blank user text: a 400 by design when nothing else is said (Anthropic rejects whitespace-only text), covered elsewhere.
  user: fc.option(text.map((t) => (/\S/.test(t) ? t : `x${t}`)), { nil: null, freq: 3 }),
  image: fc.boolean(),
  developer: fc.option(text, { nil: null, freq: 2 }),
  foreignReasoning: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  answer,
});
const settings = fc.record(
  {
    reasoning: fc.constantFrom({ effort: 'none' }, { effort: 'low' }, { effort: 'medium' }, { effort: 'high' }, { effort: 'minimal' }),
    max_output_tokens: fc.integer({ min: 1, max: 40_000 }),
    parallel_tool_calls: fc.boolean(),
    tool_choice: fc.constantFrom('auto', 'required', 'none'),
    instructions: text,
    // OpenAI's ranges (temperature up to 2; `user` of any length), not Anthropic's.
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    user: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 250, maxLength: 300 })),
  },
  { requiredKeys: [] },
);
const OPTIONS: BuildOptions[] = [
  { model: 'claude-sonnet-4-5', provider: 'anthropic', dropParams: false, dropParamNames: new Set(), stream: true },
  { model: 'claude-opus-4-1', provider: 'anthropic', dropParams: false, dropParamNames: new Set(), stream: false, extraBody: { cache_control_injection_points: [{ location: 'message', role: 'user' }, { location: 'tool_config', control: { type: 'ephemeral', ttl: '1h' } }] } },
  { model: 'deepseek-chat', provider: 'deepseek', dropParams: true, dropParamNames: new Set(['cache_control', 'temperature']), maxTokens: 8192, stream: true },
];

/** The tool_use input of a call (custom tools carry their raw text as `input`). */
function inputOf(c: CallSpec): Record<string, unknown> {
  switch (c.name) {
    case 'exec_command':
      return { cmd: c.arg };
    case 'apply_patch':
      return { input: c.arg };
    case 'mcp__fs__read':
      return { path: c.arg };
    case 'tool_search':
      return { query: c.arg };
  }
}

/** A session's signatures and ids: what the answers "issued" (as the API would), for the validator. */
class Session {
  readonly issued = new Set<string>();
  private n = 0;
  signature(): string {
    const s = Buffer.from(`session signature #${++this.n}`).toString('base64');
    this.issued.add(s);
    return s;
  }
  redacted(): string {
    const s = Buffer.from(`redacted #${++this.n}`).toString('base64');
    this.issued.add(s);
    return s;
  }
  toolId(): string {
    return `toolu_01${(++this.n).toString(36).padStart(6, '0')}Ab_-`;
  }
}

/** The blocks of an answer, ids and signatures filled in. */
function blocksOf(a: AnswerSpec, s: Session): { blocks: MockBlock[]; ids: string[] } {
  const blocks: MockBlock[] = [];
  if (a.thinking) blocks.push({ type: 'thinking', thinking: a.thinking.text, signature: a.thinking.signed ? s.signature() : null });
  if (a.redacted) blocks.push({ type: 'redacted_thinking', data: s.redacted() });
  if (a.text !== null) blocks.push({ type: 'text', text: a.text });
  const ids: string[] = [];
  for (const c of a.calls) {
    const id = s.toolId();
    ids.push(id);
    blocks.push({ type: 'tool_use', id, name: c.name, input: inputOf(c) });
  }
  return { blocks, ids };
}

/** The JSON content block of a mock block (as the API's non-streamed `message` has it). */
function jsonBlock(b: MockBlock): Record<string, unknown> {
  if (b.type === 'thinking') return b.signature === null ? { type: 'thinking', thinking: b.thinking } : { type: 'thinking', thinking: b.thinking, signature: b.signature };
  return { ...b };
}

/** Hub events of an answer, the way the proxy gets them: SSE through the decoder, or the whole message. */
function decode(blocks: MockBlock[], stream: number | null): HubEvent[] {
  const stop = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: 30, output_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 20 };
  if (stream === null) return UPSTREAMS.messages.events({ id: 'msg_x', type: 'message', role: 'assistant', content: blocks.map(jsonBlock), stop_reason: stop, usage });
  const dec = UPSTREAMS.messages.decoder();
  const out: HubEvent[] = [];
  for (const f of parseSse(messageStreamFrames('claude', 'msg_x', blocks, usage, stop, stream, 3).join(''))) out.push(...dec.push(JSON.parse(f.data), f.event));
  return out;
}

/** The Responses items the door gives for an answer: the `output_item.done` items of the stream, and the folded response's output. */
function itemsOf(events: HubEvent[], ctx: EncodeContext): { streamed: any[]; folded: any[] } {
  const enc = DOORS.responses.encoder(ctx);
  let sse = enc.start();
  for (const e of events) sse += enc.push(e);
  sse += enc.end();
  const streamed = parseSse(sse)
    .map((f) => JSON.parse(f.data))
    .filter((e) => e.type === 'response.output_item.done')
    .sort((x, y) => x.output_index - y.output_index)
    .map((e) => e.item);
  const folded = (DOORS.responses.fold(events, ctx) as { output: any[] }).output;
  return { streamed, folded };
}

/** An item as compared between stream and fold (item ids are per answer, not per encoding). */
const comparable = (i: any) => ({ ...i, id: undefined });

/** The output item Codex sends back for a call item. */
function outputFor(item: any, c: CallSpec): Record<string, unknown> {
  if (item.type === 'custom_tool_call') return { type: 'custom_tool_call_output', call_id: item.call_id, output: c.output };
  if (item.type === 'tool_search_call') return { type: 'tool_search_output', call_id: item.call_id, execution: 'client', status: 'completed', tools: [] };
  return { type: 'function_call_output', call_id: item.call_id, output: c.output };
}

describe('Responses door <-> Messages upstream through the registry (property-based)', function () {
  this.timeout(120_000);
  const seed = fuzzSeed();

  it('a session of valid Responses requests gives valid Messages requests (ids, signatures, roles, tool pairing, breakpoints), and answers come back with the tool_use ids', () => {
    let checkedRequests = 0;
    let thinkingRequests = 0;
    let callsBack = 0;
    fc.assert(
      fc.property(fc.array(turn, { minLength: 1, maxLength: 5 }), settings, fc.constantFrom(...OPTIONS), fc.boolean(), (turns, set, opts, stripIds) => {
        const s = new Session();
        const input: unknown[] = [];
        /** Signatures (and redacted data) of the session's answers, in order: what thinking-on requests must send back. */
        const sentBack: string[] = [];
        const callIds: string[] = [];
        let pendingLoop = false;
        for (const t of turns) {
          if (t.foreignReasoning) input.push({ type: 'reasoning', id: 'rs_foreign', summary: [{ type: 'summary_text', text: 'Earlier thoughts.' }], encrypted_content: 'gAAAAB-foreign-opaque' });
          if (t.developer !== null) input.push({ type: 'message', role: 'developer', content: [{ type: 'input_text', text: t.developer }] });
          // A user message, unless the last answer called tools and this turn continues the loop.
          if (t.user !== null || !pendingLoop) {
            const content: unknown[] = [{ type: 'input_text', text: t.user ?? 'Go on.' }];
            if (t.image) content.push({ type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'auto' });
            input.push({ type: 'message', role: 'user', content });
          }

          // Forth: the request so far.
          const request = { model: 'claude', input: structuredClone(input), tools: TOOLS, stream: opts.stream, include: ['reasoning.encrypted_content'], store: false, ...set };
          const hub = DOORS.responses.parse(request);
          const body = UPSTREAMS.messages.build(hub, opts).body as MessagesRequest;
          const problems = validateMessagesRequest(body, { issued: s.issued });
          assert.deepEqual(problems, [], `the Messages body is invalid:\n${JSON.stringify(body, null, 1).slice(0, 4000)}`);
          checkedRequests++;
          const uses = body.messages.flatMap((m) => (m.role === 'assistant' ? m.content.filter((b) => b.type === 'tool_use').map((b) => (b as { id: string }).id) : []));
          const results = body.messages.flatMap((m) => (m.role === 'user' ? m.content.filter((b) => b.type === 'tool_result').map((b) => (b as { tool_use_id: string }).tool_use_id) : []));
          assert.deepEqual(uses, callIds, 'every call id is a tool_use id, in order');
          assert.deepEqual(results, callIds, 'every call is answered by a tool_result with its id, in order');
          const opaque = body.messages.flatMap((m) =>
            m.role === 'assistant' ? m.content.flatMap((b) => (b.type === 'thinking' ? [b.signature] : b.type === 'redacted_thinking' ? [b.data] : [])) : [],
          );
          const thinkingOn = (body.thinking as { type?: string } | undefined)?.type === 'enabled';
          if (thinkingOn) {
            thinkingRequests++;
            // Thinking blocks come back with turns that keep them (those with text or calls: all of ours).
            assert.deepEqual(opaque, sentBack, 'thinking on: every signed and redacted block of the session is sent back byte-exact, in order');
          } else assert.deepEqual(opaque, [], 'thinking off: no thinking block is sent');

          // Back: the answer to it, decoded and encoded by the Responses door.
          const { blocks, ids } = blocksOf(t.answer, s);
          const ctx: EncodeContext = { id: DOORS.responses.newId(), alias: 'claude', createdAt: 1_700_000_000, tools: hub.toolMap, request };
          const { streamed, folded } = itemsOf(decode(blocks, t.answer.stream), ctx);
          assert.deepEqual(streamed.map(comparable), folded.map(comparable), 'the streamed items are the folded ones');
          const calls = folded.filter((i) => i.type === 'function_call' || i.type === 'custom_tool_call' || i.type === 'tool_search_call');
          assert.deepEqual(
            calls.map((i) => i.call_id),
            ids,
            'the call ids are the tool_use ids, in order',
          );
          calls.forEach((item, k) => {
            const c = t.answer.calls[k]!;
            const want = CALLS[c.name];
            assert.equal(item.type, want.item, `the kind of ${c.name}`);
            if (item.type !== 'tool_search_call') assert.equal(item.name, want.name);
            assert.equal(item.namespace, want.namespace);
            if (item.type === 'custom_tool_call') assert.equal(item.input, c.arg, 'the raw custom tool input');
            else if (item.type === 'function_call') assert.deepEqual(JSON.parse(item.arguments), inputOf(c));
            else assert.deepEqual(item.arguments, inputOf(c));
          });
          callsBack += calls.length;
          const reasoning = folded.filter((i) => i.type === 'reasoning').map((i) => decodeReasoningBlock(i.encrypted_content));
          const expected = blocks.flatMap((b) =>
            b.type === 'thinking' ? [b.signature ? { text: b.thinking, signature: b.signature } : { text: b.thinking }] : b.type === 'redacted_thinking' ? [{ text: '', redacted: b.data }] : [],
          );
          // An unsigned empty thinking block carries nothing to keep.
          assert.deepEqual(
            reasoning,
            expected.filter((r) => r.text !== '' || 'signature' in r || 'redacted' in r),
            'reasoning items carry each block (text, signature or redacted data) in their cgw2:/cgw1: state',
          );

          // The answer goes back into the history as Codex sends it, then the outputs of its calls.
          for (const item of folded) input.push(stripIds && item.type !== 'reasoning' ? { ...item, id: undefined } : item);
          const outs = calls.map((item, k) => outputFor(item, t.answer.calls[k]!));
          if (t.answer.reverseOutputs) outs.reverse();
          input.push(...outs);
          for (const b of blocks) {
            if (b.type === 'thinking' && b.signature) sentBack.push(b.signature);
            if (b.type === 'redacted_thinking') sentBack.push(b.data!);
          }
          callIds.push(...ids);
          pendingLoop = ids.length > 0;
        }
      }),
      { seed, numRuns: 300 },
    );
    assert.ok(checkedRequests > 500 && thinkingRequests > 50 && callsBack > 300, `requests ${checkedRequests}, with thinking ${thinkingRequests}, calls back ${callsBack}`);
  });

  /** The Messages body for a one-message Responses request with these settings. */
  const built = (extra: Record<string, unknown>) =>
    UPSTREAMS.messages.build(DOORS.responses.parse({ model: 'claude', input: 'hi', ...extra }), OPTIONS[0]!) as { body: MessagesRequest; dropped: string[] };

  it("temperature above 1 (OpenAI allows up to 2) is not sent past Anthropic's maximum of 1", () => {
    for (const temperature of [1.2, 2]) {
      const { body } = built({ temperature });
      assert.deepEqual(validateMessagesRequest(body), [], `temperature ${temperature} was sent as ${body.temperature}`);
    }
  });

  it("a `user` longer than Anthropic's 256 characters is not sent as metadata.user_id as is", () => {
    const { body } = built({ user: 'u'.repeat(300) });
    assert.deepEqual(validateMessagesRequest(body), [], `metadata.user_id of ${String(body.metadata?.user_id).length} characters`);
  });
});
