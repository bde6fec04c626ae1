/**
 * A LiteLLM user's setup, end to end with the REAL Codex CLI and the real `codex-gateway` command, no manual
 * step: `general_settings.master_key` from `os.environ/NAME` (LiteLLM's guides) or a literal, the block
 * `codex-gateway codex-config` prints used as is, Codex run WITHOUT the variable in its environment (as in an
 * IDE started from a desktop launcher). Then the gateway stops and Codex, with the same block, shows the
 * "Codex Gateway is not running" explanation (src/gateway/codex/absent-notice.ts) instead of a bare
 * connection error, and the port is given back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chatText, MockUpstream } from '../helpers/mock-upstream';
import { fakeKey } from '../helpers/gateway';
import { portFreed } from '../helpers/net';
import { describeRun, GATEWAY_BIN, makeTempDirs, REPO_ROOT, runCodexExec, startGatewayProcess, testCodexConfig, type GatewayProcess, type TempDirs } from '../helpers/codex';

/** Runs `codex-gateway codex-config --config <root>/gateway.yaml --port PORT` with an env WITHOUT the master key. */
function codexConfig(dirs: TempDirs, port: number): { block: string; stderr: string } {
  const r = spawnSync(process.execPath, [GATEWAY_BIN, 'codex-config', '--config', join(dirs.root, 'gateway.yaml'), '--port', String(port)], {
    env: { PATH: process.env.PATH, HOME: dirs.home, CODEX_HOME: dirs.codexHome, CODEX_GATEWAY_HOME: dirs.gatewayHome },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { block: r.stdout, stderr: r.stderr };
}

const MASTER_VAR = 'CGW_E2E_MASTER_KEY';

for (const variant of ['os.environ', 'literal'] as const) {
  describe(`Codex with general_settings.master_key as ${variant === 'literal' ? 'a literal' : `os.environ/${MASTER_VAR}`}, through the printed block`, function () {
    this.timeout(180_000);
    let dirs: TempDirs;
    let up: MockUpstream;
    let gw: GatewayProcess | undefined;
    const master = fakeKey('master');
    const upstreamKey = fakeKey('setup-ds');
    let block = '';
    let port = 0;

    before(async () => {
      if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" before the e2e tests.');
      dirs = await makeTempDirs('cgw-setup-');
      up = await MockUpstream.start({ name: 'ds', apiKey: upstreamKey });
      const yaml = [
        'model_list:',
        '  - model_name: ds',
        '    litellm_params:',
        '      model: deepseek/deepseek-chat',
        `      api_base: ${up.baseUrl}`,
        '      api_key: os.environ/DEEPSEEK_API_KEY',
        'general_settings:',
        `  master_key: ${variant === 'literal' ? master : `os.environ/${MASTER_VAR}`}`,
        '',
      ].join('\n');
      // `serve` has the variable (the user's shell); nothing else does.
      gw = await startGatewayProcess({ dirs, configYaml: yaml, env: { DEEPSEEK_API_KEY: upstreamKey, [MASTER_VAR]: master } });
      port = Number(new URL(gw.origin).port);
      const printed = codexConfig(dirs, port);
      block = printed.block;
      assert.ok(!printed.block.includes(master) && !printed.stderr.includes(master), 'codex-config never prints the key');
    });
    after(async () => {
      await gw?.stop();
      await up?.close();
      await dirs?.cleanup();
    });

    it('Codex answers through the gateway with no other step, the key never in config.toml or any output', async () => {
      up.enqueue(chatText('hello from the gateway'));
      const configToml = testCodexConfig(block);
      const r = await runCodexExec({ dirs, configToml, prompt: 'say hello', timeoutMs: 120_000 });
      assert.deepEqual(r.agentMessages, ['hello from the gateway'], describeRun(r));
      assert.equal(up.requests.filter((q) => q.method === 'POST').length, 1);
      assert.ok(!configToml.includes(master), 'no key in config.toml');
      for (const text of [r.stdout, r.stderr, gw!.output()]) assert.ok(!text.includes(master), 'the key is in no output');
      const tokenFile = join(dirs.gatewayHome, `port-${port}.token`);
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
      assert.equal(readFileSync(tokenFile, 'utf8').trim(), master);
    });

    it('after the gateway stops, Codex with the same block says it is not running and what to do; the port is given back', async () => {
      await gw!.stop();
      gw = undefined;
      const r = await runCodexExec({ dirs, configToml: testCodexConfig(block), prompt: 'say hello', timeoutMs: 90_000 });
      const failed = r.events.find((e) => e.type === 'turn.failed');
      assert.ok(failed, describeRun(r));
      const msg = failed.error!.message;
      assert.match(msg, new RegExp(`^Codex Gateway is not running: nothing listens on 127\\.0\\.0\\.1:${port}`));
      assert.ok(msg.includes(`codex-gateway serve --config ${join(dirs.root, 'gateway.yaml')} --port ${port}`), msg);
      assert.match(msg, /open VS Code with the Codex Gateway extension enabled/);
      assert.match(msg, /"Codex Gateway: Restore Codex Config"/);
      assert.ok(!/error sending request/.test(r.errors.join('\n')), `no bare connection error:\n${describeRun(r)}`);
      assert.ok(r.durationMs < 60_000, `Codex gave up in ${r.durationMs} ms`);
      assert.ok(await portFreed(port, 10_000), 'the notice server gives the port back within seconds');
    });
  });
}
