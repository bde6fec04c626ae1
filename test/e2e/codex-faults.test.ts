/**
 * End to end with the REAL Codex CLI under the upstream faults users meet most (issue 7):
 *
 *   codex exec --json  ->  `node bin/codex-gateway.js serve` (child process)  ->  fault mocks
 *                                                                  (test/helpers/fault-upstream.ts)
 *
 * - a stalled upstream: Codex must not freeze; the fallback answers, or Codex stops with a clear timeout
 *   error, within the configured limits;
 * - a relayed stream cut in the middle of an SSE line: the gateway ends the stream with `response.failed`
 *   (`server_error`), Codex retries the turn by itself, and the retry's answer is what the user gets.
 *
 * (A stream cut between events, and an overloaded upstream falling back to a chat alias, are rows of the
 * table in codex.test.ts, over every upstream wire.)
 *
 * Codex's config is the gateway's own block (`request_max_retries = 1`, `stream_max_retries = 3`). Every
 * scenario has its own temp HOME, gateway process and mocks. Needs `npm run build` first (dist/cli.js).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, describeRun, testToken, type CodexResult } from '../helpers/codex';
import { FaultUpstream, type Exchange, type FaultName, type FaultWire } from '../helpers/fault-upstream';
import type { MockUpstream } from '../helpers/mock-upstream';
import { RUN_TIMEOUT_MS, assertRan, configYaml, startScenario, type Scenario } from '../helpers/scenario';

/** `timeout` and `stream_timeout` of the faulty deployments, in seconds. */
const LIMIT_S = 1.5;
const LIMIT_MS = LIMIT_S * 1000;
/** `gateway_settings.stream_idle_timeout_ms`. */
const IDLE_MS = 1_000;
/** `router_settings.num_retries`. */
const NUM_RETRIES = 1;
/** Longest router backoff with `retry_after: 0` (250 ms base, jitter < 1.2). */
const BACKOFF_MAX_MS = 300;
/** Slack on gateway-side time bounds (two child processes plus Codex on a shared 2-core machine). */
const MARGIN_MS = 3_000;
/**
 * Upper bound for Codex's own part of a run: start-up (config, catalog fetch, sandbox set-up) and its
 * retry backoff. Measured around 2-5 s per run here; a frozen Codex waits its 300 s stream idle timeout.
 */
const CODEX_OVERHEAD_MS = 30_000;

/** One deployment pointing at a mock, with the fault limits (or generous ones for a healthy fallback). */
function faultDeployment(alias: string, up: MockUpstream, keyEnv: string, wire: FaultWire, limits: boolean): string {
  return [
    `  - model_name: ${alias}`,
    `    litellm_params:`,
    `      model: openai/${alias}-model`,
    `      api_base: ${up.baseUrl}`,
    `      api_key: os.environ/${keyEnv}`,
    `      wire_api: ${wire}`,
    ...(limits ? [`      timeout: ${LIMIT_S}`, `      stream_timeout: ${LIMIT_S}`] : ['      timeout: 30']),
    `    model_info:`,
    `      max_input_tokens: 64000`,
  ].join('\n');
}

/** Starts a gateway with alias `primary` (faulty) and optionally `backup` (healthy) with a fallback rule. */
async function faultScenario(
  primary: { wire: FaultWire; always: FaultName; enqueue?: FaultName[] },
  backup?: { wire: FaultWire },
): Promise<{ sc: Scenario; primary: FaultUpstream; backup?: FaultUpstream; keys: string[] }> {
  const keys = [testToken('primary'), ...(backup ? [testToken('backup')] : [])];
  const env: Record<string, string> = { PRIMARY_KEY: keys[0]! };
  if (backup) env.BACKUP_KEY = keys[1]!;
  const sc = await startScenario(
    keys,
    (ups, token) =>
      configYaml(
        [faultDeployment('primary', ups[0]!, 'PRIMARY_KEY', primary.wire, true), ...(backup ? [faultDeployment('backup', ups[1]!, 'BACKUP_KEY', backup.wire, false)] : [])],
        token,
        [`num_retries: ${NUM_RETRIES}`, 'retry_after: 0', 'allowed_fails: 100', ...(backup ? ['fallbacks: [{"primary": ["backup"]}]'] : [])],
      ) + `gateway_settings:\n  stream_idle_timeout_ms: ${IDLE_MS}\n`,
    env,
  );
  const p = FaultUpstream.over(sc.upstreams[0]!, { always: primary.always });
  if (primary.enqueue?.length) p.enqueue(...primary.enqueue);
  const b = backup ? FaultUpstream.over(sc.upstreams[1]!, { always: 'healthy' }) : undefined;
  return { sc, primary: p, backup: b, keys };
}

/** POST exchanges that carried a model request (Codex may also fetch other things through the gateway). */
function turns(up: FaultUpstream): Exchange[] {
  return up.exchanges.filter((x) => x.wire !== undefined);
}

/** Fails when a provider key shows up in what Codex printed or in the gateway's output. */
function assertNoKeys(sc: Scenario, r: CodexResult, keys: string[]): void {
  for (const k of keys) {
    assert.ok(!r.stdout.includes(k) && !r.stderr.includes(k), 'a provider key reached Codex');
    assert.ok(!sc.gateway.output().includes(k), 'a provider key reached the gateway log');
  }
}

/** Every attempt that timed out was closed by the gateway after about the limit (not before, not much after). */
function assertTimedAttempts(xs: Exchange[], limitMs: number, r: CodexResult): void {
  for (const x of xs) {
    assert.equal(x.closedBy, 'peer', `the gateway should close a stalled attempt itself\n${describeRun(r)}`);
    const d = x.closedAt! - x.request.receivedAt;
    assert.ok(d >= 0.8 * limitMs && d <= limitMs + MARGIN_MS, `a stalled attempt lasted ${d} ms (limit ${limitMs} ms)\n${describeRun(r)}`);
  }
}

describe('Codex CLI under upstream faults (real codex -> gateway process -> fault mocks)', function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  let sc: Scenario | undefined;

  before(function () {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" before the e2e tests.');
  });

  afterEach(async () => {
    await sc?.stop();
    sc = undefined;
  });

  it('stalled upstream (SSE headers, then silence): Codex does not freeze, the fallback answers within the stream timeout', async () => {
    const s = await faultScenario({ wire: 'chat', always: 'headers_no_body' }, { wire: 'chat' });
    sc = s.sc;
    const r = await sc.run('primary', 'Say hello.');
    assertRan(r);
    assert.equal(r.exitCode, 0, describeRun(r));
    assert.deepEqual(r.agentMessages, ['Hello from upstream1: all good.'], `the fallback's answer should be the only message\n${describeRun(r)}`);
    const p = turns(s.primary);
    assert.equal(p.length, NUM_RETRIES + 1, `the primary is tried ${NUM_RETRIES + 1} times\n${describeRun(r)}`);
    assertTimedAttempts(p, LIMIT_MS, r);
    const b = turns(s.backup!);
    assert.equal(b.length, 1, describeRun(r));
    const gatewayMs = b[0]!.request.receivedAt - p[0]!.request.receivedAt;
    const bound = (NUM_RETRIES + 1) * LIMIT_MS + NUM_RETRIES * BACKOFF_MAX_MS + MARGIN_MS;
    assert.ok(gatewayMs <= bound, `the fallback was reached ${gatewayMs} ms after the first attempt (bound ${bound} ms)`);
    assert.ok(r.durationMs <= bound + CODEX_OVERHEAD_MS, `Codex took ${r.durationMs} ms\n${describeRun(r)}`);
    assertNoKeys(sc, r, s.keys);
  });

  it('stalled upstream without a fallback (no headers at all): Codex stops with a clear timeout error within the limits', async () => {
    const s = await faultScenario({ wire: 'responses', always: 'no_headers' });
    sc = s.sc;
    const r = await sc.run('primary', 'Say hello.');
    assertRan(r);
    assert.notEqual(r.exitCode, 0, `the turn must fail\n${describeRun(r)}`);
    assert.deepEqual(r.agentMessages, [], describeRun(r));
    const failed = r.events.filter((e) => e.type === 'turn.failed').map((e) => e.error?.message ?? '');
    assert.equal(failed.length, 1, `one turn.failed\n${describeRun(r)}`);
    // The gateway's 504 message: the provider did not answer in time, and what to change.
    assert.match(failed[0]!, /did not answer|timed? ?out|timeout/i, `the final error should say it was a timeout\n${describeRun(r)}`);
    assert.match(failed[0]!, /primary/, `the final error should name the alias\n${describeRun(r)}`);
    // Codex retries a 5xx (request_max_retries = 1, and its stream retries); each gateway request makes
    // NUM_RETRIES + 1 bounded attempts.
    const p = turns(s.primary);
    assert.ok(p.length >= NUM_RETRIES + 1 && p.length % (NUM_RETRIES + 1) === 0, `got ${p.length} upstream attempts\n${describeRun(r)}`);
    assertTimedAttempts(p, LIMIT_MS, r);
    const gatewayRequests = p.length / (NUM_RETRIES + 1);
    const perRequest = (NUM_RETRIES + 1) * LIMIT_MS + NUM_RETRIES * BACKOFF_MAX_MS;
    const bound = gatewayRequests * perRequest + MARGIN_MS + CODEX_OVERHEAD_MS;
    assert.ok(r.durationMs <= bound, `Codex took ${r.durationMs} ms for ${gatewayRequests} gateway requests (bound ${bound} ms)\n${describeRun(r)}`);
    assertNoKeys(sc, r, s.keys);
  });

  it('stream cut in the middle of an SSE line (Responses upstream, passed through): Codex retries and shows the second answer', async () => {
    const s = await faultScenario({ wire: 'responses', always: 'healthy', enqueue: ['cut_mid_line'] });
    sc = s.sc;
    const r = await sc.run('primary', 'Say hello.');
    assertRan(r);
    assert.equal(r.exitCode, 0, describeRun(r));
    const p = turns(s.primary);
    assert.equal(p.length, 2, `one cut stream, then Codex's retry\n${describeRun(r)}`);
    assert.deepEqual(r.agentMessages, ['Hello from upstream0: all good.'], `only the complete answer is shown\n${describeRun(r)}`);
    assert.ok(r.errors.some((m) => /reconnecting/i.test(m)), `Codex should report its retry\n${describeRun(r)}`);
    assert.ok(r.durationMs <= MARGIN_MS + CODEX_OVERHEAD_MS, `Codex took ${r.durationMs} ms\n${describeRun(r)}`);
    assertNoKeys(sc, r, s.keys);
  });
});
