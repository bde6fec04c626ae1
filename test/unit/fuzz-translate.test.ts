/**
 * The translators (src/gateway/translate) under hostile input, example-based and property-based (fast-check,
 * fixed seed printed at the start; `FUZZ_SEED=N` repeats another run). Requests are fed WITHOUT the request
 * checker in front, so the translator's own guards are exercised:
 * - `responsesToChatRequest`: returns a plan whose body serialises, or throws a GatewayError 4xx;
 * - `ChatToResponsesStream` and `chatToResponsesResponse` (upstream answers, also malformed ones): never
 *   throw, and everything they return serialises (`encodeSse`), with sequence numbers 0..n-1;
 * - the crashes found while hardening (objects with a non-function `toString`, nested arrays turned into
 *   strings, spreading 200k arguments, quadratic tool-name clashes, over-deep tool_search arguments) stay fixed.
 */
import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { GatewayError } from '../../src/gateway/errors';
import { MAX_JSON_DEPTH } from '../../src/gateway/request-check';
import {
  ChatToResponsesStream,
  chatToResponsesResponse,
  encodeSse,
  responsesToChatRequest,
  sequentialIds,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatTranslateOptions,
  type ResponseContext,
  type ResponsesRequest,
  type ResponsesStreamEvent,
  type ToolTarget,
} from '../../src/gateway/translate';
import { chatChunk, chatCompletion, fuzzSeed, hostileJson, jsonObject, nestedArrays, responsesRequest } from '../helpers/fuzz-arbitraries';

const OPTIONS: ChatTranslateOptions[] = [
  { model: 'deepseek-chat', provider: 'deepseek', dropParams: true, dropParamNames: new Set(), stream: true },
  { model: 'gpt-5', provider: 'openai', dropParams: false, dropParamNames: new Set(['temperature', 'reasoning_content']), maxTokens: 64, stream: false },
  { model: 'qwen', provider: 'dashscope', dropParams: false, dropParamNames: new Set(), extraBody: { temperature: 0.1, top_p: 0.9 }, stream: true },
];

/** Translates; returns the plan or the GatewayError (4xx asserted); anything else fails the test. */
function translate(req: unknown, opts: ChatTranslateOptions = OPTIONS[0]): ReturnType<typeof responsesToChatRequest> | GatewayError {
  try {
    const plan = responsesToChatRequest(req as ResponsesRequest, opts);
    assert.equal(typeof JSON.stringify(plan.body), 'string', 'the upstream body serialises');
    return plan;
  } catch (e) {
    if (e instanceof GatewayError && e.status >= 400 && e.status < 500) return e;
    throw e;
  }
}

const TOOLS = new Map<string, ToolTarget>([
  ['exec_command', { kind: 'function', name: 'exec_command' }],
  ['ns__close_agent', { kind: 'function', name: 'close_agent', namespace: 'ns' }],
  ['apply_patch', { kind: 'custom', name: 'apply_patch' }],
  ['tool_search', { kind: 'tool_search', name: 'tool_search' }],
]);

function context(request: unknown = { model: 'alias' }): ResponseContext {
  return { responseId: 'resp_fuzz', alias: 'alias', createdAt: 1700000000, tools: { byUpstream: TOOLS }, request: request as ResponsesRequest, ids: sequentialIds() };
}

/** Runs a whole stream: start, every chunk, then end or fail. Checks every event serialises and the numbering. */
function runStream(chunks: unknown[], finish: 'end' | 'fail', request?: unknown): ResponsesStreamEvent[] {
  const tr = new ChatToResponsesStream(context(request));
  const events = [...tr.start()];
  for (const c of chunks) events.push(...tr.push(c as ChatCompletionChunk));
  events.push(...(finish === 'end' ? tr.end() : tr.fail('server_error', 'broke')));
  assert.deepEqual(tr.push({ choices: [{ delta: { content: 'late' } }] }), [], 'nothing after the end');
  events.forEach((ev, i) => {
    assert.equal(ev.sequence_number, i);
    assert.equal(typeof encodeSse(ev), 'string');
  });
  const last = events[events.length - 1].type;
  assert.ok(['response.completed', 'response.incomplete', 'response.failed'].includes(last), last);
  return events;
}

describe('translators: property-based', function () {
  this.timeout(60_000);
  const seed = fuzzSeed();

  it('responsesToChatRequest: arbitrary (unchecked) requests give a serialisable plan or a GatewayError 4xx', () => {
    let plans = 0;
    let refusals = 0;
    const body = fc.oneof(
      { weight: 3, arbitrary: responsesRequest() },
      { weight: 1, arbitrary: hostileJson(5) },
    );
    fc.assert(
      fc.property(body, fc.constantFrom(...OPTIONS), (b, opts) => {
        if (translate(b, opts) instanceof GatewayError) refusals++;
        else plans++;
      }),
      { seed, numRuns: 2500 },
    );
    assert.ok(plans > 100 && refusals > 100, `plans ${plans}, refusals ${refusals}`);
  });

  it('ChatToResponsesStream: arbitrary chunk sequences never throw, and every event serialises', () => {
    fc.assert(
      fc.property(fc.array(chatChunk(), { maxLength: 12 }), fc.constantFrom<'end' | 'fail'>('end', 'fail'), hostileJson(2), (chunks, finish, request) => {
        runStream(chunks, finish, typeof request === 'object' && request !== null ? request : undefined);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('chatToResponsesResponse: arbitrary upstream answers never throw, and the response serialises', () => {
    fc.assert(
      fc.property(chatCompletion(), (chat) => {
        const r = chatToResponsesResponse(chat as ChatCompletion, context());
        assert.equal(typeof JSON.stringify(r), 'string');
        assert.ok(['completed', 'incomplete'].includes(r.status));
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe('translators: crashes found by fuzzing stay fixed', () => {
  const toStringObj = JSON.parse('{"toString": 1}');

  it('objects with a non-function toString where a type or name is expected are dropped or refused, not thrown on', () => {
    // Each of these threw "TypeError: Cannot convert object to primitive value" (a 500) before.
    const plan = translate({ model: 'm', input: [{ type: toStringObj }, { type: ['nested', ['array']] }] });
    assert.ok(!(plan instanceof GatewayError));
    assert.deepEqual(plan.dropped.sort(), ['input:array', 'input:object']);
    const refused = translate({ model: toStringObj, previous_response_id: 'resp_1' });
    assert.ok(refused instanceof GatewayError && refused.param === 'previous_response_id');
    const content = translate({ model: 'm', input: [{ role: 'user', content: [{ type: toStringObj }, { type: 'input_text', text: 'hi' }] }] });
    assert.ok(!(content instanceof GatewayError));
    assert.deepEqual(content.dropped, ['content:object']);
    const choice = translate({ model: 'm', tools: [{ type: 'function', name: 'f' }], tool_choice: { type: toStringObj } });
    assert.ok(!(choice instanceof GatewayError));
    assert.equal(choice.body.tool_choice, 'auto');
    const format = translate({ model: 'm', input: 'x', text: { format: { type: toStringObj } } });
    assert.ok(format instanceof GatewayError && format.param === 'text.format.type');
  });

  it('tool descriptions, grammar syntax and namespace names of the wrong type do not reach the upstream or throw', () => {
    const plan = translate({
      model: 'm',
      input: [
        {
          type: 'tool_search_output',
          call_id: 'c1',
          tools: [
            { type: 'namespace', name: toStringObj, tools: [{ type: 'function', name: 'f' }] },
            { type: 'namespace', name: 'ns', tools: [{ type: toStringObj }, null, 5, { type: 'function', name: 'g', description: toStringObj }] },
            { type: 'custom', name: 'patch', description: toStringObj, format: { type: 'grammar', syntax: toStringObj, definition: 'start: /x/' } },
            { type: toStringObj },
          ],
        },
      ],
      tools: [{ type: 'tool_search', execution: 'client', description: toStringObj }],
    });
    assert.ok(!(plan instanceof GatewayError), String(plan));
    const names = plan.body.tools!.map((t) => t.function.name).sort();
    assert.deepEqual(names, ['ns__g', 'patch', 'tool_search']);
    for (const t of plan.body.tools!) assert.ok(t.function.description === undefined || typeof t.function.description === 'string');
    assert.match(plan.body.tools!.find((t) => t.function.name === 'patch')!.function.description!, /must match this grammar/);
  });

  it('a tool output with 200,000 image parts is translated (no spread of 200k arguments)', () => {
    const parts = new Array(200_000).fill({ type: 'input_image', image_url: 'data:,' });
    const plan = translate({
      model: 'm',
      input: [
        { type: 'function_call', call_id: 'c', name: 'view_image', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c', output: parts },
      ],
    });
    assert.ok(!(plan instanceof GatewayError), String(plan));
    const last = plan.body.messages[plan.body.messages.length - 1] as { content: unknown[] };
    assert.equal(last.content.length, 200_001);
  });

  it('20,000 call names that flatten to one upstream name get unique names in linear time', () => {
    const input: unknown[] = [];
    for (let i = 0; i < 20_000; i++) input.push({ type: 'function_call', call_id: `c${i}`, name: `a${String.fromCharCode(0x100 + i)}`, arguments: '{}' });
    const t = performance.now();
    const plan = translate({ model: 'm', input });
    const ms = performance.now() - t;
    assert.ok(!(plan instanceof GatewayError), String(plan));
    assert.equal(plan.tools.byUpstream.size, 20_000);
    assert.ok(plan.tools.byUpstream.has('a_') && plan.tools.byUpstream.has('a__20000'));
    // The old rescan from _2 took ~200 million Map lookups here (many seconds); now it is one pass.
    assert.ok(ms < 3000, `${ms} ms`);
  });

  it('tool_search_call arguments nested past the limit are refused with a 400 instead of a stack overflow', () => {
    const args = nestedArrays(100_000);
    const e = translate({ model: 'm', input: [{ type: 'tool_search_call', call_id: 'c', execution: 'client', arguments: args }] });
    assert.ok(e instanceof GatewayError && e.status === 400 && e.param === 'input[0].arguments', String(e));
    const ok = translate({ model: 'm', input: [{ type: 'tool_search_call', call_id: 'c', execution: 'client', arguments: nestedArrays(MAX_JSON_DEPTH - 1) }] });
    assert.ok(!(ok instanceof GatewayError));
  });

  it('non-finite temperature / top_p are refused by the translator too', () => {
    const e = translate({ model: 'm', input: 'x', temperature: Infinity });
    assert.ok(e instanceof GatewayError && e.param === 'temperature');
  });

  it('upstream streams: an error message that is an object or a deep array, deep tool_search arguments', () => {
    const deepArray = JSON.parse(`{"error": {"message": ${'['.repeat(50_000)}${']'.repeat(50_000)}}}`);
    const failed = runStream([deepArray], 'end');
    assert.equal(failed[failed.length - 1].type, 'response.failed');
    const objMessage = runStream([{ error: { message: toStringObj, code: 429 } }], 'end');
    const last = objMessage[objMessage.length - 1] as { response: { error: { code: string; message: string } } };
    assert.deepEqual(last.response.error, { code: 'server_error', message: 'The upstream reported an error mid-stream.' });
    const deepArgs = `{"query": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const events = runStream(
      [
        { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', function: { name: 'tool_search', arguments: deepArgs } }] } }] },
        { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
      ],
      'end',
    );
    const done = events.find((e) => e.type === 'response.output_item.done') as { item: { type: string; arguments: unknown } };
    assert.equal(done.item.type, 'tool_search_call');
    assert.deepEqual(done.item.arguments, {});
  });

  it('upstream JSON answers: deep non-string arguments and odd keys do not throw', () => {
    const chat = JSON.parse(
      `{"__proto__": {"choices": 1}, "choices": [{"message": {"toString": 1, "tool_calls": [{"id": "c", "function": {"name": "exec_command", "arguments": ${'['.repeat(50_000)}${']'.repeat(50_000)}}}]}, "finish_reason": {"valueOf": 1}}], "usage": {"prompt_tokens": 1e309, "total_tokens": 1e309}}`,
    );
    const r = chatToResponsesResponse(chat, context());
    const text = JSON.stringify(r);
    assert.equal(typeof text, 'string');
    assert.equal((r.output[0] as { arguments: string }).arguments, '{}');
    assert.equal(r.usage!.total_tokens, 0, 'non-finite token counts count as 0');
    assert.ok(!text.includes('null,"total'), 'no Infinity turned into null');
    const odd = jsonObject([['__proto__', { x: 1 }], ['choices', [jsonObject([['constructor', 1], ['message', jsonObject([['content', 'hi'], ['hasOwnProperty', 1]])]])]]]);
    assert.equal(chatToResponsesResponse(odd as unknown as ChatCompletion, context()).output.length, 1);
  });
});
