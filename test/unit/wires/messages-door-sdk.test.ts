/**
 * The Messages door's output read by the official `@anthropic-ai/sdk` (devDependency) over a local HTTP
 * server on 127.0.0.1: the SDK's MessageStream must assemble what MessagesEncoder streams (thinking with its
 * signature, text, tool_use input with the client's tool names, stop_reason, usage), `messages.create()`
 * must read a folded message, the raw event stream must be in contract order, and `fail()` must make the SDK
 * throw. The SDK's assembled message, sent back as the next turn, must parse into the hub it came from (our
 * thinking signature back to plain reasoning, encoded tool ids back to the upstream's).
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { UpstreamError } from '../../../src/gateway/errors';
import type { HubEvent, HubMessage, HubRequest } from '../../../src/gateway/hub/types';
import { estimateInputTokens, foldMessage, MESSAGES_PING_FRAME, MessagesEncoder, newMessageId, parseMessagesRequest } from '../../../src/gateway/wires/messages/door';
import type { EncodeContext } from '../../../src/gateway/wires/types';
import { fakeKey } from '../../helpers/gateway';
import { startJsonServer, type JsonServer } from '../../helpers/json-server';

/** What the server answers for one parsed request. */
interface Script {
  events: HubEvent[];
  /** Fail after this many events (the encoder's `fail()`). */
  failAfter?: number;
}

/** A loopback server playing the door: parse, then encode the scripted events. */
class DoorServer {
  script: Script = { events: [] };
  readonly hubs: HubRequest[] = [];
  private server!: JsonServer;

  static async start(): Promise<DoorServer> {
    const self = new DoorServer();
    self.server = await startJsonServer(
      (body, res) => self.answer(body, res),
      (e, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: String((e as Error).message) } }));
      },
    );
    return self;
  }

  private answer(body: Record<string, unknown>, res: http.ServerResponse): void {
    const hub = parseMessagesRequest(body);
    this.hubs.push(hub);
    const ctx: EncodeContext = { id: newMessageId(), alias: String(body.model), createdAt: Math.floor(Date.now() / 1000), tools: hub.toolMap, request: body };
    const { events, failAfter } = this.script;
    if (!hub.stream) {
      const text = JSON.stringify(foldMessage(events, ctx));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const enc = new MessagesEncoder(ctx, estimateInputTokens);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    // A keep-alive before message_start (the lead's ping timer may fire before the first content).
    res.write(MESSAGES_PING_FRAME + enc.start());
    for (let i = 0; i < events.length; i++) {
      if (failAfter === i) {
        res.end(enc.fail(new UpstreamError('server', 'upstream 500', 500), 'The upstream model failed mid-answer; retry.'));
        return;
      }
      res.write(enc.push(events[i]!) + (i === 1 ? MESSAGES_PING_FRAME : ''));
    }
    res.end(enc.end());
  }

  get baseURL(): string {
    return this.server.origin;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

const TOOLS = [
  { name: 'Bash', description: 'Run a command', input_schema: { type: 'object' as const, properties: { command: { type: 'string' } }, required: ['command'] } },
  { name: 'mcp.docs/search', description: 'Search docs', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } },
];

/** A DeepSeek-like answer: plain reasoning, text, two calls (one with an id Anthropic would not allow), usage. */
const ANSWER: HubEvent[] = [
  { type: 'reasoning', text: 'The user wants ' },
  { type: 'reasoning', text: 'a listing.' },
  { type: 'text', text: 'Listing ' },
  { type: 'text', text: 'files.' },
  { type: 'call', index: 0, id: 'functions.Bash:0', name: 'Bash', arguments: '' },
  { type: 'call', index: 0, arguments: '{"command"' },
  { type: 'call', index: 0, arguments: ':"ls -la"}' },
  { type: 'call', index: 1, id: 'call_2', name: 'mcp_docs_search', arguments: '{"q":"x"}' },
  { type: 'finish', reason: 'tool_calls' },
  { type: 'usage', usage: { input: 1200, output: 80, cachedInput: 1000, reasoning: 12 } },
];

describe('messages door: read by @anthropic-ai/sdk', function () {
  this.timeout(10000);
  let server: DoorServer;
  let client: Anthropic;

  before(async () => {
    server = await DoorServer.start();
    client = new Anthropic({ apiKey: fakeKey('anthropic'), baseURL: server.baseURL, maxRetries: 0, timeout: 5000 });
  });
  after(() => server.close());

  it('messages.stream(): thinking + signature, text, tool_use inputs and names, stop_reason, usage', async () => {
    server.script = { events: ANSWER };
    const stream = client.messages.stream({ model: 'deepseek-alias', max_tokens: 1000, tools: TOOLS, messages: [{ role: 'user', content: 'List the files' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const m = await stream.finalMessage();
    assert.equal(texts.join(''), 'Listing files.');
    assert.equal(m.model, 'deepseek-alias');
    assert.match(m.id, /^msg_/);
    assert.equal(m.stop_reason, 'tool_use');
    assert.equal(m.content.length, 4);
    const [thinking, text, call0, call1] = m.content;
    assert.equal(thinking!.type, 'thinking');
    assert.equal((thinking as Anthropic.ThinkingBlock).thinking, 'The user wants a listing.');
    assert.match((thinking as Anthropic.ThinkingBlock).signature, /^cgw1:/);
    assert.deepEqual(text, { type: 'text', text: 'Listing files.' });
    assert.equal(call0!.type, 'tool_use');
    assert.deepEqual((call0 as Anthropic.ToolUseBlock).input, { command: 'ls -la' });
    assert.equal((call0 as Anthropic.ToolUseBlock).name, 'Bash');
    assert.match((call0 as Anthropic.ToolUseBlock).id, /^[a-zA-Z0-9_-]+$/);
    assert.deepEqual({ ...(call1 as Anthropic.ToolUseBlock) }, { type: 'tool_use', id: 'call_2', name: 'mcp.docs/search', input: { q: 'x' } });
    assert.equal(m.usage.input_tokens, 200);
    assert.equal(m.usage.cache_read_input_tokens, 1000);
    assert.equal(m.usage.output_tokens, 80);
  });

  it('the SDK message sent back as history parses into the hub it came from', async () => {
    server.script = { events: ANSWER };
    const first = await client.messages.stream({ model: 'deepseek-alias', max_tokens: 1000, tools: TOOLS, messages: [{ role: 'user', content: 'List the files' }] }).finalMessage();
    server.script = { events: [{ type: 'text', text: 'Done.' }, { type: 'finish', reason: 'stop' }] };
    const ids = first.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use').map((b) => b.id);
    const second = await client.messages.create({
      model: 'deepseek-alias',
      max_tokens: 1000,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'List the files' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: ids[1]!, content: 'found' },
            { type: 'tool_result', tool_use_id: ids[0]!, content: [{ type: 'text', text: 'a.txt' }] },
          ],
        },
      ],
    });
    assert.deepEqual(second.content, [{ type: 'text', text: 'Done.' }]);
    assert.equal(second.stop_reason, 'end_turn');
    const hub = server.hubs[server.hubs.length - 1]!;
    const a = hub.messages[1] as Extract<HubMessage, { role: 'assistant' }>;
    assert.deepEqual(a.reasoning, [{ text: 'The user wants a listing.' }]);
    assert.equal(a.text, 'Listing files.');
    assert.deepEqual(
      a.toolCalls!.map((c) => [c.id, c.name, c.arguments]),
      [
        ['functions.Bash:0', 'Bash', '{"command":"ls -la"}'],
        ['call_2', 'mcp_docs_search', '{"q":"x"}'],
      ],
    );
    assert.deepEqual(hub.messages.slice(2), [
      { role: 'tool', callId: 'functions.Bash:0', text: 'a.txt' },
      { role: 'tool', callId: 'call_2', text: 'found' },
    ]);
  });

  it('messages.create() (not streamed) reads the folded message', async () => {
    server.script = { events: ANSWER };
    const m = await client.messages.create({ model: 'deepseek-alias', max_tokens: 1000, tools: TOOLS, messages: [{ role: 'user', content: 'List the files' }] });
    assert.equal(m.type, 'message');
    assert.equal(m.stop_reason, 'tool_use');
    assert.deepEqual(
      m.content.map((b) => b.type),
      ['thinking', 'text', 'tool_use', 'tool_use'],
    );
    assert.deepEqual((m.content[2] as Anthropic.ToolUseBlock).input, { command: 'ls -la' });
    assert.equal((m.content[3] as Anthropic.ToolUseBlock).name, 'mcp.docs/search');
    assert.deepEqual(m.usage, { input_tokens: 200, output_tokens: 80, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000 });
  });

  it('create({stream: true}) yields the events in contract order', async () => {
    server.script = { events: [{ type: 'text', text: 'Hi' }, { type: 'finish', reason: 'length' }, { type: 'usage', usage: { input: 10, output: 3 } }] };
    const stream = await client.messages.create({ model: 'm', max_tokens: 3, stream: true, messages: [{ role: 'user', content: 'x'.repeat(40) }] });
    const types: string[] = [];
    let startUsage: Anthropic.Usage | undefined;
    let delta: Anthropic.MessageDeltaEvent | undefined;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'message_start') startUsage = ev.message.usage;
      if (ev.type === 'message_delta') delta = ev;
    }
    assert.deepEqual(types, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.ok(startUsage!.input_tokens > 0, 'message_start carries the input estimate');
    assert.equal(delta!.delta.stop_reason, 'max_tokens');
    assert.equal(delta!.usage.input_tokens, 10);
    assert.equal(delta!.usage.output_tokens, 3);
  });

  it('fail() makes the SDK throw an APIError with the Anthropic error type', async () => {
    server.script = { events: ANSWER, failAfter: 3 };
    const stream = client.messages.stream({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'q' }] });
    await assert.rejects(
      () => stream.finalMessage(),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.APIError, String(e));
        assert.match(String((e as Error).message), /overloaded_error|failed mid-answer/);
        assert.deepEqual((e as InstanceType<typeof Anthropic.APIError>).error, { type: 'error', error: { type: 'overloaded_error', message: 'The upstream model failed mid-answer; retry.' } });
        return true;
      },
    );
  });
});
