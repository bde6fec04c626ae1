/**
 * Issue 11 in a real VS Code (code-server 4.100.3 = VS Code 1.100.3, headless Chromium), with the Codex Gateway
 * extension packaged (`vsce package --no-dependencies`) and installed from its .vsix, as users get it: the user's
 * ChatGPT plan behind an alias, driven through the settings panel as a person would.
 *
 * - "Add" with the "ChatGPT plan" preset first shows the consent in a modal dialog; Cancel adds nothing; "Use my
 *   ChatGPT plan" adds the entry and turns `gateway_settings.chatgpt_plan` on in the draft; Save writes it.
 * - A request for the alias reaches the ChatGPT backend mock (test/helpers/chatgpt-backend-mock.ts, which enforces
 *   the backend's rules) with the fake Codex sign-in of a temp CODEX_HOME; the panel's live view then shows the
 *   plan's remaining usage.
 * - The mock answers 429 `usage_limit_reached`: the fallback serves, an information notification says until when
 *   ("Your ChatGPT plan's usage limit is reached until HH:MM; 'ds' serves 'plan' until then."), and the status bar
 *   tooltip shows the reset time.
 * - "Turn off" in the panel and Save remove `gateway_settings.chatgpt_plan` again. auth.json is never changed.
 *
 * Everything is on 127.0.0.1 with temp HOME / CODEX_HOME / CODEX_GATEWAY_HOME. `CGW_TEST_VSIX=/abs/x.vsix` tests
 * that package instead of packaging the working tree.
 */
import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { fmtClock } from '../../../src/extension/plan-status';
import { ChatgptBackendMock, writeAuthFixture, type AuthFixture } from '../../helpers/chatgpt-backend-mock';
import { chatText, MockUpstream } from '../../helpers/mock-upstream';
import { waitFor } from '../../helpers/wait';
import { freePort, logTail, withVsCode } from '../harness/run';
import { activeWebview, notificationToast, pickSingleSelect as pickOption, runCommandFromPalette, runCommandWhenRegistered, statusBarItemById, TEST_RESULTS_DIR } from '../harness/ui';
import { makeTempHome } from '../harness/home';
import { vsixUnderTest } from '../harness/vsix';
const EXTENSION_ID = 'codex-gateway.codex-gateway';
/** The accept button of the consent dialog (src/extension/panel-backend.ts). */
const ACCEPT = 'Use my ChatGPT plan';

/** The workbench's modal dialog showing the ChatGPT plan's consent. */
function consentDialog(page: Page) {
  return page.locator('.monaco-dialog-box').filter({ hasText: "under OpenAI's terms, from this machine only" });
}

describe('ChatGPT plan in VS Code (code-server, installed .vsix)', function () {
  this.timeout(420_000);
  let scratch: string;
  let vsix: string;
  let auth: AuthFixture;
  let plan: ChatgptBackendMock;
  let chat: MockUpstream;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cgw-chatgpt-vscode-'));
    vsix = vsixUnderTest(scratch);
    auth = await writeAuthFixture();
    plan = await ChatgptBackendMock.start(auth);
    chat = await MockUpstream.start({ name: 'chatgpt-vscode-fallback' });
  });
  after(async () => {
    await plan?.close();
    await chat?.close();
    await auth?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('consent first, then the plan serves the alias; at its limit the fallback serves, a notification and the tooltip say until when; it turns off', async () => {
    // CODEX_HOME is the fixture's (auth.codexHome, with its sign-in); the home's own .codex stays unused.
    const { home, gatewayHome, workspace } = await makeTempHome(scratch, 'home', 'A folder for the ChatGPT plan test.\n');
    const port = await freePort();
    const config = {
      model_list: [{ model_name: 'ds', litellm_params: { model: 'openai_compatible/ds-model', api_base: chat.baseUrl } }],
      router_settings: { num_retries: 0 },
    };

    await withVsCode(
      {
        vsixPath: vsix,
        workspaceFolder: workspace,
        timeoutMs: 300_000,
        env: { HOME: home, CODEX_HOME: auth.codexHome, CODEX_GATEWAY_HOME: gatewayHome, CLAUDE_CONFIG_DIR: join(home, '.claude'), OPENAI_API_KEY: '' },
        userSettings: { 'codexGateway.port': port, 'codexGateway.config': config, 'codexGateway.codexConfig': 'off' },
        failureScreenshotPath: join(TEST_RESULTS_DIR, 'vscode-chatgpt-plan-failure.png'),
      },
      async ({ page, userDataDir, logs }) => {
        const settingsFile = join(userDataDir, 'User', 'settings.json');
        const savedConfig = async () => (JSON.parse(await readFile(settingsFile, 'utf8')) as Record<string, unknown>)['codexGateway.config'] as Record<string, any>;
        const gateway = `http://127.0.0.1:${port}`;
        const token = async () => (await readFile(join(gatewayHome, 'master_key'), 'utf8')).trim();
        const get = async (path: string) => {
          const res = await fetch(`${gateway}${path}`, { headers: { authorization: `Bearer ${await token()}` }, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
          return res?.ok ? ((await res.json()) as any) : undefined;
        };
        const ask = async () => {
          const res = await fetch(`${gateway}/v1/responses`, {
            method: 'POST',
            headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'plan', input: 'Say hi.', stream: false }),
            signal: AbortSignal.timeout(30_000),
          });
          return { status: res.status, json: (await res.json()) as any };
        };

        // The panel (the command may not be registered the very first moment).
        await runCommandWhenRegistered(page, 'Codex Gateway: Open Settings');
        const frame = activeWebview(page);
        await frame.locator('table.grid').waitFor({ timeout: 60_000 });
        const rows = frame.locator('table.grid tbody tr[data-index]');
        assert.equal(await rows.count(), 1);

        // Add with the ChatGPT plan preset: the consent comes first. Declined: nothing is added.
        await pickOption(frame, '#add-preset', 'ChatGPT plan');
        await frame.locator('#add-model').click();
        const dialog = consentDialog(page);
        await dialog.waitFor({ state: 'visible', timeout: 30_000 });
        assert.match(await dialog.innerText(), /Requests for chatgpt\/<model> models will go to your own ChatGPT plan/);
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        await frame.locator('.bar-info').filter({ hasText: 'The ChatGPT plan stays off; nothing was changed.' }).waitFor({ timeout: 30_000 });
        assert.equal(await rows.count(), 1, 'declining added nothing');
        assert.equal(await frame.locator('.bar-dirty').count(), 0, 'no unsaved changes');

        // Accepted: the entry is added and the plan is on in the draft.
        await frame.locator('#add-model').click();
        await dialog.waitFor({ state: 'visible', timeout: 30_000 });
        await dialog.getByRole('button', { name: ACCEPT }).click();
        await rows.nth(1).waitFor({ timeout: 30_000 });
        await frame.locator('#chatgpt-plan-state').filter({ hasText: 'On after you save' }).waitFor({ timeout: 30_000 });
        await frame.locator('#field-model_list_5b1_5d_2emodel_name input').fill('plan');
        await frame.locator('#field-model_list_5b1_5d_2elitellm_params_2emodel input').fill('gpt-5.5');
        await frame.locator('#field-model_list_5b1_5d_2elitellm_params_2eapi_base input').fill(plan.baseUrl);
        // plan falls back to ds.
        await frame.locator('vscode-tab-header[data-tab="fallbacks"]').click();
        await pickOption(frame, '#chain-plan-add', 'ds');
        await frame.locator('#chain-plan li').first().filter({ hasText: 'ds' }).waitFor({ timeout: 30_000 });
        await frame.locator('.bar-dirty').filter({ hasText: 'no problems' }).waitFor({ timeout: 30_000 });
        await frame.locator('#save').click();
        await frame.locator('.bar-info').filter({ hasText: 'Saved to your user settings' }).waitFor({ timeout: 30_000 });
        const saved = await waitFor('settings.json to hold the plan', async () => {
          const c = await savedConfig();
          return c?.gateway_settings?.chatgpt_plan === true ? c : undefined;
        }, 30_000);
        assert.deepEqual(saved.model_list[1], { model_name: 'plan', litellm_params: { model: 'chatgpt/gpt-5.5', api_base: plan.baseUrl } });
        assert.deepEqual(saved.router_settings.fallbacks, [{ plan: ['ds'] }]);

        // A request for the alias reaches the plan (the mock checks the sign-in and the backend's rules).
        await waitFor('the gateway to serve the alias', async () => ((await get('/v1/models'))?.data as Array<{ id: string }> | undefined)?.some((m) => m.id === 'plan') || undefined, 30_000);
        const r1 = await ask();
        assert.equal(r1.status, 200, JSON.stringify(r1.json));
        assert.equal(plan.accepted.length, 1, `the plan served: ${JSON.stringify(plan.rejected.map((x) => x.detail))}`);
        assert.equal(plan.accepted[0]!.body.model, 'gpt-5.5');
        // The live view shows the plan's remaining usage (the mock reports 12.5% used of the 5 h window).
        await frame.locator('vscode-tab-header[data-tab="live"]').click();
        await frame.locator('#chatgpt-plan-usage').filter({ hasText: '5 h: 88% left' }).waitFor({ timeout: 30_000 });

        // The plan's limit: the fallback serves, the notification and the tooltip say until when.
        plan.limitReached(3600);
        chat.enqueue(chatText('ds answers while the plan rests'));
        const r2 = await ask();
        assert.equal(r2.status, 200, JSON.stringify(r2.json));
        assert.match(JSON.stringify(r2.json), /ds answers while the plan rests/);
        const health = await waitFor('the limit in /v1/health', async () => {
          const h = await get('/v1/health');
          return h?.chatgpt_plan?.usage?.limitResetsAt ? (h.chatgpt_plan.usage as { limitResetsAt: number }) : undefined;
        }, 10_000);
        const until = fmtClock(health.limitResetsAt, Date.now());
        const toast = notificationToast(page, "Your ChatGPT plan's usage limit is reached until");
        await toast.waitFor({ state: 'visible', timeout: 30_000 });
        assert.match(await toast.innerText(), new RegExp(`reached until ${until}; 'ds' serves 'plan' until then`));
        await frame.locator('#chatgpt-plan-usage').filter({ hasText: `Usage limit reached until ${until}` }).waitFor({ timeout: 30_000 });

        const status = statusBarItemById(page, EXTENSION_ID, 'codexGateway.status');
        await status.waitFor({ state: 'visible', timeout: 30_000 });
        await status.hover();
        const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Codex Gateway' }).first();
        await hover.waitFor({ state: 'visible', timeout: 20_000 });
        const tip = await hover.innerText();
        assert.match(tip, new RegExp(`ChatGPT plan: usage limit reached until ${until}; fallbacks serve until then`), tip);
        assert.match(tip, /ChatGPT plan: 5 h: \d+% left, resets \d\d:\d\d · weekly: 97% left/, tip);
        await page.mouse.move(10, 10);

        // A second request in the same limit window: served by the fallback, no second notification.
        chat.enqueue(chatText('ds again'));
        const r3 = await ask();
        assert.equal(r3.status, 200, JSON.stringify(r3.json));
        assert.equal(plan.requests.length, 2, 'the plan rests until its reset: the gateway did not ask it again');
        // Once the extension has seen that request (the live view counts it), the notification center holds one
        // notification about the limit, not two.
        const planRow = frame.locator('table.live tbody tr', { has: frame.locator('th code', { hasText: /^plan$/ }) });
        await planRow.locator('td.num').first().filter({ hasText: /^3$/ }).waitFor({ timeout: 30_000 });
        await runCommandFromPalette(page, 'Notifications: Show Notifications');
        const listed = page.locator('.notifications-center .notification-list-item').filter({ hasText: "Your ChatGPT plan's usage limit is reached until" });
        await listed.first().waitFor({ state: 'visible', timeout: 30_000 });
        assert.equal(await listed.count(), 1, 'one notification per limit window');
        await page.keyboard.press('Escape');

        // Turn it off in the panel.
        await frame.locator('vscode-tab-header[data-tab="models"]').click();
        await frame.locator('#chatgpt-plan-toggle').filter({ hasText: 'Turn off' }).click();
        await frame.locator('#chatgpt-plan-state').filter({ hasText: 'Off after you save' }).waitFor({ timeout: 30_000 });
        await frame.locator('#save').click();
        const off = await waitFor('settings.json without the plan', async () => {
          const c = await savedConfig();
          return c && c.gateway_settings === undefined ? c : undefined;
        }, 30_000);
        assert.equal(off.model_list.length, 2, 'the entry stays; only the plan is off');
        assert.ok(!logs.some((l) => l.includes(auth.accessToken) || l.includes(auth.refreshToken)), `a token reached the log${logTail(logs)}`);
      },
    );
    assert.ok(await auth.unchanged(), 'auth.json is byte for byte as written');
  });
});
