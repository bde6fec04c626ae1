/**
 * The Chat Completions door (src/gateway/wires/chat/door.ts): a client's Chat request -> hub request, and
 * hub events -> `chat.completion.chunk` SSE frames / one `chat.completion`. Example-based; the property test
 * is chat-door-props.test.ts and the openai SDK reading the frames is chat-door-sdk.test.ts.
 */
import { strict as assert } from 'node:assert';
import { GatewayError, UpstreamError } from '../../../src/gateway/errors';
import type { HubEvent, HubRequest } from '../../../src/gateway/hub/types';
import { ChatEncoder, NO_OUTPUT_TEXT, flatToolName, foldChatCompletion, newChatCompletionId, parseChatRequest } from '../../../src/gateway/wires/chat/door';
import type { EncodeContext } from '../../../src/gateway/wires/types';

/** Parses, expecting a GatewayError 400; returns it. */
function rejects(body: Record<string, unknown>): GatewayError {
  try {
    parseChatRequest(body);
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.equal(e.type, 'invalid_request_error');
    assert.ok(e.param, 'param is set');
    return e;
  }
  assert.fail('expected the request to be rejected');
}

/** Parses the SSE text an encoder wrote into its data payloads (JSON, or the string `[DONE]`). */
function frames(sse: string): unknown[] {
  assert.ok(sse.endsWith('\n\n'), 'the text ends on a frame boundary');
  return sse
    .split('\n\n')
    .filter((f) => f.length > 0)
    .map((f) => {
      assert.ok(f.startsWith('data: '), `frame starts with "data: ": ${f}`);
      assert.ok(!f.slice(6).includes('\n'), 'one data line per frame');
      const d = f.slice(6);
      return d === '[DONE]' ? d : JSON.parse(d);
    });
}

function ctx(hub: HubRequest | undefined, request: Record<string, unknown> = {}): EncodeContext {
  return { id: 'chatcmpl-test', alias: 'my-alias', createdAt: 1700000000, tools: hub?.toolMap ?? { byUpstream: new Map() }, request };
}

function encodeAll(events: HubEvent[], c: EncodeContext): { sse: string; enc: ChatEncoder } {
  const enc = new ChatEncoder(c);
  let sse = enc.start();
  for (const ev of events) sse += enc.push(ev);
  sse += enc.end();
  return { sse, enc };
}

describe('wires/chat door: parseChatRequest', () => {
  it('joins the leading system/developer messages and keeps a later system message in place', () => {
    const hub = parseChatRequest({
      model: 'a',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'Now switch to German.' },
        { role: 'user', content: 'again' },
      ],
    });
    assert.equal(hub.system, 'You are terse.\n\nAnswer in French.');
    assert.deepEqual(hub.messages, [
      { role: 'user', content: 'hi' },
      { role: 'system', text: 'Now switch to German.' },
      { role: 'user', content: 'again' },
    ]);
    assert.equal(hub.stream, false);
    assert.deepEqual(hub.tools, []);
  });

  it('maps user parts (text, image_url with detail, file) and keeps text-only parts as one string', () => {
    const hub = parseChatRequest({
      model: 'a',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://example.test/x.png', detail: 'original' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,QUJD', filename: 'a.pdf' } },
            { type: 'file', file: { file_id: 'file-1' } },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          ],
        },
      ],
    });
    assert.equal(hub.messages[0].role === 'user' && hub.messages[0].content, 'one\ntwo');
    assert.deepEqual(hub.messages[1], {
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image', url: 'data:image/png;base64,AAAA', detail: 'high' },
        { type: 'image', url: 'https://example.test/x.png' },
        { type: 'file', fileData: 'data:application/pdf;base64,QUJD', filename: 'a.pdf' },
        { type: 'file', fileId: 'file-1' },
      ],
    });
    assert.ok(hub.dropped.includes('content:input_audio'));
  });

  it('pairs multi-turn parallel tool calls: answers pulled forward in call order, a missing one noted, an orphan kept as user text', () => {
    const hub = parseChatRequest({
      model: 'a',
      messages: [
        { role: 'user', content: 'list and read' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'I will call both.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'ls', arguments: '{"dir":"."}' } },
            { id: 'call_b', type: 'function', function: { name: 'cat', arguments: '' } },
            { id: 'call_c', type: 'function', function: { name: 'cat', arguments: '{"f":"y"}' } },
          ],
        },
        // answers out of order, one missing, with a user message in between
        { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: 'B' }] },
        { role: 'user', content: 'also this' },
        { role: 'tool', tool_call_id: 'call_a', content: 'A' },
        { role: 'tool', tool_call_id: 'call_zzz', content: 'stray' },
        { role: 'assistant', content: 'Done.' },
      ],
    });
    assert.deepEqual(hub.messages, [
      { role: 'user', content: 'list and read' },
      {
        role: 'assistant',
        text: null,
        reasoning: [{ text: 'I will call both.' }],
        toolCalls: [
          { id: 'call_a', name: 'ls', arguments: '{"dir":"."}' },
          { id: 'call_b', name: 'cat', arguments: '{}' },
          { id: 'call_c', name: 'cat', arguments: '{"f":"y"}' },
        ],
      },
      { role: 'tool', callId: 'call_a', text: 'A' },
      { role: 'tool', callId: 'call_b', text: 'B' },
      { role: 'tool', callId: 'call_c', text: NO_OUTPUT_TEXT },
      { role: 'user', content: 'also this' },
      { role: 'user', content: 'Output of tool call call_zzz:\nstray' },
      { role: 'assistant', text: 'Done.' },
    ]);
  });

  it('gives a repeated call id to the nearest assistant message before the answer', () => {
    const hub = parseChatRequest({
      model: 'a',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'same', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'user', content: 'y' },
        { role: 'assistant', tool_calls: [{ id: 'same', type: 'function', function: { name: 'f', arguments: '{"n":2}' } }] },
        { role: 'tool', tool_call_id: 'same', content: 'second' },
      ],
    });
    const tools = hub.messages.filter((m) => m.role === 'tool');
    assert.deepEqual(tools, [
      { role: 'tool', callId: 'same', text: NO_OUTPUT_TEXT },
      { role: 'tool', callId: 'same', text: 'second' },
    ]);
    assert.equal(hub.messages[4].role, 'assistant');
    assert.deepEqual(hub.messages[5], { role: 'tool', callId: 'same', text: 'second' });
  });

  it('reads the legacy function_call / function messages and functions / function_call parameters', () => {
    const hub = parseChatRequest({
      model: 'a',
      functions: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      function_call: { name: 'get_weather' },
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        { role: 'function', name: 'get_weather', content: 'rain' },
      ],
    });
    assert.deepEqual(hub.tools, [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]);
    assert.deepEqual(hub.settings.toolChoice, { name: 'get_weather' });
    assert.deepEqual(hub.messages.slice(1), [
      { role: 'assistant', text: null, toolCalls: [{ id: 'call_legacy_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
      { role: 'tool', callId: 'call_legacy_1', text: 'rain' },
    ]);
  });

  it('flattens invalid tool names (history, tools, tool_choice alike) and maps them back', () => {
    const hub = parseChatRequest({
      model: 'a',
      tools: [
        { type: 'function', function: { name: 'files.read', description: 'Read a file', parameters: { type: 'object' }, strict: true } },
        { type: 'function', function: { name: 'files_read' } },
        { type: 'function', function: { name: 'ok-name' } },
        { type: 'custom', custom: { name: 'patch' } },
        { type: 'web_search' },
      ],
      tool_choice: { type: 'function', function: { name: 'files.read' } },
      parallel_tool_calls: false,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'files.read', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'data' },
      ],
    });
    // `files_read` is valid and reserved first, so `files.read` flattens to `files_read_2`.
    assert.equal(flatToolName('files.read'), 'files_read');
    assert.deepEqual(
      hub.tools.map((t) => t.name),
      ['files_read_2', 'files_read', 'ok-name'],
    );
    assert.deepEqual(hub.tools[0], { name: 'files_read_2', description: 'Read a file', parameters: { type: 'object' }, strict: true });
    assert.deepEqual(hub.tools[1].parameters, { type: 'object', properties: {} });
    assert.equal(hub.toolMap.byUpstream.get('files_read_2')?.name, 'files.read');
    assert.deepEqual(hub.settings.toolChoice, { name: 'files_read_2' });
    assert.equal(hub.settings.parallelToolCalls, false);
    const a = hub.messages[1];
    assert.ok(a.role === 'assistant' && a.toolCalls?.[0].name === 'files_read_2');
    assert.ok(hub.dropped.includes('tools:custom'));
    assert.ok(hub.dropped.includes('tools:web_search'));
  });

  it('reads the settings', () => {
    const hub = parseChatRequest({
      model: 'a',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 50,
      max_completion_tokens: 70,
      temperature: 0.3,
      top_p: 0.9,
      reasoning_effort: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      stop: 'END',
      user: 'u1',
      prompt_cache_key: 'k',
      stream: true,
      stream_options: { include_usage: true },
      seed: 7,
      tool_choice: 'required',
    });
    assert.deepEqual(hub.settings, {
      maxOutputTokens: 70,
      temperature: 0.3,
      topP: 0.9,
      reasoningEffort: 'low',
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
      toolChoice: 'required',
      stop: ['END'],
      user: 'u1',
      promptCacheKey: 'k',
    });
    assert.equal(hub.stream, true);
    assert.deepEqual(hub.dropped, ['seed']);
    assert.deepEqual(parseChatRequest({ model: 'a', messages: [{ role: 'user', content: 'x' }], stop: ['a', ''], response_format: { type: 'text' }, tool_choice: 'any' }).settings, {
      stop: ['a'],
      toolChoice: 'required',
    });
  });

  it('rejects malformed input with a 400 that names the field and what to send', () => {
    assert.equal(rejects({ model: 'a' }).param, 'messages');
    assert.equal(rejects({ model: 'a', messages: [] }).param, 'messages');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'wizard', content: 'x' }] }).param, 'messages[0].role');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user' }] }).param, 'messages[0].content');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'tool', content: 'x' }] }).param, 'messages[0].tool_call_id');
    const e = rejects({ model: 'a', messages: [{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }] });
    assert.equal(e.param, 'messages[0].tool_calls[0].id');
    assert.match(e.message, /tool_call_id/);
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }).param, 'messages[0].content[0].image_url.url');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user', content: 'x' }], n: 2 }).param, 'n');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }).param, 'max_tokens');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }).param, 'temperature');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user', content: 'x' }], stop: [1] }).param, 'stop');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: {} }] }).param, 'tools[0].function.name');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user', content: 'x' }], tool_choice: 'sometimes' }).param, 'tool_choice');
    assert.equal(rejects({ model: 'a', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'yaml' } }).param, 'response_format.type');
  });
});

describe('wires/chat door: ChatEncoder', () => {
  it('streams role, reasoning, text, refusal and the finish, then [DONE]; no usage chunk unless asked', () => {
    const { sse, enc } = encodeAll(
      [
        { type: 'reasoning', text: 'hmm' },
        { type: 'reasoning_signature', signature: 'sig' },
        { type: 'text', text: 'Hel' },
        { type: 'text', text: 'lo' },
        { type: 'refusal', text: 'no' },
        { type: 'finish', reason: 'refusal' },
        { type: 'usage', usage: { input: 10, output: 5 } },
      ],
      ctx(undefined),
    );
    const fs = frames(sse);
    assert.equal(fs.at(-1), '[DONE]');
    const chunks = fs.slice(0, -1) as Array<Record<string, any>>;
    for (const c of chunks) {
      assert.equal(c.id, 'chatcmpl-test');
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.created, 1700000000);
      assert.equal(c.model, 'my-alias');
    }
    assert.deepEqual(
      chunks.map((c) => [c.choices[0].delta, c.choices[0].finish_reason]),
      [
        [{ role: 'assistant', content: '' }, null],
        [{ reasoning_content: 'hmm' }, null],
        [{ content: 'Hel' }, null],
        [{ content: 'lo' }, null],
        [{ refusal: 'no' }, null],
        [{}, 'stop'],
      ],
    );
    assert.deepEqual(enc.usage, { input: 10, output: 5 });
    assert.equal(enc.push({ type: 'text', text: 'late' }), '');
    assert.equal(enc.end(), '');
  });

  it('streams parallel tool calls with id/type/name on the first fragment only, names mapped back, and usage with cached tokens when asked', () => {
    const hub = parseChatRequest({
      model: 'a',
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'fs.read' } }, { type: 'function', function: { name: 'run' } }],
    });
    const c = ctx(hub, { stream: true, stream_options: { include_usage: true } });
    const { sse } = encodeAll(
      [
        { type: 'text', text: 'Calling.' },
        { type: 'call', index: 0, id: 'call_1', name: 'fs_read' },
        { type: 'call', index: 1, id: 'call_2', name: 'run', arguments: '{"cmd":' },
        { type: 'call', index: 0, arguments: '{"path":"a"}' },
        { type: 'call', index: 1, arguments: '"ls"}' },
        // fragments before the name are held
        { type: 'call', index: 2, arguments: '{"z"' },
        { type: 'call', index: 2, id: 'call_3', name: 'run', arguments: ':1}' },
        { type: 'call', index: 3, id: 'call_4', name: 'run' },
        { type: 'usage', usage: { input: 100, output: 20, cachedInput: 60, reasoning: 7 } },
        { type: 'finish', reason: 'stop' },
      ],
      c,
    );
    const chunks = frames(sse) as Array<Record<string, any>>;
    assert.equal(chunks.at(-1), '[DONE]');
    const deltas = chunks.slice(1, -2).map((ch) => ch.choices[0].delta);
    assert.deepEqual(deltas, [
      { content: 'Calling.' },
      { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'fs.read', arguments: '' } }] },
      { tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'run', arguments: '{"cmd":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"path":"a"}' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '"ls"}' } }] },
      { tool_calls: [{ index: 2, id: 'call_3', type: 'function', function: { name: 'run', arguments: '{"z":1}' } }] },
      { tool_calls: [{ index: 3, id: 'call_4', type: 'function', function: { name: 'run', arguments: '' } }] },
      { tool_calls: [{ index: 3, function: { arguments: '{}' } }] },
      {},
    ]);
    assert.equal(chunks.at(-3)!.choices[0].finish_reason, 'tool_calls', 'a stop with calls is reported as tool_calls');
    const usageChunk = chunks.at(-2) as Record<string, any>;
    assert.deepEqual(usageChunk.choices, []);
    assert.deepEqual(usageChunk.usage, {
      prompt_tokens: 100,
      completion_tokens: 20,
      total_tokens: 120,
      prompt_tokens_details: { cached_tokens: 60 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
  });

  it('maps finish reasons: length, content_filter, pause -> stop', () => {
    for (const [reason, expected] of [
      ['length', 'length'],
      ['content_filter', 'content_filter'],
      ['pause', 'stop'],
      ['tool_calls', 'tool_calls'],
    ] as const) {
      const fs = frames(encodeAll([{ type: 'text', text: 'x' }, { type: 'finish', reason }], ctx(undefined)).sse) as Array<Record<string, any>>;
      assert.equal(fs.at(-2)!.choices[0].finish_reason, expected, reason);
    }
  });

  it('answers a legacy functions request with function_call deltas', () => {
    const fs = frames(
      encodeAll(
        [
          { type: 'call', index: 0, id: 'call_1', name: 'get_weather', arguments: '{"city"' },
          { type: 'call', index: 0, arguments: ':"Oslo"}' },
          { type: 'finish', reason: 'tool_calls' },
        ],
        ctx(undefined, { functions: [{ name: 'get_weather' }] }),
      ).sse,
    ) as Array<Record<string, any>>;
    assert.deepEqual(
      fs.slice(1, -1).map((c) => [c.choices[0].delta, c.choices[0].finish_reason]),
      [
        [{ function_call: { name: 'get_weather', arguments: '{"city"' } }, null],
        [{ function_call: { arguments: ':"Oslo"}' } }, null],
        [{}, 'function_call'],
      ],
    );
  });

  it('fail() writes one error frame in the pass-through shape and nothing after it', () => {
    const enc = new ChatEncoder(ctx(undefined));
    let sse = enc.start() + enc.push({ type: 'text', text: 'partial' });
    sse += enc.fail(new UpstreamError('timeout', 'stalled'), 'The upstream went silent. Send the request again.');
    assert.equal(enc.end(), '');
    assert.equal(enc.push({ type: 'text', text: 'x' }), '');
    const fs = frames(sse);
    assert.deepEqual(fs.at(-1), { error: { message: 'The upstream went silent. Send the request again.', type: 'upstream_error', code: 'upstream_timeout', param: null } });
    assert.ok(!sse.includes('[DONE]'));
    assert.equal((frames(new ChatEncoder(ctx(undefined)).fail(undefined, 'm'))[0] as any).error.code, 'server_error');
  });

  it('end() without a finish still closes the answer properly', () => {
    const fs = frames(new ChatEncoder(ctx(undefined)).end()) as Array<Record<string, any>>;
    assert.equal(fs.length, 3);
    assert.equal(fs[1].choices[0].finish_reason, 'stop');
  });

  it('newChatCompletionId() mints chatcmpl- ids', () => {
    assert.match(newChatCompletionId(), /^chatcmpl-[0-9a-f]{24}$/);
    assert.notEqual(newChatCompletionId(), newChatCompletionId());
  });
});

describe('wires/chat door: foldChatCompletion', () => {
  it('folds text, reasoning, refusal, tool calls (names mapped back), finish and usage into one chat.completion', () => {
    const hub = parseChatRequest({ model: 'a', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'fs.read' } }] });
    const out = foldChatCompletion(
      [
        { type: 'reasoning', text: 'think ' },
        { type: 'reasoning', text: 'more' },
        { type: 'text', text: 'Reading.' },
        { type: 'call', index: 0, id: 'call_1', name: 'fs_read', arguments: '{"p":' },
        { type: 'call', index: 1, id: 'call_2', name: 'other' },
        { type: 'call', index: 0, arguments: '1}' },
        { type: 'finish', reason: 'tool_calls' },
        { type: 'usage', usage: { input: 9, output: 3, cachedInput: 4 } },
      ],
      ctx(hub),
    );
    assert.deepEqual(out, {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1700000000,
      model: 'my-alias',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Reading.',
            refusal: null,
            reasoning_content: 'think more',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'fs.read', arguments: '{"p":1}' } },
              { id: 'call_2', type: 'function', function: { name: 'other', arguments: '{}' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 0 } },
    });
  });

  it('a refusal has content null and finish stop; no usage when none was reported', () => {
    const out = foldChatCompletion([{ type: 'refusal', text: 'I cannot.' }, { type: 'finish', reason: 'refusal' }], ctx(undefined)) as any;
    assert.deepEqual(out.choices[0].message, { role: 'assistant', content: null, refusal: 'I cannot.' });
    assert.equal(out.choices[0].finish_reason, 'stop');
    assert.equal(out.usage, undefined);
  });
});
