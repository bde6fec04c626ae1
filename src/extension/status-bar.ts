/**
 * The extension's one status bar item: default alias + gateway state, a Markdown tooltip with details and
 * command links, and a click that opens the model picker. Content comes from `status-model.ts`.
 */
import { hostname } from 'node:os';
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import { gatewayLocation, statusView, type GatewayLocation, type StatusInput } from './status-model';

/** Commands the tooltip links to (the MarkdownString trusts exactly these). */
const TOOLTIP_COMMANDS = ['codexGateway.selectModel', 'codexGateway.setProviderKey', 'codexGateway.showLog', 'workbench.action.openSettings'];

/** Identifier of the item (its DOM id is `<publisher>.<name>.<id>`; users can hide it by this name). */
export const STATUS_ITEM_ID = 'codexGateway.status';

/** Owns the status bar item and re-renders it on {@link update}. */
export class StatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private last?: string;
  /** Where this extension host runs (fixed for the window's life: a remote window is a new extension host). */
  private readonly where: GatewayLocation = gatewayLocation(vscode.env.remoteName, hostname());

  constructor() {
    super();
    this.item = this.register(vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Right, 100));
    this.item.name = 'Codex Gateway';
    this.item.command = 'codexGateway.selectModel';
    this.item.text = '$(loading~spin) Codex Gateway';
    this.item.accessibilityInformation = { label: 'Codex Gateway is starting', role: 'button' };
    this.item.show();
  }

  /** Renders the state (with where the gateway runs added); does nothing when nothing visible changed. */
  update(input: StatusInput): void {
    const view = statusView({ where: this.where, ...input });
    const key = JSON.stringify(view);
    if (key === this.last) return;
    this.last = key;
    this.item.text = view.text;
    const md = new vscode.MarkdownString(view.tooltip, true);
    md.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: view.ariaLabel, role: 'button' };
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
  }
}
