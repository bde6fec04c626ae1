/**
 * The extension's settings (`codexGateway.*`) as plain data, and the pure logic around them: reading and
 * coercing values, turning `codexGateway.config` into the engine's raw config, finding the secret names a
 * config references, importing a LiteLLM `config.yaml` (moving literal keys out of it) and exporting settings
 * back to YAML. No `vscode` import: the unit tests drive this module directly.
 *
 * Settings are the source of truth: `codexGateway.config` has the same shape as LiteLLM's proxy
 * `config.yaml` (`model_list`, `router_settings`, `litellm_settings`), so a LiteLLM config imports as is.
 * Provider keys never live in settings: `api_key: os.environ/NAME` names a secret that the extension looks
 * up in VS Code's SecretStorage (key NAME), then in the environment.
 */
import { stringify } from 'yaml';
import { pickModelHint } from '../gateway/codex/config-block';
import { parseConfigText, resolveConfig, type ConfigIssue } from '../gateway/config';
import { compilePattern, isWildcard, matchPattern, sortBySpecificity } from '../gateway/config/wildcard';
import type { GatewayConfig, LogLevel } from '../gateway/types';

/** The settings section (`codexGateway.port`, ...). */
export const SECTION = 'codexGateway';

/**
 * Default port. Fixed (not 0) so that config.toml, terminals and other windows stay valid across restarts.
 * 4141 is not a registered default of the usual local servers (LiteLLM 4000, Ollama 11434, vLLM 8000).
 */
export const DEFAULT_PORT = 4141;

/** Prefix of LiteLLM's environment references (`os.environ/NAME`). */
export const ENV_PREFIX = 'os.environ/';

/** A valid environment/secret name (the engine's rule: letters, digits and `_`, not starting with a digit). */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How the extension treats `~/.codex/config.toml` (`codexGateway.codexConfig`). */
export type CodexConfigMode = 'auto' | 'ask' | 'off';

/** Every `codexGateway.*` setting, coerced to its type (invalid values fall back to the default). */
export interface Settings {
  /** `codexGateway.config`: the raw gateway config (LiteLLM shape), unvalidated. */
  config: unknown;
  /** `codexGateway.defaultModel`: the alias behind the virtual `default` model; `''` = first alias. */
  defaultModel: string;
  /** `codexGateway.port`: TCP port on 127.0.0.1 (1024-65535). */
  port: number;
  /** `codexGateway.codexConfig`: write config.toml automatically, ask first, or never. */
  codexConfig: CodexConfigMode;
  /** `codexGateway.terminal.exportOpenAIEnv`: also export OPENAI_BASE_URL / OPENAI_API_KEY to terminals. */
  exportOpenAIEnv: boolean;
  /** `codexGateway.logLevel`: threshold of the gateway log. */
  logLevel: Exclude<LogLevel, 'silent'>;
  /** `codexGateway.claudeCode.enabled`: point Claude Code (settings.json, its VS Code extension) at the gateway. */
  claudeCodeEnabled: boolean;
  /** `codexGateway.claudeCode.models`: the alias per Claude Code tier (`''` = `default`, the model picked in VS Code). */
  claudeCodeModels: ClaudeCodeModels;
}

/** The gateway alias per Claude Code model tier; `''` means the virtual alias `default`. */
export interface ClaudeCodeModels {
  haiku: string;
  sonnet: string;
  opus: string;
}

/** Default of `codexGateway.claudeCode.models`: every tier follows the model picked in VS Code. */
export const DEFAULT_CLAUDE_MODELS: ClaudeCodeModels = { haiku: '', sonnet: '', opus: '' };

/**
 * The default of `codexGateway.config`: one OpenAI alias whose key is the secret `OPENAI_API_KEY`.
 * (Commented examples for other providers are in the README and the walkthrough: JSON settings have no comments.)
 */
export const DEFAULT_CONFIG = {
  model_list: [
    {
      model_name: 'gpt-5-mini',
      litellm_params: { model: 'openai/gpt-5-mini', api_key: 'os.environ/OPENAI_API_KEY' },
    },
  ],
} as const;

/** Reads one setting: `(key relative to the section, default) => value` (VS Code's `WorkspaceConfiguration.get`). */
export type SettingGetter = <T>(key: string, defaultValue: T) => T;

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/**
 * Reads and coerces every setting. A value of the wrong type falls back to its default (VS Code shows the
 * schema error in the settings editor already).
 * @param get reads one key of the `codexGateway` section.
 */
export function readSettings(get: SettingGetter): Settings {
  const port = get<unknown>('port', DEFAULT_PORT);
  const mode = get<unknown>('codexConfig', 'auto');
  const level = get<unknown>('logLevel', 'info');
  const dm = get<unknown>('defaultModel', '');
  const cm = get<unknown>('claudeCode.models', { ...DEFAULT_CLAUDE_MODELS });
  const tier = (k: keyof ClaudeCodeModels): string => {
    const v = isPlainObject(cm) ? cm[k] : undefined;
    return typeof v === 'string' ? v.trim() : '';
  };
  return {
    // VS Code hands out setting objects as read-only proxies, which postMessage cannot clone: copy to plain JSON.
    config: plainJson(get<unknown>('config', DEFAULT_CONFIG)),
    defaultModel: typeof dm === 'string' ? dm.trim() : '',
    port: typeof port === 'number' && Number.isInteger(port) && port >= 1024 && port <= 65535 ? port : DEFAULT_PORT,
    codexConfig: mode === 'ask' || mode === 'off' ? mode : 'auto',
    exportOpenAIEnv: get<unknown>('terminal.exportOpenAIEnv', false) === true,
    logLevel: typeof level === 'string' && LOG_LEVELS.has(level) ? (level as Settings['logLevel']) : 'info',
    claudeCodeEnabled: get<unknown>('claudeCode.enabled', false) === true,
    claudeCodeModels: { haiku: tier('haiku'), sonnet: tier('sonnet'), opus: tier('opus') },
  };
}

/** A deep copy made of plain JSON values (settings are JSON; proxies and frozen objects become plain ones). */
function plainJson(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Prepares `codexGateway.config` for the engine. The extension owns the server settings: it always binds
 * 127.0.0.1 on `codexGateway.port` and uses the generated token file, so `gateway_settings.host`/`port` and
 * `general_settings.master_key` are removed (with a warning saying where to set them instead).
 * @returns a copy of `raw` (never the same object) and the warnings; `raw` itself is not changed.
 */
export function prepareRawConfig(raw: unknown): { raw: unknown; warnings: string[] } {
  if (!isPlainObject(raw)) return { raw, warnings: [] };
  const out: Record<string, unknown> = structuredClone(raw);
  const warnings: string[] = [];
  const gs = out.gateway_settings;
  if (isPlainObject(gs)) {
    for (const k of ['host', 'port'] as const) {
      if (gs[k] !== undefined && gs[k] !== null) {
        warnings.push(
          k === 'port'
            ? 'codexGateway.config: gateway_settings.port is ignored in VS Code; set codexGateway.port instead.'
            : 'codexGateway.config: gateway_settings.host is ignored in VS Code; the gateway always listens on 127.0.0.1.',
        );
        delete gs[k];
      }
    }
  }
  const gen = out.general_settings;
  if (isPlainObject(gen) && gen.master_key !== undefined && gen.master_key !== null) {
    warnings.push(
      'codexGateway.config: general_settings.master_key is not used in VS Code, and nothing needs doing: Codex and Claude Code are wired with the gateway token the extension keeps in a file only you can read ($CODEX_GATEWAY_HOME/master_key, by default ~/.codex-gateway/master_key); other clients of this gateway send that token.',
    );
    delete gen.master_key;
  }
  return { raw: out, warnings };
}

/** Secret names a config references through `os.environ/NAME`. */
export interface EnvReferences {
  /** Names used as `litellm_params.api_key` (provider keys), in order of first use. */
  keyNames: string[];
  /**
   * Names used by any other field (`api_base`, header values, ...), which the engine reads at load time:
   * a change of one of these needs a config reload.
   */
  otherNames: string[];
}

/**
 * Finds every `os.environ/NAME` string in a raw config. Invalid names (not letters, digits, `_`) are left
 * out; the engine reports them as config errors.
 */
export function envReferences(raw: unknown): EnvReferences {
  const { keys, other } = collectEnvReferences(raw);
  for (const k of keys) other.delete(k);
  return { keyNames: [...keys], otherNames: [...other] };
}

/**
 * Every `os.environ/NAME` name that some field other than `api_key` uses (`api_base`, header values, ...),
 * including names that are also used as an `api_key` (which {@link EnvReferences.otherNames} leaves out).
 * A value for one of these decides where requests go, so it is never taken from another window.
 */
export function namesOutsideApiKey(raw: unknown): Set<string> {
  return collectEnvReferences(raw).other;
}

function collectEnvReferences(raw: unknown): { keys: Set<string>; other: Set<string> } {
  const keys = new Set<string>();
  const other = new Set<string>();
  const walk = (v: unknown, parentKey: string): void => {
    if (typeof v === 'string') {
      if (!v.startsWith(ENV_PREFIX)) return;
      const name = v.slice(ENV_PREFIX.length);
      if (!SECRET_NAME.test(name)) return;
      (parentKey === 'api_key' ? keys : other).add(name);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, parentKey);
    } else if (isPlainObject(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  walk(raw, '');
  return { keys, other };
}

/**
 * Secret names the resolved config's deployments read their key from: the `os.environ/NAME` of `api_key`, and
 * the provider's default variable (e.g. `OPENAI_API_KEY`) the engine uses when `api_key` is absent.
 */
export function keyNamesOf(config: GatewayConfig): string[] {
  const out = new Set<string>();
  for (const d of config.deployments) if (d.apiKey.kind === 'env') out.add(d.apiKey.name);
  return [...out];
}

/**
 * Whether `name` is served by one of the wildcard `model_name` patterns (`openai/*` serves `openai/gpt-5.5`),
 * as the engine's router matches them (src/gateway/config/wildcard.ts).
 * @param patterns wildcard `model_name` values; entries without `*` are ignored.
 */
export function servedByWildcard(name: string, patterns: readonly string[]): boolean {
  const compiled = sortBySpecificity(patterns.filter(isWildcard).map(compilePattern));
  return compiled.length > 0 && !isWildcard(name) && matchPattern(compiled, name) !== undefined;
}

/**
 * Chooses the alias behind the virtual `default` model.
 * @param aliases the config's aliases in model_list order (wildcard patterns among them are never chosen).
 * @param preferred `codexGateway.defaultModel` (`''` = none): an alias, or a name a wildcard pattern serves
 *   (`openai/gpt-5.5` with `model_name: "openai/*"`).
 * @param patterns the config's wildcard `model_name` patterns (GatewayConfig.wildcards; default: the entries of
 *   `aliases` that contain `*`).
 * @returns the alias (undefined when there is no plain alias and `preferred` is not served); when `preferred`
 *   is not served, a warning that says which alias is used instead; when nothing is chosen but wildcard
 *   patterns exist, a `hint` for the user ("pick a model: any openai/<name>").
 */
export function chooseDefaultAlias(
  aliases: readonly string[],
  preferred: string,
  patterns: readonly string[] = aliases.filter(isWildcard),
): { alias?: string; warning?: string; hint?: string } {
  const concrete = aliases.filter((a) => !isWildcard(a));
  if (preferred && (concrete.includes(preferred) || servedByWildcard(preferred, patterns))) return { alias: preferred };
  const alias = concrete[0];
  const hint = alias === undefined && patterns.some(isWildcard) ? pickModelHint(patterns.filter(isWildcard)) : undefined;
  const out: { alias?: string; warning?: string; hint?: string } = { alias, ...(hint !== undefined ? { hint } : {}) };
  if (!preferred) return out;
  return {
    ...out,
    warning: `codexGateway.defaultModel is "${preferred}", which is not an alias of codexGateway.config${patterns.length > 0 ? ' nor a name its wildcard model_name entries serve' : ''}; using "${alias ?? '(none)'}". Pick a model with "Codex Gateway: Select Model".`,
  };
}

/** A config that resolved, with what the extension shows about it. */
export interface ResolvedSettingsConfig {
  ok: true;
  /** The prepared raw config sent to the worker. */
  raw: unknown;
  config: GatewayConfig;
  /** Engine warnings plus {@link prepareRawConfig}'s. */
  warnings: string[];
  refs: EnvReferences;
}

/** A config that did not resolve: every issue with its path (`model_list[0].litellm_params.model`). */
export interface FailedSettingsConfig {
  ok: false;
  issues: ConfigIssue[];
  refs: EnvReferences;
}

/**
 * Validates `codexGateway.config` with the engine's loader.
 * @param raw the setting's value.
 * @param env reads a secret or environment variable for non-key `os.environ/NAME` fields (SecretStorage
 *   first, then the environment).
 * @returns the resolved config, or the issues (never throws for a bad config; rethrows unexpected errors).
 */
export function resolveSettingsConfig(raw: unknown, env: (name: string) => string | undefined): ResolvedSettingsConfig | FailedSettingsConfig {
  const prepared = prepareRawConfig(raw);
  const refs = envReferences(prepared.raw);
  try {
    const config = resolveConfig(prepared.raw, { env });
    return { ok: true, raw: prepared.raw, config, warnings: [...prepared.warnings, ...config.warnings], refs };
  } catch (e) {
    const issues = (e as { issues?: ConfigIssue[] }).issues;
    if (Array.isArray(issues)) return { ok: false, issues: issues.map((i) => ({ path: `codexGateway.config.${i.path}`.replace('.(root)', ''), message: i.message })), refs };
    throw e;
  }
}

/** A literal key found in an imported config and moved to SecretStorage. */
export interface MovedKey {
  /** Secret name it is stored under; the config now says `os.environ/<name>`. */
  name: string;
  /** The key itself (goes to SecretStorage only; never logged). */
  value: string;
  /** Where it was, e.g. `model_list[2].litellm_params.api_key`. */
  path: string;
}

/** The secret name for a provider's key: `deepseek` -> `DEEPSEEK_API_KEY`. */
export function keyNameForProvider(provider: string): string {
  const base = provider.toUpperCase().replace(/[^A-Z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
  return `${base || 'PROVIDER'}_API_KEY`;
}

/**
 * Rewrites literal `api_key` values of a LiteLLM config into `os.environ/NAME` references so that no key
 * is ever written to settings. Names come from the provider (`deepseek/...` -> `DEEPSEEK_API_KEY`); two
 * different keys of one provider get `_2`, `_3`, ...; the same key used twice gets one name. A literal
 * `general_settings.master_key` is dropped (the extension generates its own token).
 * @param raw a parsed config (not changed).
 * @param taken secret names already in use for other values (not reused for a different key).
 * @returns the rewritten copy and the keys to store.
 */
export function extractLiteralKeys(raw: unknown, taken: ReadonlySet<string> = new Set()): { raw: unknown; moved: MovedKey[]; droppedMasterKey: boolean } {
  if (!isPlainObject(raw)) return { raw, moved: [], droppedMasterKey: false };
  const out: Record<string, unknown> = structuredClone(raw);
  const moved: MovedKey[] = [];
  const byValue = new Map<string, string>();
  const used = new Set(taken);
  const list = Array.isArray(out.model_list) ? out.model_list : [];
  list.forEach((entry, i) => {
    if (!isPlainObject(entry) || !isPlainObject(entry.litellm_params)) return;
    const p = entry.litellm_params;
    const key = p.api_key;
    if (typeof key !== 'string' || key === '' || key.startsWith(ENV_PREFIX)) return;
    let name = byValue.get(key);
    if (!name) {
      const model = typeof p.model === 'string' ? p.model : '';
      const provider = model.includes('/') ? model.slice(0, model.indexOf('/')) : 'openai_compatible';
      const base = keyNameForProvider(provider);
      name = base;
      for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
      used.add(name);
      byValue.set(key, name);
      moved.push({ name, value: key, path: `model_list[${i}].litellm_params.api_key` });
    }
    p.api_key = `${ENV_PREFIX}${name}`;
  });
  let droppedMasterKey = false;
  const gen = out.general_settings;
  if (isPlainObject(gen) && typeof gen.master_key === 'string' && !gen.master_key.startsWith(ENV_PREFIX)) {
    delete gen.master_key;
    droppedMasterKey = true;
  }
  return { raw: out, moved, droppedMasterKey };
}

/**
 * Parses and validates a LiteLLM `config.yaml` for import.
 * @param text the file's text.
 * @param fileName used in error paths (`config.yaml:3:7`).
 * @returns the parsed object, or the issues (YAML syntax errors with line:column, schema errors with paths).
 *   `os.environ/NAME` fields other than keys are not resolved here (they may be set only later).
 */
export function parseImportedYaml(text: string, fileName: string): { ok: true; raw: unknown } | { ok: false; issues: ConfigIssue[] } {
  try {
    const raw = parseConfigText(text, fileName);
    // Validate the shape; env values are stood in by a placeholder so unset variables are not errors here.
    resolveConfig(prepareRawConfig(raw).raw, { env: () => 'http://placeholder.invalid' });
    return { ok: true, raw };
  } catch (e) {
    const issues = (e as { issues?: ConfigIssue[] }).issues;
    if (Array.isArray(issues)) return { ok: false, issues };
    throw e;
  }
}

/**
 * Renders settings as a LiteLLM-compatible `config.yaml` (the `yaml` package), with a header saying where it
 * came from and that keys are `os.environ/NAME` references (LiteLLM reads them from its environment).
 * @param raw `codexGateway.config`.
 * @param port `codexGateway.port`, written as `gateway_settings.port` so `codex-gateway serve` uses the same port.
 */
export function toLiteLLMYaml(raw: unknown, port?: number): string {
  const body: Record<string, unknown> = isPlainObject(raw) ? structuredClone(raw) : { model_list: [] };
  if (port !== undefined) {
    const gs = isPlainObject(body.gateway_settings) ? body.gateway_settings : {};
    body.gateway_settings = { ...gs, port };
  }
  const header = [
    '# Exported from VS Code settings (codexGateway.config) by Codex Gateway.',
    '# LiteLLM proxy format: `litellm --config this.yaml` or `codex-gateway serve --config this.yaml`.',
    '# Keys are not in this file: each api_key: os.environ/NAME reads environment variable NAME.',
    '# gateway_settings is Codex Gateway\'s own block; LiteLLM ignores it.',
    '',
  ].join('\n');
  return header + stringify(body, { lineWidth: 0 });
}
