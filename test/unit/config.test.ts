import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  PROVIDERS,
  configJsonSchema,
  loadConfigFile,
  parseConfigText,
  providerFor,
  resolveConfig,
  type ConfigIssue,
} from '../../src/gateway/config';
import type { GatewayConfig } from '../../src/gateway/types';
import { Runtime } from '../../src/gateway/runtime';

const FIXTURES = join(__dirname, '..', 'fixtures', 'config');
const EXAMPLE = join(__dirname, '..', '..', 'examples', 'config.yaml');
const noEnv = (): string | undefined => undefined;

/** Parses + resolves YAML text with an empty environment, collecting warnings. */
function load(yaml: string, env: Record<string, string> = {}): { config: GatewayConfig; warned: string[] } {
  const warned: string[] = [];
  const config = resolveConfig(parseConfigText(yaml, 'test.yaml'), { warn: (m) => warned.push(m), env: (n) => env[n] });
  return { config, warned };
}

/** Runs fn, expects a ConfigError, returns its issues. */
function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.message, e.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    return e.issues;
  }
  assert.fail('expected a ConfigError');
}

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** One deployment from a single-entry model_list. */
function one(litellmParams: string, extra = ''): GatewayConfig['deployments'][number] {
  const { config } = load(`model_list:\n  - model_name: m\n    litellm_params: ${litellmParams}\n${extra}`);
  assert.equal(config.deployments.length, 1);
  return config.deployments[0];
}

describe('config loader', () => {
  describe('examples/config.yaml', () => {
    it('loads without errors or warnings when no environment variable is set', async () => {
      const warned: string[] = [];
      const config = await loadConfigFile(EXAMPLE, { env: noEnv, warn: (m) => warned.push(m) });
      assert.deepEqual(warned, []);
      assert.deepEqual(config.warnings, []);
      const providers = new Set(config.deployments.map((d) => d.provider));
      for (const p of ['openai', 'deepseek', 'dashscope', 'gemini', 'openrouter', 'ollama']) assert.ok(providers.has(p), `example lacks ${p}`);
      // Keys are env references, never resolved at load time.
      for (const d of config.deployments) assert.notEqual(d.apiKey.kind, 'literal');
      assert.deepEqual(config.router.fallbacks['gpt-5.5'], ['deepseek-chat', 'qwen-coder']);
      assert.equal(config.groups.get('qwen-coder')?.length, 2, 'qwen-coder is a load-balanced group');
      assert.equal(config.server.host, '127.0.0.1');
      assert.equal(config.masterKey, undefined);
    });

    it('loads with the real process environment too', async () => {
      const config = await loadConfigFile(EXAMPLE);
      assert.ok(config.deployments.length >= 6);
    });
  });

  describe('LiteLLM proxy docs shape', () => {
    const env = { AZURE_API_BASE: 'https://example-resource.openai.azure.com/' };

    it('resolves azure and openai deployments, settings from every section, and warns about the rest', () => {
      const { config, warned } = load(fixture('litellm-proxy-docs.yaml'), env);
      const [azure, openai, gpt4, big] = config.deployments;

      assert.equal(azure.provider, 'azure');
      assert.equal(azure.model, 'my-gpt35-deployment');
      assert.equal(azure.apiBase, 'https://example-resource.openai.azure.com');
      assert.deepEqual(azure.apiKey, { kind: 'env', name: 'AZURE_API_KEY' });
      assert.equal(azure.wire, 'chat');
      assert.equal(azure.extraBody.api_version, '2024-02-15-preview');
      assert.equal(azure.weight, 6, 'rpm is the weight when no weight is given');
      assert.equal(azure.rpm, 6);
      assert.equal(providerFor('azure')?.authHeader, 'api-key');

      assert.equal(openai.provider, 'openai', 'a bare model without api_base is OpenAI');
      assert.equal(openai.model, 'gpt-3.5-turbo');
      assert.equal(openai.apiBase, 'https://api.openai.com/v1');
      assert.equal(openai.wire, 'responses');
      assert.equal(openai.wireExplicit, false);
      assert.equal(openai.weight, 1440);
      assert.deepEqual(config.groups.get('gpt-3.5-turbo')?.map((d) => d.id), ['gpt-3.5-turbo#0', 'gpt-3.5-turbo#1']);

      assert.deepEqual(gpt4.extraBody, { temperature: 0.2 });
      assert.equal(gpt4.maxTokens, 4096);
      assert.equal(gpt4.timeoutMs, 10_000, 'litellm_settings.request_timeout (seconds) is the default timeout');
      assert.equal(big.timeoutMs, 30_000);
      assert.equal(big.streamTimeoutMs, 60_000);

      assert.equal(config.dropParams, true);
      assert.equal(config.router.numRetries, 3);
      assert.equal(config.router.timeoutMs, 10_000);
      assert.equal(config.router.routingStrategy, 'simple-shuffle');
      assert.deepEqual(config.router.fallbacks, { 'gpt-3.5-turbo': ['gpt-4'] });
      assert.deepEqual(config.router.contextWindowFallbacks, { 'gpt-3.5-turbo': ['gpt-3.5-turbo-16k'] });
      assert.deepEqual(config.masterKey, { kind: 'env', name: 'LITELLM_MASTER_KEY' });

      const expected = [
        'litellm_settings.success_callback is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'litellm_settings.set_verbose is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'router_settings.redis_host is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'router_settings.enable_pre_call_checks is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'general_settings.database_url is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'general_settings.alerting is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'router_settings.routing_strategy "usage-based-routing-v2" is a LiteLLM strategy Codex Gateway does not implement; using simple-shuffle.',
      ];
      for (const w of expected) assert.ok(warned.includes(w), `missing warning: ${w}\n got: ${warned.join('\n')}`);
      assert.deepEqual(config.warnings, warned);
    });

    it('reports a missing os.environ variable in api_base by name', () => {
      const issues = issuesOf(() => load(fixture('litellm-proxy-docs.yaml'), {}));
      assert.deepEqual(issues.map((i) => i.path), ['model_list[0].litellm_params.api_base']);
      assert.match(issues[0].message, /AZURE_API_BASE, which is not set; set AZURE_API_BASE/);
    });

    it('uses AZURE_API_BASE and AZURE_API_VERSION from the environment when api_base/api_version are absent', () => {
      const { config } = load('model_list:\n  - model_name: a\n    litellm_params: { model: azure/dep }\n', {
        AZURE_API_BASE: 'https://r.openai.azure.com',
        AZURE_API_VERSION: '2024-10-21',
      });
      assert.equal(config.deployments[0].apiBase, 'https://r.openai.azure.com');
      assert.equal(config.deployments[0].extraBody.api_version, '2024-10-21');
    });

    it('requires api_base for azure when neither the config nor AZURE_API_BASE gives one', () => {
      const issues = issuesOf(() => load('model_list:\n  - model_name: a\n    litellm_params: { model: azure/dep }\n'));
      assert.equal(issues[0].path, 'model_list[0].litellm_params.api_base');
      assert.match(issues[0].message, /is required for provider azure .*add api_base: https:\/\/my-resource\.openai\.azure\.com \(or set the environment variable AZURE_API_BASE\)/);
    });
  });

  describe('provider prefix', () => {
    const cases: Array<[string, string, string, string, string]> = [
      // litellm_params (flow map), provider, model, apiBase, wire
      ['{ model: openrouter/anthropic/claude-3.5-sonnet }', 'openrouter', 'anthropic/claude-3.5-sonnet', 'https://openrouter.ai/api/v1', 'chat'],
      ['{ model: deepseek/deepseek-chat }', 'deepseek', 'deepseek-chat', 'https://api.deepseek.com/v1', 'chat'],
      ['{ model: dashscope/qwen-max }', 'dashscope', 'qwen-max', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', 'chat'],
      ['{ model: gemini/gemini-2.5-pro }', 'gemini', 'gemini-2.5-pro', 'https://generativelanguage.googleapis.com/v1beta/openai', 'chat'],
      ['{ model: groq/llama-3.3-70b-versatile }', 'groq', 'llama-3.3-70b-versatile', 'https://api.groq.com/openai/v1', 'chat'],
      ['{ model: mistral/codestral-latest }', 'mistral', 'codestral-latest', 'https://api.mistral.ai/v1', 'chat'],
      ['{ model: xai/grok-4 }', 'xai', 'grok-4', 'https://api.x.ai/v1', 'chat'],
      ['{ model: anthropic/claude-sonnet-4-5 }', 'anthropic', 'claude-sonnet-4-5', 'https://api.anthropic.com', 'messages'],
      ['{ model: gpt-4o }', 'openai', 'gpt-4o', 'https://api.openai.com/v1', 'responses'],
      ['{ model: my-model, api_base: "http://127.0.0.1:8000/v1" }', 'openai_compatible', 'my-model', 'http://127.0.0.1:8000/v1', 'chat'],
      ['{ model: openai/my-model, api_base: "http://127.0.0.1:8000/v1/" }', 'openai', 'my-model', 'http://127.0.0.1:8000/v1', 'responses'],
      ['{ model: openai/gpt-4o, api_base: "https://api.openai.com/v1" }', 'openai', 'gpt-4o', 'https://api.openai.com/v1', 'responses'],
      ['{ model: ollama_chat/llama3.1:8b }', 'ollama', 'llama3.1:8b', 'http://localhost:11434/v1', 'chat'],
      ['{ model: ollama/llama3.1, api_base: "http://gpu-box:11434" }', 'ollama', 'llama3.1', 'http://gpu-box:11434/v1', 'chat'],
      ['{ model: hosted_vllm/org/model, api_base: "http://10.0.0.5:8000/v1" }', 'hosted_vllm', 'org/model', 'http://10.0.0.5:8000/v1', 'chat'],
      ['{ model: deepseek-chat, custom_llm_provider: deepseek }', 'deepseek', 'deepseek-chat', 'https://api.deepseek.com/v1', 'chat'],
      ['{ model: deepseek/deepseek-chat, wire_api: responses }', 'deepseek', 'deepseek-chat', 'https://api.deepseek.com/v1', 'responses'],
      ['{ model: deepseek/deepseek-chat, api_base: "https://proxy.example/v1/chat/completions" }', 'deepseek', 'deepseek-chat', 'https://proxy.example/v1', 'chat'],
    ];
    for (const [params, provider, model, apiBase, wire] of cases) {
      it(`${params} -> ${provider} / ${model}`, () => {
        const d = one(params);
        assert.deepEqual([d.provider, d.model, d.apiBase, d.wire], [provider, model, apiBase, wire]);
      });
    }

    it('marks wire_api as explicit only when written', () => {
      assert.equal(one('{ model: deepseek/x, wire_api: chat }').wireExplicit, true);
      assert.equal(one('{ model: deepseek/x }').wireExplicit, false);
    });

    it('warns when api_base ends with an endpoint path', () => {
      const { warned } = load('model_list:\n  - model_name: m\n    litellm_params: { model: deepseek/x, api_base: "https://p.example/v1/chat/completions" }\n');
      assert.deepEqual(warned, [
        'model_list[0].litellm_params.api_base ends with /chat/completions; the gateway appends the endpoint itself, so it uses https://p.example/v1 as the base URL.',
      ]);
    });

    it('suggests the closest provider for a typo, with the exact path', () => {
      const yaml = [
        'model_list:',
        '  - model_name: a',
        '    litellm_params: { model: openai/gpt-4o }',
        '  - model_name: b',
        '    litellm_params: { model: gemini/gemini-2.5-pro }',
        '  - model_name: c',
        '    litellm_params: { model: deepsek/deepseek-chat }',
      ].join('\n');
      const issues = issuesOf(() => load(yaml));
      assert.equal(issues.length, 1);
      const line = `${issues[0].path}: ${issues[0].message}`;
      assert.ok(line.startsWith('model_list[2].litellm_params.model: unknown provider "deepsek"; did you mean "deepseek"?'), line);
      assert.match(line, /openai_compatible\/<model>.*api_base/, 'says how to use an OpenAI-compatible server instead');
    });

    it('skips deployments of LiteLLM providers it does not support yet, naming them (not as typos)', () => {
      const { config, warned } = load('model_list:\n  - model_name: b\n    litellm_params: { model: bedrock/anthropic.claude-v2 }\n  - model_name: c\n    litellm_params: { model: deepseek/x }\n');
      assert.deepEqual([...config.groups.keys()], ['c']);
      assert.equal(warned.length, 1);
      assert.match(warned[0], /^model_list\[0\] \(model_name "b"\) is skipped: "bedrock" is a LiteLLM provider Codex Gateway does not support yet\. Supported providers: .*openai_compatible\/<model>/);
    });

    it('reports an empty model after the prefix at its field (skipped only for an unserved mode); rejects a missing api_base for providers without a default', () => {
      const warned: string[] = [];
      const issues = issuesOf(() =>
        resolveConfig(
          parseConfigText(
            'model_list:\n  - model_name: a\n    litellm_params: { model: "deepseek/" }\n  - model_name: b\n    litellm_params: { model: custom_openai/m }\n  - model_name: img\n    litellm_params: { model: "azure/" }\n    model_info: { mode: image_generation }\n',
            't.yaml',
          ),
          { warn: (m) => warned.push(m), env: noEnv },
        ),
      );
      assert.deepEqual(issues.map((i) => i.path), ['model_list[0].litellm_params.model', 'model_list[1].litellm_params.api_base']);
      assert.match(issues[0].message, /the model name after "deepseek\/" is missing/);
      assert.match(issues[1].message, /is required for provider custom_openai/);
      assert.equal(warned.length, 1);
      assert.match(warned[0], /^model_list\[2\] \(model_name "img"\) is skipped: model_info\.mode is "image_generation"/);
    });

    it('loads wildcard entries as routes, not as deployments or aliases', () => {
      const { config, warned } = load('model_list:\n  - model_name: "openai/*"\n    litellm_params: { model: "openai/*" }\n');
      assert.deepEqual(config.deployments, []);
      assert.equal(config.groups.size, 0);
      assert.deepEqual(config.wildcards?.map((w) => [w.pattern, w.entries.map((e) => [e.model, e.provider])]), [['openai/*', [['openai/*', 'openai']]]]);
      assert.deepEqual(warned, []);
    });
  });

  describe('units and defaults', () => {
    it('converts LiteLLM seconds to milliseconds everywhere', () => {
      const { config } = load(
        [
          'model_list:',
          '  - model_name: a',
          '    litellm_params: { model: deepseek/x, timeout: 30, stream_timeout: 0.5 }',
          '  - model_name: b',
          '    litellm_params: { model: deepseek/y }',
          'router_settings: { timeout: 120, cooldown_time: 1.5, retry_after: 2 }',
        ].join('\n'),
      );
      const [a, b] = config.deployments;
      assert.equal(a.timeoutMs, 30_000);
      assert.equal(a.streamTimeoutMs, 500);
      assert.equal(b.timeoutMs, 120_000, 'router timeout is the deployment default');
      assert.equal(b.streamTimeoutMs, undefined);
      assert.equal(config.router.timeoutMs, 120_000);
      assert.equal(config.router.cooldownTimeMs, 1500);
      assert.equal(config.router.retryAfterMs, 2000);
    });

    it('router_settings wins over litellm_settings for shared keys', () => {
      const { config } = load(
        [
          'model_list:',
          '  - model_name: a',
          '    litellm_params: { model: deepseek/x }',
          'litellm_settings: { num_retries: 7, request_timeout: 50, allowed_fails: 9, cooldown_time: 9 }',
          'router_settings: { num_retries: 1, timeout: 20 }',
        ].join('\n'),
      );
      assert.equal(config.router.numRetries, 1);
      assert.equal(config.router.timeoutMs, 20_000);
      assert.equal(config.router.allowedFails, 9);
      assert.equal(config.router.cooldownTimeMs, 9000);
      assert.equal(config.deployments[0].timeoutMs, 20_000);
    });

    it('fills LiteLLM and gateway defaults', () => {
      const { config, warned } = load('model_list:\n  - model_name: a\n    litellm_params:\n      model: deepseek/deepseek-chat\n');
      assert.deepEqual(warned, []);
      assert.deepEqual(config.router, {
        routingStrategy: 'simple-shuffle',
        numRetries: 2,
        timeoutMs: 600_000,
        allowedFails: 3,
        cooldownTimeMs: 5000,
        retryAfterMs: 0,
        fallbacks: {},
        contextWindowFallbacks: {},
        defaultFallbacks: [],
        maxFallbacks: 5,
        modelGroupAlias: new Map(),
      });
      assert.deepEqual(config.server, { host: '127.0.0.1', port: 4000, maxBodyBytes: 16 * 1024 * 1024, logLevel: 'info', shutdownGraceMs: 10_000, streamIdleTimeoutMs: 270_000 });
      assert.equal(config.dropParams, false);
      assert.deepEqual(config.additionalDropParams, []);
      const d = config.deployments[0];
      assert.equal(d.id, 'a#0');
      assert.equal(d.weight, 1);
      assert.equal(d.timeoutMs, 600_000);
      assert.deepEqual(d.apiKey, { kind: 'env', name: 'DEEPSEEK_API_KEY' }, "LiteLLM reads the provider's env var by default");
      assert.deepEqual(d.modelInfo, { raw: {}, supportsFunctionCalling: true, displayName: 'a' });
    });

    it('reads gateway_settings, drop params and routing strategies', () => {
      const { config, warned } = load(
        [
          'model_list:',
          '  - model_name: a',
          '    litellm_params: { model: ollama/llama3.1 }',
          'gateway_settings: { host: 0.0.0.0, port: 0, max_body_bytes: 2048, log_level: debug, shutdown_grace_ms: 0 }',
          'litellm_settings: { drop_params: true, additional_drop_params: [prompt_cache_key, prompt_cache_key, user] }',
          'router_settings: { routing_strategy: latency-based-routing }',
        ].join('\n'),
      );
      assert.deepEqual(config.server, { host: '0.0.0.0', port: 0, maxBodyBytes: 2048, logLevel: 'debug', shutdownGraceMs: 0, streamIdleTimeoutMs: 270_000 });
      assert.equal(config.dropParams, true);
      assert.deepEqual(config.additionalDropParams, ['prompt_cache_key', 'user']);
      assert.equal(config.router.routingStrategy, 'latency-based-routing');
      assert.equal(warned.length, 1);
      assert.match(warned[0], /^gateway_settings\.host is 0\.0\.0\.0: the gateway is reachable from other machines/);
    });

    it('warns about a misspelt routing strategy and suggests the right one', () => {
      const { config, warned } = load('model_list:\n  - model_name: a\n    litellm_params: { model: deepseek/x }\nrouter_settings: { routing_strategy: least-busi }\n');
      assert.equal(config.router.routingStrategy, 'simple-shuffle');
      assert.match(warned[0], /"least-busi" is unknown; using simple-shuffle\. Did you mean "least-busy"\?/);
    });
  });

  describe('litellm_params and model_info', () => {
    it('forwards model parameters in extraBody and keeps LiteLLM-only keys out of it', () => {
      const { config, warned } = load(
        [
          'model_list:',
          '  - model_name: a',
          '    litellm_params:',
          '      model: openai/gpt-4o',
          '      temperature: 0.3',
          '      top_p: 0.9',
          '      response_format: { type: json_object }',
          '      extra_body: { top_k: 20, temperature: 0.1 }',
          '      aws_secret_access_key: os.environ/AWS_SECRET',
          '      stream: false',
          '      extra_headers: { X-Title: Codex Gateway, X-Retry: 2 }',
          '      headers: { HTTP-Referer: "https://example.com" }',
          '      organization: org-test',
          '      weight: 2.5',
          '      rpm: 100',
          '      tpm: 100000',
        ].join('\n'),
      );
      const d = config.deployments[0];
      assert.deepEqual(d.extraBody, { temperature: 0.1, top_p: 0.9, response_format: { type: 'json_object' }, top_k: 20 });
      assert.deepEqual(d.extraHeaders, { 'HTTP-Referer': 'https://example.com', 'X-Title': 'Codex Gateway', 'X-Retry': '2', 'OpenAI-Organization': 'org-test' });
      assert.equal(d.weight, 2.5, 'weight wins over rpm');
      assert.equal(d.rpm, 100);
      assert.equal(d.tpm, 100_000);
      assert.deepEqual(warned, [
        'model_list[0].litellm_params.aws_secret_access_key is a LiteLLM feature Codex Gateway does not implement; ignored (not sent upstream).',
        'model_list[0].litellm_params.stream: "stream" is set per request by the gateway; ignored.',
      ]);
    });

    it('does not forward a misspelt known key, and suggests the right one', () => {
      const { config, warned } = load('model_list:\n  - model_name: a\n    litellm_params: { model: deepseek/x, api_bsae: "http://x" }\n');
      assert.deepEqual(config.deployments[0].extraBody, {});
      assert.deepEqual(warned, ['model_list[0].litellm_params.api_bsae: unknown key, not sent upstream. Did you mean "api_base"?']);
    });

    it('maps model_info and keeps every key in raw', () => {
      const d = one(
        '{ model: deepseek/deepseek-reasoner }',
        [
          '    model_info:',
          '      id: ds-1',
          '      max_input_tokens: 128000',
          '      max_tokens: 8192',
          '      supports_reasoning: true',
          '      supports_vision: false',
          '      supports_function_calling: false',
          '      display_name: DeepSeek R',
          '      description: Reasoning model',
          '      input_cost_per_token: 0.00000055',
          '      base_instructions: ""',
        ].join('\n'),
      );
      assert.equal(d.id, 'ds-1');
      assert.deepEqual(d.modelInfo, {
        raw: {
          id: 'ds-1',
          max_input_tokens: 128000,
          max_tokens: 8192,
          supports_reasoning: true,
          supports_vision: false,
          supports_function_calling: false,
          display_name: 'DeepSeek R',
          description: 'Reasoning model',
          input_cost_per_token: 0.00000055,
          base_instructions: '',
        },
        contextWindow: 128000,
        maxOutputTokens: 8192,
        supportsVision: false,
        supportsReasoning: true,
        supportsFunctionCalling: false,
        displayName: 'DeepSeek R',
        description: 'Reasoning model',
      });
      assert.equal(one('{ model: x/y, custom_llm_provider: deepseek }', '    model_info: { context_window: 64000, max_input_tokens: 1 }').modelInfo.contextWindow, 64000);
    });

    it('rejects duplicate deployment ids', () => {
      const issues = issuesOf(() =>
        load(
          'model_list:\n  - model_name: a\n    litellm_params: { model: deepseek/x }\n    model_info: { id: same }\n  - model_name: b\n    litellm_params: { model: deepseek/y }\n    model_info: { id: same }\n',
        ),
      );
      assert.deepEqual(issues, [{ path: 'model_list[1].model_info.id', message: 'duplicate deployment id "same" (also used by model_list[0]); give each deployment its own id.' }]);
    });

    it('keeps literal keys as literals, env references as names, and never echoes a literal key', () => {
      const fakeKey = `k-${randomBytes(12).toString('hex')}`;
      const good = one(`{ model: deepseek/x, api_key: "${fakeKey}" }`);
      assert.deepEqual(good.apiKey, { kind: 'literal', value: fakeKey });
      assert.deepEqual(one('{ model: ollama/x }').apiKey, { kind: 'none' }, 'local providers need no key');
      assert.deepEqual(one('{ model: ollama/x, api_key: os.environ/OLLAMA_KEY }').apiKey, { kind: 'env', name: 'OLLAMA_KEY' });
      assert.deepEqual(one('{ model: my-model, api_base: "http://127.0.0.1:1/v1" }').apiKey, { kind: 'none' });

      const yaml = `model_list:\n  - model_name: a\n    litellm_params: { model: deepsek/x, api_key: "${fakeKey}", timeout: -1 }\n  - model_name: b\n    litellm_params: { model: deepseek/x, api_key: "os.environ/bad name" }\ngeneral_settings: { master_key: "${fakeKey}" }\n`;
      const warned: string[] = [];
      let err: unknown;
      try {
        resolveConfig(parseConfigText(yaml, 'k.yaml'), { warn: (m) => warned.push(m), env: noEnv });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => i.path), [
        'model_list[0].litellm_params.timeout',
        'model_list[0].litellm_params.model',
        'model_list[1].litellm_params.api_key',
      ]);
      assert.ok(!err.message.includes(fakeKey) && !warned.join('\n').includes(fakeKey), 'a literal key leaked into a message');
    });

    it('skips a deployment with an invalid header name or a line break in a header value, naming the header', () => {
      const { config, warned } = load(
        'model_list:\n  - model_name: a\n    litellm_params: { model: deepseek/x, extra_headers: { "bad header": v } }\n  - model_name: b\n    litellm_params: { model: deepseek/y, headers: { X-Ok: "a\\nb" } }\n  - model_name: c\n    litellm_params: { model: deepseek/z }\n',
      );
      assert.deepEqual([...config.groups.keys()], ['c']);
      assert.match(warned[0], /^model_list\[0\] \(model_name "a"\) is skipped: litellm_params\.extra_headers has the header name "bad header", which HTTP does not allow/);
      assert.match(warned[1], /^model_list\[1\] \(model_name "b"\) is skipped: litellm_params\.headers\.X-Ok has a line break/);
    });
  });

  describe('errors', () => {
    it('collects every problem of a file, each with its path', () => {
      const issues = issuesOf(() => load(fixture('many-errors.yaml')));
      assert.deepEqual(
        issues.map((i) => i.path),
        [
          'router_settings.num_retries',
          'gateway_settings.port',
          'model_list[1].litellm_params.model',
          'model_list[2].litellm_params.model',
          'model_list[3].litellm_params.timeout',
          'model_list[4].litellm_params.api_base',
          'model_list[5].litellm_params.wire_api',
          'model_list[6].model_name',
          'router_settings.fallbacks[0].ok[1]',
        ],
      );
      const byPath = new Map(issues.map((i) => [i.path, i.message]));
      assert.equal(byPath.get('model_list[1].litellm_params.model'), 'is required: write <provider>/<model>, e.g. "deepseek/deepseek-chat"');
      assert.equal(byPath.get('model_list[3].litellm_params.timeout'), 'must be more than 0 seconds');
      assert.equal(byPath.get('model_list[5].litellm_params.wire_api'), 'must be "responses", "chat" or "messages"');
      assert.equal(byPath.get('router_settings.num_retries'), 'must be a whole number');
      assert.equal(byPath.get('gateway_settings.port'), 'must be 65535 or less');
      assert.match(byPath.get('model_list[6].model_name')!, /^is required: add model_name/);
      assert.match(byPath.get('router_settings.fallbacks[0].ok[1]')!, /^unknown model alias "gpt4o-mini"\. Every alias named in fallbacks must be a model_name/);
    });

    it('reports YAML syntax errors with file:line:col', () => {
      const issues = issuesOf(() => parseConfigText(fixture('syntax-error.yaml'), 'syntax-error.yaml'));
      assert.equal(issues.length, 1);
      assert.equal(issues[0].path, 'syntax-error.yaml:5:7');
      assert.match(issues[0].message, /Map keys must be unique/);
      const flow = issuesOf(() => parseConfigText('model_list: [\n', 'x.json'));
      assert.match(flow[0].path, /^x\.json:\d+:\d+$/);
    });

    it('rejects an empty or missing model_list, an empty file and a non-map root', async () => {
      const empty = await loadConfigFile(join(FIXTURES, 'empty-model-list.yaml'), { env: noEnv }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => (e as ConfigError).issues,
      );
      assert.deepEqual(empty, [{ path: 'model_list', message: 'is empty: add at least one model to model_list.' }]);
      assert.deepEqual(issuesOf(() => resolveConfig({ router_settings: {} })).map((i) => i.path), ['model_list']);
      assert.match(issuesOf(() => resolveConfig(parseConfigText('', 'e.yaml')))[0].message, /config is empty; add a model_list/);
      assert.match(issuesOf(() => resolveConfig(['x']))[0].message, /must be a map/);
      assert.match(issuesOf(() => resolveConfig({ model_list: 'gpt-4' }))[0].message, /must be a list of models/);
    });

    it('says what to do when the file cannot be read', async () => {
      const missing = join(FIXTURES, 'does-not-exist.yaml');
      const issues = await loadConfigFile(missing).then(
        () => assert.fail('expected an error'),
        (e: unknown) => (e as ConfigError).issues,
      );
      assert.equal(issues[0].path, missing);
      assert.match(issues[0].message, /^file not found; create it/);
      const dir = await loadConfigFile(FIXTURES).then(
        () => assert.fail('expected an error'),
        (e: unknown) => (e as ConfigError).issues,
      );
      assert.match(dir[0].message, /^is a directory/);
    });
  });

  describe('warnings', () => {
    it('warns once per unknown key, with did-you-mean, never fatally', () => {
      const { config, warned } = load(fixture('unknown-keys.yaml'));
      assert.equal(config.deployments.length, 4);
      assert.equal(config.router.routingStrategy, 'least-busy');
      assert.deepEqual(warned.sort(), [
        'gateway_settings.prot: unknown key; ignored. Did you mean "port"?',
        'general_settings.database_url is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'general_settings.frobnicate: unknown key; ignored.',
        'litellm_settings.cache is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'litellm_settings.success_callback is a LiteLLM feature Codex Gateway does not implement; ignored.',
        'model_list[0].model_infos: unknown key; ignored. Did you mean "model_info"?',
        'model_list[2].litellm_params.max_retries is a LiteLLM feature Codex Gateway does not implement; ignored (not sent upstream).',
        'router_settings.routing_stratgy: unknown key; ignored. Did you mean "routing_strategy"?',
        'telemetry_please: unknown key; ignored.',
      ]);
      assert.deepEqual([...config.warnings].sort(), warned);
      for (const d of config.deployments) assert.deepEqual(d.extraBody, {}, 'max_retries is not sent upstream');
    });
  });

  describe('fallbacks', () => {
    it('reads fallbacks from the top level, litellm_settings and router_settings; router_settings wins', () => {
      const { config, warned } = load(fixture('fallbacks-three-places.yaml'));
      assert.deepEqual(config.router.fallbacks, {
        a: ['d', 'c'], // router_settings (plain map form, duplicate removed) overrides litellm_settings and top level
        b: ['c', 'd'], // litellm_settings
        d: ['a'], // top level
      });
      assert.deepEqual(config.router.contextWindowFallbacks, { b: ['c'] });
      assert.deepEqual(config.router.defaultFallbacks, ['d']);
      assert.deepEqual(warned, []);
    });

    it('checks every alias named in fallbacks, keys and values, with did-you-mean', () => {
      const yaml = [
        'model_list:',
        '  - model_name: gpt-4o',
        '    litellm_params: { model: openai/gpt-4o }',
        '  - model_name: deepseek-chat',
        '    litellm_params: { model: deepseek/deepseek-chat }',
        'fallbacks: [{ gpt4o: [deepseek-chat] }]',
        'litellm_settings: { context_window_fallbacks: [{ gpt-4o: [deepseek-caht] }], default_fallbacks: [nope] }',
        'router_settings: { fallbacks: { gpt-4o: [deepseek-chat, gpt-4o] } }',
      ].join('\n');
      const issues = issuesOf(() => load(yaml));
      assert.deepEqual(
        issues.map((i) => `${i.path}: ${i.message.split(' Every')[0]}`),
        [
          'fallbacks[0].gpt4o: unknown model alias "gpt4o"; did you mean "gpt-4o"?',
          'litellm_settings.context_window_fallbacks[0]["gpt-4o"][0]: unknown model alias "deepseek-caht"; did you mean "deepseek-chat"?',
          'litellm_settings.default_fallbacks[0]: unknown model alias "nope".',
        ],
      );
    });

    it('ignores a fallback to the alias itself with a warning', () => {
      const { config, warned } = load(
        'model_list:\n  - model_name: a\n    litellm_params: { model: deepseek/x }\n  - model_name: b\n    litellm_params: { model: deepseek/y }\nrouter_settings: { fallbacks: [{ a: [a, b] }] }\n',
      );
      assert.deepEqual(config.router.fallbacks, { a: ['b'] });
      assert.deepEqual(warned, ['router_settings.fallbacks[0].a: "a" falls back to itself; that entry is ignored.']);
    });

    it('rejects a malformed fallbacks value with the expected format in the message', () => {
      const issues = issuesOf(() => load('model_list:\n  - model_name: a\n    litellm_params: { model: deepseek/x }\nrouter_settings: { fallbacks: "a,b" }\n'));
      assert.equal(issues[0].path, 'router_settings.fallbacks');
      assert.match(issues[0].message, /list of single-key maps like \[\{"gpt-4o": \["deepseek-chat"\]\}\]/);
    });
  });

  describe('JSON input', () => {
    it('a JSON object validates and resolves exactly like the YAML it came from', () => {
      const env = { AZURE_API_BASE: 'https://r.openai.azure.com' };
      for (const name of ['litellm-proxy-docs.yaml', 'fallbacks-three-places.yaml', 'unknown-keys.yaml']) {
        const yamlObj = parseConfigText(fixture(name), name);
        const jsonObj: unknown = JSON.parse(JSON.stringify(yamlObj));
        const a = resolveConfig(yamlObj, { env: (n) => env[n as keyof typeof env], warn: () => {} });
        const b = resolveConfig(jsonObj, { env: (n) => env[n as keyof typeof env], warn: () => {} });
        assert.deepStrictEqual(b, a, name);
      }
      const bad = parseConfigText(fixture('many-errors.yaml'), 'many-errors.yaml');
      assert.deepStrictEqual(
        issuesOf(() => resolveConfig(JSON.parse(JSON.stringify(bad)), { env: noEnv })),
        issuesOf(() => resolveConfig(bad, { env: noEnv })),
      );
    });

    it('loads a .json config file', async () => {
      const config = await loadConfigFile(join(FIXTURES, 'openai-compatible.json'), { env: noEnv });
      const [vllm, lms] = config.deployments;
      assert.deepEqual([vllm.provider, vllm.model, vllm.apiBase, vllm.wire], ['hosted_vllm', 'Qwen/Qwen2.5-Coder-32B-Instruct', 'http://127.0.0.1:8000/v1', 'chat']);
      assert.deepEqual(vllm.extraBody, { temperature: 0.1 });
      assert.equal(vllm.timeoutMs, 120_000);
      assert.deepEqual([lms.provider, lms.apiBase], ['lm_studio', 'http://localhost:1234/v1']);
      assert.equal(config.router.routingStrategy, 'least-busy');
      assert.equal(config.server.port, 0);
      assert.equal(config.server.logLevel, 'debug');
    });

    it('accepts deep-frozen objects (VS Code settings) and never shares objects with the input', () => {
      const raw = {
        model_list: [{ model_name: 'a', litellm_params: { model: 'deepseek/x', response_format: { type: 'json_object' } }, model_info: { tags: ['x'] } }],
      };
      const freeze = (o: unknown): unknown => {
        if (o && typeof o === 'object') {
          for (const v of Object.values(o)) freeze(v);
          Object.freeze(o);
        }
        return o;
      };
      freeze(raw);
      const d = resolveConfig(raw, { env: noEnv }).deployments[0];
      assert.deepEqual(d.extraBody, { response_format: { type: 'json_object' } });
      assert.notEqual(d.extraBody.response_format, raw.model_list[0].litellm_params.response_format);
      assert.notEqual(d.modelInfo.raw.tags, raw.model_list[0].model_info.tags);
    });
  });

  describe('JSON Schema', () => {
    it('describes the raw file shape in draft-07 for VS Code', () => {
      const s = configJsonSchema as {
        $schema: string;
        required: string[];
        properties: Record<string, { items?: { properties: Record<string, { properties?: Record<string, { description?: string }> }> } }>;
      };
      assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
      assert.deepEqual(s.required, ['model_list']);
      for (const k of ['model_list', 'router_settings', 'litellm_settings', 'general_settings', 'gateway_settings', 'fallbacks']) assert.ok(k in s.properties, k);
      const params = s.properties.model_list.items!.properties.litellm_params.properties!;
      assert.match(params.model.description!, /provider.*first slash/);
      for (const k of ['api_base', 'api_key', 'timeout', 'wire_api', 'extra_headers']) assert.ok(k in params, k);
      assert.doesNotThrow(() => JSON.stringify(configJsonSchema));
    });
  });

  describe('PROVIDERS', () => {
    it('has the documented defaults for every required provider', () => {
      const expected: Array<[string, string, string, string | undefined, boolean]> = [
        ['openai', 'https://api.openai.com/v1', 'responses', 'OPENAI_API_KEY', true],
        ['azure', '', 'chat', 'AZURE_API_KEY', true],
        ['deepseek', 'https://api.deepseek.com/v1', 'chat', 'DEEPSEEK_API_KEY', true],
        ['dashscope', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', 'chat', 'DASHSCOPE_API_KEY', true],
        ['openrouter', 'https://openrouter.ai/api/v1', 'chat', 'OPENROUTER_API_KEY', true],
        ['gemini', 'https://generativelanguage.googleapis.com/v1beta/openai', 'chat', 'GEMINI_API_KEY', true],
        ['ollama', 'http://localhost:11434/v1', 'chat', undefined, false],
        ['groq', 'https://api.groq.com/openai/v1', 'chat', 'GROQ_API_KEY', true],
        ['mistral', 'https://api.mistral.ai/v1', 'chat', 'MISTRAL_API_KEY', true],
        ['xai', 'https://api.x.ai/v1', 'chat', 'XAI_API_KEY', true],
        ['anthropic', 'https://api.anthropic.com', 'messages', 'ANTHROPIC_API_KEY', true],
        ['openai_compatible', '', 'chat', undefined, false],
        ['custom_openai', '', 'chat', undefined, false],
        ['hosted_vllm', '', 'chat', undefined, false],
        ['lm_studio', 'http://localhost:1234/v1', 'chat', undefined, false],
        ['together_ai', 'https://api.together.xyz/v1', 'chat', 'TOGETHERAI_API_KEY', true],
      ];
      for (const [id, base, wire, keyEnv, keyRequired] of expected) {
        const s = providerFor(id);
        assert.ok(s, id);
        assert.deepEqual([s.id, s.defaultApiBase, s.defaultWire, s.defaultKeyEnv, s.keyRequired], [id, base, wire, keyEnv, keyRequired]);
        assert.ok(Array.isArray(s.unsupportedParams));
      }
      assert.equal(providerFor('ollama_chat')?.id, 'ollama');
      assert.equal(providerFor('nope'), undefined);
      assert.ok(providerFor('groq')!.unsupportedParams.includes('logprobs'));
      assert.ok(Object.isFrozen(PROVIDERS.get('openai')));
    });
  });
});

describe('router_settings.model_group_alias (LiteLLM)', () => {
  const yaml = (mga: string) => `
model_list:
  - model_name: ds
    litellm_params: { model: deepseek/deepseek-chat, api_key: os.environ/DEEPSEEK_API_KEY }
router_settings:
  model_group_alias: ${mga}
`;
  it('maps requested names to aliases (string or {model, hidden}), and the runtime resolves them, [1m] suffix included', async () => {
    const config = resolveConfig(parseConfigText(yaml('{ "claude-haiku-4-5": ds, "claude-opus-4-1": { model: ds, hidden: true } }'), 'c.yaml'));
    assert.deepEqual([...config.router.modelGroupAlias], [['claude-haiku-4-5', 'ds'], ['claude-opus-4-1', 'ds']]);
    const rt = new Runtime(config);
    assert.equal(rt.resolveAlias('claude-haiku-4-5', undefined), 'ds');
    assert.equal(rt.resolveAlias('claude-opus-4-1[1m]', undefined), 'ds');
    assert.equal(rt.resolveAlias('ds[1m]', undefined), 'ds');
    assert.equal(rt.resolveAlias('unknown', undefined), 'unknown');
  });
  it('refuses a target that is not a model_name, with the closest alias', async () => {
    assert.throws(() => resolveConfig(parseConfigText(yaml('{ "claude-haiku-4-5": dss }'), 'c.yaml')), /model_group_alias.*"dss".*did you mean "ds"/s);
  });
});
