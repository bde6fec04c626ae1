/**
 * `npm run bench`: measures Codex Gateway side by side with a direct upstream call, a minimal
 * Hono + undici pass-through and the Portkey OSS gateway, in one run on this machine, and writes
 * bench/results/latest.md (and latest.json). See docs/benchmarks.md.
 *
 *   npm run bench [-- --quick] [--no-peer] [--no-micro] [--no-open-streams] [--open-streams N] [--log-level L] [--threads N]
 *   npm run bench -- --profile [--profile-match TEXT]   CPU profile of the gateway under load -> bench/results/profile.md
 *   npm run bench -- --render FILE     re-renders a saved run (latest.json) as Markdown on stdout
 *
 * Processes (each its own node process, all on 127.0.0.1, all stopped at the end, on error and on SIGINT):
 * - mock upstream (bench/upstream.ts): precomputed Chat Completions and Anthropic Messages JSON and SSE
 *   answers ((a) and (a') are direct calls to it);
 * - (b) reference pass-through (bench/passthrough.ts);
 * - (c)/(d)/(f)/(g) Codex Gateway, with two aliases on the mock: `bench` (chat wire: (c) pass-through,
 *   (d) Responses door -> chat) and `bench-msg` (anthropic, messages wire: (f) Chat door -> messages,
 *   (g) Responses door -> messages): the current src/gateway/cli.ts bundled by esbuild into .cache/bench/bundles/
 *   (same options as scripts/build.mjs, so dist/ that others use is not touched), run as
 *   `node gateway-cli.js serve --config ... --port 0` (the mock upstream and (b) are bundled the same way);
 * - (e) Portkey gateway (npm `@portkey-ai/gateway`, pinned), installed into .cache/bench/ on first use.
 * Load: wrk (Debian package) for latency and throughput; a sequential node:http client for streams.
 * Also, in processes of their own: the translation micro-benchmarks (bench/micro.ts: CPU per translated
 * stream event, CPU per large Codex request) before the servers start, and after the load runs the
 * open-streams rows (1000 concurrent streams held open through a fresh gateway; its RSS per stream).
 * Writes bench/results/latency-throughput.svg, the latency/throughput table as a chart.
 *
 * A benchmark reports; it never fails because a target is missed. It exits non-zero only when it could
 * not measure (a tool missing, a server that did not start, a target answering errors in the sanity check).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { capturedCodexBody, chatBody, codexSizedResponsesBody, smallResponsesBody } from './lib/bodies';
import { bundleEntries } from './lib/bundle';
import { analyzeProfile, type ProfileReport } from './lib/cpuprofile';
import { openStreams } from './lib/open-streams';
import { cpuMsOf, memoryOf, Procs, socketsOf, type Server } from './lib/procs';
import {
  latencyThroughputSvg,
  perStreamKiB,
  renderMarkdown,
  verdicts,
  type BenchRun,
  type LoadSettings,
  type LoadTargetResult,
  type MemoryRow,
  type OpenStreamsRow,
  type StreamTargetResult,
} from './lib/report';
import { measureStream } from './lib/stream-client';
import { ms } from './lib/stats';
import type { MicroResult } from './lib/translate-cost';
import { runWrk, type WrkResult } from './lib/wrk';

const ROOT = resolve(__dirname, '..');
const CACHE = join(ROOT, '.cache/bench');
const RESULTS = join(ROOT, 'bench/results');
/** Pinned peer version (npm `@portkey-ai/gateway`). */
const PORTKEY_VERSION = '1.15.2';
/**
 * @hono/node-server version forced for Portkey (npm `overrides`). With the 1.14+/1.19 that npm picks by
 * default, Portkey answers every streamed chat request with 500 "TypeError: immutable" (Portkey issue
 * #1389: it appends headers to a fetch Response); 1.13.8 builds a fresh Response and works.
 */
const PORTKEY_HONO_NODE_SERVER = '1.13.8';
/** Seconds of load per case in `--profile` mode. */
const PROFILE_LOAD_S = 6;

/** Command-line options: the load settings plus what the run does around them. */
interface Options extends LoadSettings {
  streamWarmup: number;
  peer: boolean;
  logLevel: string;
  profile: boolean;
  /** A saved run (JSON) to render instead of measuring. */
  render?: string;
  /** Whole-run limit, s. */
  deadlineS: number;
  /** Run the translation micro-benchmarks (bench/micro.ts). */
  micro: boolean;
  /** Concurrent streams of the open-streams rows (0: skip them). */
  openStreams: number;
  /** `--profile`: only the cases whose name contains this text. */
  profileMatch?: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      'no-peer': { type: 'boolean' },
      'log-level': { type: 'string' },
      profile: { type: 'boolean' },
      threads: { type: 'string' },
      render: { type: 'string' },
      'no-micro': { type: 'boolean' },
      'no-open-streams': { type: 'boolean' },
      'open-streams': { type: 'string' },
      'profile-match': { type: 'string' },
    },
  });
  const quick = values.quick === true;
  return {
    warmupS: 1,
    latencyCycles: quick ? 3 : 8,
    latencyS: 1,
    throughputCycles: quick ? 2 : 5,
    throughputS: 2,
    connections: 32,
    threads: Number(values.threads ?? 1),
    streamCycles: quick ? 2 : 4,
    streamN: 100,
    streamWarmup: 20,
    peer: values['no-peer'] !== true,
    logLevel: values['log-level'] ?? 'info',
    profile: values.profile === true,
    render: values.render,
    deadlineS: 600,
    micro: values['no-micro'] !== true,
    openStreams: values['no-open-streams'] === true ? 0 : Number(values['open-streams'] ?? 1000),
    profileMatch: values['profile-match'],
  };
}

const procs = new Procs();
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, msec));
/** A generated bench-only token (not shaped like any provider key). */
const token = () => `bench-${randomBytes(16).toString('hex')}`;

/** Checks that wrk is installed. @throws Error saying how to install it. */
function checkWrk(): string {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error) throw new Error('wrk is not installed: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk` (macOS), then run `npm run bench` again.');
  return (r.stdout + r.stderr).split('\n')[0].replace(/\s*Copyright.*$/, '').trim();
}

/** Paths of the bundles the bench runs. */
interface Bundles {
  gateway: string;
  gatewayMap: string;
  upstream: string;
  passthrough: string;
  micro: string;
}

/**
 * Bundles the current gateway CLI, the mock upstream, the reference pass-through and the micro-benchmarks
 * into .cache/bench/bundles/ ({@link bundleEntries}: the options of scripts/build.mjs, dist/ untouched).
 */
async function buildBundles(): Promise<Bundles> {
  const b = await bundleEntries(ROOT, join(CACHE, 'bundles'), {
    'gateway-cli': 'src/gateway/cli.ts',
    upstream: 'bench/upstream.ts',
    passthrough: 'bench/passthrough.ts',
    micro: 'bench/micro.ts',
  });
  return { gateway: b['gateway-cli'], gatewayMap: `${b['gateway-cli']}.map`, upstream: b.upstream, passthrough: b.passthrough, micro: b.micro };
}

/**
 * Installs the pinned Portkey gateway into .cache/bench (once; reused while the versions match).
 * @returns the path of its start script, or a reason why it cannot run here.
 */
async function ensurePortkey(): Promise<{ script: string } | { skip: string }> {
  const script = join(CACHE, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  const version = (p: string) => {
    try {
      return (JSON.parse(readFileSync(join(CACHE, 'node_modules', p, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return undefined;
    }
  };
  if (existsSync(script) && version('@portkey-ai/gateway') === PORTKEY_VERSION && version('@hono/node-server') === PORTKEY_HONO_NODE_SERVER) return { script };
  log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into .cache/bench (once) ...`);
  mkdirSync(CACHE, { recursive: true });
  rmSync(join(CACHE, 'node_modules'), { recursive: true, force: true });
  rmSync(join(CACHE, 'package-lock.json'), { force: true });
  writeFileSync(
    join(CACHE, 'package.json'),
    JSON.stringify(
      {
        name: 'codex-gateway-bench-peers',
        private: true,
        description: 'Written by bench/run.ts: peer gateways the bench compares with. Not part of the project.',
        dependencies: { '@portkey-ai/gateway': PORTKEY_VERSION },
        overrides: { '@hono/node-server': PORTKEY_HONO_NODE_SERVER },
      },
      null,
      2,
    ),
  );
  // --ignore-scripts: Portkey's only install script is patch-package, whose patches are not in the npm package.
  const r = await procs.run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: CACHE, timeoutMs: 180_000 });
  if (r.code !== 0 || !existsSync(script)) return { skip: `npm install @portkey-ai/gateway@${PORTKEY_VERSION} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}` };
  return { script };
}

/** GET or POST on loopback, whole body as text (sanity checks, fetching the upstream's last request). */
function simpleRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolveP, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method, headers: body ? { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : headers, timeout: 10_000 });
    req.once('timeout', () => req.destroy(new Error(`${url} did not answer within 10 s`)));
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.once('end', () => resolveP({ status: res.statusCode ?? 0, text }));
    });
    req.end(body);
  });
}

interface LoadTarget {
  id: string;
  label: string;
  url: string;
  headers: Record<string, string>;
  bodyFile: string;
  /** Text the sanity check expects in the answer. */
  expect: string;
}

interface StreamTarget {
  id: string;
  label: string;
  baseline?: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  endMarker: string;
}

/** One `model_list` entry of a bench gateway config. */
interface BenchDeployment {
  alias: string;
  model: string;
  apiBase: string;
  /** Provider id [`openai_compatible`]; `anthropic` for the Messages wire. */
  provider?: string;
  /** `wire_api` [`chat`]. */
  wire?: 'chat' | 'messages';
}

/**
 * Writes a gateway config for the bench: one `model_list` entry per deployment (by default an
 * `openai_compatible` chat deployment; the Messages alias is an `anthropic` deployment with
 * `wire_api: messages`), each keyed by BENCH_UPSTREAM_KEY, the master key from BENCH_GATEWAY_KEY,
 * loopback, the log level, and `routerLines` under `router_settings` when given.
 * @returns the file path.
 */
function writeGatewayConfig(file: string, deployments: BenchDeployment[], logLevel: string, routerLines: string[] = []): string {
  const lines = ['# Written by bench/run.ts for one bench run.', 'model_list:'];
  for (const d of deployments) {
    lines.push(
      `  - model_name: ${d.alias}`,
      '    litellm_params:',
      `      model: ${d.provider ?? 'openai_compatible'}/${d.model}`,
      `      api_base: ${d.apiBase}`,
      '      api_key: os.environ/BENCH_UPSTREAM_KEY',
      `      wire_api: ${d.wire ?? 'chat'}`,
    );
  }
  if (routerLines.length) lines.push('router_settings:', ...routerLines.map((l) => `  ${l}`));
  lines.push('general_settings:', '  master_key: os.environ/BENCH_GATEWAY_KEY', 'gateway_settings:', '  host: 127.0.0.1', `  log_level: ${logLevel}`, '');
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** Environment of every bench server: no inherited variables besides PATH (no proxy settings, no keys). */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(CACHE, 'home'), LANG: 'C.UTF-8' };
}

/** Starts the upstream, the gateway (optionally profiled) and, unless `onlyGateway`, the other targets. */
async function startServers(o: Options, bundles: Bundles, keys: { upstream: string; gateway: string }, extra: { onlyGateway: boolean; cpuProfDir?: string }) {
  const env = baseEnv();
  mkdirSync(join(CACHE, 'home'), { recursive: true });
  mkdirSync(join(CACHE, 'logs'), { recursive: true });
  const logs = join(CACHE, 'logs');
  const ready = { timeoutMs: 30_000, cwd: ROOT };
  const up = await procs.startServer('upstream', [bundles.upstream], join(logs, 'upstream.log'), {
    ...ready,
    env: { ...env, BENCH_UPSTREAM_KEY: keys.upstream },
    ready: /BENCH_LISTENING (\d+)/,
  });
  const upstreamBase = `http://127.0.0.1:${up.port}/v1`;
  // Two aliases on the same mock: `bench` (Chat Completions) and `bench-msg` (Anthropic Messages, POST /v1/messages).
  const config = writeGatewayConfig(
    join(CACHE, 'gateway-config.yaml'),
    [
      { alias: 'bench', model: 'bench-model', apiBase: upstreamBase },
      { alias: MSG_ALIAS, model: 'bench-model', apiBase: `http://127.0.0.1:${up.port}`, provider: 'anthropic', wire: 'messages' },
    ],
    o.logLevel,
  );
  const gwArgs = [...(extra.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', extra.cpuProfDir] : []), bundles.gateway, 'serve', '--config', config, '--host', '127.0.0.1', '--port', '0'];
  const gateway = await procs.startServer('gateway', gwArgs, join(logs, extra.cpuProfDir ? 'gateway-profile.log' : 'gateway.log'), {
    ...ready,
    env: { ...env, BENCH_UPSTREAM_KEY: keys.upstream, BENCH_GATEWAY_KEY: keys.gateway, CODEX_GATEWAY_HOME: join(CACHE, 'home') },
    ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  if (extra.onlyGateway) return { up, upstreamBase, gateway };
  const ref = await procs.startServer('passthrough', [bundles.passthrough], join(logs, 'passthrough.log'), {
    ...ready,
    env: { ...env, BENCH_UPSTREAM: upstreamBase },
    ready: /BENCH_LISTENING (\d+)/,
  });
  let peer: Server | undefined;
  let peerSkip: string | undefined;
  if (o.peer) {
    const pk = await ensurePortkey();
    if ('skip' in pk) peerSkip = pk.skip;
    else {
      try {
        // --headless: no web UI and no live log stream (the leanest way Portkey runs).
        peer = await procs.startServer('portkey', ['--import', join(ROOT, 'bench/loopback-only.mjs'), pk.script, '--port=0', '--headless'], join(logs, 'portkey.log'), {
          ...ready,
          env,
          ready: /BENCH_LISTENING (\d+)/,
        });
      } catch (e) {
        peerSkip = `Portkey did not start: ${(e as Error).message.split('\n')[0]}`;
      }
    }
  } else peerSkip = 'disabled with --no-peer';
  return { up, upstreamBase, gateway, ref, peer, peerSkip };
}

/**
 * Golden capture of a real Codex CLI request (repository-relative): the request-translation rows grow it,
 * and the stream rows send it as is (model replaced by the alias) as the captured Codex request.
 */
const CODEX_CAPTURE = 'test/unit/translate/golden/codex-gpt55-turn2-groq.json';
/** The gateway alias on the mock's Anthropic Messages wire. */
const MSG_ALIAS = 'bench-msg';
/** Headers of a direct call to the mock's /v1/messages (Anthropic: x-api-key and anthropic-version). */
const messagesHeaders = (key: string) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' });

/**
 * Runs the translation micro-benchmarks (bench/micro.ts, bundled) in a node process of their own.
 * @throws Error when the child fails or prints no result.
 */
async function runMicro(o: Options, bundles: Bundles): Promise<MicroResult> {
  const r = await procs.run(process.execPath, [bundles.micro, '--capture', CODEX_CAPTURE, ...(o.latencyCycles < 8 ? ['--quick'] : [])], { cwd: ROOT, env: baseEnv(), timeoutMs: 240_000 });
  const line = /^BENCH_MICRO (\{.*\})$/m.exec(r.stdout);
  if (r.code !== 0 || !line) throw new Error(`bench/micro.ts failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.trim().split('\n').slice(-5).join(' ')}`);
  return JSON.parse(line[1]) as MicroResult;
}

const postRelease = (port: number) => simpleRequest(`http://127.0.0.1:${port}/release`, 'POST', {}, '{}').then((r) => (JSON.parse(r.text) as { released: number }).released);

/** Upstream origins (ports of one mock) an open-streams alias spreads over: undici pools 128 connections per origin in the gateway. */
const HOLD_ORIGINS = 16;

/**
 * The open-streams rows: for each case, a fresh mock upstream (listening on {@link HOLD_ORIGINS} ports)
 * and a fresh gateway; `n` streams opened through the gateway and held by the upstream; memory of both
 * before, while open and after. The single-origin case shows how many streams one upstream origin can
 * carry at once (the gateway's connection pool limit).
 */
async function measureOpenStreamRows(o: Options, bundles: Bundles): Promise<OpenStreamsRow[]> {
  const rows: OpenStreamsRow[] = [];
  const logs = join(CACHE, 'logs');
  const cases = [
    { id: 'chat', label: `${o.openStreams} chat streams, passed through (POST /v1/chat/completions)`, path: '/v1/chat/completions', alias: 'hold', origins: HOLD_ORIGINS, translated: false, openTimeoutMs: 60_000 },
    { id: 'responses', label: `${o.openStreams} translated streams (POST /v1/responses -> chat)`, path: '/v1/responses', alias: 'hold', origins: HOLD_ORIGINS, translated: true, openTimeoutMs: 60_000 },
    { id: 'single-origin', label: `${o.openStreams} translated streams to ONE upstream origin`, path: '/v1/responses', alias: 'hold-one', origins: 1, translated: true, openTimeoutMs: 5_000 },
  ];
  for (const c of cases) {
    const keys = { upstream: token(), gateway: token() };
    const up = await procs.startServer(`hold upstream (${c.id})`, [bundles.upstream], join(logs, `hold-upstream-${c.id}.log`), {
      env: { ...baseEnv(), BENCH_UPSTREAM_KEY: keys.upstream, BENCH_UPSTREAM_PORTS: String(HOLD_ORIGINS) },
      ready: /BENCH_LISTENING (\d+)/,
      timeoutMs: 30_000,
      cwd: ROOT,
    });
    const ports = (/BENCH_PORTS ([\d,]+)/.exec(readFileSync(up.logFile, 'utf8'))?.[1] ?? String(up.port)).split(',').map(Number);
    const deployments = [
      ...ports.map((p) => ({ alias: 'hold', model: 'bench-hold', apiBase: `http://127.0.0.1:${p}/v1` })),
      { alias: 'hold-one', model: 'bench-hold', apiBase: `http://127.0.0.1:${ports[0]}/v1` },
    ];
    const config = writeGatewayConfig(join(CACHE, `gateway-hold-${c.id}.yaml`), deployments, o.logLevel, ['routing_strategy: least-busy']);
    const gw = await procs.startServer(`gateway (${c.id})`, [bundles.gateway, 'serve', '--config', config, '--host', '127.0.0.1', '--port', '0'], join(logs, `gateway-hold-${c.id}.log`), {
      env: { ...baseEnv(), BENCH_UPSTREAM_KEY: keys.upstream, BENCH_GATEWAY_KEY: keys.gateway, CODEX_GATEWAY_HOME: join(CACHE, 'home') },
      ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/,
      timeoutMs: 30_000,
      cwd: ROOT,
    });
    const target = {
      url: `http://127.0.0.1:${gw.port}${c.path}`,
      headers: { authorization: `Bearer ${keys.gateway}` },
      body: c.translated ? smallResponsesBody(c.alias) : chatBody(c.alias, true),
      firstTokenMarker: 'BENCH0',
      endMarker: c.translated ? 'response.completed' : '[DONE]',
    };
    // Releases held streams until every client stream has ended (queued ones are held in their turn).
    const releaseAll = async (s: Awaited<ReturnType<typeof openStreams>>, timeoutMs: number) => {
      let stop = false;
      const loop = (async () => {
        while (!stop) {
          await postRelease(up.port).catch(() => 0);
          await sleep(100);
        }
      })();
      const r = await s.finish(timeoutMs);
      stop = true;
      await loop;
      return r;
    };
    try {
      const warm = await openStreams({ ...target, n: 32, openTimeoutMs: 20_000 });
      const w = await releaseAll(warm, 20_000);
      warm.destroy();
      if (w.completed !== 32) throw new Error(`warm-up: ${w.completed} of 32 streams completed (${w.firstError ?? 'no error'})`);
      await sleep(1000);
      const before = memoryOf(gw.pid);
      const upstreamBefore = memoryOf(up.pid);
      const t = await openStreams({ ...target, n: o.openStreams, openTimeoutMs: c.openTimeoutMs });
      await sleep(1000);
      const open = memoryOf(gw.pid);
      const upstreamOpen = memoryOf(up.pid);
      const sockets = socketsOf(gw.pid);
      const end = await releaseAll(t, 60_000);
      t.destroy();
      await sleep(2000);
      const row: OpenStreamsRow = { id: c.id, label: c.label, n: o.openStreams, opened: t.opened, openMs: t.openMs, completed: end.completed, failed: end.failed + end.pending, origins: c.origins, before, open, after: memoryOf(gw.pid), sockets, upstreamBefore, upstreamOpen };
      if (c.id === 'single-origin') {
        row.note =
          `${t.opened} of ${o.openStreams} streams reached their first token within ${(c.openTimeoutMs / 1000).toFixed(0)} s: further streams were accepted by the gateway but waited for a connection to the one upstream origin ` +
          '(the gateway\'s undici pool allows 128 connections per origin, `connections: 128` in `createDispatcher`, src/gateway/upstream.ts) and were served only once earlier ones ended ' +
          '(the client keeps at most 64 streams waiting, so it stopped opening more). Its memory figures are not a per-stream cost.';
      } else if (t.opened < o.openStreams) {
        row.note = `only ${t.opened} of ${o.openStreams} streams opened within ${(c.openTimeoutMs / 1000).toFixed(0)} s`;
      }
      if (end.failed || end.pending) row.note = `${row.note ? `${row.note}; ` : ''}${end.failed + end.pending} streams did not complete after release (${end.firstError ?? 'no error text'})`;
      rows.push(row);
      log(`open streams (${c.id}): ${t.opened}/${o.openStreams} open in ${(t.openMs / 1000).toFixed(1)} s, ${perStreamKiB(row).toFixed(1)} KiB RSS per stream, ${sockets ?? '?'} gateway sockets, ${end.completed} completed`);
    } finally {
      await procs.stop(gw.proc);
      await procs.stop(up.proc);
    }
  }
  return rows;
}

async function bench(o: Options): Promise<void> {
  const t0 = Date.now();
  const wrkVersion = checkWrk();
  mkdirSync(RESULTS, { recursive: true });
  log('bundling the gateway (src/gateway/cli.ts), the mock upstream and the pass-through into .cache/bench/bundles ...');
  const bundles = await buildBundles();
  const keys = { upstream: token(), gateway: token() };
  const loadBefore = loadavg();
  let micro: MicroResult | undefined;
  if (o.micro) {
    log('translation micro-benchmarks (bench/micro.ts, about 20-40 s) ...');
    micro = await runMicro(o, bundles);
  }
  log('starting servers ...');
  const s = await startServers(o, bundles, keys, { onlyGateway: false });
  const ref = s.ref!;
  // What an empty node process costs on this machine (the floor under every node server's RSS).
  const bare = await procs.startServer('empty node', ['-e', "process.stdout.write('BENCH_LISTENING 0\\n'); setInterval(() => {}, 1 << 30)"], join(CACHE, 'logs/empty-node.log'), {
    env: { PATH: process.env.PATH },
    ready: /BENCH_LISTENING (\d+)/,
    timeoutMs: 10_000,
    cwd: ROOT,
  });
  await sleep(2000);
  const idle = new Map<string, ReturnType<typeof memoryOf>>();
  const procRows: Array<[string, Server | undefined]> = [
    ['(c) Codex Gateway', s.gateway],
    ['(b) Hono + undici pass-through', ref],
    ['(e) Portkey gateway', s.peer],
    ['mock upstream', s.up],
    [`empty node process (node -e 'setInterval(...)')`, bare],
  ];
  for (const [name, p] of procRows) if (p) idle.set(name, memoryOf(p.pid));

  const files = join(CACHE, 'bodies');
  mkdirSync(files, { recursive: true });
  const write = (name: string, body: string) => {
    const f = join(files, name);
    writeFileSync(f, body);
    return f;
  };
  const upAuth = { authorization: `Bearer ${keys.upstream}` };
  const gwAuth = { authorization: `Bearer ${keys.gateway}` };
  const portkeyHeaders = { ...upAuth, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': s.upstreamBase };
  const chatUp = chatBody('bench-model', false);
  const chatGw = chatBody('bench', false);
  const msgAuth = messagesHeaders(keys.upstream);
  const url = (p: Server | undefined, path: string) => (p ? `http://127.0.0.1:${p.port}${path}` : '');
  const upstreamStats = async () => JSON.parse((await simpleRequest(`http://127.0.0.1:${s.up.port}/stats`, 'GET', {})).text) as { connections: number; requests: number };
  /**
   * Sends `body` through the gateway once and returns the exact body the gateway sent upstream (the mock
   * keeps the last one): the direct baseline of a translated request replays it.
   * @throws Error when the gateway fails the request or the mock recorded no streamed request.
   */
  const translatedBy = async (path: string, body: string, expect: string, what: string): Promise<string> => {
    const r = await simpleRequest(url(s.gateway, path), 'POST', gwAuth, body);
    if (r.status !== 200 || !r.text.includes(expect)) throw new Error(`the gateway failed ${what}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    const up = (await simpleRequest(`http://127.0.0.1:${s.up.port}/last-request`, 'GET', {})).text;
    if (!up.includes('"stream":true')) throw new Error(`the upstream did not record the translated ${what}`);
    return up;
  };
  // Request bodies: small ones, the bench's Codex-sized request (synthetic, shaped like a Codex turn) and
  // the captured Codex request (test/unit/translate/golden, model replaced by the alias).
  const codexBody = codexSizedResponsesBody('bench');
  const codexBodyMsg = codexSizedResponsesBody(MSG_ALIAS);
  const captured = capturedCodexBody(join(ROOT, CODEX_CAPTURE), 'bench');
  const capturedMsg = capturedCodexBody(join(ROOT, CODEX_CAPTURE), MSG_ALIAS);
  const kib = (t: string) => (Buffer.byteLength(t) < 10_240 ? `${Buffer.byteLength(t)} bytes` : `${(Buffer.byteLength(t) / 1024).toFixed(0)} KiB`);
  // What the gateway sends upstream for each of them (chat upstream: alias `bench`; messages upstream: `bench-msg`).
  const translated = await translatedBy('/v1/responses', codexBody, 'response.completed', 'the Codex-sized request');
  const translatedCapture = await translatedBy('/v1/responses', captured, 'response.completed', 'the captured Codex request');
  const msgChat = await translatedBy('/v1/chat/completions', chatBody(MSG_ALIAS, true), '[DONE]', 'a chat request to the messages alias');
  const msgSmall = await translatedBy('/v1/responses', smallResponsesBody(MSG_ALIAS), 'response.completed', 'a small Responses request to the messages alias');
  const msgCodex = await translatedBy('/v1/responses', codexBodyMsg, 'response.completed', 'the Codex-sized request to the messages alias');
  const msgCapture = await translatedBy('/v1/responses', capturedMsg, 'response.completed', 'the captured Codex request to the messages alias');

  const loadTargets: Array<LoadTarget & { server?: Server; skip?: string; baseline?: string }> = [
    { id: 'a', label: '(a) direct upstream', url: `${s.upstreamBase}/chat/completions`, headers: upAuth, bodyFile: write('chat-up.json', chatUp), expect: 'BENCH0', server: s.up },
    { id: 'b', label: '(b) Hono + undici pass-through', url: url(ref, '/v1/chat/completions'), headers: upAuth, bodyFile: write('chat-up.json', chatUp), expect: 'BENCH0', server: ref },
    { id: 'c', label: '(c) Codex Gateway /v1/chat/completions', url: url(s.gateway, '/v1/chat/completions'), headers: gwAuth, bodyFile: write('chat-gw.json', chatGw), expect: 'BENCH0', server: s.gateway },
    { id: 'd', label: '(d) Codex Gateway /v1/responses -> chat, streamed (total time)', url: url(s.gateway, '/v1/responses'), headers: gwAuth, bodyFile: write('responses-small.json', smallResponsesBody('bench')), expect: 'response.completed', server: s.gateway },
    // The Messages upstream: its own direct baseline (a streamed /v1/messages call with the body the
    // gateway sends for a small chat request), then both doors on it, streamed.
    { id: 'a-msg', label: "(a') direct upstream /v1/messages, streamed", url: `http://127.0.0.1:${s.up.port}/v1/messages`, headers: msgAuth, bodyFile: write('messages-up.json', msgChat), expect: 'message_stop', server: s.up },
    { id: 'f', label: '(f) Codex Gateway /v1/chat/completions -> messages, streamed (total time)', baseline: 'a-msg', url: url(s.gateway, '/v1/chat/completions'), headers: gwAuth, bodyFile: write('chat-msg.json', chatBody(MSG_ALIAS, true)), expect: '[DONE]', server: s.gateway },
    { id: 'g', label: '(g) Codex Gateway /v1/responses -> messages, streamed (total time)', baseline: 'a-msg', url: url(s.gateway, '/v1/responses'), headers: gwAuth, bodyFile: write('responses-msg.json', smallResponsesBody(MSG_ALIAS)), expect: 'response.completed', server: s.gateway },
    { id: 'e', label: `(e) Portkey gateway ${PORTKEY_VERSION}`, url: url(s.peer, '/v1/chat/completions'), headers: portkeyHeaders, bodyFile: write('chat-up.json', chatUp), expect: 'BENCH0', server: s.peer, skip: s.peerSkip },
  ];

  // Sanity: every target answers 200 with the mock's content through its real path.
  for (const t of loadTargets) {
    if (t.skip) continue;
    const r = await simpleRequest(t.url, 'POST', t.headers, readFileSync(t.bodyFile, 'utf8'));
    if (r.status !== 200 || !r.text.includes(t.expect)) {
      const msg = `${t.label} failed its sanity request: HTTP ${r.status} ${r.text.slice(0, 300)}`;
      if (t.id === 'e') t.skip = msg;
      else throw new Error(msg);
    }
  }
  const peerSkip = loadTargets.find((t) => t.id === 'e')?.skip;

  // Translated streams are compared with a direct call that replays the exact body the gateway sent upstream.
  const msgUrl = `http://127.0.0.1:${s.up.port}/v1/messages`;
  const streamTargets: Array<StreamTarget & { skip?: string }> = [
    { id: 'a-small', label: '(a) direct upstream, chat stream', url: `${s.upstreamBase}/chat/completions`, headers: upAuth, body: chatBody('bench-model', true), endMarker: '[DONE]' },
    { id: 'b-small', label: '(b) Hono + undici pass-through, chat stream', baseline: 'a-small', url: url(ref, '/v1/chat/completions'), headers: upAuth, body: chatBody('bench-model', true), endMarker: '[DONE]' },
    { id: 'c-small', label: '(c) Codex Gateway, chat stream pass-through', baseline: 'a-small', url: url(s.gateway, '/v1/chat/completions'), headers: gwAuth, body: chatBody('bench', true), endMarker: '[DONE]' },
    { id: 'd-small', label: '(d) Codex Gateway, /v1/responses -> chat stream, translated', baseline: 'a-small', url: url(s.gateway, '/v1/responses'), headers: gwAuth, body: smallResponsesBody('bench'), endMarker: 'response.completed' },
    { id: 'e-small', label: `(e) Portkey gateway, chat stream`, baseline: 'a-small', url: url(s.peer, '/v1/chat/completions'), headers: portkeyHeaders, body: chatBody('bench-model', true), endMarker: '[DONE]', skip: peerSkip },
    { id: 'a-codex', label: `(a) direct upstream, the gateway's translation of a Codex-sized request (${kib(translated)})`, url: `${s.upstreamBase}/chat/completions`, headers: upAuth, body: translated, endMarker: '[DONE]' },
    { id: 'd-codex', label: `(d) Codex Gateway, /v1/responses Codex-sized request (${kib(codexBody)}) -> chat stream`, baseline: 'a-codex', url: url(s.gateway, '/v1/responses'), headers: gwAuth, body: codexBody, endMarker: 'response.completed' },
    { id: 'a-capture', label: `(a) direct upstream, the gateway's translation of the captured Codex request (${kib(translatedCapture)})`, url: `${s.upstreamBase}/chat/completions`, headers: upAuth, body: translatedCapture, endMarker: '[DONE]' },
    { id: 'd-capture', label: `(d) Codex Gateway, /v1/responses captured Codex request (${kib(captured)}) -> chat stream`, baseline: 'a-capture', url: url(s.gateway, '/v1/responses'), headers: gwAuth, body: captured, endMarker: 'response.completed' },
    // Anthropic Messages upstream (alias bench-msg): each translated stream against a direct /v1/messages call with the body the gateway sent.
    { id: 'a-msg-chat', label: `(a') direct upstream /v1/messages, the gateway's translation of a small chat request (${kib(msgChat)})`, url: msgUrl, headers: msgAuth, body: msgChat, endMarker: 'message_stop' },
    { id: 'f-small', label: '(f) Codex Gateway, /v1/chat/completions -> messages stream, translated', baseline: 'a-msg-chat', url: url(s.gateway, '/v1/chat/completions'), headers: gwAuth, body: chatBody(MSG_ALIAS, true), endMarker: '[DONE]' },
    { id: 'a-msg-small', label: `(a') direct upstream /v1/messages, the gateway's translation of a small Responses request (${kib(msgSmall)})`, url: msgUrl, headers: msgAuth, body: msgSmall, endMarker: 'message_stop' },
    { id: 'g-small', label: '(g) Codex Gateway, /v1/responses -> messages stream, translated', baseline: 'a-msg-small', url: url(s.gateway, '/v1/responses'), headers: gwAuth, body: smallResponsesBody(MSG_ALIAS), endMarker: 'response.completed' },
    { id: 'a-msg-codex', label: `(a') direct upstream /v1/messages, the gateway's translation of the Codex-sized request (${kib(msgCodex)})`, url: msgUrl, headers: msgAuth, body: msgCodex, endMarker: 'message_stop' },
    { id: 'g-codex', label: `(g) Codex Gateway, /v1/responses Codex-sized request (${kib(codexBodyMsg)}) -> messages stream`, baseline: 'a-msg-codex', url: url(s.gateway, '/v1/responses'), headers: gwAuth, body: codexBodyMsg, endMarker: 'response.completed' },
    { id: 'a-msg-capture', label: `(a') direct upstream /v1/messages, the gateway's translation of the captured Codex request (${kib(msgCapture)})`, url: msgUrl, headers: msgAuth, body: msgCapture, endMarker: 'message_stop' },
    { id: 'g-capture', label: `(g) Codex Gateway, /v1/responses captured Codex request (${kib(capturedMsg)}) -> messages stream`, baseline: 'a-msg-capture', url: url(s.gateway, '/v1/responses'), headers: gwAuth, body: capturedMsg, endMarker: 'response.completed' },
  ];

  const loadResults: LoadTargetResult[] = loadTargets.map((t) => ({ id: t.id, label: t.label, baseline: t.baseline, latency: [], throughput: [], skipped: t.skip }));
  const streamResults: StreamTargetResult[] = streamTargets.map((t) => ({ id: t.id, label: t.label, baseline: t.baseline, cycles: [], skipped: t.skip }));
  const active = loadTargets.map((t, i) => ({ t, r: loadResults[i] })).filter((x) => !x.t.skip);
  const wrkOf = (t: LoadTarget) => ({ url: t.url, bodyFile: t.bodyFile, headers: t.headers });
  const connsBefore = new Map<string, number>();
  for (const { t } of active) {
    connsBefore.set(t.id, (await upstreamStats()).connections);
    await runWrk(procs, ROOT, { ...wrkOf(t), connections: o.connections, threads: o.threads, durationS: o.warmupS });
    await runWrk(procs, ROOT, { ...wrkOf(t), connections: 1, threads: 1, durationS: o.warmupS });
    loadResults[loadTargets.indexOf(t)].upstreamConnections = (await upstreamStats()).connections - connsBefore.get(t.id)!;
  }
  // Interleaved cycles: each cycle runs every target once, so bursts of other work hit all of them.
  for (let cycle = 1; cycle <= o.latencyCycles; cycle++) {
    for (const { t, r } of active) {
      const c0 = (await upstreamStats()).connections;
      const res = await runWrk(procs, ROOT, { ...wrkOf(t), connections: 1, threads: 1, durationS: o.latencyS });
      r.upstreamConnections! += (await upstreamStats()).connections - c0;
      r.latency.push(res);
    }
    log(`latency cycle ${cycle}/${o.latencyCycles}: ` + active.map(({ t, r }) => `${t.id} ${ms(r.latency[r.latency.length - 1].p50Ms)}`).join(', ') + ' ms p50');
  }
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  for (let cycle = 1; cycle <= o.throughputCycles; cycle++) {
    for (const { t, r } of active) {
      const c0 = (await upstreamStats()).connections;
      const cpu0 = cpuMsOf(t.server!.pid, ticks);
      const res = await runWrk(procs, ROOT, { ...wrkOf(t), connections: o.connections, threads: o.threads, durationS: o.throughputS });
      const cpu1 = cpuMsOf(t.server!.pid, ticks);
      r.upstreamConnections! += (await upstreamStats()).connections - c0;
      r.throughput.push(res);
      if (cpu0 !== undefined && cpu1 !== undefined && res.requests > 0) (r.cpuUsPerRequest ??= []).push(((cpu1 - cpu0) * 1000) / res.requests);
    }
    log(
      `throughput cycle ${cycle}/${o.throughputCycles}: ` +
        active.map(({ t, r }) => `${t.id} ${r.throughput[r.throughput.length - 1].rps.toFixed(0)} (${r.cpuUsPerRequest?.[cycle - 1]?.toFixed(0) ?? '?'} µs CPU)`).join(', ') +
        ' req/s',
    );
  }
  for (const { t, r } of active) {
    const e = errorsOf(...r.latency, ...r.throughput);
    if (e) log(`${t.label}:${e}`);
  }
  for (let cycle = 1; cycle <= o.streamCycles; cycle++) {
    for (const [i, t] of streamTargets.entries()) {
      if (t.skip) continue;
      const { summary } = await measureStream({ url: t.url, headers: t.headers, body: t.body, n: o.streamN, warmup: cycle === 1 ? o.streamWarmup : 0, firstTokenMarker: 'BENCH0', endMarker: t.endMarker, timeoutMs: 10_000 });
      streamResults[i].cycles.push(summary);
    }
    log(`stream cycle ${cycle}/${o.streamCycles}: ` + streamTargets.map((t, i) => (t.skip ? '' : `${t.id} ${ms(streamResults[i].cycles[cycle - 1].firstByteP50)}`)).filter(Boolean).join(', ') + ' ms first byte');
  }

  const afterLoad = new Map<string, ReturnType<typeof memoryOf>>();
  for (const [name, p] of procRows) if (p) afterLoad.set(name, memoryOf(p.pid));
  await sleep(2000);
  const memory: MemoryRow[] = procRows
    .filter(([, p]) => p)
    .map(([name, p]) => ({ process: name, idle: idle.get(name), afterLoad: afterLoad.get(name), settled: memoryOf(p!.pid) }));
  await procs.stopAll();
  let openStreamRows: OpenStreamsRow[] | undefined;
  if (o.openStreams > 0) {
    log(`open streams: ${o.openStreams} concurrent streams through fresh gateways ...`);
    openStreamRows = await measureOpenStreamRows(o, bundles);
  }
  const loadAfter = loadavg();

  const notes: string[] = [];
  if (s.peerSkip) notes.push(`Portkey not measured: ${s.peerSkip}`);
  const e = loadTargets.find((t) => t.id === 'e');
  if (e?.skip && !s.peerSkip) notes.push(`Portkey not measured: ${e.skip}`);
  if (loadBefore[0] > 1.5 || loadAfter[0] > 3) {
    notes.push(
      `The machine was busy with other work (load average ${loadBefore[0].toFixed(1)} before, ${loadAfter[0].toFixed(1)} after, on ${cpus().length} cores, of which the bench itself keeps about 2 busy): ` +
        'absolute numbers are lower and noisier than on an idle machine; the per-cycle comparisons are more robust than the absolute values.',
    );
  }
  const run: BenchRun = {
    startedAt: new Date(t0).toISOString(),
    durationS: (Date.now() - t0) / 1000,
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, wrk: wrkVersion, loadBefore, loadAfter },
    settings: {
      warmupS: o.warmupS,
      latencyCycles: o.latencyCycles,
      latencyS: o.latencyS,
      throughputCycles: o.throughputCycles,
      throughputS: o.throughputS,
      connections: o.connections,
      threads: o.threads,
      streamCycles: o.streamCycles,
      streamN: o.streamN,
      gatewayLogLevel: o.logLevel,
      peer: s.peer ? `@portkey-ai/gateway ${PORTKEY_VERSION} (--headless, @hono/node-server ${PORTKEY_HONO_NODE_SERVER})` : 'not run',
    },
    load: loadResults,
    streams: streamResults,
    memory,
    micro,
    openStreams: openStreamRows,
    extra: [],
    notes,
  };
  // Measurements from other bench modules add rows here (run.extra; see ExtraRow in bench/lib/report.ts),
  // e.g. the VS Code extension host (bench/vscode-host.ts).
  // The extension in a real VS Code (about 40-60 s); BENCH_SKIP_VSCODE=1 skips it, and it says why when code-server is not set up.
  (run.extra ??= []).push(...(await (await import('./vscode-host.js')).vscodeHostRows()));
  // The Messages door vs claude-code-router on the chat mock (about 90 s; the first run installs CCR, ~3 min); --no-peer or BENCH_SKIP_CCR=1 skips it.
  (run.extra ??= []).push(...(await (await import('./ccr.js')).ccrRows({ bundles, quick: o.latencyCycles < 8, logLevel: o.logLevel, skip: o.peer ? undefined : 'disabled with --no-peer' })));
  const md = renderMarkdown(run);
  writeFileSync(join(RESULTS, 'latency-throughput.svg'), latencyThroughputSvg(run));
  writeFileSync(join(RESULTS, 'latest.md'), md);
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(run, null, 2));
  process.stdout.write(`\n${md}\n`);
  for (const v of verdicts(run)) if (v.met === false) log(`target missed: ${v.goal}: ${v.measured} (profile with: npm run bench -- --profile)`);
  log(`wrote bench/results/latest.md, latest.json and latency-throughput.svg in ${run.durationS.toFixed(0)} s`);
}

function errorsOf(...rs: WrkResult[]): string {
  const n = rs.reduce((s, r) => s + r.errorsStatus + r.errorsSocket, 0);
  return n ? ` (${n} errors)` : '';
}

/**
 * `--profile`: for each gateway route, a fresh gateway process under `node --cpu-prof` takes 1 s of
 * warm-up and PROFILE_LOAD_S s of load at 32 connections, then stops on SIGINT (which writes the
 * profile); the profile is analysed and written to bench/results/profile.md.
 */
async function profile(o: Options): Promise<void> {
  checkWrk();
  mkdirSync(RESULTS, { recursive: true });
  log('bundling the gateway ...');
  const bundles = await buildBundles();
  const keys = { upstream: token(), gateway: token() };
  const gwAuth = { authorization: `Bearer ${keys.gateway}` };
  const files = join(CACHE, 'bodies');
  mkdirSync(files, { recursive: true });
  const cases = [
    { name: 'POST /v1/chat/completions (pass-through, not streamed)', path: '/v1/chat/completions', body: chatBody('bench', false) },
    { name: 'POST /v1/responses -> chat, streamed, small request', path: '/v1/responses', body: smallResponsesBody('bench') },
    { name: 'POST /v1/responses -> chat, streamed, Codex-sized request', path: '/v1/responses', body: codexSizedResponsesBody('bench') },
    { name: 'POST /v1/responses -> messages, streamed, small request', path: '/v1/responses', body: smallResponsesBody(MSG_ALIAS) },
    { name: 'POST /v1/responses -> messages, streamed, captured Codex request', path: '/v1/responses', body: capturedCodexBody(join(ROOT, CODEX_CAPTURE), MSG_ALIAS) },
    { name: 'POST /v1/chat/completions -> messages, streamed', path: '/v1/chat/completions', body: chatBody(MSG_ALIAS, true) },
  ].filter((c) => !o.profileMatch || c.name.includes(o.profileMatch));
  const out: string[] = [`# Codex Gateway CPU profile: ${new Date().toISOString()}`, ''];
  out.push(
    `Each case: a fresh gateway (\`node --cpu-prof\`, the esbuild bundle of src/gateway/cli.ts, positions mapped back to the sources), ` +
      `${o.warmupS} s warm-up + ${PROFILE_LOAD_S} s of wrk at ${o.connections} connections, against the mock upstream. ` +
      `Self = time in the function itself; inclusive = with its callees. Percentages of the busy (non-idle) samples. ` +
      `Load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}.`,
    '',
  );
  for (const [i, c] of cases.entries()) {
    const dir = join(CACHE, `prof-${i}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const s = await startServers(o, bundles, keys, { onlyGateway: true, cpuProfDir: dir });
    const bodyFile = join(files, `profile-${i}.json`);
    writeFileSync(bodyFile, c.body);
    const w = { url: `http://127.0.0.1:${s.gateway.port}${c.path}`, bodyFile, headers: gwAuth, connections: o.connections, threads: o.threads };
    await runWrk(procs, ROOT, { ...w, durationS: o.warmupS });
    const r = await runWrk(procs, ROOT, { ...w, durationS: PROFILE_LOAD_S });
    log(`${c.name}: ${r.rps.toFixed(0)} req/s${errorsOf(r)}`);
    await procs.stop(s.gateway.proc, 15_000, 'SIGINT');
    await procs.stopAll();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the gateway wrote no .cpuprofile into ${dir}`);
    const rep = analyzeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), { bundlePath: bundles.gateway, mapPath: bundles.gatewayMap, root: ROOT }, 25);
    out.push(...renderProfile(c.name, r, rep));
  }
  const md = out.join('\n');
  writeFileSync(join(RESULTS, 'profile.md'), md);
  process.stdout.write(`\n${md}\n`);
  log('wrote bench/results/profile.md');
}

function renderProfile(name: string, r: WrkResult, rep: ProfileReport): string[] {
  const rows = (list: ProfileReport['self'], loc: boolean) =>
    list.map((h) => `| ${h.pct.toFixed(1)}% | ${h.ms.toFixed(0)} | ${h.name.replace(/\|/g, '\\|')} | ${loc ? h.location : ''} |`);
  return [
    `## ${name}`,
    '',
    `${r.rps.toFixed(0)} req/s during the profile; ${rep.busyMs.toFixed(0)} ms busy of ${rep.wallMs.toFixed(0)} ms profiled.`,
    '',
    '### Self time by area',
    '',
    '| share | ms | area | |',
    '|---:|---:|---|---|',
    ...rows(rep.areas, false),
    '',
    '### Top functions by self time',
    '',
    '| share | ms | function | location |',
    '|---:|---:|---|---|',
    ...rows(rep.self, true),
    '',
    '### Project functions by inclusive time',
    '',
    '| share | ms | function | location |',
    '|---:|---:|---|---|',
    ...rows(rep.inclusive, true),
    '',
  ];
}

async function main(): Promise<void> {
  const o = options();
  if (o.render) {
    process.stdout.write(renderMarkdown(JSON.parse(readFileSync(o.render, 'utf8')) as BenchRun));
    return;
  }
  process.on('exit', () => procs.killAllSync());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping every bench process`);
      procs.stopAll().finally(() => process.exit(130));
    });
  }
  const deadline = setTimeout(() => {
    log(`the bench took longer than ${o.deadlineS} s: stopping every bench process`);
    procs.stopAll().finally(() => process.exit(1));
  }, o.deadlineS * 1000);
  deadline.unref();
  try {
    if (o.profile) await profile(o);
    else await bench(o);
  } finally {
    await procs.stopAll();
  }
}

main().catch((e) => {
  log(`failed: ${(e as Error).message}`);
  procs.stopAll().finally(() => process.exit(1));
});
