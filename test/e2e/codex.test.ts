/**
 * End to end with the REAL Codex CLI (npm `@openai/codex`, version pinned in package.json), as ONE table:
 * every scenario below runs over every upstream wire of the gateway,
 *
 *   codex exec --json  ->  `node bin/codex-gateway.js serve` (child process)  ->  mock upstream of the wire
 *
 * with the wire's mock, scripts and reading of what the upstream received supplied by its kit
 * (./wire-kits.ts): `chat` (Chat Completions, translated), `responses` (OpenAI Responses, relayed) and
 * `messages` (Anthropic Messages through an `anthropic/` alias, translated, against the strict Anthropic
 * mock). Scenarios that only make sense on one wire live in codex-more.test.ts and codex-faults.test.ts.
 *
 * A column whose upstream adapter is not registered in src/gateway/wires/registry.ts (`UPSTREAMS`) is
 * still listed: each of its rows is a PENDING test (counted as skipped) whose title says why, and the
 * first test fails if the registry has a wire the table has no column for.
 *
 * Codex is configured with the text `codexConfigBlock` produces (validated by `--strict-config`): the token
 * through `[model_providers.X.auth] command`, the model metadata from the gateway's catalog. Every cell
 * has its own temp HOME / CODEX_HOME / workspace, its own gateway process and mocks, and hard timeouts.
 * Needs `npm run build` first (dist/cli.js), as `npm test` does.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UPSTREAMS } from '../../src/gateway/wires/registry';
import { REPO_ROOT, describeRun, type CodexResult } from '../helpers/codex';
import { fakeKey } from '../helpers/gateway';
import { MockUpstream, chatText } from '../helpers/mock-upstream';
import { RUN_TIMEOUT_MS, assertRan, assertStoppedMidStream, configYaml, deployment, startScenarioOver, type Closable, type Scenario } from '../helpers/scenario';
import { eventually } from '../helpers/wait';
import { WIRE_KITS, patchOf, type SeenRequest, type WireKit, type WireMock } from './wire-kits';

/** The alias every cell asks Codex to use. */
const ALIAS = 'model-under-test';
/** `router_settings.num_retries` where a row sets it. */
const NUM_RETRIES = 1;

/** What a row's cell gets: the wire's kit, and a way to start its scenario. */
interface Cell {
  kit: WireKit;
  /**
   * Starts the wire's mock (accepting a fresh fake key), and a gateway with alias {@link ALIAS} on it.
   * @param opts.reasoning the alias says `supports_reasoning` (Codex then sends a reasoning effort).
   * @param opts.router extra `router_settings` lines.
   * @param opts.wrongKey the gateway gets another key than the mock accepts.
   * @param opts.backup also start a healthy chat upstream as alias `backup` (and return it).
   */
  start(opts?: { reasoning?: boolean; router?: string[]; wrongKey?: boolean; backup?: boolean }): Promise<{ sc: Scenario<Closable>; up: WireMock; key: string; wrongKey?: string; backup?: MockUpstream; backupKey?: string }>;
}

/** One scenario of the table. */
interface Row {
  title: string;
  run(cell: Cell): Promise<void>;
}

/** The model requests of `up`, after checking that none broke the wire's rules (strict mock, ordering). */
function requestsOf(up: WireMock, r: CodexResult): SeenRequest[] {
  const qs = up.requests();
  for (const [i, q] of qs.entries()) assert.deepEqual(q.problems, [], `upstream request #${i + 1} broke the ${up.wire} wire's rules\n${describeRun(r)}`);
  return qs;
}

/** The command_execution items of a run. */
function commands(r: CodexResult) {
  return r.events.filter((e) => e.type === 'item.completed' && e.item?.type === 'command_execution').map((e) => e.item!);
}

const PATCH = ['*** Begin Patch', '*** Add File: notes/hello.txt', '+Hello from apply_patch', '+second line', '*** End Patch', ''].join('\n');

const ROWS: Row[] = [
  {
    title: 'streams a text answer into an agent_message; the request has the wire’s shape and the catalog’s instructions',
    async run({ kit, start }) {
      const { sc, up, key } = await start();
      const text = 'Hello from the mock model, streamed in small pieces.';
      up.text(text);
      const r = await sc.run(ALIAS, 'Say hello.');
      assertRan(r);
      assert.deepEqual(r.agentMessages, [text], `agent_message missing\n${describeRun(r)}`);
      assert.equal(r.exitCode, 0, describeRun(r));
      // The catalog served through model_catalog_url replaced Codex's fallback metadata.
      assert.ok(!r.errors.some((m) => /Model metadata for .* not found/.test(m)), `Codex used fallback metadata\n${describeRun(r)}`);

      // Served on the kit's wire (for an `anthropic/` model without wire_api: the provider's default).
      const served = new RegExp(`/v1/responses alias=${ALIAS} deployment=\\S+ wire=${kit.wire} status=200 `);
      assert.ok(await eventually(() => served.test(sc.gateway.output()), 5_000), `no log line for the request on the ${kit.wire} wire\n${sc.gateway.output().slice(-2000)}`);
      const qs = requestsOf(up, r);
      assert.equal(qs.length, 1, 'one upstream request');
      const q = qs[0]!;
      assert.ok(up.authorized(q, key), `the provider key is not in the ${kit.wire} wire's header: ${JSON.stringify(Object.keys(q.headers))}`);
      assert.equal(q.model, kit.upstreamModel, 'the alias is replaced by the upstream model name');
      assert.equal(q.stream, true);
      assert.match(q.userText, /Say hello\./);
      // The catalog's base instructions arrive as the system / developer prompt.
      assert.match(q.system, /Codex Gateway/);
      // Codex's tools, in the wire's terms: a relayed Responses upstream keeps apply_patch a custom tool;
      // translated wires get a one-string function.
      assert.ok(q.tools.some((t) => t.kind === 'function' && t.name === 'exec_command'), `no shell tool: ${q.tools.map((t) => t.name).join(', ')}`);
      assert.equal(q.tools.find((t) => t.name === 'apply_patch')?.kind, kit.wire === 'responses' ? 'custom' : 'function');
      if (kit.wire === 'responses') {
        // Relayed, not translated: Codex's own fields arrive as sent.
        assert.deepEqual(q.body.include, ['reasoning.encrypted_content']);
        assert.equal(q.body.store, false);
        assert.equal(q.body.input[0].role, 'developer', 'Codex system prompt is the first input item');
      }
    },
  },
  {
    title: 'runs a shell tool call; the next request carries the call and its output in the wire’s terms',
    async run({ start }) {
      const { sc, up } = await start();
      up.calls([{ id: 'call_e2e_shell_1', shell: 'echo hello-from-tool' }]);
      up.text('The command printed hello-from-tool.');
      const r = await sc.run(ALIAS, 'Run echo hello-from-tool and tell me what it printed.');
      assertRan(r);
      assert.deepEqual(r.agentMessages, ['The command printed hello-from-tool.'], `final answer missing\n${describeRun(r)}`);
      const [exec] = commands(r);
      assert.ok(exec, `no command_execution item\n${describeRun(r)}`);
      assert.match(String(exec.aggregated_output), /hello-from-tool/);

      const qs = requestsOf(up, r);
      assert.equal(qs.length, 2, 'two upstream requests (tool call, then the answer)');
      const q = qs[1]!;
      const call = q.calls.find((c) => c.id === 'call_e2e_shell_1');
      assert.ok(call, `the call is not in the second request: ${JSON.stringify(q.calls)}`);
      assert.equal(call.name, 'exec_command');
      assert.match(call.text, /echo hello-from-tool/);
      const result = q.results.find((x) => x.id === 'call_e2e_shell_1');
      assert.ok(result, `no result for the call in the second request: ${JSON.stringify(q.results)}`);
      assert.match(result.output, /hello-from-tool/);
      assert.ok(result.at > call.at, 'the result follows its call');
    },
  },
  {
    title: 'applies an apply_patch call: the file is written and the call comes back with its result',
    async run({ kit, start }) {
      const { sc, up } = await start();
      up.calls([{ id: 'call_e2e_patch_1', patch: PATCH }]);
      up.text('Created notes/hello.txt.');
      const r = await sc.run(ALIAS, 'Create notes/hello.txt saying hello.');
      assertRan(r);
      assert.deepEqual(r.agentMessages, ['Created notes/hello.txt.'], `final answer missing\n${describeRun(r)}`);
      const content = await readFile(join(sc.dirs.workspace, 'notes', 'hello.txt'), 'utf8').catch((e) => assert.fail(`file not written: ${e}\n${describeRun(r)}`));
      assert.equal(content, 'Hello from apply_patch\nsecond line\n');

      const qs = requestsOf(up, r);
      assert.equal(qs.length, 2);
      const call = qs[1]!.calls.find((c) => c.id === 'call_e2e_patch_1');
      assert.equal(call?.name, 'apply_patch');
      assert.equal(call.kind, kit.wire === 'responses' ? 'custom' : 'function');
      assert.equal(patchOf(call), PATCH, 'the patch comes back byte for byte');
      const result = qs[1]!.results.find((x) => x.id === 'call_e2e_patch_1');
      assert.ok(result && result.at > call.at, `no result after the patch call: ${JSON.stringify(qs[1]!.results)}`);
    },
  },
  {
    title: 'runs parallel calls from one answer; the next request carries both calls and both outputs',
    async run({ kit, start }) {
      const { sc, up } = await start();
      up.calls([
        { id: 'call_e2e_par_1', shell: 'echo parallel-one' },
        { id: 'call_e2e_par_2', shell: 'echo parallel-two' },
      ]);
      up.text('Both commands ran.');
      const r = await sc.run(ALIAS, 'Run echo parallel-one and echo parallel-two.');
      assertRan(r);
      assert.deepEqual(r.agentMessages, ['Both commands ran.'], `final answer missing\n${describeRun(r)}`);
      const outs = commands(r).map((c) => String(c.aggregated_output));
      assert.ok(outs.some((o) => /parallel-one/.test(o)) && outs.some((o) => /parallel-two/.test(o)), `both commands should run\n${describeRun(r)}`);

      const qs = requestsOf(up, r);
      assert.equal(qs.length, 2);
      const q = qs[1]!;
      const pairs = [
        { id: 'call_e2e_par_1', word: 'parallel-one' },
        { id: 'call_e2e_par_2', word: 'parallel-two' },
      ].map(({ id, word }) => ({ id, word, call: q.calls.find((c) => c.id === id), result: q.results.find((x) => x.id === id) }));
      for (const { id, word, call, result } of pairs) {
        assert.ok(call, `no call ${id} in the second request: ${JSON.stringify(q.calls)}`);
        assert.match(call.text, new RegExp(word));
        assert.ok(result, `no result for ${id}: ${JSON.stringify(q.results)}`);
        assert.match(result.output, new RegExp(word));
        assert.ok(result.at > call.at, 'each result follows its call');
      }
      if (kit.callsShareTurn) assert.equal(pairs[0]!.call!.at, pairs[1]!.call!.at, 'the calls of one answer stay in one assistant turn');
    },
  },
  {
    title: 'shows reasoning and returns it on the tool turn (chat: reasoning_content; responses: the upstream’s own item only; messages: thinking with its signature, byte-exact)',
    async run({ kit, start }) {
      const { sc, up } = await start({ reasoning: true });
      const thought = 'The user wants the date.\nRunning `echo` is the safe way to show it.';
      const back = up.calls([{ id: 'call_e2e_think_1', shell: 'echo reasoning-then-tool' }], { reasoning: thought });
      up.text('The tool said reasoning-then-tool.');
      const r = await sc.run(ALIAS, 'Run echo reasoning-then-tool.');
      assertRan(r);
      assert.deepEqual(r.agentMessages, ['The tool said reasoning-then-tool.'], `final answer missing\n${describeRun(r)}`);
      assert.equal(r.exitCode, 0, describeRun(r));
      const shown = r.events.filter((e) => e.type === 'item.completed' && e.item?.type === 'reasoning').map((e) => e.item!.text);
      assert.deepEqual(shown, [thought], `the reasoning should be shown once\n${describeRun(r)}`);

      const qs = requestsOf(up, r);
      assert.equal(qs.length, 2);
      const q = qs[1]!;
      const call = q.calls.find((c) => c.id === 'call_e2e_think_1');
      assert.ok(call, 'the call is in the second request');
      assert.equal(q.reasoning.length, 1, `one reasoning block comes back: ${JSON.stringify(q.reasoning)}`);
      const got = q.reasoning[0]!;
      // Byte-exact: text, and the opaque part the upstream issued (signature / encrypted_content).
      assert.deepEqual({ text: got.text, signature: got.signature, opaque: got.opaque }, { text: back!.text, signature: back!.signature, opaque: back!.opaque });
      if (kit.callsShareTurn) assert.equal(got.at, call.at, 'the reasoning rides on the assistant turn that made the call');
      else assert.equal(got.at, call.at - 1, 'the reasoning item directly precedes the call it led to');
      const raw = JSON.stringify(q.body);
      if (kit.wire === 'responses') assert.ok(!/cgw[12]:/.test(raw), 'none of the gateway’s own reasoning reaches a Responses upstream');
      if (kit.wire === 'chat') assert.ok(!q.body.messages.some((m: any) => typeof m.content === 'string' && m.content.includes('safe way to show it')), 'reasoning leaked into content');
      if (kit.wire === 'messages') {
        for (const [i, x] of qs.entries()) assert.equal(x.body.thinking?.type, 'enabled', `thinking is on in request #${i + 1} (Codex sent a reasoning effort)`);
        const asst = q.body.messages[call.at];
        assert.equal(asst.content[0].type, 'thinking', 'the thinking block opens the assistant turn');
      }
    },
  },
  {
    title: 'a stream cut mid-way: the gateway ends it with response.failed, Codex retries by itself and shows only the complete answer',
    async run({ start }) {
      const { sc, up } = await start();
      up.cut('This first answer is cut off after a few pieces and must never be shown.');
      up.text('The complete second answer.');
      const r = await sc.run(ALIAS, 'Say hello.');
      assertRan(r);
      assert.equal(r.exitCode, 0, describeRun(r));
      assert.deepEqual(r.agentMessages, ['The complete second answer.'], `only the complete answer is shown\n${describeRun(r)}`);
      assert.ok(r.errors.some((m) => /reconnecting/i.test(m)), `Codex should report its retry\n${describeRun(r)}`);
      const qs = requestsOf(up, r);
      assert.equal(qs.length, 2, `one cut stream, then Codex's retry\n${describeRun(r)}`);
      assert.equal(up.statuses()[0], 200, 'the first answer had started (status 200) before the cut');
      // The gateway did not retry a stream that had already sent bytes to Codex: the retry is Codex's, so
      // the gateway logs two client requests, the first one failed.
      const lines = () => sc.gateway.output().split('\n').filter((l) => l.includes(`/v1/responses alias=${ALIAS} `));
      assert.ok(await eventually(() => lines().length === 2, 5_000), `two client requests in the gateway log\n${lines().join('\n')}`);
      assert.match(lines()[0]!, /status=200 .*error=/, 'the first request is logged with its error');
    },
  },
  {
    title: 'recovers from a 429 with Retry-After: the next attempt after the wait answers',
    async run({ start }) {
      // cooldown_time 1 s (default 5 s) keeps the cell short; the deployment cools down on the 429.
      const { sc, up } = await start({ router: [`num_retries: ${NUM_RETRIES}`, 'retry_after: 0', 'cooldown_time: 1'] });
      up.rateLimited(1);
      up.text('Answer after the rate limit.');
      const r = await sc.run(ALIAS, 'Hello?');
      assertRan(r);
      assert.deepEqual(r.agentMessages, ['Answer after the rate limit.'], `answer missing\n${describeRun(r)}`);
      assert.equal(r.exitCode, 0, describeRun(r));
      const qs = requestsOf(up, r);
      assert.deepEqual(up.statuses(), [429, 200], `one 429, then the answer\n${describeRun(r)}`);
      // The path: the 429 cools the only deployment down at once (router), so the gateway answers Codex 429
      // with Retry-After (never a 429 without it: Codex would give up), Codex waits it out and asks again,
      // and the cooled-down deployment answers.
      const passedOn = new RegExp(`/v1/responses alias=${ALIAS} .*status=429 `);
      assert.ok(await eventually(() => passedOn.test(sc.gateway.output()), 5_000), `the gateway should pass the 429 on\n${sc.gateway.output().slice(-2000)}`);
      assert.ok(r.errors.some((m) => /^Reconnecting.*429/.test(m)), `Codex retried the 429 by itself\n${describeRun(r)}`);
      const gap = qs[1]!.receivedAt - qs[0]!.receivedAt;
      assert.ok(gap >= 900, `the retry came ${gap} ms after the 429 (Retry-After: 1)`);
    },
  },
  {
    title: 'falls back from an overloaded upstream (503; Anthropic 529 overloaded_error) to a chat alias before Codex sees a byte',
    async run({ kit, start }) {
      const { sc, up, backup, backupKey } = await start({ backup: true, router: [`num_retries: ${NUM_RETRIES}`, 'retry_after: 0', 'allowed_fails: 100', `fallbacks: [{"${ALIAS}": ["backup"]}]`] });
      up.overloadedAlways();
      backup!.enqueue(chatText('Answer from the backup model.'));
      const r = await sc.run(ALIAS, 'Hello?');
      assertRan(r);
      assert.deepEqual(r.agentMessages, ['Answer from the backup model.'], `backup answer missing\n${describeRun(r)}`);
      assert.equal(r.exitCode, 0, describeRun(r));
      assert.ok(!r.errors.some((m) => /reconnecting/i.test(m)), `Codex should not need to retry\n${describeRun(r)}`);
      // Router backoff (retry_after 0: at most ~300 ms per retry) plus slack; Codex's own start-up aside.
      assert.ok(r.durationMs <= NUM_RETRIES * 300 + 3_000 + 30_000, `Codex took ${r.durationMs} ms\n${describeRun(r)}`);
      requestsOf(up, r);
      assert.deepEqual(up.statuses(), Array(NUM_RETRIES + 1).fill(up.overloadStatus), `the ${kit.wire} upstream is tried ${NUM_RETRIES + 1} times, then the fallback serves\n${describeRun(r)}`);
      const b = backup!.requestsTo('/chat/completions');
      assert.equal(b.length, 1);
      assert.equal(b[0]!.body.model, 'deepseek-chat');
      assert.equal(b[0]!.headers.authorization, `Bearer ${backupKey}`);
      const fellBack = new RegExp(`alias=backup .*fallback=${ALIAS}->backup`);
      assert.ok(await eventually(() => fellBack.test(sc.gateway.output()), 5_000), `the log line should name the fallback\n${sc.gateway.output().slice(-2000)}`);
    },
  },
  {
    title: 'an upstream 401 ends the turn at once with a message naming the key variable, never the key',
    async run({ kit, start }) {
      const { sc, up, key, wrongKey } = await start({ wrongKey: true });
      const r = await sc.run(ALIAS, 'Hello?');
      assertRan(r);
      assert.notEqual(r.exitCode, 0, 'the turn fails');
      const failed = r.events.filter((e) => e.type === 'turn.failed').map((e) => e.error?.message ?? '');
      assert.equal(failed.length, 1, `one turn.failed\n${describeRun(r)}`);
      assert.match(failed[0]!, new RegExp(kit.keyEnv), `the final error does not name the key variable\n${describeRun(r)}`);
      // A wrong key is not transient: neither Codex nor the router retries it.
      assert.ok(!r.errors.some((m) => m.startsWith('Reconnecting')), `Codex retried a key error\n${describeRun(r)}`);
      assert.deepEqual(up.statuses(), [401], 'one upstream attempt');
      assert.ok(up.authorized(up.requests()[0]!, wrongKey!), 'the configured (wrong) key was sent');
      for (const text of [r.stdout, r.stderr, sc.gateway.output()]) {
        assert.ok(!text.includes(wrongKey!), 'the wrong key leaked into Codex output or gateway logs');
        assert.ok(!text.includes(key), 'the upstream key leaked');
      }
    },
  },
  {
    title: 'Codex stopped mid-stream with SIGINT (Ctrl-C): the gateway aborts the upstream request within seconds',
    async run({ kit, start }) {
      const { sc, up } = await start();
      let sent!: () => void;
      const deltasSent = new Promise<void>((res) => (sent = res));
      up.streamThenHang(['The answer ', 'is coming ', 'slowly'], () => sent());
      const codex = await sc.start(ALIAS, 'Tell me a long story.');
      await assertStoppedMidStream({ sc, codex, deltasSent, waitMs: 60_000, signal: 'SIGINT', upstreamRequests: () => up.requests(), alias: ALIAS, wire: kit.wire });
    },
  },
];

const registered = new Set(Object.keys(UPSTREAMS));

describe('Codex CLI end to end, one table over every upstream wire (real codex -> gateway process -> wire mock)', function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  let sc: Scenario<Closable> | undefined;

  before(function () {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" before the e2e tests.');
  });

  afterEach(async () => {
    await sc?.stop();
    sc = undefined;
  });

  it('has a column for every upstream wire the gateway registers (UPSTREAMS in src/gateway/wires/registry.ts)', () => {
    const columns = WIRE_KITS.map((k) => k.wire);
    const running = columns.filter((w) => registered.has(w));
    assert.deepEqual(running.slice().sort(), [...registered].sort(), `registered upstream wires without a column: ${[...registered].filter((w) => !columns.includes(w as never)).join(', ')}`);
  });

  /** The cell helpers for one kit; `sc` is stopped after each test. */
  const cellOf = (kit: WireKit): Cell => ({
    kit,
    async start(opts = {}) {
      const key = fakeKey(`${kit.wire}-upstream`);
      const wrongKey = opts.wrongKey ? fakeKey(`${kit.wire}-wrong`) : undefined;
      const up = await kit.start(key);
      const ups: Closable[] = [up];
      let backup: MockUpstream | undefined;
      let backupKey: string | undefined;
      const env: Record<string, string> = { [kit.keyEnv]: wrongKey ?? key };
      const deployments = [deployment(ALIAS, kit.model, up.apiBase, kit.keyEnv, kit.wireApi, opts.reasoning ? ['supports_reasoning: true'] : [])];
      if (opts.backup) {
        backupKey = fakeKey('backup-upstream');
        try {
          backup = await MockUpstream.start({ name: 'backup-chat', apiKey: backupKey });
        } catch (e) {
          await up.close();
          throw e;
        }
        ups.push(backup);
        env.BACKUP_DEEPSEEK_KEY = backupKey;
        deployments.push(deployment('backup', 'deepseek/deepseek-chat', backup, 'BACKUP_DEEPSEEK_KEY', 'chat'));
      }
      sc = await startScenarioOver(ups, (token) => configYaml(deployments, token, opts.router ?? []), env);
      return { sc, up, key, wrongKey, backup, backupKey };
    },
  });

  for (const row of ROWS) {
    describe(row.title, () => {
      for (const kit of WIRE_KITS) {
        if (registered.has(kit.wire)) it(`[${kit.wire}]`, () => row.run(cellOf(kit)));
        // Listed, not passed: mocha counts a test without a body as pending (the reporter's "skipped").
        else it(`[${kit.wire}] PENDING: no UPSTREAMS.${kit.wire} adapter in src/gateway/wires/registry.ts yet`);
      }
    });
  }
});
