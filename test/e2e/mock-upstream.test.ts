/**
 * Checks the mock upstream against an independent client: the official `openai` SDK parses the mock's
 * Chat Completions and Responses wire formats (JSON and SSE) exactly as it parses api.openai.com.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { MockUpstream, chatText, chatToolCalls, errorReply, hangReply, responsesText } from '../helpers/mock-upstream';

describe('mock upstream (checked with the openai SDK)', function () {
  this.timeout(20_000);
  let up: MockUpstream;
  let client: OpenAI;
  const key = `test-${randomBytes(6).toString('hex')}`;

  beforeEach(async () => {
    up = await MockUpstream.start({ name: 'm', apiKey: key, models: ['a', 'b'] });
    client = new OpenAI({ apiKey: key, baseURL: up.baseUrl, maxRetries: 0, timeout: 10_000 });
  });
  afterEach(() => up.close());

  it('streams chat text with DeepSeek reasoning_content and usage when include_usage', async () => {
    up.enqueue(chatText('Hello there, world', { reasoning: 'think think', chunkSize: 4 }));
    const stream = await client.chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let reasoning = '';
    let finish: string | null = null;
    let usage: unknown;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      const d = c.choices[0]?.delta as any;
      if (d?.content) content += d.content;
      if (d?.reasoning_content) reasoning += d.reasoning_content;
      if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
      if (c.usage) usage = c.usage;
    }
    assert.equal(content, 'Hello there, world');
    assert.equal(reasoning, 'think think');
    assert.equal(finish, 'stop');
    assert.ok(chunks > 6, `expected many chunks, got ${chunks}`);
    assert.ok(usage && (usage as any).total_tokens > 0);
    assert.equal(up.requests[0].body.model, 'x');
    assert.equal(up.requests[0].headers.authorization, `Bearer ${key}`);
  });

  it('answers JSON when stream is false, and sends no usage chunk without include_usage', async () => {
    up.enqueue(chatText('plain', { usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }), chatText('s'));
    const r = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0].message.content, 'plain');
    assert.deepEqual(r.usage, { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
    const s = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const c of s) assert.equal(c.usage ?? undefined, undefined);
  });

  it('splits tool_calls arguments across chunks; the SDK reassembles them', async () => {
    const args = JSON.stringify({ cmd: 'echo hello-from-tool', workdir: '/tmp' });
    up.enqueue(chatToolCalls([{ id: 'call_1', name: 'exec_command', arguments: args }, { name: 'other', arguments: '{}' }], { chunkSize: 5 }));
    const stream = client.chat.completions.stream({ model: 'x', messages: [{ role: 'user', content: 'run' }], stream: true });
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0].message.tool_calls as any[];
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
    assert.equal(calls.length, 2);
    assert.equal(calls[0].id, 'call_1');
    assert.equal(calls[0].function.name, 'exec_command');
    assert.equal(calls[0].function.arguments, args);
    assert.match(calls[1].id, /^call_/);
  });

  it('streams Responses events the SDK assembles into a final response, with reasoning and a function call', async () => {
    up.enqueue(responsesText('Hi from responses', { reasoning: 'because', toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a":1}' }] }));
    const stream = client.responses.stream({ model: 'r', input: 'hi' });
    const types = new Set<string>();
    stream.on('event', (e) => types.add(e.type));
    const final = await stream.finalResponse();
    const msg = final.output.find((o) => o.type === 'message') as any;
    assert.equal(msg.content[0].text, 'Hi from responses');
    assert.equal(final.status, 'completed');
    const fc = final.output.find((o) => o.type === 'function_call') as any;
    assert.equal(fc.call_id, 'c1');
    assert.equal(fc.arguments, '{"a":1}');
    for (const t of ['response.created', 'response.output_item.added', 'response.output_text.delta', 'response.reasoning_summary_text.delta', 'response.completed']) {
      assert.ok(types.has(t), `missing ${t}`);
    }
  });

  it('answers Responses JSON without stream', async () => {
    up.enqueue(responsesText('json answer'));
    const r = await client.responses.create({ model: 'r', input: 'hi' });
    assert.equal(r.output_text, 'json answer');
    assert.ok(r.usage && r.usage.total_tokens > 0);
  });

  it('lists models, rejects a wrong key with 401, and falls back to 500 when the script is empty', async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['a', 'b']);
    const bad = new OpenAI({ apiKey: 'wrong', baseURL: up.baseUrl, maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), (e: any) => e.status === 401 && e.code === 'invalid_api_key');
    await assert.rejects(client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), (e: any) => e.status === 500 && /no scripted reply left/.test(e.message));
    up.setFallback(errorReply(503, undefined, { 'retry-after': '1' }));
    await assert.rejects(client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), (e: any) => e.status === 503 && e.headers.get('retry-after') === '1');
  });

  it('answers 404 when a chat reply meets the responses endpoint, and 400 for a chat body without messages', async () => {
    up.enqueue(chatText('x'), chatText('y'));
    await assert.rejects(client.responses.create({ model: 'r', input: 'hi' }), (e: any) => e.status === 404 && /expects POST …\/chat\/completions/.test(e.message));
    await assert.rejects(client.chat.completions.create({ model: 'x', messages: [] }), (e: any) => e.status === 400);
  });

  it('marks a hung request aborted when the client goes away', async () => {
    up.enqueue(hangReply());
    const ac = new AbortController();
    const p = client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal: ac.signal });
    await up.waitForRequests(1);
    const stream = await p;
    ac.abort();
    try {
      for await (const _ of stream) void _;
    } catch {
      // the SDK may or may not surface the abort as an error; only the server side matters here
    }
    const deadline = Date.now() + 5000;
    while (!up.requests[0].aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(up.requests[0].aborted, true);
  });

  it('cuts a stream after abortAfterChunks without [DONE]', async () => {
    up.enqueue(chatText('a long answer that will be cut', { chunkSize: 2, abortAfterChunks: 3 }));
    const stream = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let got = '';
    await assert.rejects(async () => {
      for await (const c of stream) got += c.choices[0]?.delta?.content ?? '';
    });
    assert.equal(got, 'a lo');
  });
});
