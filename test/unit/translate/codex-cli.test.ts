/**
 * The translator against the REAL Codex CLI (npm @openai/codex 0.169.0, node_modules/.bin/codex).
 *
 * A loopback server plays the gateway: it takes each Responses request Codex sends, translates it with
 * responsesToChatRequest (as for a DeepSeek deployment), and answers with a scripted Chat Completions
 * stream (what a chat upstream would send) run through ChatToResponsesStream. The script drives a
 * three-turn agent loop that exercises what matters most for Codex behind a chat upstream:
 *   1. reasoning + a client `tool_search` call;
 *   2. text + three parallel calls: `exec_command`, the freeform `apply_patch` (custom tool, streamed as
 *      `{"input": ...}` fragments split inside JSON escapes) and a namespaced `multi_agent_v1__close_agent`
 *      (only callable because tool_search loaded it);
 *   3. a final answer.
 * Checks: Codex ran every tool (files written, the namespaced call reached its handler), and the
 * requests Codex sent back translate into correctly paired Chat history, with our reasoning returned as
 * `reasoning_content`. Codex runs with an isolated HOME/CODEX_HOME in a temp dir and talks only to 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ChatToResponsesStream,
  encodeSse,
  newResponseId,
  responsesToChatRequest,
  type ChatCompletionChunk,
  type ChatMessage,
  type ChatRequestPlan,
  type ResponsesRequest,
} from '../../../src/gateway/translate';

const CODEX = resolve(__dirname, '../../../node_modules/.bin/codex');
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+caf\u00e9 "quoted" \\ \u{1F600}\n*** End Patch\n';

const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk => ({
  id: 'chatcmpl-live',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const call = (index: number, id: string | undefined, name: string | undefined, args: string) => ({
  tool_calls: [{ index, ...(id ? { id, type: 'function' } : {}), function: { ...(name ? { name } : {}), arguments: args } }],
});

/** apply_patch arguments as a chat model would stream them: JSON with ASCII escapes, cut mid-escape. */
function patchFragments(): string[] {
  const json = JSON.stringify({ input: PATCH }).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const out: string[] = [];
  for (let i = 0; i < json.length; i += 7) out.push(json.slice(i, i + 7));
  return out;
}

const SCRIPT: ChatCompletionChunk[][] = [
  [
    chunk({ role: 'assistant', content: null, reasoning_content: 'I need the agent tools; ' }),
    chunk({ reasoning_content: 'search for them first.' }),
    chunk(call(0, 'call_search', 'tool_search', '{"query":"close agent",')),
    chunk(call(0, undefined, undefined, '"limit":2}')),
    chunk({}, 'tool_calls'),
  ],
  [
    chunk({ role: 'assistant', content: 'Working on it.' }),
    chunk(call(0, 'call_exec', 'exec_command', '{"cmd":"printf hi > out.txt"')),
    chunk(call(1, 'call_patch', 'apply_patch', '')),
    ...patchFragments().map((f) => chunk(call(1, undefined, undefined, f))),
    chunk(call(2, 'call_agent', 'multi_agent_v1__close_agent', '{"target":')),
    chunk(call(0, undefined, undefined, '}')),
    chunk(call(2, undefined, undefined, '"nonexistent-agent"}')),
    chunk({}, 'tool_calls'),
  ],
  [chunk({ content: 'All ' }), chunk({ content: 'done.' }), chunk({}, 'stop'), { id: 'x', choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } }],
];

describe('translation with the real Codex CLI 0.169', function () {
  this.timeout(90_000);
  let dir: string;
  let server: Server;
  const plans: ChatRequestPlan[] = [];
  const bodies: ResponsesRequest[] = [];
  let codexOut = '';
  let codexCode: number | null = null;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cgw-translate-'));
    const home = join(dir, 'home');
    const codexHome = join(home, '.codex');
    const ws = join(dir, 'ws');
    mkdirSync(codexHome, { recursive: true });
    mkdirSync(ws);

    server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        if (req.method !== 'POST' || !req.url?.endsWith('/responses')) {
          res.writeHead(404).end();
          return;
        }
        const body = JSON.parse(raw) as ResponsesRequest;
        const turn = bodies.length;
        bodies.push(body);
        let plan: ChatRequestPlan;
        try {
          plan = responsesToChatRequest(body, { model: 'deepseek-reasoner', provider: 'deepseek', dropParams: false, dropParamNames: new Set(), stream: true });
        } catch (e) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: (e as Error).message } }));
          return;
        }
        plans.push(plan);
        const tr = new ChatToResponsesStream({ responseId: newResponseId(), alias: String(body.model), createdAt: Math.floor(Date.now() / 1000), tools: plan.tools, request: body });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let out = tr.start().map(encodeSse).join('');
        for (const c of SCRIPT[Math.min(turn, SCRIPT.length - 1)]) out += tr.push(c).map(encodeSse).join('');
        out += tr.end().map(encodeSse).join('');
        res.end(out);
      });
    });
    server.requestTimeout = 30_000;
    server.headersTimeout = 30_000;
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    writeFileSync(
      join(codexHome, 'config.toml'),
      [
        'model = "gpt-5.5"',
        'model_provider = "gw"',
        '[model_providers.gw]',
        'name = "gw"',
        `base_url = "http://127.0.0.1:${port}/v1"`,
        'wire_api = "responses"',
        'request_max_retries = 0',
        'stream_max_retries = 0',
        '',
      ].join('\n'),
    );

    await new Promise<void>((ok, fail) => {
      const child = spawn(
        CODEX,
        ['exec', '--json', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', 'write out.txt, add hello.txt and close agent nonexistent-agent'],
        { cwd: ws, env: { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: codexHome }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const killer = setTimeout(() => child.kill('SIGKILL'), 75_000);
      child.stdout.setEncoding('utf8').on('data', (d) => (codexOut += d));
      child.stderr.resume();
      child.on('error', fail);
      child.on('close', (code) => {
        clearTimeout(killer);
        codexCode = code;
        ok();
      });
    });
  });

  after(async () => {
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const events = () =>
    codexOut
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; item?: Record<string, unknown> });

  it('completes the three-turn agent loop', () => {
    assert.equal(codexCode, 0, `codex exited with ${codexCode}: ${codexOut.slice(-2000)}`);
    assert.equal(bodies.length, 3, 'Codex sent one request per turn');
    const messages = events().filter((e) => e.type === 'item.completed' && e.item?.type === 'agent_message').map((e) => e.item!.text);
    assert.deepEqual(messages, ['Working on it.', 'All done.']);
    const reasoning = events().filter((e) => e.type === 'item.completed' && e.item?.type === 'reasoning').map((e) => e.item!.text);
    assert.deepEqual(reasoning, ['I need the agent tools; search for them first.']);
  });

  it('ran the function call and the streamed freeform apply_patch exactly', () => {
    assert.equal(readFileSync(join(dir, 'ws', 'out.txt'), 'utf8'), 'hi');
    assert.equal(readFileSync(join(dir, 'ws', 'hello.txt'), 'utf8'), 'caf\u00e9 "quoted" \\ \u{1F600}\n');
  });

  it('translates the tool_search round trip and loads the deferred namespace tools', () => {
    const turn2 = plans[1];
    const names = (turn2.body.tools ?? []).map((t) => t.function.name);
    assert.ok(names.includes('tool_search') && names.includes('apply_patch'));
    assert.ok(names.includes('multi_agent_v1__close_agent'), `loaded tools missing from ${names.join(', ')}`);
    const msgs = turn2.body.messages;
    const a = msgs.findIndex((m) => m.role === 'assistant');
    const assistant = msgs[a] as Extract<ChatMessage, { role: 'assistant' }>;
    assert.deepEqual(assistant.tool_calls, [{ id: 'call_search', type: 'function', function: { name: 'tool_search', arguments: '{"query":"close agent","limit":2}' } }]);
    // Our reasoning came back from Codex as a cgw1 reasoning item and goes upstream as reasoning_content.
    assert.equal(assistant.reasoning_content, 'I need the agent tools; search for them first.');
    const tool = msgs[a + 1] as Extract<ChatMessage, { role: 'tool' }>;
    assert.equal(tool.role, 'tool');
    assert.equal(tool.tool_call_id, 'call_search');
    assert.match(tool.content, /multi_agent_v1__close_agent/);
  });

  it('pairs the three parallel calls with their outputs on the next turn', () => {
    const msgs = plans[2].body.messages;
    const a = msgs.findIndex((m) => m.role === 'assistant' && m.content === 'Working on it.');
    assert.ok(a > 0, 'assistant text and its tool calls are one message');
    const assistant = msgs[a] as Extract<ChatMessage, { role: 'assistant' }>;
    assert.deepEqual(
      assistant.tool_calls?.map((c) => [c.id, c.function.name]),
      [
        ['call_exec', 'exec_command'],
        ['call_patch', 'apply_patch'],
        ['call_agent', 'multi_agent_v1__close_agent'],
      ],
    );
    assert.deepEqual(JSON.parse(assistant.tool_calls![1].function.arguments), { input: PATCH });
    const tools = msgs.slice(a + 1, a + 4) as Array<Extract<ChatMessage, { role: 'tool' }>>;
    assert.deepEqual(
      tools.map((t) => [t.role, t.tool_call_id]),
      [
        ['tool', 'call_exec'],
        ['tool', 'call_patch'],
        ['tool', 'call_agent'],
      ],
    );
    assert.match(tools[1].content, /Success/);
    // Codex routed the namespaced call to its close_agent handler (which rejects the made-up id).
    assert.match(tools[2].content, /nonexistent-agent/);
    // Codex echoed the calls back as the right Responses items.
    const input = bodies[2].input as Array<Record<string, unknown>>;
    assert.ok(input.some((i) => i.type === 'custom_tool_call' && i.call_id === 'call_patch' && i.input === PATCH));
    assert.ok(input.some((i) => i.type === 'function_call' && i.call_id === 'call_agent' && i.name === 'close_agent' && i.namespace === 'multi_agent_v1'));
    assert.ok(input.some((i) => i.type === 'tool_search_call' && i.call_id === 'call_search'));
  });
});
