/**
 * Issue 10, in a real VS Code (code-server 4.100.3 = VS Code 1.100.3, headless Chromium), with the Codex Gateway
 * extension packaged (`vsce package --no-dependencies`) and installed from its .vsix, as users get it. code-server's
 * extension host is VS Code's remote extension host, the one devcontainers and Remote-SSH use.
 *
 * - The one-time offer "Install it in every dev container and SSH host?" shows at startup (Dev Containers is
 *   installed: a stub with its id, `ms-vscode-remote.remote-containers`, declaring `dev.containers.defaultExtensions`
 *   and, standing in for Remote-SSH, `remote.SSH.defaultExtensions`; loaded as the session's development extension
 *   like the Claude Code stub of test/vscode/claude). This test clicks its button as a person would, then compares
 *   the WHOLE user settings.json before and after: the only difference is our id added to
 *   `dev.containers.defaultExtensions` (after the user's own entry) and a new `remote.SSH.defaultExtensions`.
 * - The status bar tooltip says where the gateway runs (code-server names its remote `127.0.0.1:PORT`).
 * - The in-host suite (`suite/remote.test.ts`) checks the settings from the API, runs the command again (no second
 *   copy), then a config with `general_settings.master_key` (in settings, and imported from LiteLLM config.yaml
 *   files) wires Codex with no extra step.
 *
 * Everything is on 127.0.0.1 with temp HOME / CODEX_HOME / CODEX_GATEWAY_HOME. `CGW_TEST_VSIX=/abs/x.vsix` tests
 * that package instead of packaging the working tree.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'jsonc-parser';
import { waitFor } from '../../helpers/wait';
import { buildExtensionTests } from '../harness/build';
import { freePort, logTail, withVsCode } from '../harness/run';
import { notificationToast, statusBarItemById, TEST_RESULTS_DIR } from '../harness/ui';
import { makeTempHome } from '../harness/home';
import { vsixUnderTest, writeStubExtension } from '../harness/vsix';

const EXTENSION_ID = 'codex-gateway.codex-gateway';
/** The user's own `dev.containers.defaultExtensions` (user settings): kept, ours goes after it. */
const USER_DEV_EXTENSIONS = ['ms-python.python'];
/** Text of the offer and its accept button (src/extension/remote-offer.ts). */
const OFFER_TEXT = 'Install it in every dev container and SSH host?';
const OFFER_ACCEPT = 'Install Everywhere';

/** Writes the stub Dev Containers extension (manifest only) into `dir`. */
async function writeDevContainersStub(dir: string): Promise<void> {
  const list = (description: string) => ({ type: 'array', items: { type: 'string' }, default: [], scope: 'application', description });
  await writeStubExtension(dir, {
    name: 'remote-containers',
    publisher: 'ms-vscode-remote',
    displayName: 'Dev Containers (test stub)',
    description: 'Stub of Dev Containers for the Codex Gateway tests: declares dev.containers.defaultExtensions (and remote.SSH.defaultExtensions, for Remote - SSH) only.',
    configuration: {
      title: 'Dev Containers',
      properties: {
        'dev.containers.defaultExtensions': list('Extensions installed in every container.'),
        'remote.SSH.defaultExtensions': list('Extensions installed on every SSH host.'),
      },
    },
  });
}

describe('Install in every dev container and SSH host, in VS Code (code-server, installed .vsix)', function () {
  this.timeout(360_000);
  let scratch: string;
  let vsix: string;
  let testsEntry: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cgw-remote-vscode-'));
    vsix = vsixUnderTest(scratch);
    testsEntry = await buildExtensionTests(join(__dirname, 'suite'), join(__dirname, 'suite', 'out'));
  });
  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('accepting the offer writes dev.containers.defaultExtensions and remote.SSH.defaultExtensions and nothing else; a master key in the config wires Codex', async () => {
    const { home, codexHome, gatewayHome, workspace } = await makeTempHome(scratch, 'home', 'A folder for the devcontainer / SSH test.\n');
    const suiteScratch = join(scratch, 'suite');
    const stub = join(scratch, 'dev-containers-stub');
    await mkdir(suiteScratch, { recursive: true, mode: 0o700 });
    await writeDevContainersStub(stub);
    const port = await freePort();
    const goFile = join(scratch, 'settings-checked');
    const masterKey = `sk-litellm-master-test-${randomBytes(12).toString('hex')}`;

    const logs = await withVsCode(
      {
        vsixPath: vsix,
        extensionDevelopmentPath: stub,
        extensionTestsPath: testsEntry,
        workspaceFolder: workspace,
        timeoutMs: 240_000,
        env: {
          HOME: home,
          CODEX_HOME: codexHome,
          CODEX_GATEWAY_HOME: gatewayHome,
          OPENAI_API_KEY: '',
          LITELLM_MASTER_KEY: masterKey,
          CGW_TEST_PORT: String(port),
          CGW_TEST_USER_DEV_EXTENSIONS: JSON.stringify(USER_DEV_EXTENSIONS),
          CGW_TEST_GO_FILE: goFile,
          CGW_TEST_SCRATCH: suiteScratch,
        },
        userSettings: { 'codexGateway.port': port, 'dev.containers.defaultExtensions': USER_DEV_EXTENSIONS },
        failureScreenshotPath: join(TEST_RESULTS_DIR, 'vscode-remote-failure.png'),
      },
      async (session) => {
        const { page } = session;
        const settingsFile = join(session.userDataDir, 'User', 'settings.json');
        const toast = notificationToast(page, OFFER_TEXT);
        await toast.waitFor({ state: 'visible', timeout: 90_000 });
        const beforeText = readFileSync(settingsFile, 'utf8');
        const before = parse(beforeText) as Record<string, unknown>;
        assert.deepEqual(before['dev.containers.defaultExtensions'], USER_DEV_EXTENSIONS, 'nothing wrote the setting before the offer was accepted');
        assert.equal(before['remote.SSH.defaultExtensions'], undefined);

        await toast.getByRole('button', { name: OFFER_ACCEPT }).click();

        const afterText = await waitFor(
          'settings.json to list the extension in both settings',
          () => {
            const text = readFileSync(settingsFile, 'utf8');
            const v = parse(text) as Record<string, unknown>;
            const has = (k: string) => Array.isArray(v[k]) && (v[k] as unknown[]).includes(EXTENSION_ID);
            return has('dev.containers.defaultExtensions') && has('remote.SSH.defaultExtensions') ? text : undefined;
          },
          30_000,
        );
        const after = parse(afterText) as Record<string, unknown>;
        // The whole file: every other setting is as it was, in its place; ours are the only difference.
        assert.deepEqual(after, { ...before, 'dev.containers.defaultExtensions': [...USER_DEV_EXTENSIONS, EXTENSION_ID], 'remote.SSH.defaultExtensions': [EXTENSION_ID] }, `settings.json after the offer:\n${afterText}`);
        assert.deepEqual(Object.keys(after), [...Object.keys(before), 'remote.SSH.defaultExtensions']);
        for (const line of beforeText.split('\n')) {
          if (line.includes('dev.containers.defaultExtensions') || /^\s*"ms-python\.python"|^\s*[\]}],?$/.test(line)) continue;
          assert.ok(afterText.includes(line.replace(/,$/, '')), `the line ${JSON.stringify(line)} is gone:\n${afterText}`);
        }
        assert.ok(!afterText.includes('codexGateway.') || afterText.match(/codexGateway\./g)!.length === beforeText.match(/codexGateway\./g)!.length, 'no codexGateway setting was added');

        // The tooltip says where the gateway runs (code-server's remote is named by its HOST:PORT).
        const status = statusBarItemById(page, EXTENSION_ID, 'codexGateway.status');
        await status.waitFor({ state: 'visible', timeout: 30_000 });
        await status.hover();
        const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Codex Gateway' }).first();
        await hover.waitFor({ state: 'visible', timeout: 20_000 });
        assert.match(await hover.innerText(), new RegExp(`Runs in the remote 127\\.0\\.0\\.1:${session.port}`));
        await page.mouse.move(10, 10);

        await writeFile(goFile, 'ok\n');
        const code = await session.testsExitCode;
        assert.equal(code, 0, logTail(session.logs));
        // The live array: the suite's last report lines are flushed into it during teardown.
        return session.logs;
      },
    );
    const summary = logs.find((l) => /^\[exthost\] \d+ passed, \d+ failed, \d+ skipped$/.test(l));
    assert.ok(summary && /^\[exthost\] 5 passed, 0 failed, 0 skipped$/.test(summary), `${summary}${logTail(logs)}`);
    // Neither the gateway token nor the master key reached a log line.
    const token = readFileSync(join(gatewayHome, 'master_key'), 'utf8').trim();
    assert.ok(token.length >= 16);
    for (const secret of [token, masterKey]) assert.ok(!logs.some((l) => l.includes(secret)), 'a secret appeared in the log');
  });
});
