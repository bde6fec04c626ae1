/**
 * Integration: the `codex-gateway` command as users run it (the built bundle in a child process): ready line,
 * generated 0600 token, graceful shutdown with a stream in flight, `codex-config`, `check`, and the
 * per-deployment health view (no tokens spent unless asked).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { GATEWAY_BIN, makeTempDirs, type TempDirs } from '../helpers/codex';
import { chatText, MockUpstream } from '../helpers/mock-upstream';
import { fakeKey } from '../helpers/gateway';
import { portFreed } from '../helpers/net';

const toml = require('smol-toml') as typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });

interface Served {
  child: ChildProcess;
  origin: string;
  out: () => string;
  exit: Promise<number | null>;
}

function env(dirs: TempDirs, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dirs.home, CODEX_HOME: dirs.codexHome, CODEX_GATEWAY_HOME: dirs.gatewayHome, ...extra };
}

/** Starts `codex-gateway serve --port 0` and waits (at most 20 s) for its ready line. */
async function serve(dirs: TempDirs, configPath: string, extra: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [GATEWAY_BIN, 'serve', '--config', configPath, '--port', '0'], { env: env(dirs, extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in 20 s:\n${out}`)), 20_000);
    const tick = setInterval(() => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        clearInterval(tick);
        resolve(m[1]);
      }
    }, 20);
    void exit.then(() => {
      clearTimeout(timer);
      clearInterval(tick);
      reject(new Error(`the gateway exited before it was ready:\n${out}`));
    });
  });
  return { child, origin, out: () => out, exit };
}

describe('codex-gateway command line', function () {
  let dirs: TempDirs;
  let up: MockUpstream;
  let configPath: string;
  const key = fakeKey('ds');

  before(async () => {
    dirs = await makeTempDirs('cgw-cli-');
    up = await MockUpstream.start({ name: 'ds' });
    configPath = join(dirs.root, 'config.yaml');
    await writeFile(
      configPath,
      `model_list:\n  - model_name: ds\n    litellm_params:\n      model: deepseek/deepseek-chat\n      api_base: ${up.baseUrl}\n      api_key: os.environ/DEEPSEEK_API_KEY\n` +
        `gateway_settings:\n  shutdown_grace_ms: 8000\n`,
    );
  });
  after(async () => {
    await up?.close();
    await dirs?.cleanup();
  });

  it('serves on a free port, creates a 0600 token file and prints where it is', async () => {
    const s = await serve(dirs, configPath, { DEEPSEEK_API_KEY: key });
    try {
      const tokenFile = join(dirs.gatewayHome, 'master_key');
      assert.ok(existsSync(tokenFile));
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
      assert.match(s.out(), new RegExp(`Gateway token: ${tokenFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.ok(!s.out().includes((await readFile(tokenFile, 'utf8')).trim()), 'the token itself is not printed');
    } finally {
      s.child.kill('SIGTERM');
      assert.equal(await s.exit, 0);
    }
  });

  it('on SIGTERM lets a stream in flight finish, refuses new connections, and exits 0', async () => {
    const s = await serve(dirs, configPath, { DEEPSEEK_API_KEY: key });
    const token = (await readFile(join(dirs.gatewayHome, 'master_key'), 'utf8')).trim();
    const client = new OpenAI({ baseURL: `${s.origin}/v1`, apiKey: token, maxRetries: 0, timeout: 20_000 });
    up.enqueue(chatText('a slow answer that keeps streaming for a while', { chunkSize: 3, delayMs: 60 }));
    const stream = await client.responses.create({ model: 'ds', input: 'hi', stream: true });
    const types: string[] = [];
    let text = '';
    let signalled = false;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') {
        text += ev.delta;
        if (!signalled) {
          signalled = true;
          s.child.kill('SIGTERM');
          assert.ok(await portFreed(Number(new URL(s.origin).port), 5_000), 'the gateway stopped listening within 5 s of SIGTERM');
          await assert.rejects(fetch(`${s.origin}/health/liveliness`), 'a new connection is refused while draining');
        }
      }
    }
    assert.ok(signalled);
    assert.equal(text, 'a slow answer that keeps streaming for a while');
    assert.equal(types.at(-1), 'response.completed');
    assert.equal(await s.exit, 0);
  });

  it('answers the health view without calling upstreams, and probes them only when asked', async () => {
    const s = await serve(dirs, configPath, { DEEPSEEK_API_KEY: key });
    try {
      const token = (await readFile(join(dirs.gatewayHome, 'master_key'), 'utf8')).trim();
      const before = up.requests.length;
      const h = await (await fetch(`${s.origin}/v1/health`, { headers: { authorization: `Bearer ${token}` } })).json();
      assert.equal(up.requests.length, before, 'no upstream call');
      assert.deepEqual(
        h.deployments.map((d: any) => [d.id, d.key, d.key_name]),
        [['ds#0', 'set', 'DEEPSEEK_API_KEY']],
      );
      assert.ok(!JSON.stringify(h).includes(key), 'the key value is never shown');
      up.enqueue(chatText('p'));
      const p = await (await fetch(`${s.origin}/v1/health?probe=1`, { headers: { authorization: `Bearer ${token}` } })).json();
      assert.equal(up.requests.length, before + 1, 'one probe request');
      assert.equal(up.requests.at(-1)!.body.max_tokens, 1);
      assert.equal(p.deployments[0].probe.ok, true);
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
    }
  });

  it('rotate-token: a running gateway switches to the new token within seconds', async () => {
    const s = await serve(dirs, configPath, { DEEPSEEK_API_KEY: key });
    try {
      const tokenFile = join(dirs.gatewayHome, 'master_key');
      const old = (await readFile(tokenFile, 'utf8')).trim();
      const models = (t: string) => fetch(`${s.origin}/v1/models`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
      assert.equal(await models(old), 200);
      const r = spawnSync(process.execPath, [GATEWAY_BIN, 'rotate-token'], { env: env(dirs), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const fresh = (await readFile(tokenFile, 'utf8')).trim();
      assert.notEqual(fresh, old);
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
      const deadline = Date.now() + 8000;
      while ((await models(fresh)) !== 200 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      assert.equal(await models(fresh), 200, 'the new token works');
      assert.equal(await models(old), 401, 'the old token is refused');
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
    }
  });

  it('codex-config prints a config.toml block that reads the token from the 0600 file', () => {
    const r = spawnSync(process.execPath, [GATEWAY_BIN, 'codex-config', '--config', configPath, '--port', '4555'], { env: env(dirs), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const doc = toml.parse(r.stdout) as any;
    assert.equal(doc.model_provider, 'codex-gateway');
    assert.equal(doc.model, 'ds');
    const p = doc.model_providers['codex-gateway'];
    assert.equal(p.name, 'Codex Gateway');
    assert.equal(p.base_url, 'http://127.0.0.1:4555/v1');
    assert.equal(p.wire_api, 'responses');
    assert.equal(p.model_catalog_url, 'http://127.0.0.1:4555/v1/codex/models');
    // The auth command is `codex-gateway codex-auth` (run by this node), reading the generated token file.
    assert.equal(p.auth.command, process.execPath);
    assert.deepEqual(p.auth.args.slice(1), ['codex-auth', '--host', '127.0.0.1', '--port', '4555', '--token-file', join(dirs.gatewayHome, 'master_key'), '--config', configPath]);
  });

  it('check reports every config error with its path and exits 2', async () => {
    const bad = join(dirs.root, 'bad.yaml');
    await writeFile(bad, 'model_list:\n  - model_name: x\n    litellm_params:\n      model: deepsek/chat\nrouter_settings:\n  fallbacks: [{x: [nope]}]\n');
    const r = spawnSync(process.execPath, [GATEWAY_BIN, 'check', '--config', bad], { env: env(dirs), encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /model_list\[0\]\.litellm_params\.model: unknown provider "deepsek"; did you mean "deepseek"\?/);
    assert.match(r.stderr, /nope/);
  });
});
