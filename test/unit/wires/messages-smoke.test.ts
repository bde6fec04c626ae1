/**
 * Smoke test of the Anthropic Messages upstream adapter over real HTTP, through the gateway's own upstream
 * plumbing but without the proxy: buildMessagesRequest -> targetFor/upstreamHeaders/postJson
 * (src/gateway/upstream.ts) -> the strict Anthropic mock -> SseReader('messages') / readWhole + judgeJson
 * -> MessagesDecoder / messagesJsonToEvents. A two-turn tool loop with extended thinking: the thinking
 * signature the mock issued in turn 1 must come back byte-exact in turn 2 (the mock rejects any other).
 */
import { strict as assert } from 'node:assert';
import type { Dispatcher } from 'undici';
import { UpstreamError } from '../../../src/gateway/errors';
import type { HubEvent, HubMessage, HubReasoning, HubRequest, HubToolCall } from '../../../src/gateway/hub/types';
import type { Deployment } from '../../../src/gateway/types';
import { createDispatcher, postJson, targetFor, upstreamHeaders } from '../../../src/gateway/upstream';
import { judgeJson, readWhole, SseReader } from '../../../src/gateway/upstream-answer';
import { buildMessagesRequest, MessagesDecoder, messagesJsonToEvents } from '../../../src/gateway/wires/messages/upstream';
import { AnthropicMock, messageReply, overloadedReply, promptTooLongReply, rateLimitReply, textReply } from '../../helpers/anthropic-mock';
import { fakeKey } from '../../helpers/gateway';

const MODEL = 'claude-sonnet-4-5';

/** Folds hub events into the assistant message they describe (what a door would keep for the next turn). */
function assistantOf(events: HubEvent[]): { message: Extract<HubMessage, { role: 'assistant' }>; finish?: string; usage?: unknown } {
  const reasoning: HubReasoning[] = [];
  const calls: HubToolCall[] = [];
  let text = '';
  let open: HubReasoning | undefined;
  let finish: string | undefined;
  let usage: unknown;
  for (const e of events) {
    if (e.type === 'reasoning') {
      if (!open) reasoning.push((open = { text: '' }));
      open.text += e.text;
    } else if (e.type === 'reasoning_signature') {
      if (!open) reasoning.push((open = { text: '' }));
      open.signature = e.signature;
      open = undefined;
    } else if (e.type === 'reasoning_redacted') reasoning.push({ text: '', redacted: e.data });
    else if (e.type === 'text') text += e.text;
    else if (e.type === 'call') {
      const c = (calls[e.index] ??= { id: '', name: '', arguments: '' });
      if (e.id) c.id = e.id;
      if (e.name) c.name = e.name;
      if (e.arguments) c.arguments += e.arguments;
    } else if (e.type === 'finish') finish = e.reason;
    else if (e.type === 'usage') usage = e.usage;
  }
  return { message: { role: 'assistant', text: text || null, reasoning, toolCalls: calls }, finish, usage };
}

describe('messages upstream: smoke over HTTP', () => {
  let api: AnthropicMock;
  let key: string;
  let dispatcher: Dispatcher;
  let deployment: Deployment;

  beforeEach(async () => {
    key = fakeKey('anthropic');
    api = await AnthropicMock.start({ apiKey: key });
    dispatcher = createDispatcher({ keepAliveMs: 1000 });
    deployment = { provider: 'anthropic', model: MODEL, apiBase: `${api.origin}/v1`, extraHeaders: {}, extraBody: {} } as unknown as Deployment;
  });
  afterEach(async () => {
    await dispatcher.close();
    await api.close();
  });

  async function call(hub: HubRequest, stream: boolean): Promise<HubEvent[]> {
    const { body } = buildMessagesRequest(hub, { model: MODEL, provider: 'anthropic', dropParams: false, dropParamNames: new Set(), stream });
    const signal = new AbortController().signal;
    const res = await postJson(dispatcher, targetFor(deployment).messages, upstreamHeaders(deployment, key, stream ? 'text/event-stream' : 'application/json'), JSON.stringify(body), signal, 5000, key, 0);
    if (!stream) {
      const text = (await readWhole(res.body, Date.now() + 5000, 'timeout 5 s', signal)).toString('utf8');
      return messagesJsonToEvents(judgeJson('messages', text, String(res.headers['content-type']), key));
    }
    const reader = new SseReader('messages', res.body, key, { firstEventDeadline: Date.now() + 5000, firstEventLabel: 'stream_timeout 5 s', idleMs: 5000 }, signal);
    await reader.first();
    const decoder = new MessagesDecoder();
    const events: HubEvent[] = [];
    for await (const batch of reader.batches()) for (const ev of batch.events) events.push(...decoder.push(ev.json!, ev.event));
    return events;
  }

  it('runs a two-turn tool loop with thinking; the signature round-trips byte-exact', async () => {
    const tools = [
      { name: 'exec_command', description: 'Run a shell command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] } },
      { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
    ];
    const hub: HubRequest = {
      system: 'You are a coding agent.',
      messages: [{ role: 'user', content: 'List the repo and read the README.' }],
      tools,
      toolMap: { byUpstream: new Map() },
      settings: { reasoningEffort: 'medium', temperature: 0.2 },
      stream: true,
      dropped: [],
    };
    api.enqueue(
      messageReply(
        [
          { type: 'thinking', thinking: 'I will run both at once.' },
          { type: 'text', text: 'Looking.' },
          { type: 'tool_use', name: 'exec_command', input: { cmd: 'ls' } },
          { type: 'tool_use', name: 'read_file', input: { path: 'README.md' } },
        ],
        { chunkSize: 3, usage: { input_tokens: 50, output_tokens: 40, cache_creation_input_tokens: 1200, cache_read_input_tokens: 0 } },
      ),
      textReply('The repo has a README.', { usage: { input_tokens: 30, output_tokens: 9, cache_creation_input_tokens: 80, cache_read_input_tokens: 1200 } }),
    );

    const turn1 = assistantOf(await call(hub, true));
    assert.equal(turn1.finish, 'tool_calls');
    assert.deepEqual(turn1.usage, { input: 1250, output: 40, cachedInput: 0, cacheCreationInput: 1200 });
    assert.equal(turn1.message.reasoning!.length, 1);
    assert.ok(api.issuedSignatures.has(turn1.message.reasoning![0]!.signature!), 'the signature is the one the mock issued');
    assert.deepEqual(
      turn1.message.toolCalls!.map((c) => [c.name, JSON.parse(c.arguments)]),
      [
        ['exec_command', { cmd: 'ls' }],
        ['read_file', { path: 'README.md' }],
      ],
    );
    const [c1, c2] = turn1.message.toolCalls!;
    hub.messages.push(turn1.message, { role: 'tool', callId: c1!.id, text: 'README.md\nsrc' }, { role: 'tool', callId: c2!.id, text: '# Demo', isError: false });

    const turn2 = assistantOf(await call(hub, true));
    assert.equal(turn2.message.text, 'The repo has a README.');
    assert.equal(turn2.finish, 'stop');
    assert.deepEqual(turn2.usage, { input: 1310, output: 9, cachedInput: 1200, cacheCreationInput: 80 });

    assert.equal(api.requests.length, 2);
    assert.ok(api.requests.every((r) => r.status === 200 && r.problems.length === 0));
    const second = api.requests[1]!;
    assert.equal(second.headers['anthropic-version'], '2023-06-01');
    assert.equal(second.headers['x-api-key'], key);
    assert.equal(second.headers.authorization, undefined);
    assert.equal(second.path, '/v1/messages');
    assert.deepEqual(second.body.thinking, { type: 'enabled', budget_tokens: 8192 });
    assert.equal(second.body.temperature, undefined);
    assert.deepEqual(second.body.messages[1].content[0], { type: 'thinking', thinking: 'I will run both at once.', signature: turn1.message.reasoning![0]!.signature });
    assert.deepEqual(
      second.body.messages[2].content.map((b: any) => b.tool_use_id),
      [c1!.id, c2!.id],
    );
  });

  it('reads a non-streamed answer', async () => {
    api.enqueue(messageReply([{ type: 'text', text: 'Short answer.' }], { stopReason: 'max_tokens' }));
    const events = await call(
      { system: '', messages: [{ role: 'user', content: 'hi' }], tools: [], toolMap: { byUpstream: new Map() }, settings: {}, stream: false, dropped: [] },
      false,
    );
    const turn = assistantOf(events);
    assert.equal(turn.message.text, 'Short answer.');
    assert.equal(turn.finish, 'length');
    assert.equal(api.requests[0]!.body.stream, undefined);
    assert.equal(api.requests[0]!.body.max_tokens, 16384);
  });

  it('classifies Anthropic failures: 429 with retry-after, 529, prompt too long, an in-stream error', async () => {
    const hub: HubRequest = { system: '', messages: [{ role: 'user', content: 'hi' }], tools: [], toolMap: { byUpstream: new Map() }, settings: {}, stream: true, dropped: [] };
    api.enqueue(
      rateLimitReply(2),
      overloadedReply(),
      promptTooLongReply(),
      messageReply([{ type: 'text', text: 'partial text here' }], { chunkSize: 4, streamError: { afterEvents: 5, type: 'overloaded_error', message: 'Overloaded' } }),
    );
    const failure = async () => {
      try {
        await call(hub, true);
      } catch (e) {
        assert.ok(e instanceof UpstreamError, String(e));
        return e;
      }
      assert.fail('expected a failure');
    };
    const limited = await failure();
    assert.equal(limited.kind, 'rate_limit');
    assert.equal(limited.retryAfterMs, 2000);
    assert.equal((await failure()).kind, 'server');
    assert.equal((await failure()).kind, 'context_window');
    const mid = await failure();
    assert.equal(mid.kind, 'server');
    assert.equal(mid.upstreamCode, 'overloaded_error');
  });
});
