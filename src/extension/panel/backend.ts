/**
 * What the settings panel needs from the extension: {@link PanelBackend}, implemented by the extension's controller
 * and handed to `openSettingsPanel`. No `vscode` import (events are typed structurally, so `vscode.Event<T>` fits
 * {@link PanelEvent}), which lets the unit tests drive the panel host with an in-memory backend.
 */
import type { ClaudeTier, ConfigIssue, KeyState, PanelSnapshot, TestAliasResult, TimedRequestRecord } from '../../shared/panel-protocol';

/**
 * An event: subscribe with a listener, get a disposable back. `vscode.Event<T>` (and `EventEmitter.event`) has this
 * shape, so pass those directly.
 */
export type PanelEvent<T> = (listener: (e: T) => unknown) => { dispose(): unknown };

/**
 * The extension's state as the panel shows it (no secret values): the panel snapshot without the live-view
 * fields, which the panel host adds from {@link PanelBackend.recentRequests}.
 */
export type PanelBackendState = Omit<PanelSnapshot, 'recent' | 'liveWindowMs'>;

/**
 * Implemented by the extension (the lead wires it to the controller). Every method may throw / reject with an Error
 * whose message says what happened and what to do; the panel shows it. No method ever returns a key's value.
 */
export interface PanelBackend {
  /** The current state (called on the `ready` handshake and after every `onDidChange`). */
  getState(): PanelBackendState;
  /**
   * Fires when settings (`codexGateway.*`, also edited by hand in settings.json), secrets or the gateway state
   * changed; the panel then sends a fresh snapshot.
   */
  onDidChange: PanelEvent<void>;
  /**
   * Validates a raw config with the engine (`resolveConfig`, as the extension prepares it for the gateway).
   * @returns every issue with its path (a `codexGateway.config.` prefix is accepted); `[]` when valid.
   */
  validate(raw: unknown): ConfigIssue[] | Promise<ConfigIssue[]>;
  /** Writes `codexGateway.config` to user settings (the source of truth). Called only with a config that validated. */
  saveConfig(raw: unknown): Promise<void>;
  /** Writes `codexGateway.defaultModel` (the status bar's model; `''` = first alias). */
  setDefaultModel(alias: string): Promise<void>;
  /** Stores a provider key in SecretStorage under `name` (trimmed value). */
  setKey(name: string, value: string): Promise<void>;
  /** Deletes a provider key from SecretStorage (the environment is not touched). */
  clearKey(name: string): Promise<void>;
  /** States of the named keys (also names the saved config does not reference yet). */
  keyStatus(names: string[]): Promise<Record<string, KeyState>>;
  /**
   * Sends a tiny request for `alias` through the running gateway (`testAliasThroughGateway` in test-alias.ts does
   * it given the gateway's URL and token). Never throws for a failed request: that is `{ok: false, error, hint}`.
   */
  testAlias(alias: string): Promise<TestAliasResult>;
  /** Finished requests of (at least) the last `liveWindowMs`, any order. */
  recentRequests(): TimedRequestRecord[];
  /** Fires for every finished gateway request (successful ones too). */
  onRequest: PanelEvent<TimedRequestRecord>;
  /** Runs the "Import LiteLLM config.yaml into Settings" command (its own dialogs). */
  importLiteLLM(): Promise<void>;
  /** Runs the "Export Settings to LiteLLM config.yaml" command. */
  exportLiteLLM(): Promise<void>;
  /** Writes `codexGateway.claudeCode.enabled` (user settings); the extension wires or restores Claude Code. */
  setClaudeCodeEnabled(enabled: boolean): Promise<void>;
  /** Writes one tier of `codexGateway.claudeCode.models` (user settings), keeping the other tiers. */
  setClaudeCodeModel(tier: ClaudeTier, alias: string): Promise<void>;
  /**
   * Shows `CHATGPT_PLAN_CONSENT` (src/shared/panel-protocol.ts) in a modal dialog with the button "Use my ChatGPT
   * plan" and resolves `true` only when the user chose it (Cancel or closing the dialog: `false`). Writes nothing.
   */
  confirmChatgptPlan(): Promise<boolean>;
}

/**
 * Whether a `claudeCode.environmentVariables` value (the Claude Code extension's user setting: an array of
 * `{name, value}`) points that extension at the gateway: it has `ANTHROPIC_BASE_URL` = `baseUrl`.
 */
export function claudeExtensionSettingSet(current: unknown, baseUrl: string): boolean {
  if (!Array.isArray(current)) return false;
  return current.some((e) => typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'ANTHROPIC_BASE_URL' && (e as { value?: unknown }).value === baseUrl);
}
