/**
 * Every door x every upstream wire of the registry (src/gateway/wires/registry.ts: `DOORS`, `UPSTREAMS`)
 * under hostile input, property-based (fast-check, fixed seed printed once; `FUZZ_SEED=N` repeats another
 * run). Bodies are fed WITHOUT the request checker in front, so the adapters' own guards are exercised:
 *
 * - requests: `door.parse(body)` then `upstream.build(hub, opts)` gives a body that serialises, or throws
 *   a GatewayError with a 4xx status; never another exception (a 500);
 * - answers: `upstream.decoder().push(json, event)` and `upstream.events(json)` throw nothing but an
 *   UpstreamError, whatever the events (the wire's own, another wire's, hostile JSON);
 * - the doors take whatever the decoders emit: for every door, the encoder's output (start, every event,
 *   then end, or fail where the proxy calls it) is well-formed SSE whose every `data:` is a JSON object
 *   (Chat: then `[DONE]`), nothing follows the end, and the fold of a whole answer serialises;
 * - and what the doors send for the decoded events of the wire's own (hostile) events validates against
 *   OpenAI's spec (test/helpers/openai-conformance.ts): every streamed event, and the folded answer.
 *
 * The event sequences are the decoders' real output, so every door/upstream pair of the proxy's
 * translated path is covered (src/gateway/proxy.ts `attempt` / `respond`).
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { GatewayError, UpstreamError } from '../../../src/gateway/errors';
import { checkRequestBody, type CheckedRoute } from '../../../src/gateway/request-check';
import type { HubEvent, HubRequest } from '../../../src/gateway/hub/types';
import { DOORS, UPSTREAMS, type DoorAdapter, type UpstreamAdapter } from '../../../src/gateway/wires/registry';
import type { BuildOptions, EncodeContext, Wire } from '../../../src/gateway/wires/types';
import { chatStreamViolations, formatViolations, parseSse, responsesStreamViolations, specSourceLabel, specViolations } from '../../helpers/openai-conformance';
import {
  chatChunk,
  chatCompletion,
  chatConversation,
  chatRequest,
  fuzzSeed,
  hostileJson,
  jsonObject,
  messagesAnswer,
  messagesRequest,
  messagesStreamEvent,
  nestedArrays,
  responsesAnswer,
  responsesRequest,
  responsesStreamEvent,
} from '../../helpers/fuzz-arbitraries';

type DoorName = keyof typeof DOORS;
/** Every door of the registry (a door added there is fuzzed here without a change). */
const DOOR_NAMES = Object.keys(DOORS) as DoorName[];
/** The doors whose answers OpenAI's spec describes. */
const OPENAI_DOORS = DOOR_NAMES.filter((d) => DOORS[d].wire === 'responses' || DOORS[d].wire === 'chat');
/** The request route of each door's wire (for the request checker). */
const ROUTE: Record<string, string> = { responses: '/v1/responses', chat: '/v1/chat/completions', messages: '/v1/messages' };
/** Well-formed bodies (h = 0), bodies with hostile fields, for a door's wire. */
const REQUESTS: Record<string, (h: number) => fc.Arbitrary<Record<string, unknown>>> = {
  responses: (h) => (h === 0 ? responsesRequest(0).map(repaired) : responsesRequest(h)),
  chat: (h) => (h === 1 ? chatRequest() : chatConversation(h)),
  messages: (h) => messagesRequest(h),
};
const WIRE_NAMES = Object.keys(UPSTREAMS) as Wire[];

/** Deployment options the builders get: plain, dropping (with drop_params on and off), and config defaults. */
const OPTIONS: BuildOptions[] = [
  { model: 'claude-sonnet-4-5', provider: 'anthropic', dropParams: false, dropParamNames: new Set(), stream: true },
  {
    model: 'deepseek-chat',
    provider: 'deepseek',
    dropParams: true,
    dropParamNames: new Set(['temperature', 'top_p', 'stop', 'tools', 'tool_choice', 'reasoning_effort', 'cache_control', 'parallel_tool_calls', 'user']),
    maxTokens: 64,
    stream: false,
  },
  { model: 'gpt-5', provider: 'openai', dropParams: false, dropParamNames: new Set(['temperature', 'stop', 'metadata']), stream: true },
  {
    model: 'qwen',
    provider: 'dashscope',
    dropParams: false,
    dropParamNames: new Set(),
    stream: true,
    extraBody: {
      temperature: 0.1,
      top_p: 0.9,
      top_k: 5,
      reasoning_effort: 'high',
      max_completion_tokens: 2048,
      stop: '\n\n',
      user: 'cfg-user',
      parallel_tool_calls: false,
      seed: 7,
      response_format: { type: 'json_object' },
      cache_control_injection_points: [{ location: 'message', index: -1, control: { type: 'ephemeral', ttl: '1h' } }, { location: 'tool_config' }, 'junk', { location: 'message', role: 'nobody' }],
    },
  },
];

/** A body for `door`: its own shape (hostile fields often, or mostly valid), the other door's, or hostile JSON wrapped in an object. */
function doorBody(door: DoorName): fc.Arbitrary<Record<string, unknown>> {
  const wire = DOORS[door].wire;
  const own = REQUESTS[wire]!;
  const other = fc.oneof(...Object.keys(REQUESTS).filter((w) => w !== wire).map((w) => REQUESTS[w]!(0.5)));
  const wrapped = hostileJson(4).map((v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : jsonObject([['model', 'm'], [wire === 'responses' ? 'input' : 'messages', v]]),
  );
  return fc.oneof({ weight: 2, arbitrary: own(1) }, { weight: 2, arbitrary: own(0.2) }, { weight: 3, arbitrary: own(0) }, { weight: 1, arbitrary: other }, { weight: 1, arbitrary: wrapped });
}

/**
 * A well-shaped Responses body made acceptable to the door, so that enough bodies reach the builders: no
 * server-side state, and a user message first.
 */
function repaired(body: Record<string, unknown>): Record<string, unknown> {
  const b = jsonObject(Object.entries(body).filter(([k]) => k !== 'previous_response_id'));
  b.input = [{ role: 'user', content: 'hi' }, ...(Array.isArray(b.input) ? b.input : typeof b.input === 'string' ? [{ role: 'user', content: b.input }] : [])];
  return b;
}

/** What one door + upstream did with one body. */
type BuildResult = { kind: 'built'; hub: HubRequest } | { kind: 'refused'; status: number };

/** parse then build, as the proxy's translated path does; anything but a body that serialises or a 4xx GatewayError fails. */
function parseAndBuild(door: DoorAdapter, up: UpstreamAdapter, body: Record<string, unknown>, opts: BuildOptions): BuildResult {
  let hub: HubRequest;
  try {
    hub = door.parse(body);
  } catch (e) {
    return refusal(e, `${door.wire} door parse`);
  }
  try {
    const built = up.build(hub, opts);
    assert.equal(typeof JSON.stringify(built.body), 'string', 'the upstream body serialises');
    assert.ok(Array.isArray(built.dropped));
    return { kind: 'built', hub };
  } catch (e) {
    return refusal(e, `${up.wire} upstream build`);
  }
}

/** Refusal messages seen (debug: REGISTRY_FUZZ_DEBUG=1 prints a histogram). */
const reasons = new Map<string, number>();

function refusal(e: unknown, where: string): BuildResult {
  if (e instanceof GatewayError && e.status >= 400 && e.status < 500) {
    const k = `${where}: ${e.message.replace(/'[^']*'|"[^"]*"|\d+/g, '_').slice(0, 90)}`;
    reasons.set(k, (reasons.get(k) ?? 0) + 1);
    return { kind: 'refused', status: e.status };
  }
  throw new Error(`${where} threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)} (not a 4xx GatewayError)\n${e instanceof Error ? e.stack : ''}`);
}

/** An event of any wire (the decoder must survive another wire's events too), with its SSE event name. */
const anyEvent = fc.tuple(
  fc.oneof(
    { weight: 2, arbitrary: chatChunk() },
    { weight: 2, arbitrary: responsesStreamEvent() },
    { weight: 3, arbitrary: messagesStreamEvent() },
    { weight: 1, arbitrary: messagesStreamEvent(0.1) },
    { weight: 1, arbitrary: responsesStreamEvent(0.1) },
  ),
  fc.oneof(fc.constant<'type' | undefined>('type'), fc.constant(undefined), fc.constantFrom('error', 'message_stop', 'response.completed', 'ping', 'x')),
);
/** A JSON object the decoders get (the SSE reader hands on objects only). */
const asObject = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : jsonObject([['data', v]]));

/** The event name the SSE reader would pass: the data's `type` (as upstreams send it), none, or another one. */
function eventName(json: Record<string, unknown>, name: 'type' | string | undefined): string | undefined {
  if (name === 'type') return typeof json.type === 'string' ? json.type : undefined;
  return name;
}

/** The hub events one decoder gives for a sequence, and the UpstreamError that ended it (if any). Anything else thrown fails. */
function decodeAll(up: UpstreamAdapter, seq: Array<[unknown, string | undefined]>): { events: HubEvent[]; error?: UpstreamError } {
  const dec = up.decoder();
  const events: HubEvent[] = [];
  for (const [raw, name] of seq) {
    const json = asObject(raw);
    try {
      const out = dec.push(json, eventName(json, name));
      assert.ok(Array.isArray(out), 'push returns an array');
      events.push(...out);
    } catch (e) {
      if (e instanceof UpstreamError) return { events, error: e };
      throw new Error(`${up.wire} decoder threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)} (not an UpstreamError) on ${safeJson(json)}\n${e instanceof Error ? e.stack : ''}`);
    }
  }
  return { events };
}

/**
 * fc.assert without fast-check's own report, which overflows the stack printing the 20,000-deep hostile
 * values: on failure, throws the property's error with the seed, the replay path and a bounded rendering
 * of the counterexample.
 */
function holds<T extends unknown[]>(prop: fc.IProperty<T>, params: fc.Parameters<T>): void {
  const d = fc.check(prop, params);
  if (!d.failed) return;
  const cause = d.errorInstance instanceof Error ? d.errorInstance : new Error(String(d.errorInstance));
  const example = (d.counterexample ?? []).map((v) => safeJson(v)).join('\n  ');
  throw new Error(`${cause.message}\n  (seed ${d.seed}, path "${d.counterexamplePath}", shrunk ${d.numShrinks} times) counterexample:\n  ${example}`, { cause });
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v)?.slice(0, 1500) ?? String(v);
  } catch {
    return '(not serialisable)';
  }
}

/** The client body the encoder echoes: one that passed the request checker (as in the proxy), else a minimal one. */
function checkedRequest(door: DoorName, body: Record<string, unknown>): Record<string, unknown> {
  try {
    checkRequestBody(ROUTE[DOORS[door].wire] as CheckedRoute, body);
    return body;
  } catch {
    return { model: 'alias' };
  }
}

function encodeContext(door: DoorAdapter, hub: HubRequest | undefined, request: Record<string, unknown>): EncodeContext {
  return { id: door.newId(), alias: 'alias', createdAt: 1_700_000_000, tools: hub?.toolMap ?? { byUpstream: new Map() }, request };
}

/**
 * Problems of a door's SSE output: frame boundaries, JSON object data, `[DONE]` only last and only on the
 * chat door, `event:` equal to the data's type on the doors that name events (Responses, Messages).
 */
function sseProblems(door: DoorName, text: string): string[] {
  const wire = DOORS[door].wire;
  const out: string[] = [];
  if (text !== '' && !text.endsWith('\n\n')) out.push(`does not end on a frame boundary: ${JSON.stringify(text.slice(-80))}`);
  const frames = parseSse(text);
  frames.forEach((f, i) => {
    if (f.data === '[DONE]') {
      if (wire !== 'chat') out.push(`[DONE] on the ${door} door`);
      else if (i !== frames.length - 1) out.push('[DONE] is not the last frame');
      return;
    }
    try {
      const j = JSON.parse(f.data);
      if (typeof j !== 'object' || j === null || Array.isArray(j)) out.push(`frame ${i}: data is not a JSON object`);
      if (wire !== 'chat' && f.event !== j?.type) out.push(`frame ${i}: event ${f.event} differs from type ${j?.type}`);
    } catch {
      out.push(`frame ${i}: data is not JSON: ${f.data.slice(0, 80)}`);
    }
  });
  return out;
}

describe('registry: every door x every upstream wire under hostile input (property-based)', function () {
  this.timeout(120_000);
  const seed = fuzzSeed();

  for (const doorName of DOOR_NAMES) {
    for (const wire of WIRE_NAMES) {
      it(`${doorName} door -> ${wire} upstream: parse + build gives a serialisable body or a GatewayError 4xx`, () => {
        const door = DOORS[doorName];
        const up = UPSTREAMS[wire];
        let built = 0;
        let refused = 0;
        holds(
          fc.property(doorBody(doorName), fc.constantFrom(...OPTIONS), (body, opts) => {
            if (parseAndBuild(door, up, body, opts).kind === 'built') built++;
            else refused++;
          }),
          { seed, numRuns: 700 },
        );
        if (process.env.REGISTRY_FUZZ_DEBUG) console.log([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 12));
        reasons.clear();
        // Both outcomes must be exercised, or the generators no longer reach the builder. The Messages door
        // refuses more of the mutated bodies (tool names, block types are required there), hence its lower bar.
        const minBuilt = doorName === 'messages' ? 50 : 100;
        assert.ok(built > minBuilt && refused > 50, `built ${built}, refused ${refused}`);
      });
    }
  }

  for (const wire of WIRE_NAMES) {
    it(`${wire} upstream: decoder.push throws nothing but UpstreamError, and every door encodes what it emits as well-formed SSE`, () => {
      const up = UPSTREAMS[wire];
      let failed = 0;
      let finished = 0;
      holds(
        fc.property(
          fc.array(anyEvent, { maxLength: 14 }),
          fc.constantFrom(...DOOR_NAMES),
          fc.oneof(...Object.values(REQUESTS).map((r) => r(0.2))),
          fc.option(fc.nat(14), { nil: undefined }),
          (seq, doorName, request, cutAt) => {
            const { events, error } = decodeAll(up, seq);
            if (error) failed++;
            if (events.some((e) => e.type === 'finish')) finished++;
            const door = DOORS[doorName];
            const checked = checkedRequest(doorName, request);
            let hub: HubRequest | undefined;
            try {
              hub = door.parse(checked);
            } catch {
              hub = undefined;
            }
            const enc = door.encoder(encodeContext(door, hub, checked));
            let text = enc.start();
            // The proxy: every event, then fail() for an UpstreamError or a broken connection, else end().
            const cut = cutAt !== undefined && cutAt < events.length ? cutAt : undefined;
            events.slice(0, cut).forEach((ev) => (text += enc.push(ev)));
            const tail = error ? enc.fail(error, 'The upstream failed mid-stream.') : cut !== undefined ? enc.fail(undefined, 'The upstream connection broke.') : enc.end();
            text += tail;
            assert.ok(tail.length > 0, 'the end (or the terminal error) writes something');
            assert.deepEqual(sseProblems(doorName, text), [], `${doorName} door output:\n${text.slice(0, 2000)}`);
            assert.equal(enc.push({ type: 'text', text: 'late' }) + enc.end() + enc.fail(undefined, 'late'), '', 'nothing after the end');
          },
        ),
        { seed, numRuns: 1500 },
      );
      // The Chat decoder never throws: the SSE reader takes an error chunk out before it (upstream-answer.ts).
      if (wire !== 'chat') assert.ok(failed > 20, `sequences ending in an UpstreamError: ${failed}`);
      assert.ok(finished > 20, `sequences with a finish: ${finished}`);
    });

    it(`${wire} upstream: what every door sends for the decoded answer, streamed and folded, validates against OpenAI's spec`, () => {
      const up = UPSTREAMS[wire];
      const own = wire === 'chat' ? chatChunk() : wire === 'responses' ? responsesStreamEvent() : messagesStreamEvent();
      holds(
        fc.property(fc.array(fc.tuple(own, fc.constant<'type'>('type')), { maxLength: 12 }), fc.constantFrom(...OPENAI_DOORS), (seq, doorName) => {
          const { events, error } = decodeAll(up, seq);
          const door = DOORS[doorName];
          const enc = door.encoder(encodeContext(door, undefined, { model: 'alias' }));
          let text = enc.start();
          for (const ev of events) text += enc.push(ev);
          text += error ? enc.fail(error, 'The upstream failed mid-stream.') : enc.end();
          const frames = parseSse(text);
          const streamed = doorName === 'responses' ? responsesStreamViolations(frames) : chatStreamViolations(frames);
          assert.ok(streamed.length === 0, `${doorName} door stream (${specSourceLabel()}):\n${formatViolations(streamed)}\n${text.slice(0, 1500)}`);
          if (error) return;
          const folded = door.fold(events, encodeContext(door, undefined, { model: 'alias' }));
          const whole = specViolations(doorName === 'responses' ? 'Response' : 'CreateChatCompletionResponse', folded);
          assert.ok(whole.length === 0, `${doorName} door folded answer (${specSourceLabel()}):\n${formatViolations(whole)}\n${safeJson(folded)}`);
        }),
        { seed, numRuns: 800 },
      );
    });

    it(`${wire} upstream: events(whole answer) throws nothing but UpstreamError, and every door's fold serialises`, () => {
      const up = UPSTREAMS[wire];
      const answer = fc.oneof({ weight: 2, arbitrary: wire === 'chat' ? chatCompletion() : wire === 'responses' ? responsesAnswer() : messagesAnswer() }, { weight: 1, arbitrary: fc.oneof(chatCompletion(), responsesAnswer(), messagesAnswer()) });
      holds(
        fc.property(answer, fc.constantFrom(...DOOR_NAMES), (raw, doorName) => {
          const json = asObject(raw);
          let events: HubEvent[];
          try {
            events = up.events(json);
          } catch (e) {
            if (e instanceof UpstreamError) return;
            throw new Error(`${wire} events() threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)} (not an UpstreamError) on ${safeJson(json)}\n${e instanceof Error ? e.stack : ''}`);
          }
          assert.ok(Array.isArray(events));
          const door = DOORS[doorName];
          const folded = door.fold(events, encodeContext(door, undefined, { model: 'alias' }));
          assert.equal(typeof JSON.stringify(folded), 'string', 'the folded answer serialises');
        }),
        { seed, numRuns: 1500 },
      );
    });
  }
});

describe('registry: what fuzzing found stays fixed', () => {
  it('messages upstream: a tool_use input nested past JSON.stringify\'s limit gives a call with JSON arguments, not a RangeError (streamed and whole)', () => {
    // JSON.parse builds this from an upstream's bytes; JSON.stringify overflows the stack on it.
    const input = { cmd: nestedArrays(20_000) };
    const streamed = decodeAll(UPSTREAMS.messages, [
      [{ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 1, output_tokens: 1 } } }, 'type'],
      [{ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'exec_command', input } }, 'type'],
      [{ type: 'content_block_stop', index: 0 }, 'type'],
      [{ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } }, 'type'],
    ]);
    assert.equal(streamed.error, undefined);
    const calls = streamed.events.filter((e) => e.type === 'call');
    const whole = decodeWhole(UPSTREAMS.messages, { type: 'message', content: [{ type: 'tool_use', id: 'toolu_1', name: 'exec_command', input }], stop_reason: 'tool_use' }).filter((e) => e.type === 'call');
    for (const events of [calls, whole]) {
      const args = events.map((e) => (e.type === 'call' ? (e.arguments ?? '') : '')).join('');
      assert.equal(events[0]?.type === 'call' && events[0].id, 'toolu_1', 'the call is kept');
      assert.doesNotThrow(() => JSON.parse(args), `arguments are JSON: ${args.slice(0, 80)}`);
    }
  });

  it('fractional and negative token counts from any upstream reach the client as non-negative integers (both doors, streamed and folded)', () => {
    const odd = { a: 10.5, b: -3, c: 5e-324 };
    const answers: Record<Wire, Array<Record<string, unknown>>> = {
      chat: [
        { id: 'c', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] },
        { id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: odd.a, completion_tokens: odd.b, total_tokens: odd.a, prompt_tokens_details: { cached_tokens: odd.c } } },
      ],
      responses: [
        { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'hi' },
        { type: 'response.completed', response: { status: 'completed', output: [], usage: { input_tokens: odd.a, output_tokens: odd.b, input_tokens_details: { cached_tokens: odd.c }, output_tokens_details: { reasoning_tokens: odd.c } } } },
      ],
      messages: [
        { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: odd.a, cache_read_input_tokens: odd.c, cache_creation_input_tokens: odd.a, output_tokens: 1 } } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: odd.b } },
        { type: 'message_stop' },
      ],
    };
    const problems: string[] = [];
    for (const wire of WIRE_NAMES) {
      const { events, error } = decodeAll(UPSTREAMS[wire], answers[wire].map((e) => [e, 'type'] as [unknown, 'type']));
      assert.equal(error, undefined);
      for (const doorName of OPENAI_DOORS) {
        const door = DOORS[doorName];
        const enc = door.encoder(encodeContext(door, undefined, { model: 'alias' }));
        let text = enc.start();
        for (const ev of events) text += enc.push(ev);
        text += enc.end();
        const frames = parseSse(text);
        for (const v of doorName === 'responses' ? responsesStreamViolations(frames) : chatStreamViolations(frames)) problems.push(`${wire} -> ${doorName} stream ${v.path}: ${v.message}`);
        const folded = door.fold(events, encodeContext(door, undefined, { model: 'alias' }));
        for (const v of specViolations(doorName === 'responses' ? 'Response' : 'CreateChatCompletionResponse', folded)) problems.push(`${wire} -> ${doorName} folded ${v.path}: ${v.message}`);
        const walk = (v: unknown, path: string): void => {
          if (typeof v === 'number' && /tokens/.test(path) && !(Number.isInteger(v) && v >= 0)) problems.push(`${wire} -> ${doorName} folded ${path} = ${v}`);
          else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
        };
        walk((folded as { usage?: unknown }).usage, '$.usage');
      }
    }
    assert.deepEqual(problems, []);
  });
});

/** `upstream.events(json)`, failing on anything thrown but an UpstreamError (which gives no events). */
function decodeWhole(up: UpstreamAdapter, json: Record<string, unknown>): HubEvent[] {
  try {
    return up.events(json);
  } catch (e) {
    if (e instanceof UpstreamError) return [];
    throw new Error(`${up.wire} events() threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)} (not an UpstreamError)`);
  }
}
