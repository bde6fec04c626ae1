/**
 * End to end with the REAL Claude Code CLI (npm `@anthropic-ai/claude-code` 2.1.328, pinned in package.json)
 * through the gateway's Messages door:
 *
 *   claude -p --output-format stream-json  ->  wire tap  ->  `node bin/codex-gateway.js serve`  ->  mocks
 *
 * One gateway process per test with two aliases:
 * - `cc-anthropic`: an `anthropic/` deployment (the Messages wire, RELAYED) on the strict Anthropic mock;
 * - `cc-deepseek`: a DeepSeek-style Chat Completions deployment (TRANSLATED through the hub) on MockUpstream.
 *
 * Scenarios: a streamed text answer on each alias with `ANTHROPIC_AUTH_TOKEN` (Authorization: Bearer) and
 * with `ANTHROPIC_API_KEY` (x-api-key); a Bash tool round trip writing a file on each alias (the mock calls
 * Bash, then answers once it sees the result; the file must exist and the second upstream request must
 * carry the call and its output in the wire's terms, with the signed thinking (Anthropic) or DeepSeek's
 * `reasoning_content` (chat) back byte-exact); an unknown alias (Claude Code shows any 404 as "There's an
 * issue with the selected model"; the gateway's Anthropic-shaped 404 names the alias and the known
 * aliases, and so does its log); an upstream "prompt is too long" on each alias (Claude Code's own
 * handling must recognise the gateway's 400); a wrong gateway token (401 `authentication_error`, no
 * upstream asked); and
 * runs configured ONLY by `~/.claude/settings.json` (env + apiKeyHelper reading the 0600 token file),
 * without the wire tap. Every streamed 200 answer that passed the tap is checked against Anthropic's
 * streaming contract (block lifecycle, message_delta, message_stop, a non-zero input count).
 *
 * And the user's ChatGPT plan for Claude Code (issue 11): an alias served by `chatgpt/<model>` (a gateway
 * with `gateway_settings.chatgpt_plan: true` reading a fixture `$CODEX_HOME/auth.json`) against the mock of
 * the ChatGPT Codex backend (test/helpers/chatgpt-backend-mock.ts, which refuses what the backend
 * refuses): a streamed text answer, and a Bash tool round trip (the backend answers a `function_call`, then,
 * once `input` holds its `function_call_output`, a text); every backend request streamed, `store: false`,
 * with `instructions`; auth.json byte-identical afterwards.
 *
 * Claude Code runs headless and offline (test/helpers/claude.ts): isolated HOME, every network switch
 * off, an egress trap as HTTP(S) proxy with NO_PROXY = loopback (every test asserts it saw nothing), a
 * hard timeout and a process-group kill. The wire tap between Claude Code and the gateway records what
 * Claude Code sent and what the gateway answered, for assertions and failure messages.
 *
 * Known and accepted: the strict Anthropic mock rejects two things Claude Code 2.1.328 sends to a model
 * name it does not know (`tools[].defer_loading`, a `role: "system"` message), so on the relayed alias
 * Claude Code re-sends its first request in up to four reduced variants before one is accepted; the
 * gateway must pass those 400s back unchanged and must not hold them against the deployment.
 *
 * Needs `npm run build` first (dist/cli.js).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AnthropicMock, messageReply, promptTooLongReply, textReply } from '../helpers/anthropic-mock';
import { ChatgptBackendMock, writeAuthFixture, type AuthFixture } from '../helpers/chatgpt-backend-mock';
import { CLAUDE_BIN, describeClaudeRun, runClaude, type ClaudeResult, type ClaudeRunOptions, type WireExchange } from '../helpers/claude';
import { REPO_ROOT, makeTempDirs, type TempDirs } from '../helpers/codex';
import { fakeKey } from '../helpers/gateway';
import { MockUpstream, chatText, chatToolCalls, errorReply } from '../helpers/mock-upstream';
import { RUN_TIMEOUT_MS, configYaml, deployment, startScenarioOver, type Scenario } from '../helpers/scenario';
import { eventually } from '../helpers/wait';
import { seeChat, seeMessages, type SeenRequest } from './wire-kits';

/** Alias on the Anthropic deployment (relayed). */
const A_ALIAS = 'cc-anthropic';
/** Alias on the Chat Completions deployment (translated). */
const C_ALIAS = 'cc-deepseek';
/** The Anthropic deployment's upstream model name. */
const A_MODEL = 'claude-sonnet-4-5';
/** The chat deployment's upstream model name. */
const C_MODEL = 'deepseek-chat';

/** Keys Anthropic uses that a Chat Completions upstream must never receive (shared/notes, "bridges" 7). */
const ANTHROPIC_ONLY_KEYS = ['cache_control', 'defer_loading', 'context_management', 'output_config', 'eager_input_streaming', 'anthropic_beta'];

/** Every object key anywhere in `v` (JSON values). */
function keysDeep(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) keysDeep(x, out);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      keysDeep(x, out);
    }
  return out;
}

/** One test's world: both mocks, the gateway, and a way to run Claude Code against it. */
interface Cell {
  sc: Scenario<AnthropicMock | MockUpstream>;
  api: AnthropicMock;
  chat: MockUpstream;
  aKey: string;
  cKey: string;
  /** Runs Claude Code against the gateway with `model` (an alias) and the given auth kind. */
  run(model: string, prompt: string, opts?: { auth?: 'auth-token' | 'api-key' | 'settings'; bash?: boolean; tap?: boolean; token?: string }): Promise<ClaudeResult>;
  /** Model requests the Anthropic mock received, normalised (with its status). */
  anthropicRequests(): (SeenRequest & { status: number | undefined })[];
  /** Model requests the chat mock received, normalised. */
  chatRequests(): SeenRequest[];
  /** Everything for a failure message: the run, what passed the tap, the gateway log tail. */
  why(r: ClaudeResult): string;
}

async function startCell(): Promise<Cell> {
  const aKey = fakeKey('anthropic-upstream');
  const cKey = fakeKey('deepseek-upstream');
  const api = await AnthropicMock.start({ apiKey: aKey, name: 'anthropic-upstream' });
  let chat: MockUpstream;
  try {
    chat = await MockUpstream.start({ name: 'deepseek-upstream', apiKey: cKey });
  } catch (e) {
    await api.close();
    throw e;
  }
  const deployments = [deployment(A_ALIAS, `anthropic/${A_MODEL}`, api.origin, 'ANTHROPIC_API_KEY', undefined), deployment(C_ALIAS, `deepseek/${C_MODEL}`, chat, 'DEEPSEEK_API_KEY', 'chat')];
  const sc = await startScenarioOver<AnthropicMock | MockUpstream>([api, chat], (token) => configYaml(deployments, token), { ANTHROPIC_API_KEY: aKey, DEEPSEEK_API_KEY: cKey });
  const tokenFile = join(sc.dirs.home, 'gateway-token');
  const upstreams = () =>
    [
      ...api.requests.map((q, i) => `anthropic #${i + 1} ${q.method} ${q.path} -> ${q.status ?? '…'}${q.problems.length ? ` ${JSON.stringify(q.problems)}` : ''}`),
      ...chat.requests.map((q, i) => `chat #${i + 1} ${q.method} ${q.path} messages=${Array.isArray(q.body?.messages) ? q.body.messages.map((m: any) => m.role).join(',') : '-'}`),
    ].join('\n') || '(no upstream request)';
  const why = (r: ClaudeResult) =>
    `${describeClaudeRun(r)}\n--- what passed between Claude Code and the gateway ---\n${describeExchanges(r.exchanges)}\n--- upstream mocks ---\n${upstreams()}\n--- gateway (tail) ---\n${sc.gateway.output().slice(-3000)}`;
  return {
    sc,
    api,
    chat,
    aKey,
    cKey,
    why,
    run(model, prompt, opts = {}) {
      const kind = opts.auth ?? 'auth-token';
      const o: ClaudeRunOptions = {
        home: sc.dirs.home,
        workspace: sc.dirs.workspace,
        tmpDir: sc.dirs.root,
        baseUrl: sc.gateway.origin,
        model,
        auth: kind === 'settings' ? { kind, tokenFile } : { kind, token: opts.token ?? sc.token },
        prompt,
        allowedTools: opts.bash ? ['Bash'] : undefined,
        timeoutMs: RUN_TIMEOUT_MS,
        tap: opts.tap,
      };
      return runClaude(o);
    },
    anthropicRequests: () => api.requests.filter((q) => q.method === 'POST' && q.path === '/v1/messages').map((q) => ({ ...seeMessages(q), status: q.status })),
    chatRequests: () => chat.requestsTo('/chat/completions').filter((q) => q.method === 'POST').map(seeChat),
  };
}

/** One line per exchange: request, status, and the answer (JSON errors in full, streams trimmed). */
function describeExchanges(xs: WireExchange[]): string {
  if (!xs.length) return '(none: the run was not tapped, or Claude Code made no request)';
  return xs
    .map((x, i) => {
      const b = x.body && typeof x.body === 'object' ? x.body : {};
      const req = `#${i + 1} ${x.method} ${x.path}${x.query ? `?${x.query}` : ''} auth=${JSON.stringify(x.auth)} model=${JSON.stringify(b.model)} messages=${Array.isArray(b.messages) ? b.messages.length : '-'} stream=${b.stream}`;
      const answer = x.responseJson !== undefined ? JSON.stringify(x.responseJson).slice(0, 1500) : x.responseText.slice(0, 600).replace(/\n/g, '\\n');
      return `${req}\n   -> ${x.status ?? 'no answer'}${x.error ? ` (${x.error})` : ''} ${answer}`;
    })
    .join('\n');
}

/**
 * Checks one streamed answer the gateway sent Claude Code against Anthropic's streaming contract
 * (shared/notes/claude-code-wire.md): `message_start` first (with a non-zero input count, else Claude Code
 * shows "Ctx 0%"), per block `content_block_start` before its deltas and `content_block_stop`, indices from
 * 0 in order, every block stopped before `message_delta` (with a stop reason and usage), `message_stop`
 * last; `ping` anywhere. Returns the problems found (empty: fine).
 */
function sseProblems(x: WireExchange): string[] {
  const p: string[] = [];
  const events: any[] = [];
  for (const frame of x.responseText.split(/\r?\n\r?\n/)) {
    const data = frame
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (!data) continue;
    try {
      events.push(JSON.parse(data));
    } catch {
      p.push(`a data line that is not JSON: ${data.slice(0, 200)}`);
    }
  }
  const real = events.filter((e) => e?.type !== 'ping');
  if (real[0]?.type !== 'message_start') p.push(`the first event is ${real[0]?.type}, not message_start`);
  else if (!(real[0].message?.usage?.input_tokens > 0)) p.push(`message_start has no input token count: ${JSON.stringify(real[0].message?.usage)}`);
  const open = new Set<number>();
  let next = 0;
  let deltaSeen = false;
  for (const e of real.slice(1)) {
    if (e.type === 'content_block_start') {
      if (e.index !== next) p.push(`content_block_start index ${e.index}, expected ${next}`);
      next = Math.max(next, e.index + 1);
      open.add(e.index);
    } else if (e.type === 'content_block_delta' || e.type === 'content_block_stop') {
      if (!open.has(e.index)) p.push(`${e.type} for index ${e.index}, which is not open`);
      if (e.type === 'content_block_stop') open.delete(e.index);
    } else if (e.type === 'message_delta') {
      if (open.size) p.push(`message_delta while blocks ${[...open].join(',')} are open`);
      if (!e.delta?.stop_reason) p.push('message_delta without stop_reason');
      if (typeof e.usage?.output_tokens !== 'number') p.push('message_delta without usage.output_tokens');
      deltaSeen = true;
    } else if (e.type === 'message_stop') {
      if (!deltaSeen) p.push('message_stop before message_delta');
    } else if (e.type === 'error') p.push(`an error event: ${JSON.stringify(e.error)}`);
    else p.push(`an unknown event ${e.type}`);
  }
  if (real[real.length - 1]?.type !== 'message_stop') p.push(`the stream ends with ${real[real.length - 1]?.type}, not message_stop`);
  return p;
}

/** Every 200 answer that passed the tap keeps the streaming contract (or is a whole `message`). */
function assertAnswersWellFormed(r: ClaudeResult, why: string): void {
  for (const [i, x] of r.exchanges.entries()) {
    if (x.path !== '/v1/messages' || x.status !== 200) continue;
    if (/text\/event-stream/.test(x.responseHeaders['content-type'] ?? '')) assert.deepEqual(sseProblems(x), [], `answer #${i + 1} breaks the streaming contract\n${why}`);
    else assert.equal(x.responseJson?.type, 'message', `answer #${i + 1} is neither a stream nor a message\n${why}`);
  }
}

/** The run ended on its own, with Claude Code's init event, and nothing tried to leave the machine. */
function assertRan(r: ClaudeResult, why: string): void {
  assert.equal(r.timedOut, false, `claude timed out\n${why}`);
  assert.ok(r.init, `claude printed no init event (did it start?)\n${why}`);
  assert.deepEqual(r.egress, [], `claude tried to reach a non-loopback host\n${why}`);
}

/** Claude Code answered `text` as the final result, without an error. */
function assertAnswered(r: ClaudeResult, text: string, why: string): void {
  assertRan(r, why);
  assert.equal(r.isError, false, `claude ended with an error\n${why}`);
  assert.equal(r.resultText, text, `the final answer is not the mock's\n${why}`);
  assert.ok(r.texts.includes(text), `no assistant text block with the answer\n${why}`);
  assert.equal(r.exitCode, 0, why);
  assertAnswersWellFormed(r, why);
}

/** No header of any upstream request holds the gateway token (it must never be passed on). */
function assertTokenStaysHome(qs: SeenRequest[], token: string): void {
  for (const [i, q] of qs.entries())
    for (const [k, v] of Object.entries(q.headers)) assert.ok(!v.includes(token), `upstream request #${i + 1} carries the gateway token in its ${k} header`);
}

/** The last `POST /v1/messages` Claude Code made (through the tap). */
function lastMessagesExchange(r: ClaudeResult): WireExchange | undefined {
  return [...r.exchanges].reverse().find((x) => x.method === 'POST' && x.path === '/v1/messages');
}

/** Waits for a gateway log line matching `re` (lines are flushed asynchronously). */
async function assertLogged(cell: Cell, re: RegExp, what: string): Promise<string> {
  const find = () => cell.sc.gateway.output().split('\n').find((l) => re.test(l));
  assert.ok(await eventually(() => find() !== undefined, 5_000), `${what}: no gateway log line matching ${re}\n--- gateway (tail) ---\n${cell.sc.gateway.output().slice(-3000)}`);
  return find()!;
}

/** Checks the relayed Anthropic path after a run that ended well; returns the accepted upstream requests. */
function checkRelay(cell: Cell, r: ClaudeResult, kind: 'auth-token' | 'api-key' | 'settings', why: string): (SeenRequest & { status: number | undefined })[] {
  const qs = cell.anthropicRequests();
  const accepted = qs.filter((q) => q.status === 200);
  assert.ok(accepted.length >= 1, `no request was accepted by the Anthropic mock\n${why}`);
  assert.equal(cell.chatRequests().length, 0, 'nothing reaches the chat upstream');
  assertTokenStaysHome(qs, cell.sc.token);
  for (const [i, q] of qs.entries()) {
    // The provider key in Anthropic's header, whatever header Claude Code used for the gateway token.
    // Booleans only: an assertion's actual/expected would put a key into the test output.
    assert.ok(q.headers['x-api-key'] === cell.aKey, `upstream request #${i + 1}: x-api-key is not the deployment's key (${kind})`);
    assert.ok(q.headers.authorization === undefined, `upstream request #${i + 1} has an Authorization header (${kind})`);
    assert.equal(q.model, A_MODEL, `upstream request #${i + 1}: the alias is replaced by the upstream model`);
    assert.equal(q.stream, true, 'Claude Code streams');
    assert.ok(q.headers['anthropic-version'], 'anthropic-version is sent');
  }
  // Every rejected variant came back to Claude Code as a 400 in Anthropic's envelope with the mock's
  // wording in it (Claude Code's recovery matches Anthropic's wording).
  if (r.exchanges.length)
    for (const q of qs.filter((x) => x.status === 400)) {
      const x = r.exchanges.find((e) => e.status === 400 && e.responseJson?.type === 'error' && e.responseJson.error?.type === 'invalid_request_error' && String(e.responseJson.error.message).includes(q.problems[0]!));
      assert.ok(x, `the mock's 400 "${q.problems[0]}" did not reach Claude Code as a 400 invalid_request_error with that wording\n${why}`);
    }
  if (r.exchanges.length) {
    // Relayed: the body Claude Code sent, the alias replaced by the upstream model, nothing else changed;
    // the anthropic-beta header passed on verbatim.
    const last = lastMessagesExchange(r)!;
    const q = accepted[accepted.length - 1]!;
    assert.deepEqual({ ...q.body, model: last.body.model }, last.body, `the relayed body differs from what Claude Code sent (besides model)\n${why}`);
    assert.equal(q.headers['anthropic-beta'], last.headers['anthropic-beta'], 'anthropic-beta is passed on verbatim');
    assert.equal(r.exchanges.filter((e) => e.path === '/v1/messages').length, qs.length, `every Claude Code request reached the upstream once (no retry by the gateway, nothing refused in front)\n${why}`);
  }
  return accepted;
}

/** Checks the translated chat path after a run that ended well; returns the upstream requests. */
function checkChat(cell: Cell, r: ClaudeResult, n: number, why: string): SeenRequest[] {
  const qs = cell.chatRequests();
  assert.equal(qs.length, n, `${n} chat upstream request(s)\n${why}`);
  assert.equal(cell.anthropicRequests().length, 0, 'nothing reaches the Anthropic upstream');
  assertTokenStaysHome(qs, cell.sc.token);
  for (const [i, q] of qs.entries()) {
    assert.deepEqual(q.problems, [], `chat request #${i + 1} breaks the chat wire's rules`);
    assert.ok(q.headers.authorization === `Bearer ${cell.cKey}`, `chat request #${i + 1}: the deployment's key as Bearer`);
    assert.ok(q.headers['x-api-key'] === undefined, 'no x-api-key to an OpenAI-wire upstream');
    const anth = Object.keys(q.headers).filter((k) => k.startsWith('anthropic-'));
    assert.deepEqual(anth, [], `anthropic-* headers never go to an OpenAI-wire upstream`);
    assert.equal(q.model, C_MODEL);
    assert.equal(q.stream, true);
    const leaked = ANTHROPIC_ONLY_KEYS.filter((k) => keysDeep(q.body).has(k));
    assert.deepEqual(leaked, [], `Anthropic-only fields reached the chat upstream`);
    const bash = q.tools.find((t) => t.name === 'Bash');
    assert.ok(bash && bash.schema?.properties?.command, `Claude Code's Bash tool is offered as a function with "command": ${q.tools.map((t) => t.name).join(', ')}`);
  }
  if (r.exchanges.length) {
    // Claude Code's first request was accepted as sent: no 400, so no reduced re-sends.
    const statuses = r.exchanges.filter((e) => e.path === '/v1/messages').map((e) => e.status);
    assert.deepEqual(statuses, Array(n).fill(200), `every Claude Code request was answered 200\n${why}`);
  }
  return qs;
}

const TEXT_A = 'Hello from the relayed Anthropic mock, streamed in small pieces.';
const TEXT_C = 'Hello from the DeepSeek-style chat mock, streamed in small pieces.';
const FILE = 'claude-e2e.txt';
const FILE_TEXT = 'written by Bash through the gateway';
const BASH_COMMAND = `printf '%s\\n' '${FILE_TEXT}' > ${FILE} && echo wrote-${FILE}`;

describe('Claude Code harness (test/helpers/claude.ts), without the gateway', function () {
  this.timeout(RUN_TIMEOUT_MS + 30_000);
  before(function () {
    if (!existsSync(CLAUDE_BIN)) throw new Error(`${CLAUDE_BIN} is missing: npm install (devDependency @anthropic-ai/claude-code).`);
  });
  let dirs: TempDirs | undefined;
  afterEach(async () => {
    await dirs?.cleanup();
    dirs = undefined;
  });

  it('Claude Code straight at the Anthropic mock answers, through the wire tap, with nothing leaving the machine', async () => {
    dirs = await makeTempDirs('cgw-claude-harness-');
    const key = fakeKey('anthropic-direct');
    const api = await AnthropicMock.start({ apiKey: key, name: 'anthropic-direct' });
    try {
      api.enqueue(textReply(TEXT_A, { chunkSize: 5 }));
      const r = await runClaude({ home: dirs.home, workspace: dirs.workspace, tmpDir: dirs.root, baseUrl: api.origin, model: A_ALIAS, auth: { kind: 'api-key', token: key }, prompt: 'Say hello.', timeoutMs: RUN_TIMEOUT_MS });
      const why = `${describeClaudeRun(r)}\n${describeExchanges(r.exchanges)}`;
      assertAnswered(r, TEXT_A, why);
      assert.equal(r.init?.apiKeySource, 'ANTHROPIC_API_KEY', why);
      assert.ok(r.exchanges.length >= 1 && r.exchanges.every((x) => x.path === '/v1/messages' && x.query === 'beta=true' && x.auth.xApiKey === 'token'), why);
      assert.equal(api.requests[api.requests.length - 1]?.status, 200, why);
    } finally {
      await api.close();
    }
  });

  it('the egress trap catches a request to a non-loopback host', async () => {
    dirs = await makeTempDirs('cgw-claude-harness-');
    const r = await runClaude({
      home: dirs.home,
      workspace: dirs.workspace,
      tmpDir: dirs.root,
      baseUrl: 'https://egress-check.invalid',
      model: A_ALIAS,
      auth: { kind: 'api-key', token: fakeKey('egress-check') },
      prompt: 'Say hello.',
      timeoutMs: RUN_TIMEOUT_MS,
      tap: false,
      maxRetries: 0,
    });
    assert.equal(r.timedOut, false, describeClaudeRun(r));
    assert.equal(r.isError, true, describeClaudeRun(r));
    assert.deepEqual(r.egress, ['CONNECT egress-check.invalid:443'], describeClaudeRun(r));
  });
});

describe('Claude Code CLI end to end (real claude -p -> gateway process /v1/messages -> Anthropic mock (relayed) / chat mock (translated))', function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  let cell: Cell | undefined;

  before(function () {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" before the e2e tests.');
    if (!existsSync(CLAUDE_BIN)) throw new Error(`${CLAUDE_BIN} is missing: npm install (devDependency @anthropic-ai/claude-code).`);
  });

  afterEach(async () => {
    await cell?.sc.stop();
    cell = undefined;
  });

  for (const kind of ['auth-token', 'api-key'] as const) {
    const how = kind === 'auth-token' ? 'ANTHROPIC_AUTH_TOKEN (Authorization: Bearer)' : 'ANTHROPIC_API_KEY (x-api-key)';

    it(`[anthropic, relayed] streams a text answer; token via ${how}`, async () => {
      cell = await startCell();
      cell.api.enqueue(textReply(TEXT_A, { chunkSize: 5 }));
      const r = await cell.run(A_ALIAS, 'Say hello.', { auth: kind });
      const why = cell.why(r);
      assertAnswered(r, TEXT_A, why);
      for (const x of r.exchanges) assert.deepEqual(x.auth, kind === 'auth-token' ? { bearer: 'token', xApiKey: 'none' } : { bearer: 'none', xApiKey: 'token' }, `Claude Code sent the token as ${how}\n${why}`);
      const accepted = checkRelay(cell, r, kind, why);
      assert.match(accepted[accepted.length - 1]!.userText, /Say hello\./);
      await assertLogged(cell, new RegExp(`/v1/messages\\S* alias=${A_ALIAS} deployment=\\S+ wire=messages status=200 `), 'the answered request');
    });

    it(`[chat, translated] streams a text answer; token via ${how}`, async () => {
      cell = await startCell();
      cell.chat.enqueue(chatText(TEXT_C, { chunkSize: 5 }));
      const r = await cell.run(C_ALIAS, 'Say hello.', { auth: kind });
      const why = cell.why(r);
      assertAnswered(r, TEXT_C, why);
      const [q] = checkChat(cell, r, 1, why);
      assert.match(q!.userText, /Say hello\./);
      // Claude Code's system prompt arrives as the system message.
      assert.match(q!.system, /Claude/, 'the system prompt reaches the chat upstream');
      await assertLogged(cell, new RegExp(`/v1/messages\\S* alias=${C_ALIAS} deployment=\\S+ wire=chat status=200 `), 'the answered request');
    });
  }

  it('[anthropic, relayed] Bash round trip: the file is written; the next request carries tool_use, tool_result with the output, and the signed thinking byte-exact', async () => {
    cell = await startCell();
    const signature = cell.api.issueSignature();
    cell.api.enqueue(
      messageReply(
        [
          { type: 'thinking', thinking: 'The user wants a file; Bash can write it.', signature },
          { type: 'tool_use', id: 'toolu_claude_e2e_1', name: 'Bash', input: { command: BASH_COMMAND, description: `Write ${FILE}` } },
        ],
        { stopReason: 'tool_use', chunkSize: 7 },
      ),
    );
    cell.api.enqueue(textReply(`Wrote ${FILE}.`));
    const r = await cell.run(A_ALIAS, `Write ${FILE}.`, { bash: true });
    const why = cell.why(r);
    assertAnswered(r, `Wrote ${FILE}.`, why);
    assert.equal(await readFile(join(cell.sc.dirs.workspace, FILE), 'utf8').catch((e) => assert.fail(`file not written: ${e}\n${why}`)), `${FILE_TEXT}\n`);
    assert.deepEqual(r.toolUses.map((t) => [t.id, t.name, t.input.command]), [['toolu_claude_e2e_1', 'Bash', BASH_COMMAND]], why);
    assert.equal(r.toolResults.length, 1, why);
    assert.equal(r.toolResults[0]!.isError, false, why);
    assert.match(r.toolResults[0]!.output, new RegExp(`wrote-${FILE}`));

    const accepted = checkRelay(cell, r, 'auth-token', why);
    assert.equal(accepted.length, 2, `two accepted upstream requests (the call, then the answer)\n${why}`);
    const q = accepted[1]!;
    const call = q.calls.find((c) => c.id === 'toolu_claude_e2e_1');
    assert.ok(call, `no tool_use in the second request: ${JSON.stringify(q.calls)}`);
    assert.equal(call.name, 'Bash');
    assert.equal(call.args?.command, BASH_COMMAND);
    const result = q.results.find((x) => x.id === 'toolu_claude_e2e_1');
    assert.ok(result, `no tool_result in the second request: ${JSON.stringify(q.results)}`);
    assert.match(result.output, new RegExp(`wrote-${FILE}`));
    assert.equal(result.at, call.at + 1, 'the tool_result is in the next (user) message');
    assert.deepEqual(q.reasoning.map((x) => ({ text: x.text, signature: x.signature, at: x.at })), [{ text: 'The user wants a file; Bash can write it.', signature, at: call.at }], 'the thinking block comes back byte-exact on the turn that made the call');
  });

  it('[chat, translated] Bash round trip after DeepSeek reasoning: the file is written; the next request carries the assistant tool_calls with its reasoning_content and a role "tool" message with the output', async () => {
    cell = await startCell();
    const reasoning = 'The user wants a file.\nBash with printf writes it.';
    cell.chat.enqueue(chatToolCalls([{ id: 'call_claude_e2e_1', name: 'Bash', arguments: JSON.stringify({ command: BASH_COMMAND, description: `Write ${FILE}` }) }], { chunkSize: 7, reasoning }));
    cell.chat.enqueue(chatText(`Wrote ${FILE}.`, { chunkSize: 5 }));
    const r = await cell.run(C_ALIAS, `Write ${FILE}.`, { bash: true });
    const why = cell.why(r);
    assertAnswered(r, `Wrote ${FILE}.`, why);
    assert.equal(await readFile(join(cell.sc.dirs.workspace, FILE), 'utf8').catch((e) => assert.fail(`file not written: ${e}\n${why}`)), `${FILE_TEXT}\n`);
    assert.equal(r.toolUses.length, 1, why);
    assert.equal(r.toolUses[0]!.name, 'Bash');
    assert.equal(r.toolUses[0]!.input.command, BASH_COMMAND, 'the arguments streamed in pieces arrive whole');
    assert.match(r.toolResults[0]?.output ?? '', new RegExp(`wrote-${FILE}`), why);

    const qs = checkChat(cell, r, 2, why);
    const q = qs[1]!;
    const call = q.calls.find((c) => c.id === 'call_claude_e2e_1');
    assert.ok(call, `the upstream's call id does not come back in the second request: ${JSON.stringify(q.calls)}`);
    assert.equal(call.name, 'Bash');
    assert.equal(call.args?.command, BASH_COMMAND);
    const result = q.results.find((x) => x.id === 'call_claude_e2e_1');
    assert.ok(result, `no role "tool" message for the call: ${JSON.stringify(q.body.messages.map((m: any) => m.role))}`);
    assert.match(result.output, new RegExp(`wrote-${FILE}`));
    assert.ok(result.at > call.at, 'the tool message follows the assistant message');
    assert.match(q.userText, new RegExp(`Write ${FILE.replace('.', '\\.')}\\.`), 'the user prompt is still there');
    // DeepSeek thinking with tools: the reasoning comes back on the assistant message that made the call.
    assert.deepEqual(q.reasoning.map((x) => ({ text: x.text, at: x.at })), [{ text: reasoning, at: call.at }], 'reasoning_content comes back byte-exact with the call');
    // Claude Code saw it as a thinking block (with the gateway's own opaque signature).
    const thinking = r.events.flatMap((e) => (e.type === 'assistant' && Array.isArray(e.message?.content) ? e.message!.content : [])).filter((b: any) => b?.type === 'thinking');
    assert.deepEqual(thinking.map((b: any) => b.thinking), [reasoning], `one thinking block with the reasoning\n${why}`);
    assert.ok(typeof thinking[0].signature === 'string' && thinking[0].signature.length > 0, 'the thinking block carries a signature');
  });

  it('an unknown alias: Claude Code shows its "issue with the selected model" for the gateway’s Anthropic 404, which (like the log) names the alias and the known aliases', async () => {
    cell = await startCell();
    const r = await cell.run('no-such-alias', 'Say hello.');
    const why = cell.why(r);
    assertRan(r, why);
    assert.equal(r.isError, true, `the run fails\n${why}`);
    assert.notEqual(r.exitCode, 0, why);
    assert.match(r.resultText ?? '', /issue with the selected model \(no-such-alias\)/, `what Claude Code prints\n${why}`);
    assert.ok(r.apiErrors.length >= 1, why);
    assert.deepEqual({ status: r.apiErrors[0]!.status, type: r.apiErrors[0]!.type }, { status: 404, type: 'not_found_error' }, why);

    const xs = r.exchanges.filter((x) => x.path === '/v1/messages');
    assert.ok(xs.length >= 1, why);
    for (const x of xs) {
      assert.equal(x.status, 404, `the gateway answers an unknown alias with 404\n${why}`);
      assert.equal(x.responseJson?.type, 'error', `Anthropic's error envelope\n${why}`);
      assert.equal(x.responseJson?.error?.type, 'not_found_error', why);
      const msg = String(x.responseJson?.error?.message);
      for (const name of ['no-such-alias', A_ALIAS, C_ALIAS]) assert.ok(msg.includes(name), `the 404 message does not name ${name}: ${msg}`);
    }
    const line = await assertLogged(cell, /\/v1\/messages\S* alias=no-such-alias .*status=404 /, 'the refused request');
    for (const name of [A_ALIAS, C_ALIAS]) assert.ok(line.includes(name), `the log line does not name the known alias ${name}: ${line}`);
    assert.equal(cell.anthropicRequests().length + cell.chatRequests().length, 0, 'no upstream was asked');
  });

  for (const [label, alias] of [
    ['anthropic, relayed', A_ALIAS],
    ['chat, translated', C_ALIAS],
  ] as const) {
    it(`[${label}] the upstream says the prompt is too long: Claude Code recognises it (its own "Prompt is too long" handling) from the gateway's 400`, async () => {
      cell = await startCell();
      if (alias === A_ALIAS) cell.api.setFallback(promptTooLongReply(210_000, 200_000));
      else
        cell.chat.setFallback(
          errorReply(400, {
            error: {
              message: "This model's maximum context length is 65536 tokens. However, you requested 210000 tokens (210000 in the messages, 0 in the completion). Please reduce the length of the messages or completion.",
              type: 'invalid_request_error',
              param: null,
              code: 'invalid_request_error',
            },
          }),
        );
      const r = await cell.run(alias, 'Say hello.');
      const why = cell.why(r);
      assertRan(r, why);
      assert.equal(r.isError, true, why);
      assert.equal(r.result?.terminal_reason, 'prompt_too_long', `Claude Code took it for a too-long prompt\n${why}`);
      assert.match(r.resultText ?? '', /^Prompt is too long/, why);
      const last = lastMessagesExchange(r);
      assert.equal(last?.status, 400, why);
      assert.equal(last?.responseJson?.error?.type, 'invalid_request_error', why);
      assert.match(String(last?.responseJson?.error?.message), /^prompt is too long/, `Anthropic's wording leads the message\n${why}`);
    });
  }

  for (const kind of ['auth-token', 'api-key'] as const) {
    it(`a wrong gateway token (${kind === 'auth-token' ? 'ANTHROPIC_AUTH_TOKEN' : 'ANTHROPIC_API_KEY'}): the gateway answers 401 authentication_error in Anthropic's shape; Claude Code stops with an authentication error; no upstream is asked`, async () => {
      cell = await startCell();
      const wrong = fakeKey('wrong-gateway-token');
      const r = await cell.run(A_ALIAS, 'Say hello.', { auth: kind, token: wrong });
      const why = cell.why(r);
      assertRan(r, why);
      assert.equal(r.isError, true, `the run fails\n${why}`);
      assert.notEqual(r.exitCode, 0, why);
      assert.equal(r.apiErrors[r.apiErrors.length - 1]?.status, 401, `Claude Code shows the 401\n${why}`);
      // Claude Code's own words for a 401: "Not logged in · Please run /login" with ANTHROPIC_AUTH_TOKEN,
      // an invalid-API-key text with ANTHROPIC_API_KEY; the gateway's message is not shown.
      assert.match(r.resultText ?? '', /not logged in|authenticat|api key/i, `what Claude Code prints\n${why}`);
      const xs = r.exchanges.filter((x) => x.path === '/v1/messages');
      assert.ok(xs.length >= 1, why);
      for (const x of xs) {
        assert.equal(x.status, 401, why);
        assert.equal(x.responseJson?.type, 'error', `Anthropic's error envelope\n${why}`);
        assert.equal(x.responseJson?.error?.type, 'authentication_error', why);
        assert.match(String(x.responseJson?.error?.message), /x-api-key/, 'the message says the token may come as x-api-key too');
      }
      assert.equal(cell.anthropicRequests().length + cell.chatRequests().length, 0, 'no upstream was asked');
    });
  }

  for (const [label, alias] of [
    ['anthropic, relayed', A_ALIAS],
    ['chat, translated', C_ALIAS],
  ] as const) {
    it(`[${label}] configured only by ~/.claude/settings.json (env + apiKeyHelper reading the 0600 token file; no gateway variable in the environment, no tap)`, async () => {
      cell = await startCell();
      const text = alias === A_ALIAS ? TEXT_A : TEXT_C;
      if (alias === A_ALIAS) cell.api.enqueue(textReply(text, { chunkSize: 5 }));
      else cell.chat.enqueue(chatText(text, { chunkSize: 5 }));
      const r = await cell.run(alias, 'Say hello.', { auth: 'settings', tap: false });
      const why = cell.why(r);
      assertAnswered(r, text, why);
      assert.equal(r.init?.apiKeySource, 'apiKeyHelper', `the token came from the apiKeyHelper\n${why}`);
      if (alias === A_ALIAS) checkRelay(cell, r, 'settings', why);
      else checkChat(cell, r, 1, why);
      await assertLogged(cell, new RegExp(`/v1/messages\\S* alias=${alias} deployment=\\S+ wire=${alias === A_ALIAS ? 'messages' : 'chat'} status=200 `), 'the answered request');
    });
  }
});

describe('Claude Code CLI end to end through the ChatGPT plan (real claude -p -> gateway process /v1/messages -> chatgpt/<model> -> ChatGPT backend mock)', function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  /** The alias on the plan. */
  const PLAN_ALIAS = 'cc-plan';
  /** The plan model behind it (one of the mock's PLAN_MODELS). */
  const PLAN_MODEL = 'gpt-5.5';
  const TEXT_P = 'Hello from your ChatGPT plan, streamed in small pieces.';
  let auth: AuthFixture | undefined;
  let sc: Scenario<ChatgptBackendMock> | undefined;

  /** A gateway process with `cc-plan` on chatgpt/PLAN_MODEL at `backend`; it reads the plan's sign-in from its CODEX_HOME, Claude Code gets none of it. */
  const startPlanScenario = (backend: ChatgptBackendMock, a: AuthFixture) => {
    const plan = ['  - model_name: cc-plan', '    litellm_params:', `      model: chatgpt/${PLAN_MODEL}`, `      api_base: ${backend.baseUrl}`].join('\n');
    return startScenarioOver<ChatgptBackendMock>([backend], (token) => configYaml([plan], token, ['num_retries: 0']) + 'gateway_settings:\n  chatgpt_plan: true\n', { CODEX_HOME: a.codexHome });
  };
  /** Runs `claude -p` with `prompt` on PLAN_ALIAS through the scenario's gateway (gateway token as Bearer). */
  const runPlan = (s: Scenario<ChatgptBackendMock>, prompt: string, allowedTools?: string[]) =>
    runClaude({ home: s.dirs.home, workspace: s.dirs.workspace, tmpDir: s.dirs.root, baseUrl: s.gateway.origin, model: PLAN_ALIAS, auth: { kind: 'auth-token', token: s.token }, prompt, allowedTools, timeoutMs: RUN_TIMEOUT_MS });
  /** The assertion context of a plan run: the run, the exchanges, the backend's requests (`upstream`) and refusals, the gateway log tail. */
  const describePlanRun = (r: ClaudeResult, upstream: string, refused: string[], s: Scenario<ChatgptBackendMock>) =>
    `${describeClaudeRun(r)}\n--- what passed between Claude Code and the gateway ---\n${describeExchanges(r.exchanges)}\n--- ChatGPT backend mock ---\n${upstream || '(no request)'}\nrefused: ${JSON.stringify(refused)}\n--- gateway (tail) ---\n${s.gateway.output().slice(-3000)}`;

  before(function () {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" before the e2e tests.');
    if (!existsSync(CLAUDE_BIN)) throw new Error(`${CLAUDE_BIN} is missing: npm install (devDependency @anthropic-ai/claude-code).`);
  });

  afterEach(async () => {
    await sc?.stop();
    sc = undefined;
    if (auth) {
      const a = auth;
      auth = undefined;
      const unchanged = await a.unchanged();
      await a.cleanup();
      assert.ok(unchanged, 'the gateway changed the Codex sign-in (auth.json is not byte-identical)');
    }
  });

  it(`[chatgpt plan] streams a text answer from an alias on chatgpt/${PLAN_MODEL}; every backend request streamed, store false, with instructions; auth.json unchanged`, async () => {
    auth = await writeAuthFixture();
    const backend = await ChatgptBackendMock.start(auth);
    sc = await startPlanScenario(backend, auth);
    // Claude Code may ask the haiku tier (the same alias here) for background work: every answer is the text.
    for (let i = 0; i < 4; i++) backend.enqueue({ kind: 'text', text: TEXT_P });
    const r = await runPlan(sc, 'Say hello.');
    const requests = backend.requests.filter((q) => q.method === 'POST');
    const upstream = requests
      .map((q, i) => `chatgpt #${i + 1} ${q.method} ${q.path} stream=${q.body?.stream} store=${q.body?.store} instructions=${typeof q.body?.instructions === 'string' ? q.body.instructions.length : '-'} chars fields=${Object.keys(q.body ?? {}).join(',')}`)
      .join('\n');
    const refused = backend.rejected.map((x) => `${x.status} ${x.detail}`);
    const why = describePlanRun(r, upstream, refused, sc);
    assertAnswered(r, TEXT_P, why);
    assert.deepEqual(refused, [], `the backend mock refused a request the real backend would refuse\n${why}`);
    assert.ok(requests.length >= 1, `no request reached the ChatGPT backend\n${why}`);
    assert.equal(r.exchanges.filter((x) => x.path === '/v1/messages').length, requests.length, `each Claude Code request went to the plan once\n${why}`);
    for (const [i, q] of requests.entries()) {
      const b = q.body;
      assert.equal(q.path, '/backend-api/codex/responses', why);
      assert.equal(b.stream, true, `backend request #${i + 1} is not streamed\n${why}`);
      assert.equal(b.store, false, `backend request #${i + 1} lacks store: false\n${why}`);
      assert.ok(typeof b.instructions === 'string' && b.instructions.trim() !== '', `backend request #${i + 1} has no instructions\n${why}`);
      assert.equal(b.model, PLAN_MODEL, 'the alias is replaced by the plan model');
      for (const f of ['max_output_tokens', 'max_tokens', 'temperature', 'metadata']) assert.ok(!(f in b), `backend request #${i + 1} carries ${f}`);
      // The sign-in, compared as booleans (assertion output must not carry tokens); never the gateway token.
      assert.ok(q.headers.authorization === `Bearer ${auth.accessToken}`, `backend request #${i + 1}: the sign-in's access token as Bearer`);
      assert.ok(q.headers['chatgpt-account-id'] === auth.accountId, `backend request #${i + 1}: the sign-in's account id`);
      assert.equal(q.headers.originator, 'codex_gateway');
      assert.ok(q.headers['x-api-key'] === undefined, 'no x-api-key to the backend');
      assert.deepEqual(Object.keys(q.headers).filter((k) => k.startsWith('anthropic-')), [], 'anthropic-* headers never go to the backend');
      for (const [k, v] of Object.entries(q.headers)) assert.ok(!String(v).includes(sc.token), `backend request #${i + 1} carries the gateway token in its ${k} header`);
    }
    const last = requests.at(-1)!.body;
    // Claude Code's system prompt is the instructions; its prompt is the user input.
    assert.match(last.instructions, /Claude/, 'the system prompt reaches the backend as instructions');
    assert.match(JSON.stringify(last.input), /Say hello\./, 'the user prompt reaches the backend');
    // Nothing of the sign-in reached Claude Code or the gateway's output.
    const seen = `${r.exchanges.map((x) => x.responseText).join('\n')}\n${sc.gateway.output()}\n${r.stdout}\n${r.stderr}`;
    for (const secret of [auth.accessToken, auth.refreshToken]) assert.ok(!seen.includes(secret), 'a sign-in token reached Claude Code or the gateway log');
    assert.ok(await eventually(() => /\/v1\/messages\S* alias=cc-plan deployment=\S+ .*status=200 /.test(sc!.gateway.output()), 5_000), `no gateway log line for the answered request\n${why}`);
  });

  it(`[chatgpt plan] Bash round trip on chatgpt/${PLAN_MODEL}: the backend's function_call runs, its real output comes back as function_call_output, the final text reaches Claude Code; auth.json unchanged`, async () => {
    auth = await writeAuthFixture();
    const backend = await ChatgptBackendMock.start(auth);
    sc = await startPlanScenario(backend, auth);
    const CALL_ID = 'call_plan_e2e_1';
    const FINAL = `Wrote ${FILE} on the plan.`;
    const args = JSON.stringify({ command: BASH_COMMAND, description: `Write ${FILE}` });
    /** The Responses items of a request's `input`. */
    const inputOf = (q: { body?: any }): any[] => (Array.isArray(q.body?.input) ? q.body.input : []);
    // The backend's answer follows the conversation: a function_call while the Bash tool is offered and no
    // output came back yet; the final text once the input holds the call's function_call_output.
    backend.reply = (q) => {
      if (inputOf(q).some((i) => i?.type === 'function_call_output')) return { kind: 'text', text: FINAL };
      if (Array.isArray(q.body?.tools) && q.body.tools.some((t: any) => t?.name === 'Bash')) return { kind: 'tool', name: 'Bash', arguments: args, callId: CALL_ID };
      return { kind: 'text', text: FINAL };
    };
    const r = await runPlan(sc, `Write ${FILE}.`, ['Bash']);
    const requests = backend.requests.filter((q) => q.method === 'POST');
    const upstream = requests
      .map((q, i) => `chatgpt #${i + 1} ${q.path} stream=${q.body?.stream} store=${q.body?.store} instructions=${typeof q.body?.instructions === 'string' ? q.body.instructions.length : '-'} chars input=${inputOf(q).map((x) => x?.type ?? x?.role).join(',')}`)
      .join('\n');
    const refused = backend.rejected.map((x) => `${x.status} ${x.detail}`);
    const why = describePlanRun(r, upstream, refused, sc);
    assertAnswered(r, FINAL, why);
    assert.deepEqual(refused, [], `the backend mock refused a request the real backend would refuse\n${why}`);

    // Claude Code ran the backend's call: the file exists, with what the command wrote.
    assert.equal(await readFile(join(sc.dirs.workspace, FILE), 'utf8').catch((e) => assert.fail(`file not written: ${e}\n${why}`)), `${FILE_TEXT}\n`);
    assert.equal(r.toolUses.length, 1, why);
    assert.equal(r.toolUses[0]!.name, 'Bash');
    assert.equal(r.toolUses[0]!.input.command, BASH_COMMAND, 'the arguments arrive whole');
    assert.equal(r.toolResults.length, 1, why);
    assert.equal(r.toolResults[0]!.isError, false, why);
    const toolOutput = r.toolResults[0]!.output;
    assert.match(toolOutput, new RegExp(`wrote-${FILE}`), why);

    // Every backend request: streamed, store false, instructions present, the plan model, nothing refused.
    assert.ok(requests.length >= 2, `the call, then the answer: at least two backend requests\n${why}`);
    assert.equal(r.exchanges.filter((x) => x.path === '/v1/messages').length, requests.length, `each Claude Code request went to the plan once\n${why}`);
    for (const [i, q] of requests.entries()) {
      assert.equal(q.path, '/backend-api/codex/responses', why);
      assert.equal(q.body.stream, true, `backend request #${i + 1} is not streamed\n${why}`);
      assert.equal(q.body.store, false, `backend request #${i + 1} lacks store: false\n${why}`);
      assert.ok(typeof q.body.instructions === 'string' && q.body.instructions.trim() !== '', `backend request #${i + 1} has no instructions\n${why}`);
      assert.equal(q.body.model, PLAN_MODEL);
      assert.ok(q.headers.authorization === `Bearer ${auth.accessToken}`, `backend request #${i + 1}: the sign-in's access token as Bearer`);
      for (const [k, v] of Object.entries(q.headers)) assert.ok(!String(v).includes(sc.token), `backend request #${i + 1} carries the gateway token in its ${k} header`);
    }

    // The request after the call carries the call (same call_id) and the tool's real output.
    const followUps = requests.filter((q) => inputOf(q).some((x) => x?.type === 'function_call_output'));
    assert.equal(followUps.length, 1, `exactly one backend request carries a function_call_output\n${why}`);
    const input = inputOf(followUps[0]!);
    const callAt = input.findIndex((x) => x?.type === 'function_call' && x.call_id === CALL_ID);
    assert.ok(callAt >= 0, `the backend's function_call does not come back with its call_id: ${JSON.stringify(input.map((x) => x?.type ?? x?.role))}`);
    assert.equal(input[callAt].name, 'Bash');
    assert.equal(JSON.parse(input[callAt].arguments).command, BASH_COMMAND);
    const outAt = input.findIndex((x) => x?.type === 'function_call_output' && x.call_id === CALL_ID);
    assert.ok(outAt > callAt, `the function_call_output for ${CALL_ID} follows the call: ${JSON.stringify(input.map((x) => x?.type ?? x?.role))}`);
    const out = input[outAt].output;
    const outText = typeof out === 'string' ? out : Array.isArray(out) ? out.map((p: any) => (typeof p?.text === 'string' ? p.text : '')).join('') : '';
    assert.equal(outText.trim(), toolOutput.trim(), `the function_call_output is the tool's real output\n${why}`);
    assert.match(JSON.stringify(input), new RegExp(`Write ${FILE.replace('.', '\\.')}\\.`), 'the user prompt is still there');

    const seen = `${r.exchanges.map((x) => x.responseText).join('\n')}\n${sc.gateway.output()}\n${r.stdout}\n${r.stderr}`;
    for (const secret of [auth.accessToken, auth.refreshToken]) assert.ok(!seen.includes(secret), 'a sign-in token reached Claude Code or the gateway log');
    assert.ok(await auth.unchanged(), 'auth.json is not byte-identical after the tool turn');
  });
});
