/**
 * Router tests: a manual clock (no real sleeping), a seeded PRNG, and scripted `attempt` callbacks that
 * throw classified UpstreamErrors the way provider adapters do. No network is involved: the router never
 * talks to upstreams itself.
 */

import assert from 'node:assert/strict';
import { GatewayError, UpstreamError } from '../../src/gateway/errors';
import {
  Router,
  retryDelayMs,
  type AttemptInfo,
  systemClock,
  type RouterEvent,
  type RouteResult,
} from '../../src/gateway/router';
import type { Deployment } from '../../src/gateway/types';
import { dep, fakeKey, makeConfig, ManualClock, seeded } from './router/helpers';

type Step = UpstreamError | 'ok';

/** An attempt callback that plays a script per deployment id (default: success) and logs every call. */
function scripted(script: Record<string, Step[] | ((n: number) => Step)> = {}) {
  const calls: { id: string; info: AttemptInfo }[] = [];
  const counts = new Map<string, number>();
  const attempt = async (d: Deployment, info: AttemptInfo): Promise<string> => {
    calls.push({ id: d.id, info: { ...info } });
    const n = counts.get(d.id) ?? 0;
    counts.set(d.id, n + 1);
    const s = script[d.id];
    const step: Step = typeof s === 'function' ? s(n) : s && n < s.length ? s[n]! : 'ok';
    if (step !== 'ok') throw step;
    return d.id;
  };
  return { calls, attempt, ids: () => calls.map((c) => c.id) };
}

const err = {
  server: (retryAfterMs?: number) => new UpstreamError('server', 'upstream answered 500 Internal Server Error', 500, retryAfterMs),
  rate: (retryAfterMs?: number) => new UpstreamError('rate_limit', 'Rate limit reached for requests', 429, retryAfterMs),
  quota: () => new UpstreamError('rate_limit', 'You exceeded your current quota', 429, undefined, 'insufficient_quota'),
  timeout: () => new UpstreamError('timeout', 'no response headers within the timeout', 0),
  conn: () => new UpstreamError('connection', 'connect ECONNREFUSED', 0),
  auth: () => new UpstreamError('auth', 'Incorrect API key provided', 401),
  notFound: () => new UpstreamError('not_found', 'The model does not exist', 404),
  bad: () => new UpstreamError('bad_request', "Unsupported parameter: 'reasoning.effort'", 400, undefined, 'unsupported_parameter'),
  ctx: () => new UpstreamError('context_window', 'maximum context length is 8192 tokens', 400, undefined, 'context_length_exceeded'),
  notImpl: () => new UpstreamError('not_implemented', 'the messages wire has no adapter yet', 0),
};

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected the promise to reject');
}

async function gatewayRejection(p: Promise<unknown>): Promise<GatewayError> {
  const e = await rejection(p);
  assert.ok(e instanceof GatewayError, `expected GatewayError, got ${String(e)}`);
  return e;
}

function done<T>(r: RouteResult<T>): RouteResult<T> {
  r.release({ ok: true });
  return r;
}

describe('Router', () => {
  describe('aliases and unknown aliases', () => {
    it('lists aliases in model_list order', () => {
      const cfg = makeConfig([dep('b', { id: 'b1' }), dep('a', { id: 'a1' }), dep('b', { id: 'b2' }), dep('c', { id: 'c1' })]);
      assert.deepEqual(new Router(cfg).aliases(), ['b', 'a', 'c']);
    });

    it('answers 400 model_not_found with the known aliases and a did-you-mean, without any attempt', async () => {
      const r = new Router(makeConfig([dep('gpt-5', { id: 'g' }), dep('deepseek-chat', { id: 'd' })]));
      const s = scripted();
      const e = await gatewayRejection(r.run('gpt5', s.attempt));
      assert.equal(e.status, 400);
      assert.equal(e.code, 'model_not_found');
      assert.equal(e.param, 'model');
      assert.match(e.message, /Did you mean 'gpt-5'\?/);
      assert.match(e.message, /Known models: gpt-5, deepseek-chat/);
      assert.equal(s.calls.length, 0);
      const e2 = await gatewayRejection(r.run('DeepSeek-Chat', s.attempt));
      assert.match(e2.message, /Did you mean 'deepseek-chat'\?/);
      const e3 = await gatewayRejection(r.run('zzzzzzzz', s.attempt));
      assert.doesNotMatch(e3.message, /Did you mean/);
    });

    it('warns about fallback aliases that no model_list entry defines', () => {
      const r = new Router(makeConfig([dep('a', { id: 'a1' })], { fallbacks: { a: ['nope'] } }));
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0]!, /'nope'/);
    });
  });

  describe('simple-shuffle', () => {
    it('distributes picks by weight', async () => {
      const r = new Router(makeConfig([dep('m', { id: 'light', weight: 1 }), dep('m', { id: 'heavy', weight: 3 })]), { random: seeded(42) });
      const s = scripted();
      const n = 20_000;
      for (let i = 0; i < n; i++) done(await r.run('m', s.attempt));
      const heavy = s.ids().filter((id) => id === 'heavy').length / n;
      assert.ok(Math.abs(heavy - 0.75) < 0.015, `heavy share ${heavy}`);
    });

    it('skips a cooled-down deployment and keeps the others proportional to their weights', async () => {
      const clock = new ManualClock();
      const r = new Router(
        makeConfig([dep('m', { id: 'x', weight: 1 }), dep('m', { id: 'y', weight: 1 }), dep('m', { id: 'big', weight: 2 })]),
        { clock, random: seeded(7) },
      );
      // Cool "big" down with a 429 (immediate cooldown), then count picks while it cools.
      const s = scripted({ big: [err.rate()] });
      while (!s.ids().includes('big')) done(await r.run('m', s.attempt));
      const before = s.calls.length;
      for (let i = 0; i < 8_000; i++) done(await r.run('m', s.attempt));
      const picks = s.ids().slice(before);
      assert.equal(picks.filter((id) => id === 'big').length, 0);
      const x = picks.filter((id) => id === 'x').length / picks.length;
      assert.ok(Math.abs(x - 0.5) < 0.03, `x share ${x}`);
    });

    it('uses weight-0 deployments only as standby', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'main', weight: 1 }), dep('m', { id: 'standby', weight: 0 })]), { clock, random: seeded(1) });
      const s = scripted({ main: [err.rate()] });
      for (let i = 0; i < 50; i++) done(await r.run('m', s.attempt));
      // First call: main (429, cooled down) then retry on standby; afterwards standby while main cools.
      assert.deepEqual(s.ids().slice(0, 2), ['main', 'standby']);
      assert.ok(s.ids().slice(2).every((id) => id === 'standby'));
      clock.advance(5_000);
      done(await r.run('m', s.attempt));
      assert.equal(s.ids().at(-1), 'main');
    });
  });

  describe('least-busy', () => {
    it('picks the deployment with the fewest in-flight requests, counting pending attempts and unreleased streams', async () => {
      const r = new Router(makeConfig([dep('m', { id: 'p' }), dep('m', { id: 'q' })], { routingStrategy: 'least-busy' }), { random: seeded(3) });
      const s = scripted();
      const r1 = await r.run('m', s.attempt); // not released: a stream in progress
      const r2 = await r.run('m', s.attempt);
      assert.notEqual(r2.deployment.id, r1.deployment.id);
      r1.release({ ok: true });
      const r3 = await r.run('m', s.attempt);
      assert.equal(r3.deployment.id, r1.deployment.id);
      r2.release({ ok: true });
      r3.release({ ok: true });
      assert.deepEqual(r.health().map((h) => h.inFlight), [0, 0]);

      // A pending attempt counts as in flight too.
      let unblock!: () => void;
      const gate = new Promise<void>((res) => (unblock = res));
      const slow = r.run('m', async (d) => {
        await gate;
        return d.id;
      });
      const fast = await r.run('m', s.attempt);
      unblock();
      const slowRes = await slow;
      assert.notEqual(fast.deployment.id, slowRes.deployment.id);
    });

    it('breaks ties at random', async () => {
      const r = new Router(makeConfig([dep('m', { id: 'p' }), dep('m', { id: 'q' })], { routingStrategy: 'least-busy' }), { random: seeded(11) });
      const s = scripted();
      for (let i = 0; i < 2_000; i++) done(await r.run('m', s.attempt));
      const p = s.ids().filter((id) => id === 'p').length / 2_000;
      assert.ok(p > 0.4 && p < 0.6, `p share ${p}`);
    });
  });

  describe('latency-based-routing', () => {
    it('tries every deployment once, then prefers the lowest EWMA of time-to-success', async () => {
      const clock = new ManualClock();
      const latency: Record<string, number> = { x: 300, y: 100, z: 200 };
      const r = new Router(
        makeConfig([dep('m', { id: 'x' }), dep('m', { id: 'y' }), dep('m', { id: 'z' })], { routingStrategy: 'latency-based-routing' }),
        { clock, random: seeded(5) },
      );
      const attempt = async (d: Deployment): Promise<string> => {
        clock.advance(latency[d.id]!);
        return d.id;
      };
      const first: string[] = [];
      for (let i = 0; i < 3; i++) first.push(done(await r.run('m', attempt)).deployment.id);
      assert.deepEqual([...first].sort(), ['x', 'y', 'z']);
      for (let i = 0; i < 5; i++) assert.equal(done(await r.run('m', attempt)).deployment.id, 'y');
      assert.equal(r.health().find((h) => h.id === 'y')!.latencyEwmaMs, 100);
      latency.y = 1_000; // y slows down: its EWMA rises above z's 200 after one sample (100 + 0.3 * 900 = 370)
      assert.equal(done(await r.run('m', attempt)).deployment.id, 'y');
      assert.equal(done(await r.run('m', attempt)).deployment.id, 'z');
    });
  });

  describe('retries and backoff', () => {
    it('retries retryable failures numRetries times with exponential backoff, then fails with 502', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' })]), { clock, random: () => 0.5 });
      const s = scripted({ only: () => err.server() });
      const e = await gatewayRejection(r.run('m', s.attempt));
      assert.equal(e.status, 502);
      assert.equal(e.code, 'upstream_error');
      assert.equal(s.calls.length, 3);
      assert.deepEqual(s.calls.map((c) => c.info.retry), [0, 1, 2]);
      assert.deepEqual(s.calls.map((c) => c.info.attempt), [0, 1, 2]);
      assert.deepEqual(clock.sleeps, [250, 500]); // jitter factor exactly 1.0 with random() = 0.5
    });

    it('reports the retries of a request that succeeds after failures', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' })]), { clock, random: () => 0.5 });
      const s = scripted({ only: [err.timeout(), err.conn()] });
      const res = done(await r.run('m', s.attempt));
      assert.equal(res.retries, 2);
      assert.equal(res.value, 'only');
      assert.equal(res.alias, 'm');
      assert.equal(res.fallbackFrom, undefined);
    });

    it('uses router_settings.retry_after as the backoff floor and base', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' })], { retryAfterMs: 1_000 }), { clock, random: () => 0.5 });
      const s = scripted({ only: [err.server(), err.server()] });
      done(await r.run('m', s.attempt));
      assert.deepEqual(clock.sleeps, [1_000, 2_000]);
    });

    it('caps exponential backoff at 8 s with jitter inside the cap', () => {
      const e = err.server();
      assert.equal(retryDelayMs(e, 10, { retryAfterMs: 0 }, () => 0.999, false), 8_000);
      assert.equal(retryDelayMs(e, 10, { retryAfterMs: 0 }, () => 0, false), 6_400);
      assert.equal(retryDelayMs(e, 0, { retryAfterMs: 0 }, () => 0, false), 200);
      assert.equal(retryDelayMs(e, 2, { retryAfterMs: 0 }, () => 0.5, false), 1_000);
      // A user floor above the cap is respected.
      assert.equal(retryDelayMs(e, 0, { retryAfterMs: 10_000 }, () => 0, false), 10_000);
    });

    it("honours the upstream's Retry-After when retrying the same deployment", async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' })]), { clock, random: () => 0.5 });
      const s = scripted({ only: [err.server(2_000), err.server(3_500)] });
      done(await r.run('m', s.attempt));
      assert.deepEqual(clock.sleeps, [2_000, 3_500]);
    });

    it('does not wait for a Retry-After above 30 s: moves on to fallbacks at once', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' }), dep('fb', { id: 'f' })], { fallbacks: { m: ['fb'] } }), { clock });
      const s = scripted({ only: [err.server(45_000)] });
      const res = done(await r.run('m', s.attempt));
      assert.deepEqual(s.ids(), ['only', 'f']);
      assert.deepEqual(clock.sleeps, []);
      assert.equal(res.alias, 'fb');
    });

    it('fails with 429 and the upstream Retry-After when it is too long to wait (cooldowns off)', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' })], { cooldownTimeMs: 0 }), { clock });
      const s = scripted({ only: [err.rate(60_000)] });
      const e = await gatewayRejection(r.run('m', s.attempt));
      assert.equal(e.status, 429);
      assert.equal(e.headers['Retry-After'], '60');
      assert.equal(s.calls.length, 1);
      assert.deepEqual(clock.sleeps, []);
    });

    it('retries on a different deployment, without applying the failed one\'s Retry-After', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'a1', weight: 1 }), dep('m', { id: 'a2', weight: 0 })]), { clock, random: () => 0.5 });
      const s = scripted({ a1: () => err.server(3_000) });
      const res = done(await r.run('m', s.attempt));
      assert.deepEqual(s.ids(), ['a1', 'a2']);
      assert.equal(res.retries, 1);
      assert.deepEqual(clock.sleeps, [250]);
    });

    it('fails a bad_request at once: no retry, no other deployment, no fallback', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'a1' }), dep('m', { id: 'a2' }), dep('fb', { id: 'f' })], { fallbacks: { m: ['fb'] }, defaultFallbacks: ['fb'] }), {
        clock,
        random: seeded(9),
      });
      const s = scripted({ a1: () => err.bad(), a2: () => err.bad() });
      const e = await gatewayRejection(r.run('m', s.attempt));
      assert.equal(e.status, 400);
      assert.equal(e.code, 'unsupported_parameter');
      assert.match(e.message, /Unsupported parameter: 'reasoning\.effort'/);
      assert.equal(s.calls.length, 1);
      assert.deepEqual(clock.sleeps, []);
    });

    it('rethrows errors that are not UpstreamError (bugs) and releases the in-flight count', async () => {
      const r = new Router(makeConfig([dep('m', { id: 'only' })]));
      const e = await rejection(
        r.run('m', async () => {
          throw new TypeError('boom');
        }),
      );
      assert.ok(e instanceof TypeError);
      assert.equal(r.health()[0]!.inFlight, 0);
    });
  });

  describe('auth, not_found, not_implemented, insufficient_quota', () => {
    it('auth on one deployment tries the next one without counting a retry or sleeping', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'a1', weight: 1 }), dep('m', { id: 'a2', weight: 0 })], { numRetries: 0 }), { clock });
      const s = scripted({ a1: () => err.auth() });
      const res = done(await r.run('m', s.attempt));
      assert.deepEqual(s.ids(), ['a1', 'a2']);
      assert.equal(res.retries, 0);
      assert.deepEqual(s.calls.map((c) => c.info.retry), [0, 0]);
      assert.deepEqual(clock.sleeps, []);
    });

    it('tries each deployment at most once on auth, then answers 400 naming the key variable', async () => {
      const clock = new ManualClock();
      const r = new Router(
        makeConfig([
          dep('m', { id: 'a1', apiKey: { kind: 'env', name: 'FIRST_KEY' } }),
          dep('m', { id: 'a2', apiKey: { kind: 'env', name: 'SECOND_KEY' } }),
        ]),
        { clock, random: seeded(2) },
      );
      const s = scripted({ a1: () => err.auth(), a2: () => err.auth() });
      const e = await gatewayRejection(r.run('m', s.attempt));
      assert.equal(e.status, 400);
      assert.equal(e.type, 'authentication_error');
      assert.deepEqual([...s.ids()].sort(), ['a1', 'a2']);
      const lastKey = s.ids()[1] === 'a1' ? 'FIRST_KEY' : 'SECOND_KEY';
      assert.match(e.message, new RegExp(lastKey));
      assert.deepEqual(clock.sleeps, []);
    });

    it('not_found and not_implemented move to other deployments, then to fallbacks', async () => {
      const r = new Router(
        makeConfig([dep('m', { id: 'a1', weight: 1 }), dep('m', { id: 'a2', weight: 0, wire: 'messages' }), dep('fb', { id: 'f' })], { fallbacks: { m: ['fb'] } }),
        { clock: new ManualClock() },
      );
      const s = scripted({ a1: () => err.notFound(), a2: () => err.notImpl() });
      const res = done(await r.run('m', s.attempt));
      assert.deepEqual(s.ids(), ['a1', 'a2', 'f']);
      assert.equal(res.fallbackFrom, 'm');
    });

    it('insufficient_quota fails over without retrying and answers 429 insufficient_quota without Retry-After', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'a1' }), dep('m', { id: 'a2' })]), { clock, random: seeded(4) });
      const s = scripted({ a1: () => err.quota(), a2: () => err.quota() });
      const e = await gatewayRejection(r.run('m', s.attempt));
      assert.equal(e.status, 429);
      assert.equal(e.code, 'insufficient_quota');
      assert.equal(e.type, 'insufficient_quota');
      assert.equal(e.headers['Retry-After'], undefined);
      assert.equal(s.calls.length, 2);
      assert.deepEqual(clock.sleeps, []);
    });
  });

  describe('cooldown', () => {
    it('cools a deployment down after allowed_fails failures within 60 s, until cooldown_time passes', async () => {
      const clock = new ManualClock();
      const events: RouterEvent[] = [];
      const r = new Router(makeConfig([dep('m', { id: 'only' })], { numRetries: 0, allowedFails: 3, cooldownTimeMs: 5_000 }), {
        clock,
        onEvent: (e) => events.push(e),
      });
      const s = scripted({ only: [err.server(), err.server(), err.server()] });
      for (let i = 0; i < 2; i++) await gatewayRejection(r.run('m', s.attempt));
      assert.equal(r.health()[0]!.cooldownUntil, null);
      assert.equal(r.health()[0]!.recentFailures, 2);
      await gatewayRejection(r.run('m', s.attempt));
      const h = r.health()[0]!;
      assert.equal(h.cooldownUntil, clock.now() + 5_000);
      assert.ok(events.some((e) => e.type === 'cooldown' && e.reason === 'allowed_fails' && e.deploymentId === 'only'));

      // While cooling down, the group is unavailable: no attempt, no sleeping, 429 with the remaining time.
      clock.advance(2_100);
      const e = await gatewayRejection(r.run('m', s.attempt));
      assert.equal(s.calls.length, 3);
      assert.equal(e.status, 429);
      assert.equal(e.headers['Retry-After'], '3');
      assert.deepEqual(clock.sleeps, []);

      clock.advance(2_900);
      assert.equal(r.health()[0]!.cooldownUntil, null);
      done(await r.run('m', s.attempt));
      assert.equal(s.calls.length, 4);
    });

    it('does not count failures older than 60 s', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' })], { numRetries: 0 }), { clock });
      const s = scripted({ only: () => err.conn() });
      for (let i = 0; i < 5; i++) {
        await gatewayRejection(r.run('m', s.attempt));
        clock.advance(31_000);
      }
      // At most two failures are ever inside one 60 s window.
      assert.equal(r.health()[0]!.cooldownUntil, null);
      assert.equal(s.calls.length, 5);
    });

    it('cools down at once on a 429, for the longer of cooldown_time and Retry-After', async () => {
      const clock = new ManualClock();
      const events: RouterEvent[] = [];
      const r = new Router(makeConfig([dep('m', { id: 'a1', weight: 1 }), dep('m', { id: 'a2', weight: 1 })]), {
        clock,
        random: seeded(8),
        onEvent: (e) => events.push(e),
      });
      const s = scripted({ a1: [err.rate(12_000)] });
      while (!s.ids().includes('a1')) done(await r.run('m', s.attempt));
      const cd = events.find((e) => e.type === 'cooldown');
      assert.ok(cd && cd.type === 'cooldown' && cd.reason === 'rate_limit' && cd.deploymentId === 'a1' && cd.durationMs === 12_000);
      const n = s.calls.length;
      for (let i = 0; i < 30; i++) done(await r.run('m', s.attempt));
      assert.ok(s.ids().slice(n).every((id) => id === 'a2'));
    });

    it('counts auth failures towards cooldown but not not_found', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'k' }), dep('n', { id: 'nf' })], { numRetries: 0 }), { clock });
      const s = scripted({ k: () => err.auth(), nf: () => err.notFound() });
      for (let i = 0; i < 3; i++) {
        await gatewayRejection(r.run('m', s.attempt));
        await gatewayRejection(r.run('n', s.attempt));
      }
      const [k, nf] = r.health();
      assert.notEqual(k!.cooldownUntil, null);
      assert.equal(nf!.cooldownUntil, null);
      assert.equal(nf!.failures, 3);
    });

    it('goes to fallbacks without sleeping when every deployment of the group cools down', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' }), dep('fb', { id: 'f' })], { fallbacks: { m: ['fb'] } }), { clock });
      const s = scripted({ only: [err.rate()] });
      const res1 = done(await r.run('m', s.attempt));
      assert.deepEqual(s.ids(), ['only', 'f']);
      assert.equal(res1.fallbackFrom, 'm');
      const res2 = done(await r.run('m', s.attempt));
      assert.deepEqual(s.ids(), ['only', 'f', 'f']);
      assert.equal(res2.alias, 'fb');
      assert.deepEqual(clock.sleeps, []);
    });

    it('counts mid-stream failures reported through release, and release is idempotent', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('m', { id: 'only' })]), { clock });
      const s = scripted();
      for (let i = 0; i < 3; i++) {
        const res = await r.run('m', s.attempt);
        assert.equal(r.health()[0]!.inFlight, 1);
        res.release({ ok: false, error: err.server() });
        res.release({ ok: false, error: err.server() });
        assert.equal(r.health()[0]!.inFlight, 0);
      }
      const h = r.health()[0]!;
      assert.equal(h.failures, 3);
      assert.notEqual(h.cooldownUntil, null);
      // A client that went away (ok: false, no error) is not the deployment's fault.
      clock.advance(120_000);
      const res = await r.run('m', s.attempt);
      res.release({ ok: false });
      assert.equal(r.health()[0]!.failures, 3);
    });
  });

  describe('fallbacks', () => {
    it('tries fallbacks in order, at most max_fallbacks groups, and reports the requested group\'s error', async () => {
      const events: RouterEvent[] = [];
      const r = new Router(
        makeConfig([dep('a', { id: 'a' }), dep('b', { id: 'b' }), dep('c', { id: 'c' }), dep('d', { id: 'd' })], {
          numRetries: 0,
          fallbacks: { a: ['b', 'c', 'd'] },
          maxFallbacks: 2,
        }),
        { clock: new ManualClock(), onEvent: (e) => events.push(e) },
      );
      const s = scripted({ a: () => err.server(), b: () => err.timeout(), c: () => err.conn() });
      const e = await gatewayRejection(r.run('a', s.attempt));
      assert.deepEqual(s.ids(), ['a', 'b', 'c']);
      assert.equal(e.status, 502);
      assert.match(e.message, /'b' \(timeout\), 'c' \(connection\)/);
      assert.deepEqual(
        events.filter((x) => x.type === 'fallback').map((x) => (x.type === 'fallback' ? `${x.from}->${x.to}` : '')),
        ['a->b', 'a->c'],
      );
      assert.deepEqual(s.calls.map((c) => c.info.fallbackFrom), [undefined, 'a', 'a']);
      assert.deepEqual(s.calls.map((c) => c.info.attempt), [0, 1, 2]);
    });

    it('runs each fallback as a full group with its own retries, and reports total retries', async () => {
      const clock = new ManualClock();
      const r = new Router(makeConfig([dep('a', { id: 'a' }), dep('b', { id: 'b' })], { numRetries: 1, fallbacks: { a: ['b'] } }), { clock, random: () => 0.5 });
      const s = scripted({ a: () => err.server(), b: [err.server()] });
      const res = done(await r.run('a', s.attempt));
      assert.deepEqual(s.ids(), ['a', 'a', 'b', 'b']);
      assert.deepEqual(s.calls.map((c) => c.info.retry), [0, 1, 0, 1]);
      assert.equal(res.retries, 2);
      assert.equal(res.alias, 'b');
      assert.equal(res.fallbackFrom, 'a');
    });

    it('uses context_window_fallbacks only for context-window errors', async () => {
      const cfg = () =>
        makeConfig([dep('a', { id: 'a' }), dep('big', { id: 'big' }), dep('other', { id: 'other' })], {
          numRetries: 0,
          fallbacks: { a: ['other'] },
          contextWindowFallbacks: { a: ['big'] },
        });
      const s1 = scripted({ a: () => err.ctx() });
      const res1 = done(await new Router(cfg(), { clock: new ManualClock() }).run('a', s1.attempt));
      assert.deepEqual(s1.ids(), ['a', 'big']);
      assert.equal(res1.alias, 'big');

      const s2 = scripted({ a: () => err.server() });
      const res2 = done(await new Router(cfg(), { clock: new ManualClock() }).run('a', s2.attempt));
      assert.deepEqual(s2.ids(), ['a', 'other']);
      assert.equal(res2.alias, 'other');
    });

    it('answers 400 context_length_exceeded when no context_window_fallbacks exist, ignoring other fallbacks', async () => {
      const r = new Router(makeConfig([dep('a', { id: 'a' }), dep('b', { id: 'b' })], { fallbacks: { a: ['b'] }, defaultFallbacks: ['b'] }), {
        clock: new ManualClock(),
      });
      const s = scripted({ a: () => err.ctx() });
      const e = await gatewayRejection(r.run('a', s.attempt));
      assert.equal(e.status, 400);
      assert.equal(e.code, 'context_length_exceeded');
      assert.deepEqual(s.ids(), ['a']);
    });

    it('uses default_fallbacks for aliases without their own entry; an explicit empty list turns them off', async () => {
      const cfg = makeConfig([dep('a', { id: 'a' }), dep('x', { id: 'x' }), dep('d', { id: 'd' })], {
        numRetries: 0,
        fallbacks: { x: [] },
        defaultFallbacks: ['d'],
      });
      const r = new Router(cfg, { clock: new ManualClock() });
      const s = scripted({ a: () => err.server(), x: () => err.server() });
      assert.equal(done(await r.run('a', s.attempt)).alias, 'd');
      await gatewayRejection(r.run('x', s.attempt));
      assert.deepEqual(s.ids(), ['a', 'd', 'x']);
    });

    it('never tries an alias twice and does not chain fallbacks of fallbacks', async () => {
      const r = new Router(
        makeConfig([dep('a', { id: 'a' }), dep('b', { id: 'b' }), dep('c', { id: 'c' })], {
          numRetries: 0,
          fallbacks: { a: ['b', 'a', 'b'], b: ['a', 'c'] },
          defaultFallbacks: ['c'],
        }),
        { clock: new ManualClock() },
      );
      const s = scripted({ a: () => err.server(), b: () => err.server() });
      await gatewayRejection(r.run('a', s.attempt));
      assert.deepEqual(s.ids(), ['a', 'b']);
    });

    it('a bad_request inside a fallback group ends that group and the next fallback is tried', async () => {
      const r = new Router(makeConfig([dep('a', { id: 'a' }), dep('b', { id: 'b' }), dep('c', { id: 'c' })], { numRetries: 0, fallbacks: { a: ['b', 'c'] } }), {
        clock: new ManualClock(),
      });
      const s = scripted({ a: () => err.server(), b: () => err.bad() });
      assert.equal(done(await r.run('a', s.attempt)).alias, 'c');
      assert.deepEqual(s.ids(), ['a', 'b', 'c']);
    });
  });

  describe('abort', () => {
    it('rejects at once with an AbortError when the signal is already aborted', async () => {
      const r = new Router(makeConfig([dep('m', { id: 'only' })]));
      const s = scripted();
      const ac = new AbortController();
      ac.abort();
      const e = await rejection(r.run('m', s.attempt, { signal: ac.signal }));
      assert.equal((e as Error).name, 'AbortError');
      assert.equal(s.calls.length, 0);
    });

    it('interrupts a backoff sleep and makes no further attempt', async () => {
      const clock = new ManualClock();
      clock.blockSleeps = true;
      const r = new Router(makeConfig([dep('m', { id: 'only' }), dep('fb', { id: 'f' })], { fallbacks: { m: ['fb'] } }), { clock });
      const s = scripted({ only: () => err.server() });
      const ac = new AbortController();
      const p = r.run('m', s.attempt, { signal: ac.signal });
      await clock.sleepStarted;
      ac.abort(new Error('client went away'));
      const e = await rejection(p);
      assert.equal((e as Error).name, 'AbortError');
      clock.releaseSleeps();
      await new Promise((res) => setImmediate(res));
      assert.deepEqual(s.ids(), ['only']);
      assert.equal(r.health()[0]!.inFlight, 0);
    });

    it('stops when the attempt fails because of the abort, without booking a failure', async () => {
      const r = new Router(makeConfig([dep('m', { id: 'only' })]), { clock: new ManualClock() });
      const ac = new AbortController();
      let calls = 0;
      const p = r.run(
        'm',
        (_d, _info) =>
          new Promise<string>((_res, rej) => {
            calls++;
            ac.signal.addEventListener('abort', () => rej(new UpstreamError('connection', 'socket closed', 0)), { once: true });
          }),
        { signal: ac.signal },
      );
      ac.abort();
      const e = await rejection(p);
      assert.equal((e as Error).name, 'AbortError');
      assert.equal(calls, 1);
      const h = r.health()[0]!;
      assert.equal(h.failures, 0);
      assert.equal(h.inFlight, 0);
    });
  });

  describe('systemClock', () => {
    it('sleep rejects with the signal reason on abort and clears its timer', async () => {
      const ac = new AbortController();
      const reason = new Error('stop');
      const p = systemClock.sleep(10_000, ac.signal);
      ac.abort(reason);
      assert.equal(await rejection(p), reason);
      assert.equal(await rejection(systemClock.sleep(5, ac.signal)), reason);
      await systemClock.sleep(0);
      assert.ok(Math.abs(systemClock.now() - Date.now()) < 1_000);
    });
  });

  describe('events and health', () => {
    it('emits retry events with their delays, and a throwing sink does not break routing', async () => {
      const clock = new ManualClock();
      const events: RouterEvent[] = [];
      const r = new Router(makeConfig([dep('m', { id: 'only' })]), {
        clock,
        random: () => 0.5,
        onEvent: (e) => {
          events.push(e);
          throw new Error('sink failure');
        },
      });
      const s = scripted({ only: [err.server(), err.server()] });
      done(await r.run('m', s.attempt));
      const retries = events.filter((e) => e.type === 'retry');
      assert.deepEqual(
        retries.map((e) => (e.type === 'retry' ? [e.retry, e.delayMs, e.kind] : [])),
        [
          [1, 250, 'server'],
          [2, 500, 'server'],
        ],
      );
    });

    it('reports per-deployment health without secrets', async () => {
      const clock = new ManualClock();
      const key = fakeKey();
      const r = new Router(makeConfig([dep('m', { id: 'm1', provider: 'deepseek', model: 'deepseek-chat' }), dep('n', { id: 'n1' })], { numRetries: 0 }), { clock });
      const s = scripted({ m1: [new UpstreamError('auth', `Incorrect API key provided: ${key}`, 401)] });
      await gatewayRejection(r.run('m', s.attempt));
      clock.advance(40);
      done(await r.run('n', async (d) => {
        clock.advance(40);
        return d.id;
      }));
      const [m1, n1] = r.health();
      assert.equal(m1!.id, 'm1');
      assert.equal(m1!.alias, 'm');
      assert.equal(m1!.provider, 'deepseek');
      assert.equal(m1!.model, 'deepseek-chat');
      assert.equal(m1!.requests, 1);
      assert.equal(m1!.failures, 1);
      assert.equal(m1!.recentFailures, 1);
      assert.ok(m1!.lastError && m1!.lastError.startsWith('auth 401'));
      assert.ok(!m1!.lastError!.includes(key));
      assert.equal(m1!.latencyEwmaMs, null);
      assert.equal(n1!.latencyEwmaMs, 40);
      assert.equal(n1!.lastError, null);
      assert.ok(!JSON.stringify(r.health()).includes(key));
    });
  });
});
