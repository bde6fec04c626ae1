/**
 * The settings panel's state and its pure reducer: snapshot from the extension + the user's unsaved edits ->
 * what the panel shows. No DOM and no `vscode`: `main.mts` feeds actions in and renders {@link viewModel}; the unit
 * tests drive the same functions.
 *
 * Persistence: the part of the state that must survive the webview being hidden and re-created (VS Code destroys a
 * hidden webview's page; the panel does not use `retainContextWhenHidden`) is {@link PersistedState}, written with
 * `acquireVsCodeApi().setState` after every change and read back with `getState()` on load: the selected tab, the
 * unsaved draft and the config it was based on, the entry open in the editor.
 */
import { planUsageView, type PlanUsageView } from '../src/extension/plan-status';
import { providerFor } from '../src/gateway/config/providers';
import { chatgptPlanOn, CLAUDE_TIERS, type ClaudeTier, type ConfigIssue, type KeyState, type PanelClaudeCode, type PanelSnapshot, type SaveResult, type TestAliasResult, type TimedRequestRecord } from '../src/shared/panel-protocol';
import {
  aliasesOf,
  entryFieldPath,
  entryView,
  fallbackChains,
  keyNamesOf,
  modelList,
  routerField,
  ROUTER_DEFAULTS,
  stableJson,
  type EntryField,
  type EntryView,
  type RouterField,
} from './config-edit';
import { assignIssues, chainField, countUnder } from './issues';
import { liveStats, pruneRecords, type AliasStats } from './live-stats';

/** The panel's tabs. */
export type Tab = 'models' | 'fallbacks' | 'live' | 'claude';

/** What survives the webview being re-created (JSON; version-tagged so an old shape is ignored). */
export interface PersistedState {
  v: 1;
  tab: Tab;
  /** Unsaved edits: the whole draft config. Absent when the panel shows the saved settings. */
  draft?: unknown;
  /** `stableJson` of the saved config the draft started from (to notice changes made outside the panel). */
  base?: string;
  /** Index of the model_list entry open in the editor. */
  editing?: number;
}

/** A Test button's state for one alias. */
export type TestState = { running: true } | { running: false; result: TestAliasResult; at: number };

/** A message shown at the top of the panel. */
export interface Notice {
  kind: 'info' | 'warning' | 'error';
  text: string;
}

/** The whole state of the panel. */
export interface PanelState extends PersistedState {
  /** The latest snapshot from the extension (undefined until the `ready` handshake is answered). */
  snapshot?: PanelSnapshot;
  /** Issues of the shown config: the draft's (from `validate`), else the saved config's (from the snapshot). */
  issues: ConfigIssue[];
  /** `stableJson` of the config {@link issues} belong to. */
  issuesFor?: string;
  /** A save is in flight. */
  saving: boolean;
  /** The saved settings changed outside the panel while there were unsaved edits. */
  externalChange: boolean;
  /** Key states: the snapshot's, plus answers to `keyStatus` for names only the draft uses. */
  keys: Record<string, KeyState>;
  /** Finished requests of the live window, oldest first. */
  records: TimedRequestRecord[];
  /** Test button state per alias. */
  tests: Record<string, TestState>;
  /** Key name whose inline password field is open. */
  keyEdit?: string;
  notice?: Notice;
}

/** Everything that changes the state. */
export type Action =
  | { type: 'snapshot'; snapshot: PanelSnapshot }
  | { type: 'tab'; tab: Tab }
  /** A new draft config (from one of the config-edit functions). */
  | { type: 'edit'; config: unknown; editing?: number }
  | { type: 'editing'; index?: number }
  | { type: 'validated'; issues: ConfigIssue[]; config: string }
  | { type: 'saving' }
  | { type: 'saved'; result: SaveResult; config: string }
  | { type: 'discard' }
  | { type: 'keys'; keys: Record<string, KeyState> }
  | { type: 'keyEdit'; name?: string }
  | { type: 'testStart'; alias: string }
  | { type: 'testDone'; alias: string; result: TestAliasResult; at: number }
  | { type: 'record'; record: TimedRequestRecord; now: number }
  | { type: 'notice'; notice?: Notice };

const TABS: readonly Tab[] = ['models', 'fallbacks', 'live', 'claude'];

/** Default live window when the snapshot gives none: 15 minutes, in ms. */
export const DEFAULT_LIVE_WINDOW_MS = 15 * 60_000;

/**
 * The state to start from, given what `getState()` returned (anything: an old or foreign shape is ignored
 * field by field).
 */
export function initialState(persisted: unknown): PanelState {
  const p = typeof persisted === 'object' && persisted !== null ? (persisted as Record<string, unknown>) : {};
  const ok = p.v === 1;
  const s: PanelState = {
    v: 1,
    tab: ok && TABS.includes(p.tab as Tab) ? (p.tab as Tab) : 'models',
    issues: [],
    saving: false,
    externalChange: false,
    keys: {},
    records: [],
    tests: {},
  };
  if (ok && p.draft !== undefined && typeof p.base === 'string') {
    s.draft = p.draft;
    s.base = p.base;
  }
  if (ok && typeof p.editing === 'number' && Number.isInteger(p.editing) && p.editing >= 0) s.editing = p.editing;
  return s;
}

/** The part of the state to pass to `setState`. */
export function persist(s: PanelState): PersistedState {
  const out: PersistedState = { v: 1, tab: s.tab };
  if (s.draft !== undefined) {
    out.draft = s.draft;
    if (s.base !== undefined) out.base = s.base;
  }
  if (s.editing !== undefined) out.editing = s.editing;
  return out;
}

/** The config the panel shows: the draft when there are unsaved edits, else the saved settings. */
export function currentConfig(s: PanelState): unknown {
  return s.draft !== undefined ? s.draft : s.snapshot?.config;
}

/** True when there are unsaved edits. */
export function isDirty(s: PanelState): boolean {
  return s.draft !== undefined;
}

/** The state after one action. Never mutates `s`. */
export function reduce(s: PanelState, a: Action): PanelState {
  switch (a.type) {
    case 'snapshot': {
      const snap = a.snapshot;
      const savedJson = stableJson(snap.config);
      const next: PanelState = { ...s, snapshot: snap, keys: { ...s.keys, ...snap.keys }, records: pruneRecords(snap.recent, Date.now(), snap.liveWindowMs || DEFAULT_LIVE_WINDOW_MS) };
      if (s.draft !== undefined) {
        if (stableJson(s.draft) === savedJson) {
          // The settings now hold exactly the draft (our save landed, or someone made the same edit).
          delete next.draft;
          delete next.base;
          next.externalChange = false;
        } else if (s.base !== undefined && s.base !== savedJson) {
          next.externalChange = true;
        }
      }
      if (next.draft === undefined) {
        next.issues = snap.issues;
        next.issuesFor = savedJson;
      }
      next.editing = clampEditing(next.editing, currentConfig(next));
      return next;
    }
    case 'tab':
      return { ...s, tab: a.tab };
    case 'edit': {
      const savedJson = s.snapshot ? stableJson(s.snapshot.config) : undefined;
      const next: PanelState = { ...s };
      if (savedJson !== undefined && stableJson(a.config) === savedJson) {
        // Edited back to the saved settings: nothing unsaved any more.
        delete next.draft;
        delete next.base;
        next.externalChange = false;
        next.issues = s.snapshot!.issues;
        next.issuesFor = savedJson;
      } else {
        next.draft = a.config;
        next.base = s.draft !== undefined && s.base !== undefined ? s.base : (savedJson ?? stableJson(undefined));
      }
      if ('editing' in a) {
        if (a.editing === undefined) delete next.editing;
        else next.editing = a.editing;
      }
      next.editing = clampEditing(next.editing, currentConfig(next));
      return next;
    }
    case 'editing': {
      const next = { ...s };
      if (a.index === undefined) delete next.editing;
      else next.editing = a.index;
      return next;
    }
    case 'validated':
      // Only the answer for the config on screen counts (answers to older drafts are dropped).
      if (a.config !== stableJson(currentConfig(s))) return s;
      return { ...s, issues: a.issues, issuesFor: a.config };
    case 'saving':
      return { ...s, saving: true };
    case 'saved': {
      const next: PanelState = { ...s, saving: false };
      if (a.result.saved) {
        if (s.draft !== undefined && stableJson(s.draft) === a.config) {
          delete next.draft;
          delete next.base;
          next.externalChange = false;
        }
        next.notice = { kind: 'info', text: 'Saved to your user settings (codexGateway.config). The gateway applies it now.' };
      } else {
        if (stableJson(currentConfig(s)) === a.config) {
          next.issues = a.result.issues;
          next.issuesFor = a.config;
        }
        next.notice = { kind: 'error', text: `Not saved: the config has ${a.result.issues.length} problem(s). Fix the fields marked below, then save again.` };
      }
      return next;
    }
    case 'discard': {
      const next: PanelState = { ...s, externalChange: false };
      delete next.draft;
      delete next.base;
      if (s.snapshot) {
        next.issues = s.snapshot.issues;
        next.issuesFor = stableJson(s.snapshot.config);
      }
      next.editing = clampEditing(next.editing, currentConfig(next));
      return next;
    }
    case 'keys':
      return { ...s, keys: { ...s.keys, ...a.keys } };
    case 'keyEdit': {
      const next = { ...s };
      if (a.name === undefined) delete next.keyEdit;
      else next.keyEdit = a.name;
      return next;
    }
    case 'testStart':
      return { ...s, tests: { ...s.tests, [a.alias]: { running: true } } };
    case 'testDone':
      return { ...s, tests: { ...s.tests, [a.alias]: { running: false, result: a.result, at: a.at } } };
    case 'record': {
      const windowMs = s.snapshot?.liveWindowMs || DEFAULT_LIVE_WINDOW_MS;
      return { ...s, records: pruneRecords([...s.records, a.record], a.now, windowMs) };
    }
    case 'notice': {
      const next = { ...s };
      if (a.notice) next.notice = a.notice;
      else delete next.notice;
      return next;
    }
  }
}

function clampEditing(editing: number | undefined, config: unknown): number | undefined {
  if (editing === undefined) return undefined;
  return editing < modelList(config).length ? editing : undefined;
}

/** Key names the shown config uses whose state is not known yet (ask the host with `keyStatus`). */
export function unknownKeyNames(s: PanelState): string[] {
  return keyNamesOf(currentConfig(s)).filter((n) => !(n in s.keys));
}

/** A table row: the entry, its key state and its issue count. */
export interface EntryRow extends EntryView {
  /** State of its key (`undefined` while unknown or when none applies). */
  keyState?: KeyState;
  /** Issues at or under `model_list[index]`. */
  issueCount: number;
}

/** A fallback chain row. */
export interface ChainRow {
  alias: string;
  chain: string[];
  /** Aliases that may be added (not the alias itself, not already in the chain). */
  candidates: string[];
  /** Issues placed on this chain. */
  errors: string[];
}

/** A router setting field. */
export interface RouterRow {
  field: RouterField;
  value: string;
  /** LiteLLM's default, shown as placeholder. */
  placeholder: string;
  errors: string[];
}

/** What the panel renders. */
export interface ViewModel {
  ready: boolean;
  tab: Tab;
  dirty: boolean;
  saving: boolean;
  externalChange: boolean;
  notice?: Notice;
  gateway?: PanelSnapshot['gateway'];
  /** Aliases of the shown config, in model_list order. */
  aliases: string[];
  /** The saved default model (`''` = first alias) and the alias `default` resolves to now. */
  defaultModel: string;
  effectiveDefault?: string;
  rows: EntryRow[];
  /** The entry open in the editor. */
  editing?: EntryRow;
  /** Field key (config path) -> messages. */
  fieldErrors: Record<string, string[]>;
  /** Issues that belong to no field on screen, with their paths. */
  otherIssues: ConfigIssue[];
  /** Total issues of the shown config. */
  issueCount: number;
  /** True while the shown config has not been validated yet. */
  validating: boolean;
  chains: ChainRow[];
  router: RouterRow[];
  stats: AliasStats[];
  liveWindowMs: number;
  tests: Record<string, TestState>;
  keyEdit?: string;
  /** Claude Code's wiring (absent when the extension sends none). */
  claudeCode?: ClaudeCodeView;
  /** The ChatGPT plan: absent while the shown config has no plan model, does not turn it on, and no usage is known. */
  chatgptPlan?: ChatgptPlanView;
}

/** The ChatGPT plan as the panel shows it (docs/chatgpt.md). */
export interface ChatgptPlanView {
  /** The shown config (the draft, else the saved settings) has `gateway_settings.chatgpt_plan: true`. */
  on: boolean;
  /** The saved settings have it on (what the gateway does now). */
  savedOn: boolean;
  /** Aliases of the shown config with a `chatgpt/<model>` deployment. */
  aliases: string[];
  /** The plan's usage in words, once the plan answered a request through this window's gateway. */
  usage?: PlanUsageView;
}

/**
 * The ChatGPT plan's part of the view, or undefined when there is nothing to show.
 * @param now epoch ms (a reached limit whose reset has passed is not shown).
 */
export function chatgptPlanView(config: unknown, snapshot: PanelSnapshot | undefined, rows: readonly EntryView[], now: number): ChatgptPlanView | undefined {
  const aliases = [...new Set(rows.filter((r) => providerFor(r.provider)?.credentials === 'codex_chatgpt' && r.alias !== '').map((r) => r.alias))];
  const usage = planUsageView(snapshot?.chatgptPlanUsage, now);
  const on = chatgptPlanOn(config);
  if (!on && aliases.length === 0 && !usage) return undefined;
  const v: ChatgptPlanView = { on, savedOn: chatgptPlanOn(snapshot?.config), aliases };
  if (usage) v.usage = usage;
  return v;
}

/** One select option. */
export interface SelectOption {
  value: string;
  label: string;
}

/** One Claude Code tier: the alias set (`''` = the default model) and the choices. */
export interface ClaudeTierRow {
  tier: ClaudeTier;
  /** `codexGateway.claudeCode.models[tier]` as set. */
  value: string;
  /** The alias Claude Code's requests of this tier reach now (`value`, or the default model's alias). */
  resolved?: string;
  /** "Default model (…)" first, then the saved config's aliases; a set alias the config lacks is kept, marked. */
  options: SelectOption[];
  /** The set alias is not in the saved config (Claude Code's requests of this tier fail). */
  unknown: boolean;
}

/** Claude Code's section of the panel. */
export interface ClaudeCodeView {
  enabled: boolean;
  state: PanelClaudeCode['state'];
  /** The state in words (also "Turning on…" / "Turning off…" while the setting and the wiring differ). */
  stateText: string;
  /** Codicon of the state. */
  stateIcon: string;
  settingsPath: string;
  /** The Claude Code extension: not installed, or whether its `claudeCode.environmentVariables` point at the gateway. */
  extension: 'not-installed' | 'set' | 'not-set';
  extensionText: string;
  tiers: ClaudeTierRow[];
}

/**
 * Builds the Claude Code section from the snapshot's part.
 * @param aliases aliases of the saved config (what the gateway serves).
 * @param effectiveDefault the alias `default` resolves to now.
 */
export function claudeCodeView(cc: PanelClaudeCode, aliases: readonly string[], effectiveDefault: string | undefined): ClaudeCodeView {
  const pending = cc.enabled ? cc.state !== 'wired' && cc.state !== 'error' : cc.state === 'wired';
  let stateText: string;
  let stateIcon: string;
  if (pending) {
    stateText = cc.enabled ? 'Turning on…' : 'Turning off: restoring your Claude Code settings…';
    stateIcon = 'loading';
  } else {
    stateText = {
      off: 'Off: Claude Code uses its own settings.',
      wired: 'Wired: Claude Code sends its requests to the gateway.',
      restored: 'Off: your Claude Code settings were restored.',
      error: 'Could not be wired: see the Codex Gateway log.',
    }[cc.state];
    stateIcon = { off: 'circle-slash', wired: 'pass-filled', restored: 'circle-slash', error: 'error' }[cc.state];
  }
  const extension: ClaudeCodeView['extension'] = !cc.extensionInstalled ? 'not-installed' : cc.extensionSettingSet ? 'set' : 'not-set';
  const extensionText = {
    'not-installed': 'Not installed (the claude CLI reads settings.json).',
    set: 'claudeCode.environmentVariables point at the gateway.',
    'not-set': 'claudeCode.environmentVariables do not point at the gateway.',
  }[extension];
  const served = aliases.filter((a) => !a.includes('*'));
  const tiers = CLAUDE_TIERS.map((tier): ClaudeTierRow => {
    const value = cc.models[tier] ?? '';
    const unknown = value !== '' && !served.includes(value);
    const options: SelectOption[] = [{ value: '', label: effectiveDefault ? `Default model (${effectiveDefault})` : 'Default model' }, ...served.map((a) => ({ value: a, label: a }))];
    if (unknown) options.push({ value, label: `${value} (not in the saved config)` });
    const row: ClaudeTierRow = { tier, value, options, unknown };
    const resolved = value === '' ? effectiveDefault : value;
    if (resolved !== undefined) row.resolved = resolved;
    return row;
  });
  return { enabled: cc.enabled, state: cc.state, stateText, stateIcon, settingsPath: cc.settingsPath, extension, extensionText, tiers };
}

const ENTRY_FIELDS: readonly EntryField[] = ['model_name', 'provider', 'model', 'api_base', 'key_name', 'weight', 'context_window'];
const ROUTER_FIELDS: readonly RouterField[] = ['routing_strategy', 'num_retries', 'timeout', 'cooldown_time', 'allowed_fails'];

/**
 * Builds what the panel shows.
 * @param now current time in ms since the epoch (the live window ends here).
 */
export function viewModel(s: PanelState, now: number): ViewModel {
  const config = currentConfig(s);
  const list = modelList(config);
  const aliases = aliasesOf(config);
  const rows: EntryRow[] = list.map((e, i) => {
    const v = entryView(e, i);
    const row: EntryRow = { ...v, issueCount: countUnder(s.issues, `model_list[${i}]`) };
    if (v.keyName && s.keys[v.keyName]) row.keyState = s.keys[v.keyName];
    return row;
  });
  const fields: string[] = [];
  list.forEach((e, i) => {
    fields.push(`model_list[${i}]`);
    for (const f of ENTRY_FIELDS) fields.push(entryFieldPath(i, f, e));
  });
  for (const f of ROUTER_FIELDS) fields.push(`router_settings.${f}`);
  const chainsMap = fallbackChains(config);
  for (const a of new Set([...aliases, ...Object.keys(chainsMap)])) fields.push(chainField(a));
  const assigned = assignIssues(s.issues, fields);
  const chains: ChainRow[] = [...new Set([...aliases, ...Object.keys(chainsMap)])].map((alias) => {
    const chain = chainsMap[alias] ?? [];
    return { alias, chain, candidates: aliases.filter((x) => x !== alias && !chain.includes(x)), errors: assigned.byField[chainField(alias)] ?? [] };
  });
  const router: RouterRow[] = ROUTER_FIELDS.map((field) => ({
    field,
    value: routerField(config, field),
    placeholder: ROUTER_DEFAULTS[field],
    errors: assigned.byField[`router_settings.${field}`] ?? [],
  }));
  const liveWindowMs = s.snapshot?.liveWindowMs || DEFAULT_LIVE_WINDOW_MS;
  const vm: ViewModel = {
    ready: s.snapshot !== undefined,
    tab: s.tab,
    dirty: isDirty(s),
    saving: s.saving,
    externalChange: s.externalChange,
    aliases,
    defaultModel: s.snapshot?.defaultModel ?? '',
    rows,
    fieldErrors: assigned.byField,
    otherIssues: assigned.other,
    issueCount: s.issues.length,
    validating: s.issuesFor !== stableJson(config),
    chains,
    router,
    stats: liveStats(s.records, now, liveWindowMs, aliases),
    liveWindowMs,
    tests: s.tests,
  };
  if (s.notice) vm.notice = s.notice;
  if (s.snapshot) vm.gateway = s.snapshot.gateway;
  if (s.snapshot?.effectiveDefault !== undefined) vm.effectiveDefault = s.snapshot.effectiveDefault;
  if (s.editing !== undefined && rows[s.editing]) vm.editing = rows[s.editing];
  if (s.keyEdit !== undefined) vm.keyEdit = s.keyEdit;
  if (s.snapshot?.claudeCode) vm.claudeCode = claudeCodeView(s.snapshot.claudeCode, aliasesOf(s.snapshot.config), s.snapshot.effectiveDefault);
  const plan = chatgptPlanView(config, s.snapshot, rows, now);
  if (plan) vm.chatgptPlan = plan;
  return vm;
}
