/**
 * The shape of the config file: LiteLLM's proxy `config.yaml` (`model_list`, `litellm_params`,
 * `model_info`, `router_settings`, `litellm_settings`, `general_settings`, top-level `fallbacks`) plus our
 * own `gateway_settings` block and `litellm_params.wire_api`. Written with zod so that one definition
 * validates YAML, JSON and VS Code settings objects alike and also yields the JSON Schema VS Code needs.
 *
 * These schemas check types only. Everything that needs context (provider prefixes, aliases named in
 * fallbacks, defaults, unit conversion) happens in `load.ts`. Every object is "loose": unknown keys pass
 * validation and are reported as warnings by the loader, never as errors (LiteLLM configs carry many keys
 * we do not implement).
 */

import { z } from 'zod';

/** A zod error option whose message depends on whether the value is missing or of the wrong type. */
function msg(wrong: string, missing?: string): { error: (iss: { input?: unknown }) => string } {
  return { error: (iss) => (iss.input === undefined && missing ? missing : wrong) };
}

const SECONDS = 'must be a number of seconds (LiteLLM uses seconds), e.g. 30';
const seconds = z.number(msg(SECONDS)).positive(msg('must be more than 0 seconds'));
const secondsOrZero = z.number(msg(SECONDS)).nonnegative(msg('must be 0 seconds or more'));
const wholeNumber = (min: number) =>
  z.number(msg('must be a whole number')).int(msg('must be a whole number')).min(min, msg(`must be ${min} or more`));
const bool = z.boolean(msg('must be true or false'));
const text = (what = 'a string', missing?: string) => z.string(msg(`must be ${what}`, missing));

const ALIAS_LIST_MSG = 'must be a list of model aliases (model_name values), e.g. ["gpt-4o-mini", "deepseek-chat"]';
/** A list of model aliases. */
export const aliasListSchema = z.array(text('a model alias (a model_name value)'), msg(ALIAS_LIST_MSG));
const fallbackMapSchema = z.record(z.string(), z.union([aliasListSchema, text()], msg(ALIAS_LIST_MSG)), msg('must be a map alias -> [fallback aliases]'));
/**
 * LiteLLM's fallbacks: a list of single-key maps `[{"gpt-4o": ["deepseek-chat"]}, ...]`; a plain map
 * `{"gpt-4o": ["deepseek-chat"]}` is accepted too.
 */
export const fallbacksSchema = z
  .union(
    [z.array(fallbackMapSchema, msg('must be a list')), fallbackMapSchema],
    msg('must be a list of single-key maps like [{"gpt-4o": ["deepseek-chat"]}], or a map alias -> [fallback aliases]'),
  )
  .describe('Fallbacks: [{"<alias>": ["<fallback alias>", ...]}, ...], tried in order after retries are exhausted.');

const headersSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()], msg('must be a string (a header value)')),
  msg('must be a map header-name -> value'),
);

/** `model_list[].litellm_params`: where and how to call one deployment. Other keys go into the request body. */
export const litellmParamsSchema = z
  .looseObject(
    {
      model: text('a string like "deepseek/deepseek-chat" (<provider>/<model>)', 'is required: write <provider>/<model>, e.g. "deepseek/deepseek-chat"')
        .min(1, msg('must not be empty; write <provider>/<model>, e.g. "deepseek/deepseek-chat"'))
        .describe('<provider>/<model>, e.g. "deepseek/deepseek-chat" or "openrouter/anthropic/claude-3.5-sonnet". The provider is the part before the first slash.'),
      api_base: text('a URL string like "https://api.example.com/v1"').nullish().describe('Base URL of the upstream API; overrides the provider default. May be os.environ/NAME.'),
      api_key: text('a string: the key itself, or os.environ/NAME to read it from the environment')
        .nullish()
        .describe('API key, or os.environ/NAME to read environment variable NAME at request time.'),
      api_version: z.union([z.string(), z.number()], msg('must be a string like "2024-10-21"')).nullish().describe('Azure OpenAI api-version.'),
      timeout: seconds.nullish().describe('Whole-request timeout in seconds (default: router_settings.timeout).'),
      stream_timeout: seconds.nullish().describe('Timeout in seconds for streaming requests (default: timeout).'),
      weight: z.number(msg('must be a number')).nonnegative(msg('must be 0 or more')).nullish().describe('Load-balancing weight for simple-shuffle (default 1, or rpm when only rpm is set).'),
      rpm: wholeNumber(0).nullish().describe('Requests per minute this deployment allows.'),
      tpm: wholeNumber(0).nullish().describe('Tokens per minute this deployment allows.'),
      max_tokens: wholeNumber(1).nullish().describe('Default max output tokens when the client sends none.'),
      extra_headers: headersSchema.nullish().describe('Extra HTTP headers sent upstream.'),
      headers: headersSchema.nullish().describe('Extra HTTP headers sent upstream (same as extra_headers).'),
      extra_body: z.record(z.string(), z.unknown(), msg('must be a map of request-body fields')).nullish().describe('Fields merged into the upstream request body.'),
      wire_api: z
        .enum(['responses', 'chat', 'messages'], msg('must be "responses", "chat" or "messages"'))
        .nullish()
        .describe('Codex Gateway extension: upstream protocol (Responses API, Chat Completions, Anthropic Messages). Default: per provider.'),
      organization: text().nullish().describe('OpenAI organization id (sent as OpenAI-Organization).'),
      custom_llm_provider: text().nullish().describe('Provider id, when model has no <provider>/ prefix.'),
    },
    msg('must be a map with at least model: <provider>/<model>', 'is required: add litellm_params with at least model: <provider>/<model>'),
  )
  .describe('How to call this deployment (LiteLLM litellm_params). Other keys (temperature, top_p, ...) are sent in the request body.');

/** `model_list[].model_info`: metadata (LiteLLM keys plus display_name, description, context_window). */
export const modelInfoSchema = z
  .looseObject(
    {
      id: z.union([z.string(), z.number()], msg('must be a string')).nullish().describe('Unique deployment id.'),
      max_input_tokens: wholeNumber(1).nullish().describe('Context window in tokens.'),
      context_window: wholeNumber(1).nullish().describe('Context window in tokens (same as max_input_tokens).'),
      max_output_tokens: wholeNumber(1).nullish().describe('Max output tokens.'),
      max_tokens: wholeNumber(1).nullish().describe('Max output tokens (LiteLLM legacy name).'),
      supports_vision: bool.nullish(),
      supports_reasoning: bool.nullish(),
      supports_function_calling: bool.nullish(),
      mode: text().nullish().describe('LiteLLM mode: chat, completion, embedding, ...'),
      display_name: text().nullish().describe('Name shown in the Codex model picker.'),
      description: text().nullish(),
      input_cost_per_token: z.number(msg('must be a number (USD per token)')).nullish(),
      output_cost_per_token: z.number(msg('must be a number (USD per token)')).nullish(),
    },
    msg('must be a map of model metadata'),
  )
  .describe('Model metadata (LiteLLM model_info). Every key is kept and shown to /v1/models consumers.');

/** One `model_list` entry: a deployment of the model group named `model_name`. */
export const modelEntrySchema = z.looseObject(
  {
    model_name: text('a string: the alias clients use', 'is required: add model_name, the alias Codex will ask for (e.g. "gpt-4o")')
      .min(1, msg('must not be empty'))
      .describe('Public alias (what Codex sends as model). Entries sharing a model_name are load-balanced.'),
    litellm_params: litellmParamsSchema,
    model_info: modelInfoSchema.nullish(),
  },
  msg('must be a map with model_name and litellm_params'),
);

/** `router_settings` (LiteLLM Router arguments). Times in seconds. */
export const routerSettingsSchema = z
  .looseObject(
    {
      routing_strategy: text().nullish().describe('simple-shuffle (default), least-busy or latency-based-routing.'),
      num_retries: wholeNumber(0).nullish().describe('Retries inside one model group [2].'),
      timeout: seconds.nullish().describe('Default per-request timeout in seconds [600].'),
      allowed_fails: wholeNumber(0).nullish().describe('Failures per minute before a deployment is cooled down [3].'),
      cooldown_time: secondsOrZero.nullish().describe('Cooldown in seconds [5].'),
      retry_after: secondsOrZero.nullish().describe('Minimum wait in seconds before a retry [0].'),
      fallbacks: fallbacksSchema.nullish(),
      context_window_fallbacks: fallbacksSchema.nullish().describe('Fallbacks used on context-window errors.'),
      default_fallbacks: aliasListSchema.nullish().describe('Fallbacks for every alias without its own entry.'),
      max_fallbacks: wholeNumber(0).nullish().describe('Max fallback groups tried per request [5].'),
      model_group_alias: z
        .record(z.string(), z.union([text('an alias name'), z.looseObject({ model: text('an alias name'), hidden: z.boolean().nullish() }, msg('must be an alias name or {model, hidden}'))]), msg('must be a map of requested name -> alias'))
        .nullish()
        .describe('Requested model names that map to an alias (LiteLLM): name -> alias, or {model: alias, hidden}.'),
    },
    msg('must be a map'),
  )
  .describe('Routing, retries and fallbacks (LiteLLM router_settings).');

/** `litellm_settings`: the subset we read (parameter dropping, retry and fallback settings). */
export const litellmSettingsSchema = z
  .looseObject(
    {
      drop_params: bool.nullish().describe('Drop request parameters the provider does not support instead of failing [false].'),
      additional_drop_params: z.array(text('a parameter name'), msg('must be a list of parameter names')).nullish(),
      request_timeout: seconds.nullish().describe('Default request timeout in seconds (router_settings.timeout wins).'),
      num_retries: wholeNumber(0).nullish(),
      allowed_fails: wholeNumber(0).nullish(),
      cooldown_time: secondsOrZero.nullish(),
      fallbacks: fallbacksSchema.nullish(),
      context_window_fallbacks: fallbacksSchema.nullish(),
      default_fallbacks: aliasListSchema.nullish(),
      check_provider_endpoint: bool.nullish().describe("List a wildcard route's models by asking its provider's GET /models [false]."),
    },
    msg('must be a map'),
  )
  .describe('LiteLLM settings (only the keys listed here are used).');

/** `general_settings`: only `master_key` is used. */
export const generalSettingsSchema = z
  .looseObject(
    {
      master_key: text('a string: the key itself, or os.environ/NAME')
        .min(1, msg('must not be empty'))
        .nullish()
        .describe('Key clients must send as Bearer token. May be os.environ/NAME.'),
    },
    msg('must be a map'),
  )
  .describe('LiteLLM general settings (only master_key is used).');

/** Our own `gateway_settings` block: the HTTP server. */
export const gatewaySettingsSchema = z
  .looseObject(
    {
      host: text('a host name or IP address, e.g. "127.0.0.1"').min(1, msg('must not be empty')).nullish().describe('Bind address [127.0.0.1].'),
      port: wholeNumber(0).max(65535, msg('must be 65535 or less')).nullish().describe('Port; 0 picks a free one [4000].'),
      max_body_bytes: wholeNumber(1024).nullish().describe('Max request body in bytes [16777216].'),
      log_level: z.enum(['debug', 'info', 'warn', 'error', 'silent'], msg('must be one of debug, info, warn, error, silent')).nullish().describe('Log level [info].'),
      shutdown_grace_ms: wholeNumber(0).nullish().describe('Grace period for in-flight streams on shutdown, in ms [10000].'),
      stream_idle_timeout_ms: wholeNumber(1).nullish().describe('Longest silence between two chunks of a streamed upstream answer, in ms [270000].'),
      chatgpt_plan: bool
        .nullish()
        .describe("Lets chatgpt/<model> deployments send requests to your ChatGPT plan with your own Codex sign-in, under OpenAI's terms, from this machine only [false]. See docs/chatgpt.md."),
    },
    msg('must be a map'),
  )
  .describe('Codex Gateway server settings.');

/** The whole file. */
export const rawConfigSchema = z
  .looseObject(
    {
      model_list: z
        .array(modelEntrySchema, msg('must be a list of models', 'is required: add a model_list with at least one model'))
        .min(1, msg('is empty: add at least one model to model_list'))
        .describe('The models (deployments) the gateway serves.'),
      router_settings: routerSettingsSchema.nullish(),
      litellm_settings: litellmSettingsSchema.nullish(),
      general_settings: generalSettingsSchema.nullish(),
      gateway_settings: gatewaySettingsSchema.nullish(),
      fallbacks: fallbacksSchema.nullish(),
    },
    msg('must be a map (YAML mapping or JSON object) with a model_list'),
  )
  .describe('Codex Gateway config: a LiteLLM proxy config.yaml, plus gateway_settings.');

/** The raw (unresolved) config, as written in the file or in settings. */
export type RawConfig = z.input<typeof rawConfigSchema>;

/**
 * JSON Schema (draft-07, the dialect VS Code's `contributes.configuration` understands) of the raw file
 * shape, generated once from {@link rawConfigSchema}. Objects allow additional properties.
 */
export const configJsonSchema: object = z.toJSONSchema(rawConfigSchema, { target: 'draft-7', io: 'input' });

/** Keys of each section that the loader reads, taken from the schemas above. */
export const KNOWN_KEYS = {
  top: new Set(Object.keys(rawConfigSchema.shape)),
  entry: new Set(Object.keys(modelEntrySchema.shape)),
  litellmParams: new Set(Object.keys(litellmParamsSchema.shape)),
  routerSettings: new Set(Object.keys(routerSettingsSchema.shape)),
  litellmSettings: new Set(Object.keys(litellmSettingsSchema.shape)),
  generalSettings: new Set(Object.keys(generalSettingsSchema.shape)),
  gatewaySettings: new Set(Object.keys(gatewaySettingsSchema.shape)),
} as const;

/**
 * LiteLLM keys we recognise but do not implement, per section. They get the warning "is a LiteLLM feature
 * Codex Gateway does not implement; ignored" instead of "unknown key". Not exhaustive.
 */
export const LITELLM_UNSUPPORTED_KEYS = {
  top: new Set([
    'environment_variables',
    'include',
    'guardrails',
    'mcp_servers',
    'mcp_tools',
    'credential_list',
    'callback_settings',
    'files_settings',
    'assistant_settings',
    'finetune_settings',
    'vector_store_registry',
    'search_tools',
    'prompts',
    'pass_through_endpoints',
  ]),
  litellmSettings: new Set([
    'success_callback',
    'failure_callback',
    'callbacks',
    'service_callback',
    'input_callback',
    'cache',
    'cache_params',
    'set_verbose',
    'json_logs',
    'turn_off_message_logging',
    'redact_messages_in_exceptions',
    'redact_user_api_key_info',
    'langfuse_default_tags',
    'modify_params',
    'content_policy_fallbacks',
    'max_budget',
    'budget_duration',
    'default_team_settings',
    'enable_preview_features',
    'max_internal_user_budget',
    'internal_user_budget_duration',
    'key_generation_settings',
    'upperbound_key_generate_params',
    'default_key_generate_params',
    'default_internal_user_params',
    'public_teams',
    'ssl_verify',
    'force_ipv4',
    'disable_end_user_cost_tracking',
    'enable_json_schema_validation',
    'return_response_headers',
    'telemetry',
    'guardrails',
    'callback_settings',
    'disable_add_transform_inline_image_block',
    'forward_traceparent_to_llm_provider',
    'include_cost_in_streaming_usage',
    'max_fallbacks',
    'retry_after',
  ]),
  routerSettings: new Set([
    'redis_host',
    'redis_password',
    'redis_port',
    'redis_url',
    'cache_responses',
    'cache_kwargs',
    'enable_pre_call_checks',
    'optional_pre_call_checks',
    'routing_strategy_args',
    'content_policy_fallbacks',
    'retry_policy',
    'allowed_fails_policy',
    'model_group_retry_policy',
    'provider_budget_config',
    'enable_tag_filtering',
    'disable_cooldowns',
    'stream_timeout',
    'debug_level',
    'set_verbose',
    'polling_interval',
    'client_ttl',
    'default_max_parallel_requests',
    'default_litellm_params',
    'alerting_config',
    'assistants_config',
  ]),
  generalSettings: new Set([
    'database_url',
    'database_connection_pool_limit',
    'database_connection_timeout',
    'store_model_in_db',
    'alerting',
    'alerting_threshold',
    'alert_types',
    'alert_to_webhook_url',
    'proxy_batch_write_at',
    'disable_spend_logs',
    'disable_master_key_return',
    'disable_reset_budget',
    'enable_jwt_auth',
    'litellm_jwtauth',
    'allowed_routes',
    'admin_only_routes',
    'enforce_user_param',
    'allowed_ips',
    'public_routes',
    'custom_auth',
    'custom_key_generate',
    'max_parallel_requests',
    'global_max_parallel_requests',
    'infer_model_from_keys',
    'background_health_checks',
    'health_check_interval',
    'health_check_details',
    'use_redis_transaction_buffer',
    'ui_access_mode',
    'pass_through_endpoints',
    'forward_openai_org_id',
    'forward_client_headers_to_llm_api',
    'key_management_system',
    'key_management_settings',
    'maximum_spend_logs_retention_period',
  ]),
  /**
   * litellm_params keys that configure LiteLLM itself (or providers we do not support). They are never
   * sent upstream, so secrets such as aws_secret_access_key cannot leak into a request body.
   */
  litellmParams: new Set([
    'max_retries',
    'num_retries',
    'drop_params',
    'additional_drop_params',
    'input_cost_per_token',
    'output_cost_per_token',
    'input_cost_per_second',
    'output_cost_per_second',
    'tags',
    'order',
    'region_name',
    'mock_response',
    'use_in_pass_through',
    'use_litellm_proxy',
    'merge_reasoning_content_in_choices',
    'litellm_credential_name',
    'configurable_clientside_auth_params',
    'max_parallel_requests',
    'max_budget',
    'budget_duration',
    'aws_access_key_id',
    'aws_secret_access_key',
    'aws_session_token',
    'aws_region_name',
    'aws_profile_name',
    'aws_role_name',
    'aws_bedrock_runtime_endpoint',
    'vertex_project',
    'vertex_location',
    'vertex_credentials',
    'azure_ad_token',
    'azure_ad_token_provider',
    'tenant_id',
    'client_id',
    'client_secret',
    'azure_username',
    'azure_password',
    'azure_scope',
    'api_type',
    'auto_router_config',
    'auto_router_config_path',
    'auto_router_default_model',
    'auto_router_embedding_model',
    'supports_system_message',
    'base_model',
    'litellm_trace_id',
    'watsonx_region_name',
    'guardrails',
    'custom_user_agent',
  ]),
} as const;
