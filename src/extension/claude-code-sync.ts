/**
 * Keeps Claude Code pointed at the gateway according to `codexGateway.claudeCode.*`: writes or restores its
 * settings.json (settings-json.ts, through claude-wiring.ts) and the Claude Code extension's
 * `claudeCode.environmentVariables`, and offers the wiring once when Claude Code is installed.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CLAUDE_ENV_KEYS, isClaudeWired, SETTINGS_FILE } from '../gateway/claude/settings-json';
import { applyClaudeSettings, CLAUDE_ENV_SETTING, CLAUDE_EXTENSION_ID, extensionVariables, findOnPath, mergeEnvironmentVariables, OFFER_KEY, PREVIOUS_ENV_KEY, removeEnvironmentVariables, restoreClaudeWiring, shouldOffer, tierModels, wiringFor, type ClaudeWiringState, type EnvVarEntry } from './claude-wiring';
import { Disposable } from './disposable';
import { SECTION, type Settings } from './settings';

/** Claude Code's wiring: state, config directory and the alias per tier (see claude-wiring.ts). */
export interface ClaudeCodeStatus {
  state: ClaudeWiringState;
  configDir: string;
  tiers: { haiku: string; sonnet: string; opus: string };
}

/** What {@link ClaudeCodeSync} needs from the extension. */
export interface ClaudeCodeSyncDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  /** Claude Code's config directory (`$CLAUDE_CONFIG_DIR`, else `~/.claude`). */
  claudeDir: string;
  /** The gateway token file `apiKeyHelper` prints. */
  tokenFile: string;
  /** The settings now. */
  settings: () => Settings;
  /** Turns `codexGateway.claudeCode.enabled` off (in memory and in the user settings). */
  turnOff: () => Promise<void>;
  /** Called when the state shown to the user changed. */
  changed: () => void;
}

/** Claude Code wiring; changes run one at a time, in order. */
export class ClaudeCodeSync extends Disposable {
  private state: ClaudeWiringState = 'off';
  private offerOpen = false;
  /** Claude Code wiring runs one change at a time, in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ClaudeCodeSyncDeps) {
    super();
  }

  /**
   * Applies `codexGateway.claudeCode.*`: when enabled, writes Claude Code's settings.json and (when the Claude
   * Code extension is installed) `claudeCode.environmentVariables`; when disabled after having been wired,
   * restores both; when never answered and Claude Code is there, offers it once. Errors are shown and logged.
   */
  sync(): Promise<void> {
    const run = this.chain.then(() => this.syncNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async syncNow(): Promise<void> {
    const s = this.deps.settings();
    if (!s.claudeCodeEnabled) {
      if (this.state === 'wired' || (await this.wiredBefore())) await this.restoreNow(false);
      else void this.offer();
      return;
    }
    try {
      const res = await applyClaudeSettings({ configDir: this.deps.claudeDir, port: s.port, tokenFile: this.deps.tokenFile, models: s.claudeCodeModels });
      if (res.changed) this.deps.log.info(`Claude Code settings ${res.path} now point at the gateway.${res.backupPath ? ` Original saved as ${res.backupPath}.` : ''}`);
      await this.deps.context.globalState.update(OFFER_KEY, 'enabled');
      if (vscode.extensions.getExtension(CLAUDE_EXTENSION_ID)) {
        const cfg = vscode.workspace.getConfiguration(CLAUDE_ENV_SETTING.section);
        const current = cfg.inspect<unknown>(CLAUDE_ENV_SETTING.key)?.globalValue;
        const m = mergeEnvironmentVariables(current, extensionVariables(wiringFor(s.port, this.deps.tokenFile, s.claudeCodeModels)));
        if (m.changed) {
          const kept = this.deps.context.globalState.get<EnvVarEntry[]>(PREVIOUS_ENV_KEY);
          if (kept === undefined) await this.deps.context.globalState.update(PREVIOUS_ENV_KEY, m.displaced);
          await cfg.update(CLAUDE_ENV_SETTING.key, m.next, vscode.ConfigurationTarget.Global);
          this.deps.log.info('claudeCode.environmentVariables now point the Claude Code extension at the gateway.');
        }
      }
      this.state = 'wired';
    } catch (e) {
      this.state = 'error';
      const msg = (e as Error).message;
      this.deps.log.error(`Could not point Claude Code at the gateway: ${msg}`);
      void vscode.window.showErrorMessage(`Codex Gateway could not update Claude Code's settings: ${msg}`, 'Open settings.json').then((b) => {
        if (b) void vscode.window.showTextDocument(vscode.Uri.file(path.join(this.deps.claudeDir, SETTINGS_FILE)));
      });
    }
    this.deps.changed();
  }

  /** Whether an earlier session wired Claude Code (our state file next to settings.json, or our env entries). */
  private async wiredBefore(): Promise<boolean> {
    if (this.deps.context.globalState.get<EnvVarEntry[]>(PREVIOUS_ENV_KEY) !== undefined) return true;
    return isClaudeWired(this.deps.claudeDir);
  }

  /** Offers the wiring once when Claude Code is installed and the user never answered. */
  private async offer(): Promise<void> {
    if (this.offerOpen) return;
    const answer = this.deps.context.globalState.get<string>(OFFER_KEY);
    const extensionInstalled = vscode.extensions.getExtension(CLAUDE_EXTENSION_ID) !== undefined;
    if (answer !== undefined || this.deps.settings().claudeCodeEnabled) return;
    const claudeOnPath = !extensionInstalled && (await findOnPath('claude')) !== undefined;
    if (!shouldOffer({ enabled: this.deps.settings().claudeCodeEnabled, answer, claudeOnPath, extensionInstalled })) return;
    this.offerOpen = true;
    try {
      const choice = await vscode.window.showInformationMessage(
        `Claude Code is installed. Let it use Codex Gateway's models too? Codex Gateway adds the gateway address and a token command to ${path.join(this.deps.claudeDir, SETTINGS_FILE)} (keeping the rest) and "Codex Gateway: Restore Claude Code Settings" puts it back.`,
        'Enable',
        'Not now',
      );
      if (choice === undefined) return; // dismissed: ask again next time
      await this.deps.context.globalState.update(OFFER_KEY, choice === 'Enable' ? 'enabled' : 'declined');
      if (choice === 'Enable') await vscode.workspace.getConfiguration(SECTION).update('claudeCode.enabled', true, vscode.ConfigurationTarget.Global);
    } finally {
      this.offerOpen = false;
    }
  }

  /**
   * "Restore Claude Code Settings": turns `codexGateway.claudeCode.enabled` off and puts settings.json and
   * `claudeCode.environmentVariables` back (see settings-json.ts for the rule).
   * @param explicit true from the command: says what happened in a notification.
   */
  async restore(explicit: boolean): Promise<void> {
    if (this.deps.settings().claudeCodeEnabled) await this.deps.turnOff();
    const run = this.chain.then(() => this.restoreNow(explicit));
    this.chain = run.catch(() => undefined);
    await run;
  }

  private async restoreNow(explicit: boolean): Promise<void> {
    try {
      const res = await restoreClaudeWiring(this.deps.claudeDir);
      const prev = this.deps.context.globalState.get<EnvVarEntry[]>(PREVIOUS_ENV_KEY);
      let envChanged = false;
      if (prev !== undefined && vscode.extensions.getExtension(CLAUDE_EXTENSION_ID)) {
        const cfg = vscode.workspace.getConfiguration(CLAUDE_ENV_SETTING.section);
        const r = removeEnvironmentVariables(cfg.inspect<unknown>(CLAUDE_ENV_SETTING.key)?.globalValue, CLAUDE_ENV_KEYS, prev);
        if (r.changed) {
          await cfg.update(CLAUDE_ENV_SETTING.key, r.next, vscode.ConfigurationTarget.Global);
          envChanged = true;
        }
      }
      if (prev !== undefined) await this.deps.context.globalState.update(PREVIOUS_ENV_KEY, undefined);
      const what = res.how === 'exact' ? `restored ${res.path} as it was` : res.how === 'keys' ? `removed its entries from ${res.path} (you edited the file since, so the rest stays as it is now)` : `found nothing of its own in ${res.path}`;
      this.deps.log.info(`Claude Code: Codex Gateway ${what}${envChanged ? ' and from claudeCode.environmentVariables' : ''}.`);
      if (res.how !== 'none' || envChanged) this.state = 'restored';
      if (explicit) void vscode.window.showInformationMessage(`Codex Gateway ${what}${envChanged ? '; claudeCode.environmentVariables is back to your entries' : ''}. Claude Code sessions started from now on use your own settings.`);
    } catch (e) {
      const msg = (e as Error).message;
      this.deps.log.error(`Could not restore Claude Code's settings: ${msg}`);
      void vscode.window
        .showErrorMessage(`Codex Gateway could not restore Claude Code's settings: ${msg}. Fix what it names (the file's permissions, or its JSON), then run "Codex Gateway: Restore Claude Code Settings" again.`, 'Open settings.json')
        .then((b) => {
          if (b) void vscode.window.showTextDocument(vscode.Uri.file(path.join(this.deps.claudeDir, SETTINGS_FILE)));
        });
    }
    this.deps.changed();
  }

  /** Claude Code's wiring for the status bar, the panel and the API. */
  status(): ClaudeCodeStatus {
    const t = tierModels(this.deps.settings().claudeCodeModels);
    return { state: this.state, configDir: this.deps.claudeDir, tiers: { haiku: t.haiku, sonnet: t.sonnet, opus: t.opus } };
  }
}
