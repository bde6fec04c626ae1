/**
 * Property test of the Chat door's request side (fast-check, fixed seed; `FUZZ_SEED=N` repeats another run):
 * any valid Chat request (system messages, user turns, assistant turns with parallel tool calls under valid and
 * invalid names, tool answers in any order, late, missing, or answering no call) parses into a hub request that
 * satisfies the hub invariant (hub/types.ts):
 * - every assistant tool call is answered by a tool message right after its assistant message, in call order,
 *   and no tool message stands anywhere else;
 * - call ids are preserved exactly and in order; each answer carries the client's output (or the no-output note);
 * - tool names are valid on every wire and map back to the client's names.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { HubMessage } from '../../../src/gateway/hub/types';
import { targetOf } from '../../../src/gateway/translate/output';
import { GatewayError } from '../../../src/gateway/errors';
import { ChatEncoder, NO_OUTPUT_TEXT, foldChatCompletion, parseChatRequest } from '../../../src/gateway/wires/chat/door';
import { buildResponsesRequest } from '../../../src/gateway/wires/responses/upstream';
import { chatRequest, fuzzSeed, hostileJson } from '../../helpers/fuzz-arbitraries';

const VALID_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const NAMES = ['exec', 'fs.read', 'fs_read', 'a b', 'ünïcode', 'x'.repeat(80), 'ok-name'];

interface CallSpec {
  id: string;
  name: string;
  args: string;
  answered: boolean;
}

type Turn =
  | { kind: 'user'; text: string }
  | { kind: 'system'; text: string }
  | { kind: 'orphan'; id: string; text: string }
  | { kind: 'assistant'; text: string | null; reasoning?: string; calls: CallSpec[]; order: number[]; late: boolean; asParts: boolean };

const text = fc.string({ maxLength: 12 });

function turnArb(idPool: fc.Arbitrary<string>): fc.Arbitrary<Turn> {
  const call = fc.record({ id: idPool, name: fc.constantFrom(...NAMES), args: fc.constantFrom('{}', '', '{"a":1}', '{"s":"ü\\n"}'), answered: fc.boolean() });
  return fc.oneof(
    fc.record({ kind: fc.constant('user' as const), text }),
    fc.record({ kind: fc.constant('system' as const), text }),
    fc.record({ kind: fc.constant('orphan' as const), id: fc.constant('no-such-call'), text }),
    fc
      .record({
        kind: fc.constant('assistant' as const),
        text: fc.option(text, { nil: null }),
        reasoning: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
        calls: fc.array(call, { maxLength: 4 }),
        seed: fc.nat(),
        late: fc.boolean(),
        asParts: fc.boolean(),
      })
      .map(({ seed, ...t }) => {
        // A deterministic shuffle of the answer order from `seed`.
        const order = t.calls.map((_, i) => i);
        let s = seed;
        for (let i = order.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) >>> 0;
          const j = s % (i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
        return { ...t, order };
      }),
  );
}

interface Built {
  body: Record<string, unknown>;
  /** The client's calls in order, with the output each should get. */
  calls: Array<{ id: string; name: string; output: string }>;
}

function build(leadingSystem: string[], turns: Turn[], uniqueIds: boolean): Built {
  const messages: Array<Record<string, unknown>> = leadingSystem.map((t) => ({ role: 'system', content: t }));
  const calls: Built['calls'] = [];
  let n = 0;
  for (const t of turns) {
    switch (t.kind) {
      case 'user':
        messages.push({ role: 'user', content: t.text });
        break;
      case 'system':
        messages.push({ role: 'system', content: t.text });
        break;
      case 'orphan':
        messages.push({ role: 'tool', tool_call_id: t.id, content: t.text });
        break;
      case 'assistant': {
        const specs = t.calls.map((c) => ({ ...c, id: uniqueIds ? `call_${n++}` : c.id }));
        if (specs.length === 0 && !t.text && !t.reasoning) {
          messages.push({ role: 'assistant', content: 'filler' });
          break;
        }
        const m: Record<string, unknown> = { role: 'assistant', content: t.asParts && t.text !== null ? [{ type: 'text', text: t.text }] : t.text };
        if (t.reasoning) m.reasoning_content = t.reasoning;
        if (specs.length) m.tool_calls = specs.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } }));
        messages.push(m);
        if (t.late) messages.push({ role: 'user', content: 'meanwhile' });
        for (const i of t.order) {
          const c = specs[i];
          if (c.answered) messages.push({ role: 'tool', tool_call_id: c.id, content: t.asParts ? [{ type: 'text', text: `out:${c.id}:${i}` }] : `out:${c.id}:${i}` });
        }
        specs.forEach((c, i) => calls.push({ id: c.id, name: c.name, output: c.answered ? `out:${c.id}:${i}` : NO_OUTPUT_TEXT }));
        break;
      }
    }
  }
  if (!messages.some((m) => m.role !== 'system')) messages.push({ role: 'user', content: 'hi' });
  const names = [...new Set(turns.flatMap((t) => (t.kind === 'assistant' ? t.calls.map((c) => c.name) : [])))];
  return { body: { model: 'alias', messages, tools: names.map((name) => ({ type: 'function', function: { name, parameters: { type: 'object' } } })) }, calls };
}

/** Checks the invariant; returns the tool messages in order. */
function checkInvariant(messages: HubMessage[]): void {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role === 'tool') assert.fail(`tool message ${i} (${m.callId}) does not follow an assistant message's calls`);
    if (m.role !== 'assistant' || !m.toolCalls?.length) continue;
    for (let k = 0; k < m.toolCalls.length; k++) {
      const t = messages[i + 1 + k];
      assert.ok(t && t.role === 'tool', `call ${k} of message ${i} is answered right after it`);
      assert.equal(t.callId, m.toolCalls[k].id, 'answers are in call order');
    }
    i += m.toolCalls.length;
  }
}

describe('wires/chat door: property', () => {
  it('any valid Chat request parses into a hub request that satisfies the hub invariant', () => {
    let parallel = 0;
    let noted = 0;
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 2 }),
        fc.array(turnArb(fc.constantFrom('c1', 'c2', 'call_x', '__proto__')), { maxLength: 8 }),
        fc.boolean(),
        (system, turns, uniqueIds) => {
          const { body, calls } = build(system, turns, uniqueIds);
          const hub = parseChatRequest(body);
          checkInvariant(hub.messages);
          if (hub.messages.some((m) => m.role === 'assistant' && (m.toolCalls?.length ?? 0) >= 2)) parallel++;
          if (hub.messages.some((m) => m.role === 'tool' && m.text === NO_OUTPUT_TEXT)) noted++;
          const msgs = body.messages as Array<{ role: string; content: string }>;
          const firstOther = msgs.findIndex((m) => m.role !== 'system');
          const leading = msgs.slice(0, firstOther).map((m) => m.content);
          assert.equal(hub.system, leading.filter((s) => s).join('\n\n'), 'the leading system messages, joined');
          assert.equal(hub.messages.filter((m) => m.role === 'system').length, msgs.filter((m) => m.role === 'system').length - leading.length, 'later system messages stay');
          const hubCalls = hub.messages.flatMap((m) => (m.role === 'assistant' ? (m.toolCalls ?? []) : []));
          assert.deepEqual(
            hubCalls.map((c) => c.id),
            calls.map((c) => c.id),
            'call ids preserved, in order',
          );
          for (let k = 0; k < hubCalls.length; k++) {
            assert.match(hubCalls[k].name, VALID_NAME);
            assert.equal(targetOf(hub.toolMap, hubCalls[k].name).name, calls[k].name, 'names map back');
            JSON.parse(hubCalls[k].arguments);
          }
          for (const t of hub.tools) {
            assert.match(t.name, VALID_NAME);
            assert.ok(hubCalls.every((c) => c.name !== t.name) || hub.tools.filter((u) => u.name === t.name).length === 1);
          }
          if (uniqueIds) {
            const outputs = hub.messages.filter((m): m is Extract<HubMessage, { role: 'tool' }> => m.role === 'tool').map((m) => m.text);
            assert.deepEqual(outputs, calls.map((c) => c.output), "each call gets the client's output, or the note");
          }
        },
      ),
      { seed: fuzzSeed(), numRuns: 400 },
    );
    // The generator reaches the interesting cases (the property is not vacuous).
    assert.ok(parallel >= 40, `runs with parallel calls: ${parallel}`);
    assert.ok(noted >= 40, `runs with an unanswered call: ${noted}`);
  });

  it('hostile Chat bodies (no request checker in front) give a hub whose Responses body serialises, or a GatewayError 400', () => {
    fc.assert(
      fc.property(fc.oneof(chatRequest(1), chatRequest(0.2)), (body) => {
        let hub;
        try {
          hub = parseChatRequest(body);
        } catch (e) {
          if (e instanceof GatewayError && e.status === 400 && e.param) return;
          throw e;
        }
        checkInvariant(hub.messages);
        const built = buildResponsesRequest(hub, { model: 'm', provider: 'openai', dropParams: true, dropParamNames: new Set(), stream: true });
        assert.equal(typeof JSON.stringify(built.body), 'string');
      }),
      { seed: fuzzSeed(), numRuns: 400 },
    );
  });

  it('the encoder and the fold take any sequence of well-typed hub events and always produce parseable frames', () => {
    const ev = fc.oneof(
      fc.record({ type: fc.constantFrom('text' as const, 'refusal' as const, 'reasoning' as const), text: fc.string({ maxLength: 6 }) }),
      fc.record({ type: fc.constant('call' as const), index: fc.nat(3), id: fc.option(fc.constantFrom('c1', '__proto__', ''), { nil: undefined }), name: fc.option(fc.constantFrom('f', 'toString', ''), { nil: undefined }), arguments: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }) }),
      fc.record({ type: fc.constant('usage' as const), usage: fc.record({ input: fc.nat(), output: fc.nat() }) }),
      fc.record({ type: fc.constant('finish' as const), reason: fc.constantFrom('stop' as const, 'length' as const, 'tool_calls' as const, 'refusal' as const, 'pause' as const, 'content_filter' as const) }),
    );
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 12 }), hostileJson(2), (events, request) => {
        const req = (typeof request === 'object' && request !== null && !Array.isArray(request) ? request : {}) as Record<string, unknown>;
        const ctx = { id: 'chatcmpl-p', alias: 'a', createdAt: 1, tools: { byUpstream: new Map() }, request: req };
        const enc = new ChatEncoder(ctx);
        let sse = enc.start();
        for (const e of events) sse += enc.push(e as never);
        sse += enc.end();
        const datas = sse.split('\n\n').filter(Boolean).map((f) => f.slice(6));
        assert.equal(datas.at(-1), '[DONE]');
        const chunks = datas.slice(0, -1).map((d) => JSON.parse(d) as { choices: Array<{ finish_reason: string | null }> });
        assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1, 'exactly one finish_reason');
        JSON.stringify(foldChatCompletion(events as never, ctx));
      }),
      { seed: fuzzSeed(), numRuns: 300 },
    );
  });
});
