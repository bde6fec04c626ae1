/**
 * Loads a LiteLLM-compatible proxy `config.yaml` (or the same shape as a JSON object, e.g. from VS Code
 * settings) into the resolved {@link GatewayConfig}: validated, defaulted, units converted (LiteLLM writes
 * seconds; we keep ms), provider prefixes resolved. All of it happens once at load time.
 *
 * Problems are collected, not thrown one at a time: {@link resolveConfig} reports every error it finds in
 * one {@link ConfigError}, each with the path of the offending key (`model_list[2].litellm_params.model`).
 * Unknown keys are warnings (once per key), never errors.
 */

import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type {
  ApiKeyRef,
  Deployment,
  GatewayConfig,
  LogLevel,
  ModelInfo,
  RouterSettings,
  RoutingStrategy,
  ServerSettings,
  WildcardEntry,
  WildcardRoute,
  WireApi,
} from '../types';
import { LITELLM_ONLY_PROVIDERS, PROVIDERS, providerFor, type ProviderSpec } from './providers';
import {
  KNOWN_KEYS,
  LITELLM_UNSUPPORTED_KEYS,
  fallbacksSchema,
  gatewaySettingsSchema,
  generalSettingsSchema,
  litellmSettingsSchema,
  modelEntrySchema,
  routerSettingsSchema,
} from './schema';
import { formatPath, type Segment } from './path';
import { didYouMean } from './suggest';
import { compilePattern, isWildcard, patternCaptures, sortBySpecificity } from './wildcard';
import { applyYaml11Scalars } from './yaml11';

/**
 * Warnings found while parsing (YAML 1.1 readings), keyed by the parsed value that {@link parseConfigText}
 * returns, so that {@link resolveConfig} reports them with its own warnings whoever calls the two.
 */
const PARSE_WARNINGS = new WeakMap<object, string[]>();

/** One problem in a config: where (`model_list[2].litellm_params.model`, or `file:line:col`) and what. */
export interface ConfigIssue {
  /** Path of the offending key in the config, or `<source>:<line>:<col>` for YAML syntax errors. */
  path: string;
  /** What is wrong and what to do about it. Never contains a key or other secret value. */
  message: string;
}

/**
 * The config cannot be used. `issues` lists every problem found; `message` has one line per issue
 * (`<path>: <message>`), ready to print.
 */
export class ConfigError extends Error {
  /** Every problem found, in the order found (at most one per path). */
  readonly issues: ConfigIssue[];

  /** @param issues Every problem found (at least one). */
  constructor(issues: ConfigIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Options of {@link resolveConfig} and {@link loadConfigFile}. */
export interface ResolveOptions {
  /** Called once per warning (unknown key, unsupported LiteLLM feature, ...), as it is found. */
  warn?: (msg: string) => void;
  /**
   * Reads an environment variable for `os.environ/NAME` in non-secret fields that must be known at load
   * time (`api_base`, `api_version`, header values) and for LiteLLM's env defaults (`AZURE_API_BASE`,
   * `AZURE_API_VERSION`, `HOSTED_VLLM_API_BASE`). Default: `process.env`. API keys and the master key are
   * never read here; they stay `{kind: 'env'}` references resolved at request time.
   */
  env?: (name: string) => string | undefined;
}

// Defaults (LiteLLM's, see /work/shared/notes/peers.md; gateway_settings are ours).
const DEFAULT_TIMEOUT_S = 600;
const DEFAULT_NUM_RETRIES = 2;
const DEFAULT_ALLOWED_FAILS = 3;
const DEFAULT_COOLDOWN_S = 5;
const DEFAULT_MAX_FALLBACKS = 5;
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 4000;
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_LOG_LEVEL: LogLevel = 'info';
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** Default `gateway_settings.stream_idle_timeout_ms`: under Codex's own 300 s stream idle timeout. */
const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 270_000;

const SUPPORTED_STRATEGIES: ReadonlySet<string> = new Set<RoutingStrategy>(['simple-shuffle', 'least-busy', 'latency-based-routing']);
const LITELLM_STRATEGIES: ReadonlySet<string> = new Set([
  'usage-based-routing',
  'usage-based-routing-v2',
  'cost-based-routing',
  'provider-budget-routing',
]);

const ENV_PREFIX = 'os.environ/';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 9110 token characters: a valid header field name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Endpoint paths people paste into api_base by mistake; the gateway appends them itself. */
const ENDPOINT_SUFFIX = /\/(chat\/completions|responses|completions|messages)$/;
/** Body fields the gateway sets on every request; a litellm_params value for them would break requests. */
const PER_REQUEST_FIELDS: ReadonlySet<string> = new Set(['messages', 'input', 'stream', 'tools', 'tool_choice']);


/** Collects errors and warnings while resolving. */
class Collector {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: string[] = [];
  private readonly warned = new Set<string>();

  constructor(private readonly sink?: (msg: string) => void) {}

  /** Records an error; only the first one per path is kept (one problem per key is enough to fix it). */
  error(path: readonly Segment[] | string, message: string): void {
    const p = typeof path === 'string' ? path : formatPath(path);
    if (this.issues.some((i) => i.path === p)) return;
    this.issues.push({ path: p, message });
  }

  /** Records a warning once per `key` (default: the message itself). */
  warn(message: string, key: string = message): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warnings.push(message);
    this.sink?.(message);
  }

  /**
   * Validates `value` with a schema and reports its issues under `path`. When it fails, the offending keys
   * are removed and the rest is validated again, so the caller can still check the valid part and report
   * every problem in one go (the config is rejected anyway).
   * @returns the parsed value, or the parsed valid part, or undefined when nothing usable is left.
   */
  parse<S extends z.ZodType>(schema: S, value: unknown, path: readonly Segment[]): z.output<S> | undefined {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    const pruned = cloneJson(value);
    for (const iss of r.error.issues) {
      const ip = iss.path as Segment[];
      this.error([...path, ...ip], iss.message);
      // Remove the offending key; for an item of a list, remove the whole list.
      const cut = ip.findIndex((s) => typeof s === 'number');
      deletePath(pruned, cut === -1 ? ip : ip.slice(0, cut));
    }
    const again = schema.safeParse(pruned);
    return again.success ? again.data : undefined;
  }
}

/** Deletes the key at `path` inside a JSON-like value (no-op when absent or when path is empty). */
function deletePath(root: unknown, path: readonly Segment[]): void {
  if (path.length === 0) return;
  let node: unknown = root;
  for (const s of path.slice(0, -1)) {
    if (!isPlainObject(node)) return;
    node = node[s as string];
  }
  if (isPlainObject(node)) delete node[path[path.length - 1] as string];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of a JSON-like value (so the resolved config never aliases the caller's object). */
function cloneJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneJson);
  if (v instanceof Date) return v.toISOString();
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneJson(x);
    return out;
  }
  return v;
}

/** Section path with list indices replaced by `[*]`, so a warning about `model_list[3].foo` fires once. */
function onceKey(path: readonly Segment[]): string {
  return path.map((s) => (typeof s === 'number' ? '[*]' : s)).join('.');
}

/**
 * Warns about keys of `obj` the loader does not read: known LiteLLM features get "does not implement",
 * others "unknown key" with a did-you-mean against the known keys.
 */
function checkKeys(
  c: Collector,
  obj: Record<string, unknown>,
  path: readonly Segment[],
  known: ReadonlySet<string>,
  unsupported: ReadonlySet<string> = new Set(),
): void {
  for (const key of Object.keys(obj)) {
    if (known.has(key)) continue;
    const p = [...path, key];
    if (unsupported.has(key)) {
      c.warn(`${formatPath(p)} is a LiteLLM feature Codex Gateway does not implement; ignored.`, onceKey(p));
    } else {
      const s = didYouMean(key, known);
      c.warn(`${formatPath(p)}: unknown key; ignored.${s ? ` Did you mean "${s}"?` : ''}`, onceKey(p));
    }
  }
}

/** Reads `os.environ/NAME` in a non-secret field at load time; other strings are returned as written. */
function resolveEnvString(c: Collector, value: string, path: readonly Segment[], env: (n: string) => string | undefined): string | undefined {
  if (!value.startsWith(ENV_PREFIX)) return value;
  const name = value.slice(ENV_PREFIX.length);
  if (!ENV_NAME.test(name)) {
    c.error(path, `"${value}" is not a valid environment reference; write os.environ/NAME where NAME is letters, digits and _.`);
    return undefined;
  }
  const v = env(name);
  if (v === undefined || v === '') {
    c.error(path, `reads environment variable ${name}, which is not set; set ${name} before starting the gateway, or write the value in the config.`);
    return undefined;
  }
  return v;
}

/** `api_key` / `master_key` -> reference. Never resolves the environment and never echoes a literal. */
function keyRef(c: Collector, value: string | null | undefined, path: readonly Segment[]): ApiKeyRef | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value.startsWith(ENV_PREFIX)) {
    const name = value.slice(ENV_PREFIX.length);
    if (!ENV_NAME.test(name)) {
      c.error(path, `is not a valid environment reference; write os.environ/NAME where NAME is letters, digits and _ (e.g. os.environ/OPENAI_API_KEY).`);
      return undefined;
    }
    return { kind: 'env', name };
  }
  return { kind: 'literal', value };
}

/** Seconds -> whole milliseconds. */
function ms(seconds: number): number {
  return Math.round(seconds * 1000);
}

const OPENAI_COMPATIBLE_HINT =
  'For any OpenAI-compatible server, write model: openai_compatible/<model> (or just <model>) and set api_base, e.g. http://127.0.0.1:8000/v1.';

/** Splits `litellm_params.model` into provider and upstream model (provider = part before the FIRST slash). */
function parseModel(
  c: Collector,
  p: z.output<typeof modelEntrySchema>['litellm_params'],
  path: readonly Segment[],
): { spec: ProviderSpec; model: string } | undefined {
  const written = p.model.trim();
  let providerId: string;
  let model: string;
  let providerPath: Segment[] = [...path, 'model'];
  if (p.custom_llm_provider) {
    providerId = p.custom_llm_provider;
    providerPath = [...path, 'custom_llm_provider'];
    model = written.startsWith(`${providerId}/`) ? written.slice(providerId.length + 1) : written;
  } else {
    const slash = written.indexOf('/');
    if (slash === 0) {
      c.error([...path, 'model'], `"${written}" starts with "/"; write <provider>/<model>, e.g. "deepseek/deepseek-chat".`);
      return undefined;
    }
    if (slash > 0) {
      providerId = written.slice(0, slash);
      model = written.slice(slash + 1);
    } else {
      // LiteLLM: a bare name is OpenAI's; with api_base it is an OpenAI-compatible server.
      providerId = p.api_base ? 'openai_compatible' : 'openai';
      model = written;
    }
  }
  const spec = providerFor(providerId);
  if (!spec) {
    const suggestion = didYouMean(providerId, PROVIDERS.keys());
    const why = LITELLM_ONLY_PROVIDERS.has(providerId)
      ? `"${providerId}" is a LiteLLM provider Codex Gateway does not support yet.`
      : `unknown provider "${providerId}"${suggestion ? `; did you mean "${suggestion}"?` : '.'}`;
    c.error(providerPath, `${why} Supported providers: ${[...new Set([...PROVIDERS.values()].map((s) => s.id))].join(', ')}. ${OPENAI_COMPATIBLE_HINT}`);
    return undefined;
  }
  if (!model) {
    c.error([...path, 'model'], `the model name after "${providerId}/" is missing; write e.g. "${providerId}/<model name>".`);
    return undefined;
  }
  return { spec, model };
}

/** Resolves and validates the base URL of a deployment. */
function resolveApiBase(
  c: Collector,
  spec: ProviderSpec,
  written: string | null | undefined,
  path: readonly Segment[],
  env: (n: string) => string | undefined,
): string | undefined {
  const basePath = [...path, 'api_base'];
  let base: string | undefined;
  let userGiven = false;
  if (written) {
    base = resolveEnvString(c, written.trim(), basePath, env);
    if (base === undefined) return undefined;
    userGiven = true;
  } else if (spec.apiBaseEnv && env(spec.apiBaseEnv)) {
    base = env(spec.apiBaseEnv)!.trim();
    userGiven = true;
  } else {
    base = spec.defaultApiBase;
  }
  if (!base) {
    const alt = spec.apiBaseEnv ? ` (or set the environment variable ${spec.apiBaseEnv})` : '';
    c.error(basePath, `is required for provider ${spec.id} (${spec.displayName}), which has no default URL; add api_base: ${spec.apiBaseExample ?? 'https://<host>/v1'}${alt}.`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    c.error(basePath, 'is not a valid URL; write the base URL of the API, e.g. https://api.example.com/v1.');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    c.error(basePath, `must be an http:// or https:// URL (got ${url.protocol}//...).`);
    return undefined;
  }
  if (url.search || url.hash) {
    c.error(basePath, 'must not contain a query string or fragment; write only the base URL (for Azure, put the version in api_version).');
    return undefined;
  }
  let out = base.replace(/\/+$/, '');
  const suffix = ENDPOINT_SUFFIX.exec(out);
  if (suffix) {
    out = out.slice(0, suffix.index);
    c.warn(`${formatPath(basePath)} ends with /${suffix[1]}; the gateway appends the endpoint itself, so it uses ${out} as the base URL.`);
  }
  if (userGiven && spec.apiBasePathIfBare && (url.pathname === '/' || url.pathname === '')) {
    out += spec.apiBasePathIfBare;
  }
  return out;
}

/**
 * LiteLLM `model_info.mode` values of deployments that serve no chat requests (LiteLLM's `mode` literal in
 * litellm/types/utils.py, plus its call types for speech, rerank, moderation, image edit and video). Such a
 * deployment is skipped with a warning; `chat`, `responses` and `completion` are served (as chat).
 */
const UNSERVED_MODES: ReadonlySet<string> = new Set([
  'embedding',
  'image_generation',
  'image_edit',
  'audio_transcription',
  'audio_speech',
  'moderation',
  'moderations',
  'rerank',
  'video_generation',
  'ocr',
  'search',
  'realtime',
  'batch',
  'vector_store',
]);

/** The provider ids we serve, for messages. */
function supportedProviderList(): string {
  return [...new Set([...PROVIDERS.values()].map((s) => s.id))].join(', ');
}

/**
 * Why a raw model_list entry cannot be served at all, or undefined when it may be. Checked before the entry
 * is validated, so a deployment we skip (an embedding model, a Bedrock model) never makes the file fail.
 * (`model: azure/` with no model name is skipped when its mode is one we do not serve, LiteLLM's image
 * deployments; in a chat entry it is an error at the field, as an entry being written in the panel is.)
 * - `model_info.mode` names a mode the gateway does not serve ({@link UNSERVED_MODES});
 * - the provider is a real LiteLLM provider we do not support yet ({@link LITELLM_ONLY_PROVIDERS});
 * - a header name in `extra_headers` / `headers` is not an RFC 9110 token, or a header value has a line
 *   break (Node's HTTP client would throw on every request to it).
 * @returns the reason, phrased for the user (what is wrong and what to do), with the path of the key it is
 *   about (relative to the entry), or undefined.
 */
function skipReason(e: unknown): { at: Segment[]; why: string } | undefined {
  const why = skipWhy(e);
  return why && { at: why[0], why: why[1] };
}

function skipWhy(e: unknown): [Segment[], string] | undefined {
  if (!isPlainObject(e)) return undefined;
  const mi = e.model_info;
  if (isPlainObject(mi) && typeof mi.mode === 'string' && UNSERVED_MODES.has(mi.mode)) {
    return [['model_info', 'mode'], `model_info.mode is "${mi.mode}"; Codex Gateway serves chat models only (Responses, Chat Completions and Messages requests). Remove the entry, or set mode: chat if it is a chat model.`];
  }
  const p = e.litellm_params;
  if (!isPlainObject(p) || typeof p.model !== 'string') return undefined;
  const written = p.model.trim();
  const custom = typeof p.custom_llm_provider === 'string' && p.custom_llm_provider ? p.custom_llm_provider : undefined;
  const slash = written.indexOf('/');
  const providerId = custom ?? (slash > 0 ? written.slice(0, slash) : undefined);
  if (providerId !== undefined && !providerId.includes('*') && !providerFor(providerId) && LITELLM_ONLY_PROVIDERS.has(providerId)) {
    return [['litellm_params', custom ? 'custom_llm_provider' : 'model'], `"${providerId}" is a LiteLLM provider Codex Gateway does not support yet. Supported providers: ${supportedProviderList()}. If the service also offers an OpenAI-compatible API, write model: openai_compatible/<model> with its api_base.`];
  }
  if (written.includes('*') && typeof e.model_name === 'string' && !isWildcard(e.model_name)) {
    return [['litellm_params', 'model'], `litellm_params.model "${written}" has a * but model_name "${e.model_name}" has none, so nothing would replace it. Write model_name with a * too (e.g. "openai/*", LiteLLM's wildcard routing), or name one model.`];
  }
  for (const key of ['headers', 'extra_headers'] as const) {
    const h = p[key];
    if (!isPlainObject(h)) continue;
    for (const [name, value] of Object.entries(h)) {
      if (!HEADER_NAME.test(name)) {
        return [['litellm_params', key, name], `litellm_params.${key} has the header name ${JSON.stringify(name)}, which HTTP does not allow (no spaces; letters, digits and !#$%&'*+-.^_\`|~ only). Fix the name to use this deployment.`];
      }
      if (typeof value === 'string' && /[\r\n\0]/.test(value)) {
        return [['litellm_params', key, name], `litellm_params.${key}.${name} has a line break in its value, which HTTP does not allow. Fix the value to use this deployment.`];
      }
    }
  }
  return undefined;
}

/** Everything resolveDeployment needs from the rest of the config. */
interface DeploymentContext {
  c: Collector;
  env: (n: string) => string | undefined;
  defaultTimeoutMs: number;
}

/** Resolves one validated model_list entry. Returns undefined when it has errors (already reported). */
function resolveDeployment(entry: z.output<typeof modelEntrySchema>, index: number, ctx: DeploymentContext): Deployment | undefined {
  const { c, env } = ctx;
  const entryPath: Segment[] = ['model_list', index];
  const path: Segment[] = [...entryPath, 'litellm_params'];
  const p = entry.litellm_params;
  const alias = entry.model_name;
  const errorsBefore = c.issues.length;

  checkKeys(c, entry, entryPath, KNOWN_KEYS.entry);

  const parsed = parseModel(c, p, path);
  const spec = parsed?.spec;
  const apiBase = spec ? resolveApiBase(c, spec, p.api_base, path, env) : undefined;

  // Key: written value, else the provider's env var (LiteLLM reads e.g. DEEPSEEK_API_KEY by default).
  let apiKey: ApiKeyRef = { kind: 'none' };
  const written = keyRef(c, p.api_key, [...path, 'api_key']);
  if (written && spec?.credentials === 'codex_chatgpt') {
    c.error(
      [...path, 'api_key'],
      `is not used by provider ${spec.id}: it sends requests with your own Codex ChatGPT sign-in ($CODEX_HOME/auth.json), never with an API key. Remove api_key from this entry (for an OpenAI API key, use model: openai/<model> instead).`,
    );
  } else if (written) apiKey = written;
  else if (spec?.keyRequired && spec.defaultKeyEnv) apiKey = { kind: 'env', name: spec.defaultKeyEnv };

  // Wire: explicit wire_api, else provider default. `openai/` keeps `responses` even on another server:
  // the proxy switches a deployment to `chat` by itself when its /responses answers 404 (and remembers it).
  let wire: WireApi = spec?.defaultWire ?? 'chat';
  if (p.wire_api) wire = p.wire_api;

  const extraHeaders: Record<string, string> = {};
  for (const key of ['headers', 'extra_headers'] as const) {
    const h = p[key];
    if (!h) continue;
    for (const [name, raw] of Object.entries(h)) {
      const hp = [...path, key, name];
      if (!HEADER_NAME.test(name)) {
        c.error(hp, 'is not a valid HTTP header name; use letters, digits and -.');
        continue;
      }
      const value = typeof raw === 'string' ? resolveEnvString(c, raw, hp, env) : String(raw);
      if (value === undefined) continue;
      if (/[\r\n\0]/.test(value)) {
        c.error(hp, 'header values must not contain line breaks.');
        continue;
      }
      extraHeaders[name] = value;
    }
  }
  if (p.organization) {
    if (spec?.id === 'openai' || spec?.id === 'azure') {
      const org = resolveEnvString(c, p.organization, [...path, 'organization'], env);
      if (org !== undefined) extraHeaders['OpenAI-Organization'] = org;
    } else if (spec) {
      c.warn(`${formatPath([...path, 'organization'])} only applies to OpenAI and Azure; ignored for provider ${spec.id}.`);
    }
  }

  // Everything else in litellm_params is a request-body parameter (temperature, top_p, ...).
  const extraBody: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(p)) {
    if (KNOWN_KEYS.litellmParams.has(key) || value === null || value === undefined) continue;
    const kp = [...path, key];
    if (LITELLM_UNSUPPORTED_KEYS.litellmParams.has(key)) {
      c.warn(`${formatPath(kp)} is a LiteLLM feature Codex Gateway does not implement; ignored (not sent upstream).`, onceKey(kp));
      continue;
    }
    if (PER_REQUEST_FIELDS.has(key)) {
      c.warn(`${formatPath(kp)}: "${key}" is set per request by the gateway; ignored.`, onceKey(kp));
      continue;
    }
    const typo = didYouMean(key, KNOWN_KEYS.litellmParams);
    if (typo) {
      c.warn(`${formatPath(kp)}: unknown key, not sent upstream. Did you mean "${typo}"?`, onceKey(kp));
      continue;
    }
    extraBody[key] = cloneJson(value);
  }
  if (p.extra_body) {
    for (const [key, value] of Object.entries(p.extra_body)) extraBody[key] = cloneJson(value);
  }
  if (p.api_version !== undefined && p.api_version !== null) {
    if (spec?.id === 'azure') {
      const v = resolveEnvString(c, String(p.api_version), [...path, 'api_version'], env);
      if (v !== undefined) extraBody.api_version = v;
    } else if (spec) {
      c.warn(`${formatPath([...path, 'api_version'])} only applies to Azure; ignored for provider ${spec.id}.`);
    }
  } else if (spec?.id === 'azure' && env('AZURE_API_VERSION')) {
    extraBody.api_version = env('AZURE_API_VERSION');
  }

  const modelInfo = resolveModelInfo(c, entry, entryPath);

  if (c.issues.length > errorsBefore || !parsed || apiBase === undefined) return undefined;
  const d: Deployment = {
    id: entry.model_info?.id !== undefined && entry.model_info?.id !== null ? String(entry.model_info.id) : `${alias}#${index}`,
    alias,
    index,
    provider: parsed.spec.id,
    model: parsed.model,
    apiBase,
    apiKey,
    wire,
    wireExplicit: Boolean(p.wire_api),
    timeoutMs: p.timeout ? ms(p.timeout) : ctx.defaultTimeoutMs,
    weight: p.weight ?? (p.rpm ? p.rpm : 1),
    extraBody,
    extraHeaders,
    modelInfo,
  };
  if (p.stream_timeout) d.streamTimeoutMs = ms(p.stream_timeout);
  if (p.rpm !== undefined && p.rpm !== null) d.rpm = p.rpm;
  if (p.tpm !== undefined && p.tpm !== null) d.tpm = p.tpm;
  if (p.max_tokens !== undefined && p.max_tokens !== null) d.maxTokens = p.max_tokens;
  return d;
}

/**
 * A model_list entry whose model_name has `*` (LiteLLM wildcard routing): validated once now, with each `*`
 * of `litellm_params.model` replaced by a sample name (errors and warnings go to the config's collector),
 * then kept as plain data (the config crosses process boundaries) to build a deployment per requested name
 * with {@link resolveWildcardDeployment}. The load-time `os.environ/NAME` fields (`api_base`, `api_version`,
 * `organization`, header values) are resolved now, as for any deployment; `api_key` stays a reference.
 * @returns the entry, or undefined when it has errors (already reported).
 */
function resolveWildcardEntry(entry: z.output<typeof modelEntrySchema>, index: number, ctx: DeploymentContext): WildcardEntry | undefined {
  const written = entry.litellm_params.model.trim();
  const sample = resolveDeployment({ ...entry, litellm_params: { ...entry.litellm_params, model: written.replaceAll('*', 'model') } }, index, ctx);
  if (!sample) return undefined;
  const slash = written.indexOf('/');
  const fixed = Boolean(entry.litellm_params.custom_llm_provider) || (slash > 0 && !written.slice(0, slash).includes('*')) || !written.includes('*');
  const stored = cloneJson(entry) as Record<string, unknown> & { litellm_params: Record<string, unknown> };
  const lp = stored.litellm_params;
  const fromEnv = (v: unknown): unknown => (typeof v === 'string' && v.startsWith(ENV_PREFIX) ? (ctx.env(v.slice(ENV_PREFIX.length)) ?? v) : v);
  for (const k of ['api_base', 'api_version', 'organization']) if (k in lp) lp[k] = fromEnv(lp[k]);
  for (const k of ['headers', 'extra_headers']) {
    const h = lp[k];
    if (isPlainObject(h)) for (const [n, v] of Object.entries(h)) h[n] = fromEnv(v);
  }
  if (lp.api_version === undefined && sample.extraBody.api_version !== undefined) lp.api_version = sample.extraBody.api_version;
  const w: WildcardEntry = { index, id: sample.id, model: written, entry: stored, defaultTimeoutMs: ctx.defaultTimeoutMs };
  if (fixed) w.provider = sample.provider;
  return w;
}

/**
 * Builds the deployment a wildcard entry serves for one requested name (LiteLLM's `set_deployment_model_name`
 * gives `model`): the entry resolved as if `model_name` were `alias` and `litellm_params.model` were `model`.
 * Its id is `<alias>#<index>`, or `<model_info.id>:<alias>`. Pure but for reading provider base-URL
 * variables (`AZURE_API_BASE`, ...) from `process.env` when the entry gives no api_base.
 * @throws ConfigError saying why the name cannot be served (e.g. `*` -> `foo/bar`: unknown provider "foo").
 */
export function resolveWildcardDeployment(w: WildcardEntry, model: string, alias: string): Deployment {
  const c = new Collector();
  const entry = w.entry as z.output<typeof modelEntrySchema>;
  const d = resolveDeployment({ ...entry, model_name: alias, litellm_params: { ...entry.litellm_params, model } }, w.index, {
    c,
    env: (n) => process.env[n],
    defaultTimeoutMs: w.defaultTimeoutMs,
  });
  if (!d || c.issues.length > 0) {
    throw new ConfigError(c.issues.length > 0 ? c.issues : [{ path: formatPath(['model_list', w.index]), message: `cannot serve "${alias}" as "${model}". Request a name this entry's provider serves, or add a model_list entry for "${alias}".` }]);
  }
  const givenId = entry.model_info?.id;
  d.id = givenId !== undefined && givenId !== null ? `${String(givenId)}:${alias}` : `${alias}#${w.index}`;
  return d;
}

/** Whether `alias` is a model_name of the config, or a name one of its wildcard model_names matches. */
function aliasKnown(alias: string, aliases: ReadonlySet<string>): boolean {
  if (aliases.has(alias)) return true;
  for (const a of aliases) if (isWildcard(a) && patternCaptures(a, alias) !== undefined) return true;
  return false;
}

/** model_info -> ModelInfo (every key kept in `raw`). */
function resolveModelInfo(c: Collector, entry: z.output<typeof modelEntrySchema>, entryPath: readonly Segment[]): ModelInfo {
  const mi = entry.model_info ?? {};
  const info: ModelInfo = { raw: cloneJson(mi) as Record<string, unknown> };
  const contextWindow = mi.context_window ?? mi.max_input_tokens;
  if (contextWindow != null) info.contextWindow = contextWindow;
  const maxOut = mi.max_output_tokens ?? mi.max_tokens;
  if (maxOut != null) info.maxOutputTokens = maxOut;
  if (mi.supports_vision != null) info.supportsVision = mi.supports_vision;
  if (mi.supports_reasoning != null) info.supportsReasoning = mi.supports_reasoning;
  info.supportsFunctionCalling = mi.supports_function_calling ?? true;
  info.displayName = mi.display_name ?? entry.model_name;
  if (mi.description != null) info.description = mi.description;
  if (mi.mode != null && mi.mode !== 'chat' && mi.mode !== 'responses') {
    c.warn(
      `${formatPath([...entryPath, 'model_info', 'mode'])} is "${mi.mode}": Codex Gateway serves chat models only; alias "${entry.model_name}" is loaded but requests will be sent as chat requests.`,
    );
  }
  return info;
}

/** One alias -> fallbacks pair as written, with paths for error messages. */
interface FallbackEntry {
  alias: string;
  targets: string[];
  path: Segment[];
}

/** Flattens LiteLLM's list-of-single-key-maps (or a plain map) into entries. */
function flattenFallbacks(value: z.output<typeof fallbacksSchema> | null | undefined, path: readonly Segment[]): FallbackEntry[] {
  if (!value) return [];
  const out: FallbackEntry[] = [];
  const add = (map: Record<string, string | string[]>, base: Segment[]) => {
    for (const [alias, t] of Object.entries(map)) out.push({ alias, targets: typeof t === 'string' ? [t] : t, path: [...base, alias] });
  };
  if (Array.isArray(value)) value.forEach((m, i) => add(m, [...path, i]));
  else add(value, [...path]);
  return out;
}

/** Checks that an alias exists; reports an error with a did-you-mean otherwise. */
function checkAlias(c: Collector, alias: string, path: readonly Segment[], aliases: ReadonlySet<string>): boolean {
  if (aliasKnown(alias, aliases)) return true;
  const s = didYouMean(alias, aliases);
  c.error(
    path,
    `unknown model alias "${alias}"${s ? `; did you mean "${s}"?` : '.'} Every alias named in fallbacks must be a model_name in model_list (known: ${[...aliases].join(', ')}).`,
  );
  return false;
}

/**
 * Merges fallback sources in increasing priority (later sources override an alias's list) and validates
 * every alias named.
 */
function mergeFallbacks(c: Collector, sources: FallbackEntry[][], aliases: ReadonlySet<string> | undefined): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const source of sources) {
    for (const e of source) {
      if (aliases) {
        let ok = checkAlias(c, e.alias, e.path, aliases);
        e.targets.forEach((t, i) => {
          ok = checkAlias(c, t, [...e.path, i], aliases) && ok;
        });
        if (!ok) continue;
      }
      const targets: string[] = [];
      for (const t of e.targets) {
        if (t === e.alias) {
          c.warn(`${formatPath(e.path)}: "${t}" falls back to itself; that entry is ignored.`);
        } else if (!targets.includes(t)) targets.push(t);
      }
      merged[e.alias] = targets;
    }
  }
  return merged;
}

/**
 * Validates, defaults and resolves a raw config (the object a `config.yaml` or `config.json` parses to,
 * or the same shape from VS Code settings). Does not modify `raw`; the result shares no objects with it.
 *
 * @param raw The parsed file, e.g. from {@link parseConfigText}.
 * @param opts `warn` receives each warning once (they are also in `GatewayConfig.warnings`); `env` reads
 *   environment variables needed at load time (default `process.env`).
 * @returns the resolved config; times in ms, sizes in bytes, token counts in tokens.
 * @throws ConfigError listing every problem found (paths like `model_list[2].litellm_params.model`).
 */
export function resolveConfig(raw: unknown, opts: ResolveOptions = {}): GatewayConfig {
  const c = new Collector(opts.warn);
  const env = opts.env ?? ((name: string) => process.env[name]);

  if (raw === null || raw === undefined) {
    throw new ConfigError([{ path: '(root)', message: 'the config is empty; add a model_list with at least one model (see examples/config.yaml).' }]);
  }
  if (!isPlainObject(raw)) {
    throw new ConfigError([{ path: '(root)', message: 'must be a map (a YAML mapping or JSON object) with a model_list; see examples/config.yaml.' }]);
  }
  for (const w of PARSE_WARNINGS.get(raw) ?? []) c.warn(w);
  checkKeys(c, raw, [], KNOWN_KEYS.top, LITELLM_UNSUPPORTED_KEYS.top);

  // Sections first: deployments need the router's default timeout.
  const rs = c.parse(routerSettingsSchema.nullish(), raw.router_settings, ['router_settings']) ?? {};
  const ls = c.parse(litellmSettingsSchema.nullish(), raw.litellm_settings, ['litellm_settings']) ?? {};
  const gs = c.parse(generalSettingsSchema.nullish(), raw.general_settings, ['general_settings']) ?? {};
  const gw = c.parse(gatewaySettingsSchema.nullish(), raw.gateway_settings, ['gateway_settings']) ?? {};
  const topFallbacks = c.parse(fallbacksSchema.nullish(), raw.fallbacks, ['fallbacks']);
  if (isPlainObject(raw.router_settings)) checkKeys(c, raw.router_settings, ['router_settings'], KNOWN_KEYS.routerSettings, LITELLM_UNSUPPORTED_KEYS.routerSettings);
  if (isPlainObject(raw.litellm_settings)) checkKeys(c, raw.litellm_settings, ['litellm_settings'], KNOWN_KEYS.litellmSettings, LITELLM_UNSUPPORTED_KEYS.litellmSettings);
  if (isPlainObject(raw.general_settings)) checkKeys(c, raw.general_settings, ['general_settings'], KNOWN_KEYS.generalSettings, LITELLM_UNSUPPORTED_KEYS.generalSettings);
  if (isPlainObject(raw.gateway_settings)) checkKeys(c, raw.gateway_settings, ['gateway_settings'], KNOWN_KEYS.gatewaySettings);

  const timeoutS = rs.timeout ?? ls.request_timeout ?? DEFAULT_TIMEOUT_S;

  // model_list
  const deployments: Deployment[] = [];
  const wildcardRoutes = new Map<string, WildcardRoute>();
  const aliases = new Set<string>();
  const list = raw.model_list;
  if (list === undefined || list === null) {
    c.error(['model_list'], 'is required: add a model_list with at least one model (see examples/config.yaml).');
  } else if (!Array.isArray(list)) {
    c.error(['model_list'], 'must be a list of models, each with model_name and litellm_params.');
  } else if (list.length === 0) {
    c.error(['model_list'], 'is empty: add at least one model to model_list.');
  } else {
    // Aliases of every entry, even invalid ones, so fallbacks are not reported twice.
    for (const e of list) if (isPlainObject(e) && typeof e.model_name === 'string' && e.model_name) aliases.add(e.model_name);
    const ids = new Map<string, number>();
    const skipped: { at: Segment[]; why: string; warning: string }[] = [];
    list.forEach((e, i) => {
      const skip = skipReason(e);
      if (skip !== undefined) {
        const name = isPlainObject(e) && typeof e.model_name === 'string' ? ` (model_name "${e.model_name}")` : '';
        skipped.push({ at: ['model_list', i, ...skip.at], why: skip.why, warning: `model_list[${i}]${name} is skipped: ${skip.why}` });
        return;
      }
      const entry = c.parse(modelEntrySchema, e, ['model_list', i]);
      if (!entry) return;
      const ctx: DeploymentContext = { c, env, defaultTimeoutMs: ms(timeoutS) };
      const d = isWildcard(entry.model_name) ? resolveWildcardEntry(entry, i, ctx) : resolveDeployment(entry, i, ctx);
      if (!d) return;
      const first = ids.get(d.id);
      if (first !== undefined) {
        c.error(['model_list', i, 'model_info', 'id'], `duplicate deployment id "${d.id}" (also used by model_list[${first}]); give each deployment its own id.`);
        return;
      }
      ids.set(d.id, i);
      if ('entry' in d) {
        const route = wildcardRoutes.get(entry.model_name) ?? { ...compilePattern(entry.model_name), entries: [] };
        route.entries.push(d);
        wildcardRoutes.set(entry.model_name, route);
      } else deployments.push(d);
    });
    if (skipped.length > 0 && deployments.length === 0 && wildcardRoutes.size === 0 && c.issues.length === 0) {
      // Nothing left to serve: each skipped entry is an error at the key it is about (the settings panel
      // marks that field), so the user sees why the file serves nothing.
      for (const s of skipped) c.error(s.at, `${s.why} (model_list has no other model Codex Gateway can serve.)`);
    } else {
      skipped.forEach((s, k) => c.warn(s.warning, `skip:${String(s.at[1] ?? k)}`));
    }
  }

  // Router: router_settings wins over litellm_settings, which wins over LiteLLM's defaults.
  let strategy: RoutingStrategy = 'simple-shuffle';
  if (rs.routing_strategy) {
    if (SUPPORTED_STRATEGIES.has(rs.routing_strategy)) strategy = rs.routing_strategy as RoutingStrategy;
    else if (LITELLM_STRATEGIES.has(rs.routing_strategy)) {
      c.warn(`router_settings.routing_strategy "${rs.routing_strategy}" is a LiteLLM strategy Codex Gateway does not implement; using simple-shuffle.`);
    } else {
      const s = didYouMean(rs.routing_strategy, SUPPORTED_STRATEGIES);
      c.warn(
        `router_settings.routing_strategy "${rs.routing_strategy}" is unknown; using simple-shuffle.${s ? ` Did you mean "${s}"?` : ''} Supported: ${[...SUPPORTED_STRATEGIES].join(', ')}.`,
      );
    }
  }
  const knownAliases = aliases.size > 0 ? aliases : undefined;
  const fallbacks = mergeFallbacks(
    c,
    [flattenFallbacks(topFallbacks, ['fallbacks']), flattenFallbacks(ls.fallbacks, ['litellm_settings', 'fallbacks']), flattenFallbacks(rs.fallbacks, ['router_settings', 'fallbacks'])],
    knownAliases,
  );
  const contextWindowFallbacks = mergeFallbacks(
    c,
    [
      flattenFallbacks(ls.context_window_fallbacks, ['litellm_settings', 'context_window_fallbacks']),
      flattenFallbacks(rs.context_window_fallbacks, ['router_settings', 'context_window_fallbacks']),
    ],
    knownAliases,
  );
  const defaultFallbacksPath: Segment[] = rs.default_fallbacks ? ['router_settings', 'default_fallbacks'] : ['litellm_settings', 'default_fallbacks'];
  const defaultFallbacks: string[] = [];
  (rs.default_fallbacks ?? ls.default_fallbacks ?? []).forEach((a, i) => {
    if (knownAliases && !checkAlias(c, a, [...defaultFallbacksPath, i], knownAliases)) return;
    if (!defaultFallbacks.includes(a)) defaultFallbacks.push(a);
  });
  const router: RouterSettings = {
    routingStrategy: strategy,
    numRetries: rs.num_retries ?? ls.num_retries ?? DEFAULT_NUM_RETRIES,
    timeoutMs: ms(timeoutS),
    allowedFails: rs.allowed_fails ?? ls.allowed_fails ?? DEFAULT_ALLOWED_FAILS,
    cooldownTimeMs: ms(rs.cooldown_time ?? ls.cooldown_time ?? DEFAULT_COOLDOWN_S),
    retryAfterMs: ms(rs.retry_after ?? 0),
    fallbacks,
    contextWindowFallbacks,
    defaultFallbacks,
    maxFallbacks: rs.max_fallbacks ?? DEFAULT_MAX_FALLBACKS,
    modelGroupAlias: modelGroupAliases(c, rs.model_group_alias, knownAliases),
  };

  const masterKey = keyRef(c, gs.master_key, ['general_settings', 'master_key']);
  const server: ServerSettings = {
    host: gw.host ?? DEFAULT_HOST,
    port: gw.port ?? DEFAULT_PORT,
    maxBodyBytes: gw.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    logLevel: gw.log_level ?? DEFAULT_LOG_LEVEL,
    shutdownGraceMs: gw.shutdown_grace_ms ?? DEFAULT_SHUTDOWN_GRACE_MS,
    streamIdleTimeoutMs: gw.stream_idle_timeout_ms ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  };
  if (!isLoopback(server.host)) {
    c.warn(
      `gateway_settings.host is ${server.host}: the gateway is reachable from other machines over plain HTTP, and every client that has the gateway token can spend your provider keys. Bind to 127.0.0.1 unless you need remote access on a trusted network.`,
    );
  }

  if (c.issues.length > 0) throw new ConfigError(c.issues);

  const groups = new Map<string, Deployment[]>();
  for (const d of deployments) {
    const g = groups.get(d.alias);
    if (g) g.push(d);
    else groups.set(d.alias, [d]);
  }
  const additionalDropParams = [...new Set(ls.additional_drop_params ?? [])];
  const config: GatewayConfig = {
    deployments,
    groups,
    router,
    dropParams: ls.drop_params ?? false,
    additionalDropParams,
    server,
    chatgptPlan: gw.chatgpt_plan ?? false,
    warnings: c.warnings,
  };
  if (wildcardRoutes.size > 0) config.wildcards = sortBySpecificity([...wildcardRoutes.values()]);
  if (ls.check_provider_endpoint) config.checkProviderEndpoint = true;
  if (!config.chatgptPlan && deployments.some((d) => providerFor(d.provider)?.credentials === 'codex_chatgpt')) {
    c.warn(
      'model_list has chatgpt/<model> deployments, but the ChatGPT plan is off: they refuse every request (their fallbacks serve). To send requests to your ChatGPT plan with your own Codex sign-in (under OpenAI\'s terms, from this machine only), set gateway_settings.chatgpt_plan: true.',
    );
  }
  if (masterKey) config.masterKey = masterKey;
  return config;
}

/** Whether a bind address only accepts local connections. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/**
 * Parses config text. YAML (JSON is valid YAML, so `.json` files work too); YAML merge keys (`<<`)
 * and anchors are allowed, duplicate keys are errors. Plain scalars are read as LiteLLM (PyYAML, YAML 1.1)
 * reads them, except in text fields, which keep the text as written (see yaml11.ts); each scalar read
 * differently from YAML 1.2 gives a warning that {@link resolveConfig} reports when given the returned value.
 *
 * @param text File contents (a leading BOM is ignored).
 * @param sourceName File name used in error paths (`config.yaml:3:7`).
 * @returns the parsed value, unvalidated (pass it to {@link resolveConfig}); null for an empty file.
 * @throws ConfigError with one issue per syntax error, each with `<sourceName>:<line>:<col>` as its path.
 */
export function parseConfigText(text: string, sourceName: string): unknown {
  const lineCounter = new LineCounter();
  const source = text.replace(/^\uFEFF/, '');
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: `${sourceName}:${line}:${col}`, message: `${e.message} (YAML syntax error; fix the file there).` };
      }),
    );
  }
  const warnings: string[] = [];
  applyYaml11Scalars(doc, source, (m) => warnings.push(m));
  try {
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (warnings.length > 0 && typeof value === 'object' && value !== null) PARSE_WARNINGS.set(value, warnings);
    return value;
  } catch (e) {
    throw new ConfigError([{ path: sourceName, message: `cannot be read as YAML: ${(e as Error).message}; fix the YAML there, then load it again.` }]);
  }
}

/**
 * Reads, parses and resolves a config file (`.yaml`, `.yml` or `.json`).
 * @param path File path.
 * @param opts See {@link ResolveOptions}.
 * @returns the resolved config.
 * @throws ConfigError when the file cannot be read (missing, a directory, no permission), has YAML syntax
 *   errors, or is not a valid config.
 */
export async function loadConfigFile(path: string, opts: ResolveOptions = {}): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'file not found; create it (copy examples/config.yaml to start) or pass the path of an existing config.'
        : code === 'EISDIR'
          ? 'is a directory; pass the path of the config file itself (e.g. config.yaml).'
          : code === 'EACCES' || code === 'EPERM'
            ? 'cannot be read (permission denied); make the file readable by the user running the gateway.'
            : `cannot be read (${code ?? (e as Error).message}); check the path and that the file is readable.`;
    throw new ConfigError([{ path, message }]);
  }
  return resolveConfig(parseConfigText(text, path), opts);
}

/**
 * `router_settings.model_group_alias` (LiteLLM): requested name -> alias, the value an alias name or
 * `{model: alias, hidden}`. A target that is not a `model_name` is an error naming the closest alias.
 */
function modelGroupAliases(c: Collector, raw: Record<string, string | { model: string; hidden?: boolean | null }> | null | undefined, knownAliases: ReadonlySet<string> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, v] of Object.entries(raw ?? {})) {
    const target = typeof v === 'string' ? v : v.model;
    if (knownAliases && !checkAlias(c, target, ['router_settings', 'model_group_alias', name], knownAliases)) continue;
    out.set(name, target);
  }
  return out;
}
