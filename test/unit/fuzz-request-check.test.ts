/**
 * The request checker (src/gateway/request-check.ts) under hostile input, example-based and property-based
 * (fast-check, fixed seed printed at the start; `FUZZ_SEED=N` repeats another run):
 * - every captured Codex request and every golden request the translator accepts passes unchanged;
 * - the hostile inputs of issue 7 get a 400 in the OpenAI shape that names the field and what to send;
 * - for arbitrary JSON the checker returns or throws a GatewayError 400, nothing else; a body it accepts can
 *   be serialised for the upstream, and on the Responses route translated (or refused with a 4xx);
 * - a real Codex body with one value replaced by a hostile one is refused at that value (or accepted);
 * - the check costs well under a millisecond on a 1 MB Codex body.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { GatewayError } from '../../src/gateway/errors';
import { checkRequestBody, jsonDepthExceeds, MAX_JSON_DEPTH, type CheckedRoute } from '../../src/gateway/request-check';
import { responsesToChatRequest, type ChatTranslateOptions, type ResponsesRequest } from '../../src/gateway/translate';
import {
  chatRequest,
  codexBodies,
  fuzzSeed,
  hostileJson,
  hostileLeaf,
  jsonObject,
  nestedArrays,
  nestedObjects,
  pathsOf,
  replaceAt,
  responsesRequest,
} from '../helpers/fuzz-arbitraries';

const RESPONSES: CheckedRoute = '/v1/responses';
const CHAT: CheckedRoute = '/v1/chat/completions';

/** Runs the checker; returns the GatewayError it threw, or undefined when the body passed. Rethrows anything else. */
function check(route: CheckedRoute, body: unknown): GatewayError | undefined {
  try {
    checkRequestBody(route, body as Record<string, unknown>);
    return undefined;
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
}

/** Asserts a refusal is a 400 in the OpenAI error shape whose message names `param` and says what to do. */
function assertRefusal(e: GatewayError | undefined, param: string | null, code?: string): GatewayError {
  assert.ok(e, `expected a 400 for '${param}', the body passed`);
  assert.equal(e.status, 400, e.message);
  const body = e.toBody();
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.type, 'invalid_request_error');
  if (param !== null) {
    assert.equal(body.error.param, param, e.message);
    assert.ok(e.message.includes(param), `the message names '${param}': ${e.message}`);
  }
  if (code) assert.equal(body.error.code, code, e.message);
  assert.match(e.message, /send|set it/i, `the message says what to send: ${e.message}`);
  return e;
}

/** `input[3].content[0].text` for ['input', 3, 'content', 0, 'text'] (the checker's path notation). */
function renderPath(keys: ReadonlyArray<string | number>): string {
  let s = '';
  for (const k of keys) {
    if (typeof k === 'number') s += `[${k}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) && k.length <= 64) s += s ? `.${k}` : k;
    else s += `[${JSON.stringify(k.length > 64 ? `${k.slice(0, 64)}…` : k)}]`;
  }
  return s;
}

const TRANSLATE_OPTIONS: ChatTranslateOptions[] = [
  { model: 'deepseek-chat', provider: 'deepseek', dropParams: true, dropParamNames: new Set(), stream: true },
  { model: 'gpt-5', provider: 'openai', dropParams: false, dropParamNames: new Set(['temperature']), maxTokens: 100, stream: false },
];

describe('request checker: captured and golden requests pass', () => {
  it('accepts every captured Codex 0.169 request (both routes\u2019 rules applied to the Responses body)', () => {
    const bodies = codexBodies();
    assert.ok(bodies.length >= 6, 'the golden folder holds the Codex captures');
    for (const { name, body } of bodies) assert.equal(check(RESPONSES, body), undefined, name);
  });

  it('accepts every golden request case the translator accepts, and refuses the others only with a 400', () => {
    const dir = join(__dirname, 'translate', 'golden');
    let accepted = 0;
    for (const f of readdirSync(dir).filter((x) => x.startsWith('request-'))) {
      const c = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { input: unknown; expected: { error?: unknown } };
      const e = check(RESPONSES, c.input);
      if (c.expected.error === undefined) {
        assert.equal(e, undefined, `${f}: ${e?.message}`);
        accepted++;
      } else if (e) assert.equal(e.status, 400, f);
    }
    assert.ok(accepted >= 10, `${accepted} accepted cases`);
  });
});

describe('request checker: the hostile inputs of issue 7 get a 400 naming the field', () => {
  const codex = codexBodies()[0].body;

  it('wrong types: stream "yes", max_output_tokens 1e309 (Infinity), temperature 3, max_tokens 0 / 1.5', () => {
    assert.match(assertRefusal(check(RESPONSES, { ...codex, stream: 'yes' }), 'stream', 'invalid_type').message, /boolean \(true or false\).*the string "yes"/);
    const inf = assertRefusal(check(RESPONSES, JSON.parse('{"model":"m","input":"hi","max_output_tokens":1e309}')), 'max_output_tokens', 'invalid_value');
    assert.match(inf.message, /positive integer.*Infinity/);
    assertRefusal(check(RESPONSES, { model: 'm', temperature: 3 }), 'temperature', 'invalid_value');
    assertRefusal(check(RESPONSES, { model: 'm', top_p: -0.5 }), 'top_p', 'invalid_value');
    assertRefusal(check(RESPONSES, { model: 'm', parallel_tool_calls: 'true' }), 'parallel_tool_calls', 'invalid_type');
    assertRefusal(check(CHAT, { model: 'm', messages: [], max_tokens: 0 }), 'max_tokens', 'invalid_value');
    assertRefusal(check(CHAT, { model: 'm', messages: [], max_completion_tokens: 1.5 }), 'max_completion_tokens', 'invalid_value');
    assertRefusal(check(CHAT, { model: 'm', messages: [], stream: 1 }), 'stream', 'invalid_type');
    assertRefusal(check(CHAT, { model: 'm', messages: [], stream_options: { include_usage: 'yes' } }), 'stream_options.include_usage', 'invalid_type');
    assertRefusal(check(CHAT, { model: 'm', messages: [], logit_bias: { '50256': -101 } }), 'logit_bias["50256"]', 'invalid_value');
  });

  it('objects where strings belong ({"toString": 1}) are refused, not thrown on', () => {
    const toStringObj = JSON.parse('{"toString": 1}');
    assertRefusal(check(RESPONSES, { model: toStringObj }), 'model', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', instructions: toStringObj }), 'instructions', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ type: toStringObj }] }), 'input[0].type', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: toStringObj }] }] }), 'input[0].content[0].text', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', tools: [{ type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: toStringObj } }] }), 'tools[0].format.syntax');
    assertRefusal(check(RESPONSES, { model: 'm', tools: [{ type: 'namespace', name: toStringObj, tools: [] }] }), 'tools[0].name');
    assertRefusal(
      check(RESPONSES, { model: 'm', input: [{ type: 'tool_search_output', call_id: 'c', tools: [{ type: 'function', name: 'f', description: toStringObj }] }] }),
      'input[0].tools[0].description',
    );
    assertRefusal(check(CHAT, { model: 'm', messages: [{ role: 'user', content: toStringObj }] }), 'messages[0].content');
  });

  it('model names with line breaks, NUL or 300 characters are refused (they would reach the log)', () => {
    for (const model of ['a\nINFO forged', 'x\u0000', 'bell\u0007', 'sep\u2028', 'y'.repeat(300)]) {
      assertRefusal(check(RESPONSES, { model, input: 'hi' }), 'model', 'invalid_value');
      assertRefusal(check(CHAT, { model, messages: [] }), 'model', 'invalid_value');
    }
    assertRefusal(check(RESPONSES, { input: 'hi' }), 'model', 'missing_model');
    assertRefusal(check(RESPONSES, { model: '', input: 'hi' }), 'model', 'missing_model');
  });

  it('structure: input items, roles, call ids, content parts, tool outputs, tools, tool_choice, text.format', () => {
    assertRefusal(check(RESPONSES, { model: 'm', input: 5 }), 'input', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', input: ['hi'] }), 'input[0]', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ content: 'no role, no type' }] }), 'input[0].type', 'missing_required_parameter');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ role: 'robot', content: 'x' }] }), 'input[0].role', 'invalid_value');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ type: 'message', role: 'user' }] }), 'input[0].content', 'missing_required_parameter');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ type: 'function_call', call_id: '', name: 'f', arguments: '{}' }] }), 'input[0].call_id', 'invalid_value');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: {} }] }), 'input[0].arguments', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ type: 'function_call_output', call_id: 'c', output: 5 }] }), 'input[0].output', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 5 }] }] }), 'input[0].output[0].image_url');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ type: 'reasoning', summary: [{ type: 'summary_text', text: null }] }] }), 'input[0].summary[0].text');
    assertRefusal(check(RESPONSES, { model: 'm', input: [{ type: 'x\ny' }] }), 'input[0].type', 'invalid_value');
    assertRefusal(check(RESPONSES, { model: 'm', tools: {} }), 'tools', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', tools: [{ type: 'function' }] }), 'tools[0].name', 'missing_required_parameter');
    assertRefusal(check(RESPONSES, { model: 'm', tools: [{ type: 'function', name: 'f', parameters: 'schema' }] }), 'tools[0].parameters', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', tools: [{ type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 7 }] }] }), 'tools[0].tools[0].name');
    assertRefusal(check(RESPONSES, { model: 'm', tool_choice: 'always' }), 'tool_choice', 'invalid_value');
    assertRefusal(check(RESPONSES, { model: 'm', tool_choice: { type: 'function' } }), 'tool_choice.name', 'missing_required_parameter');
    assertRefusal(check(RESPONSES, { model: 'm', text: { format: { type: 'json_schema', name: 'x' } } }), 'text.format.schema', 'missing_required_parameter');
    assertRefusal(check(RESPONSES, { model: 'm', reasoning: { effort: 3 } }), 'reasoning.effort', 'invalid_type');
    assertRefusal(check(RESPONSES, { model: 'm', metadata: { k: 1 } }), 'metadata.k', 'invalid_type');
    assertRefusal(check(CHAT, { model: 'm' }), 'messages', 'missing_required_parameter');
    assertRefusal(check(CHAT, { model: 'm', messages: 'hi' }), 'messages', 'invalid_type');
    assertRefusal(check(CHAT, { model: 'm', messages: [{ content: 'x' }] }), 'messages[0].role', 'missing_required_parameter');
    assertRefusal(check(CHAT, { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', function: { name: 'f', arguments: {} } }] }] }), 'messages[0].tool_calls[0].function.arguments');
    assertRefusal(check(CHAT, { model: 'm', messages: [], tools: [{ type: 'function', function: { name: '' } }] }), 'tools[0].function.name', 'invalid_value');
    assertRefusal(check(CHAT, { model: 'm', messages: [], stop: [1] }), 'stop[0]', 'invalid_type');
  });

  it('null means "not set" where the API allows it, and unknown fields pass untouched', () => {
    const body = {
      model: 'm',
      input: null,
      instructions: null,
      tools: null,
      tool_choice: null,
      max_output_tokens: null,
      temperature: null,
      reasoning: null,
      text: { format: null, verbosity: null },
      stream: null,
      client_metadata: { anything: [1, { goes: true }] },
      __proto__odd: JSON.parse('{"__proto__": {"x": 1}, "constructor": 5}'),
    };
    assert.equal(check(RESPONSES, body), undefined);
    assert.equal(check(CHAT, { model: 'm', messages: [{ role: 'assistant', content: null }], stream: null, max_tokens: null, vendor_extension: { x: 1 } }), undefined);
    assert.equal(check(CHAT, { model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: 'any' }), undefined, 'chat tool_choice strings pass through');
  });

  it(`limits nesting to ${MAX_JSON_DEPTH} levels anywhere, known field or not, and names where`, () => {
    // The body is level 1, client_metadata level 2: 126 more arrays reach exactly 128.
    assert.equal(check(RESPONSES, { model: 'm', client_metadata: nestedArrays(MAX_JSON_DEPTH - 1) }), undefined);
    const e = assertRefusal(check(RESPONSES, { model: 'm', client_metadata: nestedArrays(MAX_JSON_DEPTH) }), 'client_metadata', 'nesting_too_deep');
    assert.match(e.message, /client_metadata\[0\]\[0\]/);
    // A tool's JSON schema: body 1, tools 2, tools[0] 3, parameters 4; n nested objects around {type} reach 4 + n.
    const tool = (n: number) => ({ model: 'm', tools: [{ type: 'function', name: 'f', parameters: nestedObjects(n, { type: 'string' }, 'items') }] });
    assert.equal(check(RESPONSES, tool(MAX_JSON_DEPTH - 4)), undefined, 'a schema reaching level 128 passes');
    assertRefusal(check(RESPONSES, tool(MAX_JSON_DEPTH - 3)), 'tools', 'nesting_too_deep');
    // A schema 60 properties deep ({"properties": {"p": {"properties": ...}}}: 2 levels each) passes.
    let schema: unknown = { type: 'string' };
    for (let i = 0; i < 60; i++) schema = { type: 'object', properties: { p: schema } };
    assert.equal(check(RESPONSES, { model: 'm', tools: [{ type: 'function', name: 'f', parameters: schema }] }), undefined);
    assertRefusal(check(CHAT, { model: 'm', messages: [{ role: 'user', content: 'x', extra: nestedObjects(200) }] }), 'messages', 'nesting_too_deep');
  });

  it('a million levels (what a 2 MB body can hold) is refused without recursing a million times', () => {
    const deep = JSON.parse(`{"model":"m","input":"hi","x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`);
    assert.throws(() => JSON.stringify(deep), RangeError, 'JSON.stringify would have thrown on the upstream call');
    assertRefusal(check(RESPONSES, deep), 'x', 'nesting_too_deep');
    assert.equal(jsonDepthExceeds(deep, MAX_JSON_DEPTH), true);
    assert.equal(jsonDepthExceeds(nestedArrays(MAX_JSON_DEPTH), MAX_JSON_DEPTH), false);
    assert.equal(jsonDepthExceeds(nestedArrays(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH), true);
    assert.equal(jsonDepthExceeds('scalar', 0), false);
  });
});

describe('request checker: property-based', function () {
  this.timeout(60_000);
  const seed = fuzzSeed();

  it('arbitrary JSON bodies: passes (and then serialises) or a 400 in the OpenAI shape, on both routes', () => {
    const body = fc.oneof(
      responsesRequest(),
      chatRequest(),
      hostileJson(5).map((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : jsonObject([['model', 'm'], ['input', v]]))),
    );
    let passed = 0;
    let refused = 0;
    fc.assert(
      fc.property(body, fc.constantFrom(RESPONSES, CHAT), (b, route) => {
        const e = check(route, b);
        if (e) {
          refused++;
          assert.equal(e.status, 400);
          assert.equal(e.type, 'invalid_request_error');
          assert.ok(e.message.length > 20 && e.message.length < 1000, e.message);
          assert.ok(e.param === null || typeof e.param === 'string');
          return;
        }
        passed++;
        assert.equal(typeof JSON.stringify(b), 'string', 'an accepted body can be forwarded');
      }),
      { seed, numRuns: 1500 },
    );
    assert.ok(passed > 50 && refused > 50, `both outcomes occur (passed ${passed}, refused ${refused})`);
  });

  it('a body the checker accepts is translated for a Chat upstream or refused with a 4xx, never thrown on', () => {
    let translated = 0;
    fc.assert(
      fc.property(responsesRequest(0.2), fc.constantFrom(...TRANSLATE_OPTIONS), (b, opts) => {
        if (check(RESPONSES, b)) return;
        try {
          const plan = responsesToChatRequest(b as ResponsesRequest, opts);
          assert.equal(typeof JSON.stringify(plan.body), 'string');
          translated++;
        } catch (e) {
          if (!(e instanceof GatewayError) || e.status < 400 || e.status >= 500) throw e;
        }
      }),
      { seed, numRuns: 1500 },
    );
    assert.ok(translated > 50, `${translated} bodies translated`);
  });

  it('a Codex body with one value made hostile is refused at that value, or accepted and then translated or refused with a 4xx', () => {
    const bodies = codexBodies();
    const paths = bodies.map(({ body }) => pathsOf(body));
    let refused = 0;
    fc.assert(
      fc.property(fc.nat(bodies.length - 1), fc.nat(), hostileLeaf(), fc.constantFrom(...TRANSLATE_OPTIONS), (bi, pi, value, opts) => {
        const path = paths[bi][pi % paths[bi].length];
        const body = replaceAt(bodies[bi].body, path, value);
        const e = check(RESPONSES, body);
        if (!e) {
          assert.equal(typeof JSON.stringify(body), 'string');
          try {
            assert.equal(typeof JSON.stringify(responsesToChatRequest(body as ResponsesRequest, opts).body), 'string');
          } catch (err) {
            if (!(err instanceof GatewayError) || err.status < 400 || err.status >= 500) throw err;
          }
          return;
        }
        refused++;
        assert.equal(e.status, 400);
        const at = renderPath(path);
        const param = e.param ?? '';
        assert.ok(param.startsWith(at) || at.startsWith(param), `refusal of ${at} names ${param}: ${e.message}`);
      }),
      { seed, numRuns: 2000 },
    );
    assert.ok(refused > 200, `${refused} refusals`);
  });
});

describe('request checker: cost', () => {
  it('adds well under 1 ms to a 1 MB Codex body (median of 21 runs; asserted < 5 ms to stay robust on a busy CI)', () => {
    const base = codexBodies().find((b) => b.name.includes('turn2-groq'))!.body;
    const grown = structuredClone(base);
    const items = (base.input as unknown[]).slice(2);
    while (JSON.stringify(grown).length < 1 << 20) for (const it of items) (grown.input as unknown[]).push(structuredClone(it));
    const body = JSON.parse(JSON.stringify(grown)) as Record<string, unknown>; // objects as the gateway gets them
    for (let i = 0; i < 50; i++) checkRequestBody(RESPONSES, body); // warm up
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t = performance.now();
      checkRequestBody(RESPONSES, body);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const median = times[10];
    process.stdout.write(`      check of a ${JSON.stringify(body).length}-byte body: median ${median.toFixed(3)} ms\n`);
    assert.ok(median < 5, `median ${median} ms`);
  });
});
