/**
 * What the status bar item and the model picker show, as pure functions of the gateway state (no `vscode`
 * import; `status-bar.ts` turns the result into a StatusBarItem, a MarkdownString and QuickPick items).
 *
 * Status bar text uses product icons (`$(name)`, VS Code's codicons): `$(loading~spin)` starting,
 * `$(server-process)` running in this window, `$(link)` using the gateway of another window,
 * `$(key)` the default alias's key is missing, `$(error)` error.
 */
import { pickModelHint } from '../gateway/codex/config-block';
import { providerFor } from '../gateway/config';
import { isWildcard } from '../gateway/config/wildcard';
import type { GatewayConfig } from '../gateway/types';
import type { ClaudeWiringState } from './claude-wiring';
import type { PlanUsage } from '../gateway/chatgpt/usage';
import { planUsageLines } from './plan-status';
import { servedByWildcard, type ClaudeCodeModels } from './settings';

/** Lifecycle of the gateway as this window sees it. */
export type GatewayPhase =
  /** Checking the port / starting the worker. */
  | 'starting'
  /** This window's worker serves the port. */
  | 'running'
  /** Another VS Code window's gateway serves the port; this window uses it. */
  | 'attached'
  /** Not serving: the port is taken by another program, the worker failed, or the config never loaded. */
  | 'error'
  /** Stopped (deactivating). */
  | 'stopped';

/** Key status of one deployment. */
export interface KeyStatus {
  /** Secret name (`DEEPSEEK_API_KEY`), or undefined when the config writes the key literally or needs none. */
  name?: string;
  /** `set`: available; `missing`: referenced but not set; `none`: not needed; `literal`: written in the config; `unconfigured`: needed but the config has no api_key. */
  state: 'set' | 'missing' | 'none' | 'literal' | 'unconfigured';
}

/** One alias with what the UI shows about it. */
export interface AliasInfo {
  alias: string;
  /** `provider/model` of each deployment, deduplicated, in model_list order. */
  targets: string[];
  /** Key status per deployment (deduplicated by name). */
  keys: KeyStatus[];
  /** Fallback aliases (`router_settings.fallbacks`, else `default_fallbacks`). */
  fallbacks: string[];
}

/**
 * Builds the per-alias view of a resolved config.
 * @param hasSecret whether a secret name has a value (SecretStorage or environment).
 */
export function aliasInfos(config: GatewayConfig, hasSecret: (name: string) => boolean): AliasInfo[] {
  const out: AliasInfo[] = [];
  for (const [alias, group] of config.groups) {
    const targets = [...new Set(group.map((d) => `${d.provider}/${d.model}`))];
    const keys: KeyStatus[] = [];
    const seen = new Set<string>();
    for (const d of group) {
      let k: KeyStatus;
      if (d.apiKey.kind === 'env') k = { name: d.apiKey.name, state: hasSecret(d.apiKey.name) ? 'set' : 'missing' };
      else if (d.apiKey.kind === 'literal') k = { state: 'literal' };
      else k = providerFor(d.provider)?.keyRequired ? { name: providerFor(d.provider)?.defaultKeyEnv, state: 'unconfigured' } : { state: 'none' };
      const id = `${k.name ?? ''}:${k.state}`;
      if (!seen.has(id)) {
        seen.add(id);
        keys.push(k);
      }
    }
    const fallbacks = config.router.fallbacks[alias] ?? config.router.defaultFallbacks;
    out.push({ alias, targets, keys, fallbacks: [...fallbacks] });
  }
  // Wildcard routes (LiteLLM wildcard routing): one row per pattern, e.g. "openai/*" -> "openai/* (any model)".
  for (const w of config.wildcards ?? []) {
    const keys: KeyStatus[] = [];
    const seen = new Set<string>();
    for (const e of w.entries) {
      const written = (e.entry.litellm_params as Record<string, unknown> | undefined)?.api_key;
      const env = typeof written === 'string' && written.startsWith('os.environ/') ? written.slice('os.environ/'.length) : undefined;
      const spec = e.provider ? providerFor(e.provider) : undefined;
      const k: KeyStatus = env
        ? { name: env, state: hasSecret(env) ? 'set' : 'missing' }
        : typeof written === 'string' && written
          ? { state: 'literal' }
          : spec?.keyRequired && spec.defaultKeyEnv
            ? { name: spec.defaultKeyEnv, state: hasSecret(spec.defaultKeyEnv) ? 'set' : 'missing' }
            : { state: 'none' };
      const id = `${k.name ?? ''}:${k.state}`;
      if (!seen.has(id)) {
        seen.add(id);
        keys.push(k);
      }
    }
    const fallbacks = config.router.fallbacks[w.pattern] ?? config.router.defaultFallbacks;
    out.push({ alias: w.pattern, targets: [...new Set(w.entries.map((e) => `${e.model} (any model)`))], keys, fallbacks: [...fallbacks] });
  }
  return out;
}

/** Names of keys an alias needs that are not set (empty when it can be used). */
export function missingKeys(info: AliasInfo | undefined): string[] {
  if (!info) return [];
  return info.keys.filter((k) => (k.state === 'missing' || k.state === 'unconfigured') && k.name).map((k) => k.name!);
}

/** Everything the status bar reflects. */
export interface StatusInput {
  phase: GatewayPhase;
  port: number;
  /** The alias behind `default`, if a config is loaded. */
  defaultAlias?: string;
  /** Per-alias view of the config in force (empty when none loaded). */
  aliases: AliasInfo[];
  /** The last problem worth showing (a failed request, a port conflict, a config error summary). */
  lastError?: string;
  /** Config issues of the current settings (the last good config keeps running). */
  configIssues?: string[];
  /** Claude Code's wiring (claude-wiring.ts): state and the alias per tier. */
  claudeCode?: ClaudeCodeStatus;
  /** The ChatGPT plan's usage as the gateway last saw it (`GET /v1/health` `chatgpt_plan.usage`), if any. */
  chatgptPlan?: PlanUsage;
  /** Current time, epoch ms (for "resets in ..."); default Date.now(). */
  now?: number;
  /** Where the gateway (this extension host) runs; see {@link gatewayLocation}. */
  where?: GatewayLocation;
}

/** Kind of machine the extension host runs on. */
export type LocationKind = 'local' | 'dev-container' | 'ssh' | 'wsl' | 'codespaces' | 'tunnel' | 'remote';

/** Where the gateway runs, as the tooltip says it. */
export interface GatewayLocation {
  kind: LocationKind;
  /** "this computer", "a dev container", "an SSH host", ... */
  label: string;
  /** The machine's host name (a container's id, the SSH host), when known. */
  host?: string;
}

/**
 * Where the gateway runs, from `vscode.env.remoteName` (undefined in a local window). Source: VS Code's
 * remote authority names, the part before `+`: `dev-container` and `attached-container` (Dev Containers),
 * `ssh-remote` (Remote-SSH), `wsl`, `codespaces`, `tunnel` (Remote Tunnels); anything else (code-server's
 * `HOST:PORT`, a third-party remote) is a remote named as it is.
 * @param host the host name of the machine (`os.hostname()`), shown next to remote kinds.
 */
export function gatewayLocation(remoteName: string | undefined, host?: string): GatewayLocation {
  const h = host ? { host } : {};
  if (!remoteName) return { kind: 'local', label: 'this computer' };
  const prefix = remoteName.split('+')[0];
  switch (prefix) {
    case 'dev-container':
    case 'attached-container':
      return { kind: 'dev-container', label: 'a dev container', ...h };
    case 'ssh-remote':
      return { kind: 'ssh', label: 'an SSH host', ...h };
    case 'wsl':
      return { kind: 'wsl', label: 'WSL', ...h };
    case 'codespaces':
      return { kind: 'codespaces', label: 'a codespace', ...h };
    case 'tunnel':
      return { kind: 'tunnel', label: 'a remote tunnel', ...h };
    default:
      return { kind: 'remote', label: `the remote ${remoteName}`, ...h };
  }
}

/** The tooltip's location line, e.g. "Runs in a dev container (`3f2a9c`): its own 127.0.0.1 and ~/.codex". */
export function locationLine(w: GatewayLocation): string {
  if (w.kind === 'local') return 'Runs on this computer (local)';
  const host = w.host ? ` (\`${w.host.replace(/`/g, '')}\`)` : '';
  return `Runs in ${escapeMarkdown(w.label)}${host}: its own 127.0.0.1 and ~/.codex/config.toml, next to Codex there`;
}

/**
 * Where a missing key was looked for, for the tooltip: secret storage (kept on the user's computer and shared
 * with every remote of this extension, VS Code docs "Persisting secrets"), then this machine's environment.
 */
function missingWhere(w: GatewayLocation | undefined): string {
  if (!w || w.kind === 'local') return '';
  return ` (not in VS Code's secret storage, and not in the environment of ${escapeMarkdown(w.label)}; a key set with Set it is kept on your computer and used in every container and SSH host)`;
}

/** Claude Code's wiring as shown in the tooltip and the panel. */
export interface ClaudeCodeStatus {
  /** `off`: not enabled; `wired`: settings.json points at the gateway; `restored`: put back; `error`: last write failed. */
  state: ClaudeWiringState;
  /** Alias per tier (`default` = the model picked in VS Code). */
  tiers: ClaudeCodeModels;
}

/** The tooltip's Claude Code line (Markdown), e.g. "Claude Code: wired · haiku `default` · sonnet `qwen` · opus `ds`". */
export function claudeCodeLine(c: ClaudeCodeStatus): string {
  const label = { off: 'off', wired: 'wired to the gateway', restored: 'restored to your settings', error: 'could not be wired (see the log)' }[c.state];
  const tiers = c.state === 'wired' ? ` · haiku ${escapeMarkdown(c.tiers.haiku)} · sonnet ${escapeMarkdown(c.tiers.sonnet)} · opus ${escapeMarkdown(c.tiers.opus)}` : '';
  return `${c.state === 'error' ? '$(warning) ' : ''}Claude Code: ${label}${tiers}`;
}

/** What the status bar item shows. */
export interface StatusView {
  /** Item text with product icons. */
  text: string;
  /** Markdown tooltip (trusted: it contains `command:` links of this extension). */
  tooltip: string;
  /** Screen reader label (no icon syntax). */
  ariaLabel: string;
  /** Theme color id of the background, for error / warning states. */
  background?: 'statusBarItem.errorBackground' | 'statusBarItem.warningBackground';
}

/** Escapes Markdown special characters in user-provided text (aliases, error messages). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}

/** A `command:` link target with JSON arguments (VS Code's trusted-Markdown command URI form). */
export function commandLink(command: string, args?: unknown[]): string {
  return args === undefined ? `command:${command}` : `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

/** Builds the status bar text, tooltip and accessibility label. */
export function statusView(s: StatusInput): StatusView {
  const patterns = s.aliases.map((a) => a.alias).filter(isWildcard);
  // A default picked among the names a wildcard serves (`openai/gpt-5.5` through `openai/*`) shows that row's facts.
  const info =
    s.aliases.find((a) => a.alias === s.defaultAlias) ??
    (s.defaultAlias !== undefined ? s.aliases.find((a) => isWildcard(a.alias) && servedByWildcard(s.defaultAlias!, [a.alias])) : undefined);
  const missing = missingKeys(info);
  // A config with only wildcard model_name entries has no alias to default to: the user picks a name.
  const alias = s.defaultAlias ?? (patterns.length > 0 ? 'pick a model' : 'no model');
  let text: string;
  let aria: string;
  let background: StatusView['background'];
  let headline: string;
  switch (s.phase) {
    case 'starting':
      text = '$(loading~spin) Codex Gateway';
      aria = 'Codex Gateway is starting';
      headline = `starting on port ${s.port}`;
      break;
    case 'error':
      text = `$(error) ${alias}`;
      aria = `Codex Gateway error, default model ${alias}`;
      background = 'statusBarItem.errorBackground';
      headline = `not running (port ${s.port})`;
      break;
    case 'stopped':
      text = `$(circle-slash) ${alias}`;
      aria = `Codex Gateway stopped`;
      headline = 'stopped';
      break;
    default: {
      const shared = s.phase === 'attached';
      headline = shared ? `running on port ${s.port} (served by another VS Code window)` : `running on port ${s.port}`;
      if (missing.length > 0) {
        text = `$(key) ${alias}`;
        aria = `Codex Gateway, default model ${alias}, key ${missing.join(', ')} missing`;
        background = 'statusBarItem.warningBackground';
      } else {
        text = `${shared ? '$(link)' : '$(server-process)'} ${alias}`;
        aria = `Codex Gateway running, default model ${alias}`;
      }
    }
  }
  const md: string[] = [`**Codex Gateway**: ${escapeMarkdown(headline)}`, ''];
  if (info) {
    // In a code span Markdown escapes show literally: only a backtick could end it, so none is kept.
    const through = info.alias !== s.defaultAlias ? `\`${(s.defaultAlias ?? '').replaceAll('`', '')}\` through ` : '';
    md.push(`Default model: ${through}\`${info.alias}\` → ${info.targets.map(escapeMarkdown).join(', ')}`, '');
    if (info.fallbacks.length > 0) md.push(`Fallbacks: ${info.fallbacks.map(escapeMarkdown).join(' → ')}`, '');
    for (const k of info.keys) {
      if (k.state === 'set') md.push(`$(check) Key ${escapeMarkdown(k.name ?? '')} is set`, '');
      else if (k.state === 'missing' && k.name) md.push(`$(warning) Key ${escapeMarkdown(k.name)} is missing${missingWhere(s.where)}: [Set it](${commandLink('codexGateway.setProviderKey', [k.name])})`, '');
      else if (k.state === 'unconfigured') md.push(`$(warning) The config has no api_key for this model: add \`api_key: os.environ/${k.name ?? 'NAME'}\` to its litellm_params`, '');
    }
  } else if (s.phase !== 'starting' && patterns.length > 0) {
    md.push(`No default model: ${escapeMarkdown(pickModelHint(patterns))} ([Select Model](${commandLink('codexGateway.selectModel')})).`, '');
  } else if (s.phase !== 'starting') {
    md.push('No model is configured: add one to `codexGateway.config`.', '');
  }
  if (s.configIssues && s.configIssues.length > 0) {
    md.push(`$(error) Settings have errors (the last good config keeps running):`, '');
    for (const i of s.configIssues.slice(0, 5)) md.push(`- ${escapeMarkdown(i)}`);
    if (s.configIssues.length > 5) md.push(`- … ${s.configIssues.length - 5} more (see the log)`);
    md.push('');
  }
  if (s.lastError) md.push(`Last error: ${escapeMarkdown(s.lastError)}`, '');
  if (s.claudeCode && s.claudeCode.state !== 'off') md.push(claudeCodeLine(s.claudeCode), '');
  for (const l of planUsageLines(s.chatgptPlan, s.now ?? Date.now())) md.push(l, '');
  if (s.where) md.push(`$(${s.where.kind === 'local' ? 'device-desktop' : 'remote'}) ${locationLine(s.where)}`, '');
  md.push(
    [
      `[$(list-selection) Select Model](${commandLink('codexGateway.selectModel')})`,
      `[$(key) Set Key](${commandLink('codexGateway.setProviderKey')})`,
      `[$(output) Show Log](${commandLink('codexGateway.showLog')})`,
      `[$(gear) Settings](${commandLink('workbench.action.openSettings', ['codexGateway'])})`,
    ].join(' · '),
  );
  return { text, tooltip: md.join('\n'), ariaLabel: aria, ...(background ? { background } : {}) };
}

/** One row of the model picker. */
export interface AliasPickItem {
  alias: string;
  /** Row title: the alias. */
  label: string;
  /** Shown next to the title: `provider/model` targets (and "current"). */
  description: string;
  /** Second line: key status and fallbacks. */
  detail: string;
  /** Keys this alias needs that are not set. */
  missing: string[];
}

/** The model picker's rows, the current default first-class marked, in model_list order. */
export function aliasPickItems(aliases: readonly AliasInfo[], current: string | undefined): AliasPickItem[] {
  return aliases
    .filter((a) => !a.alias.includes('*'))
    .map((a) => {
      const missing = missingKeys(a);
      const keyText = a.keys
        .map((k) => {
          switch (k.state) {
            case 'set':
              return `$(check) ${k.name} set`;
            case 'missing':
              return `$(warning) ${k.name} missing`;
            case 'unconfigured':
              return '$(warning) no api_key in config';
            case 'literal':
              return '$(check) key in config';
            default:
              return '$(check) no key needed';
          }
        })
        .join(', ');
      const fb = a.fallbacks.length > 0 ? ` · fallbacks: ${a.fallbacks.join(' → ')}` : '';
      return {
        alias: a.alias,
        label: a.alias === current ? `$(check) ${a.alias}` : a.alias,
        description: a.targets.join(', ') + (a.alias === current ? ' (current)' : ''),
        detail: keyText + fb + (missing.length > 0 ? ' — pick it to set the key' : ''),
        missing,
      };
    });
}

/** Where a model picked in the status bar goes: Codex (the default model), Claude Code (every tier), or both. */
export type PickTarget = 'codex' | 'claude' | 'both';

/** The targets, in the picker's natural order. */
export const PICK_TARGETS: readonly PickTarget[] = ['codex', 'claude', 'both'];

/** globalState key: the last target chosen in the picker. */
export const PICK_TARGET_KEY = 'codexGateway.modelPickTarget';

/** A remembered target read back from storage (anything else, e.g. an older shape, is no target). */
export function asPickTarget(v: unknown): PickTarget | undefined {
  return typeof v === 'string' && (PICK_TARGETS as readonly string[]).includes(v) ? (v as PickTarget) : undefined;
}

/**
 * Whether the picker asks for the target after a model is picked: only while Claude Code is wired (otherwise the
 * pick is for Codex, as before).
 */
export function asksPickTarget(claude: ClaudeCodeStatus | undefined): boolean {
  return claude?.state === 'wired';
}

/** `codexGateway.claudeCode.models`: the alias per tier, `''` = the default model. */
export type ClaudeTierSettings = ClaudeCodeModels;

/** One row of the target picker. */
export interface TargetPickItem {
  target: PickTarget;
  label: string;
  description: string;
  detail: string;
}

/**
 * The target picker's rows for `alias`, the last choice first (so Enter repeats it) and marked.
 * @param claudeTiers the alias each Claude Code tier reaches now (after resolving `default`).
 */
export function targetPickItems(alias: string, last: PickTarget | undefined, currentDefault: string | undefined, claudeTiers: ClaudeTierSettings): TargetPickItem[] {
  const now = (t: ClaudeTierSettings) => {
    const vals = [...new Set([t.haiku, t.sonnet, t.opus])];
    return vals.length === 1 ? `now ${vals[0]}` : `now haiku ${t.haiku}, sonnet ${t.sonnet}, opus ${t.opus}`;
  };
  const rows: Record<PickTarget, Omit<TargetPickItem, 'target'>> = {
    codex: { label: '$(server-process) Codex', description: `default model → ${alias}`, detail: `Codex (IDE and CLI); now ${currentDefault ?? 'none'}. Claude Code keeps its models.` },
    claude: { label: '$(sparkle) Claude Code', description: `haiku, sonnet, opus → ${alias}`, detail: `Every Claude Code tier (codexGateway.claudeCode.models); ${now(claudeTiers)}. Codex keeps its model.` },
    both: { label: '$(layers) Codex and Claude Code', description: `both → ${alias}`, detail: 'The default model and every Claude Code tier.' },
  };
  const order = last ? [last, ...PICK_TARGETS.filter((t) => t !== last)] : [...PICK_TARGETS];
  return order.map((target) => ({ target, ...rows[target], ...(target === last ? { description: `${rows[target].description} (last used)` } : {}) }));
}

/** What to write for a pick: the default model and/or `codexGateway.claudeCode.models`. */
export interface PickPlan {
  /** New `codexGateway.defaultModel` (set whenever Codex is a target). */
  defaultModel?: string;
  /** New `codexGateway.claudeCode.models`, when it changes. */
  claudeModels?: ClaudeTierSettings;
}

/**
 * Decides what a pick writes. Invariant (what the user sees afterwards, with `''` tiers resolving to the default
 * model): `codex` moves Codex to `alias` and leaves every Claude Code tier where it was; `claude` moves every tier
 * to `alias` and leaves Codex; `both` moves both.
 *
 * A tier left empty follows the default model, so moving only Codex pins such a tier to the alias it reached
 * before (else Claude Code would move too). Tiers that already resolve to `alias` are written as `alias`
 * explicitly for `claude` and `both` (so a later Codex-only pick does not move them).
 * @param currentDefault the alias behind `default` now (undefined when no config runs).
 * @param models `codexGateway.claudeCode.models` as set.
 */
export function planModelPick(alias: string, target: PickTarget, currentDefault: string | undefined, models: ClaudeTierSettings): PickPlan {
  const plan: PickPlan = {};
  const moveCodex = target !== 'claude';
  const moveClaude = target !== 'codex';
  // Always written for Codex (also when unchanged: an empty setting becomes the explicit choice, as before).
  if (moveCodex) plan.defaultModel = alias;
  const codexMoves = moveCodex && alias !== currentDefault;
  let next: ClaudeTierSettings;
  if (moveClaude) {
    next = { haiku: alias, sonnet: alias, opus: alias };
  } else {
    const pin = (v: string) => (v === '' && currentDefault !== undefined && codexMoves ? currentDefault : v);
    next = { haiku: pin(models.haiku), sonnet: pin(models.sonnet), opus: pin(models.opus) };
  }
  if (next.haiku !== models.haiku || next.sonnet !== models.sonnet || next.opus !== models.opus) plan.claudeModels = next;
  return plan;
}

/** The alias each tier reaches, `''` resolved to the default model (`default` when none runs). */
export function resolvedTiers(models: ClaudeTierSettings, currentDefault: string | undefined): ClaudeTierSettings {
  const r = (v: string) => (v === '' ? (currentDefault ?? 'default') : v);
  return { haiku: r(models.haiku), sonnet: r(models.sonnet), opus: r(models.opus) };
}
