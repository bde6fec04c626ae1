/**
 * Keeps Codex's `config.toml` pointed at this window's gateway according to `codexGateway.codexConfig`
 * (auto / ask / off): decides with codex-wiring.ts, asks when told to, writes through config-toml.ts, and
 * shows what happened (or what failed and what to do).
 */
import * as vscode from 'vscode';
import { applyCodexWiring, decideCodexAction, readSelection, PROVIDER_ID, type AuthRunner } from './codex-wiring';
import { Disposable } from './disposable';
import { SECTION, type CodexConfigMode } from './settings';

/** globalState key: the `model_provider` value the user chose to keep when asked (`''` = none). */
export const DECLINED_KEY = 'codexGateway.declinedProvider';

/** What {@link CodexConfigSync} needs from the extension. */
export interface CodexConfigSyncDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  /** Codex's home directory (holds config.toml). */
  codexHome: string;
  /** The gateway token file Codex's `auth.command` reads. */
  tokenFile: string;
  /** Runs Codex's auth command: this extension host's executable and the extension's `dist/codex-auth.js`. */
  authRunner: AuthRunner;
  /** The gateway port now. */
  port: () => number;
  /** `codexGateway.codexConfig` now. */
  mode: () => CodexConfigMode;
  /** Aliases of the config in force (empty when none is). */
  aliases: () => string[];
}

/** Writes config.toml when the settings say so; one question at a time. */
export class CodexConfigSync extends Disposable {
  private askOpen = false;

  constructor(private readonly deps: CodexConfigSyncDeps) {
    super();
  }

  /**
   * Points Codex's config.toml at the gateway according to `codexGateway.codexConfig` (auto / ask / off).
   * Never throws: a failure is logged and shown with a button to open config.toml.
   * @param explicit true when the user ran "Point Codex at the Gateway": writes even when the mode is `off` or
   *   the user declined before.
   */
  async sync(explicit: boolean): Promise<void> {
    const { context, log, codexHome, tokenFile } = this.deps;
    try {
      const sel = await readSelection(codexHome);
      const aliases = this.deps.aliases();
      const declined = context.globalState.get<string>(DECLINED_KEY);
      let action = decideCodexAction(explicit ? 'auto' : this.deps.mode(), sel, aliases, explicit ? undefined : declined);
      if (action.kind === 'skip') return;
      if (action.kind === 'ask') {
        if (this.askOpen) return;
        this.askOpen = true;
        const current = action.current ?? '';
        const label = action.current ? `the provider "${action.current}"` : "OpenAI (Codex's default provider)";
        const choice = await vscode.window.showInformationMessage(
          `Codex is set to use ${label}. Point Codex (CLI and IDE) at Codex Gateway? Your current choice is saved and "Codex Gateway: Restore Codex Config" puts it back.`,
          'Use Codex Gateway',
          'Keep Current',
          'Never Ask',
        );
        this.askOpen = false;
        if (choice === 'Keep Current') await context.globalState.update(DECLINED_KEY, current);
        if (choice === 'Never Ask') await vscode.workspace.getConfiguration(SECTION).update('codexConfig', 'off', vscode.ConfigurationTarget.Global);
        if (choice !== 'Use Codex Gateway') return;
        action = decideCodexAction('auto', await readSelection(codexHome), aliases);
        if (action.kind !== 'write') return;
      }
      await context.globalState.update(DECLINED_KEY, undefined);
      const res = await applyCodexWiring({ codexHome, port: this.deps.port(), tokenFile, runner: this.deps.authRunner, ...(action.model !== undefined ? { model: action.model } : {}) });
      if (res.changed) {
        log.info(`Codex config ${res.path} now points at the gateway (provider ${PROVIDER_ID}; auth command ${this.deps.authRunner.script}).${res.backupPath ? ` Original saved as ${res.backupPath}.` : ''}`);
        if (action.replaces !== undefined) {
          void vscode.window.showInformationMessage(
            `Codex Gateway set Codex's model_provider to "${PROVIDER_ID}" (it was "${action.replaces}"). Run "Codex Gateway: Restore Codex Config" to go back, or set codexGateway.codexConfig to "ask" to be asked first.`,
          );
        }
      }
    } catch (e) {
      const msg = (e as Error).message;
      log.error(`Could not update Codex's config.toml: ${msg}`);
      void vscode.window.showErrorMessage(`Codex Gateway could not update Codex's config.toml: ${msg}`, 'Open config.toml').then((b) => {
        if (b) void vscode.window.showTextDocument(vscode.Uri.file(`${codexHome}/config.toml`));
      });
    }
  }
}
