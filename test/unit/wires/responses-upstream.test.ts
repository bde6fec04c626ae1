/**
 * The Responses upstream adapter (src/gateway/wires/responses/upstream.ts): hub request -> Responses body,
 * streamed Responses events -> hub events, and a whole `response` object -> hub events.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { GatewayError, UpstreamError } from '../../../src/gateway/errors';
import type { HubEvent, HubRequest } from '../../../src/gateway/hub/types';
import { EMPTY_TOOL_NAME_MAP } from '../../../src/gateway/translate/tools';
import { parseChatRequest } from '../../../src/gateway/wires/chat/door';
import { MIN_OUTPUT_TOKENS, ResponsesDecoder, buildResponsesRequest, responsesJsonToEvents, responsesUsageToHub } from '../../../src/gateway/wires/responses/upstream';
import type { BuildOptions } from '../../../src/gateway/wires/types';
import { fuzzSeed, hostileJson } from '../../helpers/fuzz-arbitraries';

const OPTS: BuildOptions = { model: 'gpt-up', provider: 'openai', dropParams: false, dropParamNames: new Set(), stream: true };

function hub(over: Partial<HubRequest> = {}): HubRequest {
  return { system: '', messages: [{ role: 'user', content: 'hi' }], tools: [], toolMap: EMPTY_TOOL_NAME_MAP, settings: {}, stream: true, dropped: [], ...over };
}

function decode(events: Array<Record<string, unknown>>): HubEvent[] {
  const d = new ResponsesDecoder();
  const out: HubEvent[] = [];
  for (const e of events) out.push(...d.push(e, typeof e.type === 'string' ? e.type : undefined));
  return out;
}

describe('wires/responses upstream: buildResponsesRequest', () => {
  it('builds a multi-turn tool conversation with parallel calls, media outputs, and leaves reasoning out', () => {
    const h = parseChatRequest({
      model: 'alias',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'file', file: { file_id: 'file-1', filename: 'a.pdf' } }] },
        {
          role: 'assistant',
          content: 'Checking.',
          reasoning_content: 'thinking',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'fs.read', arguments: '{"p":"a"}' } },
            { id: 'call_2', type: 'function', function: { name: 'shot', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'screenshot' }, { type: 'image_url', image_url: { url: 'https://example.test/s.png', detail: 'low' } }] },
        { role: 'system', content: 'Mid-way note.' },
        { role: 'user', content: 'next' },
      ],
      tools: [
        { type: 'function', function: { name: 'fs.read', description: 'Read', parameters: { type: 'object', properties: { p: { type: 'string' } } } } },
        { type: 'function', function: { name: 'shot', parameters: { type: 'object' }, strict: true } },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: true,
    });
    const { body, dropped } = buildResponsesRequest(h, OPTS);
    assert.deepEqual(body, {
      model: 'gpt-up',
      instructions: 'Be brief.',
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' },
            { type: 'input_file', file_id: 'file-1', filename: 'a.pdf' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'fs_read', arguments: '{"p":"a"}' },
        { type: 'function_call', call_id: 'call_2', name: 'shot', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'No output was recorded for this tool call.' },
        {
          type: 'function_call_output',
          call_id: 'call_2',
          output: [
            { type: 'input_text', text: 'screenshot' },
            { type: 'input_image', image_url: 'https://example.test/s.png', detail: 'low' },
          ],
        },
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Mid-way note.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'next' }] },
      ],
      tools: [
        { type: 'function', name: 'fs_read', description: 'Read', parameters: { type: 'object', properties: { p: { type: 'string' } } }, strict: false },
        { type: 'function', name: 'shot', parameters: { type: 'object' }, strict: true },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      store: false,
      stream: true,
    });
    assert.deepEqual(dropped, ['input:reasoning']);
  });

  it('maps the settings; deployment defaults sit under the client values', () => {
    const { body, dropped } = buildResponsesRequest(
      hub({
        tools: [{ name: 'f', parameters: {} }],
        settings: {
          maxOutputTokens: 500,
          temperature: 0.2,
          topP: 0.5,
          reasoningEffort: 'high',
          responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
          toolChoice: { name: 'f' },
          parallelToolCalls: false,
          user: 'u',
          promptCacheKey: 'pk',
        },
        stream: false,
      }),
      { ...OPTS, stream: false, maxTokens: 64, extraBody: { temperature: 1, reasoning_effort: 'low', reasoning: { summary: 'auto' }, max_tokens: 99, seed: 3, service_tier: 'flex', model: 'ignored', text: { verbosity: 'low' } } },
    );
    assert.deepEqual(body, {
      model: 'gpt-up',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
      temperature: 0.2,
      service_tier: 'flex',
      text: { verbosity: 'low', format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
      tools: [{ type: 'function', name: 'f', parameters: {}, strict: false }],
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: false,
      max_output_tokens: 500,
      top_p: 0.5,
      reasoning: { summary: 'auto', effort: 'high' },
      user: 'u',
      prompt_cache_key: 'pk',
      store: false,
    });
    assert.deepEqual(dropped, ['extra:seed']);
    // Deployment defaults apply when the client says nothing; below 16 is raised to the API's minimum.
    assert.equal(buildResponsesRequest(hub(), { ...OPTS, maxTokens: 64 }).body.max_output_tokens, 64);
    assert.equal(buildResponsesRequest(hub(), { ...OPTS, extraBody: { max_completion_tokens: 77 }, maxTokens: 64 }).body.max_output_tokens, 77);
    const small = buildResponsesRequest(hub({ settings: { maxOutputTokens: 5 } }), OPTS);
    assert.equal(small.body.max_output_tokens, MIN_OUTPUT_TOKENS);
    assert.deepEqual(small.dropped, ['max_output_tokens:min16']);
    assert.deepEqual(buildResponsesRequest(hub({ settings: { responseFormat: { type: 'json_object' } } }), OPTS).body.text, { format: { type: 'json_object' } });
  });

  it('rejected params: 400 naming the client param when drop_params is off, dropped when on; client-automatic ones always dropped', () => {
    const h = hub({ settings: { maxOutputTokens: 100, reasoningEffort: 'low', temperature: 0.5 } });
    const names = new Set(['max_tokens', 'reasoning_effort']);
    assert.throws(
      () => buildResponsesRequest(h, { ...OPTS, dropParamNames: names }),
      (e: unknown) => e instanceof GatewayError && e.status === 400 && e.param === 'max_tokens' && e.code === 'unsupported_parameter' && /drop_params/.test(e.message),
    );
    const on = buildResponsesRequest(h, { ...OPTS, dropParamNames: names, dropParams: true });
    assert.equal(on.body.max_output_tokens, undefined);
    assert.equal(on.body.reasoning, undefined);
    assert.deepEqual(on.dropped.sort(), ['max_output_tokens', 'reasoning']);
    // reasoning alone is dropped silently even with drop_params off
    const auto = buildResponsesRequest(hub({ settings: { reasoningEffort: 'low' } }), { ...OPTS, dropParamNames: new Set(['reasoning']) });
    assert.deepEqual(auto.dropped, ['reasoning']);
    // stop has no Responses equivalent
    assert.throws(
      () => buildResponsesRequest(hub({ settings: { stop: ['END'] } }), OPTS),
      (e: unknown) => e instanceof GatewayError && e.status === 400 && e.param === 'stop',
    );
    assert.deepEqual(buildResponsesRequest(hub({ settings: { stop: ['END'] } }), { ...OPTS, dropParams: true }).dropped, ['stop']);
  });

  it("keeps the door's dropped list and marks tool errors for the model", () => {
    const { body, dropped } = buildResponsesRequest(
      hub({
        dropped: ['seed'],
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', text: null, toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] },
          { role: 'tool', callId: 'c', text: 'file not found', isError: true },
        ],
      }),
      OPTS,
    );
    assert.deepEqual((body.input as unknown[]).at(-1), { type: 'function_call_output', call_id: 'c', output: 'Error: file not found' });
    assert.deepEqual(dropped, ['seed']);
  });
});

describe('wires/responses upstream: ResponsesDecoder', () => {
  it('decodes reasoning, text, parallel function calls (by item id and output index) and usage with cached tokens', () => {
    const events = decode([
      { type: 'response.created', response: { id: 'resp_1', status: 'in_progress', output: [] } },
      { type: 'response.output_item.added', output_index: 0, item: { type: 'reasoning', id: 'rs_1', summary: [] } },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, summary_index: 0, delta: 'Plan ' },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, summary_index: 0, delta: 'A.' },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, summary_index: 1, delta: 'Plan B.' },
      { type: 'response.output_item.added', output_index: 1, item: { type: 'message', id: 'msg_1', role: 'assistant', content: [] } },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Hi' },
      { type: 'response.output_text.done', item_id: 'msg_1', output_index: 1, content_index: 0, text: 'Hi' },
      { type: 'response.output_item.done', output_index: 1, item: { type: 'message', id: 'msg_1', content: [{ type: 'output_text', text: 'Hi' }] } },
      { type: 'response.output_item.added', output_index: 2, item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'fs_read', arguments: '' } },
      { type: 'response.output_item.added', output_index: 3, item: { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'run', arguments: '' } },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 2, delta: '{"p":' },
      { type: 'response.function_call_arguments.delta', output_index: 3, delta: '{"c":1}' },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 2, delta: '"a"}' },
      { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 2, arguments: '{"p":"a"}' },
      { type: 'response.output_item.done', output_index: 2, item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'fs_read', arguments: '{"p":"a"}' } },
      { type: 'response.output_item.done', output_index: 3, item: { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'run', arguments: '{"c":1}' } },
      {
        type: 'response.completed',
        response: { status: 'completed', usage: { input_tokens: 200, input_tokens_details: { cached_tokens: 150 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 25 }, total_tokens: 240 } },
      },
      { type: 'response.output_text.delta', item_id: 'x', delta: 'after the end' },
    ]);
    assert.deepEqual(events, [
      { type: 'reasoning', text: 'Plan ' },
      { type: 'reasoning', text: 'A.' },
      { type: 'reasoning', text: '\n\nPlan B.' },
      { type: 'text', text: 'Hi' },
      { type: 'call', index: 0, id: 'call_1', name: 'fs_read' },
      { type: 'call', index: 1, id: 'call_2', name: 'run' },
      { type: 'call', index: 0, arguments: '{"p":' },
      { type: 'call', index: 1, arguments: '{"c":1}' },
      { type: 'call', index: 0, arguments: '"a"}' },
      { type: 'usage', usage: { input: 200, output: 40, cachedInput: 150, reasoning: 25 } },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('arguments never streamed come from .done or the item; an item without .added still becomes a call; whole items give their text', () => {
    const events = decode([
      { type: 'response.output_item.added', output_index: 0, item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'a', arguments: '' } },
      { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 0, arguments: '{"x":1}' },
      { type: 'response.output_item.done', output_index: 0, item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'a', arguments: '{"x":1}' } },
      { type: 'response.output_item.added', output_index: 1, item: { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'b', arguments: '' } },
      { type: 'response.output_item.done', output_index: 1, item: { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'b', arguments: '{"y":2}' } },
      { type: 'response.output_item.done', output_index: 2, item: { type: 'function_call', id: 'fc_3', call_id: 'call_3', name: 'c', arguments: '{}' } },
      { type: 'response.output_item.done', output_index: 3, item: { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'R' }] } },
      { type: 'response.output_item.done', output_index: 4, item: { type: 'message', id: 'msg_1', content: [{ type: 'output_text', text: 'T' }, { type: 'refusal', refusal: 'No.' }] } },
      { type: 'response.completed', response: { status: 'completed' } },
    ]);
    assert.deepEqual(events, [
      { type: 'call', index: 0, id: 'call_1', name: 'a' },
      { type: 'call', index: 0, arguments: '{"x":1}' },
      { type: 'call', index: 1, id: 'call_2', name: 'b' },
      { type: 'call', index: 1, arguments: '{"y":2}' },
      { type: 'call', index: 2, id: 'call_3', name: 'c', arguments: '{}' },
      { type: 'reasoning', text: 'R' },
      { type: 'text', text: 'T' },
      { type: 'refusal', text: 'No.' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('refusal deltas, separate message items separated, and incomplete answers map to length / content_filter', () => {
    assert.deepEqual(
      decode([
        { type: 'response.output_text.delta', item_id: 'm1', content_index: 0, delta: 'one' },
        { type: 'response.output_text.delta', item_id: 'm2', content_index: 0, delta: 'two' },
        { type: 'response.refusal.delta', item_id: 'm3', content_index: 0, delta: 'nope' },
        { type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 3, output_tokens: 16 } } },
      ]),
      [
        { type: 'text', text: 'one' },
        { type: 'text', text: '\n\ntwo' },
        { type: 'refusal', text: 'nope' },
        { type: 'usage', usage: { input: 3, output: 16 } },
        { type: 'finish', reason: 'length' },
      ],
    );
    assert.deepEqual(decode([{ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'content_filter' } } }]), [{ type: 'finish', reason: 'content_filter' }]);
    assert.deepEqual(decode([{ type: 'response.completed', response: { status: 'completed' } }]), [{ type: 'finish', reason: 'stop' }]);
  });

  it('a stream that carries its content only in the final response object still gives it', () => {
    assert.deepEqual(
      decode([
        { type: 'response.created', response: { status: 'in_progress', output: [] } },
        {
          type: 'response.completed',
          response: {
            status: 'completed',
            output: [
              { type: 'message', id: 'm1', content: [{ type: 'output_text', text: 'All at once.' }] },
              { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{}' },
            ],
            usage: { input_tokens: 1, output_tokens: 2 },
          },
        },
      ]),
      [
        { type: 'text', text: 'All at once.' },
        { type: 'call', index: 0, id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'usage', usage: { input: 1, output: 2 } },
        { type: 'finish', reason: 'tool_calls' },
      ],
    );
  });

  it('the SSE event name is used when data has no type; response.failed and error throw classified UpstreamErrors', () => {
    const d = new ResponsesDecoder();
    assert.deepEqual(d.push({ item_id: 'm', delta: 'x' }, 'response.output_text.delta'), [{ type: 'text', text: 'x' }]);
    assert.throws(
      () => new ResponsesDecoder().push({ type: 'response.failed', response: { status: 'failed', error: { code: 'rate_limit_exceeded', message: 'slow down' } } }, undefined),
      (e: unknown) => e instanceof UpstreamError && e.kind === 'rate_limit' && /slow down/.test(e.message),
    );
    assert.throws(
      () => new ResponsesDecoder().push({ type: 'error', code: 'context_length_exceeded', message: 'too long' }, 'error'),
      (e: unknown) => e instanceof UpstreamError && e.kind === 'context_window',
    );
  });
});

describe('wires/responses upstream: responsesJsonToEvents', () => {
  it('maps a whole response object the same way', () => {
    const events = responsesJsonToEvents({
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      output: [
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'a' }, { type: 'summary_text', text: 'b' }] },
        { type: 'message', id: 'm1', role: 'assistant', content: [{ type: 'output_text', text: 'Hello' }] },
        { type: 'web_search_call', id: 'ws_1' },
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'g', arguments: '{}' },
      ],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 15 },
    });
    assert.deepEqual(events, [
      { type: 'reasoning', text: 'a\n\nb' },
      { type: 'text', text: 'Hello' },
      { type: 'call', index: 0, id: 'call_1', name: 'f', arguments: '{"a":1}' },
      { type: 'call', index: 1, id: 'call_2', name: 'g', arguments: '{}' },
      { type: 'usage', usage: { input: 10, output: 5, cachedInput: 4, reasoning: 2 } },
      { type: 'finish', reason: 'tool_calls' },
    ]);
    assert.deepEqual(responsesJsonToEvents({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [] }), [{ type: 'finish', reason: 'length' }]);
    assert.throws(() => responsesJsonToEvents({ status: 'failed', error: { code: 'server_error', message: 'boom' }, output: [] }), (e: unknown) => e instanceof UpstreamError && e.kind === 'server');
    assert.equal(responsesUsageToHub(null), undefined);
  });
});

describe('wires/responses upstream: hostile answers', () => {
  it('the decoder and responsesJsonToEvents never throw anything but an UpstreamError, and emit one finish at most', () => {
    const TYPES = [
      'response.output_text.delta',
      'response.refusal.delta',
      'response.reasoning_summary_text.delta',
      'response.output_item.added',
      'response.output_item.done',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.completed',
      'response.incomplete',
      'response.failed',
    ];
    const event = fc.record({
      type: fc.constantFrom(...TYPES),
      item_id: fc.option(fc.constantFrom('fc_1', 'm1', '__proto__'), { nil: undefined }),
      output_index: fc.option(fc.oneof(fc.nat(3), hostileJson(1)), { nil: undefined }),
      delta: fc.option(fc.oneof(fc.string({ maxLength: 4 }), hostileJson(1)), { nil: undefined }),
      item: fc.option(fc.oneof(fc.record({ type: fc.constantFrom('function_call', 'message', 'reasoning'), id: fc.constantFrom('fc_1', 'fc_2', 'm1'), call_id: hostileJson(1), name: hostileJson(1), arguments: hostileJson(1), content: hostileJson(2), summary: hostileJson(2) }), hostileJson(2)), { nil: undefined }),
      response: fc.option(hostileJson(3), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 10 }), hostileJson(3), (events, whole) => {
        const d = new ResponsesDecoder();
        const out: HubEvent[] = [];
        try {
          for (const e of events) out.push(...d.push(e as Record<string, unknown>, undefined));
        } catch (e) {
          if (!(e instanceof UpstreamError)) throw e;
        }
        assert.ok(out.filter((e) => e.type === 'finish').length <= 1);
        for (const e of out) if (e.type === 'call') assert.ok(Number.isInteger(e.index) && e.index >= 0);
        if (typeof whole === 'object' && whole !== null && !Array.isArray(whole)) {
          try {
            responsesJsonToEvents(whole as Record<string, unknown>);
          } catch (e) {
            if (!(e instanceof UpstreamError)) throw e;
          }
        }
      }),
      { seed: fuzzSeed(), numRuns: 400 },
    );
  });
});
