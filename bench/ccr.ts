/**
 * The Messages door (`POST /v1/messages`, what Claude Code speaks) against claude-code-router (CCR,
 * npm `@musistudio/claude-code-router`, see bench/lib/ccr.ts), both on the same mock Chat Completions
 * upstream (bench/upstream.ts), so both translate Anthropic Messages -> Chat Completions -> Messages:
 *
 * - (a) direct: `POST /v1/chat/completions` on the mock (the floor);
 * - (m) Codex Gateway `POST /v1/messages`, alias `bench` on the mock with `wire_api: chat` (translated);
 * - (r) CCR `POST /v1/messages`, model `bench,bench-model` (its provider `bench` = the mock's chat endpoint).
 *
 * Measured as the main bench does (docs/benchmarks.md, "Method"), in cycles that visit every target back
 * to back: added p50 (wrk, 1 connection, non-streamed; per cycle minus the direct call's p50), throughput
 * (wrk, 32 connections, non-streamed) with the CPU time of the serving processes per request, and the
 * first byte of a streamed answer (a sequential keep-alive client, 100 requests per cycle), compared with a
 * direct streamed chat call that replays the exact body the gateway sent upstream.
 * Targets (issue 9): at least 10x CCR's throughput; first byte within 1 ms of a direct call.
 *
 *   node --import tsx bench/ccr.ts [--quick]     # alone: prints the Markdown section
 *   npm run bench                                # at the end of the bench run (--no-peer or BENCH_SKIP_CCR=1 skip it)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { chatBody } from './lib/bodies';
import { bundleEntries } from './lib/bundle';
import { CCR_MODEL, CCR_VERSION, ensureCcr, post, processTree, startCcr, type CcrServer } from './lib/ccr';
import { cpuMsOf, memoryOf, Procs } from './lib/procs';
import type { ExtraRow } from './lib/report';
import { median, ms } from './lib/stats';
import { measureStream, type StreamSummary } from './lib/stream-client';
import { runWrk, type WrkResult } from './lib/wrk';

const ROOT = resolve(__dirname, '..');
const CACHE = join(ROOT, '.cache/bench');
/**
 * Requests Claude Code 2.1.328 sent (repository-relative; long prose trimmed, structure as sent): the stream rows
 * also send the second one (system blocks, 12 tools, thinking, a Bash tool_use / tool_result round trip).
 */
export const CLAUDE_CODE_CAPTURE = 'test/unit/wires/golden/messages-door-claude-code-requests.json';
/** Environment variable: `1` skips these rows. */
export const SKIP_ENV = 'BENCH_SKIP_CCR';
/** Targets of issue 9. */
export const TARGETS = { throughputRatio: 10, firstByteDeltaMs: 1 } as const;

/** Options of {@link measureMessagesDoor}. */
export interface MessagesDoorOptions {
  /** Bundles of the gateway CLI and the mock upstream (bench/run.ts builds them); built here when absent. */
  bundles?: { gateway: string; upstream: string };
  /** Fewer cycles (the bench's `--quick`). */
  quick?: boolean;
  /** Gateway log level (default `info`, the shipped default). */
  logLevel?: string;
  /** A reason not to measure (e.g. `--no-peer`). */
  skip?: string;
  log?: (line: string) => void;
}

/** Per-target results; latencies in ms. */
export interface DoorTarget {
  id: 'direct' | 'ours' | 'ccr';
  label: string;
  latency: WrkResult[];
  throughput: WrkResult[];
  /** CPU µs per request of the serving process(es), per throughput cycle. */
  cpuUsPerRequest: number[];
  /** CCR only: CPU µs per request of its forked gateway process alone, per throughput cycle. */
  gatewayCpuUsPerRequest?: number[];
  /** TCP connections to the mock that carried requests during the throughput runs. */
  upstreamConnections?: number;
  streams: StreamSummary[];
  /** The same with the captured Claude Code request ({@link CLAUDE_CODE_CAPTURE}). */
  streamsClaude: StreamSummary[];
  /** Why the captured request could not be streamed through this target. */
  claudeSkipped?: string;
  /** RSS (MiB) of the serving process(es) 2 s after start and after the load. */
  rssIdleMiB?: number;
  rssAfterMiB?: number;
}

/** What {@link measureMessagesDoor} returns. */
export interface MessagesDoorResult {
  skipped?: string;
  startedAt: string;
  durationS: number;
  loadBefore: number[];
  loadAfter: number[];
  cores: number;
  settings: { latencyCycles: number; throughputCycles: number; connections: number; streamCycles: number; streamN: number; logLevel: string };
  targets: DoorTarget[];
  /** Non-loopback connections CCR attempted (refused by bench/ccr-offline.mjs). */
  ccrBlocked: string[];
  notes: string[];
}

/** A small Anthropic Messages request, the same conversation as the chat rows' {@link chatBody}. */
export function messagesBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    max_tokens: 32,
    system: 'You are a terse assistant.',
    messages: [{ role: 'user', content: 'Say hello in five words.' }],
    ...(stream ? { stream: true } : {}),
  });
}

/**
 * The second captured Claude Code request as a streamed body for `model` (JSON without spaces).
 * @throws Error when the capture does not hold it.
 */
export function claudeCodeBody(file: string, model: string): string {
  const cap = JSON.parse(readFileSync(file, 'utf8')) as { requests?: Array<{ body?: Record<string, unknown> }> };
  const body = cap.requests?.[1]?.body;
  if (!body || !Array.isArray(body.messages)) throw new Error(`${file}: no captured Claude Code request body`);
  return JSON.stringify({ ...body, model, stream: true });
}

/**
 * Unmeasured streamed requests per target and body before the first stream cycle. The mock, the gateway and
 * CCR are fresh processes whose streaming paths the wrk runs (non-streamed) do not warm: with 20, a direct
 * call's first byte fell from 0.24 to 0.07 ms over the following 8 x 120 requests (JIT), so every cycle
 * measured a different warm-up state.
 */
const STREAM_WARMUP = 500;

const token = () => `bench-${randomBytes(16).toString('hex')}`;
const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, msec));
const ANTHROPIC_VERSION = '2023-06-01';

/** Bundles the gateway CLI and the mock upstream (standalone runs; {@link bundleEntries}, as bench/run.ts). */
async function buildBundles(): Promise<{ gateway: string; upstream: string }> {
  const b = await bundleEntries(ROOT, join(CACHE, 'bundles-ccr'), { 'gateway-cli': 'src/gateway/cli.ts', upstream: 'bench/upstream.ts' });
  return { gateway: b['gateway-cli'], upstream: b.upstream };
}

/** CPU ms of a set of processes (summed; processes gone meanwhile count 0). */
function cpuOf(pids: number[], ticks: number): number {
  return pids.reduce((s, p) => s + (cpuMsOf(p, ticks) ?? 0), 0);
}

function rssOf(pids: number[]): number | undefined {
  const m = pids.map((p) => memoryOf(p)?.rssMiB).filter((v): v is number => v !== undefined);
  return m.length ? m.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * Starts the mock upstream, a gateway and CCR, measures the three targets and stops everything it started.
 * Never throws for a missed target; returns `skipped` when it could not measure.
 */
export async function measureMessagesDoor(o: MessagesDoorOptions = {}): Promise<MessagesDoorResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`bench: messages-door: ${l}\n`));
  const t0 = Date.now();
  const settings = { latencyCycles: o.quick ? 3 : 8, throughputCycles: o.quick ? 2 : 5, connections: 32, streamCycles: o.quick ? 2 : 4, streamN: 100, logLevel: o.logLevel ?? 'info' };
  const result: MessagesDoorResult = { startedAt: new Date(t0).toISOString(), durationS: 0, loadBefore: loadavg(), loadAfter: [], cores: cpus().length, settings, targets: [], ccrBlocked: [], notes: [] };
  const done = (skipped?: string) => ({ ...result, skipped, durationS: (Date.now() - t0) / 1000, loadAfter: loadavg() });
  const skip = o.skip ?? (process.env[SKIP_ENV] === '1' ? `${SKIP_ENV}=1` : undefined);
  if (skip) return done(skip);
  if (spawnSync('wrk', ['-v']).error) return done('wrk is not installed (sudo apt-get install -y wrk)');

  const procs = new Procs();
  const onExit = () => procs.killAllSync();
  process.on('exit', onExit);
  let ccr: CcrServer | undefined;
  try {
    const installed = await ensureCcr(ROOT, procs, log);
    if ('skip' in installed) return done(installed.skip);
    const bundles = o.bundles ?? (await buildBundles());
    const logs = join(CACHE, 'logs');
    mkdirSync(logs, { recursive: true });
    mkdirSync(join(CACHE, 'home'), { recursive: true });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(CACHE, 'home'), LANG: 'C.UTF-8' };
    const keys = { upstream: token(), gateway: token(), ccr: token() };
    const ready = { cwd: ROOT, timeoutMs: 30_000 };
    const up = await procs.startServer('upstream (messages door)', [bundles.upstream], join(logs, 'upstream-ccr.log'), { ...ready, env: { ...env, BENCH_UPSTREAM_KEY: keys.upstream }, ready: /BENCH_LISTENING (\d+)/ });
    const upstreamBase = `http://127.0.0.1:${up.port}/v1`;
    const config = join(CACHE, 'gateway-ccr.yaml');
    writeFileSync(
      config,
      [
        '# Written by bench/ccr.ts for one bench run.',
        'model_list:',
        '  - model_name: bench',
        '    litellm_params:',
        '      model: openai_compatible/bench-model',
        `      api_base: ${upstreamBase}`,
        '      api_key: os.environ/BENCH_UPSTREAM_KEY',
        '      wire_api: chat',
        'general_settings:',
        '  master_key: os.environ/BENCH_GATEWAY_KEY',
        'gateway_settings:',
        '  host: 127.0.0.1',
        `  log_level: ${settings.logLevel}`,
        '',
      ].join('\n'),
    );
    const gateway = await procs.startServer('gateway (messages door)', [bundles.gateway, 'serve', '--config', config, '--host', '127.0.0.1', '--port', '0'], join(logs, 'gateway-ccr.log'), {
      ...ready,
      env: { ...env, BENCH_UPSTREAM_KEY: keys.upstream, BENCH_GATEWAY_KEY: keys.gateway, CODEX_GATEWAY_HOME: join(CACHE, 'home') },
      ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/,
    });
    log(`starting claude-code-router ${CCR_VERSION} ...`);
    try {
      ccr = await startCcr(procs, { root: ROOT, cli: installed.cli, upstreamBase, upstreamKey: keys.upstream, clientKey: keys.ccr, env: { PATH: env.PATH, LANG: env.LANG }, logFile: join(logs, 'ccr.log') });
    } catch (e) {
      return done(`claude-code-router did not start: ${(e as Error).message}`);
    }
    const ccrPids = () => processTree(ccr!.pid);
    await sleep(2000);

    const files = join(CACHE, 'bodies');
    mkdirSync(files, { recursive: true });
    const write = (name: string, body: string) => {
      const f = join(files, name);
      writeFileSync(f, body);
      return f;
    };
    const msgHeaders = (key: string) => ({ 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION });
    interface T {
      id: DoorTarget['id'];
      label: string;
      url: string;
      headers: Record<string, string>;
      bodyFile: string;
      expect: RegExp;
      pids: () => number[];
      /** The process that serves requests (CCR: its forked gateway), when it is not the only one. */
      servingPid?: number;
      stream: { url: string; body: string; endMarker: string };
      streamClaude: { url: string; body: string; endMarker: string };
    }
    const ourUrl = `http://127.0.0.1:${gateway.port}/v1/messages`;
    const ccrUrl = `http://127.0.0.1:${ccr.port}/v1/messages`;
    // The body the gateway sends upstream for the streamed Messages request: the direct stream baseline replays it.
    const s0 = await post(ourUrl, msgHeaders(keys.gateway), messagesBody('bench', true));
    if (s0.status !== 200 || !s0.text.includes('message_stop')) return done(`the gateway failed a streamed /v1/messages request: HTTP ${s0.status} ${s0.text.slice(0, 300)}`);
    const translated = (await fetchText(`http://127.0.0.1:${up.port}/last-request`)).trim();
    if (!translated.includes('"stream":true') || !translated.includes('"messages":[')) return done(`the mock did not record a streamed chat request from the gateway: ${translated.slice(0, 200)}`);
    // The captured Claude Code request: what the gateway sends upstream for it is the direct baseline of those rows.
    const claudeOurs = claudeCodeBody(join(ROOT, CLAUDE_CODE_CAPTURE), 'bench');
    const claudeCcr = claudeCodeBody(join(ROOT, CLAUDE_CODE_CAPTURE), CCR_MODEL);
    const s1 = await post(ourUrl, msgHeaders(keys.gateway), claudeOurs);
    if (s1.status !== 200 || !s1.text.includes('message_stop')) return done(`the gateway failed the captured Claude Code request: HTTP ${s1.status} ${s1.text.slice(0, 300)}`);
    const translatedClaude = (await fetchText(`http://127.0.0.1:${up.port}/last-request`)).trim();
    if (!translatedClaude.includes('"stream":true') || !translatedClaude.includes('"tools":[')) return done(`the mock did not record the gateway's translation of the captured Claude Code request: ${translatedClaude.slice(0, 200)}`);
    const targets: T[] = [
      {
        id: 'direct',
        label: '(a) direct upstream, POST /v1/chat/completions',
        url: `${upstreamBase}/chat/completions`,
        headers: { authorization: `Bearer ${keys.upstream}` },
        bodyFile: write('door-chat-up.json', chatBody('bench-model', false)),
        expect: /"object":"chat\.completion".*BENCH0/,
        pids: () => [up.pid],
        stream: { url: `${upstreamBase}/chat/completions`, body: translated, endMarker: '[DONE]' },
        streamClaude: { url: `${upstreamBase}/chat/completions`, body: translatedClaude, endMarker: '[DONE]' },
      },
      {
        id: 'ours',
        label: '(m) Codex Gateway POST /v1/messages -> chat',
        url: ourUrl,
        headers: msgHeaders(keys.gateway),
        bodyFile: write('door-messages-gw.json', messagesBody('bench', false)),
        expect: /"type":"message".*BENCH0/,
        pids: () => [gateway.pid],
        stream: { url: ourUrl, body: messagesBody('bench', true), endMarker: 'message_stop' },
        streamClaude: { url: ourUrl, body: claudeOurs, endMarker: 'message_stop' },
      },
      {
        id: 'ccr',
        label: `(r) claude-code-router ${CCR_VERSION} POST /v1/messages -> chat`,
        url: ccrUrl,
        headers: msgHeaders(keys.ccr),
        bodyFile: write('door-messages-ccr.json', messagesBody(CCR_MODEL, false)),
        expect: /"type":"message".*BENCH0/,
        pids: ccrPids,
        servingPid: ccr.gatewayPid,
        stream: { url: ccrUrl, body: messagesBody(CCR_MODEL, true), endMarker: 'message_stop' },
        streamClaude: { url: ccrUrl, body: claudeCcr, endMarker: 'message_stop' },
      },
    ];
    // Sanity: each answers 200 with the mock's text, translated back to a Messages object by both gateways.
    for (const t of targets) {
      const r = await post(t.url, t.headers, readFileSync(t.bodyFile, 'utf8'));
      if (r.status !== 200 || !t.expect.test(r.text)) return done(`${t.label} failed its sanity request: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    }
    const res: DoorTarget[] = targets.map((t) => ({ id: t.id, label: t.label, latency: [], throughput: [], cpuUsPerRequest: [], streams: [], streamsClaude: [], rssIdleMiB: rssOf(t.pids()) }));
    // The captured Claude Code request, streamed: a target that cannot serve it loses only those rows.
    for (const [i, t] of targets.entries()) {
      const r = await post(t.streamClaude.url, t.headers, t.streamClaude.body);
      if (r.status !== 200 || !r.text.includes('BENCH0') || !r.text.includes(t.streamClaude.endMarker)) res[i].claudeSkipped = `HTTP ${r.status} ${r.text.slice(0, 300)}`;
    }
    if (res[0].claudeSkipped) return done(`the direct replay of the captured Claude Code request failed: ${res[0].claudeSkipped}`);
    result.targets = res;
    const wrkOf = (t: T) => ({ url: t.url, bodyFile: t.bodyFile, headers: t.headers });
    for (const t of targets) {
      await runWrk(procs, ROOT, { ...wrkOf(t), connections: settings.connections, threads: 1, durationS: 1 });
      await runWrk(procs, ROOT, { ...wrkOf(t), connections: 1, threads: 1, durationS: 1 });
    }
    for (let c = 1; c <= settings.latencyCycles; c++) {
      for (const [i, t] of targets.entries()) res[i].latency.push(await runWrk(procs, ROOT, { ...wrkOf(t), connections: 1, threads: 1, durationS: 1 }));
      log(`latency cycle ${c}/${settings.latencyCycles}: ` + res.map((r) => `${r.id} ${ms(r.latency[c - 1].p50Ms)}`).join(', ') + ' ms p50');
    }
    const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const upstreamConnections = async () => (JSON.parse(await fetchText(`http://127.0.0.1:${up.port}/stats`)) as { connections: number }).connections;
    for (let c = 1; c <= settings.throughputCycles; c++) {
      for (const [i, t] of targets.entries()) {
        const pids = t.pids();
        const conns0 = await upstreamConnections();
        const cpu0 = cpuOf(pids, ticks);
        const g0 = t.servingPid ? cpuOf([t.servingPid], ticks) : 0;
        const w = await runWrk(procs, ROOT, { ...wrkOf(t), connections: settings.connections, threads: 1, durationS: 2 });
        const cpu1 = cpuOf(pids, ticks);
        const g1 = t.servingPid ? cpuOf([t.servingPid], ticks) : 0;
        res[i].upstreamConnections = (res[i].upstreamConnections ?? 0) + (await upstreamConnections()) - conns0;
        res[i].throughput.push(w);
        if (w.requests > 0) res[i].cpuUsPerRequest.push(((cpu1 - cpu0) * 1000) / w.requests);
        if (w.requests > 0 && t.servingPid) (res[i].gatewayCpuUsPerRequest ??= []).push(((g1 - g0) * 1000) / w.requests);
      }
      log(`throughput cycle ${c}/${settings.throughputCycles}: ` + res.map((r) => `${r.id} ${r.throughput[c - 1].rps.toFixed(0)} (${r.cpuUsPerRequest[c - 1]?.toFixed(0) ?? '?'} µs CPU)`).join(', ') + ' req/s');
    }
    for (const [i, t] of targets.entries()) {
      const errors = [...res[i].latency, ...res[i].throughput].reduce((s, r) => s + r.errorsStatus + r.errorsSocket, 0);
      if (errors) result.notes.push(`${t.label}: ${errors} errors (non-2xx answers or socket errors) during the wrk runs`);
    }
    for (let c = 1; c <= settings.streamCycles; c++) {
      for (const [i, t] of targets.entries()) {
        const one = (st: T['stream']) => measureStream({ url: st.url, headers: t.headers, body: st.body, n: settings.streamN, warmup: c === 1 ? STREAM_WARMUP : 0, firstTokenMarker: 'BENCH0', endMarker: st.endMarker, timeoutMs: 10_000 });
        res[i].streams.push((await one(t.stream)).summary);
        if (!res[i].claudeSkipped) res[i].streamsClaude.push((await one(t.streamClaude)).summary);
      }
      log(`stream cycle ${c}/${settings.streamCycles}: ` + res.map((r) => `${r.id} ${ms(r.streams[c - 1].firstByteP50)} / ${ms(r.streamsClaude[c - 1]?.firstByteP50)}`).join(', ') + ' ms first byte (small / captured Claude Code request)');
    }
    for (const [i, t] of targets.entries()) res[i].rssAfterMiB = rssOf(t.pids());
    result.ccrBlocked = ccr.blocked();
    return done();
  } catch (e) {
    return done(`could not measure: ${(e as Error).message}`);
  } finally {
    await procs.stopAll();
    process.off('exit', onExit);
  }
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolveP, reject) => {
    httpGet(url, (res) => {
      let t = '';
      res.setEncoding('utf8').on('data', (d: string) => (t += d));
      res.once('end', () => resolveP(t));
    }).once('error', reject);
  });
}

/** Medians over cycles and the per-cycle comparisons the rows report. */
export interface MessagesDoorSummary {
  p50: Record<DoorTarget['id'], number>;
  rps: Record<DoorTarget['id'], number>;
  cpuUs: Record<DoorTarget['id'], number>;
  firstByte: Record<DoorTarget['id'], number>;
  firstToken: Record<DoorTarget['id'], number>;
  /** Median of per-cycle (target p50 - direct p50), ms. */
  addedP50: { ours: number; ccr: number };
  /** CCR's forked gateway alone, CPU µs per request. */
  ccrGatewayCpuUs: number;
  /** Median of per-cycle (ours req/s / CCR req/s), and its lowest and highest cycle. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  /** Median of per-cycle (target first byte p50 - direct first byte p50), ms. */
  firstByteDelta: { ours: number; ccr: number };
  /** The same with the captured Claude Code request (NaN where not measured). */
  firstByteClaude: Record<DoorTarget['id'], number>;
  firstByteDeltaClaude: { ours: number; ccr: number };
}

export function summarizeMessagesDoor(r: MessagesDoorResult): MessagesDoorSummary | undefined {
  const by = (id: DoorTarget['id']) => r.targets.find((t) => t.id === id);
  const d = by('direct');
  const m = by('ours');
  const c = by('ccr');
  if (!d || !m || !c || !d.latency.length || !d.throughput.length || !d.streams.length) return undefined;
  const per = <T>(a: T[], b: T[], f: (x: T, y: T) => number) => median(a.slice(0, Math.min(a.length, b.length)).map((x, i) => f(x, b[i])));
  const rec = (f: (t: DoorTarget) => number) => ({ direct: f(d), ours: f(m), ccr: f(c) });
  const ratios = m.throughput.map((x, i) => x.rps / c.throughput[i].rps);
  return {
    p50: rec((t) => median(t.latency.map((x) => x.p50Ms))),
    rps: rec((t) => median(t.throughput.map((x) => x.rps))),
    cpuUs: rec((t) => median(t.cpuUsPerRequest)),
    ccrGatewayCpuUs: median(c.gatewayCpuUsPerRequest ?? []),
    firstByte: rec((t) => median(t.streams.map((x) => x.firstByteP50))),
    firstToken: rec((t) => median(t.streams.map((x) => x.firstTokenP50))),
    addedP50: { ours: per(m.latency, d.latency, (x, y) => x.p50Ms - y.p50Ms), ccr: per(c.latency, d.latency, (x, y) => x.p50Ms - y.p50Ms) },
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    firstByteDelta: { ours: per(m.streams, d.streams, (x, y) => x.firstByteP50 - y.firstByteP50), ccr: per(c.streams, d.streams, (x, y) => x.firstByteP50 - y.firstByteP50) },
    firstByteClaude: rec((t) => median(t.streamsClaude.map((x) => x.firstByteP50))),
    firstByteDeltaClaude: {
      ours: per(m.streamsClaude, d.streamsClaude, (x, y) => x.firstByteP50 - y.firstByteP50),
      ccr: per(c.streamsClaude, d.streamsClaude, (x, y) => x.firstByteP50 - y.firstByteP50),
    },
  };
}

const sign = (v: number, digits = 3) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

/** The rows for run.extra (bench/lib/report.ts ExtraRow). */
export function messagesDoorRows(r: MessagesDoorResult): ExtraRow[] {
  const ccrName = `claude-code-router ${CCR_VERSION}`;
  const s = r.skipped ? undefined : summarizeMessagesDoor(r);
  if (!s) {
    const why = r.skipped ?? 'no data';
    return [
      { label: `Messages door vs ${ccrName}: throughput ratio (ours / CCR)`, value: NaN, unit: 'x', target: { goal: `Messages door: >= ${TARGETS.throughputRatio}x the throughput of ${ccrName}`, met: false }, note: why },
      { label: 'Messages door: first byte of a streamed translated answer vs direct', value: NaN, unit: 'ms', target: { goal: `Messages door: first byte of a translated stream within ${TARGETS.firstByteDeltaMs} ms of a direct call`, met: false }, note: why },
    ];
  }
  const load = `load average ${r.loadBefore[0].toFixed(1)} before, ${r.loadAfter[0].toFixed(1)} after, ${r.cores} cores`;
  const how = `${r.settings.latencyCycles} cycles of 1 s, wrk 1 connection, non-streamed, median of per-cycle differences with (a)`;
  const thr = `wrk ${r.settings.connections} connections, non-streamed, ${r.settings.throughputCycles} cycles of 2 s, median`;
  const fb = `${r.settings.streamCycles} cycles of ${r.settings.streamN} sequential streamed requests, median of per-cycle differences with a direct chat stream replaying the body the gateway sent upstream`;
  return [
    { label: 'Messages door (m) Codex Gateway POST /v1/messages -> chat: added p50 vs direct', value: s.addedP50.ours, unit: 'ms', note: `p50 ${ms(s.p50.ours)} ms vs ${ms(s.p50.direct)} ms direct; ${how}` },
    { label: `Messages door (r) ${ccrName} POST /v1/messages -> chat: added p50 vs direct`, value: s.addedP50.ccr, unit: 'ms', note: `p50 ${ms(s.p50.ccr)} ms; same method` },
    { label: 'Messages door (m) Codex Gateway: throughput', value: s.rps.ours, unit: 'req/s', note: `${s.cpuUs.ours.toFixed(0)} µs CPU per request; direct (a) ${s.rps.direct.toFixed(0)} req/s; ${thr}` },
    { label: `Messages door (r) ${ccrName}: throughput`, value: s.rps.ccr, unit: 'req/s', note: `${s.cpuUs.ccr.toFixed(0)} µs CPU per request (its management process and its forked gateway; the gateway alone ${ms(s.ccrGatewayCpuUs, 0)}); ${thr}` },
    {
      label: `Messages door: throughput ratio (m) / (r) ${ccrName}`,
      value: s.ratio,
      unit: 'x',
      target: { goal: `Messages door: >= ${TARGETS.throughputRatio}x the throughput of ${ccrName} (non-streamed /v1/messages, same chat mock)`, met: s.ratio >= TARGETS.throughputRatio },
      note: `median of per-cycle ratios (${s.ratioMin.toFixed(1)}-${s.ratioMax.toFixed(1)}); CPU per request ${(s.cpuUs.ccr / s.cpuUs.ours).toFixed(1)}x less than CCR's processes (${(s.ccrGatewayCpuUs / s.cpuUs.ours).toFixed(1)}x less than its gateway alone); ${load}`,
    },
    {
      label: 'Messages door (m): first byte of a streamed translated answer vs direct',
      value: s.firstByteDelta.ours,
      unit: 'ms',
      target: { goal: `Messages door: first byte of a translated stream within ${TARGETS.firstByteDeltaMs} ms of a direct call`, met: s.firstByteDelta.ours <= TARGETS.firstByteDeltaMs },
      note: `${ms(s.firstByte.ours)} ms vs ${ms(s.firstByte.direct)} ms direct (first token ${ms(s.firstToken.ours)} vs ${ms(s.firstToken.direct)}); ${fb}`,
    },
    { label: `Messages door (r) ${ccrName}: first byte of a streamed translated answer vs direct`, value: s.firstByteDelta.ccr, unit: 'ms', note: `${ms(s.firstByte.ccr)} ms (first token ${ms(s.firstToken.ccr)}); same method` },
    {
      label: 'Messages door (m): first byte vs direct, captured Claude Code request (14 KiB, 12 tools)',
      value: s.firstByteDeltaClaude.ours,
      unit: 'ms',
      target: { goal: `Messages door: first byte of a translated stream within ${TARGETS.firstByteDeltaMs} ms of a direct call (captured Claude Code request)`, met: s.firstByteDeltaClaude.ours <= TARGETS.firstByteDeltaMs },
      note: `${ms(s.firstByteClaude.ours)} ms vs ${ms(s.firstByteClaude.direct)} ms direct (replaying the gateway's translation); ${CLAUDE_CODE_CAPTURE}, second request`,
    },
    {
      label: `Messages door (r) ${ccrName}: first byte vs direct, captured Claude Code request`,
      value: s.firstByteDeltaClaude.ccr,
      unit: 'ms',
      note: r.targets.find((t) => t.id === 'ccr')?.claudeSkipped ? `not measured: ${r.targets.find((t) => t.id === 'ccr')!.claudeSkipped}` : `${ms(s.firstByteClaude.ccr)} ms; same method`,
    },
  ];
}

/** The Markdown section of a standalone run. */
export function renderMessagesDoorMarkdown(r: MessagesDoorResult): string {
  const lines = [`## Messages door vs claude-code-router ${CCR_VERSION}`, ''];
  if (r.skipped) return [...lines, `Not measured: ${r.skipped}`, ''].join('\n');
  const s = summarizeMessagesDoor(r);
  if (!s) return [...lines, 'No data.', ''].join('\n');
  lines.push(
    `${r.startedAt}, ${r.durationS.toFixed(0)} s; load average ${r.loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${r.loadAfter.map((x) => x.toFixed(2)).join(' ')} after, ${r.cores} cores.`,
    '',
    '| target | p50 (ms) | added p50 | req/s | CPU µs/req | upstream connections | RSS idle / after (MiB) | stream first byte (ms) | vs direct | first token (ms) | first byte, Claude Code request (ms) | vs direct |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const t of r.targets) {
    const id = t.id;
    const added = id === 'direct' ? '' : sign(s.addedP50[id]);
    const fbd = id === 'direct' ? '' : sign(s.firstByteDelta[id]);
    const fbdc = id === 'direct' || Number.isNaN(s.firstByteDeltaClaude[id]) ? '' : sign(s.firstByteDeltaClaude[id]);
    lines.push(`| ${t.label} | ${ms(s.p50[id])} | ${added} | ${s.rps[id].toFixed(0)} | ${s.cpuUs[id].toFixed(0)}${id === 'ccr' ? ` (gateway ${ms(s.ccrGatewayCpuUs, 0)})` : ''} | ${t.upstreamConnections ?? '-'} | ${t.rssIdleMiB?.toFixed(1) ?? '-'} / ${t.rssAfterMiB?.toFixed(1) ?? '-'} | ${ms(s.firstByte[id])} | ${fbd} | ${ms(s.firstToken[id])} | ${ms(s.firstByteClaude[id])} | ${fbdc} |`);
  }
  lines.push('', `Throughput ratio (m) / (r): **${s.ratio.toFixed(1)}x** (per cycle ${s.ratioMin.toFixed(1)}-${s.ratioMax.toFixed(1)}; target >= ${TARGETS.throughputRatio}x). First byte (m) vs direct: **${sign(s.firstByteDelta.ours)} ms** small, **${Number.isNaN(s.firstByteDeltaClaude.ours) ? '-' : sign(s.firstByteDeltaClaude.ours)} ms** captured Claude Code request (target <= ${TARGETS.firstByteDeltaMs} ms).`);
  for (const t of r.targets) if (t.claudeSkipped) lines.push('', `${t.label}: the captured Claude Code request was not streamed: ${t.claudeSkipped}`);
  if (r.ccrBlocked.length) lines.push('', `claude-code-router tried to reach (refused by bench/ccr-offline.mjs): ${r.ccrBlocked.join(', ')}.`);
  for (const n of r.notes) lines.push('', n);
  lines.push('');
  return lines.join('\n');
}

/** For bench/run.ts: measures and returns the rows (logging progress and what was skipped). */
export async function ccrRows(o: MessagesDoorOptions = {}): Promise<ExtraRow[]> {
  const log = o.log ?? ((l: string) => process.stderr.write(`bench: messages-door: ${l}\n`));
  const r = await measureMessagesDoor({ ...o, log });
  if (r.skipped) log(`not measured: ${r.skipped}`);
  if (r.ccrBlocked.length) log(`claude-code-router tried to reach (refused): ${r.ccrBlocked.join(', ')}`);
  for (const n of r.notes) log(n);
  log(`took ${r.durationS.toFixed(0)} s`);
  writeFileSync(join(CACHE, 'messages-door.json'), JSON.stringify(r, null, 2));
  return messagesDoorRows(r);
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  void measureMessagesDoor({ quick }).then((r) => {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(join(CACHE, 'messages-door.json'), JSON.stringify(r, null, 2));
    process.stdout.write(`\n${renderMessagesDoorMarkdown(r)}`);
    setTimeout(() => process.exit(r.skipped ? 1 : 0), 500).unref();
  });
}
