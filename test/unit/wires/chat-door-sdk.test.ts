/**
 * The Chat door's output read by the official `openai` SDK (devDependency), over a local HTTP server on
 * 127.0.0.1: the SDK's stream reader must assemble the streamed chunks (text, reasoning, parallel tool calls
 * with the client's tool names, usage), its `chat.completions.stream()` helper must build the same final
 * message, a folded completion must parse, and `fail()` must make the SDK throw an APIError.
 *
 * The last part runs the whole Chat-door -> Responses-upstream chain over loopback: a Chat SDK client, a small
 * server doing what the proxy will do (parseChatRequest, buildResponsesRequest, the real SseReader,
 * ResponsesDecoder / responsesJsonToEvents, ChatEncoder / foldChatCompletion), and the scripted Responses mock
 * upstream (test/helpers/mock-upstream.ts).
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import OpenAI from 'openai';
import { request as undiciRequest } from 'undici';
import type { HubEvent } from '../../../src/gateway/hub/types';
import { SseReader } from '../../../src/gateway/upstream-answer';
import { ChatEncoder, foldChatCompletion, newChatCompletionId, parseChatRequest } from '../../../src/gateway/wires/chat/door';
import { ResponsesDecoder, buildResponsesRequest, responsesJsonToEvents } from '../../../src/gateway/wires/responses/upstream';
import type { EncodeContext } from '../../../src/gateway/wires/types';
import { fakeKey } from '../../helpers/gateway';
import { startJsonServer, type JsonHandler, type JsonServer } from '../../helpers/json-server';
import { MockUpstream, responsesText } from '../../helpers/mock-upstream';

/** The Chat wire's error body for a test server that failed (the SDK must throw an APIError). */
function serverError(e: unknown, res: http.ServerResponse): void {
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: String((e as Error)?.message ?? e), type: 'test_error', code: null, param: null } }));
}

function contextFor(body: Record<string, unknown>, toolMap: EncodeContext['tools']): EncodeContext {
  return { id: newChatCompletionId(), alias: String(body.model), createdAt: Math.floor(Date.now() / 1000), tools: toolMap, request: body };
}

/** Answers a Chat request with the given hub events: streamed (one write per event) or folded. */
function scripted(events: HubEvent[], failWith?: string): JsonHandler {
  return async (body, res) => {
    const hub = parseChatRequest(body);
    const ctx = contextFor(body, hub.toolMap);
    if (!hub.stream) {
      const text = JSON.stringify(foldChatCompletion(events, ctx));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const enc = new ChatEncoder(ctx);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write(enc.start());
    for (const ev of events) {
      const t = enc.push(ev);
      if (t) res.write(t);
    }
    res.end(failWith !== undefined ? enc.fail(undefined, failWith) : enc.end());
  };
}

const EVENTS: HubEvent[] = [
  { type: 'reasoning', text: 'The user wants ' },
  { type: 'reasoning', text: 'two files.' },
  { type: 'text', text: 'Reading ' },
  { type: 'text', text: 'both.' },
  { type: 'call', index: 0, id: 'call_A', name: 'fs_read' },
  { type: 'call', index: 1, id: 'call_B', name: 'fs_read', arguments: '{"path":' },
  { type: 'call', index: 0, arguments: '{"path":"a.txt"}' },
  { type: 'call', index: 1, arguments: '"b.txt"}' },
  { type: 'finish', reason: 'tool_calls' },
  { type: 'usage', usage: { input: 120, output: 30, cachedInput: 100, reasoning: 8 } },
];

const TOOLS: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'fs.read', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } },
];

describe('wires/chat door: read by the openai SDK', function () {
  this.timeout(10000);
  let door: JsonServer;
  let client: OpenAI;
  /** What the door does with the next request; each test sets it. */
  let handler: JsonHandler = () => undefined;

  before(async () => {
    door = await startJsonServer((body, res) => handler(body, res), serverError);
    client = new OpenAI({ apiKey: fakeKey('chat-door'), baseURL: `${door.origin}/v1`, maxRetries: 0, timeout: 5000 });
  });
  after(() => door.close());

  it('the SDK stream reader assembles text, reasoning_content, parallel tool calls (client names) and usage', async () => {
    handler = scripted(EVENTS);
    const stream = await client.chat.completions.create({
      model: 'alias-x',
      messages: [{ role: 'user', content: 'read a.txt and b.txt' }],
      tools: TOOLS,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let reasoning = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    const calls: Array<{ id?: string; name?: string; args: string }> = [];
    const ids = new Set<string>();
    for await (const chunk of stream) {
      ids.add(chunk.id);
      assert.equal(chunk.model, 'alias-x');
      if (chunk.usage) usage = chunk.usage;
      const ch = chunk.choices[0];
      if (!ch) continue;
      content += ch.delta.content ?? '';
      reasoning += (ch.delta as { reasoning_content?: string }).reasoning_content ?? '';
      for (const tc of ch.delta.tool_calls ?? []) {
        const c = (calls[tc.index] ??= { args: '' });
        if (tc.id) c.id = tc.id;
        if (tc.function?.name) c.name = tc.function.name;
        c.args += tc.function?.arguments ?? '';
      }
      if (ch.finish_reason) finish = ch.finish_reason;
    }
    assert.equal(ids.size, 1, 'one id for every chunk');
    assert.match([...ids][0], /^chatcmpl-/);
    assert.equal(content, 'Reading both.');
    assert.equal(reasoning, 'The user wants two files.');
    assert.deepEqual(calls, [
      { id: 'call_A', name: 'fs.read', args: '{"path":"a.txt"}' },
      { id: 'call_B', name: 'fs.read', args: '{"path":"b.txt"}' },
    ]);
    assert.equal(finish, 'tool_calls');
    assert.deepEqual(usage, {
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 8 },
    });
  });

  it("the SDK's stream() helper builds the same final message", async () => {
    handler = scripted(EVENTS);
    const runner = client.chat.completions.stream({ model: 'alias-x', messages: [{ role: 'user', content: 'go' }], tools: TOOLS });
    const done = await runner.finalChatCompletion();
    const msg = done.choices[0].message;
    assert.equal(msg.content, 'Reading both.');
    assert.deepEqual(
      msg.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : [])),
      [
        ['call_A', 'fs.read', '{"path":"a.txt"}'],
        ['call_B', 'fs.read', '{"path":"b.txt"}'],
      ],
    );
    assert.equal(done.choices[0].finish_reason, 'tool_calls');
  });

  it('a folded (non-streamed) completion parses with the tool calls and usage', async () => {
    handler = scripted(EVENTS);
    const done = await client.chat.completions.create({ model: 'alias-x', messages: [{ role: 'user', content: 'go' }], tools: TOOLS });
    assert.equal(done.object, 'chat.completion');
    const msg = done.choices[0].message;
    assert.equal(msg.content, 'Reading both.');
    assert.equal((msg as unknown as { reasoning_content: string }).reasoning_content, 'The user wants two files.');
    assert.equal(msg.tool_calls?.length, 2);
    assert.equal(done.usage?.prompt_tokens_details?.cached_tokens, 100);
  });

  it('fail() makes the SDK throw an APIError carrying the message', async () => {
    handler = scripted([{ type: 'text', text: 'partial ' }], 'deepseek failed mid-answer for model alias-x. Send the request again.');
    const stream = await client.chat.completions.create({ model: 'alias-x', messages: [{ role: 'user', content: 'go' }], stream: true });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.APIError, `expected an APIError, got ${String(e)}`);
        assert.match(e.message, /failed mid-answer/);
        return true;
      },
    );
    assert.equal(text, 'partial ');
  });

  describe('through a Responses upstream (parse -> build -> SseReader -> decode -> encode)', () => {
    let up: MockUpstream;
    let upstreamKey: string;

    before(async () => {
      upstreamKey = fakeKey('responses-upstream');
      up = await MockUpstream.start({ name: 'responses', apiKey: upstreamKey });
      handler = async (body, res) => {
        const hub = parseChatRequest(body);
        const built = buildResponsesRequest(hub, { model: 'gpt-up', provider: 'openai', dropParams: false, dropParamNames: new Set(), stream: hub.stream });
        const ctrl = new AbortController();
        const r = await undiciRequest(`${up.baseUrl}/responses`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${upstreamKey}`, accept: hub.stream ? 'text/event-stream' : 'application/json' },
          body: JSON.stringify(built.body),
          signal: ctrl.signal,
        });
        assert.equal(r.statusCode, 200);
        const ctx = contextFor(body, hub.toolMap);
        if (!hub.stream) {
          const text = JSON.stringify(foldChatCompletion(responsesJsonToEvents((await r.body.json()) as Record<string, unknown>), ctx));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(text);
          return;
        }
        const reader = new SseReader('responses', r.body, upstreamKey, { firstEventDeadline: Date.now() + 5000, firstEventLabel: 'timeout 5 s', idleMs: 5000 }, ctrl.signal);
        await reader.first();
        const dec = new ResponsesDecoder();
        const enc = new ChatEncoder(ctx);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(enc.start());
        for await (const b of reader.batches()) {
          for (const ev of b.events) if (ev.json) for (const h of dec.push(ev.json, ev.event)) res.write(enc.push(h));
        }
        res.end(enc.end());
      };
    });
    after(() => up.close());

    it('turn 1 streams the upstream function calls back under the client tool names', async () => {
      up.enqueue(
        responsesText('I will read it.', {
          reasoning: 'Need the file.',
          toolCalls: [
            { id: 'call_1', name: 'fs_read', arguments: '{"path":"README.md"}' },
            { id: 'call_2', name: 'fs_read', arguments: '{"path":"LICENSE"}' },
          ],
          usage: { input_tokens: 50, output_tokens: 12, total_tokens: 62 },
          chunkSize: 5,
        }),
      );
      const runner = client.chat.completions.stream({
        model: 'alias-x',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'read README.md and LICENSE' },
        ],
        tools: TOOLS,
        stream_options: { include_usage: true },
      });
      const done = await runner.finalChatCompletion();
      const msg = done.choices[0].message;
      assert.equal(msg.content, 'I will read it.');
      assert.deepEqual(
        msg.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : [])),
        [
          ['call_1', 'fs.read', '{"path":"README.md"}'],
          ['call_2', 'fs.read', '{"path":"LICENSE"}'],
        ],
      );
      assert.equal(done.choices[0].finish_reason, 'tool_calls');
      assert.equal(done.usage?.total_tokens, 62);
      const sent = up.requests.at(-1)!.body;
      assert.equal(sent.model, 'gpt-up');
      assert.equal(sent.instructions, 'Be brief.');
      assert.equal(sent.store, false);
      assert.equal(sent.stream, true);
      assert.deepEqual(sent.tools, [{ type: 'function', name: 'fs_read', description: 'Read a file', parameters: TOOLS[0].type === 'function' ? TOOLS[0].function.parameters : {}, strict: false }]);
      assert.deepEqual(sent.input, [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'read README.md and LICENSE' }] }]);
    });

    it('turn 2 sends the calls and their outputs as function_call / function_call_output items (not streamed)', async () => {
      up.enqueue(responsesText('Both files are short.'));
      const done = await client.chat.completions.create({
        model: 'alias-x',
        tools: TOOLS,
        messages: [
          { role: 'user', content: 'read README.md and LICENSE' },
          {
            role: 'assistant',
            content: 'I will read it.',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'fs.read', arguments: '{"path":"README.md"}' } },
              { id: 'call_2', type: 'function', function: { name: 'fs.read', arguments: '{"path":"LICENSE"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_2', content: 'MIT' },
          { role: 'tool', tool_call_id: 'call_1', content: '# Readme' },
        ],
      });
      assert.equal(done.choices[0].message.content, 'Both files are short.');
      assert.equal(done.choices[0].finish_reason, 'stop');
      assert.deepEqual(up.requests.at(-1)!.body.input, [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'read README.md and LICENSE' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'I will read it.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'fs_read', arguments: '{"path":"README.md"}' },
        { type: 'function_call', call_id: 'call_2', name: 'fs_read', arguments: '{"path":"LICENSE"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '# Readme' },
        { type: 'function_call_output', call_id: 'call_2', output: 'MIT' },
      ]);
    });
  });
});
