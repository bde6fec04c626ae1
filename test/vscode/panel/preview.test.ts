/**
 * The settings panel's UI in headless Chromium (playwright-core + Debian's /usr/bin/chromium), served by the preview
 * server (preview.ts): the real page and CSP, the real bundle (dist/webview.js, built here), the real host side and
 * validation, a real gateway in front of a mock upstream on 127.0.0.1. Driven as a person would: clicks, typing,
 * keyboard (Alt+Down to reorder), reload (VS Code re-creating a hidden webview).
 *
 * Run: `npm run test:vscode -- test/vscode/panel/preview.test.ts` (needs Chromium: scripts/setup-vscode-test.sh).
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chatText, errorReply, MockUpstream } from '../../helpers/mock-upstream';
import { DEFAULT_CHROMIUM_PATH, REPO_ROOT } from '../harness/run';
import { LocalBackend } from './local-backend';
import { startPreview, type Preview } from './preview';

const fakeKey = (label: string) => `test-${label}-${randomBytes(10).toString('hex')}`;

/** Picks an option of a vscode-single-select as a person does: open it, click the option. */
export async function pickOption(page: Page, select: string, label: string): Promise<void> {
  await page.locator(select).click();
  await page.locator(`${select} .dropdown li`).filter({ hasText: label }).first().click();
}

describe('settings panel in a browser (preview server)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let up: MockUpstream;
  let backend: LocalBackend;
  let preview: Preview;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `build failed:\n${r.stdout}\n${r.stderr}`);
    browser = await chromium.launch({ executablePath: DEFAULT_CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], headless: true, timeout: 60_000 });
  });
  after(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    up = await MockUpstream.start({ name: 'panel-ui' });
    up.setFallback(chatText('Hello from the mock provider, ready to help.'));
    backend = await LocalBackend.start({
      config: {
        model_list: [
          { model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: up.baseUrl }, model_info: { context_window: 128000 } },
          { model_name: 'beta', litellm_params: { model: 'openai_compatible/beta-model', api_base: up.baseUrl } },
        ],
        router_settings: { num_retries: 0, fallbacks: [{ alpha: ['beta'] }] },
      },
    });
    preview = await startPreview(backend, 'dark');
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    errors.length = 0;
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/favicon|404/.test(m.text())) errors.push(m.text());
    });
    await page.goto(preview.url);
    await page.locator('table.grid').waitFor({ timeout: 30_000 });
  });
  afterEach(async () => {
    await page?.close();
    await preview?.close();
    await backend?.close();
    await up?.close();
  });

  it('loads under the strict CSP with styled elements and no errors', async () => {
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), []);
    // vscode-elements style their shadow roots with constructable stylesheets, which the CSP does not block.
    const adopted = await page.evaluate(() => document.querySelector('vscode-button')?.shadowRoot?.adoptedStyleSheets.length ?? 0);
    assert.ok(adopted > 0, 'vscode-button has its stylesheet');
    const bg = await page.evaluate(() => getComputedStyle(document.querySelector('#add-model')!.shadowRoot!.querySelector('[part=base]')!).backgroundColor);
    assert.equal(bg, 'rgb(0, 120, 212)', "the primary button's shadow stylesheet applies (--vscode-button-background)");
    const rows = await page.locator('table.grid tbody tr').allInnerTexts();
    assert.match(rows[0]!, /alpha[\s\S]*alpha-model[\s\S]*Not needed[\s\S]*128,000/);
    assert.deepEqual(errors, []);
  });

  it('adds an alias from a preset, sets its key, reorders a fallback chain by keyboard, saves; the gateway routes by it', async () => {
    const key = fakeKey('deepseek');
    await pickOption(page, '#add-preset', 'DeepSeek');
    await page.locator('#add-model').click();
    const alias = page.locator('#field-model_list_5b2_5d_2emodel_name');
    await alias.waitFor();
    // The editor opened on the new entry with the preset's key name; the empty model is reported inline.
    await page.locator('.field-error').filter({ hasText: 'model name after "deepseek/" is missing' }).waitFor();
    await alias.locator('input').fill('coder');
    await page.locator('#field-model_list_5b2_5d_2elitellm_params_2emodel input').fill('deepseek-chat');
    await page.locator('#field-model_list_5b2_5d_2elitellm_params_2eapi_base input').fill(up.baseUrl);
    assert.equal(await page.locator('#field-model_list_5b2_5d_2elitellm_params_2eapi_key input').inputValue(), 'DEEPSEEK_API_KEY');
    await page.locator('.bar-dirty').filter({ hasText: 'no problems' }).waitFor();
    // Key: missing, then set through the inline password field.
    const row = page.locator('table.grid tbody tr[data-index="2"]');
    await row.locator('.key-missing').waitFor();
    await row.locator('vscode-button[aria-label="Set DEEPSEEK_API_KEY"]').click();
    const pw = row.locator('vscode-textfield[type="password"] input');
    await pw.fill(key);
    await pw.press('Enter');
    await row.locator('.key-set').waitFor();
    assert.equal(backend.secrets.get('DEEPSEEK_API_KEY'), key);
    // Fallbacks: add coder to alpha's chain, then move it first with Alt+Up.
    await page.locator('vscode-tab-header[data-tab="fallbacks"]').click();
    await pickOption(page, '#chain-alpha-add', 'coder');
    const item = page.locator('#chain-item-alpha-coder');
    await item.waitFor();
    await item.focus();
    await page.keyboard.press('Alt+ArrowUp');
    await page.waitForFunction(() => document.querySelector('#chain-alpha li')?.id === 'chain-item-alpha-coder');
    // The panel moves focus on the next animation frame after the re-render: wait for it (bounded), then check.
    await page.waitForFunction(() => document.activeElement?.id === 'chain-item-alpha-coder', undefined, { timeout: 5_000 }).catch(() => undefined);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'chain-item-alpha-coder', 'focus stays on the moved item');
    // Save.
    await page.locator('#save').click();
    await page.locator('.bar-info').filter({ hasText: 'Saved to your user settings' }).waitFor();
    const saved = backend.config as { model_list: Array<{ model_name: string; litellm_params: Record<string, unknown> }>; router_settings: { fallbacks: unknown } };
    assert.deepEqual(saved.model_list[2], { model_name: 'coder', litellm_params: { model: 'deepseek/deepseek-chat', api_key: 'os.environ/DEEPSEEK_API_KEY', api_base: up.baseUrl } });
    assert.deepEqual(saved.router_settings.fallbacks, [{ alpha: ['coder', 'beta'] }]);
    assert.ok(!JSON.stringify(backend.config).includes(key), 'the key is not in settings');
    // The gateway routes by the saved settings: alpha fails, its first fallback (coder) answers with the key.
    up.enqueue(errorReply(500), chatText('coder here'));
    await page.locator('vscode-tab-header[data-tab="live"]').click();
    await page.locator('vscode-button[aria-label="Test alpha"]').click();
    const result = page.locator('tr', { has: page.locator('code', { hasText: /^alpha$/ }) }).locator('.test-result.ok');
    await result.waitFor({ timeout: 20_000 });
    assert.match(await result.innerText(), /a fallback answered.*coder here/);
    const last = up.requests.at(-1)!;
    assert.equal(last.body.model, 'deepseek-chat');
    assert.equal(last.headers.authorization, `Bearer ${key}`);
    // The live view counts the request under alpha, served by the fallback.
    await page.locator('.served.fallback').filter({ hasText: 'fallback coder' }).waitFor();
    assert.deepEqual(errors, []);
  });

  it('Test shows the error and what to do; a change made outside keeps unsaved edits; a reload keeps them too', async () => {
    up.enqueue(errorReply(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
    await page.locator('vscode-tab-header[data-tab="live"]').click();
    await page.locator('vscode-button[aria-label="Test beta"]').click();
    const fail = page.locator('.test-result.fail');
    await fail.waitFor({ timeout: 20_000 });
    assert.match(await fail.innerText(), /rejected the API key[\s\S]*Check the key OPENAI_COMPATIBLE_API_KEY: set it again in the Key column/);
    // An edit, then settings.json changes by hand.
    await page.locator('vscode-tab-header[data-tab="fallbacks"]').click();
    await page.locator('#field-router_settings_2etimeout input').fill('30');
    await page.locator('.bar-dirty').waitFor();
    backend.setConfigExternally({ ...(backend.config as object), litellm_settings: { drop_params: true } });
    await page.locator('.bar-warning').filter({ hasText: 'changed outside this panel' }).waitFor();
    assert.equal(await page.locator('#field-router_settings_2etimeout input').inputValue(), '30');
    // VS Code re-creates a hidden webview: the page reloads and gets its state back with getState().
    await page.reload();
    await page.locator('#field-router_settings_2etimeout').waitFor();
    assert.equal(await page.locator('#field-router_settings_2etimeout input').inputValue(), '30');
    await page.locator('.bar-warning').waitFor();
    const ops = await page.evaluate(() => (window as unknown as { __vscodeCalls: { op: string }[] }).__vscodeCalls.map((c) => c.op));
    assert.equal(ops[0], 'getState');
    // Discard loads the new settings.
    await page.locator('.bar-dirty vscode-button', { hasText: 'Discard' }).click();
    await page.locator('.bar-dirty').waitFor({ state: 'detached' });
    assert.equal(await page.locator('#field-router_settings_2etimeout input').inputValue(), '');
    assert.deepEqual(errors, []);
  });

  it('Claude Code tab: the wiring state, the Enable/Disable toggle and an alias per tier go through the protocol', async () => {
    await page.locator('vscode-tab-header[data-tab="claude"]').click();
    const state = page.locator('#claude-state');
    await state.filter({ hasText: 'Off: Claude Code uses its own settings' }).waitFor();
    assert.match(await page.locator('#claude-settings-path').innerText(), /\/home\/you\/\.claude\/settings\.json/);
    assert.match(await page.locator('#claude-extension').innerText(), /Not installed/);
    // Enable: the backend writes the setting, the next snapshot says wired.
    await page.locator('#claude-enabled').click();
    await state.filter({ hasText: 'Wired' }).waitFor();
    assert.equal(backend.claudeCode.enabled, true);
    assert.equal(await page.locator('#claude-enabled').evaluate((el) => (el as HTMLInputElement).checked), true);
    // Tiers: every one follows the default model (alpha); sonnet to beta, then back to the default.
    assert.match(await page.locator('#claude-tier-sonnet-help').innerText(), /Now: alpha/);
    await pickOption(page, '#claude-tier-sonnet', 'beta');
    await page.locator('#claude-tier-sonnet-help').filter({ hasText: 'Now: beta' }).waitFor();
    assert.deepEqual(backend.claudeCode.models, { haiku: '', sonnet: 'beta', opus: '' });
    await pickOption(page, '#claude-tier-sonnet', 'Default model (alpha)');
    await page.locator('#claude-tier-sonnet-help').filter({ hasText: 'Now: alpha' }).waitFor();
    assert.deepEqual(backend.claudeCode.models, { haiku: '', sonnet: '', opus: '' });
    // The tab is kept when VS Code re-creates the webview.
    await page.reload();
    await state.filter({ hasText: 'Wired' }).waitFor();
    // Disable: restored.
    await page.locator('#claude-enabled').click();
    await state.filter({ hasText: 'settings were restored' }).waitFor();
    assert.equal(backend.claudeCode.enabled, false);
    assert.deepEqual(backend.calls.filter((c) => c.startsWith('setClaudeCode')), ['setClaudeCodeEnabled', 'setClaudeCodeModel', 'setClaudeCodeModel', 'setClaudeCodeEnabled']);
    assert.deepEqual(errors, []);
  });

  it('shows engine errors next to the field and refuses to save', async () => {
    await page.locator('vscode-button[aria-label="Edit beta"]').click();
    await pickOption(page, '#field-provider', 'Groq');
    await page.locator('#field-model_list_5b1_5d_2elitellm_params_2eweight input').fill('heavy');
    const err = page.locator('#err-model_list_5b1_5d_2elitellm_params_2eweight');
    await err.waitFor();
    assert.match(await err.innerText(), /number/);
    await page.locator('#save').click();
    await page.locator('.bar-error').filter({ hasText: 'Not saved' }).waitFor();
    assert.equal(backend.calls.includes('saveConfig'), false);
    const describedBy = await page.locator('#field-model_list_5b1_5d_2elitellm_params_2eweight').getAttribute('aria-describedby');
    assert.match(describedBy ?? '', /err-model_list_5b1_5d_2elitellm_params_2eweight/);
  });
});
