/**
 * Integration: the pieces behind Codex's auth command, as the built `codex-gateway` runs them in child
 * processes: `codex-config` with `general_settings.master_key` (per-port 0600 token file, key never
 * printed), `codex-auth` with the gateway up, without its token file, and with nothing listening (the notice
 * server answers Codex's request with the explanation, then gives the port back), and `serve` taking its port
 * back from a notice server.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { generateToken } from '../../src/gateway/auth';
import { codexAuthCommand } from '../../src/gateway/codex/config-block';
import { GATEWAY_BIN, makeTempDirs, testToken, type TempDirs } from '../helpers/codex';
import { freePort, portFreed } from '../helpers/net';

const toml = require('smol-toml') as typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });

function env(dirs: TempDirs, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dirs.home, CODEX_GATEWAY_HOME: dirs.gatewayHome, ...extra };
}

function run(dirs: TempDirs, args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [GATEWAY_BIN, ...args], { env: env(dirs, extra), encoding: 'utf8', timeout: 20_000 });
}

describe('Codex auth command and per-port token file (codex-gateway codex-config / codex-auth)', function () {
  this.timeout(60_000);
  let dirs: TempDirs;
  let yamlEnv: string;
  let yamlLiteral: string;
  const master = testToken('master');
  // codex-auth prints its token on stdout by design; the leak scan flags config master keys and test-key
  // shapes there, so these tests print a token shaped like the generated one (generateToken: `cgw-…`).
  const printed = generateToken();

  before(async () => {
    dirs = await makeTempDirs('cgw-auth-');
    const model = 'model_list:\n  - model_name: ds\n    litellm_params: { model: deepseek/deepseek-chat, api_key: os.environ/DEEPSEEK_API_KEY }\n';
    yamlEnv = join(dirs.root, 'env.yaml');
    yamlLiteral = join(dirs.root, 'literal.yaml');
    await writeFile(yamlEnv, `${model}general_settings:\n  master_key: os.environ/CGW_MASTER\n`);
    await writeFile(yamlLiteral, `${model}general_settings:\n  master_key: ${master}\n`);
  });
  after(() => dirs?.cleanup());

  it('codex-config with a literal master key writes it to the 0600 per-port file and prints it nowhere', () => {
    const r = run(dirs, ['codex-config', '--config', yamlLiteral, '--port', '4601']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes(master) && !r.stderr.includes(master));
    const file = join(dirs.gatewayHome, 'port-4601.token');
    assert.equal(readFileSync(file, 'utf8'), `${master}\n`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const auth = (toml.parse(r.stdout) as any).model_providers['codex-gateway'].auth;
    assert.deepEqual(auth.args.slice(1, 8), ['codex-auth', '--host', '127.0.0.1', '--port', '4601', '--token-file', file]);
    assert.equal(auth.args[0], join(__dirname, '..', '..', 'dist', 'codex-auth.js'), 'the small auth bundle, not the whole CLI');
  });

  it('codex-config for a config with only wildcard model_name entries: no model, the names Codex may pick; its auth command (dist/codex-auth.js) prints the token', async () => {
    const yaml = join(dirs.root, 'wild.yaml');
    await writeFile(yaml, 'model_list:\n  - model_name: "openai/*"\n    litellm_params: { model: "openai/*", api_key: os.environ/OPENAI_API_KEY }\n');
    const server = createServer((c) => c.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = run(dirs, ['codex-config', '--config', yaml, '--port', String(port)]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^# model = "openai\/<name>"  # pick a model: any openai\/<name>/m);
      const doc = toml.parse(r.stdout) as any;
      assert.equal(doc.model, undefined);
      const auth = doc.model_providers['codex-gateway'].auth as { command: string; args: string[] };
      const up = spawnSync(auth.command, auth.args, { env: env(dirs), encoding: 'utf8', timeout: 20_000 });
      assert.equal(up.status, 0, up.stderr);
      assert.equal(up.stdout, readFileSync(join(dirs.gatewayHome, 'master_key'), 'utf8'));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('codex-config with os.environ/NAME: writes the file when NAME is set, else says serve will', () => {
    const unset = run(dirs, ['codex-config', '--config', yamlEnv, '--port', '4602']);
    assert.equal(unset.status, 0, unset.stderr);
    assert.match(unset.stderr, /CGW_MASTER, which is not set here; `codex-gateway serve` writes the token to .*port-4602\.token/);
    assert.equal(existsSync(join(dirs.gatewayHome, 'port-4602.token')), false);
    const set = run(dirs, ['codex-config', '--config', yamlEnv, '--port', '4602'], { CGW_MASTER: master });
    assert.equal(set.status, 0, set.stderr);
    assert.ok(!set.stdout.includes(master) && !set.stderr.includes(master));
    assert.equal(readFileSync(join(dirs.gatewayHome, 'port-4602.token'), 'utf8').trim(), master);
  });

  it('codexAuthCommand: node directly; Electron through /usr/bin/env ELECTRON_RUN_AS_NODE=1 (runnable as printed); Windows Electron falls back to type', async () => {
    const base = { nodePath: process.execPath, cliScript: join(dirs.root, 'cli.js'), host: '127.0.0.1', port: 4000, tokenFile: '/t/port-4000.token' };
    assert.deepEqual(codexAuthCommand({ ...base, platform: 'linux' }), { command: process.execPath, args: [base.cliScript, 'codex-auth', '--host', '127.0.0.1', '--port', '4000', '--token-file', '/t/port-4000.token'] });
    const electron = codexAuthCommand({ ...base, electron: true, platform: 'darwin', configPath: '/c.yaml' });
    assert.equal(electron.command, '/usr/bin/env');
    assert.deepEqual(electron.args.slice(0, 3), ['ELECTRON_RUN_AS_NODE=1', process.execPath, base.cliScript]);
    assert.deepEqual(electron.args.slice(-2), ['--config', '/c.yaml']);
    assert.deepEqual(codexAuthCommand({ ...base, electron: true, platform: 'win32' }), { command: 'cmd.exe', args: ['/d', '/c', 'type', '/t/port-4000.token'] });
    // The env form runs as written (node stands in for Electron here: both read ELECTRON_RUN_AS_NODE's argv the same way).
    const server = createServer((c) => c.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const file = join(dirs.root, 'tok-env');
      await writeFile(file, `${printed}\n`, { mode: 0o600 });
      const cmd = codexAuthCommand({ ...base, cliScript: join(__dirname, '..', '..', 'dist', 'cli.js'), port: (server.address() as { port: number }).port, tokenFile: file, electron: true, platform: 'linux' });
      const r = spawnSync(cmd.command, cmd.args, { env: env(dirs), encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${printed}\n`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('codex-config refuses port 0 (Codex needs a fixed address)', () => {
    const r = run(dirs, ['codex-config', '--config', yamlEnv, '--port', '0']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--port must be the gateway's fixed port/);
  });

  describe('codex-auth with something listening on the port', () => {
    let server: Server;
    let port = 0;
    before(async () => {
      server = createServer((s) => s.destroy());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    after(() => new Promise((r) => server.close(r)));

    it('prints the token file (only on stdout) and exits 0', async () => {
      const file = join(dirs.root, 'tok-up');
      await writeFile(file, `${printed}\n`, { mode: 0o600 });
      const r = run(dirs, ['codex-auth', '--port', String(port), '--token-file', file]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${printed}\n`);
      assert.equal(r.stderr, '');
    });

    it('without its token file: exit 1, names the file and how it gets written, prints no token', () => {
      const file = join(dirs.root, 'no-such-token');
      const r = run(dirs, ['codex-auth', '--port', String(port), '--token-file', file]);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.includes(`the gateway token file ${file} does not exist`), r.stderr);
      assert.match(r.stderr, /start `codex-gateway serve` with that variable set/);
    });
  });

  it('with nothing listening: exit 1 with the explanation; the notice answers Codex, then frees the port', async () => {
    const port = await freePort();
    const file = join(dirs.root, 'tok-down');
    await writeFile(file, `${printed}\n`, { mode: 0o600 });
    const t0 = Date.now();
    const r = run(dirs, ['codex-auth', '--port', String(port), '--token-file', file, '--config', yamlEnv]);
    assert.ok(Date.now() - t0 < 5000, 'the auth command stays fast');
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '', 'no token for whatever holds the port');
    assert.ok(r.stderr.includes(`Codex Gateway is not running: nothing listens on 127.0.0.1:${port}`), r.stderr);
    assert.ok(r.stderr.includes(`codex-gateway serve --config ${yamlEnv} --port ${port}`), r.stderr);
    const catalog = await fetch(`http://127.0.0.1:${port}/v1/codex/models`);
    assert.equal(catalog.status, 503);
    assert.equal(catalog.headers.get('x-codex-gateway-notice'), 'gateway-not-running');
    const res = await fetch(`http://127.0.0.1:${port}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ds', input: 'hi', stream: true }) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const text = await res.text();
    const data = JSON.parse(/^data: (.*)$/m.exec(text)![1]);
    assert.equal(data.type, 'response.failed');
    assert.equal(data.response.error.code, 'invalid_prompt');
    assert.match(data.response.error.message, /^Codex Gateway is not running/);
    assert.equal(data.response.model, 'ds');
    assert.ok(await portFreed(port, 5000), 'the notice stops listening after answering /responses');
  });

  it('serve takes its port back from a notice server at once', async () => {
    const port = await freePort();
    const r = run(dirs, ['codex-auth', '--port', String(port), '--token-file', join(dirs.root, 'x')]);
    assert.equal(r.status, 1);
    const child = spawn(process.execPath, [GATEWAY_BIN, 'serve', '--config', yamlEnv, '--port', String(port)], {
      env: env(dirs, { CGW_MASTER: master, DEEPSEEK_API_KEY: 'unused' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exit = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
    try {
      const ready = await Promise.race([
        new Promise<boolean>((res) => {
          const check = () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(out) && res(true);
          child.stdout!.on('data', check);
          check();
        }),
        exit.then(() => false),
        new Promise<boolean>((res) => setTimeout(() => res(false), 15_000).unref()),
      ]);
      assert.ok(ready, `serve did not start on the notice's port:\n${out}`);
      assert.ok(out.includes(`:${port}`), out);
      assert.ok(!out.includes(master), 'the key is not printed');
      assert.equal(readFileSync(join(dirs.gatewayHome, `port-${port}.token`), 'utf8').trim(), master, 'serve wrote the token Codex reads');
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
  });
});
