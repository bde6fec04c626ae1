/**
 * The Codex model catalog: the body Codex fetches from a provider's `model_catalog_url` (and, when the
 * provider authenticates with `[model_providers.X.auth] command`, from `GET {base_url}/models`), so that
 * every gateway alias gets real metadata instead of Codex's fallback.
 *
 * Observed with the real Codex CLI 0.169.0 (see docs/codex.md, "Model catalog"):
 * - Codex sends `GET <model_catalog_url>?client_version=0.169.0` with the provider's bearer token and
 *   decodes `{"models": [ModelInfo, ...]}`. A body it cannot decode (a missing required field, or OpenAI's
 *   `{"object":"list","data":[...]}` alone) is logged as "failed to decode models response" and every turn
 *   then warns "Model metadata for `X` not found. Defaulting to fallback metadata".
 * - With `[model_providers.X.auth] command = ...` and no `model_catalog_url`, Codex asks
 *   `GET {base_url}/models?client_version=0.169.0` instead and expects the same `{"models": [...]}` shape.
 *   Unknown top-level keys are ignored, so one body carrying both OpenAI's `object`/`data` and Codex's
 *   `models` satisfies both kinds of client ({@link codexModelsResponse}).
 * - Required per model (a missing one fails the whole decode): `slug`, `display_name`,
 *   `supported_reasoning_levels`, `shell_type`, `visibility`, `supported_in_api`, `priority`,
 *   `support_verbosity`, `truncation_policy`, `experimental_supported_tools`, and `base_instructions`.
 *   `base_instructions` becomes the first input item (a `developer` message) verbatim; an empty string
 *   sends no base prompt at all.
 * - `apply_patch_tool_type: "freeform"` makes Codex offer `apply_patch` as a `custom` tool (a Lark grammar);
 *   without it Codex offers no apply_patch tool. The gateway presents that tool to Chat Completions upstreams
 *   as a function tool with one string parameter.
 *
 * Field names and the template for every value come from `codex debug models --bundled` (Codex 0.169.0).
 * Everything here runs once per configuration load; the server serves the pre-serialised result.
 */
import type { Deployment, GatewayConfig } from '../types';
import { providerFor } from '../config/providers';
import { DEFAULT_PLAN_EFFORTS, PLAN_MODELS } from '../chatgpt/models';

/** One reasoning effort Codex offers in its picker (`/model`) and sends as `reasoning.effort`. */
export interface CodexReasoningLevel {
  /** Effort name sent upstream, e.g. `low`, `medium`, `high`. */
  effort: string;
  /** One-line description shown in the picker. */
  description: string;
}

/**
 * One entry of the Codex model catalog (Codex's `ModelInfo`, field names as Codex 0.169.0 decodes them).
 * Token counts are in tokens.
 */
export interface CodexModelInfo {
  /** The model name Codex sends in `model`: the gateway alias. */
  slug: string;
  display_name: string;
  description: string;
  /** Present only for reasoning models. */
  default_reasoning_level?: string;
  supported_reasoning_levels: CodexReasoningLevel[];
  /** Codex's shell tool flavour; `unified_exec` gives `exec_command` + `write_stdin` (as Codex's own models). */
  shell_type: 'unified_exec';
  /** `list`: shown in the model picker; `hide`: usable but not listed. */
  visibility: 'list' | 'hide';
  supported_in_api: boolean;
  /** Sort order in the picker (lower first): the alias's position in model_list. */
  priority: number;
  additional_speed_tiers: string[];
  service_tiers: unknown[];
  availability_nux: null;
  upgrade: null;
  /** The system prompt Codex sends as the first `developer` input item. */
  base_instructions: string;
  include_skills_usage_instructions: boolean;
  include_plugin_usage_instructions: boolean;
  include_apps_usage_instructions: boolean;
  /** `none` (no reasoning summaries requested) or `auto`. */
  default_reasoning_summary: 'none' | 'auto';
  /** Whether Codex sends `text.verbosity` (an OpenAI GPT-5 parameter; false for gateway models). */
  support_verbosity: boolean;
  default_verbosity: null;
  /** Always `freeform`, so Codex offers apply_patch. */
  apply_patch_tool_type: 'freeform';
  /** How Codex truncates long tool output before sending it back (tokens). */
  truncation_policy: { mode: 'tokens'; limit: number };
  supports_image_detail_original: boolean;
  /** Context window in tokens; left out when model_info gives none (Codex then uses its default). */
  context_window?: number;
  /** The largest context window Codex lets a user configure for this model, in tokens; we send `context_window`'s value. */
  max_context_window?: number;
  /** Share of the context window Codex lets itself fill before compacting (percent). */
  effective_context_window_percent: number;
  experimental_supported_tools: string[];
  /** `["text"]`, or `["text", "image"]` when model_info.supports_vision. */
  input_modalities: ('text' | 'image')[];
  /** Codex's `tool_search` needs server-side Responses support: off for gateway models. */
  supports_search_tool: boolean;
  supports_experimental_context: boolean;
  use_responses_lite: boolean;
  supports_reasoning_effort_updates: boolean;
}

/** The body Codex decodes from `model_catalog_url`: `{"models": [...]}`. */
export interface CodexCatalog {
  models: CodexModelInfo[];
}

/** OpenAI's `GET /v1/models` body (`{"object":"list","data":[{id, object:"model", created, owned_by}]}`). */
export interface OpenAIModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string; [k: string]: unknown }[];
}

/** OpenAI's list plus Codex's `models`: each client reads its own key (see {@link codexModelsResponse}). */
export type CombinedModelsBody = OpenAIModelList & CodexCatalog;

/**
 * Base instructions sent to gateway models when model_info gives no `base_instructions`. Written for this
 * project: it describes the Codex harness (tools, patches, sandbox) so that non-OpenAI models use the
 * tools Codex offers instead of describing edits in prose.
 */
export const DEFAULT_BASE_INSTRUCTIONS = [
  'You are a coding agent working inside the Codex CLI, reached through Codex Gateway. You share a workspace with the user and act in it through the tools you are given.',
  '',
  'How to work:',
  '- Understand the request, look at the relevant files, make the change, then check it (build, tests, or running the code) when that is possible.',
  '- Prefer small, focused changes that fit the existing style of the code. Do not reformat or rewrite code you were not asked to touch.',
  '- If the request is ambiguous or risky (deleting data, force-pushing, touching files outside the workspace), ask before acting.',
  '',
  'Tools:',
  '- Run shell commands with the command tool (`exec_command`). Read files with commands such as `cat`, `sed -n`, `rg` or `ls`; keep output short.',
  '- Edit files with `apply_patch`. Its input is the patch text itself (not JSON-escaped), in this form:',
  '  *** Begin Patch',
  '  *** Add File: path/to/new.txt',
  '  +first line',
  '  *** Update File: path/to/existing.py',
  '  @@ def some_function',
  '   unchanged context line',
  '  -old line',
  '  +new line',
  '  *** Delete File: path/to/old.txt',
  '  *** End Patch',
  '  Paths are relative to the working directory. Every added line starts with "+", removed with "-", context with a space.',
  '- Commands may run in a sandbox; if one fails for lack of permission, say so instead of working around it.',
  '',
  'Answering:',
  '- When you are done, reply with a short summary of what you changed and how you checked it. Mention files by path.',
  '- Be concise. Use Markdown only where it helps (lists, code blocks).',
].join('\n');

/** Reasoning efforts offered for `supports_reasoning` models (names as the OpenAI `reasoning.effort` parameter). */
const REASONING_LEVELS: CodexReasoningLevel[] = [
  { effort: 'low', description: 'Quicker answers, less thinking' },
  { effort: 'medium', description: 'Balanced thinking for everyday work' },
  { effort: 'high', description: 'More thinking for hard problems' },
];

/** Picker descriptions of reasoning efforts beyond {@link REASONING_LEVELS} (plan models). */
const EXTRA_EFFORT_TEXT: Record<string, string> = { xhigh: 'Extra high thinking for the hardest problems' };

/** The picker levels of a plan model's efforts. */
function planLevels(efforts: readonly string[]): CodexReasoningLevel[] {
  return efforts.map((effort) => REASONING_LEVELS.find((l) => l.effort === effort) ?? { effort, description: EXTRA_EFFORT_TEXT[effort] ?? effort });
}

/** Codex's own default tool-output truncation (tokens), from the bundled catalog. */
const TRUNCATION_LIMIT_TOKENS = 10_000;

/** Returns a model_info string value if set and non-empty. */
function rawString(d: Deployment, key: string): string | undefined {
  const v = d.modelInfo.raw[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Builds one catalog entry for an alias from its first deployment's model_info.
 * model_info keys read: `display_name`, `description`, `max_input_tokens`/`context_window` (via
 * {@link Deployment.modelInfo}), `supports_reasoning`, `supports_vision`, and `base_instructions`
 * (a string that replaces {@link DEFAULT_BASE_INSTRUCTIONS}; `""` sends no base prompt).
 */
function entryFor(alias: string, group: Deployment[], priority: number): CodexModelInfo {
  const d = group[0];
  const info = d.modelInfo;
  // An alias on the user's ChatGPT plan: the plan's model reasons and has the context window Codex's own
  // catalog gives it (chatgpt/models.ts), unless model_info says otherwise.
  const onPlan = providerFor(d.provider)?.credentials === 'codex_chatgpt';
  const planModel = onPlan ? PLAN_MODELS.get(d.model) : undefined;
  const reasoning = info.supportsReasoning === true || (onPlan && info.supportsReasoning === undefined);
  const providers = [...new Set(group.map((x) => `${x.provider}/${x.model}`))].join(', ');
  const baseOverride = d.modelInfo.raw['base_instructions'];
  const entry: CodexModelInfo = {
    slug: alias,
    display_name: info.displayName ?? alias,
    description: info.description ?? (onPlan ? `${d.model} on your ChatGPT plan, via Codex Gateway` : `${providers} via Codex Gateway`),
    supported_reasoning_levels: reasoning ? (onPlan ? planLevels(planModel?.efforts ?? DEFAULT_PLAN_EFFORTS) : REASONING_LEVELS) : [],
    shell_type: 'unified_exec',
    visibility: rawString(d, 'visibility') === 'hide' ? 'hide' : 'list',
    supported_in_api: true,
    priority,
    additional_speed_tiers: [],
    service_tiers: [],
    availability_nux: null,
    upgrade: null,
    base_instructions: typeof baseOverride === 'string' ? baseOverride : DEFAULT_BASE_INSTRUCTIONS,
    include_skills_usage_instructions: true,
    include_plugin_usage_instructions: true,
    include_apps_usage_instructions: true,
    default_reasoning_summary: reasoning ? 'auto' : 'none',
    support_verbosity: false,
    default_verbosity: null,
    apply_patch_tool_type: 'freeform',
    truncation_policy: { mode: 'tokens', limit: TRUNCATION_LIMIT_TOKENS },
    supports_image_detail_original: false,
    effective_context_window_percent: 95,
    experimental_supported_tools: [],
    input_modalities: info.supportsVision === true ? ['text', 'image'] : ['text'],
    supports_search_tool: false,
    supports_experimental_context: false,
    use_responses_lite: false,
    supports_reasoning_effort_updates: false,
  };
  if (reasoning) entry.default_reasoning_level = rawString(d, 'default_reasoning_level') ?? 'medium';
  const window = info.contextWindow ?? planModel?.contextWindow;
  if (window !== undefined && window > 0) {
    entry.context_window = window;
    entry.max_context_window = window;
  }
  return entry;
}

/**
 * Builds the Codex model catalog: one entry per alias (model group) in model_list order, from the first
 * deployment's model_info. Aliases containing `*` (LiteLLM wildcard routes) are left out: Codex needs
 * concrete model names; the names they list (wildcard-models.ts) follow the aliases instead.
 * Pure and deterministic; call once per configuration (and listing) and serialise the result.
 * @param defaultAlias when given (and the config has no alias named `default`), a first entry `default`
 *   describes the virtual alias that follows the selected default model.
 * @param listed names wildcard routes list, each with the deployment a request for it gets (its
 *   model_info is the wildcard entry's); listed after the aliases, a name that is an alias skipped.
 * @returns `{ models: [...] }`, the shape Codex decodes from `model_catalog_url`.
 */
export function buildCodexCatalog(config: GatewayConfig, defaultAlias?: string, listed: readonly { name: string; deployment: Deployment }[] = []): CodexCatalog {
  const models: CodexModelInfo[] = [];
  let priority = 0;
  // The virtual alias `default` (see DEFAULT_ALIAS in runtime.ts) follows the model chosen in the status
  // bar; it is listed first with the metadata of the alias it points at.
  const target = defaultAlias !== undefined && !config.groups.has('default') ? config.groups.get(defaultAlias) : undefined;
  if (target && target.length > 0) {
    const e = entryFor('default', target, priority++);
    e.display_name = `Default (${defaultAlias})`;
    e.description = `Whatever model is selected in Codex Gateway; now ${defaultAlias}`;
    models.push(e);
  }
  for (const [alias, group] of config.groups) {
    if (alias.includes('*') || group.length === 0) continue;
    models.push(entryFor(alias, group, priority++));
  }
  for (const { name, deployment } of listed) {
    if (config.groups.has(name) || name === 'default') continue;
    models.push(entryFor(name, [deployment], priority++));
  }
  return { models };
}

/**
 * The `GET /v1/models` body that serves every client: OpenAI's list (`object`, `data`) for SDKs and
 * tools, plus Codex's `models` for Codex providers that authenticate with `auth.command` (Codex then
 * fetches `GET {base_url}/models?client_version=X` and decodes only `models`; verified with Codex 0.169.0
 * that the extra OpenAI keys are ignored). Build once per configuration.
 * @param catalog from {@link buildCodexCatalog}.
 * @param list the OpenAI list the server already serves.
 */
export function codexModelsResponse(catalog: CodexCatalog, list: OpenAIModelList): CombinedModelsBody {
  return { object: 'list', data: list.data, models: catalog.models };
}

/**
 * True when a `GET /models` request comes from Codex's model refresh: Codex 0.169.0 always adds the
 * `client_version` query parameter. Servers that prefer not to send the (larger) combined body to other
 * clients can answer those with the plain OpenAI list.
 * @param query the request's query parameters.
 */
export function isCodexModelsRequest(query: URLSearchParams | Record<string, string | undefined>): boolean {
  return query instanceof URLSearchParams ? query.has('client_version') : query['client_version'] !== undefined;
}
