/**
 * End to end with the real Codex CLI (0.169): an alias served by the user's ChatGPT plan (`chatgpt/<model>`,
 * the gateway process reading a fixture `$CODEX_HOME/auth.json`), against the loopback mock of the ChatGPT
 * Codex backend that enforces its rules (test/helpers/chatgpt-backend-mock.ts): a text turn, a tool turn,
 * and the plan's usage limit: a 429 `usage_limit_reached` sends the turn to the alias's Chat Completions
 * fallback and keeps it there until the reset (a short one here), then the plan serves again. The fixture
 * `auth.json` must be byte-identical afterwards.
 */
import assert from 'node:assert/strict';
import { ChatgptBackendMock, writeAuthFixture, type AuthFixture } from '../helpers/chatgpt-backend-mock';
import { describeRun } from '../helpers/codex';
import { chatText, MockUpstream } from '../helpers/mock-upstream';
import { assertRan, configYaml, deployment, startScenarioOver, type Closable, type Scenario } from '../helpers/scenario';
import { waitFor } from '../helpers/wait';


describe('Codex CLI -> gateway -> ChatGPT plan (mock backend)', function () {
  this.timeout(300_000);
  let auth: AuthFixture;
  let backend: ChatgptBackendMock;
  let chat: MockUpstream;
  let sc: Scenario<Closable>;
  const dsKey = `test-ds-${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;

  before(async () => {
    auth = await writeAuthFixture();
    backend = await ChatgptBackendMock.start(auth);
    chat = await MockUpstream.start({ name: 'ds', apiKey: dsKey });
    sc = await startScenarioOver<Closable>(
      [backend, chat],
      (token) =>
        configYaml(
          [
            ['  - model_name: plan', '    litellm_params:', '      model: chatgpt/gpt-5.5', `      api_base: ${backend.baseUrl}`].join('\n'),
            deployment('ds', 'deepseek/deepseek-chat', chat, 'DS_KEY', 'chat'),
          ],
          token,
          ['num_retries: 0', 'cooldown_time: 0.1', 'fallbacks:', '  - plan: [ds]'],
        ) + 'gateway_settings:\n  chatgpt_plan: true\n',
      // The gateway reads the plan's sign-in from its own CODEX_HOME (Codex itself keeps the scenario's).
      { DS_KEY: dsKey, CODEX_HOME: auth.codexHome },
    );
  });

  after(async () => {
    await sc?.stop();
    assert.ok(await auth.unchanged(), 'auth.json changed');
    await auth?.cleanup();
  });

  const noRejections = () => assert.deepEqual(backend.rejected.map((r) => `${r.status} ${r.detail}`), [], 'the backend refused a request');

  it('a text turn on the plan', async () => {
    backend.enqueue({ kind: 'text', text: 'Hello from your ChatGPT plan.' });
    const seen = backend.requests.length;
    const r = await sc.run('plan', 'Say hello.');
    assertRan(r);
    assert.deepEqual(r.agentMessages, ['Hello from your ChatGPT plan.'], describeRun(r));
    noRejections();
    const q = backend.requests[seen]!;
    assert.equal(q.body.model, 'gpt-5.5');
    assert.match(q.body.instructions, /Codex Gateway/, 'the base prompt Codex sent as a developer message is the instructions');
    assert.equal(q.headers.originator, 'codex_gateway');
    assert.equal(q.body.client_metadata, undefined);
  });

  it('a tool turn on the plan: the shell call runs and its output goes back to the plan', async () => {
    backend.enqueue({ kind: 'tool', name: 'exec_command', arguments: JSON.stringify({ cmd: 'echo hello-from-plan-tool' }), callId: 'call_plan_1' }, { kind: 'text', text: 'It printed hello-from-plan-tool.' });
    const seen = backend.requests.length;
    const r = await sc.run('plan', 'Run echo hello-from-plan-tool.');
    assertRan(r);
    assert.deepEqual(r.agentMessages, ['It printed hello-from-plan-tool.'], describeRun(r));
    noRejections();
    assert.equal(backend.requests.length, seen + 2);
    const second = backend.requests[seen + 1]!.body;
    const out = second.input.find((i: any) => i.type === 'function_call_output' && i.call_id === 'call_plan_1');
    assert.ok(out, `no function_call_output in the second request: ${JSON.stringify(second.input.map((i: any) => i.type))}`);
    assert.match(JSON.stringify(out.output), /hello-from-plan-tool/);
  });

  it('the plan limit: the fallback serves until the reset, then the plan again', async () => {
    backend.limitReached(2);
    chat.enqueue(chatText('The fallback answered.'));
    const seen = backend.requests.length;
    const r = await sc.run('plan', 'Say hello.');
    assertRan(r);
    assert.deepEqual(r.agentMessages, ['The fallback answered.'], describeRun(r));
    assert.equal(backend.requests.length, seen + 1, 'the plan was asked once');
    assert.equal(chat.requestsTo('/chat/completions').length, 1, 'the fallback served the turn');

    // The reset passes: the gateway's health shows the deployment out of its cooldown.
    backend.limitCleared();
    const health = async () => {
      const res = await fetch(`${sc.gateway.baseUrl}/health`, { headers: { authorization: `Bearer ${sc.token}` } });
      const j = (await res.json()) as { deployments: Array<{ alias: string; cooldownUntil: number | null }> };
      return j.deployments.find((d) => d.alias === 'plan')?.cooldownUntil === null;
    };
    // Fails ("timed out ... waiting for ...") when the plan deployment stays in cooldown past its reset.
    await waitFor('the plan deployment to leave its cooldown after its reset', health, 10_000, 50);
    backend.enqueue({ kind: 'text', text: 'The plan is back.' });
    const r2 = await sc.run('plan', 'Say hello again.');
    assertRan(r2);
    assert.deepEqual(r2.agentMessages, ['The plan is back.'], describeRun(r2));
    noRejections();
  });
});
