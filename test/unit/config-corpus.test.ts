/**
 * A corpus of real LiteLLM configs (test/fixtures/litellm-corpus/, each file names its source in LiteLLM's
 * repository or docs): every one loads, or is refused on purpose with the reason listed here. Loading uses
 * the real loader (`loadConfigFile`) with a fixed environment; what each file serves is checked too, so a
 * deployment silently dropped or an alias renamed fails the test.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfigFile } from '../../src/gateway/config';

const DIR = join(__dirname, '..', 'fixtures', 'litellm-corpus');
/** The only variables the corpus reads at load time (api_base values); no key is ever read here. */
const ENV: Record<string, string> = { FAKE_OPENAI_API_BASE: 'http://127.0.0.1:9/v1', AZURE_API_BASE: 'https://example.openai.azure.com' };

/** Files that load: the aliases and wildcard patterns they serve, and the deployments skipped (model_list indexes). */
const LOADS: Record<string, { aliases: string[]; patterns?: string[]; skipped?: number[] }> = {
  'simple_config.yaml': { aliases: ['gpt-3.5-turbo'] },
  'azure_config.yaml': { aliases: ['gpt-4-team1', 'gpt-4-team2'] },
  'azure_config_with_tpm.yaml': { aliases: ['gpt-3.5-turbo'] },
  'aliases_config.yaml': { aliases: ['text-davinci-003', 'gpt-4', 'gpt-3.5-turbo'] },
  'oai_misc_config.yaml': { aliases: ['gpt-5-mini-end-user-test'], patterns: ['anthropic/*', 'groq/*', '*'], skipped: [4] },
  'otel_test_config.yaml': { aliases: ['fake-openai-endpoint', 'llava-hf'], skipped: [2] },
  'pass_through_config.yaml': { aliases: ['fake-openai-endpoint', 'claude-sonnet-4-5-20250929', 'claude-special-alias', 'claude-sonnet-4-6'], patterns: ['anthropic/*', 'openai/*'] },
  'macos_optimized_config.yaml': { aliases: ['gpt-4', 'claude-3-opus', 'gemini-pro', 'local-llama'] },
  'spend_tracking_config.yaml': { aliases: ['fake-openai-endpoint'] },
  'multi_instance_simple_config.yaml': { aliases: ['fake-openai-endpoint'] },
  'anthropic_custom_user_agent_config.yaml': { aliases: ['claude-code', 'claude-regular'] },
  'enterprise_config.yaml': { aliases: ['gpt-4'] },
  'proxy_config.yaml': { aliases: ['fake-azure-endpoint'], skipped: [0] },
  'docs_configs_quick_start.yaml': { aliases: ['gpt-4o', 'vllm-models'], patterns: ['*'], skipped: [1, 3] },
  'docs_configs_embeddings.yaml': { aliases: ['azure-embeddings'], skipped: [0, 1] },
  'docs_configs_load_balancing.yaml': { aliases: ['gpt-4o', 'gpt-3.5-turbo-16k'], skipped: [0, 1] },
  'docs_wildcard_routing.yaml': { aliases: [], patterns: ['fo::*:static::*', 'anthropic/*', 'groq/*'] },
  'docs_configs_custom_tokenizer.yaml': { aliases: ['openai-deepseek'] },
  'docs_configs_environments.yaml': { aliases: ['gpt-3.5-turbo-16k', 'gpt-4', 'gpt-4o'] },
};

/** Files refused on purpose: why, and the first issue (path and message) the user sees. */
const REFUSED: Record<string, { why: string; path: RegExp; message: RegExp }> = {
  '_health_check_test_config.yaml': {
    why: 'its only deployment is an embedding model (model_info.mode: embedding): nothing left to serve',
    path: /^model_list\[0\]\.model_info\.mode$/,
    message: /^model_info\.mode is "embedding"; Codex Gateway serves chat models only.*\(model_list has no other model Codex Gateway can serve\.\)$/,
  },
  'load_balancer.yaml': {
    why: '"mistralai/..." names no LiteLLM provider (LiteLLM fails on it at request time); a typo is an error, with a suggestion',
    path: /^model_list\[3\]\.litellm_params\.model$/,
    message: /^unknown provider "mistralai"; did you mean "mistral"\?/,
  },
  'china_domestic_free_sources.yaml': {
    why: '"siliconflow/" and "zhipu/" are no LiteLLM providers either; the error says how to use an OpenAI-compatible endpoint',
    path: /^model_list\[0\]\.litellm_params\.model$/,
    message: /^unknown provider "siliconflow"\. .*openai_compatible\/<model>/,
  },
  'docs_configs_model_params.yaml': {
    why: 'the docs placeholder api_base "your_ollama_api_base" is no URL',
    path: /^model_list\[3\]\.litellm_params\.api_base$/,
    message: /^is not a valid URL/,
  },
  'docs_configs_openai_orgs.yaml': {
    why: '`model_name: *` is an empty YAML alias: a syntax error PyYAML reports too',
    path: /docs_configs_openai_orgs\.yaml:6:17$/,
    message: /YAML syntax error/,
  },
};

describe('LiteLLM config corpus (test/fixtures/litellm-corpus)', () => {
  const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

  it('has 15-30 configs, each naming its source, each listed below as loading or refused', () => {
    assert.ok(files.length >= 15 && files.length <= 30, `${files.length} files`);
    for (const f of files) {
      assert.match(readFileSync(join(DIR, f), 'utf8'), /^# Source: https:\/\/(github\.com\/BerriAI\/litellm|docs\.litellm\.ai)\//, f);
      assert.ok((f in LOADS) !== (f in REFUSED), `${f} must be in exactly one of LOADS / REFUSED`);
    }
    assert.deepEqual([...Object.keys(LOADS), ...Object.keys(REFUSED)].sort(), files);
  });

  it('keeps no literal secret: every api_key and master_key is an os.environ/ reference or an obvious placeholder', () => {
    for (const f of files) {
      for (const m of readFileSync(join(DIR, f), 'utf8').matchAll(/(?:api_key|master_key|azure_ad_token|redis_password|REDIS_PASSWORD):\s*"?([^"\s#]+)/g)) {
        assert.ok(/^os\.environ\/[A-Z0-9_]+$/.test(m[1]!) || /^(fake-key|my-fake-key|none)$/.test(m[1]!), `${f}: ${m[0]}`);
      }
    }
  });

  for (const [file, want] of Object.entries(LOADS)) {
    it(`loads ${file}`, async () => {
      const warned: string[] = [];
      const config = await loadConfigFile(join(DIR, file), { env: (n) => ENV[n], warn: (m) => warned.push(m) });
      assert.deepEqual([...config.groups.keys()], want.aliases);
      assert.deepEqual((config.wildcards ?? []).map((w) => w.pattern), want.patterns ?? []);
      const skipped = warned.flatMap((w) => /^model_list\[(\d+)\].* is skipped: /.exec(w)?.[1] ?? []).map(Number);
      assert.deepEqual(skipped, want.skipped ?? []);
    });
  }

  for (const [file, want] of Object.entries(REFUSED)) {
    it(`refuses ${file} on purpose: ${want.why}`, async () => {
      const err = await loadConfigFile(join(DIR, file), { env: (n) => ENV[n] }).then(
        () => assert.fail(`${file} loaded`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.issues[0]!.path, want.path);
      assert.match(err.issues[0]!.message, want.message);
    });
  }
});
