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

/** Per-run bound: Codex start-up plus a few model round trips on a loaded 2-core machine. */
export const RUN_TIMEOUT_MS = 120_000;

/** Extra options of one Codex run in a scenario. */
export type RunExtra = Pick<CodexRunOptions, 'args' | 'ephemeral'>;

/** Everything one scenario starts; {@link Scenario.stop} tears it all down. */
export interface Scenario {
  dirs: TempDirs;
  gateway: GatewayProcess;
  upstreams: MockUpstream[];
  /** The gateway token (general_settings.master_key), also in the token file Codex reads. */
  token: string;
  /** Writes Codex's config.toml for `model` and runs `codex exec` with `prompt` to the end. */
  run(model: string, prompt: string, extra?: RunExtra): Promise<CodexResult>;
  /** Same as run, but returns as soon as Codex is started. */
  start(model: string, prompt: string, extra?: RunExtra): Promise<RunningCodex>;
  stop(): Promise<void>;
}

/**
 * Starts one mock upstream per key, a gateway process with `yaml(upstreams, token)` as config, and prepares
 * Codex (token file, config block with the gateway's catalog).
 * @param upstreamKeys one provider key per mock (the mock answers 401 to any other key).
 */
export async function startScenario(
  upstreamKeys: string[],
  yaml: (ups: MockUpstream[], token: string) => string,
  gatewayEnv: Record<string, string>,
): Promise<Scenario> {
  const dirs = await makeTempDirs();
  const upstreams: MockUpstream[] = [];
  let gateway: GatewayProcess | undefined;
  try {
    for (let i = 0; i < upstreamKeys.length; i++) upstreams.push(await MockUpstream.start({ name: `upstream${i}`, apiKey: upstreamKeys[i] }));
    const token = testToken('gateway');
    gateway = await startGatewayProcess({ dirs, configYaml: yaml(upstreams, token), env: gatewayEnv });
    const tokenFile = join(dirs.home, 'gateway-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const gw = gateway;
    const options = (model: string, prompt: string, extra: RunExtra = {}): CodexRunOptions => ({
      dirs,
      configToml: testCodexConfig(codexConfigBlock({ baseUrl: gw.baseUrl, model, tokenFile, catalogUrl: `${gw.baseUrl}/codex/models` })),
      prompt,
      timeoutMs: RUN_TIMEOUT_MS,
      ...extra,
    });
    return {
      dirs,
      gateway: gw,
      upstreams,
      token,
      run: (model, prompt, extra) => runCodexExec(options(model, prompt, extra)),
      start: (model, prompt, extra) => startCodexExec(options(model, prompt, extra)),
      stop: async () => {
        await gw.stop();
        await Promise.all(upstreams.map((u) => u.close()));
        await dirs.cleanup();
      },
    };
  } catch (e) {
    await gateway?.stop();
    await Promise.all(upstreams.map((u) => u.close()));
    await dirs.cleanup();
    throw e;
  }
}

/** One deployment in config.yaml pointing at a mock; `extraInfo` lines go under `model_info`. */
export function deployment(alias: string, model: string, up: MockUpstream, keyEnv: string, wire: 'chat' | 'responses', extraInfo: string[] = []): string {
  return [
    `  - model_name: ${alias}`,
    `    litellm_params:`,
    `      model: ${model}`,
    `      api_base: ${up.baseUrl}`,
    `      api_key: os.environ/${keyEnv}`,
    `      wire_api: ${wire}`,
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

