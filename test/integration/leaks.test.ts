/**
 * Integration (issue 7, "the gateway's contract under failure"): client aborts do not leak.
 *
 * 1,000 streamed requests through the real gateway on loopback, in batches of 50 at a time, spread over
 * the three streaming paths: `/v1/responses` to a Chat Completions upstream (translated), `/v1/responses`
 * to a Responses upstream (passed through) and `/v1/chat/completions` (passed through). Each upstream mock
 * answers headers and a first chunk, then holds the stream open; each client reads until that chunk
 * arrived through the gateway, then destroys its socket. For every request the time from the client's
 * abort to the moment the upstream mock saw its connection close is measured (same process, same
 * monotonic clock); each must be within 100 ms once the time this process was descheduled by an overloaded
 * machine is taken out (`StarvationMeter`: wall time not covered by the process's CPU time; the gateway's
 * own work and event-loop blocking still count), and the uncorrected median must be within 100 ms too.
 * p50/p99/max (wall and corrected) are printed.
 *
 * Afterwards, within a bounded wait, nothing may remain above the baseline taken after a warm-up:
 * active timers and TCP sockets (`process.getActiveResourcesInfo()`), sockets by role (client, gateway
 * server side, gateway to upstream, upstream server side), the gateway server's connections, the gateway's
 * upstream pool (sockets and requests), listener counts of the long-lived emitters (gateway server, mock
 * servers, upstream dispatcher, process), router slots in flight and the gateway's in-flight count. No
 * process warning (e.g. MaxListenersExceededWarning) may be emitted, and the gateway writes one log line
 * per request and no error line. One exception, bounded: upstream connections that never carried a byte
 * (undici 7.30 reconnects for a request aborted mid-response, then drops it and leaves the fresh socket
 * idle in the pool, nodejs/undici#5845) may remain, at most one batch's worth; one per abort would be 20
 * times that.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import * as http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fakeKey, startGateway, type TestGateway } from '../helpers/gateway';
import { findGatewayServer } from '../helpers/leak-taps';
import { gatewayDispatcher, growth, httpServerOnPort, percentile, pollUntil, LiveResourceTracker, snapshot, StarvationMeter, statsAgent, type ProbeTargets, type ResourceSnapshot } from '../helpers/leak-probes';
import { MockUpstream, type Reply } from '../helpers/mock-upstream';

/** Requests in total, and how many run at once. */
const TOTAL = 1000;
const BATCH = 50;
/** The bound on abort -> upstream close, per request (ms). */
const CLOSE_BOUND_MS = 100;
/** Text of the first upstream chunk; the client aborts once it has seen it. */
const FIRST = 'leak-first-chunk';

type Route = 'responses->chat' | 'responses->responses' | 'chat->chat';
const ROUTES: Route[] = ['responses->chat', 'responses->responses', 'chat->chat'];

/** One request's timeline (performance.now() ms). */
interface Rec {
  id: number;
  route: Route;
  /** When the client destroyed its socket. */
  abortedAt?: number;
  /** When the upstream mock's socket for this request closed. */
  upstreamClosedAt?: number;
  /** The mock's safety timer ended the hold (the gateway never closed the upstream). */
  heldTooLong?: boolean;
}

const SSE_HEAD = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * Upstream reply for both wires: headers and one first chunk carrying {@link FIRST}, then nothing until
 * the connection closes (what a slow model looks like). Records the close time on the request's {@link Rec}
 * (found by the `leakprobe-<id>` marker in the request body). A 15 s safety timer ends a hold the gateway
 * never closed, so a regression fails the test instead of hanging it.
 */
function holdReply(recs: Map<number, Rec>): Reply {
  return (req, res) =>
    new Promise<void>((resolve) => {
      const m = /leakprobe-(\d+)/.exec(JSON.stringify(req.body ?? ''));
      const rec = m ? recs.get(Number(m[1])) : undefined;
      let safety: NodeJS.Timeout | undefined;
      const closed = () => {
        if (rec && rec.upstreamClosedAt === undefined) rec.upstreamClosedAt = performance.now();
        if (safety) clearTimeout(safety);
        resolve();
      };
      const socket = res.socket;
      if (!socket || socket.destroyed) return closed();
      socket.once('close', closed);
      safety = setTimeout(() => {
        if (rec) rec.heldTooLong = true;
        res.destroy();
      }, 15_000);
      res.writeHead(200, SSE_HEAD);
      if (req.path.endsWith('/responses')) {
        const created = { type: 'response.created', sequence_number: 0, response: { id: 'resp_leak', object: 'response', status: 'in_progress', model: req.body?.model, output: [] } };
        const delta = { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_leak', output_index: 0, content_index: 0, delta: FIRST };
        res.write(`event: response.created\ndata: ${JSON.stringify(created)}\n\nevent: response.output_text.delta\ndata: ${JSON.stringify(delta)}\n\n`);
      } else {
        const chunk = { id: 'chatcmpl-leak', object: 'chat.completion.chunk', created: 1, model: req.body?.model, choices: [{ index: 0, delta: { role: 'assistant', content: FIRST }, finish_reason: null }] };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      }
    });
}

/**
 * One streamed request on its own connection (no agent) that destroys its socket as soon as the first
 * upstream chunk came through the gateway. Resolves at the abort; rejects on a non-200 answer, an error
 * before the abort, or no first chunk within 10 s.
 */
function abortAfterFirstChunk(g: TestGateway, rec: Rec): Promise<void> {
  const marker = `leakprobe-${rec.id}`;
  const [path, body] =
    rec.route === 'chat->chat'
      ? ['/v1/chat/completions', { model: 'chat', stream: true, messages: [{ role: 'user', content: marker }] }]
      : ['/v1/responses', { model: rec.route === 'responses->chat' ? 'chat' : 'resp', stream: true, input: marker }];
  const text = JSON.stringify(body);
  const u = new URL(g.url);
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (e) reject(e);
      else resolve();
    };
    const req = http.request({
      host: u.hostname,
      port: Number(u.port),
      method: 'POST',
      path,
      agent: false,
      headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`request ${rec.id} (${rec.route}): no first chunk within 10 s`));
    }, 10_000);
    req.on('response', (res) => {
      let seen = '';
      res.setEncoding('utf8');
      res.on('error', () => undefined); // "aborted" after our own destroy
      res.on('data', (c: string) => {
        seen += c;
        if (done) return;
        if (res.statusCode !== 200) return;
        if (seen.includes(FIRST)) {
          rec.abortedAt = performance.now();
          req.destroy();
          finish();
        }
      });
      res.on('end', () => finish(new Error(`request ${rec.id} (${rec.route}): HTTP ${res.statusCode} ended before the first chunk: ${seen.slice(0, 300)}`)));
    });
    req.on('error', (e) => finish(new Error(`request ${rec.id} (${rec.route}): ${e.message}`)));
    req.end(text);
  });
}

/** Runs `recs` at once and waits (bounded) until the upstream saw each connection close. */
async function runBatch(g: TestGateway, recs: Rec[]): Promise<void> {
  await Promise.all(recs.map((r) => abortAfterFirstChunk(g, r)));
  await pollUntil(
    () => recs.every((r) => r.upstreamClosedAt !== undefined),
    (v) => v,
    3_000,
    5,
  );
}

function stats(xs: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : NaN };
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

describe('Leaks: client aborts mid-stream', function () {
  let chatUp: MockUpstream;
  let respUp: MockUpstream;
  let g: TestGateway;
  let targets: ProbeTargets;
  const recs = new Map<number, Rec>();

  before(async () => {
    const chatKey = fakeKey('leak-chat');
    const respKey = fakeKey('leak-resp');
    chatUp = await MockUpstream.start({ name: 'leak-chat', apiKey: chatKey });
    respUp = await MockUpstream.start({ name: 'leak-resp', apiKey: respKey });
    chatUp.setFallback(holdReply(recs));
    respUp.setFallback(holdReply(recs));
    g = await startGateway(
      `
model_list:
  - model_name: chat
    litellm_params:
      model: deepseek/deepseek-chat
      api_base: ${chatUp.baseUrl}
      api_key: os.environ/LEAK_CHAT_KEY
      wire_api: chat
  - model_name: resp
    litellm_params:
      model: openai/gpt-leak
      api_base: ${respUp.baseUrl}
      api_key: os.environ/LEAK_RESP_KEY
      wire_api: responses
router_settings:
  num_retries: 0
  allowed_fails: 100000
`,
      { LEAK_CHAT_KEY: chatKey, LEAK_RESP_KEY: respKey },
    );
    const port = Number(new URL(g.url).port);
    const server = findGatewayServer(g.gw, port);
    assert.ok(server, "cannot reach the gateway's http server (test/helpers/leak-taps.ts findGatewayServer)");
    const dispatcher = gatewayDispatcher(g.gw);
    assert.ok(dispatcher && statsAgent(dispatcher), "cannot reach the gateway's upstream dispatcher stats (test/helpers/leak-probes.ts gatewayDispatcher/statsAgent)");
    const upPorts = [chatUp, respUp].map((u) => Number(new URL(u.origin).port));
    const emitters: Record<string, EventEmitter> = { 'gateway server': server, dispatcher: dispatcher as EventEmitter, 'upstream agent': statsAgent(dispatcher) as unknown as EventEmitter, process };
    upPorts.forEach((p, i) => {
      const s = httpServerOnPort(p);
      assert.ok(s, `cannot find the mock upstream's server on port ${p}`);
      emitters[`mock server ${i}`] = s;
    });
    targets = { server, gatewayPort: port, upstreamPorts: upPorts, dispatcher, emitters };
  });

  after(async () => {
    await g?.close();
    await Promise.all([chatUp?.close(), respUp?.close()]);
  });

  it(`closes the upstream within ${CLOSE_BOUND_MS} ms of each of ${TOTAL} client aborts, and leaves no timers, sockets or listeners behind`, async function () {
    assert.equal(typeof (process as unknown as { _getActiveHandles?: unknown })._getActiveHandles, 'function', 'process._getActiveHandles is needed to sort sockets by role');
    const t0 = performance.now();
    let nextId = 0;
    const make = (route: Route): Rec => {
      const r: Rec = { id: nextId++, route };
      recs.set(r.id, r);
      return r;
    };

    // Warm-up: one abort per path (lazy state: pools, parsers, JIT), then the baseline once all settled.
    const warm = ROUTES.map(make);
    for (const r of warm) await runBatch(g, [r]);
    const settled = (s: ResourceSnapshot) =>
      s.gatewayConnections === 0 && !!s.sockets && Object.entries(s.sockets).every(([role, n]) => role === 'other' || n === 0);
    const base = await pollUntil(() => snapshot(targets), settled, 5_000);
    assert.ok(base.ok, `the warm-up aborts did not settle within 5 s: ${JSON.stringify(base.value)}`);
    const baseline = base.value;
    const upstreamPostsBefore = chatUp.requests.length + respUp.requests.length;
    const logLinesBefore = g.logs.length;

    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    // Timers and TCP handles created from here on and still alive at the end, unref'd ones included.
    const tracker = new LiveResourceTracker(new Set(['Timeout', 'TCPWRAP']));
    tracker.enable();
    try {
      await measureAndCheck(loop, tracker, baseline, upstreamPostsBefore, logLinesBefore, t0, make);
    } finally {
      tracker.disable();
    }
  });

  async function measureAndCheck(
    loop: ReturnType<typeof monitorEventLoopDelay>,
    tracker: LiveResourceTracker,
    baseline: ResourceSnapshot,
    upstreamPostsBefore: number,
    logLinesBefore: number,
    t0: number,
    make: (route: Route) => Rec,
  ): Promise<void> {
    const starvation = new StarvationMeter();
    starvation.start();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const measured: Rec[] = [];
    try {
      for (let start = 0; start < TOTAL; start += BATCH) {
        const batch: Rec[] = [];
        for (let i = start; i < Math.min(TOTAL, start + BATCH); i++) batch.push(make(ROUTES[i % ROUTES.length]));
        measured.push(...batch);
        await runBatch(g, batch);
      }
    } finally {
      process.off('warning', onWarning);
    }
    const runMs = performance.now() - t0;
    loop.disable();
    starvation.stop();
    const loopLine = `event loop delay p50 ${ms(loop.percentile(50) / 1e6)}, p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}`;

    // Every upstream connection closed, each within the bound of its client's abort. The bound applies to
    // the wall time minus the time this process was descheduled by an overloaded machine (StarvationMeter):
    // the gateway cannot act while it does not run; its own work and event-loop blocking still count.
    const open = measured.filter((r) => r.upstreamClosedAt === undefined || r.heldTooLong);
    const closed = measured.filter((r) => r.upstreamClosedAt !== undefined && r.abortedAt !== undefined);
    const wallOf = (r: Rec) => r.upstreamClosedAt! - r.abortedAt!;
    const ownOf = (r: Rec) => wallOf(r) - starvation.starvedMs(r.abortedAt!, r.upstreamClosedAt!);
    const wall = stats(closed.map(wallOf));
    const own = stats(closed.map(ownOf));
    const per = ROUTES.map((route) => {
      const s = stats(closed.filter((r) => r.route === route).map(wallOf));
      return `${route}: n=${s.n} p50 ${ms(s.p50)} p99 ${ms(s.p99)} max ${ms(s.max)}`;
    });
    const line =
      `abort -> upstream close over ${wall.n} requests: p50 ${ms(wall.p50)}, p99 ${ms(wall.p99)}, max ${ms(wall.max)} ` +
      `(${per.join('; ')}); without time the process was descheduled (${ms(starvation.totalStarvedMs())} in all): ` +
      `p99 ${ms(own.p99)}, max ${ms(own.max)}; ${TOTAL} aborts in ${ms(runMs)}, ${BATCH} at a time; ${loopLine}`;
    console.log(`      ${line}`);
    assert.equal(open.length, 0, `${open.length} upstream connections were not closed after the client aborted (ids ${open.slice(0, 10).map((r) => `${r.id} ${r.route}`).join(', ')})`);
    const slow = closed.filter((r) => ownOf(r) > CLOSE_BOUND_MS);
    assert.equal(slow.length, 0, `${slow.length} upstream connections closed later than ${CLOSE_BOUND_MS} ms after the abort; ${line}`);
    // The correction can only shave scheduling delays: a systematic delay (a timer, a wait for the next
    // upstream write) shows in the uncorrected median, which load barely moves (measured 3-10 ms at load 9).
    assert.ok(wall.p50 <= CLOSE_BOUND_MS, `median abort -> upstream close above ${CLOSE_BOUND_MS} ms (wall clock); ${line}`);

    // Exactly one upstream request per client request: nothing retried after the client left.
    assert.equal(chatUp.requests.length + respUp.requests.length - upstreamPostsBefore, TOTAL, 'upstream requests for the measured client requests');
    assert.ok([...chatUp.requests, ...respUp.requests].every((r) => r.aborted), 'every upstream request is recorded as aborted');

    // Back to the baseline: sockets, timers, pool, listeners, router slots, in-flight count.
    // Upstream connections that never carried a byte are the one exception, bounded by the concurrency: undici
    // 7 reconnects for a request aborted mid-response and then drops it, leaving an idle socket in the pool
    // (nodejs/undici#5845). One per abort would exceed the bound many times over.
    // Each such socket holds an undici idle timer (onParserTimeout, the dispatcher's keep-alive time, 30 s),
    // which reaps it; Node's http server keeps one timer of its own (resetCache, the Date header cache, 1 s).
    const opts = { types: ['Timeout', 'Immediate', 'TCPSocketWrap', 'TCPServerWrap'], unusedUpstreamAllowance: BATCH };
    const leftover = (s: ResourceSnapshot): string[] => {
      const out = growth(baseline, s, opts);
      const idle = (s.pool?.free ?? 0) + (s.sockets?.upstreamUnused ?? 0) + (s.sockets?.gatewayToUpstreamUnused ?? 0);
      const timers = tracker.timers();
      const parser = timers.filter((t) => t.callback === 'onParserTimeout');
      const dateCache = timers.filter((t) => t.callback === 'resetCache');
      const other = timers.filter((t) => t.callback !== 'onParserTimeout' && t.callback !== 'resetCache');
      if (other.length) out.push(`timers created during the aborts still alive: ${JSON.stringify(other.slice(0, 10))}${other.length > 10 ? ` (${other.length} in all)` : ''}`);
      if (parser.length > (s.pool?.free ?? 0)) out.push(`undici socket timers alive: ${parser.length}, idle pooled sockets: ${s.pool?.free ?? 0}`);
      if (dateCache.length > 1) out.push(`${dateCache.length} Date-cache timers`);
      const counts = tracker.counts();
      if ((counts.TCPWRAP ?? 0) > idle) out.push(`TCP handles created during the aborts still open: ${counts.TCPWRAP}, of which never-used upstream sockets: ${idle}`);
      return out;
    };
    // async_hooks report a fired timer's destroy a moment later (batched): let one macrotask pass first.
    const settle = async () => {
      await new Promise((r) => setImmediate(r));
      return snapshot(targets);
    };
    const after = await pollUntil(settle, (s) => leftover(s).length === 0, 5_000);
    const report =
      `resources before ${JSON.stringify(baseline.resources)} after ${JSON.stringify(after.value.resources)}; ` +
      `sockets before ${JSON.stringify(baseline.sockets)} after ${JSON.stringify(after.value.sockets)}; ` +
      `upstream pool before ${JSON.stringify(baseline.pool)} after ${JSON.stringify(after.value.pool)}; ` +
      `created during the aborts and alive ${JSON.stringify(tracker.counts())}; ` +
      `gateway connections ${after.value.gatewayConnections}; listeners ${JSON.stringify(after.value.listeners)}; settled in ${ms(after.waitedMs)}`;
    console.log(`      ${report}`);
    assert.deepEqual(leftover(after.value), [], `resources still above the baseline 5 s after the last abort: ${report}`);
    assert.ok(after.value.pool, 'the upstream pool stats were readable');
    assert.equal(after.value.gatewayConnections, 0, 'gateway server connections');
    assert.deepEqual(
      g.gw.router.health().map((h) => [h.id, h.inFlight]),
      g.gw.router.health().map((h) => [h.id, 0]),
      'router slots in flight',
    );
    const readiness = await fetch(`${g.url}/health/readiness`).then((r) => r.json() as Promise<{ in_flight: number }>);
    assert.equal(readiness.in_flight, 0, 'the gateway counts no request in flight');
    assert.deepEqual(warnings, [], 'process warnings during the aborts');

    // One log line per request, no error line (e.g. a write after the client left).
    await new Promise((r) => setImmediate(r));
    const lines = g.logs.slice(logLinesBefore);
    const requestLines = lines.filter((l) => /^(INFO|WARN) \/v1\/(responses|chat\/completions) /.test(l));
    assert.equal(requestLines.length, TOTAL, `request log lines (of ${lines.length} lines)`);
    assert.deepEqual(lines.filter((l) => l.startsWith('ERROR')), [], 'error log lines');
  }
});
