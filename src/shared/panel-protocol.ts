/**
 * The settings panel's message protocol: the ONLY coupling between the webview (`webview/`, a browser bundle)
 * and its host in the extension (`src/extension/panel/`). Both sides import these types; nothing here has a
 * runtime dependency on `vscode` or the DOM, so the file bundles into either side.
 *
 * Transport: `webview.postMessage` / `acquireVsCodeApi().postMessage` (structured-clone JSON values).
 *
 * Flow:
 * 1. The webview loads and posts `{kind: 'ready'}` (the handshake; VS Code drops messages posted to a webview
 *    before its script runs, so the host waits for this before sending anything).
 * 2. The host answers with `{kind: 'snapshot', snapshot}` and sends a fresh snapshot after every change of
 *    settings, secrets or gateway state (`PanelBackend.onDidChange`), plus `{kind: 'request', record}` for each
 *    finished gateway request (the live view).
 * 3. Every other webview action is a request `{kind: 'call', id, method, params}`; the host answers exactly once
 *    with `{kind: 'result', id, ok: true, value}` or `{kind: 'result', id, ok: false, error}`. `id` is chosen by
 *    the webview (unique per webview lifetime). Methods and their params/results are {@link PanelMethods}.
 *
 * Provider keys: the webview may SEND a key value (`setKey`), the host never sends one back: snapshots carry
 * only a key's state ({@link KeyState}).
 */
import type { PlanUsage } from '../gateway/chatgpt/usage';
import type { ConfigIssue } from '../gateway/config/load';
import type { RequestLogRecord } from '../gateway/log';

export type { ConfigIssue, PlanUsage, RequestLogRecord };

/**
 * What turning the ChatGPT plan on means, said plainly before `gateway_settings.chatgpt_plan: true` is written (the
 * issue: "enabling it says plainly that requests go to the user's ChatGPT plan under OpenAI's terms, from this
 * machine only"). The extension host shows it in a modal dialog (`confirmChatgptPlan`); the panel's preset names it.
 */
export const CHATGPT_PLAN_CONSENT =
  "Requests for chatgpt/<model> models will go to your own ChatGPT plan, signed in with your Codex login, under OpenAI's terms, from this machine only. They count against your plan's usage limits. Enable the ChatGPT plan?";

/**
 * Whether a raw config (LiteLLM shape, as the settings hold it) turns the ChatGPT plan on:
 * `gateway_settings.chatgpt_plan` is `true` (the engine's schema takes a boolean only).
 */
export function chatgptPlanOn(config: unknown): boolean {
  if (typeof config !== 'object' || config === null) return false;
  const gs = (config as { gateway_settings?: unknown }).gateway_settings;
  return typeof gs === 'object' && gs !== null && (gs as { chatgpt_plan?: unknown }).chatgpt_plan === true;
}

/**
 * Where a provider key comes from, never its value:
 * - `set`: stored in VS Code's SecretStorage;
 * - `env`: not stored, but set in the extension host's environment (the gateway uses it);
 * - `missing`: neither (requests that need it fail with "KEY is not set").
 */
export type KeyState = 'set' | 'env' | 'missing';

/** The gateway as the extension sees it (same phases as the status bar). */
export interface PanelGatewayState {
  /** `starting`, `running` (this window serves), `attached` (another window serves), `error`, `stopped`. */
  phase: 'starting' | 'running' | 'attached' | 'error' | 'stopped';
  /** Port on 127.0.0.1. */
  port: number;
  /** What went wrong and what to do, when `phase` is `error`. */
  error?: string;
}

/**
 * A finished gateway request with the time it finished. `RequestLogRecord` (src/gateway/log.ts) has no time of
 * its own; whoever collects records stamps them.
 */
export interface TimedRequestRecord extends RequestLogRecord {
  /** When the request finished, in ms since the Unix epoch. */
  at: number;
}

/** Everything the panel shows that comes from the extension. Sent whole on `ready` and after each change. */
export interface PanelSnapshot {
  /**
   * `codexGateway.config` as the settings hold it (LiteLLM proxy shape: `model_list`, `router_settings`,
   * `litellm_settings`, ...). Unvalidated; may be invalid when the user edited settings.json by hand.
   */
  config: unknown;
  /** `codexGateway.defaultModel` (`''` = the first alias). */
  defaultModel: string;
  /** The alias `default` resolves to now (the status bar's alias), if a config is running. */
  effectiveDefault?: string;
  /** State of every key name the saved config references (and any name asked for with `keyStatus`). */
  keys: Record<string, KeyState>;
  /** The gateway's state. */
  gateway: PanelGatewayState;
  /** Issues of the saved config (it does not resolve; the last good config keeps running). */
  issues: ConfigIssue[];
  /** Requests of the last {@link PanelSnapshot.liveWindowMs} ms, oldest first. */
  recent: TimedRequestRecord[];
  /** Length of the live view's window in ms (e.g. 900000 = 15 minutes). */
  liveWindowMs: number;
  /** Claude Code's wiring (absent when the extension does not offer it). */
  claudeCode?: PanelClaudeCode;
  /**
   * The ChatGPT plan's usage as this window's gateway last saw it (percent used per window, reset times in epoch
   * ms; src/gateway/chatgpt/usage.ts). Absent until the plan answered a request.
   */
  chatgptPlanUsage?: PlanUsage;
}

/** A Claude Code model tier (`codexGateway.claudeCode.models` has one alias per tier). */
export type ClaudeTier = 'haiku' | 'sonnet' | 'opus';

/** The tiers, in the order the panel shows them. */
export const CLAUDE_TIERS: readonly ClaudeTier[] = ['haiku', 'sonnet', 'opus'];

/** Claude Code's wiring as the panel shows it (src/extension/claude-wiring.ts does the wiring). */
export interface PanelClaudeCode {
  /** `codexGateway.claudeCode.enabled`. */
  enabled: boolean;
  /**
   * `off`: never wired; `wired`: settings.json points at the gateway; `restored`: the user's settings were put
   * back; `error`: the last write failed (see the log).
   */
  state: 'off' | 'wired' | 'restored' | 'error';
  /** Claude Code's settings file (`$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`). */
  settingsPath: string;
  /** The Claude Code VS Code extension (`anthropic.claude-code`) is installed. */
  extensionInstalled: boolean;
  /** Its user setting `claudeCode.environmentVariables` holds the gateway's `ANTHROPIC_BASE_URL`. */
  extensionSettingSet: boolean;
  /** `codexGateway.claudeCode.models` as set: the alias per tier, `''` = the default model (the status bar's). */
  models: Record<ClaudeTier, string>;
}

/** Outcome of a test request through the gateway ("Test" button). Latency in ms, request sent to answer read. */
export type TestAliasResult =
  | {
      ok: true;
      latencyMs: number;
      /** The first words of the answer (at most ~120 characters). */
      text: string;
      /** Deployment id that answered, when the gateway said (`x-codex-gateway-deployment`). */
      deployment?: string;
      /** True when a fallback alias answered (the gateway sent `x-codex-gateway-fallback-from`). */
      fallback?: boolean;
    }
  | {
      ok: false;
      latencyMs: number;
      /** What happened (the gateway's error message; never a key). */
      error: string;
      /** What to do next, when known (e.g. "Set DEEPSEEK_API_KEY"). */
      hint?: string;
    };

/** Result of `save`: saved, or rejected with the issues the engine found (nothing was written). */
export type SaveResult = { saved: true } | { saved: false; issues: ConfigIssue[] };

/**
 * Request methods the webview may call: `params` and `result` per method. The host validates params at run time
 * (the webview is untrusted input) and answers an error for anything else.
 */
export interface PanelMethods {
  /** Validates a draft config with the engine (`resolveConfig`); `[]` when valid. No side effects. */
  validate: { params: { config: unknown }; result: ConfigIssue[] };
  /**
   * Validates, then writes `codexGateway.config` to user settings when valid. A config that turns the ChatGPT plan
   * on (see {@link chatgptPlanOn}) while the saved one does not is written only after the user agreed
   * ({@link PanelMethods.confirmChatgptPlan}, asked again here if they have not); declined, nothing is written and
   * the result carries an issue at `gateway_settings.chatgpt_plan`.
   */
  save: { params: { config: unknown }; result: SaveResult };
  /** Sets `codexGateway.defaultModel` (the status bar's choice). */
  setDefaultModel: { params: { alias: string }; result: null };
  /** Stores a provider key in SecretStorage under `name` (the NAME of `api_key: os.environ/NAME`). */
  setKey: { params: { name: string; value: string }; result: Record<string, KeyState> };
  /** Deletes a stored provider key. */
  clearKey: { params: { name: string }; result: Record<string, KeyState> };
  /** State of the named keys (names a draft references that the saved config does not). */
  keyStatus: { params: { names: string[] }; result: Record<string, KeyState> };
  /** Sends a tiny request for `alias` through the running gateway (saved config). */
  testAlias: { params: { alias: string }; result: TestAliasResult };
  /** Runs "Import LiteLLM config.yaml into Settings" (a file dialog; the new settings arrive as a snapshot). */
  importLiteLLM: { params: Record<string, never>; result: null };
  /** Runs "Export Settings to LiteLLM config.yaml". */
  exportLiteLLM: { params: Record<string, never>; result: null };
  /** Sets `codexGateway.claudeCode.enabled` (the extension then wires Claude Code, or restores its settings). */
  setClaudeCodeEnabled: { params: { enabled: boolean }; result: null };
  /** Sets one tier of `codexGateway.claudeCode.models` (`''` = the default model); the other tiers are kept. */
  setClaudeCodeModel: { params: { tier: ClaudeTier; alias: string }; result: null };
  /**
   * Asks the user, in a modal dialog of the extension host, to agree to {@link CHATGPT_PLAN_CONSENT}; `true` when
   * they chose "Use my ChatGPT plan". Writes nothing: the panel then puts `gateway_settings.chatgpt_plan: true` in
   * its draft, and `save` writes it.
   */
  confirmChatgptPlan: { params: Record<string, never>; result: boolean };
}

/** A method name of {@link PanelMethods}. */
export type PanelMethod = keyof PanelMethods;

/** The method names, for run-time checks on the host side. */
export const PANEL_METHODS: readonly PanelMethod[] = [
  'validate',
  'save',
  'setDefaultModel',
  'setKey',
  'clearKey',
  'keyStatus',
  'testAlias',
  'importLiteLLM',
  'exportLiteLLM',
  'setClaudeCodeEnabled',
  'setClaudeCodeModel',
  'confirmChatgptPlan',
];

/** A request from the webview. */
export type CallMessage = {
  [M in PanelMethod]: { kind: 'call'; id: number; method: M; params: PanelMethods[M]['params'] };
}[PanelMethod];

/** Messages the webview posts to the host. */
export type WebviewToHost = { kind: 'ready' } | CallMessage;

/** The answer to one {@link CallMessage}. `error` says what went wrong and what to do. */
export type ResultMessage = { kind: 'result'; id: number; ok: true; value: unknown } | { kind: 'result'; id: number; ok: false; error: string };

/** Messages the host posts to the webview. */
export type HostToWebview =
  | { kind: 'snapshot'; snapshot: PanelSnapshot }
  | { kind: 'request'; record: TimedRequestRecord }
  | ResultMessage;

/** Type guard: is `m` a well-formed {@link WebviewToHost} message (shape only; params are checked per method)? */
export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (o.kind === 'ready') return true;
  return (
    o.kind === 'call' &&
    typeof o.id === 'number' &&
    Number.isSafeInteger(o.id) &&
    typeof o.method === 'string' &&
    (PANEL_METHODS as readonly string[]).includes(o.method) &&
    typeof o.params === 'object' &&
    o.params !== null
  );
}

/** Type guard: is `m` a well-formed {@link HostToWebview} message? */
export function isHostToWebview(m: unknown): m is HostToWebview {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (o.kind === 'snapshot') return typeof o.snapshot === 'object' && o.snapshot !== null;
  if (o.kind === 'request') return typeof o.record === 'object' && o.record !== null;
  return o.kind === 'result' && typeof o.id === 'number' && typeof o.ok === 'boolean';
}
