/**
 * Bounded polling, the tests' one way to wait on a condition (never a sleep as synchronisation). No `vscode` or
 * test-framework import: the outer VS Code tests and the in-host suites (bundled by esbuild) use it too.
 */

/**
 * Polls `probe` every `intervalMs` (ms) until it returns a value other than `undefined` or `false`.
 * @param what what is awaited, for the timeout message.
 * @param timeoutMs the bound, in milliseconds (default 20000).
 * @returns the probe's first such value.
 * @throws Error `timed out after <timeoutMs> ms waiting for <what>`; a probe that throws ends the wait with its error.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Polls `probe` every 100 ms until it returns `true`; any string it returns says what is not there yet, and a
 * probe that throws counts as not yet (its message is kept).
 * @param timeoutMs the bound, in milliseconds (default 30000).
 * @throws Error `timed out after <timeoutMs> ms waiting for <what>; last: <the probe's last answer>`.
 */
export async function waitUntil(what: string, probe: () => true | string | Promise<true | string>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: true | string = 'never probed';
  for (;;) {
    try {
      last = await probe();
    } catch (e) {
      last = `probe threw: ${(e as Error).message}`;
    }
    if (last === true) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Polls `cond` every 50 ms until it holds or `ms` (milliseconds) elapse, for an assert with its own message:
 * `assert.ok(await eventually(() => ..., 5_000), 'what did not happen')`. Never rejects.
 * @returns whether `cond` held in time.
 */
export async function eventually(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
