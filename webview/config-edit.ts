/**
 * Pure edits of a LiteLLM-shaped config (`codexGateway.config`: `model_list`, `router_settings`, ...) for the
 * settings panel: reading a `model_list` entry as table cells, changing one field, adding / duplicating /
 * deleting entries, fallback chains, router settings. Every function returns a NEW config (the input is never
 * changed) and keeps every key it does not edit, so hand-written settings survive a round trip through the panel.
 * No DOM and no `vscode`: unit-tested directly.
 *
 * Semantics follow the engine (src/gateway/config/load.ts): the provider is the part of `litellm_params.model`
 * before the first `/` (or `custom_llm_provider`); a bare model name is OpenAI's, or an OpenAI-compatible server's
 * when `api_base` is set; `api_key: os.environ/NAME` names a secret; without `api_key` a provider that needs a key
 * reads its default variable (e.g. `DEEPSEEK_API_KEY`); fallbacks merge `fallbacks` < `litellm_settings.fallbacks`
 * < `router_settings.fallbacks` per alias.
 */
import { presetFor, type ProviderPreset } from './presets';

/** A JSON object. */
export type Obj = Record<string, unknown>;

/** Prefix of LiteLLM environment references. */
export const ENV_PREFIX = 'os.environ/';

/** A valid secret / environment variable name (the engine's rule). */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True for a plain JSON object (not null, not an array). */
export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of a JSON value. */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * JSON with object keys sorted, so two configs that differ only in key order compare equal (VS Code may hand
 * settings back with keys in another order than they were written).
 */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (!isObj(x)) return x;
    const out: Obj = {};
    for (const k of Object.keys(x).sort()) out[k] = x[k];
    return out;
  });
}

/** The config as an object to edit (a copy); a non-object config becomes `{model_list: []}`. */
function editable(config: unknown): Obj {
  return isObj(config) ? clone(config) : { model_list: [] };
}

/** `model_list` of a config (entries as written, possibly malformed); `[]` when absent or not a list. */
export function modelList(config: unknown): unknown[] {
  return isObj(config) && Array.isArray(config.model_list) ? config.model_list : [];
}

/** The distinct aliases (`model_name` strings) in model_list order. */
export function aliasesOf(config: unknown): string[] {
  const out: string[] = [];
  for (const e of modelList(config)) {
    const name = isObj(e) ? e.model_name : undefined;
    if (typeof name === 'string' && name !== '' && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Where a deployment's key comes from. */
export type KeySource =
  /** `api_key: os.environ/NAME`. */
  | 'reference'
  /** No `api_key`; the provider's default variable is read (e.g. `DEEPSEEK_API_KEY`). */
  | 'provider-default'
  /** A literal key written in settings (LiteLLM allows it; the panel recommends moving it to secret storage). */
  | 'literal'
  /** No key needed (local servers). */
  | 'none';

/** One `model_list` entry as the aliases table shows it. Strings are as written (`''` when absent). */
export interface EntryView {
  /** Index in `model_list`. */
  index: number;
  /** `model_name`. */
  alias: string;
  /** Provider id (`deepseek`), `''` when the model string has none and no default applies. */
  provider: string;
  /** Provider name for display, or the id when unknown to the registry. */
  providerLabel: string;
  /** True when the provider id is in the engine's registry. */
  providerKnown: boolean;
  /** Model name after the provider prefix. */
  model: string;
  /** `api_base` as written. */
  apiBase: string;
  /** The URL used when `api_base` is empty (the provider's default), `''` when none. */
  apiBaseDefault: string;
  /** Placeholder for the api_base field: the default, or an example when one is required. */
  apiBasePlaceholder: string;
  /** Secret name of the key (written reference or provider default); undefined for `literal` / `none`. */
  keyName?: string;
  keySource: KeySource;
  /** `litellm_params.weight` as written. */
  weight: string;
  /** Context window in tokens as written (`model_info.context_window`, else `max_input_tokens`). */
  contextWindow: string;
}

/** Splits `litellm_params` into provider id and model name (the engine's rule). */
function providerAndModel(p: Obj): { provider: string; model: string; viaCustom: boolean } {
  const written = typeof p.model === 'string' ? p.model.trim() : '';
  if (typeof p.custom_llm_provider === 'string' && p.custom_llm_provider) {
    const id = p.custom_llm_provider;
    return { provider: id, model: written.startsWith(`${id}/`) ? written.slice(id.length + 1) : written, viaCustom: true };
  }
  const slash = written.indexOf('/');
  if (slash > 0) return { provider: written.slice(0, slash), model: written.slice(slash + 1), viaCustom: false };
  if (slash === 0) return { provider: '', model: written.slice(1), viaCustom: false };
  return { provider: p.api_base ? 'openai_compatible' : written ? 'openai' : '', model: written, viaCustom: false };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** Reads one `model_list` entry for display (a malformed entry gives empty cells, never throws). */
export function entryView(entry: unknown, index: number): EntryView {
  const e = isObj(entry) ? entry : {};
  const p = isObj(e.litellm_params) ? e.litellm_params : {};
  const info = isObj(e.model_info) ? e.model_info : {};
  const { provider, model } = providerAndModel(p);
  const preset = provider ? presetFor(provider) : undefined;
  let keyName: string | undefined;
  let keySource: KeySource;
  const key = p.api_key;
  if (typeof key === 'string' && key !== '') {
    if (key.startsWith(ENV_PREFIX)) {
      keySource = 'reference';
      keyName = key.slice(ENV_PREFIX.length);
    } else keySource = 'literal';
  } else if (preset?.keyRequired && preset.keyEnv) {
    keySource = 'provider-default';
    keyName = preset.keyEnv;
  } else keySource = 'none';
  const ctx = info.context_window ?? info.max_input_tokens;
  const view: EntryView = {
    index,
    alias: str(e.model_name),
    provider,
    providerLabel: preset?.label ?? provider,
    providerKnown: preset !== undefined,
    model,
    apiBase: str(p.api_base),
    apiBaseDefault: preset?.defaultApiBase ?? '',
    apiBasePlaceholder: preset ? (preset.defaultApiBase || preset.apiBaseExample || 'https://host/v1') : 'https://host/v1',
    keySource,
    weight: str(p.weight),
    contextWindow: str(ctx),
  };
  if (keyName !== undefined) view.keyName = keyName;
  return view;
}

/** The secret names a config's deployments read (written references and provider defaults), in order. */
export function keyNamesOf(config: unknown): string[] {
  const out: string[] = [];
  modelList(config).forEach((e, i) => {
    const n = entryView(e, i).keyName;
    if (n && SECRET_NAME.test(n) && !out.includes(n)) out.push(n);
  });
  return out;
}

/** The fields of a model_list entry the panel edits. */
export type EntryField = 'model_name' | 'provider' | 'model' | 'api_base' | 'key_name' | 'weight' | 'context_window';

/** The config path of an entry field, as the engine reports issues (`model_list[2].litellm_params.model`). */
export function entryFieldPath(index: number, field: EntryField, entry?: unknown): string {
  const base = `model_list[${index}]`;
  switch (field) {
    case 'model_name':
      return `${base}.model_name`;
    case 'provider': {
      const p = isObj(entry) && isObj(entry.litellm_params) ? entry.litellm_params : {};
      return typeof p.custom_llm_provider === 'string' && p.custom_llm_provider ? `${base}.litellm_params.custom_llm_provider` : `${base}.litellm_params.model`;
    }
    case 'model':
      return `${base}.litellm_params.model`;
    case 'api_base':
      return `${base}.litellm_params.api_base`;
    case 'key_name':
      return `${base}.litellm_params.api_key`;
    case 'weight':
      return `${base}.litellm_params.weight`;
    case 'context_window': {
      const info = isObj(entry) && isObj(entry.model_info) ? entry.model_info : {};
      return info.context_window === undefined && info.max_input_tokens !== undefined ? `${base}.model_info.max_input_tokens` : `${base}.model_info.context_window`;
    }
  }
}

/**
 * A number typed in a text field: a decimal number becomes a number; anything else stays the string as typed,
 * so the engine reports it ("must be a number") at its path instead of the panel guessing.
 */
export function parseNumberInput(text: string): number | string {
  const t = text.trim();
  return /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : text;
}

/** Removes `key` from `obj` and returns true when `obj` is then empty. */
function dropKey(obj: Obj, key: string): boolean {
  delete obj[key];
  return Object.keys(obj).length === 0;
}

/**
 * Sets one field of `model_list[index]` from the panel's text value (`''` clears an optional field).
 * - `model_name`: renames; when no other entry keeps the old alias, fallback chains follow the new name.
 * - `provider`: rewrites the prefix of `litellm_params.model`; a key reference that was the old provider's default
 *   name becomes the new provider's (or is removed when it needs none); an `api_base` equal to the old default is
 *   removed.
 * - `model`: the part after the provider prefix.
 * - `key_name`: writes `api_key: os.environ/NAME` (replacing a literal key); `''` removes `api_key`.
 * - `weight`, `context_window`: numbers (`context_window` goes to `model_info`).
 * @returns the new config; unchanged copy when `index` is out of range.
 */
export function setEntryField(config: unknown, index: number, field: EntryField, value: string): Obj {
  const out = editable(config);
  const list = Array.isArray(out.model_list) ? out.model_list : [];
  if (index < 0 || index >= list.length) return out;
  const entry: Obj = isObj(list[index]) ? (list[index] as Obj) : {};
  list[index] = entry;
  const p: Obj = isObj(entry.litellm_params) ? entry.litellm_params : {};
  entry.litellm_params = p;
  const cur = providerAndModel(p);
  switch (field) {
    case 'model_name': {
      const old = str(entry.model_name);
      entry.model_name = value;
      const stillUsed = list.some((e, i) => i !== index && isObj(e) && e.model_name === old);
      if (old && value && old !== value && !stillUsed && !list.some((e, i) => i !== index && isObj(e) && e.model_name === value)) {
        return renameAliasInFallbacks(out, old, value);
      }
      return out;
    }
    case 'provider': {
      const before = presetFor(cur.provider);
      const after = presetFor(value);
      if (cur.viaCustom) p.custom_llm_provider = value;
      else p.model = `${value}/${cur.model}`;
      const key = typeof p.api_key === 'string' ? p.api_key : undefined;
      const wasDefaultRef = key === undefined || key === '' || (before?.keyEnv !== undefined && key === `${ENV_PREFIX}${before.keyEnv}`);
      if (wasDefaultRef) {
        if (after?.keyEnv && after.keyRequired) p.api_key = `${ENV_PREFIX}${after.keyEnv}`;
        else delete p.api_key;
      }
      if (typeof p.api_base === 'string' && before && p.api_base.replace(/\/+$/, '') === before.defaultApiBase) delete p.api_base;
      return out;
    }
    case 'model':
      p.model = cur.viaCustom || !cur.provider ? value : `${cur.provider}/${value}`;
      return out;
    case 'api_base':
      if (value.trim() === '') delete p.api_base;
      else p.api_base = value.trim();
      return out;
    case 'key_name': {
      const name = value.trim();
      if (name === '') delete p.api_key;
      else p.api_key = `${ENV_PREFIX}${name}`;
      return out;
    }
    case 'weight':
      if (value.trim() === '') delete p.weight;
      else p.weight = parseNumberInput(value);
      return out;
    case 'context_window': {
      const info: Obj = isObj(entry.model_info) ? entry.model_info : {};
      const key = info.context_window === undefined && info.max_input_tokens !== undefined ? 'max_input_tokens' : 'context_window';
      if (value.trim() === '') {
        if (dropKey(info, key)) delete entry.model_info;
      } else {
        info[key] = parseNumberInput(value);
        entry.model_info = info;
      }
      return out;
    }
  }
}

/** An alias not used yet: `base`, else `base-2`, `base-3`, ... */
export function uniqueAlias(config: unknown, base: string): string {
  const taken = new Set(aliasesOf(config));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * Appends a new entry for a provider preset: `model_name` a fresh alias, `litellm_params.model` = `<id>/` (the
 * model name is left for the user; the engine reports it missing until typed), `api_key: os.environ/<key name>`
 * when the provider needs a key. `api_base` is not written: the default applies and the form shows it.
 * @returns the new config and the index of the new entry.
 */
export function addEntry(config: unknown, preset: ProviderPreset, alias?: string): { config: Obj; index: number } {
  const out = editable(config);
  if (!Array.isArray(out.model_list)) out.model_list = [];
  const list = out.model_list as unknown[];
  const p: Obj = { model: `${preset.id}/` };
  if (preset.keyRequired && preset.keyEnv) p.api_key = `${ENV_PREFIX}${preset.keyEnv}`;
  list.push({ model_name: alias ?? uniqueAlias(out, 'new-model'), litellm_params: p });
  return { config: out, index: list.length - 1 };
}

/**
 * Inserts a copy of `model_list[index]` right after it, under a new alias (`<alias>-copy`, unique) and without
 * `model_info.id` (deployment ids must be unique). Give the copy the same alias to load-balance the two.
 * @returns the new config and the index of the copy; `index` -1 when out of range.
 */
export function duplicateEntry(config: unknown, index: number): { config: Obj; index: number } {
  const out = editable(config);
  const list = Array.isArray(out.model_list) ? out.model_list : [];
  if (index < 0 || index >= list.length) return { config: out, index: -1 };
  const copy = clone(list[index]);
  if (isObj(copy)) {
    copy.model_name = uniqueAlias(out, `${str(copy.model_name) || 'model'}-copy`);
    if (isObj(copy.model_info)) {
      delete copy.model_info.id;
      if (Object.keys(copy.model_info).length === 0) delete copy.model_info;
    }
  }
  list.splice(index + 1, 0, copy);
  return { config: out, index: index + 1 };
}

/**
 * Removes `model_list[index]`. When it was the alias's last deployment, the alias also leaves every fallback
 * chain (its own chain and the chains that named it), so the config stays valid.
 * @returns the new config and the aliases whose chains lost it.
 */
export function deleteEntry(config: unknown, index: number): { config: Obj; chainsChanged: string[] } {
  let out = editable(config);
  const list = Array.isArray(out.model_list) ? out.model_list : [];
  if (index < 0 || index >= list.length) return { config: out, chainsChanged: [] };
  const [removed] = list.splice(index, 1);
  const alias = isObj(removed) ? str(removed.model_name) : '';
  const changed: string[] = [];
  if (alias && !aliasesOf(out).includes(alias)) {
    const chains = fallbackChains(out);
    if (alias in chains || Object.values(chains).some((c) => c.includes(alias))) {
      for (const [a, c] of Object.entries(chains)) {
        if (a === alias) delete chains[a];
        else if (c.includes(alias)) {
          chains[a] = c.filter((x) => x !== alias);
          changed.push(a);
        }
      }
      out = writeFallbackChains(out, chains);
    }
  }
  return { config: out, chainsChanged: changed };
}

// ---- fallbacks ------------------------------------------------------------------------------------------------

/** Flattens one `fallbacks` value (LiteLLM's list of single-key maps, or a plain map) into alias -> chain. */
function flatten(v: unknown, into: Record<string, string[]>): void {
  const add = (m: unknown) => {
    if (!isObj(m)) return;
    for (const [alias, t] of Object.entries(m)) {
      if (typeof t === 'string') into[alias] = [t];
      else if (Array.isArray(t)) into[alias] = t.filter((x): x is string => typeof x === 'string');
    }
  };
  if (Array.isArray(v)) v.forEach(add);
  else add(v);
}

/**
 * The effective fallback chain of every alias that has one: `fallbacks`, then `litellm_settings.fallbacks`, then
 * `router_settings.fallbacks`, a later place replacing an alias's chain (the engine's merge order).
 */
export function fallbackChains(config: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!isObj(config)) return out;
  flatten(config.fallbacks, out);
  if (isObj(config.litellm_settings)) flatten(config.litellm_settings.fallbacks, out);
  if (isObj(config.router_settings)) flatten(config.router_settings.fallbacks, out);
  return out;
}

/**
 * Writes every chain to `router_settings.fallbacks` in LiteLLM's list form (`[{alias: [fallback, ...]}, ...]`) and
 * removes `fallbacks` and `litellm_settings.fallbacks`, whose chains are already merged into `chains`. Empty
 * chains are left out; empty sections are removed.
 */
export function writeFallbackChains(config: unknown, chains: Record<string, string[]>): Obj {
  const out = editable(config);
  delete out.fallbacks;
  if (isObj(out.litellm_settings) && dropKey(out.litellm_settings, 'fallbacks')) delete out.litellm_settings;
  const rs: Obj = isObj(out.router_settings) ? out.router_settings : {};
  const list = Object.entries(chains)
    .filter(([, c]) => c.length > 0)
    .map(([a, c]) => ({ [a]: [...c] }));
  if (list.length > 0) {
    rs.fallbacks = list;
    out.router_settings = rs;
  } else if (dropKey(rs, 'fallbacks')) delete out.router_settings;
  else out.router_settings = rs;
  return out;
}

/** Sets one alias's chain (an empty chain removes it); see {@link writeFallbackChains} for where it is written. */
export function setFallbackChain(config: unknown, alias: string, chain: readonly string[]): Obj {
  const chains = fallbackChains(config);
  chains[alias] = [...chain];
  return writeFallbackChains(config, chains);
}

/** Renames an alias inside every fallback chain (as key and as target); no-op when no chain names it. */
function renameAliasInFallbacks(config: Obj, from: string, to: string): Obj {
  const chains = fallbackChains(config);
  let touched = false;
  const next: Record<string, string[]> = {};
  for (const [a, c] of Object.entries(chains)) {
    const key = a === from ? to : a;
    if (a === from || c.includes(from)) touched = true;
    next[key] = c.map((x) => (x === from ? to : x));
  }
  return touched ? writeFallbackChains(config, next) : config;
}

/**
 * Moves `list[from]` to position `to` (clamped to the list). Used by the fallback editor's up/down buttons,
 * Alt+Up / Alt+Down and drag and drop.
 * @returns a new list; the same order when `from` is out of range or `to` equals `from`.
 */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length) return out;
  const target = Math.max(0, Math.min(out.length - 1, to));
  if (target === from) return out;
  const [x] = out.splice(from, 1);
  out.splice(target, 0, x as T);
  return out;
}

// ---- router settings ------------------------------------------------------------------------------------------

/** The `router_settings` keys the panel edits. Times in seconds (LiteLLM's unit). */
export type RouterField = 'num_retries' | 'timeout' | 'cooldown_time' | 'allowed_fails' | 'routing_strategy';

/**
 * LiteLLM's defaults for those keys, as the engine applies them (src/gateway/config/load.ts; a unit test checks
 * they agree with `resolveConfig`). Shown as placeholders.
 */
export const ROUTER_DEFAULTS: Readonly<Record<RouterField, string>> = Object.freeze({
  num_retries: '2',
  timeout: '600',
  cooldown_time: '5',
  allowed_fails: '3',
  routing_strategy: 'simple-shuffle',
});

/** Routing strategies the engine implements (others fall back to simple-shuffle with a warning). */
export const ROUTING_STRATEGIES = ['simple-shuffle', 'least-busy', 'latency-based-routing'] as const;

/** A router setting as written (`router_settings`, else `litellm_settings` where LiteLLM also reads it), or `''`. */
export function routerField(config: unknown, field: RouterField): string {
  if (!isObj(config)) return '';
  const rs = isObj(config.router_settings) ? config.router_settings : {};
  if (rs[field] !== undefined && rs[field] !== null) return str(rs[field]);
  const ls = isObj(config.litellm_settings) ? config.litellm_settings : {};
  const lsKey = field === 'timeout' ? 'request_timeout' : field;
  if (field !== 'routing_strategy' && ls[lsKey] !== undefined && ls[lsKey] !== null) return str(ls[lsKey]);
  return '';
}

/** Sets `router_settings.<field>` (`''` removes it, so the default applies). Numbers are parsed. */
export function setRouterField(config: unknown, field: RouterField, value: string): Obj {
  const out = editable(config);
  const rs: Obj = isObj(out.router_settings) ? out.router_settings : {};
  if (value.trim() === '') {
    if (dropKey(rs, field)) delete out.router_settings;
    return out;
  }
  rs[field] = field === 'routing_strategy' ? value.trim() : parseNumberInput(value);
  out.router_settings = rs;
  return out;
}

/**
 * Turns the ChatGPT plan on (`gateway_settings.chatgpt_plan: true`) or off (the key removed, and
 * `gateway_settings` when nothing else is left in it: off is the engine's default). Call with `true` only after the
 * user agreed to the plan's terms (`confirmChatgptPlan`); the host asks again on save otherwise.
 */
export function setChatgptPlan(config: unknown, on: boolean): Obj {
  const out = editable(config);
  const gs: Obj = isObj(out.gateway_settings) ? out.gateway_settings : {};
  if (on) {
    gs.chatgpt_plan = true;
    out.gateway_settings = gs;
  } else if (isObj(out.gateway_settings) && dropKey(gs, 'chatgpt_plan')) {
    delete out.gateway_settings;
  }
  return out;
}
