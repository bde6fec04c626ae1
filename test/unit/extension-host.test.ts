/**
 * The extension's gateway host (src/extension/gateway-host.ts) and worker thread (src/extension/worker.ts),
 * in plain Node: the worker is bundled with esbuild exactly as for the extension, runs the real engine on a
 * loopback port, and a mock upstream (test/helpers/mock-upstream.ts, OpenAI Chat Completions wire format)
 * stands in for the provider. Covers: start and serve, keys from the host's secrets map, the virtual
 * `default` model switched at run time, hot reload, token rotation through the shared token file, a second
 * window attaching and taking over when the owner stops, a key set in an attached window handed to the owner's
 * worker, and a port held by another program.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { GatewayHost, probeGateway, sendPeerSecret, type HostState } from '../../src/extension/gateway-host';
import { serveAbsentNotice, type NoticeServer } from '../../src/gateway/codex/absent-notice';
import { PEER_SECRET_MAX_BODY_BYTES, PEER_SECRET_PATH, type TimedRecord } from '../../src/extension/messages';
import { prepareRawConfig } from '../../src/extension/settings';
import { chatText, MockUpstream } from '../helpers/mock-upstream';
import { freePort } from '../helpers/net';

const fake = (label: string) => `test-${label}-${randomBytes(8).toString('hex')}`;

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

  function makeHost(
    port: number,
    states: HostState[] = [],
    logs: string[] = [],
    records: TimedRecord[] = [],
    onPeerSecret?: (name: string, value: string | undefined) => void,
  ): GatewayHost {
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
      ...(onPeerSecret ? { onPeerSecret } : {}),
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

  it("a key set or cleared in an attached window reaches the owner's worker at once; only api_key names, only with the token", async () => {
    const port = await freePort();
    const logsA: string[] = [];
    const peer: Array<[string, string | undefined]> = [];
    const a = makeHost(port, [], logsA, [], (name, value) => peer.push([name, value]));
    const raw = rawConfig(up.baseUrl) as { model_list: Array<Record<string, unknown>> };
    // BASE_URL decides where a deployment's requests (and key) go: never settable from another window, not even
    // when it is an api_key elsewhere too.
    raw.model_list.push({ model_name: 'gamma', litellm_params: { model: 'openai_compatible/g', api_base: 'os.environ/BASE_URL', api_key: 'os.environ/BASE_URL' } });
    a.setConfig(raw);
    a.setSecrets({ BASE_URL: up.baseUrl });
    a.setDefaultModel('alpha');
    await a.start();
    assert.equal(a.current.phase, 'running', logsA.join('\n'));
    const b = makeHost(port);
    b.setConfig(raw);
    await b.start();
    assert.equal(b.current.phase, 'attached');

    // Owner has no ALPHA_KEY: the request fails and says how to set it.
    const before = await post(port, a.gatewayToken, { model: 'alpha', input: 'hi', stream: false });
    assert.match(JSON.stringify(before.json), /ALPHA_KEY is not set/);

    const alphaKey = fake('alpha');
    assert.deepEqual(await b.forwardSecret('ALPHA_KEY', alphaKey), { ok: true });
    up.enqueue(chatText('with the key of window B'));
    const r1 = await post(port, a.gatewayToken, { model: 'alpha', input: 'hi', stream: false });
    assert.equal(r1.status, 200, JSON.stringify(r1.json));
    assert.equal(up.requests.at(-1)!.headers.authorization, `Bearer ${alphaKey}`);
    // The owner's host heard of it (to keep it in its SecretStorage and secrets map).
    await until(() => peer.length === 1, 3000, 'onPeerSecret');
    assert.deepEqual(peer[0], ['ALPHA_KEY', alphaKey]);
    // The owner's next full map (what its host sends after keeping the key) carries it on.
    a.setSecrets({ BASE_URL: up.baseUrl, ALPHA_KEY: alphaKey });

    // A rotated key replaces it; clearing it makes requests fail again (and is reported too).
    const alphaKey2 = fake('alpha2');
    assert.deepEqual(await b.forwardSecret('ALPHA_KEY', alphaKey2), { ok: true });
    up.enqueue(chatText('rotated'));
    const r2 = await post(port, a.gatewayToken, { model: 'alpha', input: 'hi', stream: false });
    assert.equal(r2.status, 200, JSON.stringify(r2.json));
    assert.equal(up.requests.at(-1)!.headers.authorization, `Bearer ${alphaKey2}`);
    assert.deepEqual(await b.forwardSecret('ALPHA_KEY', undefined), { ok: true });
    const r3 = await post(port, a.gatewayToken, { model: 'alpha', input: 'hi', stream: false });
    assert.notEqual(r3.status, 200);
    assert.match(JSON.stringify(r3.json), /ALPHA_KEY is not set/);
    await until(() => peer.length === 3, 3000, 'onPeerSecret for the rotation and the deletion');
    assert.deepEqual(peer.slice(1), [['ALPHA_KEY', alphaKey2], ['ALPHA_KEY', undefined]]);

    // Refused: a name the config does not use as api_key, a name api_base also uses, a bad value, a big body,
    // a wrong token. None of these reaches the owner's host; no answer echoes the value.
    const probeValue = fake('refused');
    const unknown = await sendPeerSecret(port, a.gatewayToken, 'SOMETHING_ELSE', probeValue);
    assert.equal(unknown.ok, false);
    assert.equal(!unknown.ok && unknown.status, 409);
    assert.match(!unknown.ok ? unknown.reason : '', /SOMETHING_ELSE is not the api_key of any deployment .*: set it in the VS Code window that serves the gateway/);
    const base = await sendPeerSecret(port, a.gatewayToken, 'BASE_URL', 'http://127.0.0.1:9/v1');
    assert.equal(!base.ok && base.status, 409);
    const spaced = await sendPeerSecret(port, a.gatewayToken, 'BETA_KEY', 'two words');
    assert.equal(!spaced.ok && spaced.status, 400);
    const big = await fetch(`http://127.0.0.1:${port}${PEER_SECRET_PATH}BETA_KEY`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${a.gatewayToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'x'.repeat(PEER_SECRET_MAX_BODY_BYTES) }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(big.status, 413);
    const noToken = await sendPeerSecret(port, fake('wrong-token'), 'BETA_KEY', probeValue);
    assert.equal(!noToken.ok && noToken.status, 401);
    for (const r of [unknown, base, spaced, noToken]) assert.ok(!JSON.stringify(r).includes(probeValue));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(peer.length, 3, 'refused requests never reach the host');
    // The gateway still serves the last accepted keys (BASE_URL unchanged: gamma still reaches the mock).
    up.enqueue(chatText('gamma'));
    const g = await post(port, a.gatewayToken, { model: 'gamma', input: 'hi', stream: false });
    assert.equal(g.status, 200, JSON.stringify(g.json));

    // Only an attached window hands keys over; the owner itself does not send a request.
    const own = await a.forwardSecret('BETA_KEY', probeValue);
    assert.equal(own.ok, false);
    for (const l of logsA) assert.ok(!l.includes(alphaKey) && !l.includes(alphaKey2) && !l.includes(probeValue), l);
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

  it("a port held by the auth command's notice server (Codex ran while no gateway was up): the host asks it to quit and starts, never in error", async () => {
    const port = await freePort();
    // Lifetime bounds far above the test's wait: only the quit request can free the port in time.
    const notice = await serveAbsentNotice({ host: '127.0.0.1', port, message: 'Codex Gateway is not running', idleMs: 60_000, maxMs: 60_000 });
    assert.notEqual(notice, 'busy');
    const states: HostState[] = [];
    const logs: string[] = [];
    assert.equal((await probeGateway(port, 'any')).kind, 'notice');
    const h = makeHost(port, states, logs);
    h.setConfig(rawConfig(up.baseUrl));
    await h.start();
    await until(() => h.current.phase === 'running', 5000, 'the host to take the port from the notice');
    await (notice as NoticeServer).closed;
    assert.ok(!states.some((st) => st.phase === 'error'), JSON.stringify(states));
    assert.ok(logs.some((l) => l.includes(`Port ${port} is held by the "gateway is not running" notice`)), logs.join('\n'));
    assert.equal((await probeGateway(port, h.gatewayToken)).kind, 'ours');
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
