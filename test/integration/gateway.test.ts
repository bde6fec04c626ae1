/**
 * Integration: the real gateway on a real loopback port, local mock upstreams speaking the Chat
 * Completions and Responses wire formats, and the official `openai` SDK as the client.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { chatText, chatToolCalls, errorReply, hangReply, MockUpstream, responsesText } from '../helpers/mock-upstream';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';

/** Raw HTTP request to the gateway (for header-level tests the SDK cannot express). */
function raw(
  url: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function client(g: TestGateway, token = g.token): OpenAI {
  return new OpenAI({ baseURL: g.baseURL, apiKey: token, maxRetries: 0, timeout: 20_000 });
}

describe('gateway over HTTP (openai SDK client, mock upstreams)', function () {
  let chatUp: MockUpstream;
  let respUp: MockUpstream;
  let backupUp: MockUpstream;
  let g: TestGateway;
  const keys = { DEEPSEEK_API_KEY: fakeKey('deepseek'), OPENAI_API_KEY: fakeKey('openai'), BACKUP_KEY: fakeKey('backup') };

  before(async () => {
    chatUp = await MockUpstream.start({ name: 'chat' });
    respUp = await MockUpstream.start({ name: 'responses' });
    backupUp = await MockUpstream.start({ name: 'backup' });
    g = await startGateway(
      `
model_list:
  - model_name: ds
    litellm_params:
      model: deepseek/deepseek-chat
      api_base: ${chatUp.baseUrl}
      api_key: os.environ/DEEPSEEK_API_KEY
    model_info:
      max_input_tokens: 64000
  - model_name: gpt
    litellm_params:
      model: openai/gpt-test
      api_base: ${respUp.baseUrl}
      api_key: os.environ/OPENAI_API_KEY
  - model_name: backup
    litellm_params:
      model: openai/backup-model
      api_base: ${backupUp.baseUrl}
      api_key: os.environ/BACKUP_KEY
      wire_api: chat
  - model_name: nokey
    litellm_params:
      model: deepseek/deepseek-chat
      api_base: ${chatUp.baseUrl}
      api_key: os.environ/MISSING_TEST_KEY
  - model_name: claude
    litellm_params:
      model: anthropic/claude-test
      api_key: os.environ/ANTHROPIC_API_KEY
router_settings:
  num_retries: 1
  retry_after: 0
  allowed_fails: 100
  fallbacks:
    - ds: [backup]
gateway_settings:
  max_body_bytes: 200000
`,
      keys,
    );
  });
  after(async () => {
    await g?.close();
    await Promise.all([chatUp?.close(), respUp?.close(), backupUp?.close()]);
  });
  beforeEach(() => {
    chatUp.requests.length = 0;
    respUp.requests.length = 0;
    backupUp.requests.length = 0;
  });

  describe('access control', () => {
    it('answers the health probes without a token and calls no upstream', async () => {
      const live = await raw(g.url, { path: '/health/liveliness' });
      assert.equal(live.status, 200);
      const ready = await raw(g.url, { path: '/health/readiness' });
      assert.equal(ready.status, 200);
      assert.equal(JSON.parse(ready.body).status, 'healthy');
      assert.equal(chatUp.requests.length + respUp.requests.length, 0);
    });

    it('refuses /v1 requests without the right bearer token, in the OpenAI error shape', async () => {
      const none = await raw(g.url, { path: '/v1/models' });
      assert.equal(none.status, 401);
      assert.equal(JSON.parse(none.body).error.type, 'authentication_error');
      await assert.rejects(client(g, 'wrong-token').chat.completions.create({ model: 'ds', messages: [{ role: 'user', content: 'hi' }] }), (e: any) => {
        assert.equal(e.status, 401);
        assert.match(e.message, /gateway token/);
        return true;
      });
      assert.equal(chatUp.requests.length, 0);
    });

    it('refuses a non-loopback Host (DNS rebinding) and a foreign web Origin', async () => {
      const auth = { authorization: `Bearer ${g.token}` };
      const rebinding = await raw(g.url, { path: '/v1/models', headers: { ...auth, host: 'attacker.example:4000' } });
      assert.equal(rebinding.status, 403);
      assert.equal(JSON.parse(rebinding.body).error.code, 'forbidden_host');
      const driveBy = await raw(g.url, { path: '/v1/models', headers: { ...auth, origin: 'https://attacker.example' } });
      assert.equal(driveBy.status, 403);
      const localPage = await raw(g.url, { path: '/v1/models', headers: { ...auth, origin: 'http://localhost:5173' } });
      assert.equal(localPage.status, 200);
    });

    it('answers 413 for a body over max_body_bytes', async () => {
      const body = JSON.stringify({ model: 'ds', messages: [{ role: 'user', content: 'x'.repeat(300_000) }] });
      const r = await raw(g.url, { method: 'POST', path: '/v1/chat/completions', headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json' }, body });
      assert.equal(r.status, 413);
      assert.equal(JSON.parse(r.body).error.code, 'request_too_large');
      assert.equal(chatUp.requests.length, 0);
    });
  });

  describe('models', () => {
    it('lists the aliases in the OpenAI list shape', async () => {
      const ids = [];
      for await (const m of client(g).models.list()) ids.push(m.id);
      assert.deepEqual(ids, ['ds', 'gpt', 'backup', 'nokey', 'claude']);
    });

    it('serves the Codex model catalog shape', async () => {
      const r = await raw(g.url, { path: '/v1/codex/models?client_version=0.169.0', headers: { authorization: `Bearer ${g.token}` } });
      assert.equal(r.status, 200);
      const cat = JSON.parse(r.body);
      assert.ok(Array.isArray(cat.models));
      assert.deepEqual(
        cat.models.map((m: any) => m.slug),
        ['default', 'ds', 'gpt', 'backup', 'nokey', 'claude'],
      );
      assert.equal(cat.models[0].display_name, 'Default (ds)');
    });

    it('routes the virtual alias "default" to the selected model, switching without a reload', async () => {
      chatUp.enqueue(chatText('from ds'));
      const r1 = await client(g).responses.create({ model: 'default', input: 'hi' });
      assert.equal(r1.output_text, 'from ds');
      g.gw.setDefaultModel('backup');
      try {
        backupUp.enqueue(chatText('from backup'));
        const r2 = await client(g).responses.create({ model: 'default', input: 'hi' });
        assert.equal(r2.output_text, 'from backup');
        const cat = JSON.parse((await raw(g.url, { path: '/v1/codex/models', headers: { authorization: `Bearer ${g.token}` } })).body);
        assert.equal(cat.models[0].display_name, 'Default (backup)');
      } finally {
        g.gw.setDefaultModel(undefined);
      }
    });
  });

  describe('/v1/chat/completions pass-through', () => {
    it('routes the alias to the upstream model with the provider key (non-streamed)', async () => {
      chatUp.enqueue(chatText('hello there'));
      const r = await client(g).chat.completions.create({ model: 'ds', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(r.choices[0].message.content, 'hello there');
      assert.equal(chatUp.requests[0].body.model, 'deepseek-chat');
      assert.equal(chatUp.requests[0].headers.authorization, `Bearer ${keys.DEEPSEEK_API_KEY}`);
    });

    it('streams chunks through', async () => {
      chatUp.enqueue(chatText('streamed answer text', { chunkSize: 4 }));
      const s = await client(g).chat.completions.create({ model: 'ds', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      let text = '';
      let n = 0;
      for await (const c of s) {
        text += c.choices[0]?.delta?.content ?? '';
        n++;
      }
      assert.equal(text, 'streamed answer text');
      assert.ok(n > 3, `expected several chunks, got ${n}`);
    });

    it('answers 400 model_not_found with the known aliases for an unknown alias', async () => {
      await assert.rejects(client(g).chat.completions.create({ model: 'dss', messages: [{ role: 'user', content: 'hi' }] }), (e: any) => {
        assert.equal(e.status, 400);
        assert.equal(e.code, 'model_not_found');
        assert.match(e.message, /ds/);
        return true;
      });
    });
  });

  describe('/v1/responses through a Chat Completions upstream', () => {
    it('translates a non-streamed text answer', async () => {
      chatUp.enqueue(chatText('translated answer'));
      const r = await client(g).responses.create({ model: 'ds', input: 'hi', instructions: 'be brief' });
      assert.equal(r.output_text, 'translated answer');
      const sent = chatUp.requests[0].body;
      assert.equal(sent.model, 'deepseek-chat');
      assert.equal(sent.messages[0].role, 'system');
      assert.equal(sent.messages.at(-1).content, 'hi');
    });

    it('streams text as Responses events in the order Codex needs', async () => {
      chatUp.enqueue(chatText('one two three four', { chunkSize: 3, reasoning: 'thinking hard' }));
      const s = await client(g).responses.create({ model: 'ds', input: 'hi', stream: true });
      const types: string[] = [];
      let text = '';
      let completed: any;
      for await (const ev of s) {
        types.push(ev.type);
        if (ev.type === 'response.output_text.delta') text += ev.delta;
        if (ev.type === 'response.completed') completed = ev.response;
      }
      assert.equal(text, 'one two three four');
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      const firstDelta = types.indexOf('response.output_text.delta');
      const added = types.indexOf('response.output_item.added');
      assert.ok(added >= 0 && added < firstDelta, 'output_item.added must precede the first delta');
      assert.ok(types.includes('response.reasoning_summary_text.delta'), 'reasoning_content becomes reasoning summary deltas');
      assert.ok(completed.id);
      assert.deepEqual(
        completed.output.map((o: any) => o.type),
        ['reasoning', 'message'],
      );
    });

    it('turns tool_calls into function_call items and sends the results back as role:tool', async () => {
      chatUp.enqueue(
        chatToolCalls([
          { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'call_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
        ]),
      );
      const tools = [{ type: 'function' as const, name: 'get_weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
      const s = await client(g).responses.create({ model: 'ds', input: 'weather?', tools, stream: true });
      const done: any[] = [];
      for await (const ev of s) if (ev.type === 'response.output_item.done') done.push(ev.item);
      assert.deepEqual(
        done.map((i) => [i.type, i.call_id, i.name, i.arguments]),
        [
          ['function_call', 'call_a', 'get_weather', '{"city":"Paris"}'],
          ['function_call', 'call_b', 'get_weather', '{"city":"Rome"}'],
        ],
      );
      assert.equal(chatUp.requests[0].body.tools[0].function.name, 'get_weather');

      chatUp.enqueue(chatText('Sunny in both.'));
      const r2 = await client(g).responses.create({
        model: 'ds',
        tools,
        input: [
          { role: 'user', content: 'weather?' },
          ...done.map((i) => ({ type: 'function_call' as const, call_id: i.call_id, name: i.name, arguments: i.arguments })),
          { type: 'function_call_output', call_id: 'call_a', output: 'sunny, 24C' },
          { type: 'function_call_output', call_id: 'call_b', output: 'sunny, 27C' },
        ],
      });
      assert.equal(r2.output_text, 'Sunny in both.');
      const msgs = chatUp.requests[1].body.messages;
      const assistant = msgs.find((m: any) => m.role === 'assistant');
      assert.deepEqual(
        assistant.tool_calls.map((t: any) => t.id),
        ['call_a', 'call_b'],
        'parallel calls are grouped in one assistant message',
      );
      const toolMsgs = msgs.filter((m: any) => m.role === 'tool');
      assert.deepEqual(
        toolMsgs.map((m: any) => [m.tool_call_id, m.content]),
        [
          ['call_a', 'sunny, 24C'],
          ['call_b', 'sunny, 27C'],
        ],
      );
    });

    it('ends a stream that breaks mid-way with response.failed', async () => {
      chatUp.enqueue(chatText('this answer will be cut off somewhere', { chunkSize: 4, abortAfterChunks: 3 }));
      const s = await client(g).responses.create({ model: 'ds', input: 'hi', stream: true });
      const types: string[] = [];
      for await (const ev of s) types.push(ev.type);
      assert.equal(types.at(-1), 'response.failed');
      assert.ok(!types.includes('response.completed'));
    });

    it('maps finish_reason length to response.incomplete', async () => {
      chatUp.enqueue(chatText('truncated', { finishReason: 'length' }));
      const s = await client(g).responses.create({ model: 'ds', input: 'hi', stream: true, max_output_tokens: 5 });
      let last: any;
      for await (const ev of s) last = ev;
      assert.equal(last.type, 'response.incomplete');
      assert.equal(last.response.incomplete_details.reason, 'max_output_tokens');
      assert.equal(chatUp.requests[0].body.max_tokens, 5);
    });
  });

  describe('/v1/responses through a Responses upstream', () => {
    it('passes the stream through with the upstream model name', async () => {
      respUp.enqueue(responsesText('passed through'));
      const s = await client(g).responses.create({ model: 'gpt', input: 'hi', stream: true });
      let text = '';
      let completed = false;
      for await (const ev of s) {
        if (ev.type === 'response.output_text.delta') text += ev.delta;
        if (ev.type === 'response.completed') completed = true;
      }
      assert.equal(text, 'passed through');
      assert.ok(completed);
      assert.equal(respUp.requests[0].path, '/v1/responses');
      assert.equal(respUp.requests[0].body.model, 'gpt-test');
      assert.equal(respUp.requests[0].headers.authorization, `Bearer ${keys.OPENAI_API_KEY}`);
    });

    it('falls back to Chat Completions when /responses answers 404, and remembers it', async () => {
      const up = await MockUpstream.start({ name: 'chat-only' });
      const g2 = await startGateway(
        `model_list:\n  - model_name: m\n    litellm_params: { model: openai/x, api_base: "${up.baseUrl}", api_key: os.environ/K }\n`,
        { K: fakeKey() },
      );
      try {
        up.enqueue(errorReply(404), chatText('via chat'), chatText('again via chat'));
        const r1 = await client(g2).responses.create({ model: 'm', input: 'hi' });
        assert.equal(r1.output_text, 'via chat');
        const r2 = await client(g2).responses.create({ model: 'm', input: 'hi' });
        assert.equal(r2.output_text, 'again via chat');
        assert.deepEqual(
          up.requests.map((r) => r.path),
          ['/v1/responses', '/v1/chat/completions', '/v1/chat/completions'],
        );
      } finally {
        await g2.close();
        await up.close();
      }
    });
  });

  describe('an upstream that echoes its key', () => {
    // The key in one delta (a streamed relay and a translation both scrub whole SSE frames; a key split
    // across deltas is a documented limit, docs/reliability.md).
    const echo = () => chatUp.enqueue(chatText(`key=${keys.DEEPSEEK_API_KEY} end`, { chunkSize: 4096 }));
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const r = await fetch(`${g.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return { status: r.status, text: await r.text() };
    };

    it('never reaches the client: relayed (Chat door), translated to Responses and to Messages, streamed and whole', async () => {
      const cases: [string, () => Promise<{ status: number; text: string }>][] = [
        ['chat, streamed (relayed)', () => post('/v1/chat/completions', { model: 'ds', stream: true, messages: [{ role: 'user', content: 'hi' }] })],
        ['chat, whole (relayed)', () => post('/v1/chat/completions', { model: 'ds', messages: [{ role: 'user', content: 'hi' }] })],
        ['responses, streamed (translated)', () => post('/v1/responses', { model: 'ds', stream: true, input: 'hi' })],
        ['responses, whole (translated)', () => post('/v1/responses', { model: 'ds', input: 'hi' })],
        ['messages, streamed (translated)', () => post('/v1/messages', { model: 'ds', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' })],
        ['messages, whole (translated)', () => post('/v1/messages', { model: 'ds', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' })],
      ];
      for (const [name, call] of cases) {
        echo();
        const r = await call();
        assert.equal(r.status, 200, `${name}: ${r.text.slice(0, 300)}`);
        assert.ok(!r.text.includes(keys.DEEPSEEK_API_KEY), `${name}: the key reached the client`);
        assert.match(r.text, /key=\[redacted\] end/, `${name}: the answer arrives with the key replaced`);
      }
    });
  });

  describe('retries, fallbacks, errors', () => {
    it('retries a 503 and then succeeds', async () => {
      chatUp.enqueue(errorReply(503), chatText('second try'));
      const r = await client(g).chat.completions.create({ model: 'ds', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      assert.equal(r.data.choices[0].message.content, 'second try');
      assert.equal(r.response.headers.get('x-codex-gateway-retries'), '1');
      assert.equal(chatUp.requests.length, 2);
    });

    it('falls back to the next alias when the group keeps failing', async () => {
      chatUp.enqueue(errorReply(503), errorReply(503));
      backupUp.enqueue(chatText('from backup'));
      const r = await client(g).responses.create({ model: 'ds', input: 'hi' }).withResponse();
      assert.equal(r.data.output_text, 'from backup');
      assert.equal(r.response.headers.get('x-codex-gateway-fallback-from'), 'ds');
      assert.equal(backupUp.requests[0].body.model, 'backup-model');
    });

    it('passes a 429 on with Retry-After (after its own retries)', async () => {
      const up = await MockUpstream.start({ name: 'limited' });
      const g2 = await startGateway(
        `model_list:\n  - model_name: m\n    litellm_params: { model: deepseek/x, api_base: "${up.baseUrl}", api_key: os.environ/K }\nrouter_settings: { num_retries: 1 }\n`,
        { K: fakeKey() },
      );
      try {
        up.setFallback(errorReply(429, undefined, { 'retry-after': '2' }));
        await assert.rejects(client(g2).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }), (e: any) => {
          assert.equal(e.status, 429);
          assert.ok(Number(e.headers.get('retry-after')) >= 1);
          return true;
        });
      } finally {
        await g2.close();
        await up.close();
      }
    });

    it('applies stream_timeout to streamed requests and timeout to the others (504 when the upstream is too slow)', async () => {
      const up = await MockUpstream.start({ name: 'slow' });
      const g2 = await startGateway(
        `model_list:\n  - model_name: m\n    litellm_params: { model: deepseek/x, api_base: "${up.baseUrl}", api_key: os.environ/K, timeout: 5, stream_timeout: 0.3 }\nrouter_settings: { num_retries: 0 }\n`,
        { K: fakeKey() },
      );
      const slowHeaders = (ms: number, reply: ReturnType<typeof chatText>) => async (req: any, res: any) => {
        await new Promise((r) => setTimeout(r, ms));
        if (!res.destroyed) await reply(req, res);
      };
      try {
        up.enqueue(slowHeaders(4000, chatText('too late')));
        const t0 = Date.now();
        await assert.rejects(client(g2).responses.create({ model: 'm', input: 'hi', stream: true }), (e: any) => {
          assert.equal(e.status, 504);
          assert.equal(e.code, 'upstream_timeout');
          return true;
        });
        assert.ok(Date.now() - t0 < 3000, 'gave up after stream_timeout (0.3 s), not timeout (5 s)');
        up.enqueue(slowHeaders(600, chatText('slow but in time')));
        const r = await client(g2).responses.create({ model: 'm', input: 'hi' });
        assert.equal(r.output_text, 'slow but in time');
      } finally {
        await g2.close();
        await up.close();
      }
    });

    it("sends the request again without reasoning_effort when the model rejects it, and remembers that (Codex's effort \"none\")", async () => {
      const rejects = errorReply(400, { error: { message: "Unrecognized request argument supplied: reasoning_effort", type: 'invalid_request_error', param: 'reasoning_effort', code: null } });
      const seen = chatUp.requests.length;
      chatUp.enqueue(rejects);
      chatUp.enqueue(chatText('answered without effort'));
      const r = await client(g).responses.create({ model: 'ds', input: 'hi', reasoning: { effort: 'none' } as never });
      assert.equal(r.output_text, 'answered without effort');
      const [first, second] = chatUp.requests.slice(seen);
      assert.equal(first.body.reasoning_effort, 'none');
      assert.equal(second.body.reasoning_effort, undefined);
      assert.ok(g.logs.some((l) => /rejected the reasoning effort/.test(l)), 'the gateway says what it did');
      // Remembered: the next request leaves the field out at once.
      chatUp.enqueue(chatText('again'));
      await client(g).chat.completions.create({ model: 'ds', messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'low' } as never);
      assert.equal(chatUp.requests.at(-1)!.body.reasoning_effort, undefined);
      assert.equal(chatUp.requests.length, seen + 3);
    });

    it('says which key an upstream rejected, never the key itself', async () => {
      backupUp.enqueue(errorReply(401, { error: { message: `Incorrect API key provided: ${keys.BACKUP_KEY}`, type: 'invalid_request_error', code: 'invalid_api_key' } }));
      await assert.rejects(client(g).responses.create({ model: 'backup', input: 'hi' }), (e: any) => {
        assert.equal(e.status, 400);
        assert.equal(e.code, 'invalid_api_key');
        assert.match(e.message, /BACKUP_KEY/);
        assert.match(e.message, /backup/);
        assert.ok(!e.message.includes(keys.BACKUP_KEY), 'the key value must not reach the client');
        return true;
      });
      assert.ok(!g.logs.some((l) => l.includes(keys.BACKUP_KEY)), 'the key value must not reach the log');
    });

    it('names a missing key and what to do', async () => {
      await assert.rejects(client(g).responses.create({ model: 'nokey', input: 'hi' }), (e: any) => {
        assert.match(e.message, /MISSING_TEST_KEY is not set/);
        return true;
      });
    });

    it('aborts the upstream request when the client disconnects', async () => {
      chatUp.enqueue(hangReply());
      const ac = new AbortController();
      // The gateway sends nothing before the upstream's first event, so the client aborts while waiting.
      const p = client(g).responses.create({ model: 'ds', input: 'hi', stream: true }, { signal: ac.signal });
      await chatUp.waitForRequests(1, 5000);
      ac.abort();
      await assert.rejects(p);
      const deadline = Date.now() + 3000;
      while (!chatUp.requests[0].aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(chatUp.requests[0].aborted, 'the upstream saw the connection close');
    });

    it('writes one log line per request with alias, deployment, status, latency and tokens, without prompt text', async () => {
      chatUp.enqueue(chatText('logged answer', { usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } }));
      const secretPrompt = `prompt-${fakeKey()}`;
      await client(g).chat.completions.create({ model: 'ds', messages: [{ role: 'user', content: secretPrompt }] });
      await new Promise((r) => setImmediate(r));
      const line = g.logs.filter((l) => l.includes('/v1/chat/completions')).at(-1)!;
      assert.match(line, /alias=ds deployment=ds#0 wire=chat status=200 latency_ms=\d+/);
      assert.match(line, /tokens_in=11 tokens_out=7/);
      assert.ok(!g.logs.some((l) => l.includes(secretPrompt)));
    });
  });
});
