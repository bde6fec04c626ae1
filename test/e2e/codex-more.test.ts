/**
 * More end-to-end scenarios with the REAL Codex CLI (npm `@openai/codex`, version pinned in package.json),
 * beyond the Chat Completions basics of codex.test.ts:
 *
 *   codex exec --json  ->  `node bin/codex-gateway.js serve` (child process)  ->  mock upstream(s)
 *
 * - a Responses API upstream (`wire_api: responses`, passed through): streamed text, a function-call
 *   round trip, and the gateway's own `cgw1:` reasoning items kept away from it after a fallback from a
 *   chat upstream;
 * - DeepSeek-style `reasoning_content` carried back on the assistant message that made the tool call;
 * - Codex killed mid-stream: the upstream request is aborted;
 * - `codex exec -i <png>`: the image reaches a chat upstream as an `image_url` data URL;
 * - `codex exec resume --last`: the second run resends the first run's history.
 *
 * Every scenario uses its own temp HOME / CODEX_HOME / workspace, its own gateway process and mock
 * upstream(s) on 127.0.0.1, and hard timeouts. Needs `npm run build` first (dist/cli.js).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { REPO_ROOT, describeRun, testToken } from '../helpers/codex';
import { MockUpstream, chatText, chatToolCalls, errorReply, responsesText, type Reply } from '../helpers/mock-upstream';
import { RUN_TIMEOUT_MS, assertRan, configYaml, deployment, startScenario, type Scenario } from '../helpers/scenario';

/** Text of a Chat Completions message's content (string or parts). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: any) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** Text of a Responses input item (`message` content parts, `function_call_output` output). */
function itemText(item: any): string {
  if (typeof item?.output === 'string') return item.output;
  const parts = Array.isArray(item?.content) ? item.content : Array.isArray(item?.output) ? item.output : [];
  return parts.map((p: any) => (typeof p?.text === 'string' ? p.text : '')).join('');
}

/** The shell tool Codex offers and the JSON arguments that run `command` with it. */
function shellCall(tools: { name: string; parameters: any }[], command: string): { name: string; arguments: string } {
  const shell = tools.find((t) => ['exec_command', 'shell_command', 'shell'].includes(t.name));
  if (!shell) throw new Error(`no shell tool offered; tools: ${tools.map((t) => t.name).join(', ')}`);
  const param = ['cmd', 'command'].find((p) => shell.parameters?.properties?.[p]);
  if (!param) throw new Error(`shell tool ${shell.name} has no cmd/command parameter`);
  const value = shell.parameters.properties[param].type === 'array' ? ['bash', '-lc', command] : command;
  return { name: shell.name, arguments: JSON.stringify({ [param]: value }) };
}

/** Chat Completions reply calling Codex's shell tool (found in the request's `tools`) with `command`. */
function chatShellCall(callId: string, command: string, reasoning?: string): Reply {
  return (req, res) => {
    const tools = (req.body.tools ?? []).filter((t: any) => t.type === 'function').map((t: any) => ({ name: t.function.name, parameters: t.function.parameters }));
    return chatToolCalls([{ id: callId, ...shellCall(tools, command) }], { chunkSize: 7, reasoning })(req, res);
  };
}

/** Responses API reply whose output is one `function_call` to Codex's shell tool (Responses tool shape). */
function responsesShellCall(callId: string, command: string): Reply {
  return (req, res) => {
    const tools = (req.body.tools ?? []).filter((t: any) => t.type === 'function').map((t: any) => ({ name: t.name, parameters: t.parameters }));
    return responsesText('', { toolCalls: [{ id: callId, ...shellCall(tools, command) }], chunkSize: 9 })(req, res);
  };
}

/**
 * A streamed Chat Completions answer that sends the role chunk and `pieces` as content deltas, calls
 * `onSent` once they are handed to the socket, then never finishes (for abort tests). Resolves when the
 * client closes the connection.
 */
function chatStreamThenHang(pieces: string[], onSent: () => void): Reply {
  return (req, res) =>
    new Promise<void>((resolve) => {
      res.on('close', () => resolve());
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const base = { id: 'chatcmpl-e2e-hang', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: String(req.body.model) };
      const frame = (delta: Record<string, unknown>) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] })}\n\n`;
      let out = frame({ role: 'assistant', content: '' });
      for (const p of pieces) out += frame({ content: p });
      res.write(out, () => onSent());
    });
}

/**
 * A streamed Responses answer (`response.created`, `response.output_item.added` for a message,
 * `response.content_part.added`, one `response.output_text.delta` per piece) that calls `onSent` once
 * those are handed to the socket, then never finishes. Resolves when the client closes the connection.
 */
function responsesStreamThenHang(pieces: string[], onSent: () => void): Reply {
  return (req, res) =>
    new Promise<void>((resolve) => {
      res.on('close', () => resolve());
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const response = { id: 'resp_e2e_hang', object: 'response', created_at: Math.floor(Date.now() / 1000), status: 'in_progress', model: String(req.body.model), output: [] };
      let seq = 0;
      const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
      let out = ev('response.created', { response });
      out += ev('response.output_item.added', { output_index: 0, item: { type: 'message', id: 'msg_e2e_hang', status: 'in_progress', role: 'assistant', content: [] } });
      out += ev('response.content_part.added', { item_id: 'msg_e2e_hang', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      for (const p of pieces) out += ev('response.output_text.delta', { item_id: 'msg_e2e_hang', output_index: 0, content_index: 0, delta: p, logprobs: [] });
      res.write(out, () => onSent());
    });
}

/** A valid `width`×`height` RGB PNG (PNG spec: signature, IHDR, one zlib IDAT, IEND; CRC-32 per chunk). */
function tinyPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3); // filter byte 0 (None), then RGB
    for (let x = 0; x < width; x++) row.set([(x * 40) & 255, (y * 40) & 255, 200], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Polls `cond` every 50 ms until it holds or `ms` elapse; returns whether it held. */
async function eventually(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('Codex CLI end to end, more features (real codex -> gateway process -> mock upstreams)', function () {
  this.timeout(2 * RUN_TIMEOUT_MS + 60_000);
  let sc: Scenario | undefined;

  before(function () {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" before the e2e tests.');
  });

  afterEach(async () => {
    await sc?.stop();
    sc = undefined;
  });

  describe('a Responses API upstream (wire_api: responses, passed through)', () => {
    it('1a) streams a text answer with a reasoning summary; the request reaches /responses untranslated', async () => {
      const upKey = testToken('upstream');
      sc = await startScenario(
        [upKey],
        ([up], token) => configYaml([deployment('gpt', 'openai/gpt-4.1-mini', up, 'OPENAI_API_KEY', 'responses', ['supports_reasoning: true'])], token),
        { OPENAI_API_KEY: upKey },
      );
      const [up] = sc.upstreams;
      up.enqueue(responsesText('Hello from the Responses upstream, streamed.', { reasoning: 'A greeting is wanted.', chunkSize: 6 }));

      const r = await sc.run('gpt', 'Say hello.');
      assertRan(r);
      assert.ok(r.agentMessages.includes('Hello from the Responses upstream, streamed.'), `agent_message missing\n${describeRun(r)}`);
      assert.equal(r.exitCode, 0, describeRun(r));
      const reasoning = r.events.find((e) => e.type === 'item.completed' && e.item?.type === 'reasoning');
      assert.equal(reasoning?.item?.text, 'A greeting is wanted.', `reasoning summary missing\n${describeRun(r)}`);

      assert.equal(up.requestsTo('/chat/completions').length, 0, 'no Chat Completions request');
      const reqs = up.requestsTo('/responses');
      assert.equal(reqs.length, 1, 'one upstream request');
      const q = reqs[0];
      assert.equal(q.path, '/v1/responses');
      assert.equal(q.headers.authorization, `Bearer ${upKey}`);
      assert.equal(q.body.model, 'gpt-4.1-mini', 'the alias is replaced by the upstream model name');
      assert.equal(q.body.stream, true);
      assert.ok(Array.isArray(q.body.input), 'Responses `input` array passed through');
      assert.equal(q.body.input[0].role, 'developer', 'Codex system prompt is the first input item');
      assert.ok(
        q.body.input.some((i: any) => i.type === 'message' && i.role === 'user' && /Say hello\./.test(itemText(i))),
        `user prompt missing: ${JSON.stringify(q.body.input).slice(0, 1500)}`,
      );
      // Passed through, not translated: Codex's Responses-only tool types and fields arrive as sent.
      const tools: any[] = q.body.tools ?? [];
      assert.ok(
        tools.some((t) => t.type === 'custom' && t.name === 'apply_patch'),
        `apply_patch should stay a custom tool: ${tools.map((t) => `${t.type}:${t.name}`).join(', ')}`,
      );
      assert.ok(tools.some((t) => t.type === 'function' && typeof t.name === 'string' && t.parameters), 'function tools in the Responses shape');
      assert.deepEqual(q.body.include, ['reasoning.encrypted_content']);
      assert.equal(q.body.store, false);
    });

    it('1b) runs a function_call round trip: the next request carries function_call and function_call_output', async () => {
      const upKey = testToken('upstream');
      sc = await startScenario(
        [upKey],
        ([up], token) => configYaml([deployment('gpt', 'openai/gpt-4.1-mini', up, 'OPENAI_API_KEY', 'responses')], token),
        { OPENAI_API_KEY: upKey },
      );
      const [up] = sc.upstreams;
      up.enqueue(responsesShellCall('call_e2e_resp_1', 'echo hello-from-responses-tool'), responsesText('It printed hello-from-responses-tool.'));

      const r = await sc.run('gpt', 'Run echo hello-from-responses-tool and report.');
      assertRan(r);
      assert.ok(r.agentMessages.includes('It printed hello-from-responses-tool.'), `final answer missing\n${describeRun(r)}`);
      const exec = r.events.find((e) => e.type === 'item.completed' && e.item?.type === 'command_execution');
      assert.ok(exec, `no command_execution item\n${describeRun(r)}`);
      assert.match(String(exec.item!.aggregated_output), /hello-from-responses-tool/);

      const reqs = up.requestsTo('/responses');
      assert.equal(reqs.length, 2, 'two upstream requests (function call, then the answer)');
      const input: any[] = reqs[1].body.input;
      const call = input.find((i) => i.type === 'function_call');
      assert.ok(call, `no function_call item in the second request: ${JSON.stringify(input).slice(-2000)}`);
      assert.equal(call.call_id, 'call_e2e_resp_1');
      assert.match(call.arguments, /echo hello-from-responses-tool/);
      const out = input.find((i) => i.type === 'function_call_output');
      assert.ok(out, 'no function_call_output item in the second request');
      assert.equal(out.call_id, 'call_e2e_resp_1');
      assert.match(itemText(out), /hello-from-responses-tool/);
      assert.ok(input.indexOf(out) > input.indexOf(call), 'the output follows its call');
    });

    it("1c) after a fallback from a chat upstream, the gateway's own cgw1: reasoning items are not forwarded to the Responses upstream", async () => {
      const chatKey = testToken('upchat');
      const respKey = testToken('upresp');
      sc = await startScenario(
        [chatKey, respKey],
        ([chat, resp], token) =>
          configYaml(
            [
              deployment('thinker', 'deepseek/deepseek-reasoner', chat, 'DEEPSEEK_API_KEY', 'chat', ['supports_reasoning: true']),
              deployment('gpt', 'openai/gpt-4.1-mini', resp, 'OPENAI_API_KEY', 'responses', ['supports_reasoning: true']),
            ],
            token,
            ['num_retries: 0', 'retry_after: 0', 'fallbacks: [{"thinker": ["gpt"]}]'],
          ),
        { DEEPSEEK_API_KEY: chatKey, OPENAI_API_KEY: respKey },
      );
      const [chat, resp] = sc.upstreams;
      const thought = 'I should list the directory with a shell command first.';
      // Turn 1 on the chat upstream: reasoning_content, then a tool call. Every later request there fails,
      // so the router falls back to the Responses upstream for the follow-up request.
      chat.enqueue(chatShellCall('call_e2e_mixed_1', 'echo mixed-history', thought));
      chat.setFallback(errorReply(503, { error: { message: 'overloaded (mock)', type: 'server_error', param: null, code: null } }));
      resp.enqueue(responsesText('Done: it printed mixed-history.'));

      const r = await sc.run('thinker', 'Run echo mixed-history.');
      assertRan(r);
      assert.ok(r.agentMessages.includes('Done: it printed mixed-history.'), `final answer missing\n${describeRun(r)}`);
      const reasoning = r.events.find((e) => e.type === 'item.completed' && e.item?.type === 'reasoning');
      assert.equal(reasoning?.item?.text, thought, `turn-1 reasoning not shown\n${describeRun(r)}`);

      // Codex resent the gateway-made reasoning item: the failed chat attempt translated it back.
      const chats = chat.requestsTo('/chat/completions');
      assert.ok(chats.length >= 2, `the chat upstream was tried for the follow-up (${chats.length} requests)`);
      const retried = chats[1].body.messages.find((m: any) => m.role === 'assistant' && Array.isArray(m.tool_calls));
      assert.equal(retried?.reasoning_content, thought, 'Codex sent the cgw1: reasoning item back (seen on the chat attempt)');

      const resps = resp.requestsTo('/responses');
      assert.equal(resps.length, 1, 'the follow-up went to the Responses upstream');
      const input: any[] = resps[0].body.input;
      assert.ok(input.some((i) => i.type === 'function_call' && i.call_id === 'call_e2e_mixed_1'), 'the function_call is kept');
      assert.ok(input.some((i) => i.type === 'function_call_output' && i.call_id === 'call_e2e_mixed_1'), 'the function_call_output is kept');
      const own = input.filter((i) => i.type === 'reasoning' && typeof i.encrypted_content === 'string' && i.encrypted_content.startsWith('cgw1:'));
      assert.deepEqual(own, [], 'no cgw1: reasoning item reaches a Responses upstream');
      assert.ok(!JSON.stringify(input).includes('cgw1:'), 'no cgw1: blob anywhere in the forwarded input');
    });
  });

  it('2) DeepSeek reasoning across a tool call: the assistant message with tool_calls carries the same reasoning_content', async () => {
    const upKey = testToken('upstream');
    sc = await startScenario(
      [upKey],
      ([up], token) => configYaml([deployment('ds', 'deepseek/deepseek-reasoner', up, 'DEEPSEEK_API_KEY', 'chat', ['supports_reasoning: true'])], token),
      { DEEPSEEK_API_KEY: upKey },
    );
    const [up] = sc.upstreams;
    const thought = 'The user wants the date.\nRunning `echo` is the safe way to show it.';
    up.enqueue(chatShellCall('call_e2e_ds_1', 'echo reasoning-then-tool', thought), chatText('The tool said reasoning-then-tool.', { reasoning: 'Now answer.' }));

    const r = await sc.run('ds', 'Run echo reasoning-then-tool.');
    assertRan(r);
    assert.ok(r.agentMessages.includes('The tool said reasoning-then-tool.'), `final answer missing\n${describeRun(r)}`);
    assert.equal(r.exitCode, 0, describeRun(r));

    const chats = up.requestsTo('/chat/completions');
    assert.equal(chats.length, 2);
    const msgs: any[] = chats[1].body.messages;
    const asst = msgs.filter((m) => m.role === 'assistant' && Array.isArray(m.tool_calls));
    assert.equal(asst.length, 1, `one assistant tool-call message: ${JSON.stringify(msgs.slice(-4)).slice(0, 2000)}`);
    assert.equal(asst[0].tool_calls[0].id, 'call_e2e_ds_1');
    assert.equal(asst[0].reasoning_content, thought, 'reasoning_content is sent back verbatim with the tool call (DeepSeek thinking mode requires it)');
    const toolMsg = msgs.find((m) => m.role === 'tool' && m.tool_call_id === 'call_e2e_ds_1');
    assert.ok(toolMsg, 'tool result present');
    assert.match(contentText(toolMsg.content), /reasoning-then-tool/);
    // The reasoning is not duplicated into a separate assistant message or into content.
    assert.ok(!msgs.some((m) => m !== asst[0] && m.role === 'assistant' && contentText(m.content).includes('safe way to show it')), 'reasoning leaked into another message');
    assert.ok(!contentText(asst[0].content).includes('safe way to show it'), 'reasoning leaked into content');
  });

  // Ctrl-C in a terminal sends SIGINT to the whole foreground process group; SIGKILL stands for a crash.
  const abortCases: { label: string; signal: NodeJS.Signals; wire: 'chat' | 'responses' }[] = [
    { label: '3a', signal: 'SIGINT', wire: 'chat' },
    { label: '3b', signal: 'SIGKILL', wire: 'chat' },
    { label: '3c', signal: 'SIGINT', wire: 'responses' },
  ];
  for (const { label, signal, wire } of abortCases) {
    it(`${label}) Codex stopped mid-stream with ${signal} (${wire} upstream): the gateway aborts the upstream request within seconds`, async () => {
      const upKey = testToken('upstream');
      const model = wire === 'chat' ? 'deepseek/deepseek-chat' : 'openai/gpt-4.1-mini';
      sc = await startScenario(
        [upKey],
        ([up], token) => configYaml([deployment('slow', model, up, 'UPSTREAM_API_KEY', wire)], token),
        { UPSTREAM_API_KEY: upKey },
      );
      const [up] = sc.upstreams;
      const endpoint = wire === 'chat' ? '/chat/completions' : '/responses';
      let sent!: () => void;
      const deltasSent = new Promise<void>((r) => (sent = r));
      const pieces = ['The answer ', 'is coming ', 'slowly'];
      up.enqueue(wire === 'chat' ? chatStreamThenHang(pieces, () => sent()) : responsesStreamThenHang(pieces, () => sent()));

      const codex = await sc.start('slow', 'Tell me a long story.');
      let waitTimer: NodeJS.Timeout | undefined;
      try {
        const first = await Promise.race([
          deltasSent.then(() => 'sent' as const),
          codex.done.then(() => 'exited' as const),
          new Promise<'timeout'>((res) => (waitTimer = setTimeout(() => res('timeout'), 90_000))),
        ]);
        clearTimeout(waitTimer);
        if (first !== 'sent') {
          codex.kill();
          assert.fail(`the upstream never got to stream (${first})\n${describeRun(await codex.done)}`);
        }
        // Let the deltas travel through the gateway into Codex, then signal Codex's whole process group.
        await new Promise((res) => setTimeout(res, 1_500));
        const [q] = up.requestsTo(endpoint);
        assert.equal(q.aborted, false, 'the upstream request is still open before the signal');
        codex.kill(signal);
        const killedAt = Date.now();
        const aborted = await eventually(() => q.aborted, 5_000);
        assert.ok(aborted, `the upstream request was not aborted within 5 s of stopping Codex\n--- gateway ---\n${sc.gateway.output().slice(-3000)}`);
        assert.ok(Date.now() - killedAt < 6_000);
        const r = await codex.done;
        assert.equal(r.timedOut, false, 'Codex exited after the signal');
        // The gateway had started answering (status 200, first byte sent) and logs the request as a disconnect.
        const logLine = new RegExp(`/v1/responses alias=slow deployment=\\S+ wire=${wire} status=200 .*error="client disconnected"`);
        const logged = await eventually(() => logLine.test(sc!.gateway.output()), 5_000);
        assert.ok(logged, `no "client disconnected" log line for the streamed request\n--- gateway ---\n${sc.gateway.output().slice(-3000)}`);
        assert.equal(up.requestsTo(endpoint).length, 1, 'nothing retried the request after the client left');
      } finally {
        clearTimeout(waitTimer);
        codex.kill();
        await codex.done;
      }
    });
  }

  it('4) codex exec -i <png>: the image reaches the chat upstream as an image_url data URL in the user message', async () => {
    const upKey = testToken('upstream');
    sc = await startScenario(
      [upKey],
      ([up], token) => configYaml([deployment('vision', 'openai/gpt-4o-mini', up, 'OPENAI_API_KEY', 'chat', ['supports_vision: true'])], token),
      { OPENAI_API_KEY: upKey },
    );
    const [up] = sc.upstreams;
    up.enqueue(chatText('I see a small gradient.'));
    const png = tinyPng(8, 6);
    const pngPath = join(sc.dirs.workspace, 'tiny.png');
    await writeFile(pngPath, png);

    // `--image` takes several files, so `--` ends it before the prompt.
    const r = await sc.run('vision', 'Describe the attached image.', { args: ['--image', pngPath, '--'] });
    assertRan(r);
    assert.ok(r.agentMessages.includes('I see a small gradient.'), `answer missing\n${describeRun(r)}`);

    const chats = up.requestsTo('/chat/completions');
    assert.equal(chats.length, 1);
    const users: any[] = chats[0].body.messages.filter((m: any) => m.role === 'user');
    const parts: any[] = users.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
    const img = parts.find((p) => p.type === 'image_url');
    assert.ok(img, `no image_url part in the user messages: ${JSON.stringify(users).slice(0, 2000)}`);
    const url: string = img.image_url?.url ?? '';
    const m = /^data:image\/png;base64,(.+)$/.exec(url);
    assert.ok(m, `image_url is not a PNG data URL: ${url.slice(0, 80)}`);
    const decoded = Buffer.from(m[1], 'base64');
    assert.equal(decoded.subarray(1, 4).toString('latin1'), 'PNG', 'the data URL holds a PNG');
    assert.deepEqual([decoded.readUInt32BE(16), decoded.readUInt32BE(20)], [8, 6], 'same width and height as the attached file');
    // The prompt text travels in the same user turn.
    const userText = users.map((u) => contentText(u.content)).join('\n');
    assert.match(userText, /Describe the attached image\./);
  });

  it('4b) without supports_vision the catalog says text-only, and Codex itself replaces the image with a note', async () => {
    const upKey = testToken('upstream');
    sc = await startScenario(
      [upKey],
      ([up], token) => configYaml([deployment('textonly', 'openai/gpt-4o-mini', up, 'OPENAI_API_KEY', 'chat')], token),
      { OPENAI_API_KEY: upKey },
    );
    const [up] = sc.upstreams;
    up.enqueue(chatText('No image here.'));
    const pngPath = join(sc.dirs.workspace, 'tiny.png');
    await writeFile(pngPath, tinyPng(4, 4));

    const r = await sc.run('textonly', 'Describe the attached image.', { args: ['--image', pngPath, '--'] });
    assertRan(r);
    assert.ok(r.agentMessages.includes('No image here.'), `answer missing\n${describeRun(r)}`);
    const chats = up.requestsTo('/chat/completions');
    assert.equal(chats.length, 1);
    const users: any[] = chats[0].body.messages.filter((m: any) => m.role === 'user');
    assert.ok(!JSON.stringify(users).includes('image_url'), 'no image part is sent for a text-only model');
    // Observed Codex 0.169 behaviour: the image is replaced by a text note before the request is sent.
    assert.match(users.map((u) => contentText(u.content)).join('\n'), /image content omitted because you do not support image input/);
  });

  it('5) codex exec resume --last: the second run resends the first run’s history through the gateway', async () => {
    const upKey = testToken('upstream');
    sc = await startScenario(
      [upKey],
      ([up], token) => configYaml([deployment('ds', 'deepseek/deepseek-chat', up, 'DEEPSEEK_API_KEY', 'chat')], token),
      { DEEPSEEK_API_KEY: upKey },
    );
    const [up] = sc.upstreams;
    up.enqueue(chatText('Noted: the code word is pineapple-42.'), chatText('The code word was pineapple-42.'));

    const r1 = await sc.run('ds', 'Remember the code word pineapple-42.', { ephemeral: false });
    assertRan(r1);
    assert.ok(r1.agentMessages.includes('Noted: the code word is pineapple-42.'), `first answer missing\n${describeRun(r1)}`);
    const thread1 = r1.events.find((e) => e.type === 'thread.started')?.thread_id;

    const r2 = await sc.run('ds', 'What was the code word?', { ephemeral: false, args: ['resume', '--last'] });
    assertRan(r2);
    assert.ok(r2.agentMessages.includes('The code word was pineapple-42.'), `second answer missing\n${describeRun(r2)}`);
    assert.equal(r2.exitCode, 0, describeRun(r2));
    const thread2 = r2.events.find((e) => e.type === 'thread.started')?.thread_id;
    assert.equal(typeof thread1, 'string', `no thread id in the first run\n${describeRun(r1)}`);
    assert.equal(thread2, thread1, 'resume continues the same thread');

    const chats = up.requestsTo('/chat/completions');
    assert.equal(chats.length, 2);
    const msgs: any[] = chats[1].body.messages;
    const firstUser = msgs.findIndex((m) => m.role === 'user' && contentText(m.content).includes('Remember the code word pineapple-42.'));
    const firstAnswer = msgs.findIndex((m) => m.role === 'assistant' && contentText(m.content) === 'Noted: the code word is pineapple-42.');
    const secondUser = msgs.findIndex((m) => m.role === 'user' && contentText(m.content).includes('What was the code word?'));
    assert.ok(firstUser >= 0 && firstAnswer > firstUser && secondUser > firstAnswer, `history out of order or missing: ${JSON.stringify(msgs.slice(1)).slice(0, 2500)}`);
  });
});
