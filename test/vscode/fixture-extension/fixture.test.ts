/**
 * Proves the VS Code test harness on the fixture extension, from the outside (Node + mocha), with a real VS Code
 * (code-server 4.100.3 = VS Code 1.100.3) in headless Chromium:
 * - the in-host suite (suite/*.test.ts, run inside the extension host) passes from the development folder, and
 *   a failing in-host test is reported as exit code 1 with its message;
 * - the workbench UI can be driven: the status bar item is visible by its text, the command runs from the F1
 *   palette, its notification shows, a screenshot lands in test-results/;
 * - `vsce package --no-dependencies` packages the fixture (also with no network at all), and the .vsix
 *   installed with `--install-extension` passes the same in-host suite.
 * Needs `scripts/setup-vscode-test.sh` first. Run: `npm run test:vscode -- test/vscode/fixture-extension`.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GREP_ENV } from '../harness/mocha-host';
import { REPO_ROOT, runVsCodeTests, withVsCode } from '../harness/run';
import { TEST_RESULTS_DIR, notificationToast, runCommandFromPalette, screenshot, statusBarItem, statusBarItemById } from '../harness/ui';
import { FIXTURE_DIR, buildFixture } from './build';

const EXTENSION_ID = 'codex-gateway-tests.harness-fixture';
const VSCE = join(REPO_ROOT, 'node_modules/@vscode/vsce/vsce');
const SETTINGS = { 'harnessFixture.greeting': 'Hi there' };

/** The last lines of a session log, for assertion messages. */
function tail(logs: string[], n = 60): string {
  return `\n--- last ${n} log lines ---\n${logs.slice(-n).join('\n')}`;
}

/** File names inside a zip (a .vsix), read from its central directory (PKWARE APPNOTE 4.3.12, 4.3.16). */
function zipEntries(file: string): string[] {
  const buf = readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, `${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'central directory header signature');
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names.sort();
}

/** Runs `vsce package --no-dependencies` in the fixture folder, optionally inside a network-less namespace. */
function vscePackage(out: string, noNetwork: boolean): void {
  const args = [VSCE, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out];
  const [cmd, argv] = noNetwork ? ['unshare', ['--net', process.execPath, ...args]] : [process.execPath, args];
  const r = spawnSync(cmd, argv, { cwd: FIXTURE_DIR, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `vsce package failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
}

/** True when this process may create a network namespace (root, or unprivileged user namespaces allowed). */
function canIsolateNetwork(): boolean {
  const probe = spawnSync('unshare', ['--net', 'true'], { timeout: 10_000 });
  return probe.status === 0;
}

describe('VS Code harness on the fixture extension', function () {
  this.timeout(240_000);
  let scratch: string;
  let workspace: string;
  let testsEntry: string;
  const fixtureEnv = (mode: 'development' | 'installed'): Record<string, string> => ({
    HARNESS_FIXTURE_HOST: 'remote',
    HARNESS_FIXTURE_MODE: mode,
    HARNESS_FIXTURE_DIR: FIXTURE_DIR,
    HARNESS_FIXTURE_WORKSPACE: workspace,
  });

  before(async () => {
    testsEntry = await buildFixture();
    scratch = await mkdtemp(join(tmpdir(), 'harness-fixture-'));
    workspace = join(scratch, 'workspace');
    await mkdir(workspace);
    await writeFile(join(workspace, 'hello.txt'), 'A folder opened by the harness fixture tests.\n');
  });

  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('passes the in-host suite loaded from the development folder (exit code 0)', async () => {
    const result = await runVsCodeTests({
      extensionDevelopmentPath: FIXTURE_DIR,
      extensionTestsPath: testsEntry,
      workspaceFolder: workspace,
      env: fixtureEnv('development'),
      userSettings: SETTINGS,
    });
    assert.equal(result.exitCode, 0, tail(result.logs));
    assert.ok(result.logs.includes('[exthost] 4 passed, 0 failed, 0 skipped'), tail(result.logs));
  });

  it('reports a failing in-host test as exit code 1, with its message', async () => {
    const result = await runVsCodeTests({
      extensionDevelopmentPath: FIXTURE_DIR,
      extensionTestsPath: testsEntry,
      workspaceFolder: workspace,
      env: { ...fixtureEnv('development'), HARNESS_FIXTURE_INCLUDE_FAILING: '1', [GREP_ENV]: 'deliberate failure|context\\.secrets' },
      userSettings: SETTINGS,
    });
    assert.equal(result.exitCode, 1, tail(result.logs));
    assert.ok(result.logs.includes('[exthost] 1 passed, 1 failed, 0 skipped'), tail(result.logs));
    assert.ok(
      result.logs.some((l) => l.startsWith('[exthost]') && l.includes('deliberate failure to check the harness exit code')),
      tail(result.logs),
    );
  });

  it('drives the workbench: status bar item, command from the F1 palette, notification, screenshot', async () => {
    await withVsCode(
      {
        extensionDevelopmentPath: FIXTURE_DIR,
        workspaceFolder: workspace,
        userSettings: SETTINGS,
        failureScreenshotPath: join(TEST_RESULTS_DIR, 'vscode-fixture-ui-failure.png'),
      },
      async ({ page, logs }) => {
        // The item appears once the extension activated on startup; its DOM id is <extension id>.<item id>.
        const item = statusBarItemById(page, EXTENSION_ID, 'harnessFixture.status');
        await item.waitFor({ state: 'visible', timeout: 60_000 });
        assert.match(await item.innerText(), /Fixture ready/);
        await statusBarItem(page, 'Fixture ready').waitFor({ state: 'visible' });

        await runCommandFromPalette(page, 'Harness Fixture: Say Hello');
        await notificationToast(page, 'Hi there from the harness fixture (1)').waitFor({ state: 'visible', timeout: 30_000 });
        await statusBarItem(page, 'Hi there x1').waitFor({ state: 'visible', timeout: 30_000 });
        const png = await screenshot(page, 'vscode-fixture-ui');
        assert.ok(statSync(png).size > 10_000, `${png} looks empty`);

        // Clicking the item runs its command as well.
        await statusBarItem(page, 'Hi there x1').click();
        await statusBarItem(page, 'Hi there x2').waitFor({ state: 'visible', timeout: 30_000 });

        // Outside test runs the extension host's console reaches the page, marked as such.
        assert.ok(logs.includes('[exthost] harness fixture activated (extension mode Development)'), tail(logs));
      },
    );
  });

  describe('packaged with vsce and installed from the .vsix', () => {
    let vsix: string;

    before(() => {
      vsix = join(scratch, 'harness-fixture.vsix');
      vscePackage(vsix, false);
    });

    it('packages only the manifest, README and the bundled out/extension.js', () => {
      assert.deepEqual(zipEntries(vsix), [
        '[Content_Types].xml',
        'extension.vsixmanifest',
        'extension/out/extension.js',
        'extension/package.json',
        'extension/readme.md',
      ]);
    });

    it('packages with no network at all (inside a network namespace)', function () {
      if (!canIsolateNetwork()) this.skip(); // reported as skipped: this machine cannot create a network namespace
      const offline = join(scratch, 'harness-fixture-offline.vsix');
      vscePackage(offline, true);
      assert.deepEqual(zipEntries(offline), zipEntries(vsix));
    });

    it('passes the in-host suite against the extension installed with --install-extension', async () => {
      const result = await runVsCodeTests({
        vsixPath: vsix,
        extensionTestsPath: testsEntry,
        workspaceFolder: workspace,
        env: fixtureEnv('installed'),
        userSettings: SETTINGS,
      });
      assert.equal(result.exitCode, 0, tail(result.logs));
      assert.ok(result.logs.includes('[exthost] 4 passed, 0 failed, 0 skipped'), tail(result.logs));
      assert.ok(result.logs.includes("[code-server] Extension 'harness-fixture.vsix' was successfully installed."), tail(result.logs));
    });
  });
});
