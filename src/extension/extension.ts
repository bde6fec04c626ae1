/**
 * Codex Gateway for VS Code: the composition root. Creates the log channel, the controller (settings,
 * secrets, gateway worker, status bar, terminal environment, Codex config.toml), the commands and the settings
 * panel's backend (the panel itself is src/extension/panel + webview/), and ties
 * their lifetime to the extension's. Activation: `onStartupFinished` (the gateway should be up before the
 * user opens Codex, without slowing window startup).
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Controller, type ExtensionStatus } from './controller';
import { registerSettingsPanelSerializer } from './panel';
import { createPanelBackend } from './panel-backend';
import { RemoteOffer } from './remote-offer';

/** What `activate` returns (`vscode.extensions.getExtension('codex-gateway.codex-gateway').exports`). */
export interface CodexGatewayApi {
  /** A snapshot of the gateway state (no secrets). */
  status(): ExtensionStatus;
  /** Resolves when the first start attempt finished (running, attached to another window, or error). */
  whenReady(): Promise<void>;
}

let controller: Controller | undefined;

/**
 * Starts the extension. Never throws for a bad config or a busy port: those are shown in the status bar,
 * the log and a notification.
 */
export function activate(context: vscode.ExtensionContext): CodexGatewayApi {
  const log = vscode.window.createOutputChannel('Codex Gateway', { log: true });
  context.subscriptions.push(log);
  const c = new Controller(context, log);
  controller = c;
  const backend = createPanelBackend(c);
  context.subscriptions.push(c, ...registerCommands(c, backend), registerSettingsPanelSerializer(context, backend));
  log.info(`Codex Gateway ${String((context.extension.packageJSON as { version?: unknown }).version)} activating (port ${c.settings.port}, CODEX_HOME ${c.codexHome}).`);
  const remote = new RemoteOffer(context, log);
  context.subscriptions.push(remote);
  void c.start().then(() => remote.offerOnce());
  return { status: () => c.snapshot(), whenReady: () => c.whenReady() };
}

/**
 * Stops the gateway when this window serves it (streams in flight get 3 s); another window takes over
 * within a few seconds. Codex's config.toml is left pointing at the gateway (docs/vscode-extension.md, "Disabling and uninstalling").
 */
export async function deactivate(): Promise<void> {
  const c = controller;
  controller = undefined;
  if (c) await c.host.stop();
}
