/**
 * Status bar and model picker content (src/extension/status-model.ts), computed from configs resolved by
 * the real engine loader.
 */
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/gateway/config';
import { aliasInfos, aliasPickItems, commandLink, escapeMarkdown, missingKeys, statusView, type StatusInput } from '../../src/extension/status-model';

const config = resolveConfig({
  model_list: [
    { model_name: 'deepseek', litellm_params: { model: 'deepseek/deepseek-chat', api_key: 'os.environ/DEEPSEEK_API_KEY' } },
    { model_name: 'qwen', litellm_params: { model: 'dashscope/qwen3-coder-plus', api_key: 'os.environ/DASHSCOPE_API_KEY' } },
    { model_name: 'qwen', litellm_params: { model: 'openrouter/qwen/qwen3-coder', api_key: 'os.environ/OPENROUTER_API_KEY' } },
    { model_name: 'local', litellm_params: { model: 'ollama/qwen3', api_base: 'http://127.0.0.1:11434' } },
    { model_name: 'nokey', litellm_params: { model: 'openai/gpt-5' } },
  ],
  router_settings: { fallbacks: [{ deepseek: ['qwen', 'local'] }] },
});
const setNames = new Set(['DASHSCOPE_API_KEY']);
const infos = aliasInfos(config, (n) => setNames.has(n));
const base: StatusInput = { phase: 'running', port: 4141, defaultAlias: 'qwen', aliases: infos };

describe('extension status bar model', () => {
  it('aliasInfos: targets, key states and fallbacks per alias', () => {
    const by = Object.fromEntries(infos.map((i) => [i.alias, i]));
    assert.deepEqual(by.deepseek.targets, ['deepseek/deepseek-chat']);
    assert.deepEqual(by.deepseek.keys, [{ name: 'DEEPSEEK_API_KEY', state: 'missing' }]);
    assert.deepEqual(by.deepseek.fallbacks, ['qwen', 'local']);
    assert.deepEqual(by.qwen.targets, ['dashscope/qwen3-coder-plus', 'openrouter/qwen/qwen3-coder']);
    assert.deepEqual(by.qwen.keys, [
      { name: 'DASHSCOPE_API_KEY', state: 'set' },
      { name: 'OPENROUTER_API_KEY', state: 'missing' },
    ]);
    assert.deepEqual(by.local.keys, [{ state: 'none' }]);
    // No api_key: the engine uses the provider's default variable (LiteLLM's OPENAI_API_KEY).
    assert.deepEqual(by.nokey.keys, [{ name: 'OPENAI_API_KEY', state: 'missing' }]);
    assert.deepEqual(missingKeys(by.local), []);
    assert.deepEqual(missingKeys(by.nokey), ['OPENAI_API_KEY']);
  });

  it('running with every key set: server icon and alias, no background', () => {
    const v = statusView({ ...base, defaultAlias: 'local' });
    assert.equal(v.text, '$(server-process) local');
    assert.equal(v.background, undefined);
    assert.equal(v.ariaLabel, 'Codex Gateway running, default model local');
    assert.match(v.tooltip, /running on port 4141/);
    assert.match(v.tooltip, /Default model: `local` → ollama\/qwen3/);
  });

  it('a missing key: key icon, warning background, a "Set it" link with the name as argument', () => {
    const v = statusView(base);
    assert.equal(v.text, '$(key) qwen');
    assert.equal(v.background, 'statusBarItem.warningBackground');
    assert.match(v.ariaLabel, /key OPENROUTER_API_KEY missing/);
    assert.ok(v.tooltip.includes(`[Set it](${commandLink('codexGateway.setProviderKey', ['OPENROUTER_API_KEY'])})`));
    assert.ok(v.tooltip.includes('command:codexGateway.setProviderKey?%5B%22OPENROUTER_API_KEY%22%5D'));
  });

  it('attached, starting, error and stopped phases', () => {
    assert.equal(statusView({ ...base, phase: 'attached', defaultAlias: 'local' }).text, '$(link) local');
    assert.match(statusView({ ...base, phase: 'attached', defaultAlias: 'local' }).tooltip, /served by another VS Code window/);
    assert.equal(statusView({ ...base, phase: 'starting' }).text, '$(loading~spin) Codex Gateway');
    const err = statusView({ ...base, phase: 'error', lastError: 'Port 4141 is used by another program' });
    assert.equal(err.text, '$(error) qwen');
    assert.equal(err.background, 'statusBarItem.errorBackground');
    assert.match(err.tooltip, /Last error: Port 4141 is used by another program/);
    assert.equal(statusView({ ...base, phase: 'stopped' }).text, '$(circle-slash) qwen');
  });

  it('tooltip: fallbacks, config issues (max 5), and command links', () => {
    const v = statusView({ ...base, defaultAlias: 'deepseek', configIssues: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
    assert.match(v.tooltip, /Fallbacks: qwen → local/);
    assert.match(v.tooltip, /last good config keeps running/);
    assert.match(v.tooltip, /… 2 more/);
    for (const c of ['codexGateway.selectModel', 'codexGateway.showLog', 'codexGateway.setProviderKey', 'workbench.action.openSettings']) {
      assert.ok(v.tooltip.includes(`command:${c}`), c);
    }
    assert.match(statusView({ ...base, aliases: [], defaultAlias: undefined }).tooltip, /No model is configured/);
  });

  it('escapes Markdown in user text', () => {
    assert.equal(escapeMarkdown('a*b_[c](d)'), 'a\\*b\\_\\[c\\]\\(d\\)');
    const v = statusView({ ...base, lastError: '[click](command:evil)' });
    assert.ok(!v.tooltip.includes('[click](command:evil)'));
  });

  it('picker rows: current marked, provider/model as description, key status and fallbacks as detail', () => {
    const items = aliasPickItems(infos, 'local');
    assert.deepEqual(items.map((i) => i.alias), ['deepseek', 'qwen', 'local', 'nokey']);
    const local = items.find((i) => i.alias === 'local')!;
    assert.equal(local.label, '$(check) local');
    assert.equal(local.description, 'ollama/qwen3 (current)');
    assert.equal(local.detail, '$(check) no key needed');
    const ds = items.find((i) => i.alias === 'deepseek')!;
    assert.equal(ds.label, 'deepseek');
    assert.equal(ds.detail, '$(warning) DEEPSEEK_API_KEY missing · fallbacks: qwen → local — pick it to set the key');
    assert.deepEqual(ds.missing, ['DEEPSEEK_API_KEY']);
    assert.equal(items.find((i) => i.alias === 'qwen')!.detail, '$(check) DASHSCOPE_API_KEY set, $(warning) OPENROUTER_API_KEY missing — pick it to set the key');
  });
});
