/**
 * Integration: `GET /v1/models` and the Codex catalog list what wildcard routes know (LiteLLM's
 * `litellm_settings.check_provider_endpoint: true`, "Model Discovery"), through the real gateway on a real
 * loopback port with the official `openai` SDK as the client. The providers are local mocks that answer
 * `GET /v1/models` in OpenAI's list shape and, as the real API does, refuse it with 401 without the right
 * Bearer key.
 */
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { hangReply, MockUpstream, responsesText } from '../helpers/mock-upstream';
import { waitFor } from '../helpers/wait';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';

describe('wildcard routes in /v1/models (check_provider_endpoint, openai SDK client, mock upstreams)', function () {
  const keys = { OPENAI_API_KEY: fakeKey('openai'), OTHER_KEY: fakeKey('other'), DEEPSEEK_API_KEY: fakeKey('deepseek') };
  let openaiUp: MockUpstream;
  let refusingUp: MockUpstream;
  let g: TestGateway;
  let sdk: OpenAI;

  const modelGets = (up: MockUpstream) => up.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models');

  before(async () => {
    openaiUp = await MockUpstream.start({ name: 'openai-list', apiKey: keys.OPENAI_API_KEY, models: ['gpt-5.5', 'o3'] });
    // Answers 401 to our key (it expects another one), as OpenAI does for a wrong key.
    refusingUp = await MockUpstream.start({ name: 'refusing-list', apiKey: fakeKey('expected-elsewhere'), models: ['never-listed'] });
    g = await startGateway(
      `
model_list:
  - model_name: ds
    litellm_params: { model: deepseek/deepseek-chat, api_base: "${openaiUp.baseUrl}", api_key: os.environ/DEEPSEEK_API_KEY }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_base: "${openaiUp.baseUrl}", api_key: os.environ/OPENAI_API_KEY }
  - model_name: "other/*"
    litellm_params: { model: "openai/*", api_base: "${refusingUp.baseUrl}", api_key: os.environ/OTHER_KEY }
litellm_settings:
  check_provider_endpoint: true
router_settings:
  num_retries: 0
`,
      keys,
    );
    sdk = new OpenAI({ baseURL: g.baseURL, apiKey: g.token, maxRetries: 0, timeout: 20_000 });
  });

  after(async () => {
    await g?.close();
    await openaiUp?.close();
    await refusingUp?.close();
  });

  it('lists the provider models after the aliases, asking each provider with its own key', async () => {
    const ids: string[] = [];
    for await (const m of sdk.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['ds', 'openai/gpt-5.5', 'openai/o3']);
    const asked = modelGets(openaiUp);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.headers.authorization, `Bearer ${keys.OPENAI_API_KEY}`);
    assert.equal(modelGets(refusingUp).length, 1);
    assert.equal(refusingUp.requests[0]!.headers.authorization, `Bearer ${keys.OTHER_KEY}`);
  });

  it('logs the refused listing once, by status and without any key, and lists nothing for it', async () => {
    const lines = g.logs.filter((l) => l.includes('could not list'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^WARN wildcard "other\/\*" \(model_list\[2\]\): could not list the provider's models \(HTTP 401 from 127\.0\.0\.1:\d+\)/);
  });

  it('serves later lists from the cache (no second provider request)', async () => {
    const ids: string[] = [];
    for await (const m of sdk.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['ds', 'openai/gpt-5.5', 'openai/o3']);
    assert.equal(modelGets(openaiUp).length, 1);
    assert.equal(modelGets(refusingUp).length, 1);
  });

  it('puts the listed names in the Codex catalog as picker entries after the aliases', async () => {
    const res = await fetch(`${g.url}/v1/codex/models`, { headers: { authorization: `Bearer ${g.token}` } });
    assert.equal(res.status, 200);
    const models = ((await res.json()) as { models: { slug: string; visibility: string }[] }).models;
    assert.deepEqual(
      models.map((m) => [m.slug, m.visibility]),
      [
        ['default', 'list'],
        ['ds', 'list'],
        ['openai/gpt-5.5', 'list'],
        ['openai/o3', 'list'],
      ],
    );
  });

  it('routes a listed name to the model it was listed for', async () => {
    openaiUp.enqueue(responsesText('listed and served'));
    const r = await sdk.responses.create({ model: 'openai/o3', input: 'hi' });
    assert.equal(r.output_text, 'listed and served');
    assert.equal(openaiUp.requests.at(-1)!.body.model, 'o3');
  });

  it('answers within Codex\'s 5 s when a provider hangs, and the listing times out in the background', async function () {
    this.timeout(30_000);
    const hanging = await MockUpstream.start({ name: 'hanging-list', apiKey: keys.OPENAI_API_KEY });
    hanging.setModelsReply(hangReply());
    const slow = await startGateway(
      `
model_list:
  - model_name: ds
    litellm_params: { model: deepseek/deepseek-chat, api_base: "${openaiUp.baseUrl}", api_key: os.environ/DEEPSEEK_API_KEY }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_base: "${hanging.baseUrl}", api_key: os.environ/OPENAI_API_KEY }
litellm_settings:
  check_provider_endpoint: true
`,
      keys,
    );
    try {
      const started = Date.now();
      const res = await fetch(`${slow.url}/v1/models?client_version=0.169.0`, { headers: { authorization: `Bearer ${slow.token}` } });
      const body = (await res.json()) as { data: { id: string }[]; models: { slug: string }[] };
      const took = Date.now() - started;
      assert.equal(res.status, 200);
      assert.ok(took < 4_500, `answered in ${took} ms`);
      assert.deepEqual(body.data.map((m) => m.id), ['ds']);
      assert.deepEqual(body.models.map((m) => m.slug), ['default', 'ds']);
      // The provider request goes on to its own 5 s timeout, then is aborted and logged.
      await waitFor('the hanging listing to be aborted', () => hanging.requests.find((r) => r.path === '/v1/models')?.aborted, 15_000);
      await waitFor('the timeout log line', () => slow.logs.find((l) => l.includes('could not list') && l.includes('(timed out)')), 15_000);
    } finally {
      await slow.close();
      await hanging.close();
    }
  });

  it('asks no provider without check_provider_endpoint', async () => {
    const before = openaiUp.requests.length;
    const plain = await startGateway(
      `
model_list:
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_base: "${openaiUp.baseUrl}", api_key: os.environ/OPENAI_API_KEY }
`,
      keys,
    );
    try {
      const client = new OpenAI({ baseURL: plain.baseURL, apiKey: plain.token, maxRetries: 0, timeout: 20_000 });
      const ids: string[] = [];
      for await (const m of client.models.list()) ids.push(m.id);
      assert.deepEqual(ids, []);
      assert.equal(openaiUp.requests.length, before);
    } finally {
      await plain.close();
    }
  });
});
