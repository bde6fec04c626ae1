/**
 * The settings panel's pure logic (webview/*.ts, no DOM): provider presets from the engine's registry, config edits
 * (add / duplicate / delete / field changes / fallbacks / router settings), issue-path -> field mapping, live
 * statistics (p50 by nearest rank), and the reducer with persisted state (getState/setState round trip).
 */
import * as assert from 'node:assert/strict';
import { resolveConfig } from '../../src/gateway/config';
import { PROVIDERS } from '../../src/gateway/config/providers';
import type { PanelClaudeCode, PanelSnapshot, TimedRequestRecord } from '../../src/shared/panel-protocol';
import {
  addEntry,
  deleteEntry,
  duplicateEntry,
  entryView,
  fallbackChains,
  keyNamesOf,
  moveItem,
  parseNumberInput,
  ROUTER_DEFAULTS,
  routerField,
  setEntryField,
  setFallbackChain,
  setRouterField,
  stableJson,
} from '../../webview/config-edit';
import { assignIssues, countUnder, fallbackAliasOf, formatPath, parsePath } from '../../webview/issues';
import { liveStats, p50, percentile, pruneRecords } from '../../webview/live-stats';
import { presetFor, PRESETS } from '../../webview/presets';
import { claudeCodeView, currentConfig, initialState, isDirty, persist, reduce, unknownKeyNames, viewModel, type PanelState } from '../../webview/state';

const base = () => ({
  model_list: [
    { model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: 'http://127.0.0.1:9/v1' } },
    { model_name: 'beta', litellm_params: { model: 'deepseek/deepseek-chat', api_key: 'os.environ/DEEPSEEK_API_KEY' }, model_info: { context_window: 64000 } },
    { model_name: 'gamma', litellm_params: { model: 'ollama/qwen2.5-coder:7b' } },
  ],
  router_settings: { num_retries: 1, fallbacks: [{ alpha: ['beta', 'gamma'] }] },
});

function snapshot(config: unknown, extra: Partial<PanelSnapshot> = {}): PanelSnapshot {
  return { config, defaultModel: '', keys: {}, gateway: { phase: 'running', port: 4141 }, issues: [], recent: [], liveWindowMs: 15 * 60_000, ...extra };
}

function rec(alias: string, at: number, latencyMs: number, extra: Partial<TimedRequestRecord> = {}): TimedRequestRecord {
  return { route: '/v1/responses', alias, status: 200, latencyMs, retries: 0, stream: true, at, ...extra };
}

describe('webview presets', () => {
  it('lists the issue providers first, each with the registry base URL and key name', () => {
    assert.deepEqual(
      PRESETS.slice(0, 11).map((p) => p.id),
      ['openai', 'anthropic', 'deepseek', 'dashscope', 'gemini', 'openrouter', 'ollama', 'groq', 'mistral', 'xai', 'openai_compatible'],
    );
    for (const p of PRESETS) {
      const spec = PROVIDERS.get(p.id)!;
      assert.equal(p.defaultApiBase, spec.defaultApiBase, p.id);
      assert.equal(p.keyEnv, spec.defaultKeyEnv, p.id);
      assert.equal(p.keyRequired, spec.keyRequired, p.id);
    }
    // Every canonical provider is offered exactly once (custom_openai duplicates openai_compatible).
    const canonical = new Set([...PROVIDERS.values()].map((s) => s.id));
    canonical.delete('custom_openai');
    assert.deepEqual(new Set(PRESETS.map((p) => p.id)), canonical);
    assert.equal(PRESETS.length, canonical.size);
  });

  it('resolves registry aliases to their canonical preset', () => {
    assert.equal(presetFor('qwen')?.id, 'dashscope');
    assert.equal(presetFor('ollama_chat')?.id, 'ollama');
    assert.equal(presetFor('nope'), undefined);
    assert.equal(presetFor('deepseek')?.keyEnv, 'DEEPSEEK_API_KEY');
  });

  it('a preset-added entry resolves once its model name is typed, with the provider defaults', () => {
    for (const id of ['deepseek', 'openrouter', 'gemini', 'ollama', 'groq', 'mistral', 'xai', 'dashscope']) {
      const preset = presetFor(id)!;
      const added = addEntry({ model_list: [] }, preset);
      assert.equal(added.index, 0);
      const issues = (() => {
        try {
          resolveConfig(added.config, { env: () => undefined });
          return [];
        } catch (e) {
          return (e as { issues: { path: string }[] }).issues.map((i) => i.path);
        }
      })();
      assert.deepEqual(issues, ['model_list[0].litellm_params.model'], `${id}: the empty model name is the only problem`);
      const typed = setEntryField(added.config, 0, 'model', preset.exampleModel);
      const cfg = resolveConfig(typed, { env: () => undefined });
      const d = cfg.deployments[0]!;
      assert.equal(d.provider, id);
      assert.equal(d.apiBase, preset.defaultApiBase);
      assert.deepEqual(d.apiKey, preset.keyEnv ? { kind: 'env', name: preset.keyEnv } : { kind: 'none' });
    }
  });
});

describe('webview config edits', () => {
  it('reads entries as table cells (provider, key source, defaults)', () => {
    const c = base();
    const a = entryView(c.model_list[0], 0);
    assert.equal(a.provider, 'openai_compatible');
    assert.equal(a.keySource, 'none');
    assert.equal(a.apiBase, 'http://127.0.0.1:9/v1');
    const b = entryView(c.model_list[1], 1);
    assert.deepEqual([b.provider, b.providerLabel, b.model, b.keySource, b.keyName, b.contextWindow], ['deepseek', 'DeepSeek', 'deepseek-chat', 'reference', 'DEEPSEEK_API_KEY', '64000']);
    assert.equal(b.apiBaseDefault, 'https://api.deepseek.com/v1');
    const bare = entryView({ model_name: 'x', litellm_params: { model: 'gpt-4o' } }, 0);
    assert.deepEqual([bare.provider, bare.keySource, bare.keyName], ['openai', 'provider-default', 'OPENAI_API_KEY']);
    const literal = entryView({ model_name: 'x', litellm_params: { model: 'groq/llama', api_key: 'not-a-reference' } }, 0);
    assert.equal(literal.keySource, 'literal');
    assert.equal(literal.keyName, undefined);
    assert.equal(entryView('garbage', 3).alias, '');
    assert.deepEqual(keyNamesOf({ model_list: [...base().model_list, { model_name: 'o', litellm_params: { model: 'openai/gpt-5' } }] }), ['DEEPSEEK_API_KEY', 'OPENAI_API_KEY']);
  });

  it('changing the provider moves the default key name and drops a default api_base; never mutates the input', () => {
    const c = base();
    const frozen = stableJson(c);
    const next = setEntryField(c, 1, 'provider', 'groq');
    assert.equal(stableJson(c), frozen);
    const p = (next.model_list as any[])[1].litellm_params;
    assert.equal(p.model, 'groq/deepseek-chat');
    assert.equal(p.api_key, 'os.environ/GROQ_API_KEY');
    // A key name the user chose is kept.
    const custom = setEntryField(setEntryField(c, 1, 'key_name', 'MY_KEY'), 1, 'provider', 'mistral');
    assert.equal((custom.model_list as any[])[1].litellm_params.api_key, 'os.environ/MY_KEY');
    // To a provider without key: the default reference goes away.
    const local = setEntryField(c, 1, 'provider', 'ollama');
    assert.equal((local.model_list as any[])[1].litellm_params.api_key, undefined);
    // An api_base equal to the old default is removed.
    const withDefault = setEntryField(c, 1, 'api_base', 'https://api.deepseek.com/v1');
    assert.equal((setEntryField(withDefault, 1, 'provider', 'xai').model_list as any[])[1].litellm_params.api_base, undefined);
  });

  it('renaming an alias renames it in fallback chains; numbers are parsed, text kept for the engine to report', () => {
    const renamed = setEntryField(base(), 1, 'model_name', 'bravo');
    assert.deepEqual(fallbackChains(renamed), { alpha: ['bravo', 'gamma'] });
    const w = setEntryField(base(), 0, 'weight', '3');
    assert.equal((w.model_list as any[])[0].litellm_params.weight, 3);
    const bad = setEntryField(base(), 0, 'weight', 'heavy');
    assert.equal((bad.model_list as any[])[0].litellm_params.weight, 'heavy');
    assert.equal(parseNumberInput(' 1.5 '), 1.5);
    assert.equal(parseNumberInput('1e3'), 1000);
    const ctx = setEntryField(base(), 0, 'context_window', '200000');
    assert.equal((ctx.model_list as any[])[0].model_info.context_window, 200000);
    const cleared = setEntryField(base(), 1, 'context_window', '');
    assert.equal((cleared.model_list as any[])[1].model_info, undefined);
  });

  it('duplicate inserts a renamed copy without its deployment id; delete removes the alias from chains', () => {
    const c = { ...base(), model_list: [...base().model_list] };
    (c.model_list[1] as any).model_info = { id: 'dep-1', context_window: 64000 };
    const d = duplicateEntry(c, 1);
    assert.equal(d.index, 2);
    const list = d.config.model_list as any[];
    assert.equal(list[2].model_name, 'beta-copy');
    assert.equal(list[2].model_info.id, undefined);
    assert.equal(list[3].model_name, 'gamma');
    assert.equal(duplicateEntry(d.config, 1).config.model_list instanceof Array && (duplicateEntry(d.config, 1).config.model_list as any[])[2].model_name, 'beta-copy-2');
    const del = deleteEntry(base(), 1);
    assert.deepEqual(del.chainsChanged, ['alpha']);
    assert.deepEqual(fallbackChains(del.config), { alpha: ['gamma'] });
    resolveConfig(del.config, { env: () => undefined }); // still valid
  });

  it('fallbacks: merged in the engine order, rewritten to router_settings, reordered', () => {
    const c = {
      model_list: base().model_list,
      fallbacks: [{ alpha: ['gamma'] }, { gamma: 'alpha' }],
      litellm_settings: { fallbacks: { beta: ['alpha'] }, drop_params: true },
      router_settings: { fallbacks: [{ alpha: ['beta'] }] },
    };
    assert.deepEqual(fallbackChains(c), { alpha: ['beta'], gamma: ['alpha'], beta: ['alpha'] });
    const engine = resolveConfig(c, { env: () => undefined }).router.fallbacks;
    assert.deepEqual(engine, fallbackChains(c), 'same merge as the engine');
    const next = setFallbackChain(c, 'alpha', ['gamma', 'beta']);
    assert.equal(next.fallbacks, undefined);
    assert.deepEqual(next.litellm_settings, { drop_params: true });
    assert.deepEqual((next.router_settings as any).fallbacks, [{ alpha: ['gamma', 'beta'] }, { gamma: ['alpha'] }, { beta: ['alpha'] }]);
    assert.deepEqual(resolveConfig(next, { env: () => undefined }).router.fallbacks, { alpha: ['gamma', 'beta'], gamma: ['alpha'], beta: ['alpha'] });
    const empty = setFallbackChain(setFallbackChain(setFallbackChain(next, 'alpha', []), 'gamma', []), 'beta', []);
    assert.equal(empty.router_settings, undefined);
    assert.deepEqual(moveItem(['a', 'b', 'c'], 2, 0), ['c', 'a', 'b']);
    assert.deepEqual(moveItem(['a', 'b', 'c'], 0, 1), ['b', 'a', 'c']);
    assert.deepEqual(moveItem(['a', 'b', 'c'], 0, -5), ['a', 'b', 'c']);
    assert.deepEqual(moveItem(['a', 'b', 'c'], 1, 99), ['a', 'c', 'b']);
    assert.deepEqual(moveItem(['a'], 4, 0), ['a']);
  });

  it('router settings: the placeholders are the engine defaults; values read from router_settings then litellm_settings', () => {
    const r = resolveConfig({ model_list: base().model_list }, { env: () => undefined }).router;
    assert.equal(Number(ROUTER_DEFAULTS.num_retries), r.numRetries);
    assert.equal(Number(ROUTER_DEFAULTS.timeout) * 1000, r.timeoutMs);
    assert.equal(Number(ROUTER_DEFAULTS.cooldown_time) * 1000, r.cooldownTimeMs);
    assert.equal(Number(ROUTER_DEFAULTS.allowed_fails), r.allowedFails);
    assert.equal(ROUTER_DEFAULTS.routing_strategy, r.routingStrategy);
    const c = { model_list: [], litellm_settings: { request_timeout: 30, num_retries: 4 }, router_settings: { num_retries: 1 } };
    assert.equal(routerField(c, 'num_retries'), '1');
    assert.equal(routerField(c, 'timeout'), '30');
    assert.equal(routerField(c, 'cooldown_time'), '');
    const s = setRouterField(c, 'cooldown_time', '12');
    assert.equal((s.router_settings as any).cooldown_time, 12);
    assert.equal(setRouterField({ model_list: [], router_settings: { timeout: 5 } }, 'timeout', '').router_settings, undefined);
  });
});

describe('webview issue mapping', () => {
  it('parses and formats engine paths, with or without the settings prefix', () => {
    assert.deepEqual(parsePath('model_list[2].litellm_params.model'), ['model_list', 2, 'litellm_params', 'model']);
    assert.deepEqual(parsePath('codexGateway.config.model_list[0].model_name'), ['model_list', 0, 'model_name']);
    assert.deepEqual(parsePath('model_list[1].litellm_params.extra_headers["x-key"]'), ['model_list', 1, 'litellm_params', 'extra_headers', 'x-key']);
    assert.deepEqual(parsePath('(root)'), []);
    assert.deepEqual(parsePath('codexGateway.config'), []);
    for (const p of ['model_list[2].litellm_params.model', 'router_settings.fallbacks[0].alpha[1]', 'model_list[0].litellm_params.extra_headers["a b"]']) {
      assert.equal(formatPath(parsePath(p)), p);
    }
  });

  it('places each issue on the most specific rendered field; fallbacks on their chain; the rest listed', () => {
    const fields = ['model_list[2]', 'model_list[2].litellm_params.model', 'model_list[2].litellm_params.api_base', 'router_settings.num_retries', 'fallbacks:alpha'];
    const out = assignIssues(
      [
        { path: 'codexGateway.config.model_list[2].litellm_params.model', message: 'unknown provider' },
        { path: 'model_list[2].litellm_params.extra_headers["x y"]', message: 'bad header' },
        { path: 'router_settings.fallbacks[0].alpha[1]', message: 'unknown alias "betta"' },
        { path: 'fallbacks.alpha', message: 'top-level form' },
        { path: 'router_settings.num_retries', message: 'must be a whole number' },
        { path: 'gateway_settings.port', message: 'out of range' },
        { path: 'model_list[20]', message: 'gone' },
      ],
      fields,
    );
    assert.deepEqual(out.byField['model_list[2].litellm_params.model'], ['unknown provider']);
    assert.deepEqual(out.byField['model_list[2]'], ['bad header']);
    assert.deepEqual(out.byField['fallbacks:alpha'], ['unknown alias "betta"', 'top-level form']);
    assert.deepEqual(out.byField['router_settings.num_retries'], ['must be a whole number']);
    assert.deepEqual(out.other, [
      { path: 'gateway_settings.port', message: 'out of range' },
      { path: 'model_list[20]', message: 'gone' },
    ]);
    assert.equal(fallbackAliasOf(['litellm_settings', 'fallbacks', 'beta', 0]), 'beta');
    assert.equal(fallbackAliasOf(['model_list', 0, 'fallbacks']), undefined);
    assert.equal(countUnder([{ path: 'model_list[2].model_name', message: '' }, { path: 'model_list[20]', message: '' }], 'model_list[2]'), 1);
  });

  it('maps the real engine errors of a broken draft to the fields the panel renders', () => {
    const draft = setEntryField(setEntryField(base(), 1, 'provider', 'deepsek'), 0, 'weight', 'heavy');
    let issues: { path: string; message: string }[] = [];
    try {
      resolveConfig(draft, { env: () => undefined });
    } catch (e) {
      issues = (e as { issues: typeof issues }).issues;
    }
    let s = reduce(initialState(undefined), { type: 'snapshot', snapshot: snapshot(base()) });
    s = reduce(s, { type: 'edit', config: draft });
    s = reduce(s, { type: 'validated', issues, config: stableJson(draft) });
    const vm = viewModel(s, Date.now());
    assert.match(vm.fieldErrors['model_list[1].litellm_params.model']!.join(), /did you mean "deepseek"/);
    assert.ok(vm.fieldErrors['model_list[0].litellm_params.weight']!.length > 0);
    assert.equal(vm.rows[1]!.issueCount, 1);
    assert.equal(vm.otherIssues.length, 0);
    assert.equal(vm.validating, false);
  });
});

describe('webview live stats', () => {
  it('p50 is the nearest-rank median', () => {
    assert.equal(p50([]), undefined);
    assert.equal(p50([7]), 7);
    assert.equal(p50([10, 30]), 10);
    assert.equal(p50([30, 10, 20]), 20);
    assert.equal(p50([4, 1, 3, 2]), 2);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
    assert.equal(percentile([5, 1], 100), 5);
  });

  it('aggregates per requested alias over the window: errors, tokens, deployments and fallbacks', () => {
    const now = 1_000_000_000;
    const records = [
      rec('alpha', now - 1000, 100, { deployment: 'alpha#0', inputTokens: 10, outputTokens: 5 }),
      rec('alpha', now - 2000, 300, { deployment: 'alpha#0', inputTokens: 20, outputTokens: 7 }),
      rec('beta', now - 3000, 200, { deployment: 'beta#1', fallbackFrom: 'alpha', inputTokens: 1, outputTokens: 1 }),
      rec('alpha', now - 4000, 50, { status: 502, error: 'upstream 502' }),
      rec('alpha', now - 20 * 60_000, 9999, { deployment: 'alpha#0' }), // outside the window
    ];
    const [alpha, beta, gamma] = liveStats(records, now, 15 * 60_000, ['alpha', 'beta', 'gamma']);
    assert.equal(alpha!.requests, 4);
    assert.equal(alpha!.errors, 1);
    assert.equal(alpha!.p50Ms, 100);
    assert.equal(alpha!.tokensIn, 31);
    assert.equal(alpha!.tokensOut, 13);
    assert.deepEqual(alpha!.servedBy, [
      { label: 'alpha#0', count: 2, fallback: false },
      { label: 'fallback beta (beta#1)', count: 1, fallback: true },
    ]);
    assert.equal(alpha!.lastError, 'upstream 502');
    assert.equal(beta!.requests, 0);
    assert.equal(gamma!.p50Ms, undefined);
    assert.deepEqual(liveStats([rec('zeta', now, 1)], now, 1000, ['alpha']).map((s) => s.alias), ['alpha', 'zeta']);
    assert.equal(pruneRecords(records, now, 15 * 60_000).length, 4);
    assert.equal(pruneRecords(records, now, 15 * 60_000, 2).length, 2);
  });
});

describe('webview state reducer', () => {
  /** A fake of acquireVsCodeApi's state half, recording every call. */
  function fakeApi(initial?: unknown) {
    let stored = initial;
    const calls: string[] = [];
    return {
      calls,
      getState: () => {
        calls.push('getState');
        return stored === undefined ? undefined : JSON.parse(JSON.stringify(stored));
      },
      setState: (s: unknown) => {
        calls.push('setState');
        stored = JSON.parse(JSON.stringify(s));
      },
    };
  }

  it('keeps unsaved edits, the tab and the editor across a re-created webview (getState/setState)', () => {
    const api = fakeApi();
    let s: PanelState = initialState(api.getState());
    s = reduce(s, { type: 'snapshot', snapshot: snapshot(base()) });
    s = reduce(s, { type: 'tab', tab: 'fallbacks' });
    const edited = setEntryField(currentConfig(s), 0, 'model_name', 'alpha2');
    s = reduce(s, { type: 'edit', config: edited, editing: 0 });
    api.setState(persist(s));
    assert.deepEqual(api.calls, ['getState', 'setState']);
    // The page is destroyed and re-created: only what setState kept comes back.
    const again = initialState(api.getState());
    assert.equal(again.tab, 'fallbacks');
    assert.equal(again.editing, 0);
    assert.ok(isDirty(again));
    assert.equal(stableJson(again.draft), stableJson(edited));
    const shown = reduce(again, { type: 'snapshot', snapshot: snapshot(base()) });
    assert.equal(shown.externalChange, false);
    assert.equal(viewModel(shown, 0).rows[0]!.alias, 'alpha2');
    // Garbage from an older version is ignored.
    assert.deepEqual(persist(initialState({ v: 9, tab: 'nope', draft: 1 })), { v: 1, tab: 'models' });
  });

  it('a settings change from outside keeps the draft and says so; discard loads the new settings', () => {
    let s = reduce(initialState(undefined), { type: 'snapshot', snapshot: snapshot(base()) });
    s = reduce(s, { type: 'edit', config: setRouterField(currentConfig(s), 'num_retries', '5') });
    const outside = { ...base(), router_settings: { num_retries: 0 } };
    s = reduce(s, { type: 'snapshot', snapshot: snapshot(outside) });
    assert.ok(isDirty(s));
    assert.equal(s.externalChange, true);
    assert.equal(viewModel(s, 0).router.find((r) => r.field === 'num_retries')!.value, '5');
    s = reduce(s, { type: 'discard' });
    assert.equal(isDirty(s), false);
    assert.equal(s.externalChange, false);
    assert.equal(viewModel(s, 0).router.find((r) => r.field === 'num_retries')!.value, '0');
  });

  it('without edits a snapshot simply replaces what is shown; editing back to the saved config is not dirty', () => {
    let s = reduce(initialState(undefined), { type: 'snapshot', snapshot: snapshot(base(), { issues: [{ path: 'model_list[0].model_name', message: 'x' }] }) });
    assert.equal(viewModel(s, 0).rows[0]!.issueCount, 1);
    s = reduce(s, { type: 'snapshot', snapshot: snapshot({ model_list: [] }) });
    assert.equal(viewModel(s, 0).rows.length, 0);
    assert.equal(isDirty(s), false);
    s = reduce(s, { type: 'edit', config: { model_list: [], router_settings: { timeout: 3 } } });
    assert.ok(isDirty(s));
    s = reduce(s, { type: 'edit', config: { model_list: [] } });
    assert.equal(isDirty(s), false);
  });

  it('saving: success clears the draft; rejected issues are shown; a stale validation answer is dropped', () => {
    let s = reduce(initialState(undefined), { type: 'snapshot', snapshot: snapshot(base()) });
    const draft = setEntryField(currentConfig(s), 2, 'model_name', 'delta');
    s = reduce(s, { type: 'edit', config: draft });
    s = reduce(s, { type: 'validated', issues: [{ path: 'x', message: 'old' }], config: stableJson(base()) });
    assert.equal(s.issues.length, 0, 'an answer for another config is ignored');
    s = reduce(s, { type: 'saving' });
    assert.equal(viewModel(s, 0).saving, true);
    s = reduce(s, { type: 'saved', result: { saved: false, issues: [{ path: 'model_list[2].model_name', message: 'taken' }] }, config: stableJson(draft) });
    assert.equal(s.saving, false);
    assert.equal(viewModel(s, 0).fieldErrors['model_list[2].model_name']![0], 'taken');
    assert.equal(s.notice?.kind, 'error');
    s = reduce(s, { type: 'saved', result: { saved: true }, config: stableJson(draft) });
    assert.equal(isDirty(s), false);
    // The settings echo arrives: nothing is flagged as an outside change.
    s = reduce(s, { type: 'snapshot', snapshot: snapshot(draft) });
    assert.equal(s.externalChange, false);
    assert.equal(viewModel(s, 0).rows[2]!.alias, 'delta');
  });

  it('keys: names only the draft uses are asked for; key states and tests and records are kept', () => {
    let s = reduce(initialState(undefined), { type: 'snapshot', snapshot: snapshot(base(), { keys: { DEEPSEEK_API_KEY: 'set' } }) });
    assert.deepEqual(unknownKeyNames(s), []);
    s = reduce(s, { type: 'edit', config: addEntry(currentConfig(s), presetFor('groq')!).config });
    assert.deepEqual(unknownKeyNames(s), ['GROQ_API_KEY']);
    s = reduce(s, { type: 'keys', keys: { GROQ_API_KEY: 'env' } });
    const vm = viewModel(s, 0);
    assert.equal(vm.rows[1]!.keyState, 'set');
    assert.equal(vm.rows[3]!.keyState, 'env');
    s = reduce(s, { type: 'testStart', alias: 'alpha' });
    assert.deepEqual(s.tests.alpha, { running: true });
    s = reduce(s, { type: 'testDone', alias: 'alpha', result: { ok: true, latencyMs: 12, text: 'hi' }, at: 5 });
    assert.equal(s.tests.alpha!.running, false);
    const now = Date.now();
    s = reduce(s, { type: 'record', record: rec('beta', now, 40), now });
    assert.equal(viewModel(s, now).stats.find((x) => x.alias === 'beta')!.requests, 1);
  });

  it('the Claude Code tab survives a re-created webview; no claudeCode in the snapshot means no section', () => {
    let s = reduce(initialState(undefined), { type: 'snapshot', snapshot: snapshot(base()) });
    assert.equal(viewModel(s, 0).claudeCode, undefined);
    s = reduce(s, { type: 'tab', tab: 'claude' });
    assert.equal(initialState(JSON.parse(JSON.stringify(persist(s)))).tab, 'claude');
  });
});

describe('webview Claude Code section', () => {
  const cc = (extra: Partial<PanelClaudeCode> = {}): PanelClaudeCode => ({
    enabled: true,
    state: 'wired',
    settingsPath: '/home/you/.claude/settings.json',
    extensionInstalled: true,
    extensionSettingSet: true,
    models: { haiku: '', sonnet: 'beta', opus: 'gone' },
    ...extra,
  });

  it('tiers: "Default model" first, then the saved aliases; a set alias the config lacks is kept and marked', () => {
    const s = reduce(initialState(undefined), { type: 'snapshot', snapshot: snapshot(base(), { effectiveDefault: 'alpha', claudeCode: cc() }) });
    const v = viewModel(s, 0).claudeCode!;
    assert.deepEqual(v.tiers.map((t) => [t.tier, t.value, t.resolved, t.unknown]), [
      ['haiku', '', 'alpha', false],
      ['sonnet', 'beta', 'beta', false],
      ['opus', 'gone', 'gone', true],
    ]);
    assert.deepEqual(v.tiers[0]!.options, [
      { value: '', label: 'Default model (alpha)' },
      { value: 'alpha', label: 'alpha' },
      { value: 'beta', label: 'beta' },
      { value: 'gamma', label: 'gamma' },
    ]);
    assert.deepEqual(v.tiers[2]!.options.at(-1), { value: 'gone', label: 'gone (not in the saved config)' });
    assert.equal(v.settingsPath, '/home/you/.claude/settings.json');
    // The tier choices follow the SAVED config, not an unsaved draft.
    const d = reduce(s, { type: 'edit', config: setEntryField(currentConfig(s), 1, 'model_name', 'beta2') });
    assert.deepEqual(viewModel(d, 0).claudeCode!.tiers[1]!.options.map((o) => o.value), ['', 'alpha', 'beta', 'gamma']);
  });

  it('state and extension in words, including the moments between the setting and the wiring', () => {
    const view = (x: Partial<PanelClaudeCode>) => claudeCodeView(cc(x), ['alpha'], undefined);
    assert.match(view({}).stateText, /^Wired/);
    assert.equal(view({}).extension, 'set');
    assert.match(view({ enabled: false, state: 'off', extensionSettingSet: false }).stateText, /^Off: Claude Code uses its own/);
    assert.match(view({ enabled: false, state: 'restored' }).stateText, /restored/);
    assert.match(view({ enabled: true, state: 'off' }).stateText, /Turning on/);
    assert.match(view({ enabled: true, state: 'restored' }).stateText, /Turning on/);
    assert.match(view({ enabled: false, state: 'wired' }).stateText, /Turning off/);
    assert.match(view({ enabled: true, state: 'error' }).stateText, /Could not be wired/);
    assert.equal(view({ extensionInstalled: false }).extension, 'not-installed');
    assert.equal(view({ extensionSettingSet: false }).extension, 'not-set');
    assert.equal(view({}).tiers[0]!.options[0]!.label, 'Default model', 'no alias to name when none runs');
    assert.equal(view({}).tiers[0]!.resolved, undefined);
  });
});
