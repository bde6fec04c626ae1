/**
 * Scaffolding shared by the end-to-end tests with the real Codex CLI: one scenario = mock upstream(s) on
 * 127.0.0.1, a gateway process (`node bin/codex-gateway.js serve`), and Codex runs configured to reach it
 * (token file, config block with the gateway's catalog), all in temp folders torn down by `stop()`.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { codexConfigBlock } from '../../src/gateway/codex/config-block';
import {
  describeRun,
  makeTempDirs,
  runCodexExec,
  startCodexExec,
  startGatewayProcess,
  testCodexConfig,
  testToken,
  type CodexResult,
  type CodexRunOptions,
  type GatewayProcess,
  type RunningCodex,
  type TempDirs,
} from './codex';
import { MockUpstream } from './mock-upstream';
import { eventually } from './wait';

/** Per-run bound: Codex start-up plus a few model round trips on a loaded 2-core machine. */
export const RUN_TIMEOUT_MS = 120_000;

/** Extra options of one Codex run in a scenario. */
export type RunExtra = Pick<CodexRunOptions, 'args' | 'ephemeral'>;

/** Anything a scenario started and closes in {@link Scenario.stop}: a mock upstream of any wire. */
export interface Closable {
  close(): Promise<void>;
}

/** Everything one scenario starts; {@link Scenario.stop} tears it all down. */
export interface Scenario<U extends Closable = MockUpstream> {
  dirs: TempDirs;
  gateway: GatewayProcess;
  /** The scenario's upstream mocks, in the order given (closed by {@link Scenario.stop}). */
  upstreams: U[];
  /** The gateway token (general_settings.master_key), also in the token file Codex reads. */
  token: string;
  /** Writes Codex's config.toml for `model` and runs `codex exec` with `prompt` to the end. */
  run(model: string, prompt: string, extra?: RunExtra): Promise<CodexResult>;
  /** Same as run, but returns as soon as Codex is started. */
  start(model: string, prompt: string, extra?: RunExtra): Promise<RunningCodex>;
  stop(): Promise<void>;
}

/**
 * Starts one {@link MockUpstream} (OpenAI wires) per key, a gateway process with `yaml(upstreams, token)` as
 * config, and prepares Codex (token file, config block with the gateway's catalog).
 * @param upstreamKeys one provider key per mock (the mock answers 401 to any other key).
 */
export async function startScenario(
  upstreamKeys: string[],
  yaml: (ups: MockUpstream[], token: string) => string,
  gatewayEnv: Record<string, string>,
): Promise<Scenario> {
  const upstreams: MockUpstream[] = [];
  try {
    for (let i = 0; i < upstreamKeys.length; i++) upstreams.push(await MockUpstream.start({ name: `upstream${i}`, apiKey: upstreamKeys[i] }));
  } catch (e) {
    await Promise.all(upstreams.map((u) => u.close()));
    throw e;
  }
  return startScenarioOver(upstreams, (token) => yaml(upstreams, token), gatewayEnv);
}

/**
 * Like {@link startScenario}, for upstream mocks of any kind the caller already started (an
 * {@link MockUpstream}, an Anthropic mock, ...): the scenario owns them from here on and closes them in
 * `stop()`, also when the gateway fails to start (then this rejects).
 * @param yaml the gateway's config.yaml for the generated gateway token.
 * @param gatewayEnv the gateway process's extra environment (provider keys by variable name).
 */
export async function startScenarioOver<U extends Closable>(upstreams: U[], yaml: (token: string) => string, gatewayEnv: Record<string, string>): Promise<Scenario<U>> {
  const closeUpstreams = () => Promise.all(upstreams.map((u) => u.close())).then(() => undefined);
  let dirs: TempDirs | undefined;
  let gateway: GatewayProcess | undefined;
  try {
    dirs = await makeTempDirs();
    const token = testToken('gateway');
    gateway = await startGatewayProcess({ dirs, configYaml: yaml(token), env: gatewayEnv });
    const tokenFile = join(dirs.home, 'gateway-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const gw = gateway;
    const d = dirs;
    const options = (model: string, prompt: string, extra: RunExtra = {}): CodexRunOptions => ({
      dirs: d,
      configToml: testCodexConfig(codexConfigBlock({ baseUrl: gw.baseUrl, model, tokenFile, catalogUrl: `${gw.baseUrl}/codex/models` })),
      prompt,
      timeoutMs: RUN_TIMEOUT_MS,
      ...extra,
    });
    return {
      dirs: d,
      gateway: gw,
      upstreams,
      token,
      run: (model, prompt, extra) => runCodexExec(options(model, prompt, extra)),
      start: (model, prompt, extra) => startCodexExec(options(model, prompt, extra)),
      stop: async () => {
        await gw.stop();
        await closeUpstreams();
        await d.cleanup();
      },
    };
  } catch (e) {
    await gateway?.stop();
    await closeUpstreams();
    await dirs?.cleanup();
    throw e;
  }
}

/**
 * One deployment in config.yaml pointing at a mock (`up.baseUrl`, or the `api_base` text itself);
 * `wire` becomes `wire_api` (undefined: none, the provider's default wire); `extraInfo` lines go under
 * `model_info`.
 */
export function deployment(
  alias: string,
  model: string,
  up: { baseUrl: string } | string,
  keyEnv: string,
  wire: 'chat' | 'responses' | 'messages' | undefined,
  extraInfo: string[] = [],
): string {
  return [
    `  - model_name: ${alias}`,
    `    litellm_params:`,
    `      model: ${model}`,
    `      api_base: ${typeof up === 'string' ? up : up.baseUrl}`,
    `      api_key: os.environ/${keyEnv}`,
    ...(wire === undefined ? [] : [`      wire_api: ${wire}`]),
    `    model_info:`,
    `      max_input_tokens: 64000`,
    ...extraInfo.map((l) => `      ${l}`),
  ].join('\n');
}

/** A whole config.yaml: deployments, optional router_settings lines, the master key. */
export function configYaml(deployments: string[], token: string, routerSettings: string[] = []): string {
  return [
    'model_list:',
    ...deployments,
    ...(routerSettings.length ? ['router_settings:', ...routerSettings.map((l) => `  ${l}`)] : []),
    'general_settings:',
    `  master_key: ${token}`,
    '',
  ].join('\n');
}

/** Fails with the run's events when the run timed out or Codex could not start. */
export function assertRan(r: CodexResult): void {
  assert.equal(r.timedOut, false, `codex exec timed out\n${describeRun(r)}`);
  assert.ok(r.events.some((e) => e.type === 'thread.started'), `codex exec did not start a thread\n${describeRun(r)}`);
}


/**
 * The "Codex stopped mid-stream" check (SIGINT on every wire in codex.test.ts, SIGKILL in codex-more.test.ts):
 * waits until the upstream sent its first deltas (bounded by `waitMs`, ms; fails if Codex exits or the bound
 * passes first), gives them 1.5 s to travel into Codex (its JSONL shows nothing before the item completes, so
 * there is no event to wait on), signals Codex's whole process group, then asserts that the gateway aborted
 * the upstream request within 5 s, logged it as `status=200 ... error="client disconnected"`, and retried
 * nothing. Kills Codex and waits for it whatever happens.
 * @param upstreamRequests the live records of the deployment's requests (the first is the streamed one).
 */
export async function assertStoppedMidStream(o: {
  sc: Pick<Scenario<Closable>, 'gateway'>;
  codex: RunningCodex;
  deltasSent: Promise<void>;
  waitMs: number;
  signal: NodeJS.Signals;
  upstreamRequests: () => { aborted: boolean }[];
  alias: string;
  wire: string;
}): Promise<void> {
  const { sc, codex } = o;
  let waitTimer: NodeJS.Timeout | undefined;
  try {
    const first = await Promise.race([
      o.deltasSent.then(() => 'sent' as const),
      codex.done.then(() => 'exited' as const),
      new Promise<'timeout'>((res) => (waitTimer = setTimeout(() => res('timeout'), o.waitMs))),
    ]);
    clearTimeout(waitTimer);
    if (first !== 'sent') {
      codex.kill();
      assert.fail(`the upstream never got to stream (${first})\n${describeRun(await codex.done)}`);
    }
    await new Promise((res) => setTimeout(res, 1_500));
    assert.equal(o.upstreamRequests()[0]!.aborted, false, 'the upstream request is still open before the signal');
    codex.kill(o.signal);
    const killedAt = Date.now();
    const aborted = await eventually(() => o.upstreamRequests()[0]!.aborted, 5_000);
    assert.ok(aborted, `the upstream request was not aborted within 5 s of stopping Codex\n--- gateway ---\n${sc.gateway.output().slice(-3000)}`);
    assert.ok(Date.now() - killedAt < 6_000);
    const r = await codex.done;
    assert.equal(r.timedOut, false, 'Codex exited after the signal');
    // The gateway had started answering (status 200, first byte sent) and logs the request as a disconnect.
    const logLine = new RegExp(`/v1/responses alias=${o.alias} deployment=\\S+ wire=${o.wire} status=200 .*error="client disconnected"`);
    assert.ok(await eventually(() => logLine.test(sc.gateway.output()), 5_000), `no "client disconnected" log line for the streamed request\n--- gateway ---\n${sc.gateway.output().slice(-3000)}`);
    assert.equal(o.upstreamRequests().length, 1, 'nothing retried the request after the client left');
  } finally {
    clearTimeout(waitTimer);
    codex.kill();
    await codex.done;
  }
}
