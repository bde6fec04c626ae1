/**
 * The extension's gateway host (src/extension/gateway-host.ts) and worker thread (src/extension/worker.ts),
 * in plain Node: the worker is bundled with esbuild exactly as for the extension, runs the real engine on a
 * loopback port, and a mock upstream (test/helpers/mock-upstream.ts, OpenAI Chat Completions wire format)
 * stands in for the provider. Covers: start and serve, keys from the host's secrets map, the virtual
 * `default` model switched at run time, hot reload, token rotation through the shared token file, a second
 * window attaching and taking over when the owner stops, and a port held by another program.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { GatewayHost, probeGateway, type HostState } from '../../src/extension/gateway-host';
import type { TimedRecord } from '../../src/extension/messages';
import { prepareRawConfig } from '../../src/extension/settings';
import { chatText, MockUpstream } from '../helpers/mock-upstream';

const fake = (label: string) => `test-${label}-${randomBytes(8).toString('hex')}`;

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls `cond` every 20 ms until it is true or `ms` passed. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function post(port: number, token: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: await res.json() };
}

describe('extension gateway host (worker thread, shared port)', function () {
  this.timeout(30_000);
  let dir: string;
  let workerScript: string;
  let up: MockUpstream;
  const hosts: GatewayHost[] = [];

  const rawConfig = (base: string) =>
    prepareRawConfig({
      model_list: [
        { model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: base, api_key: 'os.environ/ALPHA_KEY' } },
        { model_name: 'beta', litellm_params: { model: 'openai_compatible/beta-model', api_base: base, api_key: 'os.environ/BETA_KEY' } },
      ],
    }).raw;

  function makeHost(port: number, states: HostState[] = [], logs: string[] = [], records: TimedRecord[] = []): GatewayHost {
    const h = new GatewayHost({
      workerScript,
      tokenFile: join(dir, 'master_key'),
      port,
      pollMs: 150,
      probeTimeoutMs: 1000,
      stopGraceMs: 200,
      log: (level, line) => logs.push(`${level} ${line}`),
      onState: (s) => states.push(s),
      onRequests: (batch) => records.push(...batch),
      workerEnv: { PATH: process.env.PATH ?? '' },
    });
    hosts.push(h);
    return h;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cgw-ext-host-'));
    workerScript = join(dir, 'gateway-worker.js');
    await build({ entryPoints: [join(__dirname, '../../src/extension/worker.ts')], outfile: workerScript, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
    up = await MockUpstream.start({ name: 'provider' });
  });
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop();
  });
  after(async () => {
    await up?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves on the port from a worker; keys come from the secrets map; `default` follows setDefaultModel; reload applies without dropping a stream', async () => {
    const port = await freePort();
    const logs: string[] = [];
    const records: TimedRecord[] = [];
    const h = makeHost(port, [], logs, records);
    const alphaKey = fake('alpha');
    const betaKey = fake('beta');
    h.setConfig(rawConfig(up.baseUrl));
    h.setSecrets({ ALPHA_KEY: alphaKey });
    h.setDefaultModel('alpha');
    await h.start();
    assert.equal(h.current.phase, 'running', logs.join('\n'));
    assert.equal((await probeGateway(port, h.gatewayToken)).kind, 'ours');

    up.enqueue(chatText('from alpha'));
    const r1 = await post(port, h.gatewayToken, { model: 'default', input: 'hi', stream: false });
    assert.equal(r1.status, 200, JSON.stringify(r1.json));
    const req1 = up.requests.at(-1)!;
    assert.equal(req1.body.model, 'alpha-model');
    assert.equal(req1.headers.authorization, `Bearer ${alphaKey}`);

    // The host gets a (batched) record of every finished request, stamped with its end time.
    await until(() => records.some((r) => r.alias === 'alpha' && r.status === 200), 3000, 'the request record');
    const rec = records.find((r) => r.alias === 'alpha')!;
    assert.ok(Math.abs(rec.at - Date.now()) < 5000 && rec.latencyMs >= 0 && rec.stream === false, JSON.stringify(rec));

    // A missing key is an error that says how to set it in VS Code.
    h.setDefaultModel('beta');
    const r2 = await post(port, h.gatewayToken, { model: 'default', input: 'hi', stream: false });
    assert.notEqual(r2.status, 200);
    assert.match(JSON.stringify(r2.json), /BETA_KEY is not set: run \\"Codex Gateway: Set Provider Key\\"/);
    // Setting the key makes the next request work, without a restart.
    h.setSecrets({ ALPHA_KEY: alphaKey, BETA_KEY: betaKey });
    up.enqueue(chatText('from beta'));
    const r3 = await post(port, h.gatewayToken, { model: 'default', input: 'hi', stream: false });
    assert.equal(r3.status, 200, JSON.stringify(r3.json));
    assert.equal(up.requests.at(-1)!.body.model, 'beta-model');
    assert.equal(up.requests.at(-1)!.headers.authorization, `Bearer ${betaKey}`);

    // Hot reload: a new alias appears in /v1/models.
    const raw = rawConfig(up.baseUrl) as { model_list: unknown[] };
    raw.model_list.push({ model_name: 'gamma', litellm_params: { model: 'openai_compatible/g', api_base: up.baseUrl } });
    h.setConfig(raw);
    await until(() => logs.some((l) => l.includes('Config reloaded: aliases alpha, beta, gamma')), 5000, 'reload');
    const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${h.gatewayToken}` } })).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), ['alpha', 'beta', 'gamma']);
    // A stream in flight during a reload finishes on the old config (nothing dropped).
    up.enqueue(chatText('a slow streamed answer that spans the reload', { chunkSize: 4, delayMs: 40 }));
    const res = await fetch(`http://127.0.0.1:${port}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.gatewayToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'alpha', input: 'hi', stream: true }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    h.setConfig(rawConfig(up.baseUrl));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.match(text, /event: response\.completed/);
    const deltas = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { type: string; delta?: string })
      .filter((e) => e.type === 'response.output_text.delta')
      .map((e) => e.delta)
      .join('');
    assert.equal(deltas, 'a slow streamed answer that spans the reload');
    await until(() => logs.some((l) => l.includes('Config reloaded: aliases alpha, beta\n') || l.endsWith('Config reloaded: aliases alpha, beta')), 5000, 'second reload');

    // No key value ever reached the log.
    for (const l of logs) assert.ok(!l.includes(alphaKey) && !l.includes(betaKey), l);
  });

  it('a second window attaches; it takes over within a few polls when the owner stops; token rotation reaches the server', async () => {
    const port = await freePort();
    const a = makeHost(port);
    a.setConfig(rawConfig(up.baseUrl));
    await a.start();
    assert.equal(a.current.phase, 'running');

    const statesB: HostState[] = [];
    const b = makeHost(port, statesB);
    b.setConfig(rawConfig(up.baseUrl));
    await b.start();
    assert.equal(b.current.phase, 'attached');
    assert.equal(b.gatewayToken, a.gatewayToken, 'both read the shared token file');

    // Rotation by writing the token file (what "Rotate Gateway Token" does in any window).
    const newToken = fake('gw');
    await writeFile(join(dir, 'master_key'), `${newToken}\n`, { mode: 0o600 });
    await until(() => a.gatewayToken === newToken, 3000, 'owner reads the new token');
    await until(() => b.gatewayToken === newToken, 3000, 'attached window reads the new token');
    await new Promise((r) => setTimeout(r, 100));
    const old = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${'x'.repeat(10)}` } });
    assert.equal(old.status, 401);
    const ok = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${newToken}` } });
    assert.equal(ok.status, 200);

    const t0 = Date.now();
    await a.stop();
    await until(() => b.current.phase === 'running', 5000, 'takeover');
    assert.ok(Date.now() - t0 < 3000, `took over in ${Date.now() - t0} ms`);
    assert.equal((await probeGateway(port, newToken)).kind, 'ours');
  });

  it('a port held by another program is an error that names the fix; the gateway starts once it is free', async () => {
    const port = await freePort();
    const other = http.createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((r) => other.listen(port, '127.0.0.1', r));
    const h = makeHost(port);
    h.setConfig(rawConfig(up.baseUrl));
    await h.start();
    assert.equal(h.current.phase, 'error');
    assert.match(h.current.error!, new RegExp(`Port ${port} on 127.0.0.1 is used by another program \\(it answered HTTP 404 to GET /v1/health\\): stop that program, or set codexGateway.port to a free port`));
    await new Promise<void>((r) => other.close(() => r()));
    await until(() => h.current.phase === 'running', 5000, 'start after the port is freed');
  });

  it('without a valid config, a free port is not taken and the state says why', async () => {
    const port = await freePort();
    const h = makeHost(port);
    await h.start();
    assert.equal(h.current.phase, 'error');
    assert.match(h.current.error!, /no valid config/);
    assert.equal((await probeGateway(port, h.gatewayToken)).kind, 'free');
    h.setConfig(rawConfig(up.baseUrl));
    await until(() => h.current.phase === 'running', 5000, 'start once a config arrives');
  });
});
