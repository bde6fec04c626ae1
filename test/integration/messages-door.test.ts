/**
 * Integration: the `/v1/messages` door (Anthropic Messages, what Claude Code speaks) driven by the official
 * `@anthropic-ai/sdk` against the real gateway on loopback: an alias on an Anthropic deployment (relayed
 * to the strict Messages mock, headers forwarded) and an alias on a Chat Completions deployment
 * (translated through the hub); count_tokens; errors in Anthropic's shape.
 */
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { AnthropicMock, textReply, toolUseReply } from '../helpers/anthropic-mock';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';
import { createParser } from 'eventsource-parser';
import { faultReply } from '../helpers/fault-upstream';
import { chatText, chatToolCalls, errorReply, MockUpstream } from '../helpers/mock-upstream';

describe('/v1/messages door (@anthropic-ai/sdk client)', function () {
  let claude: AnthropicMock;
  let chat: MockUpstream;
  let g: TestGateway;
  const keys = { ANTHROPIC_API_KEY: fakeKey('anthropic'), DEEPSEEK_API_KEY: fakeKey('deepseek') };
  /** An SDK client sending the gateway token as `Authorization: Bearer` (authToken) or as `x-api-key` (apiKey). */
  const sdk = (opts: { apiKey?: string; authToken?: string } = {}) =>
    opts.apiKey !== undefined
      ? new Anthropic({ baseURL: g.url, apiKey: opts.apiKey, maxRetries: 0, timeout: 20_000 })
      : new Anthropic({ baseURL: g.url, authToken: opts.authToken ?? g.token, maxRetries: 0, timeout: 20_000 });

  before(async () => {
    claude = await AnthropicMock.start({ apiKey: keys.ANTHROPIC_API_KEY });
    chat = await MockUpstream.start({ name: 'deepseek' });
    g = await startGateway(
      `
model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${claude.origin}
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: ds
    litellm_params:
      model: deepseek/deepseek-chat
      api_base: ${chat.baseUrl}
      api_key: os.environ/DEEPSEEK_API_KEY
router_settings:
  num_retries: 0
  model_group_alias:
    claude-haiku-4-5: ds
`,
      keys,
    );
  });
  after(async () => {
    await g?.close();
    await claude?.close();
    await chat?.close();
  });

  it('relays to an Anthropic deployment: streamed, anthropic-beta forwarded, cache_control kept, x-api-key accepted', async () => {
    claude.enqueue(textReply('Hi from Claude'));
    const stream = sdk({ apiKey: g.token }).messages.stream(
      {
        model: 'claude',
        max_tokens: 100,
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'hi' }],
      },
      { headers: { 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' } },
    );
    const msg = await stream.finalMessage();
    assert.equal((msg.content[0] as { text: string }).text, 'Hi from Claude');
    const r = claude.requests.at(-1)!;
    assert.deepEqual(r.problems, []);
    assert.equal(r.headers['anthropic-beta'], 'claude-code-20250219,interleaved-thinking-2025-05-14');
    assert.equal(r.headers['x-api-key'], keys.ANTHROPIC_API_KEY, 'the provider key, not the gateway token');
    assert.equal(r.body.model, 'claude-sonnet-4-5');
    assert.deepEqual(r.body.system[0].cache_control, { type: 'ephemeral' });
  });

  it('translates for a chat deployment: text, then a tool_use the SDK assembles, then tool_result back as a tool message', async () => {
    chat.enqueue(chatToolCalls([{ id: 'call_1', name: 'Bash', arguments: '{"command":"ls"}' }]));
    const tools = [{ name: 'Bash', description: 'run', input_schema: { type: 'object' as const, properties: { command: { type: 'string' } } } }];
    const first = await sdk().messages.stream({ model: 'ds', max_tokens: 200, tools, messages: [{ role: 'user', content: 'list' }] }).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b) => b.type === 'tool_use') as { id: string; name: string; input: unknown };
    assert.equal(use.name, 'Bash');
    assert.deepEqual(use.input, { command: 'ls' });

    chat.enqueue(chatText('two files'));
    const second = await sdk().messages.create({
      model: 'ds',
      max_tokens: 200,
      tools,
      messages: [
        { role: 'user', content: 'list' },
        { role: 'assistant', content: first.content as never },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'a\nb' }] },
      ],
    });
    assert.equal((second.content[0] as { text: string }).text, 'two files');
    const body = chat.requests.at(-1)!.body;
    const tool = body.messages.find((m: any) => m.role === 'tool');
    assert.equal(tool.content, 'a\nb');
    assert.equal(body.messages.find((m: any) => m.role === 'assistant').tool_calls[0].id, tool.tool_call_id);
  });

  it('maps a tier name by model_group_alias and ignores the [1m] suffix', async () => {
    chat.enqueue(chatText('haiku via ds'));
    const msg = await sdk().messages.create({ model: 'claude-haiku-4-5[1m]', max_tokens: 50, messages: [{ role: 'user', content: 'title?' }] });
    assert.equal((msg.content[0] as { text: string }).text, 'haiku via ds');
  });

  it('answers count_tokens with an estimate', async () => {
    const r = await sdk().messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: 'x'.repeat(400) }] });
    assert.ok(r.input_tokens >= 90 && r.input_tokens <= 200, `estimate ${r.input_tokens}`);
  });

  it('errors in Anthropic shape: unknown alias (404 naming it and the known aliases), bad token (401), upstream 5xx (529 overloaded)', async () => {
    await assert.rejects(sdk().messages.create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e: any) => {
      assert.equal(e.status, 404);
      assert.equal(e.error?.type, 'error');
      assert.equal(e.error?.error?.type, 'not_found_error');
      assert.match(e.error.error.message, /nope/);
      assert.match(e.error.error.message, /claude/);
      return true;
    });
    await assert.rejects(sdk({ authToken: 'wrong-token' }).messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e: any) => {
      assert.equal(e.status, 401);
      assert.equal(e.error?.error?.type, 'authentication_error');
      return true;
    });
    chat.enqueue(errorReply(503));
    await assert.rejects(sdk().messages.create({ model: 'ds', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e: any) => {
      assert.equal(e.status, 529);
      assert.equal(e.error?.error?.type, 'overloaded_error');
      assert.ok(!JSON.stringify(e.error).includes(keys.DEEPSEEK_API_KEY));
      return true;
    });
  });

  it('refuses server tools (web search) on a translated alias with a clear message', async () => {
    await assert.rejects(
      sdk().messages.create({ model: 'ds', max_tokens: 10, tools: [{ type: 'web_search_20250305', name: 'web_search' } as never], messages: [{ role: 'user', content: 'x' }] }),
      (e: any) => {
        assert.equal(e.status, 400);
        assert.equal(e.error?.error?.type, 'invalid_request_error');
        assert.match(e.error.error.message, /web_search/);
        return true;
      },
    );
  });

  it('relays a tool turn to Claude with the thinking signature the mock issued', async () => {
    claude.enqueue(toolUseReply([{ id: 'toolu_9', name: 'Bash', input: { command: 'pwd' } }], { thinking: 'check dir' }));
    const tools = [{ name: 'Bash', description: 'run', input_schema: { type: 'object' as const, properties: {} } }];
    const first = await sdk().messages.create({ model: 'claude', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools, messages: [{ role: 'user', content: 'where?' }] });
    claude.enqueue(textReply('/tmp'));
    const second = await sdk().messages.create({
      model: 'claude',
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools,
      messages: [
        { role: 'user', content: 'where?' },
        { role: 'assistant', content: first.content as never },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: '/tmp' }] },
      ],
    });
    assert.deepEqual(claude.requests.at(-1)!.problems, [], JSON.stringify(claude.requests.at(-1)!.body.messages));
    assert.equal((second.content[0] as { text: string }).text, '/tmp');
  });
});

describe('/v1/messages door under upstream faults (translated alias)', function () {
  let chat: MockUpstream;
  let g: TestGateway;
  const keys = { DEEPSEEK_API_KEY: fakeKey('deepseek') };
  const sdk = () => new Anthropic({ baseURL: g.url, authToken: g.token, maxRetries: 0, timeout: 20_000 });

  before(async () => {
    chat = await MockUpstream.start({ name: 'faulty' });
    g = await startGateway(
      `
model_list:
  - model_name: ds
    litellm_params:
      model: deepseek/deepseek-chat
      api_base: ${chat.baseUrl}
      api_key: os.environ/DEEPSEEK_API_KEY
      timeout: 1
router_settings:
  num_retries: 0
  cooldown_time: 0   # each case sees its own fault, not the cooldown the previous ones earned
gateway_settings:
  stream_idle_timeout_ms: 400
`,
      keys,
    );
  });
  after(async () => {
    await g?.close();
    await chat?.close();
  });

  /** A streamed /v1/messages request read raw: status and the parsed SSE events. */
  async function rawStream(): Promise<{ status: number; events: { event?: string; data: string }[]; text: string }> {
    const res = await fetch(`${g.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'ds', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await res.text();
    const events: { event?: string; data: string }[] = [];
    createParser({ onEvent: (e) => events.push({ event: e.event, data: e.data }) }).feed(text);
    return { status: res.status, events, text };
  }

  /** Asserts the stream ended with Anthropic's `event: error` on a fresh frame, every data being JSON. */
  function assertEndsWithError(r: { events: { event?: string; data: string }[]; text: string }, type: string): void {
    for (const e of r.events) assert.doesNotThrow(() => JSON.parse(e.data), `event data is JSON: ${e.data.slice(0, 80)}`);
    const last = r.events.at(-1)!;
    assert.equal(last.event, 'error');
    assert.equal(JSON.parse(last.data).error.type, type);
    assert.ok(r.text.endsWith('\n\n'), 'the error frame is whole');
    assert.ok(!r.events.some((e) => e.event === 'message_stop'), 'no message_stop after a failure');
    assert.ok(!r.text.includes(keys.DEEPSEEK_API_KEY));
  }

  it('a stream that stalls mid-answer ends with event: error (overloaded_error, which Claude Code retries) within the idle limit', async () => {
    chat.enqueue(faultReply('stall_mid_body'));
    const t0 = Date.now();
    const r = await rawStream();
    assert.equal(r.status, 200);
    assertEndsWithError(r, 'overloaded_error');
    assert.ok(Date.now() - t0 < 400 + 3_000, `ended in ${Date.now() - t0} ms`);
  });

  it('a stream cut in the middle of an SSE line ends with a whole error frame, and the SDK throws', async () => {
    chat.enqueue(faultReply('cut_mid_line'));
    assertEndsWithError(await rawStream(), 'overloaded_error');
    chat.enqueue(faultReply('cut_mid_line'));
    await assert.rejects(sdk().messages.stream({ model: 'ds', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).finalMessage());
  });

  it('garbage before the first byte (a 2xx HTML page) is a 502 api_error in Anthropic shape; headers that never come, a 504 timeout_error', async () => {
    chat.enqueue(faultReply('html_200'));
    await assert.rejects(sdk().messages.create({ model: 'ds', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }), (e: any) => {
      assert.equal(e.status, 502);
      assert.equal(e.error?.error?.type, 'api_error');
      return true;
    });
    chat.enqueue(faultReply('no_headers'));
    const t0 = Date.now();
    await assert.rejects(sdk().messages.create({ model: 'ds', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }), (e: any) => {
      assert.equal(e.status, 504);
      assert.equal(e.error?.error?.type, 'timeout_error');
      return true;
    });
    assert.ok(Date.now() - t0 < 1_000 + 3_000, `ended in ${Date.now() - t0} ms`);
  });
});
