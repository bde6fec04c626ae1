/**
 * Helpers to drive the VS Code workbench as a person would, from a {@link withVsCode} session's `page`
 * (playwright-core). Selectors are those of VS Code 1.100's workbench DOM (verified on code-server 4.100.3,
 * see /work/shared/notes/vscode-in-ci.md "Drive the UI").
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
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
 * How to recognise one QuickPick or InputBox in the workbench's quick input widget. The command palette, a
 * command's `showQuickPick` and its `showInputBox` all render into the SAME `.quick-input-widget` element, one
 * after the other, so "the widget is visible/hidden" says nothing about which of them it shows: match what the
 * extension set (its `title` and/or `placeHolder`). Strings match as case-insensitive substrings.
 */
export interface QuickInputMatch {
  /** The `title` option of the QuickPick/InputBox (shown in `.quick-input-title`). */
  title?: string | RegExp;
  /** The `placeHolder` option (the input's `placeholder` attribute). */
  placeholder?: string | RegExp;
}

/**
 * The quick input widget while it shows the QuickPick/InputBox described by `match`: the locator is visible
 * only when the widget is shown AND carries that title/placeholder (the palette's own title is blank, so it never
 * matches a command's titled input). Use `.locator('input')`, `.locator('input[type="password"]')` or
 * {@link quickPickRows}-like selectors inside it.
 *
 * @throws Error when `match` has neither `title` nor `placeholder`.
 */
export function quickInput(page: Page, match: QuickInputMatch): Locator {
  if (match.title === undefined && match.placeholder === undefined) throw new Error('quickInput needs a title or a placeholder to recognise the input');
  let widget = page.locator('.quick-input-widget');
  if (match.title !== undefined) widget = widget.filter({ has: page.locator('.quick-input-title', { hasText: match.title }) });
  if (match.placeholder !== undefined) widget = widget.filter({ has: page.getByPlaceholder(match.placeholder) });
  return widget;
}

/** Options of {@link runCommandFromPalette}. */
export interface RunCommandOptions {
  /** Bound for each wait, in ms. Default 30000. */
  timeoutMs?: number;
  /**
   * The QuickPick or InputBox the command opens, if any: after the click, the helper waits until the widget shows
   * it. Without it, the helper waits until the widget no longer shows the palette (hidden, or reused by
   * whatever input the command opened), which is right for commands that open no input of their own.
   */
  opens?: QuickInputMatch;
}

/** A RegExp matching exactly `text` (all of it, no regular expression syntax). */
function exactly(text: string): RegExp {
  return new RegExp('^' + text.replace(/[.*+?^$|()[\]{}\\]/g, '\\$&') + '$');
}

/**
 * Runs a command from the command palette: presses F1, types `>title`, clicks the row whose label is exactly
 * `title` (as shown, e.g. "Category: Title"), then waits until the palette has handed over:
 * - with `opens`: until the quick input widget shows the command's own QuickPick/InputBox (see
 *   {@link quickInput});
 * - without: until the widget does not show the palette any more (hidden, or showing another input).
 *
 * Why not "wait for the widget to hide": the palette hides the widget on accept, and a command that opens a
 * QuickPick shows the same widget again a few ms later (one round trip to the extension host). Whether a
 * poll ever sees it hidden is a race; when it does not, the wait times out with the command's QuickPick open.
 *
 * @param optionsOrTimeoutMs options, or (older form) the bound for each wait in ms.
 * @throws playwright's TimeoutError when the palette, the command row or the command's input does not show up
 *   within `timeoutMs` (each wait; default 30000 ms).
 */
export async function runCommandFromPalette(page: Page, title: string, optionsOrTimeoutMs: RunCommandOptions | number = {}): Promise<void> {
  const options = typeof optionsOrTimeoutMs === 'number' ? { timeoutMs: optionsOrTimeoutMs } : optionsOrTimeoutMs;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const input = page.locator('.quick-input-widget input');
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(`>${title}`);
  // Click the row whose label is exactly `title`: Enter would run the FOCUSED row, which is not always ours (the
  // palette may list "View: Close All Editor Groups" above "View: Close Editor").
  const row = quickPickRows(page)
    .filter({ has: page.locator('.label-name', { hasText: exactly(title) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click({ timeout: timeoutMs });
  if (options.opens) {
    await quickInput(page, options.opens).waitFor({ state: 'visible', timeout: timeoutMs });
    return;
  }
  // The palette is the quick input whose value starts with ">"; any other input the command opens resets it.
  await page.waitForFunction(
    () => {
      const w = document.querySelector<HTMLElement>('.quick-input-widget');
      const v = w?.querySelector<HTMLInputElement>('input')?.value ?? '';
      return !w || getComputedStyle(w).display === 'none' || !v.startsWith('>');
    },
    undefined,
    { timeout: timeoutMs },
  );
}

/** The content frame of the active webview panel (VS Code nests it: `iframe.webview.ready` > `#active-frame`). */
export function activeWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/**
 * Picks an option of a `vscode-single-select` (@vscode-elements) inside a webview: opens it, clicks the first
 * option whose text contains `label`. Playwright's default action timeout applies to each click.
 */
export async function pickSingleSelect(frame: FrameLocator, select: string, label: string): Promise<void> {
  await frame.locator(select).click();
  await frame.locator(`${select} .dropdown li`).filter({ hasText: label }).first().click();
}

/**
 * {@link runCommandFromPalette} for a command that may not be registered yet (the extension is still
 * activating right after the workbench shows): each try waits up to `timeoutMs` (ms, default 8000) for the
 * row; a miss closes the palette (Escape) and tries again after `pauseMs` (ms, default 2000), up to `attempts`
 * tries (default 10).
 * @throws the last try's error (playwright's TimeoutError) when every try missed.
 */
export async function runCommandWhenRegistered(page: Page, title: string, { attempts = 10, timeoutMs = 8_000, pauseMs = 2_000 } = {}): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommandFromPalette(page, title, { timeoutMs });
      return;
    } catch (e) {
      if (attempt >= attempts) throw e;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(pauseMs);
    }
  }
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
