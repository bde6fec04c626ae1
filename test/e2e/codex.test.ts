/**
 * End to end with the REAL Codex CLI (npm `@openai/codex`, version pinned in package.json):
 *
 *   codex exec --json  ->  `node bin/codex-gateway.js serve` (child process)  ->  mock upstream
 *                                                                              (Chat Completions only)
 *
 * Codex is configured with the text {@link codexConfigBlock} produces (validated by `--strict-config`), so
 * the token reaches the gateway through `[model_providers.X.auth] command` reading a 0600 token file, and
 * the model metadata comes from the gateway's catalog (`model_catalog_url`). Every scenario uses its own
 * temp HOME / CODEX_HOME / workspace, its own gateway process and mock upstream(s), and a hard timeout.
 *
 * Needs `npm run build` first (dist/cli.js), as `npm test` does.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { codexConfigBlock } from '../../src/gateway/codex/config-block';
import { REPO_ROOT, describeRun, testToken } from '../helpers/codex';
import { MockUpstream, chatText, chatToolCalls, errorReply, type RecordedRequest, type Reply } from '../helpers/mock-upstream';
import { RUN_TIMEOUT_MS, assertRan, configYaml, deployment, startScenario, type Scenario } from '../helpers/scenario';

/** The function tools (Chat Completions shape) of an upstream request. */
function functionTools(req: RecordedRequest): { name: string; parameters: any }[] {
  return (req.body.tools ?? []).filter((t: any) => t.type === 'function').map((t: any) => ({ name: t.function.name, parameters: t.function.parameters }));
}

/**
 * A reply that picks Codex's shell tool from the request's tools (Codex 0.169 with `shell_type:
 * unified_exec` offers `exec_command` with a string `cmd`) and calls it with `command`.
 */
function callShellTool(callId: string, command: string): Reply {
  return (req, res) => {
    const tools = functionTools(req);
    const shell = tools.find((t) => ['exec_command', 'shell_command', 'shell'].includes(t.name));
    if (!shell) throw new Error(`no shell tool offered; tools: ${tools.map((t) => t.name).join(', ')}`);
    const param = ['cmd', 'command'].find((p) => shell.parameters?.properties?.[p]);
    if (!param) throw new Error(`shell tool ${shell.name} has no cmd/command parameter`);
    const value = shell.parameters.properties[param].type === 'array' ? ['bash', '-lc', command] : command;
    return chatToolCalls([{ id: callId, name: shell.name, arguments: JSON.stringify({ [param]: value }) }], { chunkSize: 7 })(req, res);
  };
}

describe('Codex CLI end to end (real codex -> gateway process -> Chat Completions mock)', function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  let sc: Scenario | undefined;

  before(function () {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" before the e2e tests.');
  });

  afterEach(async () => {
    await sc?.stop();
    sc = undefined;
  });

  it('a) streams a text answer (with DeepSeek reasoning_content) into Codex agent_message, with catalog metadata', async () => {
    const upKey = testToken('upstream');
    sc = await startScenario(
      [upKey],
      ([up], token) => configYaml([deployment('ds', 'deepseek/deepseek-chat', up, 'DEEPSEEK_API_KEY', 'chat', ['supports_reasoning: true'])], token),
      { DEEPSEEK_API_KEY: upKey },
    );
    const [up] = sc.upstreams;
    up.enqueue(chatText('Hello from the mock model, streamed in small pieces.', { reasoning: 'The user wants a greeting.', chunkSize: 5 }));

    const r = await sc.run('ds', 'Say hello.');
    assertRan(r);
    assert.ok(r.agentMessages.includes('Hello from the mock model, streamed in small pieces.'), `agent_message missing\n${describeRun(r)}`);
    assert.equal(r.exitCode, 0, describeRun(r));
    // DeepSeek's reasoning_content deltas reach Codex as a reasoning item.
    const reasoning = r.events.find((e) => e.type === 'item.completed' && e.item?.type === 'reasoning');
    assert.equal(reasoning?.item?.text, 'The user wants a greeting.', `reasoning missing\n${describeRun(r)}`);
    // The catalog served through model_catalog_url replaced Codex's fallback metadata.
    assert.ok(!r.errors.some((m) => /Model metadata for .* not found/.test(m)), `Codex used fallback metadata\n${describeRun(r)}`);

    const chats = up.requestsTo('/chat/completions');
    assert.equal(chats.length, 1, 'one upstream request');
    const body = chats[0].body;
    assert.equal(body.model, 'deepseek-chat');
    assert.equal(body.stream, true);
    assert.equal(chats[0].headers.authorization, `Bearer ${upKey}`);
    const userText = JSON.stringify(body.messages.filter((m: any) => m.role === 'user'));
    assert.match(userText, /Say hello\./);
    // The catalog's base instructions arrive as the system/developer prompt.
    assert.match(JSON.stringify(body.messages[0]), /Codex Gateway/);
  });

  it('b) runs a shell tool call: the next upstream request carries tool_calls and the matching tool output', async () => {
    const upKey = testToken('upstream');
    sc = await startScenario(
      [upKey],
      ([up], token) => configYaml([deployment('ds', 'deepseek/deepseek-chat', up, 'DEEPSEEK_API_KEY', 'chat')], token),
      { DEEPSEEK_API_KEY: upKey },
    );
    const [up] = sc.upstreams;
    up.enqueue(callShellTool('call_e2e_shell_1', 'echo hello-from-tool'), chatText('The command printed hello-from-tool.'));

    const r = await sc.run('ds', 'Run echo hello-from-tool and tell me what it printed.');
    assertRan(r);
    assert.ok(r.agentMessages.includes('The command printed hello-from-tool.'), `final answer missing\n${describeRun(r)}`);
    const exec = r.events.find((e) => e.type === 'item.completed' && e.item?.type === 'command_execution');
    assert.ok(exec, `no command_execution item\n${describeRun(r)}`);
    assert.match(String(exec.item!.aggregated_output), /hello-from-tool/);

    const chats = up.requestsTo('/chat/completions');
    assert.equal(chats.length, 2, 'two upstream requests (tool call, then the answer)');
    const msgs: any[] = chats[1].body.messages;
    const asst = msgs.find((m) => m.role === 'assistant' && Array.isArray(m.tool_calls));
    assert.ok(asst, `no assistant message with tool_calls in the second request: ${JSON.stringify(msgs).slice(0, 2000)}`);
    assert.equal(asst.tool_calls[0].id, 'call_e2e_shell_1');
    assert.equal(asst.tool_calls[0].type, 'function');
    assert.match(asst.tool_calls[0].function.arguments, /echo hello-from-tool/);
    const toolMsg = msgs.find((m) => m.role === 'tool');
    assert.ok(toolMsg, 'no role:"tool" message in the second request');
    assert.equal(toolMsg.tool_call_id, 'call_e2e_shell_1');
    assert.match(typeof toolMsg.content === 'string' ? toolMsg.content : JSON.stringify(toolMsg.content), /hello-from-tool/);
    // The tool message follows the assistant message that made the call (Chat Completions ordering rule).
    assert.ok(msgs.indexOf(toolMsg) > msgs.indexOf(asst));
  });

  it('c) applies an apply_patch call: the custom tool reaches the upstream as a one-string function and the file is written', async () => {
    const upKey = testToken('upstream');
    sc = await startScenario(
      [upKey],
      ([up], token) => configYaml([deployment('coder', 'deepseek/deepseek-chat', up, 'DEEPSEEK_API_KEY', 'chat')], token),
      { DEEPSEEK_API_KEY: upKey },
    );
    const [up] = sc.upstreams;
    const patch = ['*** Begin Patch', '*** Add File: notes/hello.txt', '+Hello from apply_patch', '+second line', '*** End Patch', ''].join('\n');
    let seenParam = '';
    const callPatch: Reply = (req, res) => {
      const tool = functionTools(req).find((t) => t.name === 'apply_patch');
      if (!tool) throw new Error(`apply_patch not offered; tools: ${functionTools(req).map((t) => t.name).join(', ')}`);
      const props = Object.entries<any>(tool.parameters?.properties ?? {});
      if (props.length !== 1 || props[0][1].type !== 'string') throw new Error(`apply_patch is not a one-string function: ${JSON.stringify(tool.parameters)}`);
      seenParam = props[0][0];
      return chatToolCalls([{ id: 'call_e2e_patch_1', name: 'apply_patch', arguments: JSON.stringify({ [seenParam]: patch }) }], { chunkSize: 11 })(req, res);
    };
    up.enqueue(callPatch, chatText('Created notes/hello.txt.'));

    const r = await sc.run('coder', 'Create notes/hello.txt saying hello.');
    assertRan(r);
    assert.ok(r.agentMessages.includes('Created notes/hello.txt.'), `final answer missing\n${describeRun(r)}`);
    const content = await readFile(join(sc.dirs.workspace, 'notes', 'hello.txt'), 'utf8').catch((e) => assert.fail(`file not written: ${e}\n${describeRun(r)}`));
    assert.equal(content, 'Hello from apply_patch\nsecond line\n');
    assert.ok(seenParam !== '', 'the mock saw apply_patch as a function');

    const chats = up.requestsTo('/chat/completions');
    assert.equal(chats.length, 2);
    const msgs: any[] = chats[1].body.messages;
    const asst = msgs.find((m) => m.role === 'assistant' && Array.isArray(m.tool_calls));
    assert.equal(asst?.tool_calls?.[0]?.function?.name, 'apply_patch');
    assert.equal(JSON.parse(asst.tool_calls[0].function.arguments)[seenParam], patch);
    const toolMsg = msgs.find((m) => m.role === 'tool' && m.tool_call_id === 'call_e2e_patch_1');
    assert.ok(toolMsg, `no tool result for the patch call: ${JSON.stringify(msgs.slice(-3)).slice(0, 1500)}`);
  });

  it('d) falls back to alias B when alias A answers 503 every time', async () => {
    const keyA = testToken('upA');
    const keyB = testToken('upB');
    sc = await startScenario(
      [keyA, keyB],
      ([a, b], token) =>
        configYaml(
          [deployment('primary', 'openai/gpt-4o-mini', a, 'OPENAI_API_KEY', 'chat'), deployment('backup', 'deepseek/deepseek-chat', b, 'DEEPSEEK_API_KEY', 'chat')],
          token,
          ['num_retries: 1', 'retry_after: 0', 'fallbacks: [{"primary": ["backup"]}]'],
        ),
      { OPENAI_API_KEY: keyA, DEEPSEEK_API_KEY: keyB },
    );
    const [a, b] = sc.upstreams;
    a.setFallback(errorReply(503, { error: { message: 'overloaded (mock)', type: 'server_error', param: null, code: null } }));
    b.enqueue(chatText('Answer from the backup model.'));

    const r = await sc.run('primary', 'Hello?');
    assertRan(r);
    assert.ok(r.agentMessages.includes('Answer from the backup model.'), `backup answer missing\n${describeRun(r)}`);
    assert.equal(r.exitCode, 0, describeRun(r));
    assert.ok(a.requestsTo('/chat/completions').length >= 1, 'primary was tried first');
    const bReqs = b.requestsTo('/chat/completions');
    assert.equal(bReqs.length, 1);
    assert.equal(bReqs[0].body.model, 'deepseek-chat');
    assert.equal(bReqs[0].headers.authorization, `Bearer ${keyB}`);
  });

  it('e) an upstream 401 shows a message naming the key variable, never the key', async () => {
    const rightKey = testToken('upstream-right');
    const wrongKey = testToken('upstream-wrong');
    sc = await startScenario(
      [rightKey],
      ([up], token) => configYaml([deployment('ds', 'deepseek/deepseek-chat', up, 'DEEPSEEK_API_KEY', 'chat')], token),
      { DEEPSEEK_API_KEY: wrongKey },
    );
    const [up] = sc.upstreams;

    const r = await sc.run('ds', 'Hello?');
    assertRan(r);
    assert.notEqual(r.exitCode, 0, 'the turn fails');
    assert.ok(r.events.some((e) => e.type === 'turn.failed'), `no turn.failed\n${describeRun(r)}`);
    // The message the user is left with (the last one, in turn.failed) must say what to fix.
    const failed = r.events.filter((e) => e.type === 'turn.failed').map((e) => e.error?.message ?? '');
    assert.match(failed.join('\n'), /DEEPSEEK_API_KEY/, `the final error does not name the key variable\n${describeRun(r)}`);
    // A wrong key is not transient: Codex should give up at once instead of reconnecting (Codex 0.169 retries
    // every status except 400 and 429-without-Retry-After; see docs/codex.md, "Errors").
    assert.ok(!r.errors.some((m) => m.startsWith('Reconnecting')), `Codex retried a key error\n${describeRun(r)}`);
    assert.equal(up.requestsTo('/chat/completions').length, 1, 'one upstream attempt: the router does not retry a 401 either');
    for (const text of [r.stdout, r.stderr, sc.gateway.output()]) {
      assert.ok(!text.includes(wrongKey), 'the wrong key leaked into Codex output or gateway logs');
      assert.ok(!text.includes(rightKey), 'the upstream key leaked');
    }
    assert.ok(up.requests.length >= 1 && up.requests.every((q) => q.headers.authorization === `Bearer ${wrongKey}`));
  });
});
