/**
 * Integration: an Anthropic Messages deployment (`anthropic/...`) behind both OpenAI doors, driven by the
 * official `openai` SDK against the real gateway on loopback, with a strict local mock of the Messages API
 * (test/helpers/anthropic-mock.ts rejects what the real API rejects: alternation, unanswered tool_use,
 * unsigned or foreign thinking signatures, over 4 cache breakpoints, ...).
 */
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { AnthropicMock, messageReply, overloadedReply, promptTooLongReply, rateLimitReply, textReply, toolUseReply } from '../helpers/anthropic-mock';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';
import { chatText, MockUpstream } from '../helpers/mock-upstream';

describe('Anthropic Messages upstream (openai SDK on both doors, strict Messages mock)', function () {
  let claude: AnthropicMock;
  let backup: MockUpstream;
  let g: TestGateway;
  const keys = { ANTHROPIC_API_KEY: fakeKey('anthropic'), BACKUP_KEY: fakeKey('backup') };
  const client = () => new OpenAI({ baseURL: g.baseURL, apiKey: g.token, maxRetries: 0, timeout: 20_000 });

  before(async () => {
    claude = await AnthropicMock.start({ apiKey: keys.ANTHROPIC_API_KEY });
    backup = await MockUpstream.start({ name: 'backup' });
    g = await startGateway(
      `
model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${claude.origin}
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: claude-solo
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${claude.origin}
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: backup
    litellm_params:
      model: openai_compatible/backup-model
      api_base: ${backup.baseUrl}
      api_key: os.environ/BACKUP_KEY
router_settings:
  num_retries: 0
  retry_after: 0
  fallbacks:
    - claude: [backup]
`,
      keys,
    );
  });
  after(async () => {
    await g?.close();
    await claude?.close();
    await backup?.close();
  });

  /** The last request the mock received, asserted valid by the mock's own validator. */
  function lastValid(): any {
    const r = claude.requests.at(-1)!;
    assert.deepEqual(r.problems, [], `the Messages mock rejected the request: ${r.problems.join('; ')}`);
    assert.equal(r.headers['x-api-key'], keys.ANTHROPIC_API_KEY);
    assert.ok(r.headers['anthropic-version'], 'anthropic-version header sent');
    return r.body;
  }

  it('Responses door, not streamed: text answer, usage with cached tokens, system from developer text', async () => {
    claude.enqueue(textReply('Hello from Claude', { usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 90, cache_creation_input_tokens: 5 } }));
    const r = await client().responses.create({ model: 'claude', input: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: 'hi' }], max_output_tokens: 256 });
    assert.equal(r.output_text, 'Hello from Claude');
    assert.equal(r.status, 'completed');
    assert.equal(r.usage?.input_tokens, 105, 'input includes cache reads and writes (OpenAI convention)');
    assert.equal(r.usage?.input_tokens_details.cached_tokens, 90);
    const body = lastValid();
    assert.equal(body.model, 'claude-sonnet-4-5');
    assert.equal(body.max_tokens, 256);
    assert.match(JSON.stringify(body.system), /Be brief\./);
    assert.equal(body.messages[0].role, 'user');
  });

  it('Responses door, streamed: thinking becomes a reasoning item whose signature returns byte-exact on the tool turn', async () => {
    claude.enqueue(toolUseReply([{ id: 'toolu_01', name: 'exec_command', input: { cmd: 'ls' } }], { thinking: 'I should list the files.' }));
    const tools = [{ type: 'function' as const, name: 'exec_command', description: 'run', parameters: { type: 'object', properties: { cmd: { type: 'string' } } }, strict: false }];
    const stream = await client().responses.create({ model: 'claude', input: 'list files', tools, reasoning: { effort: 'low' }, stream: true });
    const items: any[] = [];
    for await (const ev of stream) if (ev.type === 'response.output_item.done') items.push(ev.item);
    const first = lastValid();
    assert.equal(first.thinking?.type, 'enabled', 'reasoning.effort turns thinking on');
    const reasoning = items.find((i) => i.type === 'reasoning');
    const call = items.find((i) => i.type === 'function_call');
    assert.ok(reasoning && call, `reasoning and function_call items: ${JSON.stringify(items.map((i) => i.type))}`);
    assert.match(reasoning.encrypted_content, /^cgw2:/);
    assert.equal(call.call_id, 'toolu_01');
    assert.deepEqual(JSON.parse(call.arguments), { cmd: 'ls' });
    const issued = [...claude.issuedSignatures];

    claude.enqueue(textReply('Two files.'));
    const r2 = await client().responses.create({
      model: 'claude',
      tools,
      reasoning: { effort: 'low' },
      input: [{ role: 'user', content: 'list files' }, reasoning, call, { type: 'function_call_output', call_id: 'toolu_01', output: 'a.txt\nb.txt' }],
    });
    assert.equal(r2.output_text, 'Two files.');
    const second = lastValid();
    const assistant = second.messages.find((m: any) => m.role === 'assistant');
    const thinking = assistant.content.find((b: any) => b.type === 'thinking');
    assert.equal(thinking.thinking, 'I should list the files.');
    assert.ok(issued.includes(thinking.signature), 'the signature the mock issued came back unchanged');
    const result = second.messages.at(-1).content.find((b: any) => b.type === 'tool_result');
    assert.equal(result.tool_use_id, 'toolu_01');
  });

  it('Chat door, streamed: parallel tool_use blocks become tool_calls the SDK assembles', async () => {
    claude.enqueue(
      toolUseReply([
        { id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
        { id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
      ]),
    );
    const stream = client().chat.completions.stream({
      model: 'claude',
      messages: [{ role: 'user', content: 'weather in Paris and Rome' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    const done = await stream.finalChatCompletion();
    const calls = done.choices[0].message.tool_calls!;
    assert.equal(done.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(
      calls.map((c: any) => [c.id, c.function.name, JSON.parse(c.function.arguments)]),
      [
        ['toolu_a', 'get_weather', { city: 'Paris' }],
        ['toolu_b', 'get_weather', { city: 'Rome' }],
      ],
    );
    lastValid();
  });

  it('Chat door, not streamed: a tool result turn is sent as tool_result blocks in the next user turn', async () => {
    claude.enqueue(textReply('It is sunny.'));
    const r = await client().chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_x', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_x', content: 'sunny' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    assert.equal(r.choices[0].message.content, 'It is sunny.');
    const body = lastValid();
    const last = body.messages.at(-1);
    assert.equal(last.role, 'user');
    assert.equal(last.content[0].type, 'tool_result');
    assert.equal(last.content[0].tool_use_id, 'toolu_x');
  });

  it('max_tokens stop becomes response.incomplete (max_output_tokens)', async () => {
    claude.enqueue(messageReply([{ type: 'text', text: 'cut' }], { stopReason: 'max_tokens' }));
    const r = await client().responses.create({ model: 'claude', input: 'long story' });
    assert.equal(r.status, 'incomplete');
    assert.equal(r.incomplete_details?.reason, 'max_output_tokens');
  });

  it('overloaded_error (529) falls back to the chat alias', async () => {
    claude.enqueue(overloadedReply());
    backup.enqueue(chatText('from the backup'));
    const { data, response } = await client().responses.create({ model: 'claude', input: 'hi' }).withResponse();
    assert.equal(data.output_text, 'from the backup');
    assert.equal(response.headers.get('x-codex-gateway-fallback-from'), 'claude');
  });

  it('rate_limit_error with retry-after reaches the client as 429 with Retry-After (no fallback configured)', async () => {
    claude.enqueue(rateLimitReply(2));
    await assert.rejects(client().chat.completions.create({ model: 'claude-solo', messages: [{ role: 'user', content: 'hi' }] }), (e: any) => {
      assert.equal(e.status, 429);
      assert.ok(Number(e.headers?.get?.('retry-after') ?? e.headers?.['retry-after']) >= 1, 'Retry-After set');
      return true;
    });
  });

  it('a too-long prompt becomes context_length_exceeded (400)', async () => {
    // 'claude' has fallbacks, but a context-window failure only follows context_window_fallbacks (none here).
    claude.enqueue(promptTooLongReply());
    const res = await fetch(`${g.baseURL}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', input: 'x' }),
    });
    const body = (await res.json()) as any;
    assert.equal(res.status, 400);
    assert.equal(body.error.code, 'context_length_exceeded');
    assert.ok(!JSON.stringify(body).includes(keys.ANTHROPIC_API_KEY));
  });
});
