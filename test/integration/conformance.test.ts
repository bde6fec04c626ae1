/**
 * Conformance (issue 8), integration level: the real gateway on a loopback port, scripted upstreams that
 * themselves conform to OpenAI's spec, and a raw HTTP client that checks every body and every streamed
 * event the gateway sends against the vendored spec (test/helpers/openai-conformance.ts):
 *
 * - Responses door -> Chat Completions upstream (translated): JSON and SSE, with reasoning, text and every
 *   tool kind Codex declares; a stream cut mid-way (response.failed), one the upstream reports a context
 *   overflow in, one truncated by the output limit (response.incomplete).
 * - Responses door -> Responses upstream (relayed): JSON and SSE; a stream cut mid-way, one ending without
 *   its terminal event, and one carrying an `error` event, each closed by the gateway's own
 *   response.failed, which must continue the upstream's sequence numbers and response id.
 * - Chat door -> Chat Completions upstream (relayed): JSON and SSE, and a stream cut mid-way (the gateway's
 *   error frame).
 * - Responses door and Chat door -> Anthropic Messages upstream (translated, strict Messages mock): JSON
 *   and SSE with signed and redacted thinking, text and every tool kind (call ids = tool_use ids), the
 *   next tool turn, max_tokens (incomplete / length), a stream cut by a reset, one carrying an `error`
 *   event (overloaded, prompt too long), and a 529 before any byte.
 * - Errors the gateway answers before any upstream byte, on both doors (ErrorResponse).
 *
 * The request bodies are Codex 0.169 captures (test/unit/translate/golden/codex-*.json), so the echoed
 * settings are the real ones.
 */
import { strict as assert } from 'node:assert';
import type { ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnthropicMock, messageReply, overloadedReply, textReply, type MessageReplyOptions } from '../helpers/anthropic-mock';
import { MockUpstream, type RecordedRequest, type Reply } from '../helpers/mock-upstream';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';
import {
  assertGapsStillOpen,
  assertNoViolations,
  chatStreamViolations,
  parseSse,
  responsesStreamViolations,
  specViolations,
  type SseFrame,
} from '../helpers/openai-conformance';

/** The captured Codex 0.169 request with a custom tool, client tool_search, namespaces-free tools and reasoning. */
const CODEX_REQUEST = JSON.parse(readFileSync(join(__dirname, '..', 'unit', 'translate', 'golden', 'codex-gpt55-turn1-dashscope.json'), 'utf8')).input as Record<string, unknown>;

/** Known gaps met by this suite (see KNOWN_GAPS). */
const gapsSeen = new Set<string>();

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/* ------------------------------------------------------------------------------------------------
 * Spec-conformant scripted upstreams (the mocks in mock-upstream.ts / fault-upstream.ts leave out fields
 * the spec requires, which would blur whose violation a relayed one is)
 * ---------------------------------------------------------------------------------------------- */

function writeSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

async function put(res: ServerResponse, frame: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  await new Promise<void>((resolve) => res.write(frame, () => resolve()));
  return !res.destroyed;
}

/** How a scripted stream ends: normally, by a TCP reset, cleanly without its terminal frames, or (chat) with an in-stream error. */
type Ending = 'normal' | 'reset' | 'no_terminal' | { error: { code: string; message: string } };

/** Sends `frames`, then the `terminal` frames or the ending's substitute. */
async function sendFrames(res: ServerResponse, frames: string[], terminal: string[], ending: Ending, errorFrame: (e: { code: string; message: string }) => string): Promise<void> {
  writeSse(res);
  for (const f of frames) if (!(await put(res, f))) return;
  if (ending === 'reset') {
    await sleep(30); // let the frames reach the gateway before the connection drops
    res.socket?.resetAndDestroy?.();
    res.destroy();
    return;
  }
  if (ending === 'normal') {
    for (const f of terminal) if (!(await put(res, f))) return;
  } else if (ending !== 'no_terminal') {
    await put(res, errorFrame(ending.error));
  }
  res.end();
}

interface ChatScript {
  reasoning?: string;
  text?: string;
  /** Tool calls by upstream function name with their argument text. */
  calls?: Array<{ name: string; arguments: string }>;
  finish?: 'stop' | 'length' | 'tool_calls';
  ending?: Ending;
}

/** A Chat Completions answer as OpenAI documents it: `chat.completion` JSON or `chat.completion.chunk` SSE. */
function chatReply(s: ChatScript): Reply {
  return async (req: RecordedRequest, res: ServerResponse) => {
    const id = `chatcmpl-${Math.random().toString(36).slice(2, 10)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = String(req.body?.model);
    const calls = (s.calls ?? []).map((c, i) => ({ id: `call_${i}`, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }));
    const finish = s.finish ?? (calls.length ? 'tool_calls' : 'stop');
    const usage = { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 2 } };
    if (req.body?.stream !== true) {
      const message: Record<string, unknown> = { role: 'assistant', content: s.text ?? null, refusal: null };
      if (s.reasoning) message.reasoning_content = s.reasoning; // DeepSeek's extra field (unknown fields are allowed)
      if (calls.length) message.tool_calls = calls;
      const body = JSON.stringify({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...extra })}\n\n`;
    const frames = [chunk({ role: 'assistant', content: '' })];
    for (const piece of (s.reasoning ?? '').match(/.{1,6}/gs) ?? []) frames.push(chunk({ reasoning_content: piece }));
    for (const piece of (s.text ?? '').match(/.{1,6}/gs) ?? []) frames.push(chunk({ content: piece }));
    calls.forEach((c, index) => {
      frames.push(chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }] }));
      for (const piece of c.function.arguments.match(/.{1,8}/gs) ?? []) frames.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    });
    const terminal = [chunk({}, finish)];
    if (req.body?.stream_options?.include_usage === true) terminal.push(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    terminal.push('data: [DONE]\n\n');
    await sendFrames(res, frames, terminal, s.ending ?? 'normal', (e) => `data: ${JSON.stringify({ error: { message: e.message, type: 'invalid_request_error', param: null, code: e.code } })}\n\n`);
  };
}

/** A Response object as OpenAI's Responses API returns it (every required field, the request's settings echoed). */
function openaiResponse(req: RecordedRequest, id: string, status: string, output: unknown[], withUsage: boolean): Record<string, unknown> {
  const b = req.body ?? {};
  const r: Record<string, unknown> = {
    id,
    object: 'response',
    created_at: 1763730000,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: null,
    model: String(b.model),
    output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: 'medium', summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'low' },
    tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    metadata: {},
  };
  if (withUsage) r.usage = { input_tokens: 20, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 27 };
  return r;
}

/**
 * A Responses API answer (JSON, or SSE from response.created to response.completed) carrying `text`, and
 * then a function call when `call` is given.
 */
function responsesReply(text: string, ending: Ending = 'normal', call?: { name: string; arguments: string }): Reply {
  return async (req: RecordedRequest, res: ServerResponse) => {
    const respId = `resp_${Math.random().toString(36).slice(2, 10)}`;
    const msgId = `msg_${Math.random().toString(36).slice(2, 10)}`;
    const done = { type: 'message', id: msgId, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] };
    const fc = call && { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: call.name, arguments: call.arguments, status: 'completed' };
    const output = fc ? [done, fc] : [done];
    if (req.body?.stream !== true) {
      const body = JSON.stringify(openaiResponse(req, respId, 'completed', output, true));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    let seq = 0;
    const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    const frames = [
      ev('response.created', { response: openaiResponse(req, respId, 'in_progress', [], false) }),
      ev('response.in_progress', { response: openaiResponse(req, respId, 'in_progress', [], false) }),
      ev('response.output_item.added', { output_index: 0, item: { ...done, status: 'in_progress', content: [] } }),
      ev('response.content_part.added', { item_id: msgId, output_index: 0, content_index: 0, part }),
      ...(text.match(/.{1,6}/gs) ?? []).map((delta) => ev('response.output_text.delta', { item_id: msgId, output_index: 0, content_index: 0, delta, logprobs: [] })),
    ];
    const terminal = [
      ev('response.output_text.done', { item_id: msgId, output_index: 0, content_index: 0, text, logprobs: [] }),
      ev('response.content_part.done', { item_id: msgId, output_index: 0, content_index: 0, part: { ...part, text } }),
      ev('response.output_item.done', { output_index: 0, item: done }),
      ...(fc
        ? [
            ev('response.output_item.added', { output_index: 1, item: { ...fc, arguments: '', status: 'in_progress' } }),
            ev('response.function_call_arguments.delta', { item_id: fc.id, output_index: 1, delta: fc.arguments }),
            ev('response.function_call_arguments.done', { item_id: fc.id, output_index: 1, name: fc.name, arguments: fc.arguments }),
            ev('response.output_item.done', { output_index: 1, item: fc }),
          ]
        : []),
      ev('response.completed', { response: openaiResponse(req, respId, 'completed', output, true) }),
    ];
    await sendFrames(res, frames, terminal, ending, (e) => `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: seq++, code: e.code, message: e.message, param: null })}\n\n`);
  };
}

/* ------------------------------------------------------------------------------------------------
 * Client side
 * ---------------------------------------------------------------------------------------------- */

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function post(g: TestGateway, path: string, body: Record<string, unknown>): Promise<Answer> {
  const r = await fetch(`${g.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: r.status, contentType: r.headers.get('content-type') ?? '', text: await r.text() };
}

/** Checks a streamed Responses answer and returns its events. */
function checkResponsesStream(a: Answer, label: string): Array<Record<string, any>> {
  assert.equal(a.status, 200, `${label}: ${a.text.slice(0, 300)}`);
  assert.match(a.contentType, /^text\/event-stream/);
  const frames: SseFrame[] = parseSse(a.text);
  assertNoViolations(responsesStreamViolations(frames), gapsSeen, label);
  return frames.map((f) => JSON.parse(f.data));
}

/** Every event type a streamed turn with reasoning, text, a function call and a custom tool call emits. */
const TURN_EVENT_TYPES = [
  'response.created',
  'response.in_progress',
  'response.reasoning_summary_part.added',
  'response.reasoning_summary_text.delta',
  'response.reasoning_summary_text.done',
  'response.reasoning_summary_part.done',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.custom_tool_call_input.delta',
  'response.custom_tool_call_input.done',
  'response.output_item.added',
  'response.output_item.done',
  'response.completed',
];

/** Asserts that `events` holds at least one event of each TURN_EVENT_TYPES type. */
function assertHasEveryTurnEvent(events: ReadonlyArray<Record<string, any>>): void {
  const types = new Set(events.map((e) => e.type));
  for (const t of TURN_EVENT_TYPES) assert.ok(types.has(t), `no ${t} event`);
}

describe('OpenAI spec conformance (integration: gateway over HTTP)', function () {
  this.timeout(30_000);
  let chatUp: MockUpstream;
  let respUp: MockUpstream;
  let g: TestGateway;

  before(async () => {
    chatUp = await MockUpstream.start({ name: 'chat' });
    respUp = await MockUpstream.start({ name: 'responses' });
    g = await startGateway(
      `
model_list:
  - model_name: via-chat
    litellm_params:
      model: deepseek/deepseek-chat
      api_base: ${chatUp.baseUrl}
      api_key: os.environ/CHAT_KEY
  - model_name: via-responses
    litellm_params:
      model: openai/gpt-test
      api_base: ${respUp.baseUrl}
      api_key: os.environ/RESPONSES_KEY
router_settings:
  num_retries: 0
  retry_after: 0
  allowed_fails: 1000
`,
      { CHAT_KEY: fakeKey('chat'), RESPONSES_KEY: fakeKey('responses') },
    );
  });
  after(async () => {
    await g?.close();
    await Promise.all([chatUp?.close(), respUp?.close()]);
  });

  const codex = (model: string, stream: boolean) => ({ ...CODEX_REQUEST, model, stream });
  /** Upstream calls of each tool kind the Codex request declares, as the translated request names them. */
  const toolCalls = [
    { name: 'exec_command', arguments: '{"cmd":"ls -la"}' },
    { name: 'apply_patch', arguments: JSON.stringify({ input: '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n' }) },
    { name: 'tool_search', arguments: '{"query":"calendar","limit":2}' },
  ];

  describe('Responses door, Chat Completions upstream (translated)', () => {
    it('non-streamed: a Response with reasoning, text and every tool kind', async () => {
      chatUp.enqueue(chatReply({ reasoning: 'Thinking it over.', text: 'Here goes.', calls: toolCalls }));
      const a = await post(g, '/v1/responses', codex('via-chat', false));
      assert.equal(a.status, 200, a.text);
      const r = JSON.parse(a.text);
      assertNoViolations(specViolations('Response', r), gapsSeen, 'translated Response');
      assert.deepEqual(
        r.output.map((i: { type: string }) => i.type),
        ['reasoning', 'message', 'function_call', 'custom_tool_call', 'tool_search_call'],
      );
      assert.equal(r.model, 'via-chat');
      assert.equal(r.tools.length, (CODEX_REQUEST.tools as unknown[]).length);
    });

    it('streamed: every event, from response.created to response.completed', async () => {
      chatUp.enqueue(chatReply({ reasoning: 'Thinking it over.', text: 'Here goes.', calls: toolCalls }));
      const events = checkResponsesStream(await post(g, '/v1/responses', codex('via-chat', true)), 'translated stream');
      assertHasEveryTurnEvent(events);
    });

    it('streamed, output limit reached: response.incomplete', async () => {
      chatUp.enqueue(chatReply({ text: 'A long answer that stops', finish: 'length' }));
      const events = checkResponsesStream(await post(g, '/v1/responses', codex('via-chat', true)), 'incomplete stream');
      assert.equal(events.at(-1)!.type, 'response.incomplete');
    });

    it('streamed, upstream cut mid-way: the gateway ends with a conformant response.failed', async () => {
      chatUp.enqueue(chatReply({ reasoning: 'Thinking.', text: 'This answer will be cut', ending: 'reset' }));
      const events = checkResponsesStream(await post(g, '/v1/responses', codex('via-chat', true)), 'cut translated stream');
      assert.equal(events.at(-1)!.type, 'response.failed');
      assert.equal(events.at(-1)!.response.error.code, 'server_error');
    });

    it('streamed, upstream reports a context overflow mid-way: response.failed context_length_exceeded (allow-listed code)', async () => {
      chatUp.enqueue(chatReply({ text: 'Partial', ending: { error: { code: 'context_length_exceeded', message: 'This model maximum context length is 8 tokens.' } } }));
      const events = checkResponsesStream(await post(g, '/v1/responses', codex('via-chat', true)), 'context overflow stream');
      assert.equal(events.at(-1)!.type, 'response.failed');
      assert.equal(events.at(-1)!.response.error.code, 'context_length_exceeded');
    });
  });

  describe('Responses door, Responses upstream (relayed)', () => {
    it('non-streamed: the upstream Response passes through conformant', async () => {
      respUp.enqueue(responsesReply('Hello from a Responses upstream.'));
      const a = await post(g, '/v1/responses', codex('via-responses', false));
      assert.equal(a.status, 200, a.text);
      assertNoViolations(specViolations('Response', JSON.parse(a.text)), gapsSeen, 'relayed Response');
    });

    it('streamed: every relayed event conforms', async () => {
      respUp.enqueue(responsesReply('Hello from a Responses upstream.'));
      const events = checkResponsesStream(await post(g, '/v1/responses', codex('via-responses', true)), 'relayed stream');
      assert.equal(events.at(-1)!.type, 'response.completed');
    });

    for (const [ending, what] of [
      ['reset', 'cut by a connection reset'],
      ['no_terminal', 'ending without response.completed'],
      [{ error: { code: 'server_error', message: 'The upstream failed.' } }, 'carrying an error event'],
    ] as Array<[Ending, string]>) {
      it(`streamed, upstream ${what}: the gateway's response.failed continues sequence numbers and response id`, async () => {
        respUp.enqueue(responsesReply('This relayed answer will not finish.', ending));
        const events = checkResponsesStream(await post(g, '/v1/responses', codex('via-responses', true)), `relayed stream ${what}`);
        const last = events.at(-1)!;
        assert.equal(last.type, 'response.failed');
        assert.equal(last.response.id, events[0].response.id);
        assert.equal(last.sequence_number, events.length - 1);
      });
    }

    it("streamed, upstream cut before any response object: the gateway's response.failed is still a whole Response", async () => {
      // An upstream (or a proxy in front of it) whose stream starts without response.created, then breaks.
      const item = { type: 'message', id: 'msg_1', status: 'in_progress', role: 'assistant', content: [] };
      respUp.enqueue(async (_req, res) =>
        sendFrames(
          res,
          [
            `event: response.output_item.added\ndata: ${JSON.stringify({ type: 'response.output_item.added', sequence_number: 0, output_index: 0, item })}\n\n`,
            `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi', logprobs: [] })}\n\n`,
          ],
          [],
          'reset',
          () => '',
        ),
      );
      const events = checkResponsesStream(await post(g, '/v1/responses', codex('via-responses', true)), 'relayed stream cut before any response object');
      assert.equal(events.at(-1)!.type, 'response.failed');
      assert.equal(events.at(-1)!.sequence_number, 2);
    });
  });

  describe('Chat door, Chat Completions upstream (relayed)', () => {
    const chatBody = (stream: boolean) => ({
      model: 'via-chat',
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
    });

    it('non-streamed: a conformant chat.completion', async () => {
      chatUp.enqueue(chatReply({ text: 'Hello.', calls: [{ name: 'lookup', arguments: '{"q":"x"}' }] }));
      const a = await post(g, '/v1/chat/completions', chatBody(false));
      assert.equal(a.status, 200, a.text);
      assertNoViolations(specViolations('CreateChatCompletionResponse', JSON.parse(a.text)), gapsSeen, 'chat completion');
    });

    it('streamed: every chunk conforms, then [DONE]', async () => {
      chatUp.enqueue(chatReply({ text: 'Hello there, streamed.', calls: [{ name: 'lookup', arguments: '{"q":"x"}' }] }));
      const a = await post(g, '/v1/chat/completions', chatBody(true));
      assert.equal(a.status, 200, a.text);
      const frames = parseSse(a.text);
      assertNoViolations(chatStreamViolations(frames), gapsSeen, 'chat stream');
      assert.equal(frames.at(-1)!.data, '[DONE]');
    });

    it('streamed, upstream cut mid-way: the gateway error frame is a conformant ErrorResponse', async () => {
      chatUp.enqueue(chatReply({ text: 'This chat answer will be cut', ending: 'reset' }));
      const a = await post(g, '/v1/chat/completions', chatBody(true));
      assert.equal(a.status, 200, a.text);
      const frames = parseSse(a.text);
      assertNoViolations(chatStreamViolations(frames), gapsSeen, 'cut chat stream');
      assert.ok('error' in JSON.parse(frames.at(-1)!.data), 'the stream ends with an error frame');
    });
  });

  describe('Chat door, Responses upstream (translated)', () => {
    const chatBody = (stream: boolean) => ({
      model: 'via-responses',
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks up.', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    });
    const call = { name: 'lookup', arguments: '{"q":"x"}' };

    it('non-streamed: a conformant chat.completion', async () => {
      respUp.enqueue(responsesReply('Hello from a Responses upstream.', 'normal', call));
      const a = await post(g, '/v1/chat/completions', chatBody(false));
      assert.equal(a.status, 200, a.text);
      const c = JSON.parse(a.text);
      assertNoViolations(specViolations('CreateChatCompletionResponse', c), gapsSeen, 'translated chat completion');
      assert.equal(c.choices[0].message.tool_calls?.[0]?.function?.name, 'lookup');
    });

    it('streamed: every chunk conforms, then [DONE]', async () => {
      respUp.enqueue(responsesReply('Hello from a Responses upstream.', 'normal', call));
      const a = await post(g, '/v1/chat/completions', chatBody(true));
      assert.equal(a.status, 200, a.text);
      const frames = parseSse(a.text);
      assertNoViolations(chatStreamViolations(frames), gapsSeen, 'translated chat stream');
      assert.equal(frames.at(-1)!.data, '[DONE]');
    });

    it('streamed, upstream cut mid-way: the gateway error frame is a conformant ErrorResponse', async () => {
      respUp.enqueue(responsesReply('This answer will be cut before it ends.', 'reset'));
      const a = await post(g, '/v1/chat/completions', chatBody(true));
      assert.equal(a.status, 200, a.text);
      const frames = parseSse(a.text);
      assertNoViolations(chatStreamViolations(frames), gapsSeen, 'cut translated chat stream');
      assert.ok('error' in JSON.parse(frames.at(-1)!.data), 'the stream ends with an error frame');
    });
  });

  describe('Anthropic Messages upstream (translated), both doors', () => {
    // Its own gateway and strict Messages mock (test/helpers/anthropic-mock.ts: it answers 400 to any body
    // Anthropic would refuse, so every answer below also proves the translated request was valid).
    let claude: AnthropicMock;
    let mg: TestGateway;
    const claudeKey = fakeKey('anthropic');
    before(async () => {
      claude = await AnthropicMock.start({ apiKey: claudeKey, name: 'claude' });
      mg = await startGateway(
        `
model_list:
  - model_name: via-messages
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${claude.origin}
      api_key: os.environ/ANTHROPIC_KEY
router_settings:
  num_retries: 0
  retry_after: 0
  allowed_fails: 1000
`,
        { ANTHROPIC_KEY: claudeKey },
      );
    });
    after(async () => {
      await mg?.close();
      await claude?.close();
    });
    afterEach(() => {
      for (const r of claude.requests) assert.deepEqual(r.problems, [], `the strict Messages mock refused a translated request: ${r.problems.join('; ')}`);
      claude.requests.length = 0;
      assert.equal(claude.pending, 0, 'every scripted Messages answer was used');
    });

    const codex = (stream: boolean) => ({ ...CODEX_REQUEST, model: 'via-messages', stream });
    /** Thinking, text, then a tool_use of every tool kind the Codex request declares (upstream names). */
    const codexAnswer = (opts: MessageReplyOptions = {}) =>
      messageReply(
        [
          { type: 'thinking', thinking: 'The user wants files listed; I will run ls.' },
          { type: 'redacted_thinking' },
          { type: 'text', text: 'Here goes.' },
          { type: 'tool_use', id: 'toolu_exec', name: 'exec_command', input: { cmd: 'ls -la' } },
          { type: 'tool_use', id: 'toolu_patch', name: 'apply_patch', input: { input: '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n' } },
          { type: 'tool_use', id: 'toolu_search', name: 'tool_search', input: { query: 'calendar', limit: 2 } },
        ],
        opts,
      );
    const CALL_IDS = ['toolu_exec', 'toolu_patch', 'toolu_search'];

    describe('Responses door', () => {
      it('non-streamed: a conformant Response with reasoning, text and every tool kind; call ids are the tool_use ids', async () => {
        claude.enqueue(codexAnswer({ usage: { input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 5 } }));
        const a = await post(mg, '/v1/responses', codex(false));
        assert.equal(a.status, 200, a.text);
        const r = JSON.parse(a.text);
        assertNoViolations(specViolations('Response', r), gapsSeen, 'messages: Response');
        assert.deepEqual(
          r.output.map((i: { type: string }) => i.type),
          ['reasoning', 'reasoning', 'message', 'function_call', 'custom_tool_call', 'tool_search_call'],
        );
        assert.deepEqual(
          r.output.filter((i: { call_id?: string }) => i.call_id).map((i: { call_id: string }) => i.call_id),
          CALL_IDS,
        );
        assert.equal(r.usage.input_tokens, 125, 'input counts cache reads and writes (OpenAI convention)');
        assert.equal(r.usage.input_tokens_details.cached_tokens, 100);
        assert.equal(claude.requests[0]!.body.thinking?.type, 'enabled', "Codex's reasoning effort turns thinking on");
      });

      it('streamed: every event, from response.created to response.completed', async () => {
        claude.enqueue(codexAnswer({ chunkSize: 5 }));
        const events = checkResponsesStream(await post(mg, '/v1/responses', codex(true)), 'messages: stream');
        assertHasEveryTurnEvent(events);
        const done = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
        assert.deepEqual(done.filter((i) => i.call_id).map((i) => i.call_id), CALL_IDS);
        assert.ok(done.filter((i) => i.type === 'reasoning').every((i) => /^cgw2:/.test(i.encrypted_content)), 'signed and redacted thinking come back as cgw2: reasoning');
      });

      it('the next turn (reasoning items, calls and outputs sent back): conformant, and the mock accepts the signed thinking', async () => {
        claude.enqueue(codexAnswer());
        const first = JSON.parse((await post(mg, '/v1/responses', codex(false))).text);
        claude.enqueue(textReply('All three done.'));
        const outputs = first.output
          .filter((i: { call_id?: string }) => i.call_id)
          .map((i: { type: string; call_id: string }) => ({ type: i.type === 'custom_tool_call' ? 'custom_tool_call_output' : i.type === 'tool_search_call' ? 'tool_search_output' : 'function_call_output', call_id: i.call_id, ...(i.type === 'tool_search_call' ? { tools: [], execution: 'client', status: 'completed' } : { output: 'ok' }) }));
        const body = { ...codex(false), input: [...(CODEX_REQUEST.input as unknown[]), ...first.output, ...outputs] };
        const a = await post(mg, '/v1/responses', body);
        assert.equal(a.status, 200, a.text);
        assertNoViolations(specViolations('Response', JSON.parse(a.text)), gapsSeen, 'messages: Response of the tool turn');
        const sent = claude.requests[1]!.body;
        assert.equal(sent.thinking?.type, 'enabled', 'thinking stays on: the tool loop starts with the signed thinking block');
        const assistant = sent.messages.findLast((m: { role: string }) => m.role === 'assistant');
        assert.deepEqual(
          assistant.content.map((b: { type: string }) => b.type),
          ['thinking', 'redacted_thinking', 'text', 'tool_use', 'tool_use', 'tool_use'],
        );
        assert.deepEqual(
          sent.messages.at(-1).content.filter((b: { type: string }) => b.type === 'tool_result').map((b: { tool_use_id: string }) => b.tool_use_id),
          CALL_IDS,
        );
      });

      it('max_tokens: non-streamed Response and streamed response.incomplete conform (max_output_tokens)', async () => {
        claude.enqueue(textReply('A long answer that stops', { stopReason: 'max_tokens' }), textReply('A long answer that stops', { stopReason: 'max_tokens' }));
        const whole = JSON.parse((await post(mg, '/v1/responses', codex(false))).text);
        assertNoViolations(specViolations('Response', whole), gapsSeen, 'messages: incomplete Response');
        assert.equal(whole.status, 'incomplete');
        assert.equal(whole.incomplete_details?.reason, 'max_output_tokens');
        const events = checkResponsesStream(await post(mg, '/v1/responses', codex(true)), 'messages: incomplete stream');
        assert.equal(events.at(-1)!.type, 'response.incomplete');
        assert.equal(events.at(-1)!.response.incomplete_details?.reason, 'max_output_tokens');
      });

      for (const [what, opts, code] of [
        ['cut by a connection reset', { cutAfterEvents: 8 }, 'server_error'],
        ['carrying an overloaded_error event', { streamError: { afterEvents: 8, type: 'overloaded_error', message: 'Overloaded' } }, 'server_error'],
        ['carrying a prompt-too-long error event', { streamError: { afterEvents: 8, type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } }, 'context_length_exceeded'],
      ] as Array<[string, MessageReplyOptions, string]>) {
        it(`streamed, upstream ${what}: the gateway ends with a conformant response.failed (${code})`, async () => {
          claude.enqueue(codexAnswer({ ...opts, chunkSize: 4 }));
          const events = checkResponsesStream(await post(mg, '/v1/responses', codex(true)), `messages: stream ${what}`);
          assert.ok(events.some((e) => e.type === 'response.reasoning_summary_text.delta'), 'some content went out before the failure');
          assert.equal(events.at(-1)!.type, 'response.failed');
          assert.equal(events.at(-1)!.response.error.code, code);
        });
      }
    });

    describe('Chat door', () => {
      const chatBody = (stream: boolean) => ({
        model: 'via-messages',
        stream,
        ...(stream ? { stream_options: { include_usage: true } } : {}),
        reasoning_effort: 'low',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'weather in Paris and Rome?' },
        ],
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather.', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      });
      const weather = (opts: MessageReplyOptions = {}) =>
        messageReply(
          [
            { type: 'thinking', thinking: 'Two cities, two calls.' },
            { type: 'text', text: 'Checking both.' },
            { type: 'tool_use', id: 'toolu_paris', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_rome', name: 'get_weather', input: { city: 'Rome' } },
          ],
          opts,
        );

      it('non-streamed: a conformant chat.completion with parallel tool calls (ids = tool_use ids)', async () => {
        claude.enqueue(weather());
        const a = await post(mg, '/v1/chat/completions', chatBody(false));
        assert.equal(a.status, 200, a.text);
        const c = JSON.parse(a.text);
        assertNoViolations(specViolations('CreateChatCompletionResponse', c), gapsSeen, 'messages: chat completion');
        assert.equal(c.choices[0].finish_reason, 'tool_calls');
        assert.deepEqual(
          c.choices[0].message.tool_calls.map((t: { id: string }) => t.id),
          ['toolu_paris', 'toolu_rome'],
        );
      });

      it('streamed: every chunk conforms, then [DONE]', async () => {
        claude.enqueue(weather({ chunkSize: 3 }));
        const a = await post(mg, '/v1/chat/completions', chatBody(true));
        assert.equal(a.status, 200, a.text);
        const frames = parseSse(a.text);
        assertNoViolations(chatStreamViolations(frames), gapsSeen, 'messages: chat stream');
        assert.equal(frames.at(-1)!.data, '[DONE]');
        const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data));
        assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls'));
        assert.ok(chunks.at(-1).usage, 'the include_usage chunk comes last');
      });

      it('max_tokens: finish_reason length, conformant JSON and stream', async () => {
        claude.enqueue(textReply('A long answer that stops', { stopReason: 'max_tokens' }), textReply('A long answer that stops', { stopReason: 'max_tokens' }));
        const c = JSON.parse((await post(mg, '/v1/chat/completions', chatBody(false))).text);
        assertNoViolations(specViolations('CreateChatCompletionResponse', c), gapsSeen, 'messages: length chat completion');
        assert.equal(c.choices[0].finish_reason, 'length');
        const frames = parseSse((await post(mg, '/v1/chat/completions', chatBody(true))).text);
        assertNoViolations(chatStreamViolations(frames), gapsSeen, 'messages: length chat stream');
        assert.ok(frames.some((f) => f.data !== '[DONE]' && JSON.parse(f.data).choices?.[0]?.finish_reason === 'length'));
      });

      it('streamed, upstream cut mid-way: the gateway error frame is a conformant ErrorResponse', async () => {
        claude.enqueue(weather({ chunkSize: 3, cutAfterEvents: 9 }));
        const a = await post(mg, '/v1/chat/completions', chatBody(true));
        assert.equal(a.status, 200, a.text);
        const frames = parseSse(a.text);
        assertNoViolations(chatStreamViolations(frames), gapsSeen, 'messages: cut chat stream');
        assert.ok('error' in JSON.parse(frames.at(-1)!.data), 'the stream ends with an error frame');
      });
    });

    for (const path of ['/v1/responses', '/v1/chat/completions']) {
      it(`${path}: an overloaded_error (529) before any byte -> a conformant ErrorResponse`, async () => {
        claude.enqueue(overloadedReply());
        const a = await post(mg, path, { model: 'via-messages', input: 'hi', messages: [{ role: 'user', content: 'hi' }] });
        assert.equal(a.status, 502, a.text);
        assertNoViolations(specViolations('ErrorResponse', JSON.parse(a.text)), gapsSeen, `messages: ${path} error body`);
        assert.ok(!a.text.includes(claudeKey));
      });
    }
  });

  describe('errors answered before any upstream byte', () => {
    for (const path of ['/v1/responses', '/v1/chat/completions']) {
      it(`${path}: unknown alias -> ErrorResponse`, async () => {
        const a = await post(g, path, { model: 'no-such-alias', input: 'hi', messages: [{ role: 'user', content: 'hi' }] });
        assert.equal(a.status, 400);
        assertNoViolations(specViolations('ErrorResponse', JSON.parse(a.text)), gapsSeen, `${path} error body`);
      });
    }
  });

  describe('known gaps (KNOWN_GAPS in the helper)', () => {
    it('each gap listed for this suite still occurs (a fixed one must be removed from the list)', function () {
      if (gapsSeen.size === 0 && process.argv.some((a) => /^(--grep|-g|--fgrep|-f)(=|$)/.test(a))) this.skip(); // a filtered run
      assertGapsStillOpen('integration', gapsSeen);
    });
  });
});
