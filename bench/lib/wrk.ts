/**
 * Load generation with wrk (Debian package `wrk`, 4.1): a C load generator, so on a 2-core machine it
 * takes far less CPU from the servers under test than a Node load generator would. Every request is a
 * POST of one JSON body (bench/wrk/post.lua), and the Lua `done()` hook prints one `BENCH_JSON` line that
 * {@link parseWrkOutput} reads.
 */
import { join } from 'node:path';
import type { Procs } from './procs';

/** One wrk run's numbers. Latencies in ms, throughput in requests per second. */
export interface WrkResult {
  requests: number;
  durationS: number;
  /** Completed requests per second over the whole run. */
  rps: number;
  /** Non-2xx/3xx answers (wrk's `errors.status`). */
  errorsStatus: number;
  /** Connect, read, write and timeout errors together. */
  errorsSocket: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Options of {@link runWrk}. */
export interface WrkOptions {
  url: string;
  /** File holding the request body. */
  bodyFile: string;
  /** Extra request headers (Content-Type is always application/json). */
  headers: Record<string, string>;
  connections: number;
  threads: number;
  /** Duration in seconds (whole seconds; wrk's `-d`). */
  durationS: number;
}

/**
 * Parses wrk's output as produced with bench/wrk/post.lua.
 * @throws Error quoting the output when no `BENCH_JSON` line is present.
 */
export function parseWrkOutput(stdout: string): WrkResult {
  const line = /^BENCH_JSON (\{.*\})$/m.exec(stdout);
  if (!line) throw new Error(`wrk printed no BENCH_JSON summary; its output was:\n${stdout.slice(-2000)}`);
  const j = JSON.parse(line[1]) as Record<string, number>;
  const durationS = j.duration_us / 1e6;
  return {
    requests: j.requests,
    durationS,
    rps: durationS > 0 ? j.requests / durationS : 0,
    errorsStatus: j.errors_status,
    errorsSocket: j.errors_connect + j.errors_read + j.errors_write + j.errors_timeout,
    meanMs: j.lat_mean_us / 1000,
    p50Ms: j.lat_p50_us / 1000,
    p90Ms: j.lat_p90_us / 1000,
    p99Ms: j.lat_p99_us / 1000,
    maxMs: j.lat_max_us / 1000,
  };
}

/**
 * Runs wrk once against `o.url` and returns its summary. The run is killed if it takes 15 s longer than
 * asked.
 * @throws Error with wrk's stderr when wrk fails or prints no summary.
 */
export async function runWrk(procs: Procs, root: string, o: WrkOptions): Promise<WrkResult> {
  const headers = Object.entries(o.headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.durationS}s`, '--timeout', '5s', '-s', join(root, 'bench/wrk/post.lua'), o.url];
  const r = await procs.run('wrk', args, {
    env: { PATH: process.env.PATH, BENCH_BODY_FILE: o.bodyFile, BENCH_HEADERS: headers },
    timeoutMs: (o.durationS + 15) * 1000,
  });
  if (r.timedOut) throw new Error(`wrk against ${o.url} did not finish within ${o.durationS + 15} s`);
  if (r.code !== 0) throw new Error(`wrk against ${o.url} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return parseWrkOutput(r.stdout);
}
