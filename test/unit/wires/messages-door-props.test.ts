/**
 * Property tests of the Messages door (fast-check, fixed seed printed once; FUZZ_SEED=N repeats another run):
 * - any valid Messages request (alternating roles checked by the strict mock validator, every tool_use
 *   answered in the next user turn in any order, our own and Anthropic thinking signatures, tool ids that
 *   are plain or that our encoder had to encode, Claude Code's mid-conversation system messages) parses
 *   into a hub that keeps the hub invariant (every call answered right after its assistant message, in call
 *   order), with ids, results and reasoning preserved; the hub builds into a valid Messages body and a Chat
 *   body;
 * - hub events -> MessagesEncoder -> SSE (in random chunks) -> MessagesDecoder gives back the same events
 *   (content blocks, call ids/names/arguments, finish reason, usage), with the block lifecycle kept.
 */
import { strict as assert } from 'node:assert';
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import type { HubEvent, HubMessage, HubUsage } from '../../../src/gateway/hub/types';
import { encodeReasoningBlock } from '../../../src/gateway/translate/reasoning';
import { buildChatRequest } from '../../../src/gateway/wires/chat/upstream-request';
import { hubCallIdOf, MessagesEncoder, messagesDoorToolId, messagesStopReason, ownThinkingSignature, parseMessagesRequest } from '../../../src/gateway/wires/messages/door';
import { buildMessagesRequest, mapStopReason, MessagesDecoder } from '../../../src/gateway/wires/messages/upstream';
import type { EncodeContext } from '../../../src/gateway/wires/types';
import { validateMessagesRequest } from '../../helpers/anthropic-mock';
import { fuzzSeed } from '../../helpers/fuzz-arbitraries';
import { checkLifecycle, frames } from './messages-door.test';

const nonBlank = fc.string({ minLength: 1, maxLength: 10 }).map((s) => (/\S/.test(s) ? s : `x${s}`));
const toolName = fc.constantFrom('Bash', 'Read', 'Edit', 'mcp__srv__tool');
/** A hub call id as an upstream made it: valid for Anthropic or not. */
const upstreamId = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/).map((s) => `toolu_${s}`),
  fc.constantFrom('functions.exec:', 'call_1~sig~Ab+/=', 'id with space ', 'cgwid_', 'ünï:').chain((p) => fc.nat(99).map((n) => `${p}${n}`)),
);

interface GenCall {
  /** The hub/upstream id (what parse must restore). */
  id: string;
  name: string;
  input: Record<string, unknown>;
  result: string;
  isError: boolean;
}
interface GenTurn {
  thinking: { text: string; own: boolean } | null;
  text: string | null;
  calls: GenCall[];
  /** Result order in the next user turn (a permutation seed). */
  order: number[];
  followText: string | null;
}

const genCall: fc.Arbitrary<GenCall> = fc.record({
  id: upstreamId,
  name: toolName,
  input: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }) as fc.Arbitrary<Record<string, unknown>>,
  result: fc.string({ maxLength: 8 }),
  isError: fc.boolean(),
});
const genTurn: fc.Arbitrary<GenTurn> = fc
  .record({
    thinking: fc.option(fc.record({ text: nonBlank, own: fc.boolean() }), { nil: null }),
    text: fc.option(nonBlank, { nil: null }),
    calls: fc.array(genCall, { maxLength: 3 }),
    followText: fc.option(nonBlank, { nil: null }),
  })
  .chain((t) => fc.shuffledSubarray([...t.calls.keys()], { minLength: t.calls.length, maxLength: t.calls.length }).map((order) => ({ ...t, order })))
  .filter((t) => t.text !== null || t.calls.length > 0);

/** A conversation: first user text, turns, system messages to insert (position -> text). */
const genConversation = fc.record({
  first: nonBlank,
  turns: fc.array(genTurn, { minLength: 1, maxLength: 4 }),
  systems: fc.array(fc.tuple(fc.nat(20), nonBlank), { maxLength: 3 }),
});

/** Unique ids across the conversation (the API requires it): suffix a counter. */
function uniquify(turns: GenTurn[]): void {
  let n = 0;
  for (const t of turns) for (const c of t.calls) c.id = `${c.id}${n++}`;
}

type Conv = { first: string; turns: GenTurn[]; systems: Array<[number, string]> };

function buildBody(conv: Conv): { body: Record<string, unknown>; withoutSystems: Record<string, unknown> } {
  uniquify(conv.turns);
  const messages: Array<Record<string, unknown>> = [{ role: 'user', content: [{ type: 'text', text: conv.first }] }];
  conv.turns.forEach((t, k) => {
    const content: Array<Record<string, unknown>> = [];
    if (t.thinking) content.push({ type: 'thinking', thinking: t.thinking.text, signature: t.thinking.own ? encodeReasoningBlock({ text: t.thinking.text }) : `EqAnthropicSig${k}` });
    if (t.text !== null) content.push({ type: 'text', text: t.text });
    for (const c of t.calls) content.push({ type: 'tool_use', id: messagesDoorToolId(c.id), name: c.name, input: c.input });
    messages.push({ role: 'assistant', content });
    const next: Array<Record<string, unknown>> = t.order.map((i) => {
      const c = t.calls[i]!;
      return { type: 'tool_result', tool_use_id: messagesDoorToolId(c.id), content: /\S/.test(c.result) ? [{ type: 'text', text: c.result }] : c.result, ...(c.isError ? { is_error: true } : {}) };
    });
    // Roles alternate: an assistant turn without calls is followed by user text.
    if (t.followText !== null || next.length === 0) next.push({ type: 'text', text: t.followText ?? 'continue' });
    messages.push({ role: 'user', content: next });
  });
  const withoutSystems = { model: 'alias', max_tokens: 2000, messages: structuredClone(messages), tools: [{ name: 'Bash', input_schema: { type: 'object' } }] };
  for (const [pos, text] of conv.systems) messages.splice(Math.min(pos, messages.length), 0, { role: 'system', content: [{ type: 'text', text, cache_control: { type: 'ephemeral' } }] });
  return { body: { ...withoutSystems, messages }, withoutSystems };
}

/** The hub invariant (hub/types.ts): every call answered right after its assistant message, in call order; no stray tool message. */
function checkInvariant(ms: HubMessage[]): void {
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i]!;
    if (m.role === 'tool') assert.fail(`stray tool message at ${i}`);
    if (m.role !== 'assistant' || !m.toolCalls?.length) continue;
    for (const c of m.toolCalls) {
      const t = ms[++i];
      assert.ok(t && t.role === 'tool', `call ${c.id} not answered at ${i}`);
      assert.equal(t.callId, c.id);
    }
  }
}

describe('messages door: properties', () => {
  const seed = fuzzSeed();

  it('valid Messages requests parse into hubs that keep the invariant, ids, results and reasoning', () => {
    fc.assert(
      fc.property(genConversation, (conv) => {
        const { body, withoutSystems } = buildBody(structuredClone(conv));
        assert.deepEqual(validateMessagesRequest(withoutSystems), [], 'generator made an invalid request');
        const hub = parseMessagesRequest(body);
        checkInvariant(hub.messages);
        const assistants = hub.messages.filter((m): m is Extract<HubMessage, { role: 'assistant' }> => m.role === 'assistant');
        const turns = conv.turns;
        assert.equal(assistants.length, turns.length);
        let n = 0;
        turns.forEach((t, k) => {
          const a = assistants[k]!;
          const ids = t.calls.map((c) => `${c.id}${n++}`);
          assert.deepEqual((a.toolCalls ?? []).map((c) => c.id), ids);
          assert.deepEqual((a.toolCalls ?? []).map((c) => JSON.parse(c.arguments)), t.calls.map((c) => JSON.parse(JSON.stringify(c.input))));
          if (t.thinking) assert.deepEqual(a.reasoning, [t.thinking.own ? { text: t.thinking.text } : { text: t.thinking.text, signature: `EqAnthropicSig${k}` }]);
          const at = hub.messages.indexOf(a);
          t.calls.forEach((c, j) => {
            const tm = hub.messages[at + 1 + j] as Extract<HubMessage, { role: 'tool' }>;
            assert.equal(tm.text, c.result);
            assert.equal(tm.isError === true, c.isError);
          });
        });
        for (const [, text] of conv.systems) assert.ok(hub.system.includes(text) || hub.messages.some((m) => m.role === 'system' && m.text === text), `system text ${text} lost`);
        // The hub builds into bodies both upstream wires accept.
        const opts = { model: 'claude-sonnet-4-5', provider: 'anthropic', dropParams: false, dropParamNames: new Set<string>(), stream: true };
        assert.deepEqual(validateMessagesRequest(buildMessagesRequest(hub, opts).body), []);
        buildChatRequest(hub, { ...opts, model: 'gpt-test', provider: 'openai' });
      }),
      { seed, numRuns: 300 },
    );
  });

  /** Events for one generated answer (sequential blocks, as upstream decoders produce them). */
  type Block =
    | { kind: 'text'; chunks: string[] }
    | { kind: 'reasoning'; chunks: string[]; signature: string | null }
    | { kind: 'redacted'; data: string }
    | { kind: 'call'; id: string | null; name: string; chunks: string[] };
  const block: fc.Arbitrary<Block> = fc.oneof(
    fc.record({ kind: fc.constant('text' as const), chunks: fc.array(nonBlank, { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('reasoning' as const), chunks: fc.array(nonBlank, { maxLength: 3 }), signature: fc.option(fc.base64String({ minLength: 4, maxLength: 16 }), { nil: null }) }),
    fc.record({ kind: fc.constant('redacted' as const), data: fc.base64String({ minLength: 4, maxLength: 16 }) }),
    fc.record({
      kind: fc.constant('call' as const),
      id: fc.option(upstreamId, { nil: null }),
      name: toolName,
      chunks: fc.oneof(
        fc.constant([] as string[]),
        fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }).chain((o) => {
          const s = JSON.stringify(o);
          return fc.array(fc.nat(s.length), { maxLength: 3 }).map((cuts) => {
            const pts = [...new Set([0, ...cuts.sort((a, b) => a - b), s.length])];
            const out: string[] = [];
            for (let i = 1; i < pts.length; i++) out.push(s.slice(pts[i - 1], pts[i]));
            return out.filter((x) => x);
          });
        }),
      ),
    }),
  );
  const answer = fc.record({
    blocks: fc.array(block, { maxLength: 6 }).filter((bs) => bs.every((b) => b.kind !== 'reasoning' || b.chunks.length > 0 || b.signature !== null)),
    finish: fc.constantFrom('stop', 'tool_calls', 'length', 'refusal', 'content_filter', 'pause' as const),
    usage: fc.record({ cached: fc.nat(500), created: fc.nat(500), fresh: fc.nat(500), output: fc.nat(500) }),
    cuts: fc.array(fc.nat(4000), { maxLength: 8 }),
  });

  /** A canonical view of events: merged blocks, calls, finish, last usage. */
  function canon(events: HubEvent[], sign: boolean): { blocks: unknown[]; finish: string | undefined; usage: Partial<HubUsage> | undefined } {
    const blocks: Array<Record<string, unknown>> = [];
    const calls = new Map<number, Record<string, unknown>>();
    let finish: string | undefined;
    let usage: Partial<HubUsage> | undefined;
    const last = () => blocks[blocks.length - 1];
    for (const ev of events) {
      switch (ev.type) {
        case 'text':
          if (last()?.kind === 'text') last()!.text += ev.text;
          else blocks.push({ kind: 'text', text: ev.text });
          break;
        case 'reasoning':
          if (last()?.kind === 'reasoning' && last()!.signature === undefined) last()!.text += ev.text;
          else blocks.push({ kind: 'reasoning', text: ev.text, signature: undefined });
          break;
        case 'reasoning_signature':
          if (last()?.kind === 'reasoning' && last()!.signature === undefined) last()!.signature = ev.signature;
          else blocks.push({ kind: 'reasoning', text: '', signature: ev.signature });
          break;
        case 'reasoning_redacted':
          blocks.push({ kind: 'redacted', data: ev.data });
          break;
        case 'call': {
          let c = calls.get(ev.index);
          if (!c) {
            c = { kind: 'call', id: ev.id, name: ev.name, args: '' };
            calls.set(ev.index, c);
            blocks.push(c);
          }
          c.args = (c.args as string) + (ev.arguments ?? '');
          break;
        }
        case 'finish':
          finish = ev.reason;
          break;
        case 'usage':
          usage = { input: ev.usage.input, output: ev.usage.output, cachedInput: ev.usage.cachedInput ?? 0, cacheCreationInput: ev.usage.cacheCreationInput ?? 0 };
          break;
      }
    }
    for (const b of blocks) {
      if (sign && b.kind === 'reasoning' && b.signature === undefined) b.signature = ownThinkingSignature(b.text as string);
      if (b.kind === 'call') {
        if (b.args === '') b.args = '{}';
        if (!sign) b.id = hubCallIdOf(b.id as string);
        else if (b.id === undefined) delete b.id;
      }
    }
    return { blocks, finish, usage };
  }

  it('hub events -> MessagesEncoder -> SSE -> MessagesDecoder gives back the same events', () => {
    fc.assert(
      fc.property(answer, (a) => {
        const events: HubEvent[] = [];
        let callIndex = 0;
        for (const b of a.blocks) {
          if (b.kind === 'text') for (const t of b.chunks) events.push({ type: 'text', text: t });
          else if (b.kind === 'reasoning') {
            for (const t of b.chunks) events.push({ type: 'reasoning', text: t });
            if (b.signature !== null) events.push({ type: 'reasoning_signature', signature: b.signature });
          } else if (b.kind === 'redacted') events.push({ type: 'reasoning_redacted', data: b.data });
          else {
            const index = callIndex++;
            const first: HubEvent = { type: 'call', index, name: b.name };
            if (b.id !== null) first.id = b.id;
            events.push(first);
            for (const c of b.chunks) events.push({ type: 'call', index, arguments: c });
          }
        }
        events.push({ type: 'finish', reason: a.finish });
        const u = a.usage;
        events.push({ type: 'usage', usage: { input: u.fresh + u.cached + u.created, output: u.output, cachedInput: u.cached, cacheCreationInput: u.created } });

        const ctx: EncodeContext = { id: 'msg_x', alias: 'alias', createdAt: 0, tools: { byUpstream: new Map() }, request: {} };
        const enc = new MessagesEncoder(ctx);
        let sse = enc.start();
        for (const ev of events) sse += enc.push(ev);
        sse += enc.end();
        checkLifecycle(frames(sse));

        const dec = new MessagesDecoder();
        const back: HubEvent[] = [];
        const parser = createParser({ onEvent: (e) => back.push(...dec.push(JSON.parse(e.data) as Record<string, unknown>, e.event)) });
        const cuts = [...new Set(a.cuts.map((c) => c % (sse.length + 1)))].sort((x, y) => x - y);
        let from = 0;
        for (const c of [...cuts, sse.length]) {
          parser.feed(sse.slice(from, c));
          from = c;
        }

        const want = canon(events, true);
        const got = canon(back, false);
        // Minted ids (calls without an upstream id) are random: compare their shape only.
        (got.blocks as Array<Record<string, unknown>>).forEach((b, i) => {
          const w = (want.blocks as Array<Record<string, unknown>>)[i];
          if (b.kind === 'call' && w?.kind === 'call' && w.id === undefined) {
            assert.match(b.id as string, /^toolu_[0-9a-f]{24}$/);
            b.id = undefined;
            delete b.id;
          }
        });
        assert.deepEqual(got.blocks, want.blocks);
        const calls = a.blocks.some((b) => b.kind === 'call');
        assert.equal(got.finish, mapStopReason(messagesStopReason(a.finish, calls)));
        assert.deepEqual(got.usage, want.usage);
      }),
      { seed, numRuns: 300 },
    );
  });
});
