/**
 * "Codex Gateway: Open Settings": the settings panel (a webview) for aliases, fallbacks, router settings, provider
 * keys, the default model and a live view of requests. This module hosts it in VS Code; the UI is `webview/`
 * (bundled to dist/webview.js + dist/webview.css), and the two talk only through src/shared/panel-protocol.ts.
 *
 * Wiring (the extension's controller implements {@link PanelBackend}):
 * ```ts
 * reg('codexGateway.openSettings', () => openSettingsPanel(context, backend));
 * context.subscriptions.push(registerSettingsPanelSerializer(context, backend)); // optional: restore after reload
 * ```
 *
 * Security: `enableScripts` with a strict CSP (see html.ts), `localResourceRoots` limited to dist/ and media/, no
 * command URIs, no `retainContextWhenHidden` (the page keeps its state with `getState`/`setState`). Key values go
 * webview -> host only.
 */
import * as vscode from 'vscode';
import type { PanelBackend } from './backend';
import { PanelDispatcher } from './dispatch';
import { makeNonce, panelHtml } from './html';

export type { PanelBackend, PanelBackendState, PanelEvent } from './backend';
export { PanelDispatcher, type DispatcherOptions } from './dispatch';
export { testAliasThroughGateway, type TestAliasOptions } from './test-alias';

/** The webview panel's view type (also the id of its serializer). */
export const SETTINGS_VIEW_TYPE = 'codexGateway.settings';

/** Title of the panel's editor tab. */
const TITLE = 'Codex Gateway Settings';

let current: { panel: vscode.WebviewPanel; dispatcher: PanelDispatcher } | undefined;

/** Webview options: scripts on, local files only from dist/ and media/. */
function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
  };
}

/** Fills a (new or restored) panel and connects it to the backend. */
function attach(context: vscode.ExtensionContext, panel: vscode.WebviewPanel, backend: PanelBackend): void {
  const webview = panel.webview;
  webview.options = webviewOptions(context);
  panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
  const dispatcher = new PanelDispatcher(backend, (m) => webview.postMessage(m));
  const sub = webview.onDidReceiveMessage((m: unknown) => void dispatcher.handle(m));
  webview.html = panelHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview.css')).toString(),
    title: TITLE,
  });
  current = { panel, dispatcher };
  panel.onDidDispose(() => {
    sub.dispose();
    dispatcher.dispose();
    if (current?.panel === panel) current = undefined;
  });
}

/**
 * Opens the settings panel, or reveals it when it is already open (one panel per window).
 * @param context the extension's context (for `extensionUri`).
 * @param backend the extension's implementation of {@link PanelBackend}.
 * @returns the panel (tests use it to check visibility; callers may ignore it).
 */
export function openSettingsPanel(context: vscode.ExtensionContext, backend: PanelBackend): vscode.WebviewPanel {
  if (current) {
    current.panel.reveal();
    return current.panel;
  }
  const panel = vscode.window.createWebviewPanel(SETTINGS_VIEW_TYPE, TITLE, vscode.ViewColumn.Active, webviewOptions(context));
  attach(context, panel, backend);
  return panel;
}

/**
 * Restores an open settings panel after a window reload (VS Code keeps the panel's `getState` and calls the
 * serializer). Needs `"onWebviewPanel:codexGateway.settings"` among the activation events only if the extension
 * is not active at startup anyway.
 * @returns the registration to dispose on deactivation.
 */
export function registerSettingsPanelSerializer(context: vscode.ExtensionContext, backend: PanelBackend): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(SETTINGS_VIEW_TYPE, {
    deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
      if (current) {
        panel.dispose();
        current.panel.reveal();
        return;
      }
      attach(context, panel, backend);
    },
  });
}
