/**
 * Resource probes for leak tests: what a process holds (timers, sockets by role, server connections, the
 * gateway's upstream pool, listener counts on long-lived emitters), compared with a baseline, and a
 * bounded wait for the counts to come back down.
 *
 * Public Node APIs first (`process.getActiveResourcesInfo()`, `server.getConnections()`,
 * `emitter.listenerCount()`); two reach further and say so: sockets are attributed to a role through
 * `process._getActiveHandles()` (undocumented, present in Node 20), and the gateway's upstream pool is read
 * from the engine's private `dispatcher` field (undici `Agent.stats`, through `EnvHttpProxyAgent`'s inner
 * agent). When either cannot be reached the snapshot says so (`undefined`) and tests must fail on it.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { activeHandles } from './leak-taps';

/** Counts of one undici pool (summed over origins): sockets and requests, see undici `PoolStats`. */
export interface PoolCounts {
  /** Open sockets. */
  connected: number;
  /** Open sockets with no request on them. */
  free: number;
  /** Requests not yet sent. */
  pending: number;
  /** Requests waiting for a socket. */
  queued: number;
  /** Requests in flight. */
  running: number;
  /** pending + running. */
  size: number;
}

/** TCP sockets of this process by role (from `process._getActiveHandles()`). */
export interface SocketRoles {
  /** Server side of client connections to the gateway (local port = gateway port). */
  gatewayServerSide: number;
  /** Client side of connections to the gateway (remote port = gateway port). */
  clientToGateway: number;
  /** The gateway's connections to upstreams that sent a request (remote port = an upstream port). */
  gatewayToUpstream: number;
  /** The gateway's connections to upstreams that never sent a byte (see {@link SocketRoles.upstreamUnused}). */
  gatewayToUpstreamUnused: number;
  /** Server side of upstream connections that carried a request (local port = an upstream port). */
  upstreamServerSide: number;
  /**
   * Server side of upstream connections that never received a byte (an undici 7 client reconnects for a
   * request that was aborted mid-response and then drops it: nodejs/undici#5845). Counted apart so tests
   * can bound them instead of mistaking them for per-request leaks.
   */
  upstreamUnused: number;
  /** Every other socket (stdio pipes, other tests' leftovers, ...). */
  other: number;
}

/** One reading of every probe. */
export interface ResourceSnapshot {
  /** `process.getActiveResourcesInfo()` counted by type (`Timeout`, `TCPSocketWrap`, `TCPServerWrap`, ...). */
  resources: Record<string, number>;
  /** undefined when `process._getActiveHandles` is missing. */
  sockets?: SocketRoles;
  /** `server.getConnections()` of the gateway's HTTP server. */
  gatewayConnections: number;
  /** The gateway's upstream pool; undefined when it cannot be reached. */
  pool?: PoolCounts;
  /** Listener count per `<emitter name>:<event>`. */
  listeners: Record<string, number>;
}

/** What {@link snapshot} looks at. */
export interface ProbeTargets {
  /** The gateway's HTTP server. */
  server: http.Server;
  /** The gateway's port. */
  gatewayPort: number;
  /** Ports of the upstream mocks. */
  upstreamPorts: number[];
  /** The gateway's upstream dispatcher (see {@link gatewayDispatcher}); undefined when unreachable. */
  dispatcher?: object;
  /** Long-lived emitters whose listener counts must not grow, by name. */
  emitters: Record<string, EventEmitter>;
}

/** The gateway engine's upstream dispatcher (private field `dispatcher`), or undefined. */
export function gatewayDispatcher(gw: object): object | undefined {
  const d = (gw as { dispatcher?: unknown }).dispatcher;
  return d && typeof d === 'object' ? d : undefined;
}

type WithStats = { stats?: Record<string, Partial<PoolCounts>> };

/**
 * The undici agent inside a dispatcher that has per-origin `stats`: the dispatcher itself (a plain `Agent`),
 * or `EnvHttpProxyAgent`'s no-proxy agent (a symbol-keyed field).
 */
export function statsAgent(dispatcher: object): (object & WithStats) | undefined {
  const has = (o: unknown): o is object & WithStats => {
    try {
      return !!o && typeof o === 'object' && typeof (o as WithStats).stats === 'object' && (o as WithStats).stats !== null;
    } catch {
      return false;
    }
  };
  if (has(dispatcher)) return dispatcher;
  for (const sym of Object.getOwnPropertySymbols(dispatcher)) {
    if (sym.description !== 'no proxy agent') continue;
    const inner = (dispatcher as Record<symbol, unknown>)[sym];
    if (has(inner)) return inner;
  }
  return undefined;
}

/** Sums the per-origin stats of a dispatcher's agent; undefined when unreachable. */
export function poolCounts(dispatcher: object | undefined): PoolCounts | undefined {
  const agent = dispatcher && statsAgent(dispatcher);
  if (!agent) return undefined;
  const sum: PoolCounts = { connected: 0, free: 0, pending: 0, queued: 0, running: 0, size: 0 };
  for (const s of Object.values(agent.stats ?? {})) {
    for (const k of Object.keys(sum) as (keyof PoolCounts)[]) sum[k] += Number(s[k] ?? 0);
  }
  return sum;
}

/** The listening `http.Server` on `port` among this process's active handles (e.g. a mock's private server). */
export function httpServerOnPort(port: number): http.Server | undefined {
  for (const h of activeHandles() ?? []) {
    if (h instanceof http.Server) {
      const a = h.address();
      if (a && typeof a === 'object' && a.port === port) return h;
    }
  }
  return undefined;
}

/** Counts `process.getActiveResourcesInfo()` by type. */
export function resourceCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of process.getActiveResourcesInfo()) out[t] = (out[t] ?? 0) + 1;
  return out;
}

/** Sorts this process's TCP sockets into roles; undefined without `process._getActiveHandles`. */
export function socketRoles(gatewayPort: number, upstreamPorts: number[]): SocketRoles | undefined {
  const handles = activeHandles();
  if (!handles) return undefined;
  const r: SocketRoles = { gatewayServerSide: 0, clientToGateway: 0, gatewayToUpstream: 0, gatewayToUpstreamUnused: 0, upstreamServerSide: 0, upstreamUnused: 0, other: 0 };
  const ups = new Set(upstreamPorts);
  for (const h of handles) {
    if (!(h instanceof net.Socket)) continue;
    const local = h.localPort;
    const remote = h.remotePort;
    if (local === gatewayPort) r.gatewayServerSide++;
    else if (remote === gatewayPort) r.clientToGateway++;
    else if (remote !== undefined && ups.has(remote)) {
      if (h.bytesWritten === 0) r.gatewayToUpstreamUnused++;
      else r.gatewayToUpstream++;
    }
    else if (local !== undefined && ups.has(local)) {
      if (h.bytesRead === 0) r.upstreamUnused++;
      else r.upstreamServerSide++;
    }
    else r.other++;
  }
  return r;
}

/** Listener count per `<name>:<event>` for every event each emitter has listeners for. */
export function listenerCounts(emitters: Record<string, EventEmitter>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, e] of Object.entries(emitters)) {
    for (const ev of e.eventNames()) out[`${name}:${String(ev)}`] = e.listenerCount(ev);
  }
  return out;
}

/** Reads every probe once. */
export async function snapshot(t: ProbeTargets): Promise<ResourceSnapshot> {
  const gatewayConnections = await new Promise<number>((resolve, reject) => t.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  return {
    resources: resourceCounts(),
    sockets: socketRoles(t.gatewayPort, t.upstreamPorts),
    gatewayConnections,
    pool: poolCounts(t.dispatcher),
    listeners: listenerCounts(t.emitters),
  };
}

/** Options of {@link growth}. */
export interface GrowthOptions {
  /** Resource types to compare (default: every type either snapshot has). */
  types?: string[];
  /**
   * Upstream connections that never carried a byte (nodejs/undici#5845) tolerated above the baseline;
   * default 0. Within the allowance they are left out of the socket, `TCPSocketWrap` and pool comparisons;
   * more than the allowance is reported.
   */
  unusedUpstreamAllowance?: number;
}

/**
 * What in `now` is above `baseline`: resource types, socket roles, gateway connections, pool sockets and
 * requests, listener counts. Empty when nothing grew.
 */
export function growth(baseline: ResourceSnapshot, now: ResourceSnapshot, opts: GrowthOptions = {}): string[] {
  const out: string[] = [];
  const over = (what: string, b: number, n: number) => {
    if (n > b) out.push(`${what}: ${b} -> ${n}`);
  };
  const allowance = opts.unusedUpstreamAllowance ?? 0;
  const unused = (s: ResourceSnapshot) => (s.sockets ? s.sockets.upstreamUnused + s.sockets.gatewayToUpstreamUnused : 0);
  const extraUnused = Math.max(0, unused(now) - unused(baseline));
  const tolerated = extraUnused <= allowance ? extraUnused : 0;
  for (const t of opts.types ?? [...new Set([...Object.keys(baseline.resources), ...Object.keys(now.resources)])]) {
    over(`active ${t}`, baseline.resources[t] ?? 0, (now.resources[t] ?? 0) - (t === 'TCPSocketWrap' ? tolerated : 0));
  }
  if (baseline.sockets && now.sockets) {
    for (const k of Object.keys(now.sockets) as (keyof SocketRoles)[]) {
      if (k === 'other' || ((k === 'upstreamUnused' || k === 'gatewayToUpstreamUnused') && extraUnused <= allowance)) continue;
      over(`sockets ${k}`, baseline.sockets[k], now.sockets[k]);
    }
  }
  over('gateway server connections', baseline.gatewayConnections, now.gatewayConnections);
  if (baseline.pool && now.pool) {
    over('upstream pool connections in use', baseline.pool.connected - baseline.pool.free, now.pool.connected - now.pool.free);
    over('upstream pool idle connections', baseline.pool.free + allowance, now.pool.free);
    for (const k of ['pending', 'queued', 'running', 'size'] as const) over(`upstream pool ${k}`, 0, now.pool[k]);
  }
  for (const k of new Set([...Object.keys(baseline.listeners), ...Object.keys(now.listeners)])) over(`listeners ${k}`, baseline.listeners[k] ?? 0, now.listeners[k] ?? 0);
  return out;
}

/**
 * Polls `read` every `intervalMs` until `done(value)` holds or `timeoutMs` passed.
 * @returns the last value, whether the condition held, and the time waited (ms).
 */
export async function pollUntil<T>(read: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs: number, intervalMs = 20): Promise<{ value: T; ok: boolean; waitedMs: number }> {
  const t0 = performance.now();
  for (;;) {
    const value = await read();
    if (done(value)) return { value, ok: true, waitedMs: performance.now() - t0 };
    if (performance.now() - t0 >= timeoutMs) return { value, ok: false, waitedMs: performance.now() - t0 };
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The `p`-th percentile (0..100, nearest rank) of ascending-sorted `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * Estimates how long this process was runnable but not running (descheduled by an overloaded machine),
 * so latency bounds can be checked against what the process itself did. A 1 ms heartbeat records wall
 * time and the process's CPU time (`process.cpuUsage()`, all threads); over each heartbeat gap of at least
 * {@link StarvationMeter.MIN_GAP_MS}, the wall time not covered by CPU time or by the timer period counts as
 * starved (shorter gaps are timer jitter and count as nothing, so idle waiting is never subtracted). In-process work (the gateway,
 * the test's own clients, GC) is CPU time and is therefore never subtracted: blocking the event loop still
 * counts against a bound. Idle waiting for I/O is not starvation either (the heartbeat keeps firing).
 */
export class StarvationMeter {
  /** Heartbeat gaps shorter than this (ms) are timer jitter, not starvation. */
  static readonly MIN_GAP_MS = 4;
  private readonly wall: number[] = [];
  private readonly cpu: number[] = [];
  private timer?: NodeJS.Timeout;

  /** Starts the heartbeat (1 ms). */
  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1);
  }

  /** Stops the heartbeat (takes a last sample). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  private sample(): void {
    const u = process.cpuUsage();
    this.wall.push(performance.now());
    this.cpu.push((u.user + u.system) / 1000);
  }

  /**
   * Starved time within [from, to] (performance.now() ms): per heartbeat gap of at least
   * {@link StarvationMeter.MIN_GAP_MS} overlapping the interval, `max(0, gap - cpu - 1 ms)` scaled by the
   * overlapping share of the gap.
   */
  starvedMs(from: number, to: number): number {
    const w = this.wall;
    let lo = 0;
    let hi = w.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (w[mid] <= from) lo = mid;
      else hi = mid - 1;
    }
    let starved = 0;
    for (let i = lo; i + 1 < w.length && w[i] < to; i++) {
      const gap = w[i + 1] - w[i];
      if (gap < StarvationMeter.MIN_GAP_MS) continue;
      const lost = Math.max(0, gap - (this.cpu[i + 1] - this.cpu[i]) - 1);
      const overlap = Math.max(0, Math.min(to, w[i + 1]) - Math.max(from, w[i]));
      starved += (lost * overlap) / gap;
    }
    return starved;
  }

  /** Starved time over the whole run (ms). */
  totalStarvedMs(): number {
    return this.wall.length ? this.starvedMs(this.wall[0], this.wall[this.wall.length - 1]) : 0;
  }
}

/** A live timer as {@link LiveResourceTracker.timers} describes it. */
export interface LiveTimer {
  /** Its delay in ms (`_idleTimeout`). */
  ms: number;
  /** The callback's function name (`_onTimeout.name`), `''` when anonymous. */
  callback: string;
  /** Whether it keeps the event loop alive. */
  ref: boolean;
  /** Whether it repeats (setInterval). */
  repeat: boolean;
}

/**
 * Counts async resources of chosen types created while it is enabled and not yet destroyed (async_hooks
 * `init`/`destroy`), which sees what `process.getActiveResourcesInfo()` cannot: unref'd timers and sockets
 * (e.g. an idle pooled upstream socket and its undici timer). Timers are destroyed when they fire or are
 * cleared; TCP handles when they close. Keep it enabled until the last reading (destroys are only seen
 * while enabled).
 */
export class LiveResourceTracker {
  private readonly live = new Map<number, { type: string; resource: unknown }>();
  private hook?: AsyncHook;

  /** @param types async resource types to track (default `Timeout`, `Immediate`, `TCPWRAP`). */
  constructor(private readonly types: ReadonlySet<string> = new Set(['Timeout', 'Immediate', 'TCPWRAP'])) {}

  /** Starts tracking resources created from now on. */
  enable(): void {
    this.hook = createHook({
      init: (id, type, _trigger, resource) => {
        if (this.types.has(type)) this.live.set(id, { type, resource });
      },
      destroy: (id) => {
        this.live.delete(id);
      },
    }).enable();
  }

  /** Stops tracking (what is live stays counted). */
  disable(): void {
    this.hook?.disable();
    this.hook = undefined;
  }

  /** Resources created while enabled and still alive, by type. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { type } of this.live.values()) out[type] = (out[type] ?? 0) + 1;
    return out;
  }

  /** The live timers (type `Timeout`), described through Node's Timeout fields (`_idleTimeout`, `_onTimeout`, `_repeat`). */
  timers(): LiveTimer[] {
    const out: LiveTimer[] = [];
    for (const { type, resource } of this.live.values()) {
      if (type !== 'Timeout') continue;
      const t = resource as { _idleTimeout?: number; _onTimeout?: { name?: string }; _repeat?: unknown; hasRef?: () => boolean };
      out.push({ ms: Number(t._idleTimeout), callback: t._onTimeout?.name ?? '', ref: t.hasRef?.() ?? true, repeat: t._repeat !== null && t._repeat !== undefined });
    }
    return out;
  }
}
