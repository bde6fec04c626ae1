/**
 * The providers a `model_list[].litellm_params.model` prefix may name (`<provider>/<model>`, LiteLLM's
 * convention), with the defaults the config loader fills in: base URL, upstream wire, the environment
 * variable holding the key, and the parameters the provider is known to reject (used by `drop_params`).
 *
 * Provider ids follow LiteLLM's names (`openai`, `azure`, `deepseek`, `dashscope`, `openrouter`, `gemini`,
 * `ollama`, `groq`, `mistral`, `xai`, `anthropic`, `hosted_vllm`, `lm_studio`, `together_ai`, ...), so a
 * LiteLLM config keeps working. `openai_compatible` is our own name for "any OpenAI-compatible server".
 */

import type { WireApi } from '../types';

/**
 * How the provider expects its key:
 * - `authorization`: `Authorization: Bearer <key>` (OpenAI and every OpenAI-compatible API).
 * - `api-key`: an `api-key: <key>` header (Azure OpenAI, "Authentication" in Azure's REST reference).
 * - `x-api-key`: an `x-api-key: <key>` header (Anthropic Messages API).
 */
export type AuthHeaderStyle = 'authorization' | 'api-key' | 'x-api-key';

/**
 * How a provider's Chat Completions API differs from OpenAI's in the request body (LiteLLM keeps these in
 * each provider's config object; here they live in the provider's spec, read by every upstream builder).
 */
export interface BodyQuirks {
  /** Field of the output-token limit [`max_tokens`]; OpenAI's reasoning models reject `max_tokens`. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** The API rejects message fields it does not know, so no `reasoning_content` is sent back [false]. */
  strictMessageFields?: boolean;
  /** The API accepts `prompt_cache_key` [false]. */
  promptCacheKey?: boolean;
  /**
   * Tool calls carry a thought signature in `extra_content.google.thought_signature` that must come back on
   * the next turn (Gemini 3; Gemini API docs, "Thought signatures") [false].
   */
  thoughtSignatures?: boolean;
}

/**
 * Where a provider serves each wire when its URL scheme is not `{api_base}/<path>`: returns full URLs
 * (e.g. Azure's per-deployment path with `api-version`). Absent: `{api_base}/chat/completions`,
 * `{api_base}/responses`, `{api_base}/messages` (with `/v1` added for a base without it).
 */
export type EndpointRule = (base: string, model: string, extra: Readonly<Record<string, unknown>>) => { chat: string; responses: string; messages: string };

/** Static facts about one provider id. Built once at module load; never mutated. */
export interface ProviderSpec {
  /** Request-body differences from OpenAI's Chat Completions (see {@link BodyQuirks}). */
  quirks?: BodyQuirks;
  /** Headers every request to this provider carries (e.g. Anthropic's `anthropic-version`). */
  headers?: Readonly<Record<string, string>>;
  /** Endpoint URLs when they do not follow `{api_base}/<path>` (see {@link EndpointRule}). */
  endpoints?: EndpointRule;
  /** Provider id as written before the first `/` of `litellm_params.model`, e.g. `deepseek`. */
  id: string;
  /** Human-readable name for messages and the UI, e.g. `DeepSeek`. */
  displayName: string;
  /**
   * Base URL used when `litellm_params.api_base` is absent, without trailing slash. Empty string when the
   * provider has no public default (then `api_base` is required, see {@link apiBaseRequired}).
   */
  defaultApiBase: string;
  /** Upstream wire when `litellm_params.wire_api` is absent. */
  defaultWire: WireApi;
  /** Environment variable read for the key when `litellm_params.api_key` is absent (LiteLLM's names). */
  defaultKeyEnv?: string;
  /**
   * Whether a request needs a key. False for local servers (Ollama, LM Studio, generic OpenAI-compatible
   * servers); such deployments get no key unless `api_key` is written.
   */
  keyRequired: boolean;
  /**
   * Chat Completions body parameters this provider rejects (400) on all or some of its models. Removed
   * before sending when `litellm_settings.drop_params` is true; kept small, each list names its source.
   */
  unsupportedParams: string[];
  /** Header that carries the key; absent means `authorization` (Bearer). */
  authHeader?: AuthHeaderStyle;
  /** True when `api_base` must be given (no public default). */
  apiBaseRequired?: boolean;
  /** Environment variable LiteLLM reads for the base URL when `api_base` is absent (e.g. `AZURE_API_BASE`). */
  apiBaseEnv?: string;
  /**
   * Path appended to an `api_base` that has no path of its own (e.g. Ollama's OpenAI-compatible API lives
   * under `/v1`, while LiteLLM users write `http://localhost:11434`).
   */
  apiBasePathIfBare?: string;
  /** Example base URL for error messages when `api_base` is required. */
  apiBaseExample?: string;
  /**
   * Credentials that are not an API key: `codex_chatgpt` = the user's own Codex ChatGPT sign-in
   * (`$CODEX_HOME/auth.json`, read by src/gateway/chatgpt). Such a deployment refuses `api_key`, serves only
   * once `gateway_settings.chatgpt_plan: true` opts in, and its requests follow the ChatGPT backend's rules
   * (src/gateway/chatgpt/backend.ts: streamed only, `store: false`, `instructions`, an allow-list of body fields).
   * The proxy calls such a provider through the Gateway's account of that kind (src/gateway/accounts.ts).
   */
  credentials?: 'codex_chatgpt';
}

/** Parameters only OpenAI's own API accepts; Google's OpenAI layer rejects unknown fields with 400. */
const OPENAI_ONLY_PARAMS = ['store', 'metadata', 'prompt_cache_key', 'service_tier', 'logit_bias'];

/** Any server that speaks OpenAI's Chat Completions at a user-given `api_base` (our own id). */
const OPENAI_COMPATIBLE: ProviderSpec = {
  id: 'openai_compatible',
  displayName: 'OpenAI-compatible server',
  defaultApiBase: '',
  defaultWire: 'chat',
  keyRequired: false,
  unsupportedParams: [],
  apiBaseRequired: true,
  apiBaseExample: 'http://127.0.0.1:8000/v1',
};

const SPECS: ProviderSpec[] = [
  {
    id: 'openai',
    displayName: 'OpenAI',
    defaultApiBase: 'https://api.openai.com/v1',
    defaultWire: 'responses',
    defaultKeyEnv: 'OPENAI_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
    quirks: { maxTokensField: 'max_completion_tokens', strictMessageFields: true, promptCacheKey: true },
  },
  {
    id: 'azure',
    displayName: 'Azure OpenAI',
    defaultApiBase: '',
    defaultWire: 'chat',
    defaultKeyEnv: 'AZURE_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
    authHeader: 'api-key',
    apiBaseRequired: true,
    apiBaseEnv: 'AZURE_API_BASE',
    apiBaseExample: 'https://my-resource.openai.azure.com',
    quirks: { maxTokensField: 'max_completion_tokens', strictMessageFields: true },
    // Azure REST reference, "Chat completions": {api_base}/openai/deployments/{model}/chat/completions?api-version=V.
    endpoints: (base, model, extra) => {
      const root = /\/openai(\/|$)/.test(base) ? base.replace(/\/openai.*$/, '') : base;
      const q = `?api-version=${encodeURIComponent(String(extra.api_version ?? '2024-10-21'))}`;
      return {
        chat: `${root}/openai/deployments/${encodeURIComponent(model)}/chat/completions${q}`,
        responses: `${root}/openai/v1/responses`,
        messages: `${base}/v1/messages`,
      };
    },
  },
  {
    id: 'deepseek',
    displayName: 'DeepSeek',
    defaultApiBase: 'https://api.deepseek.com/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'DEEPSEEK_API_KEY',
    keyRequired: true,
    // DeepSeek API docs, "Reasoning Model": logprobs/top_logprobs return an error in thinking mode.
    unsupportedParams: ['logprobs', 'top_logprobs'],
  },
  {
    id: 'dashscope',
    displayName: 'Qwen (Alibaba Cloud DashScope)',
    defaultApiBase: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'DASHSCOPE_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
  },
  {
    id: 'openrouter',
    displayName: 'OpenRouter',
    defaultApiBase: 'https://openrouter.ai/api/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'OPENROUTER_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
  },
  {
    id: 'gemini',
    displayName: 'Google Gemini',
    defaultApiBase: 'https://generativelanguage.googleapis.com/v1beta/openai',
    defaultWire: 'chat',
    defaultKeyEnv: 'GEMINI_API_KEY',
    keyRequired: true,
    // The OpenAI-compatibility layer rejects fields it does not know ("Invalid JSON payload received.
    // Unknown name ...", 400); these are the OpenAI-only fields a translated request may carry.
    unsupportedParams: [...OPENAI_ONLY_PARAMS],
    quirks: { strictMessageFields: true, thoughtSignatures: true },
  },
  {
    id: 'ollama',
    displayName: 'Ollama',
    defaultApiBase: 'http://localhost:11434/v1',
    defaultWire: 'chat',
    keyRequired: false,
    unsupportedParams: [],
    apiBasePathIfBare: '/v1',
  },
  {
    id: 'groq',
    displayName: 'Groq',
    defaultApiBase: 'https://api.groq.com/openai/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'GROQ_API_KEY',
    keyRequired: true,
    // Groq docs, "OpenAI Compatibility": these fields "will result in a 400 error".
    unsupportedParams: ['logprobs', 'logit_bias', 'top_logprobs'],
    quirks: { strictMessageFields: true },
  },
  {
    id: 'mistral',
    displayName: 'Mistral AI',
    defaultApiBase: 'https://api.mistral.ai/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'MISTRAL_API_KEY',
    keyRequired: true,
    // Mistral's chat schema forbids extra fields (422 "extra_forbidden"); these OpenAI fields are not in it.
    unsupportedParams: ['logit_bias', 'logprobs', 'top_logprobs', 'store', 'service_tier', 'prompt_cache_key', 'user'],
    apiBasePathIfBare: '/v1',
    quirks: { strictMessageFields: true },
  },
  {
    id: 'xai',
    displayName: 'xAI',
    defaultApiBase: 'https://api.x.ai/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'XAI_API_KEY',
    keyRequired: true,
    // xAI docs, "Reasoning": reasoning models return an error for these.
    unsupportedParams: ['presence_penalty', 'frequency_penalty', 'stop'],
    quirks: { strictMessageFields: true },
  },
  {
    id: 'anthropic',
    displayName: 'Anthropic',
    defaultApiBase: 'https://api.anthropic.com',
    defaultWire: 'messages',
    defaultKeyEnv: 'ANTHROPIC_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
    authHeader: 'x-api-key',
    quirks: { strictMessageFields: true },
    // Anthropic API reference, "Versions": every request names the API version.
    headers: { 'anthropic-version': '2023-06-01' },
  },
  {
    // The user's ChatGPT plan through their own Codex sign-in (LiteLLM's `chatgpt/` provider; Codex's own
    // ChatGPT backend URL). Off by default; see docs/chatgpt.md.
    id: 'chatgpt',
    displayName: 'ChatGPT plan (your Codex sign-in)',
    defaultApiBase: 'https://chatgpt.com/backend-api/codex',
    defaultWire: 'responses',
    keyRequired: false,
    unsupportedParams: [],
    credentials: 'codex_chatgpt',
  },
  OPENAI_COMPATIBLE,
  // LiteLLM's other name for the same thing; kept as its own id so a config's provider reads back as written.
  { ...OPENAI_COMPATIBLE, id: 'custom_openai' },
  {
    id: 'hosted_vllm',
    displayName: 'vLLM',
    defaultApiBase: '',
    defaultWire: 'chat',
    keyRequired: false,
    unsupportedParams: [],
    apiBaseRequired: true,
    apiBaseEnv: 'HOSTED_VLLM_API_BASE',
    apiBaseExample: 'http://127.0.0.1:8000/v1',
  },
  {
    id: 'lm_studio',
    displayName: 'LM Studio',
    defaultApiBase: 'http://localhost:1234/v1',
    defaultWire: 'chat',
    keyRequired: false,
    unsupportedParams: [],
    apiBasePathIfBare: '/v1',
  },
  {
    id: 'together_ai',
    displayName: 'Together AI',
    defaultApiBase: 'https://api.together.xyz/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'TOGETHERAI_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
  },
  {
    id: 'fireworks_ai',
    displayName: 'Fireworks AI',
    defaultApiBase: 'https://api.fireworks.ai/inference/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'FIREWORKS_AI_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
  },
  {
    id: 'deepinfra',
    displayName: 'DeepInfra',
    defaultApiBase: 'https://api.deepinfra.com/v1/openai',
    defaultWire: 'chat',
    defaultKeyEnv: 'DEEPINFRA_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
  },
  {
    id: 'cerebras',
    displayName: 'Cerebras',
    defaultApiBase: 'https://api.cerebras.ai/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'CEREBRAS_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
  },
  {
    id: 'moonshot',
    displayName: 'Moonshot AI (Kimi)',
    defaultApiBase: 'https://api.moonshot.ai/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'MOONSHOT_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
  },
  {
    id: 'nvidia_nim',
    displayName: 'NVIDIA NIM',
    defaultApiBase: 'https://integrate.api.nvidia.com/v1',
    defaultWire: 'chat',
    defaultKeyEnv: 'NVIDIA_NIM_API_KEY',
    keyRequired: true,
    unsupportedParams: [],
  },
];

/** Other spellings LiteLLM accepts for the same provider: alias -> canonical id. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['ollama_chat', 'ollama'],
  ['lmstudio', 'lm_studio'],
  ['vllm', 'hosted_vllm'],
  ['togetherai', 'together_ai'],
  ['fireworks', 'fireworks_ai'],
  ['qwen', 'dashscope'],
]);

/** Every provider, by canonical id and by alias (an alias maps to its canonical spec). Frozen. */
export const PROVIDERS: ReadonlyMap<string, ProviderSpec> = (() => {
  const m = new Map<string, ProviderSpec>();
  for (const s of SPECS) m.set(s.id, Object.freeze({ ...s, unsupportedParams: Object.freeze([...s.unsupportedParams]) as string[] }));
  for (const [alias, id] of ALIASES) m.set(alias, m.get(id)!);
  return m;
})();

/**
 * Looks up a provider by id or alias (case-sensitive, as LiteLLM matches them).
 * @returns the spec (its `id` is the canonical id, e.g. `ollama` for `ollama_chat`), or undefined.
 */
export function providerFor(id: string): ProviderSpec | undefined {
  return PROVIDERS.get(id);
}

/** The body quirks of a provider id (none for an unknown id). */
export function quirksFor(id: string): BodyQuirks {
  return PROVIDERS.get(id)?.quirks ?? {};
}

/**
 * Every provider id LiteLLM knows: the values of its `LlmProviders` enum (BerriAI/litellm,
 * litellm/types/utils.py, read 2026-11), plus older ids LiteLLM configs still carry (`bedrock_converse`,
 * `palm`, `aleph_alpha`). The ones {@link providerFor} does not know are "not supported yet": a deployment
 * naming one is skipped with a warning that says what to use instead, never reported as an unknown
 * provider (a typo). Includes the ids we support (harmless: {@link providerFor} is asked first).
 */
export const LITELLM_ONLY_PROVIDERS: ReadonlySet<string> = new Set([
  'openai', 'chatgpt', 'openai_like', 'jina_ai', 'xai', 'zai', 'custom_openai', 'text-completion-openai',
  'cohere', 'cohere_chat', 'clarifai', 'anthropic', 'anthropic_text', 'bytez', 'replicate', 'reducto',
  'runwayml', 'aws_polly', 'huggingface', 'together_ai', 'openrouter', 'datarobot', 'vertex_ai',
  'vertex_ai_beta', 'gemini', 'ai21', 'baseten', 'black_forest_labs', 'azure', 'azure_text', 'azure_ai',
  'sagemaker', 'sagemaker_chat', 'sagemaker_nova', 'bedrock', 'vllm', 'nlp_cloud', 'petals', 'oobabooga',
  'ollama', 'ollama_chat', 'deepinfra', 'perplexity', 'mistral', 'milvus', 'groq', 'a2a', 'gigachat',
  'nvidia_nim', 'nvidia_riva', 'soniox', 'cerebras', 'ai21_chat', 'volcengine', 'codestral',
  'text-completion-codestral', 'dashscope', 'modelscope', 'moonshot', 'publicai', 'v0', 'morph', 'lambda_ai',
  'inception', 'text-completion-inception', 'deepseek', 'sambanova', 'maritalk', 'voyage', 'cloudflare',
  'xinference', 'fireworks_ai', 'friendliai', 'featherless_ai', 'watsonx', 'watsonx_text', 'triton',
  'predibase', 'databricks', 'empower', 'github', 'ragflow', 'compactifai', 'docker_model_runner', 'custom',
  'litellm_proxy', 'hosted_vllm', 'tencent', 'llamafile', 'lm_studio', 'galadriel', 'nebius', 'infinity',
  'deepgram', 'elevenlabs', 'novita', 'aiohttp_openai', 'langfuse', 'humanloop', 'topaz', 'sap', 'assemblyai',
  'charity_engine', 'github_copilot', 'snowflake', 'gradient_ai', 'meta_llama', 'nscale', 'pg_vector',
  's3_vectors', 'helicone', 'hyperbolic', 'recraft', 'fal_ai', 'stability', 'heroku', 'aiml', 'cometapi',
  'oci', 'auto_router', 'vercel_ai_gateway', 'dotprompt', 'manus', 'wandb', 'ovhcloud', 'scaleway', 'lemonade',
  'amazon_nova', 'a2a_agent', 'langgraph', 'langflow', 'minimax', 'synthetic', 'apertis', 'nano-gpt', 'poe',
  'chutes', 'neosantara', 'parasail', 'xiaomi_mimo', 'tensormesh', 'libertai', 'pinstripes', 'darkbloom',
  'meta', 'litellm_agent', 'cursor', 'bedrock_mantle', 'gdc', 'bedrock_converse', 'palm', 'aleph_alpha',
]);
