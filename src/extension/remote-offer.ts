/**
 * "Install in Every Dev Container and SSH Host": adds the extension to the user settings
 * `dev.containers.defaultExtensions` and `remote.SSH.defaultExtensions` (see remote-extensions.ts), so that no
 * repository's devcontainer.json has to list it. Offered once (globalState) when the user works with containers
 * or SSH hosts, also a walkthrough step and a command.
 *
 * Writes ONLY those two user settings (`ConfigurationTarget.Global`), merging with the entries already there and
 * never adding a second copy. From a container or SSH window the write still lands in the user settings on the
 * local computer (VS Code applies configuration writes in the UI, whatever extension host asks).
 */
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import { DEFAULT_EXTENSIONS_SETTINGS, EXTENSION_ID, installSummary, REMOTE_OFFER_KEY, shouldOfferRemoteInstall, withExtension, type SettingOutcome } from './remote-extensions';

/** The command's id (package.json `contributes.commands`, the walkthrough step). */
export const INSTALL_IN_REMOTES_COMMAND = 'codexGateway.installInRemotes';

/** The offer's accept button. */
export const OFFER_ACCEPT = 'Install Everywhere';
/** The offer's decline button (recorded: the offer is not made again; the command stays). */
export const OFFER_DECLINE = 'Not Now';

/** Owns the command and the one-time offer. */
export class RemoteOffer extends Disposable {
  private offerOpen = false;
  /** Installs run one at a time (the offer and the command may race). */
  private chain: Promise<unknown> = Promise.resolve();

  /**
   * @param context for globalState (the offer's answer).
   * @param log the "Codex Gateway" log channel.
   */
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(vscode.commands.registerCommand(INSTALL_IN_REMOTES_COMMAND, () => this.install(true)));
  }

  /**
   * Adds the extension id to each setting (see the file comment).
   * @param explicit true from the command: the result is always shown; from the offer it is shown too.
   * @returns the outcome per setting (the command's result, used by tests). Never throws.
   */
  install(explicit: boolean): Promise<SettingOutcome[]> {
    const run = this.chain.then(() => this.installNow(explicit));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async installNow(explicit: boolean): Promise<SettingOutcome[]> {
    const outcomes: SettingOutcome[] = [];
    for (const setting of DEFAULT_EXTENSIONS_SETTINGS) {
      const cfg = vscode.workspace.getConfiguration(setting.section);
      const merge = withExtension(cfg.inspect<unknown>(setting.key)?.globalValue);
      if (merge.kind !== 'add') {
        outcomes.push({ setting, result: merge.kind });
        continue;
      }
      try {
        await cfg.update(setting.key, merge.next, vscode.ConfigurationTarget.Global);
        outcomes.push({ setting, result: 'added' });
      } catch (e) {
        const msg = (e as Error).message;
        // VS Code refuses a setting no installed extension declares ("... is not a registered configuration").
        outcomes.push(/not a registered configuration/i.test(msg) ? { setting, result: 'unavailable' } : { setting, result: 'failed', error: msg });
      }
    }
    const summary = installSummary(outcomes);
    this.log.info(`Install in every dev container and SSH host: ${outcomes.map((o) => `${o.setting.id} ${o.result}`).join(', ')}.`);
    if (outcomes.some((o) => o.result === 'added' || o.result === 'present')) await this.context.globalState.update(REMOTE_OFFER_KEY, 'installed');
    if (explicit || outcomes.some((o) => o.result !== 'present')) {
      if (summary.ok) void vscode.window.showInformationMessage(`Codex Gateway: ${summary.text}`);
      else void vscode.window.showWarningMessage(`Codex Gateway: ${summary.text || 'nothing was written.'}`);
    }
    return outcomes;
  }

  /** Makes the offer once, when {@link shouldOfferRemoteInstall} says so. Never throws. */
  async offerOnce(): Promise<void> {
    if (this.offerOpen) return;
    const values: Record<string, unknown> = {};
    for (const s of DEFAULT_EXTENSIONS_SETTINGS) values[s.id] = vscode.workspace.getConfiguration(s.section).inspect<unknown>(s.key)?.globalValue;
    const state = {
      answer: this.context.globalState.get<string>(REMOTE_OFFER_KEY),
      remoteName: vscode.env.remoteName,
      installedExtensions: DEFAULT_EXTENSIONS_SETTINGS.map((s) => s.contributedBy).filter((id) => vscode.extensions.getExtension(id) !== undefined),
      values,
    };
    if (!shouldOfferRemoteInstall(state)) return;
    this.offerOpen = true;
    try {
      const choice = await vscode.window.showInformationMessage(
        `Codex Gateway runs in a dev container or on an SSH host only when it is installed there. Install it in every dev container and SSH host? This adds ${EXTENSION_ID} to dev.containers.defaultExtensions and remote.SSH.defaultExtensions in your user settings (nothing else changes); no devcontainer.json needs editing.`,
        OFFER_ACCEPT,
        OFFER_DECLINE,
      );
      if (choice === undefined) return; // dismissed: ask again next time
      if (choice === OFFER_DECLINE) {
        await this.context.globalState.update(REMOTE_OFFER_KEY, 'declined');
        this.log.info(`Install in every dev container and SSH host: declined (run "Codex Gateway: Install in Every Dev Container and SSH Host" any time).`);
        return;
      }
      await this.install(false);
    } catch (e) {
      this.log.error(`The offer to install in every dev container and SSH host failed: ${(e as Error).message}`);
    } finally {
      this.offerOpen = false;
    }
  }
}
