/**
 * Runs INSIDE the VS Code extension host (code-server's remote extension host) against the fixture extension,
 * proving that each API the real extension needs works there. fixture.test.ts passes, through the harness's
 * `env` option: HARNESS_FIXTURE_HOST=remote (code-server's extension host is a remote one),
 * HARNESS_FIXTURE_MODE (`development` or `installed`), HARNESS_FIXTURE_DIR (the fixture's source folder) and
 * HARNESS_FIXTURE_WORKSPACE (the opened folder); and the user setting `harnessFixture.greeting` = "Hi there".
 * On a desktop VS Code (.vscode-test.mjs) HARNESS_FIXTURE_HOST is unset: the local extension host is checked.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FixtureApi } from '../src/extension';

const EXTENSION_ID = 'codex-gateway-tests.harness-fixture';
const SECRET_KEY = 'harnessFixture.token';

/** Polls `probe` every 100 ms until it returns a value other than undefined; fails after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fixture(): vscode.Extension<FixtureApi> {
  const ext = vscode.extensions.getExtension<FixtureApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded in this extension host`);
  return ext;
}

/** The fixture's API once it activated by itself (onStartupFinished); never activates it from the test. */
function activeApi(): Promise<FixtureApi> {
  const ext = fixture();
  return waitFor('the fixture to activate on startup', () => (ext.isActive ? ext.exports : undefined));
}

describe('harness fixture inside the extension host', () => {
  it('activates by itself on startup, as a workspace extension in the remote extension host', async () => {
    await activeApi();
    const ext = fixture();
    if (process.env.HARNESS_FIXTURE_HOST === 'remote') {
      // The devcontainer / Remote-SSH case: extensionKind ["workspace"] puts the extension in the remote host.
      assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
      assert.ok(vscode.env.remoteName, 'code-server runs extensions in a remote extension host, so remoteName is set');
    } else {
      // Desktop VS Code with no remote: the API reports UI for every extension.
      assert.equal(ext.extensionKind, vscode.ExtensionKind.UI);
      assert.equal(vscode.env.remoteName, undefined);
    }
    const mode = process.env.HARNESS_FIXTURE_MODE;
    if (mode === 'development') {
      assert.equal(ext.extensionPath, process.env.HARNESS_FIXTURE_DIR, 'loaded from its development folder');
    } else {
      assert.equal(mode, 'installed', 'HARNESS_FIXTURE_MODE reaches the extension host through the harness env');
      assert.notEqual(ext.extensionPath, process.env.HARNESS_FIXTURE_DIR);
      assert.match(ext.extensionPath, /codex-gateway-tests\.harness-fixture-0\.0\.1$/, 'loaded from the installed .vsix');
    }
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepEqual(
      folders.map((f) => f.uri.fsPath),
      [process.env.HARNESS_FIXTURE_WORKSPACE],
    );
  });

  it('runs its command, which updates the status bar item with the user setting', async () => {
    const api = await activeApi();
    assert.ok((await vscode.commands.getCommands(true)).includes('harnessFixture.hello'));
    assert.equal(vscode.workspace.getConfiguration('harnessFixture').get('greeting'), 'Hi there', 'settings.json from the harness');
    const before = api.helloCount();
    const count = await vscode.commands.executeCommand<number>('harnessFixture.hello');
    assert.equal(count, before + 1);
    assert.equal(api.helloCount(), count);
    assert.equal(api.statusBarItem.id, 'harnessFixture.status');
    assert.equal(api.statusBarItem.name, 'Harness Fixture');
    assert.equal(api.statusBarItem.text, `$(beaker) Hi there x${count}`);
  });

  it('puts its environmentVariableCollection entry into a new terminal', async () => {
    const api = await activeApi();
    const mutator = api.environment.get('HARNESS_FIXTURE');
    assert.equal(mutator?.value, 'active');
    assert.equal(mutator?.type, vscode.EnvironmentVariableMutatorType.Replace);

    const out = join(tmpdir(), `harness-fixture-env-${randomUUID()}.txt`);
    const terminal = vscode.window.createTerminal({
      name: 'harness fixture env check',
      shellPath: '/bin/sh',
      shellArgs: ['-c', `printf '%s' "$HARNESS_FIXTURE" > '${out}.part' && mv '${out}.part' '${out}'`],
    });
    try {
      const seen = await waitFor('the terminal to write its HARNESS_FIXTURE value', () => {
        try {
          return readFileSync(out, 'utf8');
        } catch {
          return undefined;
        }
      });
      assert.equal(seen, 'active');
    } finally {
      terminal.dispose();
      rmSync(out, { force: true });
    }
  });

  it('keeps a value in context.secrets, reports the change and deletes it', async () => {
    const api = await activeApi();
    assert.equal(await api.readToken(), undefined, 'a fresh browser profile starts with no secrets');
    const value = `fixture-secret-${randomUUID()}`;
    await api.storeToken(value);
    assert.equal(await api.readToken(), value);
    await waitFor('secrets.onDidChange', () => (api.secretChanges.includes(SECRET_KEY) ? true : undefined));
    await api.deleteToken();
    assert.equal(await api.readToken(), undefined);
  });
});
