/**
 * End to end with the REAL Codex CLI through a wildcard alias (LiteLLM wildcard routing):
 *
 *   codex exec --json -m openai/gpt-5.5  ->  `node bin/codex-gateway.js serve`  ->  mock Chat Completions upstream
 *
 * The gateway's config has no alias `openai/gpt-5.5`, only `model_name: "openai/*"` with
 * `model: "openai/*"`; the request must reach the upstream as model `gpt-5.5`. Codex is configured with
 * the block `codexConfigBlock` produces (see ../helpers/scenario.ts). Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { describeRun } from '../helpers/codex';
import { fakeKey } from '../helpers/gateway';
import { chatText, modelsList } from '../helpers/mock-upstream';
import { assertRan, configYaml, startScenario, type Scenario } from '../helpers/scenario';

/**
 * A scenario whose config has one `openai/*` route (Chat wire) to the mock upstream, keyed by `upKey`.
 * @param extraYaml appended to the config (e.g. a `litellm_settings` block).
 */
function startWildcard(upKey: string, extraYaml = ''): Promise<Scenario> {
  return startScenario(
    [upKey],
    ([up], token) =>
      configYaml(
        [
          [
            '  - model_name: "openai/*"',
            '    litellm_params:',
            '      model: "openai/*"',
            `      api_base: ${up!.baseUrl}`,
            '      api_key: os.environ/OPENAI_API_KEY',
            '      wire_api: chat',
          ].join('\n'),
        ],
        token,
      ) + extraYaml,
    { OPENAI_API_KEY: upKey },
  );
}

describe('Codex CLI through a wildcard alias (openai/* -> openai/gpt-5.5)', function () {
  this.timeout(180_000);
  let sc: Scenario | undefined;

  afterEach(async () => {
    await sc?.stop();
    sc = undefined;
  });

  it('answers a Codex turn for openai/gpt-5.5 from the openai/* route with the model name substituted', async () => {
    const upKey = fakeKey('openai');
    sc = await startWildcard(upKey);
    const [up] = sc.upstreams;
    up!.enqueue(chatText('Hello from gpt-5.5 via the wildcard.'));
    const r = await sc.run('openai/gpt-5.5', 'Say hello.');
    assertRan(r);
    assert.ok(r.agentMessages.includes('Hello from gpt-5.5 via the wildcard.'), describeRun(r));
    const chat = up!.requests.filter((q) => q.path === '/v1/chat/completions');
    assert.ok(chat.length >= 1, describeRun(r));
    assert.ok(chat.every((q) => q.body.model === 'gpt-5.5'), `upstream models: ${chat.map((q) => q.body.model).join(', ')}`);
    assert.equal(r.exitCode, 0, describeRun(r));
  });

  it('gives Codex catalog metadata for a name the provider lists (litellm_settings.check_provider_endpoint)', async () => {
    const upKey = fakeKey('openai');
    sc = await startWildcard(upKey, 'litellm_settings:\n  check_provider_endpoint: true\n');
    const [up] = sc.upstreams;
    up!.setModelsReply(modelsList(['gpt-5.5']));
    up!.enqueue(chatText('Hello from a listed model.'));
    const r = await sc.run('openai/gpt-5.5', 'Say hello.');
    assertRan(r);
    assert.ok(r.agentMessages.includes('Hello from a listed model.'), describeRun(r));
    const listed = up!.requests.filter((q) => q.method === 'GET' && q.path === '/v1/models');
    assert.ok(listed.length >= 1, `the gateway asked the provider for its models\n${describeRun(r)}`);
    assert.ok(listed.every((q) => q.headers.authorization === `Bearer ${upKey}`));
    assert.ok(!r.errors.some((m) => /Model metadata for .* not found/.test(m)), `Codex used fallback metadata\n${describeRun(r)}`);
    assert.equal(r.exitCode, 0, describeRun(r));
  });
});
