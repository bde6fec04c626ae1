/**
 * Pure settings logic of the VS Code extension (src/extension/settings.ts): coercion, preparing the engine
 * config, finding referenced secret names, import (moving literal keys out) and export to LiteLLM YAML.
 * Every config produced here is checked with the real engine loader (resolveConfig / parseConfigText).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText, resolveConfig } from '../../src/gateway/config';
import {
  chooseDefaultAlias,
  servedByWildcard,
  DEFAULT_CONFIG,
  DEFAULT_PORT,
  envReferences,
  extractLiteralKeys,
  keyNameForProvider,
  parseImportedYaml,
  prepareRawConfig,
  readSettings,
  resolveSettingsConfig,
  toLiteLLMYaml,
} from '../../src/extension/settings';

/** A fake key generated per run (never shaped like a real provider key). */
const fake = (label: string) => `test-${label}-${randomBytes(8).toString('hex')}`;

const getterOf =
  (values: Record<string, unknown>) =>
  <T>(key: string, def: T): T =>
    (key in values ? values[key] : def) as T;

describe('extension settings', () => {
  describe('readSettings', () => {
    it('returns the defaults for an empty section', () => {
      const s = readSettings(getterOf({}));
      assert.deepEqual(s, { config: DEFAULT_CONFIG, defaultModel: '', port: DEFAULT_PORT, codexConfig: 'auto', exportOpenAIEnv: false, logLevel: 'info', claudeCodeEnabled: false, claudeCodeModels: { haiku: '', sonnet: '', opus: '' } });
    });
    it('keeps valid values and coerces invalid ones to the default', () => {
      const good = readSettings(getterOf({ port: 5000, codexConfig: 'ask', 'terminal.exportOpenAIEnv': true, logLevel: 'debug', defaultModel: ' ds ' }));
      assert.equal(good.port, 5000);
      assert.equal(good.codexConfig, 'ask');
      assert.equal(good.exportOpenAIEnv, true);
      assert.equal(good.logLevel, 'debug');
      assert.equal(good.defaultModel, 'ds');
      const bad = readSettings(getterOf({ port: 80, codexConfig: 'sometimes', 'terminal.exportOpenAIEnv': 'yes', logLevel: 'silent', defaultModel: 3 }));
      assert.equal(bad.port, DEFAULT_PORT);
      assert.equal(bad.codexConfig, 'auto');
      assert.equal(bad.exportOpenAIEnv, false);
      assert.equal(bad.logLevel, 'info');
      assert.equal(bad.defaultModel, '');
      assert.equal(readSettings(getterOf({ port: 4141.5 })).port, DEFAULT_PORT);
    });
  });

  it('the default config resolves with the engine and references OPENAI_API_KEY', () => {
    const config = resolveConfig(structuredClone(DEFAULT_CONFIG));
    assert.deepEqual([...config.groups.keys()], ['gpt-5-mini']);
    assert.deepEqual(envReferences(DEFAULT_CONFIG), { keyNames: ['OPENAI_API_KEY'], otherNames: [] });
  });

  describe('prepareRawConfig', () => {
    it('removes the server keys the extension owns, with warnings, without changing the input', () => {
      const raw = {
        model_list: [{ model_name: 'a', litellm_params: { model: 'openai/x', api_key: 'os.environ/A' } }],
        gateway_settings: { port: 9999, host: '0.0.0.0', max_body_bytes: 2048 },
        general_settings: { master_key: 'os.environ/MK' },
      };
      const copy = structuredClone(raw);
      const { raw: out, warnings } = prepareRawConfig(raw);
      assert.deepEqual(raw, copy, 'input unchanged');
      assert.deepEqual((out as typeof raw).gateway_settings, { max_body_bytes: 2048 });
      assert.deepEqual((out as typeof raw).general_settings, {});
      assert.equal(warnings.length, 3);
      assert.match(warnings.join('\n'), /gateway_settings\.port is ignored in VS Code; set codexGateway\.port/);
      assert.match(warnings.join('\n'), /master_key is not used in VS Code, and nothing needs doing: Codex and Claude Code are wired with the gateway token/);
    });
    it('passes non-objects through (the engine reports them)', () => {
      assert.deepEqual(prepareRawConfig(null), { raw: null, warnings: [] });
    });
  });

  describe('envReferences', () => {
    it('separates provider keys from load-time names, dedupes, and skips invalid names', () => {
      const raw = {
        model_list: [
          { model_name: 'a', litellm_params: { model: 'deepseek/x', api_key: 'os.environ/DEEPSEEK_API_KEY' } },
          { model_name: 'a', litellm_params: { model: 'deepseek/x', api_key: 'os.environ/DEEPSEEK_API_KEY' } },
          { model_name: 'b', litellm_params: { model: 'openai_compatible/y', api_base: 'os.environ/MY_BASE', api_key: 'os.environ/2BAD' } },
          { model_name: 'c', litellm_params: { model: 'openai/z', api_key: 'os.environ/SHARED', extra_headers: { 'x-org': 'os.environ/ORG_ID' } } },
        ],
        general_settings: { note: 'os.environ/SHARED' },
      };
      assert.deepEqual(envReferences(raw), { keyNames: ['DEEPSEEK_API_KEY', 'SHARED'], otherNames: ['MY_BASE', 'ORG_ID'] });
    });
  });

  describe('chooseDefaultAlias', () => {
    it('uses the preferred alias, else the first concrete alias with a warning', () => {
      assert.deepEqual(chooseDefaultAlias(['a', 'b'], 'b'), { alias: 'b' });
      assert.deepEqual(chooseDefaultAlias(['openai/*', 'a'], ''), { alias: 'a' });
      const r = chooseDefaultAlias(['a', 'b'], 'zz');
      assert.equal(r.alias, 'a');
      assert.match(r.warning!, /"zz", which is not an alias.*using "a"/);
      assert.deepEqual(chooseDefaultAlias([], ''), { alias: undefined });
    });

    it('wildcard-only configs: no alias to pick, a hint that names the patterns; a name a pattern serves can be the default', () => {
      // The wildcard pattern itself is never the default (a request for "openai/*" names no model).
      assert.deepEqual(chooseDefaultAlias([], '', ['openai/*']), { alias: undefined, hint: 'pick a model: any openai/<name>' });
      assert.deepEqual(chooseDefaultAlias(['openai/*'], ''), { alias: undefined, hint: 'pick a model: any openai/<name>' });
      assert.deepEqual(chooseDefaultAlias([], '', ['anthropic/claude-*', 'openai/*']), { alias: undefined, hint: 'pick a model: any anthropic/claude-<name> or openai/<name>' });
      assert.deepEqual(chooseDefaultAlias([], '', ['*']), { alias: undefined, hint: 'pick a model: any model name' });
      assert.deepEqual(chooseDefaultAlias([], 'openai/gpt-5.5', ['openai/*']), { alias: 'openai/gpt-5.5' });
      assert.deepEqual(chooseDefaultAlias(['a'], 'openai/gpt-5.5', ['openai/*']), { alias: 'openai/gpt-5.5' }, 'a served name wins over the first alias');
      const r = chooseDefaultAlias([], 'anthropic/claude', ['openai/*']);
      assert.equal(r.alias, undefined);
      assert.equal(r.hint, 'pick a model: any openai/<name>');
      assert.match(r.warning!, /"anthropic\/claude", which is not an alias of codexGateway\.config nor a name its wildcard model_name entries serve; using "\(none\)"/);
      // Mixed configs keep defaulting to the first plain alias, with no hint.
      assert.deepEqual(chooseDefaultAlias(['a'], '', ['openai/*']), { alias: 'a' });
    });

    it('servedByWildcard: the router\'s matching (the whole name), never a pattern itself', () => {
      assert.equal(servedByWildcard('openai/gpt-5.5', ['openai/*']), true);
      assert.equal(servedByWildcard('gpt-5.5', ['openai/*']), false);
      assert.equal(servedByWildcard('openai/*', ['openai/*']), false);
      assert.equal(servedByWildcard('anything', ['*']), true);
      assert.equal(servedByWildcard('openai/gpt-5.5', ['openai/gpt-5.5']), false, 'plain aliases are not patterns');
      assert.equal(servedByWildcard('has space', ['*']), false, 'names a wildcard route refuses');
    });
  });

  describe('resolveSettingsConfig', () => {
    it('resolves through the given env (SecretStorage first) for load-time names', () => {
      const raw = { model_list: [{ model_name: 'v', litellm_params: { model: 'openai_compatible/m', api_base: 'os.environ/VLLM_BASE' } }] };
      const r = resolveSettingsConfig(raw, (n) => (n === 'VLLM_BASE' ? 'http://127.0.0.1:8000/v1' : undefined));
      assert.equal(r.ok, true);
      if (r.ok) assert.equal(r.config.deployments[0].apiBase, 'http://127.0.0.1:8000/v1');
    });
    it('reports every issue with a codexGateway.config path', () => {
      const r = resolveSettingsConfig({ model_list: [{ model_name: 'x', litellm_params: {} }] }, () => undefined);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.ok(r.issues.length >= 1);
        for (const i of r.issues) assert.match(i.path, /^codexGateway\.config(\.|$)/);
        assert.ok(r.issues.some((i) => i.path.includes('model_list[0].litellm_params')), JSON.stringify(r.issues));
      }
      const empty = resolveSettingsConfig(null, () => undefined);
      assert.equal(empty.ok, false);
      if (!empty.ok) assert.equal(empty.issues[0].path, 'codexGateway.config');
    });
  });

  describe('import', () => {
    it('keyNameForProvider makes a valid secret name', () => {
      assert.equal(keyNameForProvider('deepseek'), 'DEEPSEEK_API_KEY');
      assert.equal(keyNameForProvider('openai-compat.x'), 'OPENAI_COMPAT_X_API_KEY');
      assert.equal(keyNameForProvider('1x'), '_1X_API_KEY');
    });

    it('moves literal keys to os.environ/NAME references, one name per distinct key', () => {
      const k1 = fake('ds');
      const k2 = fake('ds2');
      const k3 = fake('mk');
      const raw = {
        model_list: [
          { model_name: 'a', litellm_params: { model: 'deepseek/deepseek-chat', api_key: k1 } },
          { model_name: 'a', litellm_params: { model: 'deepseek/deepseek-chat', api_key: k1 } },
          { model_name: 'b', litellm_params: { model: 'deepseek/deepseek-reasoner', api_key: k2 } },
          { model_name: 'c', litellm_params: { model: 'openai/gpt-5', api_key: 'os.environ/OPENAI_API_KEY' } },
          { model_name: 'd', litellm_params: { model: 'groq/llama', api_key: k2 } },
        ],
        general_settings: { master_key: k3 },
      };
      const before = JSON.stringify(raw);
      const { raw: out, moved, droppedMasterKey } = extractLiteralKeys(raw, new Set(['GROQ_API_KEY']));
      assert.equal(JSON.stringify(raw), before, 'input unchanged');
      assert.deepEqual(
        moved.map((m) => [m.name, m.path]),
        [
          ['DEEPSEEK_API_KEY', 'model_list[0].litellm_params.api_key'],
          ['DEEPSEEK_API_KEY_2', 'model_list[2].litellm_params.api_key'],
        ],
      );
      assert.equal(moved[0].value, k1);
      assert.equal(moved[1].value, k2);
      const list = (out as typeof raw).model_list.map((e) => e.litellm_params.api_key);
      assert.deepEqual(list, ['os.environ/DEEPSEEK_API_KEY', 'os.environ/DEEPSEEK_API_KEY', 'os.environ/DEEPSEEK_API_KEY_2', 'os.environ/OPENAI_API_KEY', 'os.environ/DEEPSEEK_API_KEY_2']);
      assert.equal(droppedMasterKey, true);
      const text = JSON.stringify(out);
      for (const k of [k1, k2, k3]) assert.ok(!text.includes(k), 'no key left in the settings value');
      // The result is a valid engine config.
      assert.deepEqual([...resolveConfig(out).groups.keys()], ['a', 'b', 'c', 'd']);
    });

    it('a taken name is not reused for a different key', () => {
      const raw = { model_list: [{ model_name: 'a', litellm_params: { model: 'deepseek/x', api_key: fake('k') } }] };
      assert.equal(extractLiteralKeys(raw, new Set(['DEEPSEEK_API_KEY'])).moved[0].name, 'DEEPSEEK_API_KEY_2');
    });

    it('parseImportedYaml accepts the LiteLLM docs example and reports YAML errors with line:column', () => {
      const docs = readFileSync(join(__dirname, '../fixtures/config/litellm-proxy-docs.yaml'), 'utf8');
      const ok = parseImportedYaml(docs, 'config.yaml');
      assert.equal(ok.ok, true);
      const bad = parseImportedYaml('model_list:\n  - model_name: a\n   litellm_params: {model: x}\n', 'config.yaml');
      assert.equal(bad.ok, false);
      if (!bad.ok) assert.match(bad.issues[0].path, /^config\.yaml:\d+:\d+$/);
      const invalid = parseImportedYaml('model_list: []\n', 'c.yaml');
      assert.equal(invalid.ok, false);
    });
  });

  describe('export', () => {
    it('writes YAML that parses back to the settings plus gateway_settings.port', () => {
      const raw = {
        model_list: [
          { model_name: 'deepseek', litellm_params: { model: 'deepseek/deepseek-chat', api_key: 'os.environ/DEEPSEEK_API_KEY' }, model_info: { max_input_tokens: 128000 } },
          { model_name: 'local', litellm_params: { model: 'ollama/qwen3', api_base: 'http://127.0.0.1:11434' } },
        ],
        router_settings: { num_retries: 1, fallbacks: [{ deepseek: ['local'] }] },
        litellm_settings: { drop_params: true },
      };
      const text = toLiteLLMYaml(raw, 4242);
      assert.match(text, /^# Exported from VS Code settings/);
      assert.match(text, /os\.environ\/NAME/);
      const back = parseConfigText(text, 'x.yaml');
      assert.deepEqual(back, { ...raw, gateway_settings: { port: 4242 } });
      assert.deepEqual([...resolveConfig(back).groups.keys()], ['deepseek', 'local']);
    });
  });
});
