/**
 * The Codex Gateway extension in a real VS Code (code-server 4.100.3 = VS Code 1.100.3, headless Chromium), the
 * way users get it: packaged with `vsce package --no-dependencies` and installed from the .vsix.
 *
 * 1. The in-host suite (test/vscode/suite/*.test.ts) runs inside the extension host: the gateway answers on
 *    loopback, config.toml is written in a temp CODEX_HOME keeping the user's file, a key set through the
 *    command reaches a mock upstream, Select Model switches `default`, invalid settings keep the last good
 *    config, terminals get the environment, the real Codex CLI run in a VS Code terminal reaches the gateway,
 *    token rotation, import/export, restore.
 * 2. The UI, driven with playwright as a person would: the status bar item shows the alias, its picker switches
 *    it (the next request goes to the new model), Set Provider Key through the QuickPick and the password box,
 *    a second window attaches to the same gateway, a key set there (Set Provider Key) is used by the gateway the
 *    first window serves, and the second window takes over when the first one's extension host stops.
 *    Screenshots of the status bar, its tooltip and the picker go to media/screenshots/.
 *
 * Everything runs on 127.0.0.1 with temp HOME / CODEX_HOME / CODEX_GATEWAY_HOME; provider keys are generated per
 * run. Needs `scripts/setup-vscode-test.sh` first. Run:
 *   npx mocha --node-option import=tsx --timeout 600000 test/vscode/extension.test.ts
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chatText, MockUpstream } from '../helpers/mock-upstream';
import { buildExtensionTests } from './harness/build';
import { freePort, logTail, REPO_ROOT, runVsCodeTests, withVsCode, type VsCodeSession } from './harness/run';
import { makeTempHome, type TempHome } from './harness/home';
import { vsixUnderTest } from './harness/vsix';
import { TEST_RESULTS_DIR, notificationToast, pickQuickPickItem, quickInput, quickPickRows, runCommandFromPalette, statusBarItemById } from './harness/ui';

const EXTENSION_ID = 'codex-gateway.codex-gateway';
const STATUS_ITEM = 'codexGateway.status';
const CODEX_BIN = join(REPO_ROOT, 'node_modules/.bin/codex');
const SCREENSHOTS = join(REPO_ROOT, 'media/screenshots');

/** A user's own Codex config (comments, another provider, quiet settings), all keys valid for --strict-config. */
const USER_CONFIG_TOML = [
  '# My Codex settings',
  'model = "gpt-5.5"  # what I normally use',
  'model_provider = "corp"',
  'check_for_update_on_startup = false',
  '',
  '# the company proxy',
  '[model_providers.corp]',
  'name = "Corp"',
  'base_url = "http://127.0.0.1:9/v1"',
  'env_key = "CORP_KEY"',
  '',
  '[analytics]',
  'enabled = false',
  '',
  '[otel]',
  'exporter = "none"',
  '',
].join('\n');

const fake = (label: string) => `test-${label}-${randomBytes(10).toString('hex')}`;



/** Temp HOME with CODEX_HOME (holding the user's config.toml), CODEX_GATEWAY_HOME and a workspace. */
async function makeHome(root: string, name: string): Promise<TempHome> {
  const dirs = await makeTempHome(root, name, 'A folder for the Codex Gateway extension tests.\n');
  await writeFile(join(dirs.codexHome, 'config.toml'), USER_CONFIG_TOML, { mode: 0o600 });
  return dirs;
}

describe('Codex Gateway extension in VS Code (code-server)', function () {
  this.timeout(600_000);
  let scratch: string;
  let vsix: string;
  let testsEntry: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cgw-vscode-'));
    vsix = vsixUnderTest(scratch);
    testsEntry = await buildExtensionTests(join(__dirname, 'suite'), join(__dirname, 'suite', 'out'));
  });
  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('passes the in-host suite with the extension installed from its .vsix', async () => {
    const dirs = await makeHome(scratch, 'suite');
    const port = await freePort();
    const result = await runVsCodeTests({
      vsixPath: vsix,
      extensionTestsPath: testsEntry,
      workspaceFolder: dirs.workspace,
      timeoutMs: 400_000,
      env: {
        HOME: dirs.home,
        CODEX_HOME: dirs.codexHome,
        CODEX_GATEWAY_HOME: dirs.gatewayHome,
        OPENAI_API_KEY: '',
        CGW_TEST_PORT: String(port),
        CGW_TEST_WORKSPACE: dirs.workspace,
        CGW_TEST_CODEX_BIN: CODEX_BIN,
        CGW_TEST_USER_CONFIG: USER_CONFIG_TOML,
      },
      userSettings: { 'codexGateway.port': port },
      failureScreenshotPath: join(TEST_RESULTS_DIR, 'vscode-extension-suite-failure.png'),
    });
    const summary = result.logs.find((l) => /^\[exthost\] \d+ passed, \d+ failed, \d+ skipped$/.test(l));
    assert.equal(result.exitCode, 0, logTail(result.logs));
    assert.ok(summary && / 0 failed, 0 skipped$/.test(summary), logTail(result.logs));
    // No generated key ever reached a log line.
    assert.ok(!result.logs.some((l) => /test-(alpha|imported)-[0-9a-f]{20}/.test(l)), 'a provider key appeared in the log');
  });

  describe('UI', () => {
    let up: MockUpstream;
    before(async () => {
      up = await MockUpstream.start({ name: 'ui-provider' });
      up.setFallback(chatText('ok'));
    });
    after(async () => {
      await up?.close();
    });

    /** The status bar item of the extension in a window. */
    const item = (page: Page) => statusBarItemById(page, EXTENSION_ID, STATUS_ITEM);

    /**
     * "Codex Gateway: Set Provider Key" from F1 in `page`: waits for the command's own QuickPick (the palette's
     * widget is reused by it, see runCommandFromPalette), picks CGW_UI_KEY, waits for the password box titled
     * with that name, types `value` and confirms.
     */
    async function setKeyThroughPalette(page: Page, value: string): Promise<void> {
      await runCommandFromPalette(page, 'Codex Gateway: Set Provider Key', { opens: { title: 'Codex Gateway: Set Provider Key' }, timeoutMs: 30_000 });
      await pickQuickPickItem(page, /CGW_UI_KEY/);
      const password = quickInput(page, { title: 'Codex Gateway: CGW_UI_KEY' }).locator('input[type="password"]');
      await password.waitFor({ state: 'visible', timeout: 20_000 });
      await password.fill(value);
      await password.press('Enter');
      // The password box closes once it took the value (nothing else opens in the widget after it).
      await quickInput(page, { title: 'Codex Gateway: CGW_UI_KEY' }).waitFor({ state: 'hidden', timeout: 20_000 });
    }

    /** Screenshot of a region around a locator, small enough to commit. */
    async function shot(page: Page, file: string, box: { x: number; y: number; width: number; height: number }): Promise<void> {
      await mkdir(SCREENSHOTS, { recursive: true });
      const vp = page.viewportSize()!;
      const x = Math.max(0, Math.floor(box.x));
      const y = Math.max(0, Math.floor(box.y));
      await page.screenshot({ path: join(SCREENSHOTS, file), clip: { x, y, width: Math.min(vp.width - x, Math.ceil(box.width)), height: Math.min(vp.height - y, Math.ceil(box.height)) } });
    }

    it('status bar shows the alias; the picker switches it; a key set through the password box is used; a second window attaches, a key set there is used, and it takes over', async () => {
      const dirs = await makeHome(scratch, 'ui');
      const port = await freePort();
      const uiKey = fake('uikey');
      const config = {
        model_list: [
          { model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: up.baseUrl } },
          { model_name: 'beta', litellm_params: { model: 'openai_compatible/beta-model', api_base: up.baseUrl }, model_info: { display_name: 'Beta' } },
          { model_name: 'gamma', litellm_params: { model: 'deepseek/deepseek-chat', api_base: up.baseUrl, api_key: 'os.environ/CGW_UI_KEY' } },
        ],
        router_settings: { num_retries: 0, fallbacks: [{ alpha: ['beta'] }] },
      };
      const tokenOf = () => readFileSync(join(dirs.gatewayHome, 'master_key'), 'utf8').trim();
      const request = async (model: string) => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/responses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokenOf()}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, input: 'hi', stream: false }),
          signal: AbortSignal.timeout(20_000),
        });
        return { status: res.status, text: await res.text() };
      };

      await withVsCode(
        {
          vsixPath: vsix,
          workspaceFolder: dirs.workspace,
          timeoutMs: 300_000,
          env: { HOME: dirs.home, CODEX_HOME: dirs.codexHome, CODEX_GATEWAY_HOME: dirs.gatewayHome },
          userSettings: { 'codexGateway.port': port, 'codexGateway.config': config, 'workbench.colorTheme': 'Default Dark Modern' },
          viewport: { width: 1280, height: 720 },
          failureScreenshotPath: join(TEST_RESULTS_DIR, 'vscode-extension-ui-failure.png'),
        },
        async (session: VsCodeSession) => {
          const { page } = session;
          const status = item(page);
          await status.waitFor({ state: 'visible', timeout: 90_000 });
          await page.waitForFunction(
            (sel) => document.querySelector(sel)?.textContent?.includes('alpha') ?? false,
            `#workbench\\.parts\\.statusbar [id="${EXTENSION_ID}.${STATUS_ITEM}"]`,
            { timeout: 60_000 },
          );
          assert.equal(await status.locator('.codicon-server-process').count(), 1, 'running in this window');
          assert.equal(await status.getAttribute('aria-label'), 'Codex Gateway running, default model alpha');
          const bar = (await page.locator('#workbench\\.parts\\.statusbar').boundingBox())!;
          const box = (await status.boundingBox())!;
          await shot(page, 'status-bar.png', { x: box.x - 220, y: bar.y, width: box.width + 440, height: bar.height });

          // Tooltip: port, provider model, fallbacks, command links.
          await status.hover();
          const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Codex Gateway' }).first();
          await hover.waitFor({ state: 'visible', timeout: 20_000 });
          const hoverText = await hover.innerText();
          assert.match(hoverText, new RegExp(`running on port ${port}`));
          assert.match(hoverText, /alpha.*openai_compatible\/alpha-model/s);
          assert.match(hoverText, /Fallbacks: beta/);
          assert.match(hoverText, /Select Model/);
          const hb = (await hover.boundingBox())!;
          await shot(page, 'status-tooltip.png', { x: hb.x - 8, y: hb.y - 8, width: hb.width + 16, height: hb.height + box.height + 24 });
          await page.mouse.move(10, 10);

          // The request Codex sends as `default` goes to alpha now.
          let r = await request('default');
          assert.equal(r.status, 200, r.text);
          assert.equal(up.requests.at(-1)!.body.model, 'alpha-model');

          // Click: the model picker. Rows show provider/model and key status.
          await status.click();
          await quickInput(page, { title: 'Codex Gateway: Select Model' }).waitFor({ state: 'visible', timeout: 20_000 });
          await quickPickRows(page).first().waitFor({ state: 'visible', timeout: 20_000 });
          const rows = await quickPickRows(page).allInnerTexts();
          assert.equal(rows.length, 3, rows.join('\n---\n'));
          assert.match(rows[0], /alpha[\s\S]*openai_compatible\/alpha-model \(current\)/);
          assert.match(rows[2], /gamma[\s\S]*deepseek\/deepseek-chat[\s\S]*CGW_UI_KEY missing/);
          const widget = (await page.locator('.quick-input-widget').boundingBox())!;
          await shot(page, 'model-picker.png', { x: widget.x, y: widget.y, width: widget.width, height: widget.height + 4 });
          await pickQuickPickItem(page, /^beta/);
          await page.waitForFunction(
            (sel) => document.querySelector(sel)?.textContent?.includes('beta') ?? false,
            `#workbench\\.parts\\.statusbar [id="${EXTENSION_ID}.${STATUS_ITEM}"]`,
            { timeout: 20_000 },
          );
          r = await request('default');
          assert.equal(r.status, 200, r.text);
          assert.equal(up.requests.at(-1)!.body.model, 'beta-model', 'the next request uses the picked model');
          // Saved in the user settings of the machine the extension runs on (the remote's Machine settings in
          // code-server, as for any remote window; User settings locally).
          const saved = () =>
            ['Machine', 'User'].some((d) => {
              const f = join(session.userDataDir, d, 'settings.json');
              return existsSync(f) && readFileSync(f, 'utf8').includes('"codexGateway.defaultModel": "beta"');
            });
          await waitUntil(saved, 10_000, 'defaultModel saved in settings');

          // Set Provider Key: QuickPick of referenced names, then the password box.
          const missing = await request('gamma');
          assert.notEqual(missing.status, 200);
          assert.match(missing.text, /CGW_UI_KEY is not set/);
          await setKeyThroughPalette(page, uiKey);
          await waitUntilAsync(async () => (await request('gamma')).status === 200, 20_000, 'gamma to work with the new key');
          const last = up.requests.at(-1)!;
          assert.equal(last.body.model, 'deepseek-chat');
          assert.equal(last.headers.authorization, `Bearer ${uiKey}`);

          // A second window (another browser tab = another extension host) uses the same gateway.
          const page2 = await page.context().newPage();
          await page2.goto(session.url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
          const status2 = item(page2);
          await status2.waitFor({ state: 'visible', timeout: 90_000 });
          await status2.locator('.codicon-link').waitFor({ state: 'attached', timeout: 60_000 });
          assert.match(await status2.innerText(), /beta/);
          assert.match((await status2.getAttribute('aria-label')) ?? '', /default model beta/);

          // A key set in the window that does NOT serve the gateway reaches the gateway that serves (the first
          // window's worker). In code-server each page caches SecretStorage when it loads and hears of no change
          // made by another page, so only the extension can carry it across.
          const uiKey2 = fake('uikey2');
          await setKeyThroughPalette(page2, uiKey2);
          const carried = () => {
            const auth = up.requests.at(-1)?.headers.authorization;
            return auth === `Bearer ${uiKey2}` ? 'the key set in the second window' : auth === `Bearer ${uiKey}` ? "the first window's old key" : 'another value';
          };
          await waitUntilAsync(async () => (await request('gamma')).status === 200 && carried() === 'the key set in the second window', 20_000, 'gamma to use the key set in the second window').catch(
            (e: Error) => {
              throw new Error(`${e.message}; the last upstream request carried ${carried()}`);
            },
          );
          assert.equal(await status.locator('.codicon-server-process').count(), 1, 'the first window still serves the gateway');
          assert.equal(up.requests.at(-1)!.body.model, 'deepseek-chat');

          // The first window closes (its extension host stops): the second takes over within a few seconds.
          const closedAt = Date.now();
          await page.close({ runBeforeUnload: true });
          await status2.locator('.codicon-server-process').waitFor({ state: 'attached', timeout: 30_000 });
          const tookOverMs = Date.now() - closedAt;
          r = await request('default');
          assert.equal(r.status, 200, r.text);
          assert.equal(up.requests.at(-1)!.body.model, 'beta-model');
          // The new owner serves the key it set itself.
          r = await request('gamma');
          assert.equal(r.status, 200, r.text);
          assert.equal(up.requests.at(-1)!.headers.authorization, `Bearer ${uiKey2}`);
          process.stdout.write(`      (second window took over ${tookOverMs} ms after the first closed)\n`);
          assert.ok(!session.logs.some((l) => l.includes(uiKey) || l.includes(uiKey2)), 'a provider key appeared in the log');
        },
      );
      // config.toml was wired in the temp CODEX_HOME, the user's lines kept.
      const toml = await readFile(join(dirs.codexHome, 'config.toml'), 'utf8');
      assert.match(toml, /^model_provider = "codex-gateway"/m);
      assert.ok(toml.includes('# the company proxy\n[model_providers.corp]'), toml);
      assert.ok(existsSync(join(SCREENSHOTS, 'model-picker.png')));
    });

    it('with codexConfig "ask", a notification asks before replacing the provider the user chose', async () => {
      const dirs = await makeHome(scratch, 'ask');
      const port = await freePort();
      const cfgPath = join(dirs.codexHome, 'config.toml');
      await withVsCode(
        {
          vsixPath: vsix,
          workspaceFolder: dirs.workspace,
          timeoutMs: 240_000,
          env: { HOME: dirs.home, CODEX_HOME: dirs.codexHome, CODEX_GATEWAY_HOME: dirs.gatewayHome },
          userSettings: {
            'codexGateway.port': port,
            'codexGateway.codexConfig': 'ask',
            'codexGateway.config': { model_list: [{ model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: up.baseUrl } }] },
            'workbench.colorTheme': 'Default Dark Modern',
          },
          viewport: { width: 1280, height: 720 },
          failureScreenshotPath: join(TEST_RESULTS_DIR, 'vscode-extension-ask-failure.png'),
        },
        async ({ page }) => {
          const toast = notificationToast(page, 'Codex is set to use the provider "corp"');
          await toast.waitFor({ state: 'visible', timeout: 90_000 });
          assert.equal(readFileSync(cfgPath, 'utf8'), USER_CONFIG_TOML, 'nothing written before the user answers');
          const tb = (await toast.boundingBox())!;
          await shot(page, 'ask-notification.png', { x: tb.x - 4, y: tb.y - 4, width: tb.width + 8, height: tb.height + 8 });
          await toast.getByRole('button', { name: 'Use Codex Gateway' }).click();
          await waitUntil(() => /^model_provider = "codex-gateway"/m.test(readFileSync(cfgPath, 'utf8')), 20_000, 'config.toml to be wired');
          const toml = readFileSync(cfgPath, 'utf8');
          assert.match(toml, /^model = "default"  # what I normally use$/m);
          assert.ok(toml.includes('# the company proxy\n[model_providers.corp]'), toml);
        },
      );
    });
  });
});

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  return waitUntilAsync(async () => cond(), ms, what);
}

async function waitUntilAsync(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
