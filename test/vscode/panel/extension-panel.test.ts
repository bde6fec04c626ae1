/**
 * The settings panel in the REAL extension (packaged .vsix installed into code-server 4.100.3 + headless Chromium):
 * "Codex Gateway: Open Settings" opens the panel; a person adds an alias with a preset, sets its key inline,
 * reorders a fallback chain and saves; settings.json then holds the result, the extension's gateway routes by it
 * (a mock upstream sees the request with the key), and the Test button shows a success and, against a failing
 * mock, the error. Skipped (reported as pending, never as passed) while package.json does not contribute
 * `codexGateway.openSettings`.
 *
 * Run: `npm run test:vscode -- test/vscode/panel/extension-panel.test.ts` (needs scripts/setup-vscode-test.sh).
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatText, errorReply, MockUpstream } from '../../helpers/mock-upstream';
import { freePort, REPO_ROOT, withVsCode } from '../harness/run';
import { activeWebview, pickSingleSelect as pickOption, runCommandWhenRegistered, TEST_RESULTS_DIR } from '../harness/ui';
import { makeTempHome } from '../harness/home';
import { vsixUnderTest } from '../harness/vsix';

const fakeKey = (label: string) => `test-${label}-${randomBytes(10).toString('hex')}`;

const contributesOpenSettings = (): boolean => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes?: { commands?: { command: string }[] } };
  return (pkg.contributes?.commands ?? []).some((c) => c.command === 'codexGateway.openSettings');
};

describe('settings panel in the packaged extension', function () {
  this.timeout(600_000);
  let scratch: string;
  let vsix: string;
  let up: MockUpstream;

  before(async function () {
    if (!contributesOpenSettings()) {
      // Pending, not passed: the extension does not contribute the command yet.
      this.skip();
    }
    scratch = await mkdtemp(join(tmpdir(), 'panel-ext-'));
    vsix = vsixUnderTest(scratch);
    up = await MockUpstream.start({ name: 'panel-ext' });
  });
  after(async () => {
    await up?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('add an alias with a preset, set its key, reorder a fallback, save: settings.json and the gateway follow; Test shows success and errors', async () => {
    const { home, codexHome, gatewayHome, workspace } = await makeTempHome(scratch, 'home', 'panel test\n');
    const port = await freePort();
    const key = fakeKey('deepseek');
    const config = {
      model_list: [
        { model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: up.baseUrl } },
        { model_name: 'beta', litellm_params: { model: 'openai_compatible/beta-model', api_base: up.baseUrl } },
      ],
      router_settings: { num_retries: 0, fallbacks: [{ alpha: ['beta'] }] },
    };
    await withVsCode(
      {
        vsixPath: vsix,
        workspaceFolder: workspace,
        timeoutMs: 300_000,
        env: { HOME: home, CODEX_HOME: codexHome, CODEX_GATEWAY_HOME: gatewayHome, CLAUDE_CONFIG_DIR: join(home, '.claude'), OPENAI_API_KEY: '' },
        userSettings: { 'codexGateway.port': port, 'codexGateway.config': config, 'codexGateway.codexConfig': 'off' },
        viewport: { width: 1280, height: 800 },
        failureScreenshotPath: join(TEST_RESULTS_DIR, 'panel-extension-failure.png'),
      },
      async ({ page, userDataDir }) => {
        await runCommandWhenRegistered(page, 'Codex Gateway: Open Settings');
        const frame = activeWebview(page);
        await frame.locator('table.grid').waitFor({ timeout: 60_000 });
        // Add a DeepSeek alias pointed at the mock.
        await pickOption(frame, '#add-preset', 'DeepSeek');
        await frame.locator('#add-model').click();
        await frame.locator('#field-model_list_5b2_5d_2emodel_name input').fill('coder');
        await frame.locator('#field-model_list_5b2_5d_2elitellm_params_2emodel input').fill('deepseek-chat');
        await frame.locator('#field-model_list_5b2_5d_2elitellm_params_2eapi_base input').fill(up.baseUrl);
        await frame.locator('.bar-dirty').filter({ hasText: 'no problems' }).waitFor({ timeout: 30_000 });
        // Its key, inline.
        const row = frame.locator('table.grid tbody tr[data-index="2"]');
        await row.locator('vscode-button[aria-label="Set DEEPSEEK_API_KEY"]').click();
        await row.locator('vscode-textfield[type="password"] input').fill(key);
        await row.locator('vscode-textfield[type="password"] input').press('Enter');
        await row.locator('.key-set').waitFor({ timeout: 30_000 });
        // alpha falls back to coder first.
        await frame.locator('vscode-tab-header[data-tab="fallbacks"]').click();
        await pickOption(frame, '#chain-alpha-add', 'coder');
        const item = frame.locator('#chain-item-alpha-coder');
        await item.focus();
        await item.press('Alt+ArrowUp');
        await frame.locator('#chain-alpha li').first().filter({ hasText: 'coder' }).waitFor();
        await frame.locator('#save').click();
        await frame.locator('.bar-info').filter({ hasText: 'Saved to your user settings' }).waitFor({ timeout: 30_000 });
        // settings.json holds the result (and no key).
        let settingsText = '';
        for (let i = 0; i < 50 && !settingsText.includes('"coder"'); i++) {
          settingsText = await readFile(join(userDataDir, 'User', 'settings.json'), 'utf8');
          if (!settingsText.includes('"coder"')) await page.waitForTimeout(200);
        }
        const saved = JSON.parse(settingsText)['codexGateway.config'] as { model_list: Array<{ model_name: string; litellm_params: Record<string, unknown> }>; router_settings: { fallbacks: unknown } };
        assert.deepEqual(saved.model_list[2], { model_name: 'coder', litellm_params: { model: 'deepseek/deepseek-chat', api_key: 'os.environ/DEEPSEEK_API_KEY', api_base: up.baseUrl } });
        assert.deepEqual(saved.router_settings.fallbacks, [{ alpha: ['coder', 'beta'] }]);
        assert.ok(!settingsText.includes(key), 'no key in settings.json');
        // The extension's gateway routes by it: alpha fails, coder answers with the key.
        await frame.locator('vscode-tab-header[data-tab="live"]').click();
        up.enqueue(errorReply(500), chatText('coder answering'));
        await frame.locator('vscode-button[aria-label="Test alpha"]').click();
        const ok = frame.locator('tr', { has: frame.locator('code', { hasText: /^alpha$/ }) }).locator('.test-result.ok');
        await ok.waitFor({ timeout: 60_000 });
        assert.match(await ok.innerText(), /coder answering/);
        const last = up.requests.at(-1)!;
        assert.equal(last.body.model, 'deepseek-chat');
        assert.equal(last.headers.authorization, `Bearer ${key}`);
        // Against a failing upstream: the error.
        up.enqueue(errorReply(503));
        await frame.locator('vscode-button[aria-label="Test beta"]').click();
        const fail = frame.locator('tr', { has: frame.locator('code', { hasText: /^beta$/ }) }).locator('.test-result.fail');
        await fail.waitFor({ timeout: 60_000 });
        assert.match(await fail.innerText(), /503|failed|error/i);
        // Claude Code: the tab shows the wiring; the toggle and a tier write the real settings, and the extension
        // wires ~/.claude/settings.json, then restores it.
        await frame.locator('vscode-tab-header[data-tab="claude"]').click();
        const state = frame.locator('#claude-state');
        await state.filter({ hasText: 'Off' }).waitFor({ timeout: 30_000 });
        assert.equal(await frame.locator('#claude-settings-path').innerText(), join(home, '.claude', 'settings.json'));
        await frame.locator('#claude-enabled').click();
        await state.filter({ hasText: 'Wired' }).waitFor({ timeout: 30_000 });
        const claudeSettings = JSON.parse(await readFile(join(home, '.claude', 'settings.json'), 'utf8')) as { env: Record<string, string> };
        assert.equal(claudeSettings.env.ANTHROPIC_BASE_URL, `http://127.0.0.1:${port}`);
        await pickOption(frame, '#claude-tier-opus', 'beta');
        await frame.locator('#claude-tier-opus-help').filter({ hasText: 'Now: beta' }).waitFor({ timeout: 30_000 });
        for (let i = 0; i < 50; i++) {
          const env = (JSON.parse(await readFile(join(home, '.claude', 'settings.json'), 'utf8')) as { env: Record<string, string> }).env;
          if (env.ANTHROPIC_DEFAULT_OPUS_MODEL === 'beta') break;
          if (i === 49) assert.equal(env.ANTHROPIC_DEFAULT_OPUS_MODEL, 'beta');
          await page.waitForTimeout(200);
        }
        const userSettings = JSON.parse(await readFile(join(userDataDir, 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;
        assert.equal(userSettings['codexGateway.claudeCode.enabled'], true);
        assert.deepEqual(userSettings['codexGateway.claudeCode.models'], { haiku: '', sonnet: '', opus: 'beta' });
        await frame.locator('#claude-enabled').click();
        await state.filter({ hasText: 'restored' }).waitFor({ timeout: 30_000 });
      },
    );
  });
});
