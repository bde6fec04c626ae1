/**
 * The names wildcard routes list in /v1/models and the Codex catalog (src/gateway/wildcard-models.ts, after
 * LiteLLM's `get_known_models_from_wildcard` and `litellm_settings.check_provider_endpoint`): naming (a name
 * is listed only when it routes back to the listed model), models known without a network call (the ChatGPT
 * plan's), the merge into the Runtime's bodies, and the provider listing's caching, timeout and failure
 * handling with an injected clock, timer and fetch (no network here; the HTTP path is in
 * test/integration/wildcard-models.test.ts).
 */
import assert from 'node:assert/strict';
import { parseConfigText, resolveConfig } from '../../src/gateway/config';
import { PLAN_MODELS } from '../../src/gateway/chatgpt/models';
import { Runtime, type ListingDeps } from '../../src/gateway/runtime';
import type { GatewayConfig } from '../../src/gateway/types';
import { LISTING_TIMEOUT_MS, LISTING_TTL_MS, LISTING_WAIT_MS, listedName, WildcardModels, type FetchModelIds } from '../../src/gateway/wildcard-models';

function load(yaml: string): GatewayConfig {
  return resolveConfig(parseConfigText(yaml, 'w.yaml'), { warn: () => undefined, env: () => undefined });
}

const OPENAI = `
model_list:
  - model_name: chat
    litellm_params: { model: deepseek/deepseek-chat }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_key: os.environ/OPENAI_API_KEY }
litellm_settings:
  check_provider_endpoint: true
`;

/** Manual timers: `fire(ms)` runs every armed, uncancelled timer of that duration. */
function manualTimers() {
  const armed = new Map<() => void, number>();
  return {
    setTimer: (fn: () => void, ms: number) => {
      armed.set(fn, ms);
      return () => armed.delete(fn);
    },
    fire: (ms: number) => {
      for (const [fn, d] of [...armed]) {
        if (d !== ms) continue;
        armed.delete(fn);
        fn();
      }
    },
    /** Durations of the armed timers, sorted. */
    get pending() {
      return [...armed.values()].sort((a, b) => a - b);
    },
  };
}

function names(w: WildcardModels): string[] {
  return w.list().map((m) => m.name);
}

describe('wildcard model listing (LiteLLM check_provider_endpoint)', () => {
  describe('naming', () => {
    const route = (config: GatewayConfig, pattern: string) => config.wildcards!.find((r) => r.pattern === pattern)!;

    it('names an id by the pattern so that it routes back to that model', () => {
      const config = load(OPENAI);
      const r = route(config, 'openai/*');
      const m = listedName(config, r, r.entries[0]!, 'gpt-5.5')!;
      assert.equal(m.name, 'openai/gpt-5.5');
      assert.equal(m.deployment.provider, 'openai');
      assert.equal(m.deployment.model, 'gpt-5.5');
    });

    it('lists bare ids for "*", filters by the model prefix, and refuses names that route elsewhere', () => {
      const config = load(`
model_list:
  - model_name: gpt-5.5
    litellm_params: { model: deepseek/deepseek-chat }
  - model_name: "*"
    litellm_params: { model: "openai/*" }
  - model_name: "ds/gpt-*"
    litellm_params: { model: "deepseek/gpt-*" }
  - model_name: "odd/gpt-*"
    litellm_params: { model: "openai/*" }
`);
      const star = route(config, '*');
      assert.equal(listedName(config, star, star.entries[0]!, 'o3')?.name, 'o3');
      assert.equal(listedName(config, star, star.entries[0]!, 'gpt-5.5'), undefined, 'an alias of that name wins');
      assert.equal(listedName(config, star, star.entries[0]!, 'ds/gpt-x'), undefined, 'a more specific pattern takes that name');
      assert.equal(listedName(config, star, star.entries[0]!, 'has space'), undefined);
      const ds = route(config, 'ds/gpt-*');
      assert.equal(listedName(config, ds, ds.entries[0]!, 'gpt-4o')?.name, 'ds/gpt-4o');
      assert.equal(listedName(config, ds, ds.entries[0]!, 'o3'), undefined, 'the model prefix filters ids');
      // LiteLLM would list openai's gpt-5.5 as odd/gpt-5.5, which routes to model "5.5"; here the name is the
      // one that routes to gpt-5.5.
      const odd = route(config, 'odd/gpt-*');
      assert.equal(listedName(config, odd, odd.entries[0]!, 'gpt-5.5')?.name, 'odd/gpt-gpt-5.5');
    });

    it('lists the ChatGPT plan models of a chatgpt/* route without any network call', () => {
      const config = load('model_list:\n  - model_name: "chatgpt/*"\n    litellm_params: { model: "chatgpt/*" }\ngateway_settings:\n  chatgpt_plan: true\n');
      let fetched = 0;
      const w = new WildcardModels(config, { checkProviderEndpoint: true, fetchIds: async () => (fetched++, []), secrets: () => undefined, logger: { warn() {}, debug() {} } });
      assert.deepEqual(names(w), [...PLAN_MODELS.keys()].map((id) => `chatgpt/${id}`));
      return w.refresh().then(() => assert.equal(fetched, 0, 'the ChatGPT backend is never asked for a list'));
    });
  });

  describe('provider listing', () => {
    function setup(fetchIds: FetchModelIds, secrets: Record<string, string> = { OPENAI_API_KEY: 'k-test' }) {
      let now = 1_000_000;
      const timers = manualTimers();
      const logs: string[] = [];
      const w = new WildcardModels(load(OPENAI), {
        checkProviderEndpoint: true,
        fetchIds,
        secrets: (n) => secrets[n],
        logger: { warn: (m) => logs.push(`warn ${m}`), debug: (m) => logs.push(`debug ${m}`) },
        now: () => now,
        setTimer: timers.setTimer,
      });
      return { w, timers, logs, advance: (ms: number) => (now += ms) };
    }

    it('asks once, with the key, and caches the answer for the TTL', async () => {
      const calls: { base: string; key: string | undefined }[] = [];
      const { w, advance, timers } = setup(async (d, key) => (calls.push({ base: d.apiBase, key }), ['gpt-5.5', 'o3']));
      assert.deepEqual(names(w), []);
      const v0 = w.version;
      await Promise.all([w.refresh(), w.refresh()]);
      assert.equal(calls.length, 1, 'concurrent refreshes share one request');
      assert.deepEqual(calls[0], { base: 'https://api.openai.com/v1', key: 'k-test' });
      assert.deepEqual(names(w), ['openai/gpt-5.5', 'openai/o3']);
      assert.notEqual(w.version, v0);
      assert.deepEqual(timers.pending, [], 'the timeout and wait timers are cancelled');
      advance(LISTING_TTL_MS - 1);
      await w.refresh();
      assert.equal(calls.length, 1);
      advance(1);
      await w.refresh();
      assert.equal(calls.length, 2, 'asked again once the TTL passed');
    });

    it('times out, lists nothing extra, logs once without the key, and retries after the TTL', async () => {
      let answer: ((ids: string[]) => void) | undefined;
      let aborted = false;
      const { w, timers, logs, advance } = setup((_d, _k, signal) => new Promise((resolve) => ((answer = resolve), signal.addEventListener('abort', () => (aborted = true)))));
      const p = w.refresh();
      assert.deepEqual(timers.pending, [LISTING_WAIT_MS, LISTING_TIMEOUT_MS]);
      timers.fire(LISTING_TIMEOUT_MS);
      await p;
      assert.equal(aborted, true, 'the request is aborted');
      assert.deepEqual(names(w), []);
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /^warn wildcard "openai\/\*" \(model_list\[1\]\): could not list the provider's models \(timed out\)/);
      assert.doesNotMatch(logs.join('\n'), /k-test/);
      answer?.(['late']);
      assert.deepEqual(names(w), [], 'an answer after the timeout is ignored');
      advance(LISTING_TTL_MS);
      const q = w.refresh();
      timers.fire(LISTING_TIMEOUT_MS);
      await q;
      assert.equal(logs.length, 2);
      assert.match(logs[1]!, /^debug /, 'later failures of the same entry are debug lines');
    });

    it('stops waiting after the wait bound; the late answer serves the next call', async () => {
      let answer: ((ids: string[]) => void) | undefined;
      let calls = 0;
      const { w, timers } = setup(() => new Promise((resolve) => ((answer = resolve), calls++)));
      const p = w.refresh();
      timers.fire(LISTING_WAIT_MS);
      await p;
      assert.deepEqual(names(w), [], 'nothing yet');
      assert.deepEqual(timers.pending, [LISTING_TIMEOUT_MS], 'the request still runs under its own timeout');
      const v = w.version;
      answer!(['gpt-5.5']);
      const q = w.refresh();
      await q;
      assert.equal(calls, 1, 'the pending request is joined, not repeated');
      assert.deepEqual(names(w), ['openai/gpt-5.5']);
      assert.notEqual(w.version, v);
      assert.deepEqual(timers.pending, []);
    });

    it('names the missing key variable and asks nothing when the key is not set', async () => {
      let calls = 0;
      const { w, logs } = setup(async () => (calls++, ['x']), {});
      await w.refresh();
      assert.equal(calls, 0);
      assert.match(logs[0]!, /\(OPENAI_API_KEY is not set\); /);
    });

    it('drops the names of a listing that later fails (a failure lists nothing extra)', async () => {
      let fail = false;
      const { w, advance } = setup(async () => {
        if (fail) throw new Error('HTTP 500 from api.openai.com');
        return ['gpt-5.5'];
      });
      await w.refresh();
      assert.deepEqual(names(w), ['openai/gpt-5.5']);
      fail = true;
      advance(LISTING_TTL_MS);
      await w.refresh();
      assert.deepEqual(names(w), []);
    });

    it('is off without check_provider_endpoint', async () => {
      let calls = 0;
      const w = new WildcardModels(load(OPENAI.replace('check_provider_endpoint: true', 'drop_params: true')), {
        checkProviderEndpoint: false,
        fetchIds: async () => (calls++, ['x']),
        secrets: () => 'k',
        logger: { warn() {}, debug() {} },
      });
      await w.refresh();
      assert.equal(calls, 0);
    });
  });

  describe('runtime bodies', () => {
    it('appends listed names after the aliases in /v1/models and the Codex catalog, re-serialised when the listing arrives', async () => {
      const deps: ListingDeps = {
        secrets: () => 'k-test',
        dispatcher: undefined as never,
        logger: { warn() {}, debug() {} },
        fetchIds: async () => ['gpt-5.5', 'chat'],
      };
      const rt = new Runtime(load(OPENAI), {}, deps);
      assert.deepEqual(JSON.parse(rt.modelsJson).data.map((m: { id: string }) => m.id), ['chat']);
      assert.deepEqual(JSON.parse(rt.catalogJson(undefined)).models.map((m: { slug: string }) => m.slug), ['default', 'chat']);
      await rt.refreshListing();
      const data = JSON.parse(rt.modelsJson).data as { id: string; provider: string; upstream_model: string }[];
      assert.deepEqual(
        data.map((m) => [m.id, m.provider, m.upstream_model]),
        [
          ['chat', 'deepseek', 'deepseek-chat'],
          ['openai/gpt-5.5', 'openai', 'gpt-5.5'],
          ['openai/chat', 'openai', 'chat'],
        ],
      );
      const models = JSON.parse(rt.catalogJson(undefined)).models as { slug: string; visibility: string; priority: number; description: string }[];
      assert.deepEqual(models.map((m) => m.slug), ['default', 'chat', 'openai/gpt-5.5', 'openai/chat']);
      assert.equal(models[2]!.visibility, 'list');
      assert.equal(models[2]!.priority, 2);
      assert.equal(models[2]!.description, 'openai/gpt-5.5 via Codex Gateway');
      const combined = JSON.parse(rt.combinedModelsJson(undefined));
      assert.equal(combined.data.length, 3);
      assert.equal(combined.models.length, 4);
    });
  });
});
