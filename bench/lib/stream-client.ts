/**
 * Sequential streaming client for time-to-first-byte measurements: one keep-alive connection, one
 * request at a time, timed with `performance.now()` in the bench process. The client's own cost is the
 * same for every target, so differences between targets are what the servers add.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { median, percentile } from './stats';

/** Options of {@link measureStream}. */
export interface StreamOptions {
  /** `http://127.0.0.1:PORT/path`. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Measured requests. */
  n: number;
  /** Unmeasured requests first (JIT warm-up, pooled connection). */
  warmup: number;
  /** Text whose first appearance marks the first token (the mock upstream's first token is `BENCH0`). */
  firstTokenMarker: string;
  /** Text that a complete answer must contain (`[DONE]` for Chat Completions, `response.completed` for Responses). */
  endMarker: string;
  /** Limit for one request, in ms. */
  timeoutMs: number;
}

/** Per-request timings, in ms from the moment the request was sent. */
export interface StreamSample {
  /** Response headers received. */
  headersMs: number;
  /** First body byte received. */
  firstByteMs: number;
  /** First token (the marker) received. */
  firstTokenMs: number;
  /** Last byte received. */
  totalMs: number;
}

/** Summary of {@link measureStream}, in ms. */
export interface StreamSummary {
  n: number;
  firstByteP50: number;
  firstByteP99: number;
  firstTokenP50: number;
  firstTokenP99: number;
  totalP50: number;
  totalP99: number;
}

/**
 * Sends one request and times it.
 * @throws Error when the status is not 200, the body lacks the first-token or end marker, or the
 *   request takes longer than `timeoutMs`.
 */
export function timeOne(agent: Agent, o: Omit<StreamOptions, 'n' | 'warmup'>): Promise<StreamSample> {
  return new Promise((resolve, reject) => {
    const u = new URL(o.url);
    const body = Buffer.from(o.body);
    const req = request({
      agent,
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      headers: { ...o.headers, 'content-type': 'application/json', 'content-length': body.length },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer from ${o.url} within ${o.timeoutMs} ms`)), o.timeoutMs);
    let t0 = 0;
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.once('response', (res) => {
      const headersMs = performance.now() - t0;
      let firstByteMs = -1;
      let firstTokenMs = -1;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const now = performance.now() - t0;
        if (firstByteMs < 0) firstByteMs = now;
        text += d;
        if (firstTokenMs < 0 && text.includes(o.firstTokenMarker)) firstTokenMs = now;
      });
      res.once('end', () => {
        const totalMs = performance.now() - t0;
        clearTimeout(timer);
        if (res.statusCode !== 200) return reject(new Error(`${o.url} answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
        if (firstTokenMs < 0 || !text.includes(o.endMarker)) {
          return reject(new Error(`${o.url} answered without "${firstTokenMs < 0 ? o.firstTokenMarker : o.endMarker}": ${text.slice(0, 300)}`));
        }
        resolve({ headersMs, firstByteMs, firstTokenMs, totalMs });
      });
      res.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    t0 = performance.now();
    req.end(body);
  });
}

/**
 * Times `o.warmup + o.n` sequential requests on one keep-alive connection and summarises the measured ones.
 * @throws the first request error (see {@link timeOne}).
 */
export async function measureStream(o: StreamOptions): Promise<{ summary: StreamSummary; samples: StreamSample[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < o.warmup; i++) await timeOne(agent, o);
    const samples: StreamSample[] = [];
    for (let i = 0; i < o.n; i++) samples.push(await timeOne(agent, o));
    return { summary: summarize(samples), samples };
  } finally {
    agent.destroy();
  }
}

/** Percentiles (nearest rank) of a list of samples, in ms. */
export function summarize(samples: readonly StreamSample[]): StreamSummary {
  const fb = samples.map((s) => s.firstByteMs);
  const ft = samples.map((s) => s.firstTokenMs);
  const tot = samples.map((s) => s.totalMs);
  return {
    n: samples.length,
    firstByteP50: median(fb),
    firstByteP99: percentile(fb, 99),
    firstTokenP50: median(ft),
    firstTokenP99: percentile(ft, 99),
    totalP50: median(tot),
    totalP99: percentile(tot, 99),
  };
}
