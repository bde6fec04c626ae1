/**
 * Runtime types shared by the gateway engine: the resolved (validated, defaulted) configuration that the
 * config loader produces once at load time and that the router, providers and server read on the hot
 * path. Nothing here is parsed per request.
 *
 * The user-facing file format is LiteLLM's proxy `config.yaml` (model_list / litellm_params / model_info /
 * router_settings / litellm_settings / general_settings); see src/gateway/config for the schema.
 */

/**
 * The wire protocol one deployment speaks upstream.
 * - `responses`: OpenAI Responses API (`POST {api_base}/responses`).
 * A client on the deployment's own wire is relayed; any other door is translated (src/gateway/wires/).
 * - `chat`: Chat Completions (`POST {api_base}/chat/completions`).
 * - `messages`: Anthropic Messages (`POST {api_base}/v1/messages`), translated through the hub.
 * Named after Codex's own `wire_api` key.
 */
export type WireApi = 'responses' | 'chat' | 'messages';

/** Where a deployment's API key comes from. Never holds a resolved secret value of an env reference. */
export type ApiKeyRef =
  | { kind: 'none' }
  /** A literal key written in the config file (LiteLLM allows it; we never log or echo it). */
  | { kind: 'literal'; value: string }
  /** `os.environ/NAME`: resolved at request time through {@link SecretResolver}. */
  | { kind: 'env'; name: string };

/**
 * Model metadata from LiteLLM's `model_info`, used for `/v1/models`, the Codex model catalog and
 * context-window decisions. All token counts are in tokens.
 */
export interface ModelInfo {
  /** Context window in tokens (`max_input_tokens` or `context_window` in model_info). */
  contextWindow?: number;
  /** Max output tokens (`max_output_tokens` / `max_tokens` in model_info). */
  maxOutputTokens?: number;
  /** Whether the model accepts image input (`supports_vision`). */
  supportsVision?: boolean;
  /** Whether the model reasons (`supports_reasoning`); turns on Codex reasoning levels in the catalog. */
  supportsReasoning?: boolean;
  /** Whether the model supports function calling (`supports_function_calling`, default true). */
  supportsFunctionCalling?: boolean;
  /** Human-readable name for the Codex model picker (`display_name`, else the alias). */
  displayName?: string;
  /** Free-form description (`description`). */
  description?: string;
  /** Every model_info key as written, forwarded to /v1/models consumers. */
  raw: Record<string, unknown>;
}

/**
 * One deployment: one entry of `model_list`, resolved. Several deployments may share an alias
 * (`model_name`), forming a load-balanced model group (LiteLLM semantics).
 */
export interface Deployment {
  /** Stable id: `model_info.id` if given, else `<alias>#<index in model_list>`. */
  id: string;
  /** The public alias Codex sees (`model_name`). */
  alias: string;
  /** Index in `model_list` (for error paths). */
  index: number;
  /** Provider id, e.g. `openai`, `deepseek`, `dashscope`, `anthropic`, `openai_compatible`. */
  provider: string;
  /** Upstream model name without the provider prefix (`deepseek/deepseek-chat` -> `deepseek-chat`). */
  model: string;
  /** Base URL without trailing slash, e.g. `https://api.deepseek.com/v1`. */
  apiBase: string;
  /** Where the key comes from (`api_key`, else the provider's key env var); never a resolved env value. */
  apiKey: ApiKeyRef;
  /** Upstream wire for Responses requests (see {@link WireApi}). */
  wire: WireApi;
  /** True when the user set `wire_api` explicitly (then no automatic 404 fallback to `chat`). */
  wireExplicit: boolean;
  /** Whole-request timeout in ms (`litellm_params.timeout`, else router/litellm default). */
  timeoutMs: number;
  /**
   * Timeout in ms for streaming requests (`litellm_params.stream_timeout`, LiteLLM semantics); absent
   * means `timeoutMs` applies to streams too.
   */
  streamTimeoutMs?: number;
  /** Load-balancing weight for `simple-shuffle` (default 1). */
  weight: number;
  /** Requests per minute limit, informational / used as weight when `weight` is absent. */
  rpm?: number;
  /** Tokens per minute limit, informational. */
  tpm?: number;
  /** Default max output tokens sent upstream when the client sends none. */
  maxTokens?: number;
  /** Other litellm_params forwarded verbatim into the upstream request body (e.g. temperature). */
  extraBody: Record<string, unknown>;
  /** Extra HTTP headers for the upstream (`extra_headers` / `headers`), values may not be secrets. */
  extraHeaders: Record<string, string>;
  /** `model_info`, resolved (context window, capabilities, display name). */
  modelInfo: ModelInfo;
}

/**
 * One `model_list` entry whose `model_name` contains `*` (LiteLLM wildcard routing, see
 * config/wildcard.ts). It is no deployment by itself: a request for a name its pattern matches gets a
 * deployment built from {@link WildcardEntry.entry} with the `*`s of `litellm_params.model` substituted.
 */
export interface WildcardEntry {
  /** Index in `model_list`. */
  index: number;
  /** `model_info.id` if given, else `<model_name>#<index>`. */
  id: string;
  /** `litellm_params.model` as written, e.g. `openai/*` or `*`. */
  model: string;
  /** Provider id when `model` fixes it (`openai` for `openai/*`); undefined when the provider part has a `*`. */
  provider?: string;
  /**
   * The validated model_list entry (plain JSON, so the config can be cloned across processes), with the
   * load-time `os.environ/NAME` fields already resolved; built into a deployment per requested name by
   * `resolveWildcardDeployment` (config/load.ts).
   */
  entry: Record<string, unknown>;
  /** Timeout in ms of deployments without their own (router_settings.timeout at load). */
  defaultTimeoutMs: number;
}

/** The entries sharing one wildcard `model_name`, with the pattern compiled. */
export interface WildcardRoute {
  /** `model_name` as written, e.g. `openai/*`. */
  pattern: string;
  /** Anchored regex of the pattern, one capture group per `*`. */
  regex: RegExp;
  /** LiteLLM's specificity (regex length, special characters); routes are kept most specific first. */
  specificity: [number, number];
  /** The entries of this pattern, in model_list order (load-balanced like a model group). */
  entries: WildcardEntry[];
}

/** LiteLLM `router_settings.routing_strategy` values we implement. */
export type RoutingStrategy = 'simple-shuffle' | 'least-busy' | 'latency-based-routing';

/** Router policy, LiteLLM defaults in brackets. Times in ms. */
export interface RouterSettings {
  /** `routing_strategy` [simple-shuffle]; LiteLLM strategies we lack fall back to simple-shuffle. */
  routingStrategy: RoutingStrategy;
  /** Retries inside one model group [2]. */
  numRetries: number;
  /** Per-attempt timeout in ms when a deployment sets none [600000]. */
  timeoutMs: number;
  /** Failures within one minute before a deployment is cooled down [3]. */
  allowedFails: number;
  /** Cooldown duration in ms [5000]. */
  cooldownTimeMs: number;
  /** Minimum backoff between retries in ms when the upstream gives no Retry-After [0 -> exponential]. */
  retryAfterMs: number;
  /** alias -> ordered fallback aliases (from `fallbacks`, any of the three places). */
  fallbacks: Record<string, string[]>;
  /** alias -> ordered fallback aliases on a context-window error. */
  contextWindowFallbacks: Record<string, string[]>;
  /** Fallbacks tried for any alias without its own entry (`default_fallbacks`). */
  defaultFallbacks: string[];
  /** Max fallback groups tried per request [5]. */
  maxFallbacks: number;
  /**
   * Requested model name -> alias (`model_group_alias`, LiteLLM): e.g. the tier names Claude Code asks for on
   * its own (`claude-3-5-haiku-...`) mapped to an alias of this config.
   */
  modelGroupAlias: ReadonlyMap<string, string>;
}

/** HTTP server settings (our own `gateway_settings` block, plus CLI flags). */
export interface ServerSettings {
  /** Bind address [127.0.0.1]. */
  host: string;
  /** Port; 0 picks a free one [4000]. */
  port: number;
  /** Max request body in bytes [16 MiB]; larger bodies get 413. */
  maxBodyBytes: number;
  /** Log level [info]. */
  logLevel: LogLevel;
  /** Grace period in ms for in-flight streams on shutdown [10000]. */
  shutdownGraceMs: number;
  /**
   * Longest silence in ms allowed between two body chunks of a streamed upstream answer, once its first
   * byte arrived [270000]. Below Codex's own `stream_idle_timeout_ms` (300000) so the gateway, not Codex,
   * ends a stalled stream and says why. See docs/reliability.md.
   */
  streamIdleTimeoutMs: number;
}

/** Minimum level of the gateway log (`gateway_settings.log_level`, `--log-level`); `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * The whole resolved configuration. Built once by `loadConfig`/`resolveConfig`; immutable afterwards
 * (a reload builds a new one).
 */
export interface GatewayConfig {
  /** Every valid `model_list` entry, in file order. */
  deployments: Deployment[];
  /** alias -> deployments of that model group, in model_list order. Wildcard entries are not here. */
  groups: Map<string, Deployment[]>;
  /**
   * Wildcard routes (`model_name` with `*`), most specific first; absent or empty when there are none.
   * Requests for a name that is no alias go to the first route that matches it.
   */
  wildcards?: WildcardRoute[];
  /** Router policy (`router_settings`, then `litellm_settings`, then LiteLLM's defaults). */
  router: RouterSettings;
  /** `litellm_settings.drop_params`: drop params the upstream rejects instead of failing. */
  dropParams: boolean;
  /** Extra parameter names always dropped (`litellm_settings.additional_drop_params`). */
  additionalDropParams: string[];
  /**
   * `litellm_settings.check_provider_endpoint` [false]: list a wildcard route's models by asking its
   * provider's `GET {api_base}/models` (LiteLLM's "Model Discovery"; see wildcard-models.ts).
   */
  checkProviderEndpoint?: boolean;
  /** `general_settings.master_key` as written (literal or `os.environ/NAME`), if any. */
  masterKey?: ApiKeyRef;
  /** HTTP server settings (`gateway_settings`). */
  server: ServerSettings;
  /**
   * `gateway_settings.chatgpt_plan` [false]: whether `chatgpt/<model>` deployments may send requests to the
   * user's ChatGPT plan (off by default; until then they refuse every request, so fallbacks serve).
   */
  chatgptPlan?: boolean;
  /** Warnings found while loading (unknown keys etc.), each already phrased for the user. */
  warnings: string[];
}

/**
 * Resolves a secret by name (e.g. `DEEPSEEK_API_KEY`). The CLI resolves from `process.env`; the VS Code
 * extension resolves from SecretStorage first, then the environment. Returns undefined when unset.
 */
export type SecretResolver = (name: string) => string | undefined;
