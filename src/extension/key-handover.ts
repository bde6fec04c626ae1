/**
 * Cross-window key hand-over. When another VS Code window serves the gateway (this window is `attached`), a
 * key set or cleared here is handed to that window's worker, which would otherwise keep serving the old value
 * (SecretStorage is not shared live between the windows of code-server, nor of VS Code without an OS keyring;
 * see messages.ts). The other way round, a key another window handed to this window's worker is kept in this
 * window's SecretStorage too. Hand-overs run one at a time, in order (a later value must win).
 */
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import type { GatewayHost } from './gateway-host';
import type { SecretCache } from './secrets';
import { keyNamesOf, namesOutsideApiKey, type ResolvedSettingsConfig } from './settings';

/** What {@link KeyHandover} needs from the extension. */
export interface KeyHandoverDeps {
  secrets: SecretCache;
  host: GatewayHost;
  log: vscode.LogOutputChannel;
  /** Whether another window serves the gateway now (host phase `attached`). */
  attached: () => boolean;
  /** The config in force, if any. */
  config: () => ResolvedSettingsConfig | undefined;
}

/** Hands keys to and from the gateway of another window. */
export class KeyHandover extends Disposable {
  /** Hand-overs, one at a time and in order. */
  private chain: Promise<void> = Promise.resolve();

  /** Listens to this window's secret writes; the caller routes the worker's peer secrets to {@link fromPeer}. */
  constructor(private readonly deps: KeyHandoverDeps) {
    super();
    this.register(
      deps.secrets.onDidWrite((w) => {
        this.inOrder(() => this.forward(w.name, w.value));
      }),
    );
  }

  /**
   * The worker of this window took a key another window set or cleared: keep it in this window's SecretStorage
   * too (queued behind earlier hand-overs), so the secrets map sent to the worker keeps it and the status shows it.
   */
  fromPeer(name: string, value: string | undefined): void {
    this.inOrder(() => this.keepPeerSecret(name, value));
  }

  /** Waits for the hand-overs queued so far (tests and shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Runs hand-overs one after the other (an error is logged and does not stop the next one). */
  private inOrder(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((e: unknown) => this.deps.log.error(`Key hand-over between windows failed: ${(e as Error).message}`));
  }

  /**
   * A key set or cleared in this window while another window serves the gateway: hand it to that gateway.
   * Only `api_key` names of the config in force, used nowhere else, are handed over (the gateway refuses the
   * others); a failure is shown with what to do.
   */
  private async forward(name: string, value: string | undefined): Promise<void> {
    const { host, log } = this.deps;
    const good = this.deps.config();
    if (!this.deps.attached() || !good) return;
    if (!keyNamesOf(good.config).includes(name) || namesOutsideApiKey(good.raw).has(name)) return;
    const r = await host.forwardSecret(name, value);
    if (r.ok) {
      log.info(`Key ${name} ${value === undefined ? 'cleared in' : 'handed to'} the gateway another VS Code window serves.`);
      return;
    }
    log.warn(`Key ${name} was ${value === undefined ? 'deleted' : 'saved'} in this window, but the gateway another VS Code window serves did not take it: ${r.reason}`);
    void vscode.window
      .showWarningMessage(
        `Codex Gateway: ${name} was ${value === undefined ? 'deleted' : 'saved'} here, but the gateway runs in another VS Code window and did not take it: ${r.reason.replace(/\.$/, '')}.`,
        'Show Log',
      )
      .then((b) => {
        if (b) log.show();
      });
  }

  /** Nothing is written when SecretStorage already has that value (windows that share it live). */
  private async keepPeerSecret(name: string, value: string | undefined): Promise<void> {
    const { secrets, log } = this.deps;
    try {
      if ((await secrets.storedValue(name)) === value) return;
      if (value === undefined) await secrets.delete(name);
      else await secrets.store(name, value);
      log.info(`Key ${name} was ${value === undefined ? 'cleared' : 'set'} in another VS Code window; the gateway uses that now.`);
    } catch (e) {
      log.error(`Key ${name} from another VS Code window could not be kept in this window's secret storage (${(e as Error).message}); the gateway uses it until the next change of keys or settings.`);
    }
  }
}
