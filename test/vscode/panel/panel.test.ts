/**
 * The settings panel inside a real VS Code (code-server 4.100.3 + headless Chromium, test/vscode/harness): the
 * panel fixture extension (fixture/) opens the real panel host (src/extension/panel) with the real webview bundle,
 * VS Code's real webview CSP handling and theme variables, backed by an in-memory backend in front of a real
 * gateway whose upstream is a mock server here. Driven as a person would, and photographed in the dark, light and
 * high-contrast themes to media/screenshots/panel-*.png.
 *
 * Run: `npm run test:vscode -- test/vscode/panel/panel.test.ts` (needs scripts/setup-vscode-test.sh first).
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { chatText, errorReply, MockUpstream } from '../../helpers/mock-upstream';
import { bundleForExtensionHost } from '../harness/build';
import { REPO_ROOT, withVsCode } from '../harness/run';
import { runCommandFromPalette, TEST_RESULTS_DIR } from '../harness/ui';

const FIXTURE = join(__dirname, 'fixture');
const SCREENSHOTS = join(REPO_ROOT, 'media/screenshots');
const fakeKey = (label: string) => `test-${label}-${randomBytes(10).toString('hex')}`;

/** The webview's document inside the workbench (two nested iframes, see /work/shared/notes/vscode-in-ci.md). */
function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Picks an option of a vscode-single-select inside the panel: open it, click the option. */
async function pickOption(frame: FrameLocator, select: string, label: string): Promise<void> {
  await frame.locator(select).click();
  await frame.locator(`${select} .dropdown li`).filter({ hasText: label }).first().click();
}

/** A PNG of the editor area (where the panel is) to media/screenshots/<name>. */
async function shoot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const box = (await page.locator('.part.editor').boundingBox())!;
  await page.screenshot({ path: join(SCREENSHOTS, name), clip: { x: Math.floor(box.x), y: Math.floor(box.y), width: Math.floor(box.width), height: Math.floor(Math.min(box.height, 640)) } });
}

describe('settings panel in VS Code (panel fixture extension)', function () {
  this.timeout(300_000);
  let up: MockUpstream;
  let scratch: string;
  let workspace: string;

  before(async () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `build failed:\n${r.stdout}\n${r.stderr}`);
    await bundleForExtensionHost([join(FIXTURE, 'src/extension.ts')], join(FIXTURE, 'out'));
    await mkdir(join(FIXTURE, 'dist'), { recursive: true });
    for (const f of ['webview.js', 'webview.css', 'codicon.ttf']) await copyFile(join(REPO_ROOT, 'dist', f), join(FIXTURE, 'dist', f));
    scratch = await mkdtemp(join(tmpdir(), 'panel-vscode-'));
    workspace = join(scratch, 'workspace');
    await mkdir(workspace, { recursive: true });
    await writeFile(join(workspace, 'README.md'), 'Settings panel test workspace.\n');
    up = await MockUpstream.start({ name: 'panel-vscode' });
    up.setFallback(chatText('Hello from the mock provider, ready to help.'));
  });
  after(async () => {
    await up?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** The fixture's initial settings: two local aliases, one DeepSeek alias whose key is missing, one fallback. */
  const config = () => ({
    model_list: [
      { model_name: 'gpt-5-mini', litellm_params: { model: 'openai/gpt-5-mini', api_base: up.baseUrl }, model_info: { context_window: 400000 } },
      { model_name: 'local-qwen', litellm_params: { model: 'openai_compatible/qwen2.5-coder', api_base: up.baseUrl }, model_info: { context_window: 32768 } },
      { model_name: 'deepseek', litellm_params: { model: 'deepseek/deepseek-chat', api_base: up.baseUrl, api_key: 'os.environ/DEEPSEEK_API_KEY' }, model_info: { context_window: 128000 } },
    ],
    router_settings: { num_retries: 1, fallbacks: [{ 'gpt-5-mini': ['deepseek', 'local-qwen'] }] },
  });

  /** Opens VS Code with a theme, opens the panel, hands the webview frame to `fn`. */
  async function session(theme: string, fn: (page: Page, frame: FrameLocator, consoleLines: string[]) => Promise<void>): Promise<void> {
    const consoleLines: string[] = [];
    await withVsCode(
      {
        extensionDevelopmentPath: FIXTURE,
        workspaceFolder: workspace,
        timeoutMs: 240_000,
        env: { PANEL_FIXTURE_CONFIG: JSON.stringify(config()) },
        userSettings: { 'workbench.colorTheme': theme, 'window.commandCenter': false, 'workbench.activityBar.location': 'hidden', 'workbench.sideBar.location': 'left', 'workbench.startupEditor': 'none' },
        viewport: { width: 1280, height: 760 },
        onLog: (line) => {
          if (/panel-fixture|panelFixture|\[exthost\]|rror/.test(line)) process.stdout.write(`${line}\n`);
        },
        failureScreenshotPath: join(TEST_RESULTS_DIR, `panel-${theme.replace(/\W+/g, '-')}-failure.png`),
      },
      async ({ page }) => {
        page.on('console', (m) => consoleLines.push(m.text()));
        // The development extension's commands appear once the extension host has scanned it: retry for a while.
        for (let attempt = 1; ; attempt++) {
          try {
            await runCommandFromPalette(page, 'Panel Fixture: Open Settings Panel', { timeoutMs: 8_000 });
            break;
          } catch (e) {
            if (attempt >= 8) throw e;
            await page.keyboard.press('Escape');
            await page.waitForTimeout(2_000);
          }
        }
        const frame = panelFrame(page);
        await frame.locator('table.grid').waitFor({ timeout: 60_000 });
        await fn(page, frame, consoleLines);
      },
    );
  }

  it('dark: add an alias with a preset, set its key, reorder its fallback chain, save; Test reaches the gateway', async () => {
    const key = fakeKey('deepseek');
    await session('Default Dark Modern', async (page, frame, consoleLines) => {
      const before = up.requests.length;
      await page.waitForTimeout(500);
      await shoot(page, 'panel-models-dark.png');
      // Set the missing DeepSeek key inline.
      const row = frame.locator('table.grid tbody tr[data-index="2"]');
      await row.locator('.key-missing').waitFor();
      await row.locator('vscode-button[aria-label="Set DEEPSEEK_API_KEY"]').click();
      await row.locator('vscode-textfield[type="password"] input').fill(key);
      await row.locator('vscode-textfield[type="password"] input').press('Enter');
      await row.locator('.key-set').waitFor();
      // Add a Groq alias from the preset, pointed at the mock.
      await pickOption(frame, '#add-preset', 'Groq');
      await frame.locator('#add-model').click();
      await frame.locator('#field-model_list_5b3_5d_2emodel_name input').fill('fast');
      await frame.locator('#field-model_list_5b3_5d_2elitellm_params_2emodel input').fill('llama-3.3-70b-versatile');
      await frame.locator('#field-model_list_5b3_5d_2elitellm_params_2eapi_base input').fill(up.baseUrl);
      await frame.locator('.bar-dirty').filter({ hasText: 'no problems' }).waitFor();
      await frame.locator('table.grid tbody tr[data-index="3"] .key-missing').waitFor();
      await shoot(page, 'panel-editor-dark.png');
      // Fallbacks: move local-qwen first with Alt+Up, add fast at the end.
      await frame.locator('vscode-tab-header[data-tab="fallbacks"]').click();
      const item = frame.locator('#chain-item-gpt-5-mini-local-qwen');
      await item.focus();
      await item.press('Alt+ArrowUp');
      await frame.locator('#chain-gpt-5-mini li').first().filter({ hasText: 'local-qwen' }).waitFor();
      await pickOption(frame, '#chain-gpt-5-mini-add', 'fast');
      await frame.locator('#chain-item-gpt-5-mini-fast').waitFor();
      await page.waitForTimeout(300);
      await shoot(page, 'panel-fallbacks-dark.png');
      await frame.locator('#save').click();
      await frame.locator('.bar-info').filter({ hasText: 'Saved to your user settings' }).waitFor();
      // Routed by the saved settings: gpt-5-mini fails once (no retries left after 1), local-qwen answers.
      up.enqueue(errorReply(500), errorReply(500), chatText('local qwen answering'));
      await frame.locator('vscode-tab-header[data-tab="live"]').click();
      await frame.locator('vscode-button[aria-label="Test gpt-5-mini"]').click();
      const ok = frame.locator('.test-result.ok');
      await ok.waitFor({ timeout: 30_000 });
      assert.match(await ok.innerText(), /a fallback answered[\s\S]*local qwen answering/);
      assert.equal(up.requests.at(-1)!.body.model, 'qwen2.5-coder');
      // The DeepSeek alias uses the key set in the panel.
      up.enqueue(chatText('deepseek answering'));
      await frame.locator('vscode-button[aria-label="Test deepseek"]').click();
      await frame.locator('tr', { has: frame.locator('code', { hasText: /^deepseek$/ }) }).locator('.test-result.ok').waitFor({ timeout: 30_000 });
      assert.equal(up.requests.at(-1)!.headers.authorization, `Bearer ${key}`);
      // The new Groq alias has no key yet: the error says so and what to do.
      await frame.locator('vscode-button[aria-label="Test fast"]').click();
      let fail = frame.locator('.test-result.fail');
      await fail.waitFor({ timeout: 30_000 });
      assert.match(await fail.innerText(), /GROQ_API_KEY is not set[\s\S]*Set GROQ_API_KEY in the Key column/);
      // A failing upstream: its error and what to do.
      up.enqueue(errorReply(404, { error: { message: 'The model `qwen2.5-coder` does not exist', type: 'invalid_request_error', code: 'model_not_found' } }));
      await frame.locator('vscode-button[aria-label="Test local-qwen"]').click();
      fail = frame.locator('tr', { has: frame.locator('code', { hasText: /^local-qwen$/ }) }).locator('.test-result.fail');
      await fail.waitFor({ timeout: 30_000 });
      assert.match(await fail.innerText(), /does not exist|not found|404/i);
      assert.ok(up.requests.length >= before + 5);
      await page.waitForTimeout(300);
      await shoot(page, 'panel-live-dark.png');
      // (The workbench's own page refuses its marketplace query to the harness's closed gallery port: not ours.)
      const csp = consoleLines.filter((l) => /Content Security Policy|Refused to/.test(l) && !/\/gallery\//.test(l));
      assert.deepEqual(csp, [], 'no CSP violations in the real webview');
      assert.ok(!consoleLines.some((l) => l.includes(key)), 'the key never reaches a log');
    });
  });

  it('light and high contrast: the panel follows the theme', async () => {
    for (const [theme, file] of [
      ['Default Light Modern', 'panel-models-light.png'],
      ['Default High Contrast', 'panel-models-hc.png'],
    ] as const) {
      await session(theme, async (page, frame) => {
        const bodyClass = await frame.locator('body').getAttribute('class');
        assert.match(bodyClass ?? '', theme.includes('Light') ? /vscode-light/ : /vscode-high-contrast/);
        const fg = await frame.locator('body').evaluate((b) => getComputedStyle(b).color);
        assert.equal(fg, theme.includes('Light') ? 'rgb(59, 59, 59)' : 'rgb(255, 255, 255)', 'text uses the theme foreground');
        await page.waitForTimeout(500);
        await shoot(page, file);
      });
    }
  });
});
