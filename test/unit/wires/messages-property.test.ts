/**
 * Property tests of the Anthropic Messages upstream adapter (fast-check, fixed seed printed once; set
 * FUZZ_SEED=N to repeat another run):
 * - for generated valid hubs (multi-turn, parallel tool calls answered in any order or not at all, mid
 *   conversation system messages, signed / redacted / plain reasoning, images, odd tool ids, any settings
 *   and cache injection points), the built body passes the mock's strict Anthropic validator (alternation,
 *   every tool_use answered in the next turn, tool results first, <= 4 breakpoints, thinking rules), and
 *   tool-call ids and tool outputs are preserved;
 * - for generated answers, decoding the mock's SSE stream (any delta size, extra pings) gives back the
 *   blocks, and agrees with decoding the same answer as JSON.
 */
import { strict as assert } from 'node:assert';
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import type { HubEvent, HubMessage, HubReasoning, HubRequest, HubSettings, HubTool } from '../../../src/gateway/hub/types';
import { buildMessagesRequest, MessagesDecoder, messagesJsonToEvents, messagesToolId } from '../../../src/gateway/wires/messages/upstream';
import type { MessagesToolResultBlock } from '../../../src/gateway/wires/messages/types';
import { messageStreamFrames, validateMessagesRequest, type MockBlock } from '../../helpers/anthropic-mock';
import { fuzzSeed } from '../../helpers/fuzz-arbitraries';

const TOOLS: HubTool[] = [
  { name: 'exec_command', description: 'Run', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } },
  { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
  { name: 'ns__close_agent', description: '', parameters: {} },
];
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const text = fc.oneof(fc.string({ minLength: 0, maxLength: 12 }), fc.constantFrom(' ', '\n\n', 'ok', 'ends with space ', 'ünïcödé ✓'));
const nonBlank = fc.string({ minLength: 1, maxLength: 12 }).map((s) => (/\S/.test(s) ? s : `x${s}`));
const reasoning: fc.Arbitrary<HubReasoning> = fc.oneof(
  fc.record({ text, signature: fc.base64String({ minLength: 4, maxLength: 24 }) }),
  fc.record({ text: fc.constant(''), redacted: fc.base64String({ minLength: 4, maxLength: 24 }) }),
  fc.record({ text }),
);
const args = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })).map((o) => JSON.stringify(o)),
  fc.constantFrom('', '{"cmd": "tru', '[1]', 'null'),
);
const idPrefix = fc.constantFrom('call_', 'toolu_', 'functions.exec:', 'id with space ', '');

/** A segment of the conversation; assistant segments expand into their tool messages. */
type Segment =
  | { kind: 'user'; content: string | { type: 'text'; text: string }[]; image: boolean }
  | { kind: 'system'; text: string }
  | {
      kind: 'assistant';
      text: string | null;
      reasoning: HubReasoning[];
      calls: { tool: number; args: string; prefix: string; answered: boolean; isError: boolean; output: string; image: boolean }[];
      shuffle: boolean;
    };

const segment: fc.Arbitrary<Segment> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('user' as const), content: fc.oneof(text, fc.array(fc.record({ type: fc.constant('text' as const), text }), { maxLength: 3 })), image: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('system' as const), text }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('assistant' as const),
      text: fc.option(text, { nil: null }),
      reasoning: fc.array(reasoning, { maxLength: 3 }),
      calls: fc.array(
        fc.record({ tool: fc.nat(TOOLS.length - 1), args, prefix: idPrefix, answered: fc.boolean(), isError: fc.boolean(), output: text, image: fc.boolean() }),
        { maxLength: 4 },
      ),
      shuffle: fc.boolean(),
    }),
  },
);

const settings: fc.Arbitrary<HubSettings> = fc.record(
  {
    maxOutputTokens: fc.integer({ min: 1, max: 40_000 }),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
    topP: fc.double({ min: 0, max: 1, noNaN: true }),
    reasoningEffort: fc.constantFrom('none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'),
    parallelToolCalls: fc.boolean(),
    toolChoice: fc.oneof(fc.constantFrom('auto' as const, 'none' as const, 'required' as const), fc.constant({ name: 'read_file' })),
    stop: fc.array(text, { maxLength: 3 }),
    user: fc.string({ maxLength: 20 }),
    responseFormat: fc.constant({ type: 'json_object' as const }),
  },
  { requiredKeys: [] },
);

const injection = fc.option(
  fc.array(
    fc.oneof(
      fc.constant({ location: 'tool_config' }),
      fc.record({ location: fc.constant('message'), role: fc.constantFrom('system', 'user', 'assistant') }),
      fc.record({ location: fc.constant('message'), index: fc.integer({ min: -6, max: 6 }), control: fc.constantFrom({ type: 'ephemeral' }, { type: 'ephemeral', ttl: '1h' }) }),
    ),
    { maxLength: 6 },
  ),
  { nil: undefined },
);

/** A hub from segments: a first user message with text, then the segments (calls numbered uniquely). */
function hubOf(first: string, segs: Segment[], system: string, withTools: boolean, s: HubSettings): HubRequest {
  const messages: HubMessage[] = [{ role: 'user', content: first }];
  let n = 0;
  for (const g of segs) {
    if (g.kind === 'system') messages.push({ role: 'system', text: g.text });
    else if (g.kind === 'user') {
      const parts = typeof g.content === 'string' ? [{ type: 'text' as const, text: g.content }] : [...g.content];
      messages.push({ role: 'user', content: g.image ? [...parts, { type: 'image', url: `data:image/png;base64,${PNG}` }] : g.content });
    } else {
      const calls = withTools ? g.calls.map((c) => ({ ...c, id: `${c.prefix}${n++}` })) : [];
      messages.push({
        role: 'assistant',
        text: g.text,
        reasoning: g.reasoning,
        toolCalls: calls.map((c) => ({ id: c.id, name: TOOLS[c.tool]!.name, arguments: c.args })),
      });
      const answered = calls.filter((c) => c.answered);
      if (g.shuffle) answered.reverse();
      for (const c of answered) {
        messages.push({ role: 'tool', callId: c.id, text: c.output, isError: c.isError, media: c.image ? [{ type: 'image', url: `data:image/png;base64,${PNG}` }] : undefined });
      }
    }
  }
  const settingsOut = { ...s };
  if (!withTools) delete settingsOut.toolChoice;
  return { system, messages, tools: withTools ? TOOLS : [], toolMap: { byUpstream: new Map() }, settings: settingsOut, stream: true, dropped: [] };
}

describe('messages upstream: properties', function () {
  this.timeout(60_000);
  const seed = fuzzSeed();

  it('every body built from a valid hub passes the strict Anthropic validator, ids and outputs preserved', () => {
    fc.assert(
      fc.property(
        nonBlank,
        fc.array(segment, { maxLength: 10 }),
        text,
        fc.boolean(),
        settings,
        fc.boolean(),
        injection,
        (first, segs, system, withTools, s, stream, points) => {
          const hub = hubOf(first, segs, system, withTools, s);
          const extraBody = points === undefined ? undefined : { cache_control_injection_points: points };
          const { body } = buildMessagesRequest(hub, { model: 'claude-sonnet-4-5', provider: 'anthropic', dropParams: false, dropParamNames: new Set(), stream, extraBody });
          assert.deepEqual(validateMessagesRequest(body), [], JSON.stringify(body));
          // Tool ids preserved (rewritten only when Anthropic would reject them), outputs kept.
          const uses = new Map<string, number>();
          const results = new Map<string, MessagesToolResultBlock>();
          body.messages.forEach((m, i) =>
            m.content.forEach((b) => {
              if (b.type === 'tool_use') uses.set(b.id, i);
              if (b.type === 'tool_result') results.set(b.tool_use_id, b);
            }),
          );
          for (let i = 0; i < hub.messages.length; i++) {
            const m = hub.messages[i]!;
            if (m.role !== 'assistant') continue;
            for (const c of m.toolCalls ?? []) {
              const id = messagesToolId(c.id);
              assert.ok(uses.has(id), `tool_use ${id} is sent`);
              if (/^[a-zA-Z0-9_-]+$/.test(c.id)) assert.equal(id, c.id, 'a valid id is kept');
              const r = results.get(id);
              assert.ok(r, `tool_use ${id} is answered`);
              const out = hub.messages.slice(i + 1).find((x) => x.role === 'tool' && x.callId === c.id) as Extract<HubMessage, { role: 'tool' }> | undefined;
              if (out && /\S/.test(out.text)) assert.equal((r!.content?.[0] as { text?: string }).text, out.text, 'the output text is kept');
              if (out?.isError) assert.equal(r!.is_error, true);
            }
          }
        },
      ),
      { seed, numRuns: 400 },
    );
  });

  const block: fc.Arbitrary<MockBlock> = fc.oneof(
    fc.record({ type: fc.constant('text' as const), text: fc.string({ minLength: 1, maxLength: 40 }) }),
    fc.record({ type: fc.constant('thinking' as const), thinking: fc.string({ maxLength: 40 }), signature: fc.base64String({ minLength: 4, maxLength: 16 }) }),
    fc.record({ type: fc.constant('redacted_thinking' as const), data: fc.base64String({ minLength: 4, maxLength: 16 }) }),
    fc.record({
      type: fc.constant('tool_use' as const),
      id: fc.stringMatching(/^toolu_[A-Za-z0-9]{1,8}$/),
      name: fc.constantFrom('exec_command', 'read_file'),
      input: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
    }),
  );

  it('decoding a stream gives back its blocks, whatever the delta size, and agrees with the JSON answer', () => {
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 6 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom('end_turn', 'tool_use', 'max_tokens', 'refusal', 'pause_turn', 'stop_sequence'),
        (blocks, chunk, pingEvery, stop) => {
          const usage = { input_tokens: 11, output_tokens: 22, cache_creation_input_tokens: 3, cache_read_input_tokens: 4 };
          const d = new MessagesDecoder();
          const streamed: HubEvent[] = [];
          const parser = createParser({ onEvent: (ev) => streamed.push(...d.push(JSON.parse(ev.data), ev.event)) });
          for (const f of messageStreamFrames('m', 'msg_p', blocks, usage, stop, chunk, pingEvery)) parser.feed(f);
          const whole = messagesJsonToEvents({
            type: 'message',
            content: blocks.map((b) => (b.type === 'thinking' ? { type: 'thinking', thinking: b.thinking, signature: b.signature } : b)),
            stop_reason: stop,
            usage,
          });
          assert.deepEqual(fold(streamed).slice(1), fold(whole));
          assert.equal(streamed.filter((e) => e.type === 'finish').length, 1, 'one finish');
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});

/** Merges adjacent text/reasoning events and a call's argument fragments, parsing the arguments. */
function fold(events: HubEvent[]): unknown[] {
  const out: any[] = [];
  const calls = new Map<number, any>();
  for (const e of events) {
    const last = out[out.length - 1];
    if ((e.type === 'text' || e.type === 'reasoning') && last?.type === e.type) last.text += e.text;
    else if (e.type === 'call') {
      let c = calls.get(e.index);
      if (!c) {
        c = { type: 'call', index: e.index, id: e.id, name: e.name, arguments: '' };
        calls.set(e.index, c);
        out.push(c);
      }
      c.arguments += e.arguments ?? '';
    } else out.push({ ...e });
  }
  for (const c of calls.values()) c.arguments = JSON.parse(c.arguments);
  return out;
}
