/**
 * What the status bar item and the model picker show, as pure functions of the gateway state (no `vscode`
 * import; `status-bar.ts` turns the result into a StatusBarItem, a MarkdownString and QuickPick items).
 *
 * Status bar text uses product icons (`$(name)`, VS Code's codicons): `$(loading~spin)` starting,
 * `$(server-process)` running in this window, `$(link)` using the gateway of another window,
 * `$(key)` the default alias's key is missing, `$(error)` error.
 */
import { providerFor } from '../gateway/config';
import type { GatewayConfig } from '../gateway/types';

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
}

/** Claude Code's wiring as shown in the tooltip and the panel. */
export interface ClaudeCodeStatus {
  /** `off`: not enabled; `wired`: settings.json points at the gateway; `restored`: put back; `error`: last write failed. */
  state: 'off' | 'wired' | 'restored' | 'error';
  /** Alias per tier (`default` = the model picked in VS Code). */
  tiers: { haiku: string; sonnet: string; opus: string };
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
  const info = s.aliases.find((a) => a.alias === s.defaultAlias);
  const missing = missingKeys(info);
  const alias = s.defaultAlias ?? 'no model';
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
    md.push(`Default model: \`${info.alias}\` → ${info.targets.map(escapeMarkdown).join(', ')}`, '');
    if (info.fallbacks.length > 0) md.push(`Fallbacks: ${info.fallbacks.map(escapeMarkdown).join(' → ')}`, '');
    for (const k of info.keys) {
      if (k.state === 'set') md.push(`$(check) Key ${escapeMarkdown(k.name ?? '')} is set`, '');
      else if (k.state === 'missing' && k.name) md.push(`$(warning) Key ${escapeMarkdown(k.name)} is missing: [Set it](${commandLink('codexGateway.setProviderKey', [k.name])})`, '');
      else if (k.state === 'unconfigured') md.push(`$(warning) The config has no api_key for this model: add \`api_key: os.environ/${k.name ?? 'NAME'}\` to its litellm_params`, '');
    }
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
