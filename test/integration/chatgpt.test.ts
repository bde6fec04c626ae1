/**
 * Integration: `chatgpt/<model>` deployments (the user's ChatGPT plan through their own Codex sign-in) on the
 * real gateway and a loopback mock of the ChatGPT Codex backend that enforces its rules
 * (test/helpers/chatgpt-backend-mock.ts), with the official `openai` SDK as the client: streamed and
 * non-streamed on the Responses and Chat doors, the 401 path, the opt-in, the model allow-list, and the
 * plan's usage limit: a 429 `usage_limit_reached` cools the deployment down until its reset (an injected
 * router clock), the alias's fallback serves meanwhile, and the plan serves again after the reset.
 * `auth.json` must be byte-identical at the end.
 */
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ChatgptCredentials, type ChatgptAuth } from '../../src/gateway/chatgpt/credentials';
import { ChatgptPlan } from '../../src/gateway/chatgpt/plan';
import { ChatgptBackendMock, writeAuthFixture, type AuthFixture } from '../helpers/chatgpt-backend-mock';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';
import { chatText, MockUpstream } from '../helpers/mock-upstream';
import { ManualClock } from '../unit/router/helpers';

function client(g: TestGateway): OpenAI {
  return new OpenAI({ baseURL: g.baseURL, apiKey: g.token, maxRetries: 0, timeout: 20_000 });
}

/** The config: `plan` (with fallback `ds`), `solo` (no fallback), `wrong` (a model the plan does not offer). */
function yaml(backend: ChatgptBackendMock, chat: MockUpstream, enabled: boolean): string {
  return `
model_list:
  - model_name: plan
    litellm_params:
      model: chatgpt/gpt-5.5
      api_base: ${backend.baseUrl}
  - model_name: solo
    litellm_params:
      model: chatgpt/gpt-6-luna
      api_base: ${backend.baseUrl}
  - model_name: wrong
    litellm_params:
      model: chatgpt/gpt-4o
      api_base: ${backend.baseUrl}
  - model_name: ds
    litellm_params:
      model: deepseek/deepseek-chat
      api_base: ${chat.baseUrl}
      api_key: os.environ/DEEPSEEK_API_KEY
router_settings:
  num_retries: 0
  fallbacks:
    - plan: [ds]
${enabled ? 'gateway_settings:\n  chatgpt_plan: true\n' : ''}`;
}

describe('chatgpt/<model>: the ChatGPT plan as an upstream (mock backend, openai SDK)', function () {
  let auth: AuthFixture;
  let backend: ChatgptBackendMock;
  let chat: MockUpstream;
  let g: TestGateway;
  let clock: ManualClock;
  const keys = { DEEPSEEK_API_KEY: fakeKey('deepseek') };

  before(async () => {
    auth = await writeAuthFixture();
    backend = await ChatgptBackendMock.start(auth);
    chat = await MockUpstream.start({ name: 'ds', apiKey: keys.DEEPSEEK_API_KEY });
    clock = new ManualClock();
    clock.t = Date.now();
    g = await startGateway(yaml(backend, chat, true), keys, { clock }, { chatgpt: { credentials: { codexHome: auth.codexHome } } });
  });

  after(async () => {
    await g?.close();
    await backend?.close();
    await chat?.close();
    assert.ok(await auth.unchanged(), 'auth.json changed');
    await auth?.cleanup();
  });

  afterEach(() => {
    backend.limitCleared();
  });

  /** The last request the backend accepted. */
  const lastAccepted = () => {
    const a = backend.accepted;
    assert.ok(a.length > 0, `the backend accepted nothing; rejected: ${JSON.stringify(backend.rejected.map((r) => r.detail))}`);
    return a[a.length - 1]!;
  };

  it('a non-streamed Responses request is sent streamed, store false, with instructions and honest headers; max_output_tokens and metadata are left out', async () => {
    const before = backend.rejected.length;
    const r = await client(g).responses.create({
      model: 'plan',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Be brief.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
      ],
      max_output_tokens: 500,
      metadata: { ticket: 'x' },
      temperature: 0.2,
    });
    assert.equal(r.output_text, 'plan says hi');
    assert.equal(r.status, 'completed');
    assert.equal(backend.rejected.length, before, JSON.stringify(backend.rejected.map((x) => x.detail)));
    const req = lastAccepted();
    assert.equal(req.body.stream, true);
    assert.equal(req.body.store, false);
    assert.equal(req.body.instructions, 'Be brief.');
    assert.deepEqual(req.body.input.map((i: any) => i.role), ['user']);
    for (const f of ['max_output_tokens', 'metadata', 'temperature']) assert.equal(req.body[f], undefined, f);
    assert.ok(req.body.include.includes('reasoning.encrypted_content'));
    assert.equal(req.headers.originator, 'codex_gateway');
    assert.match(req.headers['user-agent']!, /^codex-gateway\/\d+\.\d+\.\d+ \(/);
    assert.equal(req.headers['chatgpt-account-id'], auth.accountId);
    assert.equal(req.headers.cookie, undefined);
  });

  it('a streamed Responses request is relayed as the backend streams it, with the client instructions', async () => {
    const stream = await client(g).responses.create({ model: 'plan', instructions: 'Answer in English.', input: 'hi', stream: true });
    let text = '';
    let completed = false;
    for await (const ev of stream) {
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed') completed = true;
    }
    assert.equal(text, 'plan says hi');
    assert.ok(completed);
    const req = lastAccepted();
    assert.equal(req.body.instructions, 'Answer in English.');
    assert.equal(req.body.input[0].content[0].text, 'hi');
  });

  it('Chat Completions clients, streamed and not, are served by the plan (system message -> instructions, max_tokens left out)', async () => {
    backend.enqueue({ kind: 'text', text: 'from the plan' });
    const c = await client(g).chat.completions.create({ model: 'plan', messages: [{ role: 'system', content: 'Sys text.' }, { role: 'user', content: 'hi' }], max_tokens: 50 });
    assert.equal(c.choices[0]!.message.content, 'from the plan');
    let req = lastAccepted();
    assert.equal(req.body.instructions, 'Sys text.');
    assert.equal(req.body.max_output_tokens, undefined);
    backend.enqueue({ kind: 'text', text: 'streamed plan' });
    const s = await client(g).chat.completions.create({ model: 'plan', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const ch of s) text += ch.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'streamed plan');
    req = lastAccepted();
    assert.ok(req.body.instructions.length > 0, 'a default instructions text is supplied');
  });

  it('a tool call comes back to a Chat client', async () => {
    backend.enqueue({ kind: 'tool', name: 'get_weather', arguments: '{"city":"Paris"}', callId: 'call_abc' });
    const c = await client(g).chat.completions.create({
      model: 'plan',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    const call = c.choices[0]!.message.tool_calls![0]! as { id: string; function: { name: string; arguments: string } };
    assert.equal(call.id, 'call_abc');
    assert.equal(call.function.name, 'get_weather');
    assert.equal(call.function.arguments, '{"city":"Paris"}');
    assert.equal(c.choices[0]!.finish_reason, 'tool_calls');
  });

  it('a model the plan does not offer is a clear 400 naming the model', async () => {
    await assert.rejects(client(g).responses.create({ model: 'wrong', input: 'hi' }), (e: any) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'model_not_found');
      assert.match(e.message, /gpt-4o/);
      return true;
    });
  });

  it('the plan usage from the backend headers is in the gateway state (GET /v1/health)', async () => {
    backend.usage = { primaryUsedPercent: 40, secondaryUsedPercent: 9 };
    await client(g).responses.create({ model: 'plan', input: 'hi' });
    const h = await g.gw.health(false);
    const u = h.chatgpt_plan!.usage as any;
    assert.equal(h.chatgpt_plan!.enabled, true);
    assert.equal(u.primary.usedPercent, 40);
    assert.equal(u.primary.windowMinutes, 300);
    assert.ok(u.primary.resetsAt > Date.now());
    assert.equal(u.secondary.usedPercent, 9);
    assert.doesNotMatch(JSON.stringify(h), new RegExp(auth.accessToken.slice(0, 20)));
  });

  it('a usage limit (429 usage_limit_reached) cools the plan down until its reset: the fallback serves, then the plan again', async () => {
    backend.limitReached(3600);
    chat.enqueue(chatText('fallback answer'), chatText('fallback again'));
    const seen = backend.requests.length;
    const r1 = await client(g).chat.completions.create({ model: 'plan', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(r1.data.choices[0]!.message.content, 'fallback answer');
    assert.equal(r1.response.headers.get('x-codex-gateway-fallback-from'), 'plan');
    assert.equal(backend.requests.length, seen + 1, 'the plan was asked once');
    const dep = g.gw.router.health().find((d) => d.alias === 'plan')!;
    assert.ok(dep.cooldownUntil !== null && dep.cooldownUntil >= clock.now() + 3590_000, `cooldown until the reset, got ${dep.cooldownUntil}`);
    const u = (await g.gw.health(false)).chatgpt_plan!.usage as any;
    assert.ok(u.limitResetsAt > Date.now() + 3500_000, 'the reset time is in the gateway state');

    // During the cooldown the plan is not even asked.
    const r2 = await client(g).chat.completions.create({ model: 'plan', messages: [{ role: 'user', content: 'again' }] });
    assert.equal(r2.choices[0]!.message.content, 'fallback again');
    assert.equal(backend.requests.length, seen + 1);

    // After the reset the plan serves again.
    backend.limitCleared();
    clock.advance(3601_000);
    backend.enqueue({ kind: 'text', text: 'plan is back' });
    const r3 = await client(g).chat.completions.create({ model: 'plan', messages: [{ role: 'user', content: 'later' }] }).withResponse();
    assert.equal(r3.data.choices[0]!.message.content, 'plan is back');
    assert.equal(r3.response.headers.get('x-codex-gateway-fallback-from'), null);
  });

  it('a usage limit with no fallback is a 429 usage_limit_reached with Retry-After until the reset', async () => {
    backend.limitReached(1800);
    await assert.rejects(client(g).responses.create({ model: 'solo', input: 'hi' }), (e: any) => {
      assert.equal(e.status, 429);
      assert.equal(e.type, 'usage_limit_reached');
      assert.match(e.message, /usage limit of your ChatGPT plan/);
      const ra = Number(e.headers?.get?.('retry-after') ?? e.headers?.['retry-after']);
      assert.ok(ra >= 1790 && ra <= 1800, `Retry-After ${ra}`);
      return true;
    });
  });
});

describe('chatgpt/<model>: opt-in and sign-in failures', function () {
  let auth: AuthFixture;
  let backend: ChatgptBackendMock;
  let chat: MockUpstream;
  const keys = { DEEPSEEK_API_KEY: fakeKey('deepseek') };

  before(async () => {
    auth = await writeAuthFixture();
    backend = await ChatgptBackendMock.start(auth);
    chat = await MockUpstream.start({ name: 'ds', apiKey: keys.DEEPSEEK_API_KEY });
  });
  after(async () => {
    await backend?.close();
    await chat?.close();
    assert.ok(await auth.unchanged(), 'auth.json changed');
    await auth?.cleanup();
  });

  it('while gateway_settings.chatgpt_plan is off nothing is sent to the plan: the fallback serves, or a 400 says how to enable it', async () => {
    const g = await startGateway(yaml(backend, chat, false), keys, {}, { chatgpt: { credentials: { codexHome: auth.codexHome } } });
    try {
      chat.enqueue(chatText('fallback while off'));
      const r = await client(g).chat.completions.create({ model: 'plan', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(r.choices[0]!.message.content, 'fallback while off');
      await assert.rejects(client(g).responses.create({ model: 'solo', input: 'hi' }), (e: any) => {
        assert.equal(e.status, 400);
        assert.equal(e.code, 'chatgpt_plan_off');
        assert.match(e.message, /gateway_settings\.chatgpt_plan: true/);
        assert.match(e.message, /OpenAI's terms/);
        return true;
      });
      assert.equal(backend.requests.length, 0);
    } finally {
      await g.close();
    }
  });

  it('a 401 asks the credentials once for fresher ones and retries; a second 401 says to run Codex', async () => {
    /** Hands out a stale token first; after the 401, the fixture's (as a sign-in refreshed meanwhile). */
    class StaleFirst extends ChatgptCredentials {
      asked = 0;
      fresh = true;
      override async current(): Promise<ChatgptAuth> {
        const a = await super.current();
        return { ...a, accessToken: `stale-${a.accessToken.slice(-8)}` };
      }
      override async afterUnauthorized(rejected: string): Promise<ChatgptAuth | undefined> {
        this.asked++;
        assert.match(rejected, /^stale-/);
        return this.fresh ? super.current() : undefined;
      }
    }
    const creds = new StaleFirst({ codexHome: auth.codexHome });
    const g = await startGateway(yaml(backend, chat, true), keys, {}, { chatgpt: new ChatgptPlan({ credentials: creds }) });
    try {
      const r = await client(g).responses.create({ model: 'solo', input: 'hi' });
      assert.equal(r.output_text, 'plan says hi');
      assert.equal(creds.asked, 1);
      creds.fresh = false;
      await assert.rejects(client(g).responses.create({ model: 'solo', input: 'hi' }), (e: any) => {
        assert.equal(e.status, 400);
        assert.equal(e.code, 'chatgpt_unauthorized');
        assert.match(e.message, /Run `codex` once/);
        return true;
      });
      assert.equal(creds.asked, 2);
    } finally {
      await g.close();
    }
  });

  it('an answer after a 401 and a refreshed sign-in is scrubbed of the fresher token too (relayed streamed and collected)', async () => {
    /** A stale token first (the backend answers 401); the fixture's token after the 401 (the "fresh" one). */
    class StaleFirst extends ChatgptCredentials {
      asked = 0;
      override async current(): Promise<ChatgptAuth> {
        const a = await super.current();
        return { ...a, accessToken: `stale-${a.accessToken.slice(-8)}` };
      }
      override async afterUnauthorized(): Promise<ChatgptAuth | undefined> {
        this.asked++;
        return super.current();
      }
    }
    const creds = new StaleFirst({ codexHome: auth.codexHome });
    const g = await startGateway(yaml(backend, chat, true), keys, {}, { chatgpt: new ChatgptPlan({ credentials: creds }) });
    const fresh = auth.accessToken;
    // The backend echoes the token it accepted; one delta carries it whole (a relay scrubs whole SSE frames).
    const echo = () => backend.enqueue({ kind: 'text', text: `token=${fresh} end`, deltaChars: 4096 });
    const post = (body: Record<string, unknown>) =>
      fetch(`${g.baseURL}/responses`, { method: 'POST', headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      const rejectedBefore = backend.rejected.length;
      echo();
      const whole = await post({ model: 'solo', input: 'hi' });
      const wholeText = await whole.text();
      assert.equal(whole.status, 200);
      assert.ok(!wholeText.includes(fresh), 'the fresher token reached the client (non-streamed, collected)');
      assert.equal((JSON.parse(wholeText) as any).output[0].content[0].text, 'token=[redacted] end');

      echo();
      const streamed = await post({ model: 'solo', input: 'hi', stream: true });
      const streamText = await streamed.text();
      assert.equal(streamed.status, 200);
      assert.match(streamText, /response\.completed/);
      assert.ok(!streamText.includes(fresh), 'the fresher token reached the client (streamed, relayed)');
      assert.ok(streamText.includes('token=[redacted] end'));

      // Each request went through the 401 and the refresh: the stale token was refused, the fresh one accepted.
      assert.equal(creds.asked, 2);
      assert.deepEqual(backend.rejected.slice(rejectedBefore).map((r) => r.status), [401, 401]);
      assert.ok(!g.logs.some((l) => l.includes(fresh)), 'the fresher token reached the gateway log');
    } finally {
      await g.close();
    }
  });
});
