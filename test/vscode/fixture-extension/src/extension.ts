/**
 * The harness fixture extension: a throwaway extension that exercises the VS Code APIs the real extension
 * relies on (command, status bar item, setting, terminal environment, secret storage), so the harness can be
 * proven on them. Bundled by esbuild to out/extension.js (see fixture.test.ts).
 */
import * as vscode from 'vscode';

/** Secret storage key the fixture uses. */
export const SECRET_KEY = 'harnessFixture.token';

/** What `activate` returns; the in-host suite reads it through `extension.exports`. */
export interface FixtureApi {
  /** The status bar item (id `harnessFixture.status`, name "Harness Fixture"). */
  statusBarItem: vscode.StatusBarItem;
  /** How many times `harnessFixture.hello` ran. */
  helloCount(): number;
  /** Stores `value` under {@link SECRET_KEY} in `context.secrets`. */
  storeToken(value: string): Promise<void>;
  /** Reads {@link SECRET_KEY}; `undefined` when never stored (a fresh profile has no secrets). */
  readToken(): Promise<string | undefined>;
  /** Deletes {@link SECRET_KEY}. */
  deleteToken(): Promise<void>;
  /** Keys reported by `context.secrets.onDidChange`, in order. */
  secretChanges: string[];
  /** The extension's terminal environment collection. */
  environment: vscode.GlobalEnvironmentVariableCollection;
}

/**
 * Activated on startup finished. Shows the status bar item, registers `harnessFixture.hello` (returns the new
 * count, updates the item's text to `<greeting> x<count>` and shows a notification), sets
 * `HARNESS_FIXTURE=active` for new terminals, and watches its secret.
 */
export function activate(context: vscode.ExtensionContext): FixtureApi {
  const item = vscode.window.createStatusBarItem('harnessFixture.status', vscode.StatusBarAlignment.Left, 100);
  item.name = 'Harness Fixture';
  item.text = '$(beaker) Fixture ready';
  item.tooltip = 'Harness Fixture: click to say hello';
  item.command = 'harnessFixture.hello';
  item.show();

  let count = 0;
  const secretChanges: string[] = [];
  context.subscriptions.push(
    item,
    vscode.commands.registerCommand('harnessFixture.hello', () => {
      count++;
      const greeting = vscode.workspace.getConfiguration('harnessFixture').get<string>('greeting', 'Hello');
      item.text = `$(beaker) ${greeting} x${count}`;
      // Not awaited: the promise settles only when the user dismisses the notification.
      void vscode.window.showInformationMessage(`${greeting} from the harness fixture (${count})`);
      return count;
    }),
    context.secrets.onDidChange((e) => secretChanges.push(e.key)),
  );

  context.environmentVariableCollection.description = 'Marks terminals opened while the harness fixture is active';
  context.environmentVariableCollection.replace('HARNESS_FIXTURE', 'active');
  // The harness shows the extension host's console as [exthost] lines; the UI test looks for this one.
  console.log(`harness fixture activated (extension mode ${vscode.ExtensionMode[context.extensionMode]})`);

  return {
    statusBarItem: item,
    helloCount: () => count,
    storeToken: (value) => Promise.resolve(context.secrets.store(SECRET_KEY, value)),
    readToken: () => Promise.resolve(context.secrets.get(SECRET_KEY)),
    deleteToken: () => Promise.resolve(context.secrets.delete(SECRET_KEY)),
    secretChanges,
    environment: context.environmentVariableCollection,
  };
}

/** Nothing to release beyond `context.subscriptions`. */
export function deactivate(): void {}
