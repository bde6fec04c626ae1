/**
 * Test helpers for the router: a manual clock (no real sleeping), a seeded PRNG, a GatewayConfig builder
 * that does not depend on the config loader, and fake keys generated at runtime.
 */

import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../src/gateway/router';
import type { Deployment, GatewayConfig, RouterSettings } from '../../../src/gateway/types';

/** A clock whose time only moves when told to. `sleep` records the duration and advances time at once,
 * unless `blockSleeps` is set: then it waits until `releaseSleeps()` or the signal aborts. */
export class ManualClock implements Clock {
  t = 1_700_000_000_000;
  readonly sleeps: number[] = [];
  blockSleeps = false;
  private pending: (() => void)[] = [];
  /** Resolves once a blocked sleep has started (for abort tests). */
  sleepStarted: Promise<void>;
  private markStarted!: () => void;
  constructor() {
    this.sleepStarted = new Promise((r) => (this.markStarted = r));
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    if (!this.blockSleeps) {
      this.t += Math.max(0, ms);
      return Promise.resolve();
    }
    this.markStarted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.push(() => {
        signal?.removeEventListener('abort', onAbort);
        this.t += Math.max(0, ms);
        resolve();
      });
    });
  }
  releaseSleeps(): void {
    const p = this.pending;
    this.pending = [];
    for (const f of p) f();
  }
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fake provider key built at runtime (never a literal in the source). */
export function fakeKey(): string {
  return ['s', 'k'].join('') + '-' + randomBytes(24).toString('hex');
}

/** One deployment; `index` is fixed by {@link makeConfig}. */
export function dep(alias: string, over: Partial<Deployment> = {}): Deployment {
  const id = over.id ?? `${alias}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    id,
    alias,
    index: 0,
    provider: 'openai_compatible',
    model: `${alias}-upstream`,
    apiBase: 'http://127.0.0.1:9/v1',
    apiKey: { kind: 'env', name: 'TEST_PROVIDER_API_KEY' },
    wire: 'chat',
    wireExplicit: false,
    timeoutMs: 600_000,
    weight: 1,
    extraBody: {},
    extraHeaders: {},
    modelInfo: { raw: {} },
    ...over,
  };
}

/** LiteLLM defaults (peers.md), overridable. */
export function settings(over: Partial<RouterSettings> = {}): RouterSettings {
  return {
    routingStrategy: 'simple-shuffle',
    numRetries: 2,
    timeoutMs: 600_000,
    allowedFails: 3,
    cooldownTimeMs: 5_000,
    retryAfterMs: 0,
    fallbacks: {},
    contextWindowFallbacks: {},
    defaultFallbacks: [],
    maxFallbacks: 5,
    modelGroupAlias: new Map(),
    ...over,
  };
}

/** A GatewayConfig from deployments in model_list order (indexes assigned here). */
export function makeConfig(deps: Deployment[], router: Partial<RouterSettings> = {}): GatewayConfig {
  const groups = new Map<string, Deployment[]>();
  deps.forEach((d, i) => {
    d.index = i;
    const g = groups.get(d.alias);
    if (g) g.push(d);
    else groups.set(d.alias, [d]);
  });
  return {
    deployments: deps,
    groups,
    router: settings(router),
    dropParams: false,
    additionalDropParams: [],
    server: { host: '127.0.0.1', port: 0, maxBodyBytes: 16 << 20, logLevel: 'silent', shutdownGraceMs: 1000, streamIdleTimeoutMs: 270_000 },
    warnings: [],
  };
}
