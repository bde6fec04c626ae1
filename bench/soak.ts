/**
 * `npm run soak`: minutes of mixed streaming load through a real gateway whose primary deployments fail in
 * every way test/helpers/fault-upstream.ts knows (429, 5xx, resets, stalls, cut SSE lines, malformed
 * events, ...) while their fallbacks are healthy. Samples the gateway's RSS, heap, active handles and open
 * sockets over time, plots them, and checks the gateway's contract (docs/reliability.md):
 *
 * - every request gets a complete, correct answer, except those whose serving attempt failed after the
 *   first byte, which must end with a well-formed terminal error (`response.failed` / `data: {"error"}`);
 *   a request whose primary failed before the first byte must have been served by a retry or the fallback;
 * - after the load, handles and sockets go back to where they were, and the live heap does not grow.
 *
 *   npm run soak [-- --duration 3m] [--concurrency 16] [--seed 1] [--log-level info]
 *
 * Processes: the gateway (bench/soak-gateway.ts: the Gateway class plus a sampler, bundled by esbuild,
 * `node --expose-gc`) in its own process; the fault mocks (primary and fallback, each serving both
 * upstream wires) and the load in this one. Everything on 127.0.0.1; the gateway is stopped at the end,
 * on error and on Ctrl-C. Writes bench/results/soak.md and soak.svg (raw numbers: .cache/bench/soak.json).
 * Exits 1 when a request failed or handles/sockets did not return to their start values. Not part of
 * `npm test` or CI.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RecordedRequest, Reply } from '../test/helpers/mock-upstream';
import { FAULTS, faultReply, FaultUpstream, type FaultName, type FaultOptions } from '../test/helpers/fault-upstream';
import { bundleEntries } from './lib/bundle';
import { Procs } from './lib/procs';
import { judgeStream, parseDuration, seededRandom, type Door, type Verdict } from './lib/soak-check';
import { median, percentile } from './lib/stats';
import { lineChartSvg } from './lib/svg';
import type { Sample } from './lib/self-sample';

const ROOT = resolve(__dirname, '..');
const CACHE = join(ROOT, '.cache/bench');
const RESULTS = join(ROOT, 'bench/results');

/** Faults of the primary deployments, by phase, with weights (per 100 requests). */
const HEALTHY: Array<[FaultName, number]> = [
  ['healthy', 24],
  ['healthy_fragmented', 10],
  ['healthy_keepalive', 6],
];
/** Faults before the first complete event: the gateway must retry or fall back, the client sees nothing of them. */
const BEFORE_FIRST_BYTE: Array<[FaultName, number]> = [
  ['rate_limit', 3],
  ['rate_limit_retry_after', 1],
  ['http_500', 3],
  ['http_502', 2],
  ['http_503', 3],
  ['http_529', 1],
  ['reset_before_headers', 4],
  ['no_headers', 2],
  ['headers_no_body', 2],
  ['keepalive_only', 1],
  ['invalid_json', 2],
  ['truncated_json', 2],
  ['html_200', 2],
  ['error_object_200', 2],
  ['error_first_event', 2],
  ['empty_body', 3],
];
/** Faults after text was sent: the client must get a well-formed terminal error. */
const AFTER_FIRST_BYTE: Array<[FaultName, number]> = [
  ['stall_mid_body', 4],
  ['reset_mid_body', 6],
  ['cut_mid_line', 5],
  ['malformed_sse', 3],
  ['in_stream_error', 4],
  ['no_terminal', 3],
];
const PHASE = new Map<string, 'healthy' | 'before' | 'after'>([
  ...HEALTHY.map(([f]) => [f, 'healthy'] as const),
  ...BEFORE_FIRST_BYTE.map(([f]) => [f, 'before'] as const),
  ...AFTER_FIRST_BYTE.map(([f]) => [f, 'after'] as const),
]);

/** The assistant text every upstream answers with (so the client can check each complete answer). */
const SOAK_TEXT = 'The soak answer: ' + Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ') + ' — café, "quoted", done.';
const FAULT_OPTIONS: FaultOptions = { text: SOAK_TEXT, chunkSize: 8, frameDelayMs: 4 };

/** The three kinds of request in the mix: door -> upstream wire. */
const ROUTES = [
  { id: 'responses->chat', door: 'responses' as Door, alias: 'soak-chat', weight: 40 },
  { id: 'responses->responses', door: 'responses' as Door, alias: 'soak-resp', weight: 30 },
  { id: 'chat->chat', door: 'chat' as Door, alias: 'soak-chat', weight: 30 },
];

interface Options {
  durationS: number;
  concurrency: number;
  seed: number;
  logLevel: string;
  /** Seconds of load before the start sample. */
  warmupS: number;
  /** Seconds of idle before each reference sample (SOAK_IDLE_S, default 32: beyond the upstream pool's keep-alive time). */
  idleS: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: { duration: { type: 'string' }, concurrency: { type: 'string' }, seed: { type: 'string' }, 'log-level': { type: 'string' } },
  });
  const durationS = parseDuration(values.duration ?? '180');
  return {
    durationS,
    concurrency: Number(values.concurrency ?? 16),
    seed: Number(values.seed ?? 1),
    logLevel: values['log-level'] ?? 'info',
    warmupS: Math.min(5, Math.max(1, durationS / 10)),
    // Longer than the gateway pool's keep-alive time (30 s, createDispatcher in src/gateway/upstream.ts), so
    // idle pooled upstream sockets are gone too and only the listening socket should remain.
    idleS: Number(process.env.SOAK_IDLE_S ?? 32),
  };
}

/** One request of the soak, as the client saw it. */
interface Rec {
  n: number;
  route: string;
  door: Door;
  /** ms since the soak started. */
  t0: number;
  t1: number;
  status?: number;
  fallbackFrom?: string;
  retries?: number;
  deployment?: string;
  verdict: Verdict;
  sequenceNotIncreasing: number;
  /** Filled in by {@link classify}. */
  outcome?: Outcome;
  /** Faults the primary gave this request, in order. */
  primaryFaults?: string[];
}

/** What a request counts as in the report. */
type Outcome = 'ok_first_try' | 'ok_after_retry' | 'ok_by_fallback' | 'terminal_error_after_first_byte' | 'failed';

const procs = new Procs();
const log = (m: string) => process.stderr.write(`soak: ${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Picks a fault per request by weight, remembering which (the FaultUpstream records it as `custom`). */
function mixReply(choices: Array<[FaultName, number]>, chosen: WeakMap<RecordedRequest, FaultName>, random: () => number): Reply {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  const replies = new Map(choices.map(([f]) => [f, faultReply(f, FAULT_OPTIONS)] as const));
  return (req, res) => {
    let r = random() * total;
    let f = choices[choices.length - 1][0];
    for (const [name, w] of choices) {
      if ((r -= w) < 0) {
        f = name;
        break;
      }
    }
    chosen.set(req, f);
    return replies.get(f)!(req, res);
  };
}

/** Sends one streamed request and reads the whole answer. Never rejects: transport errors become a broken verdict. */
function oneRequest(agent: Agent, port: number, gwKey: string, route: (typeof ROUTES)[number], n: number, t0: number): Promise<Rec> {
  const marker = `SOAKID-${n}-`;
  const body = JSON.stringify(
    route.door === 'responses'
      ? { model: route.alias, stream: true, store: false, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: `${marker} answer the soak.` }] }] }
      : { model: route.alias, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `${marker} answer the soak.` }] },
  );
  const rec: Rec = { n, route: route.id, door: route.door, t0: Date.now() - t0, t1: 0, verdict: { kind: 'broken', why: 'not sent' }, sequenceNotIncreasing: 0 };
  return new Promise((resolveP) => {
    let settled = false;
    const done = (v?: Verdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rec.t1 = Date.now() - t0;
      if (v) rec.verdict = v;
      resolveP(rec);
    };
    const req = request({
      agent,
      host: '127.0.0.1',
      port,
      path: route.door === 'responses' ? '/v1/responses' : '/v1/chat/completions',
      method: 'POST',
      headers: { authorization: `Bearer ${gwKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ kind: 'broken', why: 'no complete answer within 30 s (hang)' });
    }, 30_000);
    req.once('error', (e) => done({ kind: 'broken', why: `transport error: ${e.message}` }));
    req.once('response', (res) => {
      rec.status = res.statusCode;
      rec.fallbackFrom = res.headers['x-codex-gateway-fallback-from'] as string | undefined;
      rec.deployment = res.headers['x-codex-gateway-deployment'] as string | undefined;
      rec.retries = Number(res.headers['x-codex-gateway-retries'] ?? 0);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.once('error', (e) => done({ kind: 'broken', why: `response error after ${text.length} chars: ${e.message}` }));
      res.once('end', () => {
        if (res.statusCode !== 200) return done({ kind: 'broken', why: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` });
        const j = judgeStream(route.door, text, SOAK_TEXT);
        rec.sequenceNotIncreasing = j.remarks.sequenceNotIncreasing;
        done(j.verdict);
      });
    });
    req.end(body);
  });
}

/** Runs `concurrency` request loops until `untilMs` (epoch); returns the records. */
async function load(o: Options, port: number, gwKey: string, t0: number, untilMs: number, random: () => number, counter: { n: number }, onRec: (r: Rec) => void): Promise<Rec[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const total = ROUTES.reduce((s, r) => s + r.weight, 0);
  const recs: Rec[] = [];
  const worker = async () => {
    while (Date.now() < untilMs) {
      let r = random() * total;
      const route = ROUTES.find((x) => (r -= x.weight) < 0) ?? ROUTES[0];
      const rec = await oneRequest(agent, port, gwKey, route, ++counter.n, t0);
      recs.push(rec);
      onRec(rec);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  agent.destroy();
  return recs;
}

/** Sets `outcome` and `primaryFaults` of each record from the primary's exchanges (matched by the SOAKID marker). */
function classify(recs: Rec[], primary: FaultUpstream, chosen: WeakMap<RecordedRequest, FaultName>): void {
  const byId = new Map<number, string[]>();
  for (const x of primary.exchanges) {
    const m = /SOAKID-(\d+)-/.exec(JSON.stringify(x.request.body ?? ''));
    if (!m) continue;
    const id = Number(m[1]);
    const list = byId.get(id) ?? [];
    list.push(chosen.get(x.request) ?? x.fault);
    byId.set(id, list);
  }
  for (const r of recs) {
    r.primaryFaults = byId.get(r.n) ?? [];
    const v = r.verdict;
    if (v.kind === 'complete') r.outcome = r.fallbackFrom ? 'ok_by_fallback' : (r.retries ?? 0) > 0 ? 'ok_after_retry' : 'ok_first_try';
    else if (v.kind === 'terminal_error') {
      // Legitimate only when the attempt that served the stream (the primary's last) failed after the first byte.
      const served = r.fallbackFrom ? undefined : r.primaryFaults[r.primaryFaults.length - 1];
      r.outcome = served && PHASE.get(served) === 'after' ? 'terminal_error_after_first_byte' : 'failed';
      if (r.outcome === 'failed') r.verdict = { kind: 'broken', why: `terminal error (${v.code}: ${v.message.slice(0, 120)}) although the serving attempt's fault was ${served ?? `none (served by ${r.deployment ?? '?'})`}` };
    } else r.outcome = 'failed';
  }
}

/** Reads the sampler lines the gateway printed into its log. */
function samplesOf(logFile: string): Sample[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('SOAK_SAMPLE '))
    .map((l) => JSON.parse(l.slice('SOAK_SAMPLE '.length)) as Sample);
}

/** Asks the gateway for a sample after a full GC and returns it. */
async function gcSample(pid: number, logFile: string): Promise<Sample | undefined> {
  const before = samplesOf(logFile).filter((s) => s.gc).length;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const g = samplesOf(logFile).filter((s) => s.gc);
    if (g.length > before) return g[g.length - 1];
  }
  return undefined;
}

async function soak(o: Options): Promise<number> {
  const started = Date.now();
  const loadBefore = loadavg();
  mkdirSync(join(CACHE, 'bundles'), { recursive: true });
  mkdirSync(join(CACHE, 'logs'), { recursive: true });
  mkdirSync(RESULTS, { recursive: true });
  const { 'soak-gateway': bundle } = await bundleEntries(ROOT, join(CACHE, 'bundles'), { 'soak-gateway': 'bench/soak-gateway.ts' });

  const upKey = `soak-up-${randomBytes(12).toString('hex')}`;
  const gwKey = `soak-gw-${randomBytes(12).toString('hex')}`;
  const random = seededRandom(o.seed);
  const chosen = new WeakMap<RecordedRequest, FaultName>();
  const primary = await FaultUpstream.start({ name: 'primary', apiKey: upKey, always: mixReply([...HEALTHY, ...BEFORE_FIRST_BYTE, ...AFTER_FIRST_BYTE], chosen, seededRandom(o.seed + 1)), faultOptions: FAULT_OPTIONS });
  const fallback = await FaultUpstream.start({ name: 'fallback', apiKey: upKey, always: 'healthy', faultOptions: FAULT_OPTIONS });
  const config = join(CACHE, 'soak-config.yaml');
  const dep = (alias: string, base: string, wire: string, faulty: boolean) => [
    `  - model_name: ${alias}`,
    '    litellm_params:',
    '      model: openai_compatible/soak-model',
    `      api_base: ${base}`,
    '      api_key: os.environ/SOAK_UPSTREAM_KEY',
    `      wire_api: ${wire}`,
    ...(faulty ? ['      stream_timeout: 1', '      timeout: 5'] : []),
  ];
  writeFileSync(
    config,
    [
      '# Written by bench/soak.ts for one soak run.',
      'model_list:',
      ...dep('soak-chat', primary.baseUrl, 'chat', true),
      ...dep('soak-chat-fallback', fallback.baseUrl, 'chat', false),
      ...dep('soak-resp', primary.baseUrl, 'responses', true),
      ...dep('soak-resp-fallback', fallback.baseUrl, 'responses', false),
      'router_settings:',
      '  num_retries: 1',
      '  retry_after: 0',
      '  allowed_fails: 1000',
      '  cooldown_time: 0.5',
      '  fallbacks:',
      '    - soak-chat: [soak-chat-fallback]',
      '    - soak-resp: [soak-resp-fallback]',
      'general_settings:',
      '  master_key: os.environ/SOAK_GATEWAY_KEY',
      'gateway_settings:',
      '  host: 127.0.0.1',
      `  log_level: ${o.logLevel}`,
      '  stream_idle_timeout_ms: 1000',
      '',
    ].join('\n'),
  );
  const logFile = join(CACHE, 'logs/soak-gateway.log');
  const gw = await procs.startServer('soak gateway', ['--expose-gc', bundle, '--config', config], logFile, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(CACHE, 'home'), LANG: 'C.UTF-8', SOAK_UPSTREAM_KEY: upKey, SOAK_GATEWAY_KEY: gwKey, SOAK_SAMPLE_MS: '1000' },
    ready: /BENCH_LISTENING (\d+)/,
    timeoutMs: 30_000,
    cwd: ROOT,
  });
  const gwT0 = Date.now();
  log(`fault mocks: primary ${primary.baseUrl}, fallback ${fallback.baseUrl}`);
  log(`gateway pid ${gw.pid} on 127.0.0.1:${gw.port}; ${o.concurrency} concurrent streams, ${o.warmupS} s warm-up, then ${o.durationS} s of load (seed ${o.seed})`);

  const counter = { n: 0 };
  const perSecond: Array<{ t: number; ok: number; terminal: number; broken: number }> = [];
  const t0 = Date.now();
  const bucket = (rec: Rec) => {
    const s = Math.floor(rec.t1 / 1000);
    while (perSecond.length <= s) perSecond.push({ t: perSecond.length, ok: 0, terminal: 0, broken: 0 });
    const b = perSecond[s];
    if (rec.verdict.kind === 'complete') b.ok++;
    else if (rec.verdict.kind === 'terminal_error') b.terminal++;
    else b.broken++;
  };
  const recs: Rec[] = [];
  // Warm-up, then idle, then the start reference sample.
  recs.push(...(await load(o, gw.port, gwKey, t0, Date.now() + o.warmupS * 1000, random, counter, bucket)));
  await sleep(o.idleS * 1000);
  const startSample = await gcSample(gw.pid, logFile);
  const loadStartS = (Date.now() - t0) / 1000;
  const progress = setInterval(() => {
    const sum = perSecond.reduce((a, b) => ({ ok: a.ok + b.ok, terminal: a.terminal + b.terminal, broken: a.broken + b.broken }), { ok: 0, terminal: 0, broken: 0 });
    log(`${((Date.now() - t0) / 1000).toFixed(0)} s: ${counter.n} requests sent; ${sum.ok} complete, ${sum.terminal} terminal errors, ${sum.broken} broken so far`);
  }, 15_000);
  let shown = 0;
  const main = await load(o, gw.port, gwKey, t0, Date.now() + o.durationS * 1000, random, counter, (r) => {
    bucket(r);
    if (r.verdict.kind === 'broken' && shown++ < 10) log(`request ${r.n} (${r.route}) broken: ${r.verdict.why.slice(0, 200)}${shown === 10 ? ' (further ones only in the report)' : ''}`);
  });
  clearInterval(progress);
  recs.push(...main);
  const loadEndS = (Date.now() - t0) / 1000;
  await sleep(o.idleS * 1000);
  const endSample = await gcSample(gw.pid, logFile);
  // Upstream exchanges the gateway still holds open after the idle time (a hung attempt it never let go).
  const stillOpen = [...primary.exchanges, ...fallback.exchanges]
    .filter((e) => e.closedAt === undefined)
    .map((e) => ({ fault: chosen.get(e.request) ?? e.fault, wire: e.wire ?? '?', ageS: (Date.now() - e.startedAt) / 1000, id: /SOAKID-(\d+)-/.exec(JSON.stringify(e.request.body ?? ''))?.[1] }));
  const samples = samplesOf(logFile).map((s) => ({ ...s, t: s.t + (gwT0 - t0) }));
  await procs.stop(gw.proc, 5000);
  await primary.close();
  await fallback.close();

  classify(recs, primary, chosen);
  const loadAfter = loadavg();
  const report = buildReport(o, recs, primary, samples, startSample, endSample, { started, loadBefore, loadAfter, loadStartS, loadEndS, perSecond, chosen, stillOpen });
  writeFileSync(join(RESULTS, 'soak.md'), report.md);
  writeFileSync(join(RESULTS, 'soak.svg'), report.svg);
  writeFileSync(join(CACHE, 'soak.json'), JSON.stringify({ options: o, samples, startSample, endSample, perSecond, summary: report.summary }, null, 2));
  process.stdout.write(`\n${report.md}\n`);
  log(`wrote bench/results/soak.md and soak.svg (raw: .cache/bench/soak.json) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return report.pass ? 0 : 1;
}

const MiB = 1024 * 1024;

function buildReport(
  o: Options,
  recs: Rec[],
  primary: FaultUpstream,
  samples: Sample[],
  startSample: Sample | undefined,
  endSample: Sample | undefined,
  x: {
    started: number;
    loadBefore: number[];
    loadAfter: number[];
    loadStartS: number;
    loadEndS: number;
    perSecond: Array<{ t: number; ok: number; terminal: number; broken: number }>;
    chosen: WeakMap<RecordedRequest, FaultName>;
    stillOpen: Array<{ fault: string; wire: string; ageS: number; id?: string }>;
  },
) {
  const count = (f: (r: Rec) => boolean) => recs.filter(f).length;
  const outcomes: Outcome[] = ['ok_first_try', 'ok_after_retry', 'ok_by_fallback', 'terminal_error_after_first_byte', 'failed'];
  const failed = recs.filter((r) => r.outcome === 'failed');
  // Requests the primary failed before the first byte at least once: none may fail; each was served by a
  // retry (which may itself fail after the first byte: a legitimate terminal error) or the fallback.
  const beforeFault = recs.filter((r) => (r.primaryFaults ?? []).some((f) => PHASE.get(f) === 'before'));
  const beforeServed = beforeFault.filter((r) => r.outcome !== 'failed' && r.outcome !== 'ok_first_try');
  const seqRemarks = recs.reduce((s, r) => s + r.sequenceNotIncreasing, 0);
  const faultCounts = new Map<string, number>();
  for (const e of primary.exchanges) {
    const f = x.chosen.get(e.request) ?? e.fault;
    faultCounts.set(f, (faultCounts.get(f) ?? 0) + 1);
  }
  const reasons = new Map<string, number>();
  for (const r of failed) {
    const why = r.verdict.kind === 'broken' ? r.verdict.why.replace(/\d+/g, 'N').slice(0, 140) : r.verdict.kind;
    const k = `${r.route}: ${why}${r.primaryFaults?.length ? ` [primary faults: ${r.primaryFaults.join(', ')}]` : ''}`;
    reasons.set(k, (reasons.get(k) ?? 0) + 1);
  }
  const okLat = recs.filter((r) => r.outcome?.startsWith('ok')).map((r) => r.t1 - r.t0);
  const delta = (k: keyof Sample) => (startSample && endSample ? Number(endSample[k]) - Number(startSample[k]) : NaN);
  const handlesBack = startSample && endSample ? endSample.handlesTotal <= startSample.handlesTotal : false;
  const socketsBack = startSample && endSample ? endSample.sockets <= startSample.sockets : false;
  const heapGrowthMiB = delta('heapUsed') / MiB;
  const pass = failed.length === 0 && handlesBack && socketsBack && x.stillOpen.length === 0;
  const peak = (k: 'rss' | 'handlesTotal' | 'sockets') => Math.max(...samples.map((s) => s[k]));
  const lines: string[] = [];
  lines.push(`# Codex Gateway soak: ${new Date(x.started).toISOString()}`, '');
  lines.push(
    `Machine: ${cpus()[0]?.model.trim() ?? 'unknown'}, ${cpus().length} cores (shared with other work), Node ${process.version}. Load average before/after: ${x.loadBefore.map((v) => v.toFixed(2)).join(' ')} / ${x.loadAfter.map((v) => v.toFixed(2)).join(' ')}.`,
    '',
  );
  lines.push(
    `Settings: ${o.concurrency} concurrent streaming requests, ${o.warmupS} s warm-up, ${o.durationS} s of load, seed ${o.seed}, gateway log level ${o.logLevel}. ` +
      `Mix: ${ROUTES.map((r) => `${r.weight}% ${r.id}`).join(', ')} (door -> upstream wire). ` +
      'Each alias has a primary deployment on the fault mock (test/helpers/fault-upstream.ts; `stream_timeout: 1`, `timeout: 5`) and a healthy fallback alias; ' +
      '`num_retries: 1`, `retry_after: 0`, `allowed_fails: 1000`, `cooldown_time: 0.5`, `stream_idle_timeout_ms: 1000`. ' +
      `Every answer carries the same ${SOAK_TEXT.length}-character text in ${FAULT_OPTIONS.chunkSize}-character deltas ${FAULT_OPTIONS.frameDelayMs} ms apart, so each complete answer is checked word for word.`,
    '',
  );
  lines.push('## Verdict', '', '| check | result | |', '|---|---|---|');
  lines.push(`| zero failed requests (every request had a healthy fallback) | ${failed.length} failed of ${recs.length} | ${failed.length === 0 ? 'pass' : '**FAIL**'} |`);
  lines.push(
    `| requests whose primary failed before the first byte were served by a retry (complete, or a terminal error when the retry failed after the first byte) or the fallback | ${beforeServed.length} of ${beforeFault.length} | ${beforeServed.length === beforeFault.length ? 'pass' : '**FAIL**'} |`,
  );
  lines.push(`| faults after the first byte ended with a well-formed terminal error (counted apart, not failures) | ${count((r) => r.outcome === 'terminal_error_after_first_byte')} | |`);
  lines.push(
    `| active handles back to the start value after the load (${o.idleS} s idle, full GC) | ${startSample?.handlesTotal ?? '?'} -> ${endSample?.handlesTotal ?? '?'} | ${handlesBack ? 'pass' : '**FAIL**'} |`,
  );
  lines.push(`| open sockets back to the start value | ${startSample?.sockets ?? '?'} -> ${endSample?.sockets ?? '?'} | ${socketsBack ? 'pass' : '**FAIL**'} |`);
  const openFaults = [...new Set(x.stillOpen.map((e) => `${e.fault} (${e.wire})`))].join(', ');
  lines.push(
    `| upstream connections the gateway let go: fault-mock exchanges still open ${o.idleS} s after the load | ${x.stillOpen.length}${x.stillOpen.length ? `: ${openFaults}; oldest ${Math.max(...x.stillOpen.map((e) => e.ageS)).toFixed(0)} s` : ''} | ${x.stillOpen.length === 0 ? 'pass' : '**FAIL**'} |`,
  );
  lines.push(`| live JS heap after full GC, end - start | ${Number.isNaN(heapGrowthMiB) ? '?' : `${heapGrowthMiB >= 0 ? '+' : ''}${heapGrowthMiB.toFixed(2)} MiB`} | ${Math.abs(heapGrowthMiB) < 2 ? 'flat' : 'grew: check'} |`);
  lines.push('', '![Soak: memory, handles, sockets and requests over time](soak.svg)', '');
  lines.push('## Requests', '');
  lines.push('| outcome | ' + ROUTES.map((r) => r.id).join(' | ') + ' | all |', '|---|' + ROUTES.map(() => '---:|').join('') + '---:|');
  for (const oc of outcomes) lines.push(`| ${oc.replace(/_/g, ' ')} | ${ROUTES.map((r) => count((q) => q.route === r.id && q.outcome === oc)).join(' | ')} | ${count((q) => q.outcome === oc)} |`);
  lines.push(`| **all** | ${ROUTES.map((r) => count((q) => q.route === r.id)).join(' | ')} | ${recs.length} |`);
  lines.push(
    '',
    `Complete answers: p50 ${median(okLat).toFixed(0)} ms, p99 ${percentile(okLat, 99).toFixed(0)} ms from request to last byte (a healthy stream takes about ${Math.ceil(SOAK_TEXT.length / FAULT_OPTIONS.chunkSize!) * FAULT_OPTIONS.frameDelayMs!} ms; retries wait 200-300 ms, stalls 1 s). ` +
      `Responses events whose sequence_number did not increase: ${seqRemarks} (not a failure; Codex does not read it).`,
  );
  if (failed.length) {
    lines.push('', '### Failed requests by reason', '', '| requests | route: reason |', '|---:|---|');
    for (const [k, v] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 30)) lines.push(`| ${v} | ${k.replace(/\|/g, '\\|')} |`);
  }
  lines.push('', '## Faults the primary gave', '', '| fault | phase | answers | what it does (stream) |', '|---|---|---:|---|');
  for (const [f, n] of [...faultCounts].sort((a, b) => b[1] - a[1])) lines.push(`| ${f} | ${PHASE.get(f) ?? '?'} | ${n} | ${(FAULTS as Record<string, { stream: string }>)[f]?.stream ?? ''} |`);
  lines.push('', '## Gateway process', '');
  lines.push(
    `Sampled every second inside the gateway process (bench/soak-gateway.ts): \`process.memoryUsage()\`, \`process.getActiveResourcesInfo()\` and /proc/self/fd. Start: after the warm-up and ${o.idleS} s idle, full GC; end: ${o.idleS} s after the load stopped, full GC. Peaks over the whole run.`,
    '',
  );
  lines.push('| | start | end | peak |', '|---|---:|---:|---:|');
  const mib = (v?: number) => (v === undefined ? '?' : (v / MiB).toFixed(1));
  lines.push(`| RSS, MiB | ${mib(startSample?.rss)} | ${mib(endSample?.rss)} | ${mib(peak('rss'))} |`);
  lines.push(`| JS heap used, MiB | ${mib(startSample?.heapUsed)} | ${mib(endSample?.heapUsed)} | ${mib(Math.max(...samples.map((s) => s.heapUsed)))} |`);
  lines.push(`| external memory (array buffers included), MiB | ${mib(startSample?.external)} | ${mib(endSample?.external)} | ${mib(Math.max(...samples.map((s) => s.external)))} |`);
  lines.push(`| active handles (total) | ${startSample?.handlesTotal ?? '?'} | ${endSample?.handlesTotal ?? '?'} | ${peak('handlesTotal')} |`);
  const types = [...new Set([...Object.keys(startSample?.handles ?? {}), ...Object.keys(endSample?.handles ?? {}), ...samples.flatMap((s) => Object.keys(s.handles))])].sort();
  for (const t of types) lines.push(`| - ${t} | ${startSample?.handles[t] ?? 0} | ${endSample?.handles[t] ?? 0} | ${Math.max(...samples.map((s) => s.handles[t] ?? 0))} |`);
  lines.push(`| open sockets (fds) | ${startSample?.sockets ?? '?'} | ${endSample?.sockets ?? '?'} | ${peak('sockets')} |`);
  lines.push(`| file descriptors | ${startSample?.fds ?? '?'} | ${endSample?.fds ?? '?'} | ${Math.max(...samples.map((s) => s.fds))} |`);
  const kinds = (s?: Sample) => (s?.socketKinds?.length ? s.socketKinds.join('; ') : '?');
  lines.push('', `Sockets at the start: ${kinds(startSample)}. At the end: ${kinds(endSample)}.`);
  lines.push('', 'Reproduce: `npm run soak -- --duration ' + o.durationS + 's --concurrency ' + o.concurrency + ' --seed ' + o.seed + '`.', '');

  const markers: Array<[number, string]> = [
    [x.loadStartS, 'load'],
    [x.loadEndS, 'stop'],
  ];
  const svg = lineChartSvg({
    title: `Codex Gateway soak (${new Date(x.started).toISOString().slice(0, 16).replace('T', ' ')} UTC): ${recs.length} requests, ${failed.length} failed`,
    subtitle: `${o.concurrency} concurrent streams through faulty primaries with healthy fallbacks.\n${cpus().length} shared cores, load average ${x.loadBefore[0].toFixed(1)} -> ${x.loadAfter[0].toFixed(1)}`,
    xUnit: 's',
    panels: [
      {
        title: 'gateway memory',
        unit: 'MiB',
        markers,
        series: [
          { name: 'RSS', points: samples.map((s) => [s.t / 1000, s.rss / MiB]) },
          { name: 'JS heap used', points: samples.map((s) => [s.t / 1000, s.heapUsed / MiB]) },
        ],
      },
      {
        title: 'active handles',
        unit: 'count',
        markers,
        series: [
          { name: 'all', points: samples.map((s) => [s.t / 1000, s.handlesTotal]) },
          { name: 'TCPSocketWrap', points: samples.map((s) => [s.t / 1000, s.handles.TCPSocketWrap ?? 0]) },
          { name: 'Timeout', points: samples.map((s) => [s.t / 1000, s.handles.Timeout ?? 0]) },
        ],
      },
      { title: 'open sockets (fds)', unit: 'count', markers, series: [{ name: 'sockets', points: samples.map((s) => [s.t / 1000, s.sockets]) }] },
      {
        title: 'requests finished per second',
        unit: 'req/s',
        markers,
        series: [
          { name: 'complete', points: x.perSecond.map((b) => [b.t, b.ok]) },
          { name: 'terminal error', points: x.perSecond.map((b) => [b.t, b.terminal]) },
          { name: 'broken', points: x.perSecond.map((b) => [b.t, b.broken]) },
        ],
      },
    ],
  });
  const summary = {
    requests: recs.length,
    outcomes: Object.fromEntries(outcomes.map((oc) => [oc, count((r) => r.outcome === oc)])),
    failedReasons: Object.fromEntries(reasons),
    beforeFirstByte: { faulted: beforeFault.length, served: beforeServed.length },
    faults: Object.fromEntries(faultCounts),
    heapGrowthMiB,
    pass,
  };
  return { md: lines.join('\n'), svg, summary, pass };
}

async function main(): Promise<void> {
  const o = options();
  process.on('exit', () => procs.killAllSync());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping the gateway`);
      procs.stopAll().finally(() => process.exit(130));
    });
  }
  const limit = setTimeout(
    () => {
      log('the soak took far longer than asked: stopping');
      procs.stopAll().finally(() => process.exit(1));
    },
    (o.durationS + o.warmupS + 2 * o.idleS + 120) * 1000,
  );
  limit.unref();
  const code = await soak(o);
  await procs.stopAll();
  process.exit(code);
}

main().catch((e) => {
  log(`failed: ${(e as Error).stack ?? String(e)}`);
  procs.stopAll().finally(() => process.exit(2));
});
