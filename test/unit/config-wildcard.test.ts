/**
 * Wildcard aliases (LiteLLM "wildcard routing", litellm/router_utils/pattern_match_deployments.py): the pure
 * matching and substitution rules, the loader (entries become routes, fallbacks may name matched names), and
 * the router (exact aliases first, most specific pattern next, per-name groups with their own cooldowns and
 * fallbacks). The router is driven with scripted attempts on a manual clock; no network.
 */
import assert from 'node:assert/strict';
import { GatewayError, UpstreamError } from '../../src/gateway/errors';
import { ConfigError, parseConfigText, resolveConfig } from '../../src/gateway/config';
import { compilePattern, matchPattern, sortBySpecificity, substituteModel } from '../../src/gateway/config/wildcard';
import { Router } from '../../src/gateway/router';
import { Runtime } from '../../src/gateway/runtime';
import { aliasInfos } from '../../src/extension/status-model';
import type { Deployment, GatewayConfig } from '../../src/gateway/types';
import { ManualClock, seeded } from './router/helpers';

function load(yaml: string): { config: GatewayConfig; warned: string[] } {
  const warned: string[] = [];
  const config = resolveConfig(parseConfigText(yaml, 'w.yaml'), { warn: (m) => warned.push(m), env: () => undefined });
  return { config, warned };
}

/** Routes `name` once with an attempt that records and answers with the deployment it got. */
async function route(router: Router, name: string, fail?: (d: Deployment) => UpstreamError | undefined): Promise<{ alias: string; d: Deployment; tried: string[] }> {
  const tried: string[] = [];
  const r = await router.run(name, async (d) => {
    tried.push(`${d.alias}=${d.provider}/${d.model}`);
    const e = fail?.(d);
    if (e) throw e;
    return d;
  });
  r.release({ ok: true });
  return { alias: r.alias, d: r.value, tried };
}

describe('wildcard aliases', () => {
  describe('matching and substitution (pure)', () => {
    it('orders patterns as LiteLLM does: longer regex first, then more special characters; stable otherwise', () => {
      const sorted = sortBySpecificity(['*', 'openai/*', 'openai/gpt-*', 'a*', 'b*'].map(compilePattern)).map((p) => p.pattern);
      assert.deepEqual(sorted, ['openai/gpt-*', 'openai/*', 'a*', 'b*', '*']);
      // LiteLLM's regex text: re.escape (which escapes "-" but not "/"), then \* -> (.*).
      assert.deepEqual(compilePattern('openai/gpt-*').specificity, ['openai/gpt\\-(.*)'.length, 4]);
    });

    it('matches whole names only, captures each *, and treats regex characters literally', () => {
      const sorted = sortBySpecificity(['openai/*', 'x.y-*', '*-mini', 'fo::*::static::*'].map(compilePattern));
      assert.deepEqual(matchPattern(sorted, 'openai/gpt-5.5')?.captures, ['gpt-5.5']);
      assert.equal(matchPattern(sorted, 'xzy-1'), undefined, '"." is no regex wildcard');
      assert.deepEqual(matchPattern(sorted, 'x.y-1')?.captures, ['1']);
      assert.equal(matchPattern(sorted, 'gpt-mini-2'), undefined, 'anchored at the end too');
      assert.deepEqual(matchPattern(sorted, 'fo::a::static::b')?.captures, ['a', 'b']);
    });

    it('refuses names that cannot travel safely (spaces, control or non-ASCII characters, > 256 chars)', () => {
      const sorted = [compilePattern('*')];
      for (const bad of ['', 'a b', 'a\nb', 'modèle', 'x'.repeat(257)]) assert.equal(matchPattern(sorted, bad), undefined, JSON.stringify(bad));
      assert.ok(matchPattern(sorted, 'x'.repeat(256)));
    });

    it('substitutes like set_deployment_model_name', () => {
      assert.equal(substituteModel('openai/*', ['gpt-5.5'], 'openai/gpt-5.5'), 'openai/gpt-5.5');
      assert.equal(substituteModel('openai/*', ['gpt-5.5'], 'llmengine/gpt-5.5'), 'openai/gpt-5.5');
      assert.equal(substituteModel('openai/fo::*::static::*', ['a', 'b'], 'r'), 'openai/fo::a::static::b');
      assert.equal(substituteModel('openai/gpt-4o', ['x'], 'r'), 'openai/gpt-4o', 'no * in the model: used as written');
      assert.equal(substituteModel('openai/*', ['a', 'b'], 'a-b'), 'a-b', 'more captures than *s: the requested name');
      assert.equal(substituteModel('openai/*', ['$&$1'], 'r'), 'openai/$&$1', 'replacement text is literal');
    });
  });

  describe('loader', () => {
    it('turns wildcard entries into routes sorted by specificity; exact entries stay aliases', () => {
      const { config, warned } = load(
        [
          'model_list:',
          '  - model_name: "*"',
          '    litellm_params: { model: "*" }',
          '  - model_name: chat',
          '    litellm_params: { model: deepseek/deepseek-chat }',
          '  - model_name: "openai/*"',
          '    litellm_params: { model: "openai/*" }',
          '    model_info: { id: oa }',
        ].join('\n'),
      );
      assert.deepEqual(warned, []);
      assert.deepEqual([...config.groups.keys()], ['chat']);
      assert.deepEqual(config.wildcards?.map((w) => w.pattern), ['openai/*', '*']);
      assert.deepEqual(config.wildcards?.map((w) => w.entries.map((e) => [e.id, e.provider])), [[['oa', 'openai']], [['*#0', undefined]]]);
    });

    it('validates a wildcard entry at load time like any other deployment', () => {
      assert.throws(
        () => load('model_list:\n  - model_name: "local/*"\n    litellm_params: { model: "hosted_vllm/*" }\n'),
        (e: unknown) => e instanceof ConfigError && e.issues[0]!.path === 'model_list[0].litellm_params.api_base',
      );
    });

    it('accepts fallbacks and model_group_alias naming a name a wildcard matches, or the pattern itself', () => {
      const { config } = load(
        [
          'model_list:',
          '  - model_name: chat',
          '    litellm_params: { model: deepseek/deepseek-chat }',
          '  - model_name: "openai/*"',
          '    litellm_params: { model: "openai/*" }',
          'router_settings:',
          '  fallbacks: [{ chat: ["openai/gpt-4o"] }, { "openai/*": [chat] }]',
          '  model_group_alias: { big: "openai/gpt-5.5" }',
        ].join('\n'),
      );
      assert.deepEqual(config.router.fallbacks, { chat: ['openai/gpt-4o'], 'openai/*': ['chat'] });
      assert.equal(config.router.modelGroupAlias.get('big'), 'openai/gpt-5.5');
      assert.throws(() => load('model_list:\n  - model_name: "openai/*"\n    litellm_params: { model: "openai/*" }\nrouter_settings:\n  fallbacks: [{ "deepseek/x": ["openai/a"] }]\n'), /unknown model alias "deepseek\/x"/);
    });

    it('skips an entry whose model has a * that its model_name cannot fill', () => {
      const { config, warned } = load('model_list:\n  - model_name: gpt\n    litellm_params: { model: "openai/*" }\n  - model_name: c\n    litellm_params: { model: deepseek/x }\n');
      assert.deepEqual([...config.groups.keys()], ['c']);
      assert.match(warned[0]!, /model_list\[0\] \(model_name "gpt"\) is skipped: litellm_params\.model "openai\/\*" has a \* but model_name "gpt" has none/);
    });
  });

  describe('router', () => {
    const CONFIG = [
      'model_list:',
      '  - model_name: "openai/gpt-5.5"',
      '    litellm_params: { model: deepseek/exact }',
      '  - model_name: chat',
      '    litellm_params: { model: deepseek/deepseek-chat }',
      '  - model_name: "openai/*"',
      '    litellm_params: { model: "openai/*" }',
      '  - model_name: "openai/gpt-*"',
      '    litellm_params: { model: "openai/gpt-*", api_base: "http://127.0.0.1:9/v1", wire_api: chat }',
      '  - model_name: "*"',
      '    litellm_params: { model: "*" }',
      'router_settings:',
      '  num_retries: 0',
      '  fallbacks: [{ "openai/*": [chat] }, { "openai/o3": ["openai/o4-mini"] }]',
    ].join('\n');

    it('an exact alias wins over every pattern; otherwise the most specific pattern, with the model substituted', async () => {
      const router = new Router(load(CONFIG).config, { clock: new ManualClock(), random: seeded(1) });
      assert.deepEqual((await route(router, 'openai/gpt-5.5')).tried, ['openai/gpt-5.5=deepseek/exact']);
      const gpt = await route(router, 'openai/gpt-4.1');
      assert.deepEqual(gpt.tried, ['openai/gpt-4.1=openai/gpt-4.1']);
      assert.equal(gpt.d.apiBase, 'http://127.0.0.1:9/v1', 'openai/gpt-* (more specific) served it');
      assert.equal(gpt.d.wire, 'chat');
      const o3 = await route(router, 'openai/o3');
      assert.deepEqual(o3.tried, ['openai/o3=openai/o3']);
      assert.equal(o3.d.apiBase, 'https://api.openai.com/v1');
      assert.equal(o3.alias, 'openai/o3', 'the group is the requested name');
      assert.equal(o3.d.id, 'openai/o3#2');
      assert.deepEqual((await route(router, 'anthropic/claude-sonnet-4-5')).tried, ['anthropic/claude-sonnet-4-5=anthropic/claude-sonnet-4-5']);
      assert.deepEqual((await route(router, 'gpt-4o')).tried, ['gpt-4o=openai/gpt-4o'], '"*" + model "*": a bare name is OpenAI\'s');
      assert.ok(router.serves('anything/at-all') && router.serves('chat'));
    });

    it('answers a name the matched entry cannot serve with 400 model_not_found saying why, without an attempt', async () => {
      const router = new Router(load(CONFIG).config);
      let calls = 0;
      const e = await router.run('nosuch/model', async () => ++calls).then(
        () => assert.fail('expected a rejection'),
        (x: unknown) => x,
      );
      assert.ok(e instanceof GatewayError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'model_not_found');
      assert.match(e.message, /matches the wildcard model_name '\*' in config\.yaml, but that entry cannot serve it: .*unknown provider "nosuch"/);
      assert.equal(calls, 0);
    });

    it('lists the patterns among the known models when nothing matches', async () => {
      const router = new Router(load('model_list:\n  - model_name: chat\n    litellm_params: { model: deepseek/x }\n  - model_name: "openai/*"\n    litellm_params: { model: "openai/*" }\n').config);
      const e = await router.run('gemini/x', async () => 1).catch((x: unknown) => x);
      assert.ok(e instanceof GatewayError);
      assert.match(e.message, /Known models: chat, openai\/\*\./);
    });

    it('falls back by the requested name first, then by the pattern; cooldowns are per requested name', async () => {
      const clock = new ManualClock();
      const router = new Router(load(CONFIG).config, { clock, random: seeded(2) });
      const rate = (d: Deployment) => (d.provider === 'openai' && d.model !== 'o4-mini' ? new UpstreamError('rate_limit', 'Rate limit reached', 429) : undefined);
      // openai/o3 has its own fallbacks entry.
      const o3 = await route(router, 'openai/o3', rate);
      assert.deepEqual(o3.tried, ['openai/o3=openai/o3', 'openai/o4-mini=openai/o4-mini']);
      // openai/o1 has none: the pattern's entry applies.
      const o1 = await route(router, 'openai/o1', rate);
      assert.deepEqual(o1.tried, ['openai/o1=openai/o1', 'chat=deepseek/deepseek-chat']);
      // o3 is cooling down after its 429 (straight to its fallback); o1-mini is not affected.
      assert.deepEqual((await route(router, 'openai/o3')).tried, ['openai/o4-mini=openai/o4-mini']);
      assert.deepEqual((await route(router, 'openai/o1-mini')).tried, ['openai/o1-mini=openai/o1-mini']);
      clock.advance(6_000);
      assert.deepEqual((await route(router, 'openai/o3')).tried, ['openai/o3=openai/o3'], 'cooldown over');
    });

    it('keeps one group per requested name: the same Deployment object on every request', async () => {
      const router = new Router(load(CONFIG).config);
      const a = await route(router, 'openai/o3');
      const b = await route(router, 'openai/o3');
      assert.equal(a.d, b.d);
    });
  });

  describe('runtime', () => {
    it('lists no pattern in /v1/models or the Codex catalog, and lets `default` follow a wildcard-matched model', () => {
      const rt = new Runtime(load('model_list:\n  - model_name: chat\n    litellm_params: { model: deepseek/x }\n  - model_name: "openai/*"\n    litellm_params: { model: "openai/*" }\n').config);
      assert.deepEqual(JSON.parse(rt.modelsJson).data.map((m: { id: string }) => m.id), ['chat']);
      assert.deepEqual(JSON.parse(rt.catalogJson(undefined)).models.map((m: { slug: string }) => m.slug), ['default', 'chat']);
      assert.equal(rt.defaultTarget('openai/gpt-5.5'), 'openai/gpt-5.5');
      assert.equal(rt.defaultTarget('gemini/x'), 'chat', 'a name nothing serves falls back to the first alias');
      assert.equal(rt.resolveAlias('default', 'openai/gpt-5.5'), 'openai/gpt-5.5');
    });

    it('gives the settings panel one row per pattern ("openai/*" -> "openai/* (any model)") with its key status', () => {
      const { config } = load('model_list:\n  - model_name: chat\n    litellm_params: { model: deepseek/x }\n  - model_name: "openai/*"\n    litellm_params: { model: "openai/*" }\nrouter_settings:\n  fallbacks: [{ "openai/*": [chat] }]\n');
      const rows = aliasInfos(config, (n) => n === 'OPENAI_API_KEY');
      assert.deepEqual(rows[1], { alias: 'openai/*', targets: ['openai/* (any model)'], keys: [{ name: 'OPENAI_API_KEY', state: 'set' }], fallbacks: ['chat'] });
    });
  });
});
