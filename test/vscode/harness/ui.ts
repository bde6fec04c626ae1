/**
 * Helpers to drive the VS Code workbench as a person would, from a {@link withVsCode} session's `page`
 * (playwright-core). Selectors are those of VS Code 1.100's workbench DOM (verified on code-server 4.100.3,
 * see /work/shared/notes/vscode-in-ci.md "Drive the UI").
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { REPO_ROOT } from './run';

/** Where screenshots go: `<repo>/test-results/` (ignored by git). */
export const TEST_RESULTS_DIR = join(REPO_ROOT, 'test-results');

/**
 * The status bar entries whose visible text contains `text` (a codicon like `$(beaker)` renders as an icon,
 * so match on the words). The entry's DOM id is `<publisher>.<name>.<itemId>` (see {@link statusBarItemById}).
 */
export function statusBarItem(page: Page, text: string | RegExp): Locator {
  return page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: text });
}

/**
 * The status bar entry created with `createStatusBarItem(itemId, ...)` by extension `extensionId`
 * (`publisher.name`): its DOM id is `<extensionId>.<itemId>`, lower-cased by VS Code as the extension id is.
 */
export function statusBarItemById(page: Page, extensionId: string, itemId: string): Locator {
  const id = `${extensionId.toLowerCase()}.${itemId}`;
  return page.locator(`#workbench\\.parts\\.statusbar [id="${id}"]`);
}

/** The rows of the open QuickPick / command palette. */
export function quickPickRows(page: Page): Locator {
  return page.locator('.quick-input-widget .monaco-list-row');
}

/**
 * The notification toasts whose text contains `text`, once fully shown: the workbench marks a toast
 * `notification-fade-in-done` when its slide-in transition ended (wait for that before a screenshot).
 */
export function notificationToast(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast.notification-fade-in-done').filter({ hasText: text });
}

/**
 * Runs a command from the command palette: presses F1, types `>title`, waits for a row whose label equals
 * `title` (as shown, e.g. "Category: Title") and presses Enter.
 *
 * @param timeoutMs Bound for each wait, in ms. Default 30000.
 * @throws playwright's TimeoutError when the palette or the command row does not show up in time.
 */
export async function runCommandFromPalette(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(`>${title}`);
  await quickPickRows(page)
    .filter({ has: page.locator('.label-name', { hasText: title }) })
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs });
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs });
}

/**
 * Picks the QuickPick row whose label contains `label` (the QuickPick must be open) by clicking it.
 * @throws playwright's TimeoutError when no such row shows up within `timeoutMs` (default 30000 ms).
 */
export async function pickQuickPickItem(page: Page, label: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const row = quickPickRows(page).filter({ hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click({ timeout: timeoutMs });
}

/**
 * Writes a PNG of the whole workbench to `test-results/<name>.png` (folder created if missing).
 * @returns the absolute path of the PNG.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(TEST_RESULTS_DIR, { recursive: true });
  const path = join(TEST_RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
