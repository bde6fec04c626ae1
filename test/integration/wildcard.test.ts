/**
 * Integration: wildcard aliases (LiteLLM wildcard routing) through the real gateway on a real loopback port,
 * with local mock upstreams and the official `openai` SDK as the client.
 */
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { chatText, errorReply, MockUpstream, responsesText } from '../helpers/mock-upstream';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';

describe('wildcard aliases over HTTP (openai SDK client, mock upstreams)', function () {
  let openaiUp: MockUpstream;
  let chatUp: MockUpstream;
  let g: TestGateway;
  let sdk: OpenAI;
  const keys = { OPENAI_API_KEY: fakeKey('openai'), DEEPSEEK_API_KEY: fakeKey('deepseek') };

  before(async () => {
    openaiUp = await MockUpstream.start({ name: 'openai-wild' });
    chatUp = await MockUpstream.start({ name: 'chat-exact' });
    g = await startGateway(
      `
model_list:
  - model_name: ds
    litellm_params: { model: deepseek/deepseek-chat, api_base: "${chatUp.baseUrl}", api_key: os.environ/DEEPSEEK_API_KEY }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_base: "${openaiUp.baseUrl}", api_key: os.environ/OPENAI_API_KEY }
  - model_name: "*"
    litellm_params: { model: "deepseek/*", api_base: "${chatUp.baseUrl}", api_key: os.environ/DEEPSEEK_API_KEY }
router_settings:
  num_retries: 0
  fallbacks: [{ "openai/*": [ds] }]
`,
      keys,
    );
    sdk = new OpenAI({ baseURL: g.baseURL, apiKey: g.token, maxRetries: 0, timeout: 20_000 });
  });

  after(async () => {
    await g.close();
    await openaiUp.close();
    await chatUp.close();
  });

  it('routes openai/gpt-5.5 through openai/* with the model name substituted (Responses passed through)', async () => {
    openaiUp.enqueue(responsesText('hello from the wildcard'));
    const r = await sdk.responses.create({ model: 'openai/gpt-5.5', input: 'hi' });
    assert.equal(r.output_text, 'hello from the wildcard');
    const req = openaiUp.requests.at(-1)!;
    assert.equal(req.path, '/v1/responses');
    assert.equal(req.body.model, 'gpt-5.5');
    assert.equal(req.headers.authorization, `Bearer ${keys.OPENAI_API_KEY}`);
  });

  it('sends any other name through "*" to the provider its model names, and an exact alias wins', async () => {
    chatUp.enqueue(chatText('caught by *'));
    const r = await sdk.chat.completions.create({ model: 'some-model', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0]!.message.content, 'caught by *');
    assert.equal(chatUp.requests.at(-1)!.body.model, 'some-model');
    chatUp.enqueue(chatText('exact'));
    await sdk.chat.completions.create({ model: 'ds', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(chatUp.requests.at(-1)!.body.model, 'deepseek-chat');
  });

  it('falls back by the pattern when the matched name fails, and reports the deployment per name', async () => {
    openaiUp.enqueue(errorReply(500, { error: { message: 'boom', type: 'server_error', param: null, code: null } }));
    chatUp.enqueue(chatText('from the fallback'));
    const { data, response } = await sdk.chat.completions.create({ model: 'openai/o3', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(data.choices[0]!.message.content, 'from the fallback');
    assert.equal(response.headers.get('x-codex-gateway-fallback-from'), 'openai/o3');
    assert.equal(openaiUp.requests.at(-1)!.body.model, 'o3');
  });

  it('lists only concrete aliases in /v1/models (no pattern as a model id)', async () => {
    const ids: string[] = [];
    for await (const m of sdk.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['ds']);
  });
});
