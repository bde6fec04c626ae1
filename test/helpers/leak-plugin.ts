/**
 * Mocha root-hook plugin (loaded by every `test/.mocharc.*.json` through `require`): the key-leak check
 * over a whole test run.
 *
 * - On load it taps this process's stdout/stderr and `child_process.spawn`/`spawnSync` (see
 *   `leak-taps.ts`); `test/helpers/gateway.ts` registers keys and taps the gateways it starts.
 * - Around every test it records which test is running; after a failing test it captures the error
 *   (message, stack, actual/expected); then it scans what was captured during the test.
 * - Before the first test it appends a last suite to the root suite, "Leaks: key scan of the whole test
 *   run", whose one test runs after every other test: it scans everything still waiting and fails (a
 *   failing test, counted in the reporter's "N passed, N failed" line) when any registered key, or any
 *   unregistered value shaped like the helpers' fake keys, appeared in captured text. The failure names
 *   the source, the test, the key's label and a masked excerpt, never the key. It also proves it is alive:
 *   the matcher finds a canary (self-test), this process's output was captured, every tapped child gateway
 *   ran its preload, and when in-process gateways served requests, keys were registered and response bytes
 *   were captured; the passing test's title reports how much it scanned.
 * - A root `after all` hook repeats the check for anything captured after that test (root-level `after`
 *   hooks of spec files), and runs the whole check when the last suite was filtered out (`--grep`).
 */
import Mocha = require('mocha');
import { inspect } from 'node:util';
import { captureText, formatHits, leakReport, scanPending, selfTest, setCurrentTest, SOURCE_KINDS, type LeakReport } from './leak-registry';
import { installChildProcessTap, installProcessOutputTap, removeChildTapFiles, scanChildResponseTaps } from './leak-taps';

installProcessOutputTap();
installChildProcessTap();

/** Title of the last suite the plugin appends to the root suite. */
export const FINAL_SUITE_TITLE = 'Leaks: key scan of the whole test run';

let finalAdded = false;
let hitsAtFinal: number | undefined;

function errorText(err: unknown): string {
  const e = err as { stack?: string; message?: string; actual?: unknown; expected?: unknown };
  let t = String(e?.stack ?? e?.message ?? inspect(err));
  if (e && typeof e === 'object' && ('actual' in e || 'expected' in e)) t += `\nactual: ${inspect(e.actual, { depth: 8 })}\nexpected: ${inspect(e.expected, { depth: 8 })}`;
  return t;
}

function kb(chars: number): string {
  return chars >= 1024 * 1024 ? `${(chars / 1024 / 1024).toFixed(1)} MiB` : `${(chars / 1024).toFixed(1)} KiB`;
}

/** One line: what was scanned, per kind. */
function summary(rep: LeakReport, child: { tapped: number; alive: number }): string {
  const parts = SOURCE_KINDS.filter((k) => rep.stats[k].chunks > 0).map((k) => `${k} ${kb(rep.stats[k].chars)}/${rep.stats[k].sources}`);
  const c = rep.counters;
  return (
    `scanned ${kb(rep.scannedChars)} for ${rep.keys} keys (${rep.needles} patterns) in ${Math.round(rep.scanMs)} ms: ${parts.join(', ')}; ` +
    `gateways ${c.gateways ?? 0} (${c.gatewayServersTapped ?? 0} tapped), child processes ${c.children ?? 0}, ` +
    `child gateways ${child.alive}/${child.tapped} tapped, ${rep.hits.length} findings`
  );
}

/**
 * Scans everything waiting and returns the problems: findings (from index `fromHit` on), tap errors, and
 * liveness failures.
 */
async function check(fromHit: number): Promise<{ problems: string[]; rep: LeakReport; line: string }> {
  // Gateway loggers flush on setImmediate; let queued lines reach their sinks.
  await new Promise<void>((r) => setImmediate(r));
  await new Promise<void>((r) => setImmediate(r));
  const child = scanChildResponseTaps();
  scanPending();
  const rep = leakReport();
  const problems: string[] = [];
  const self = selfTest();
  if (self) problems.push(`the leak scanner's self-test failed: ${self}`);
  if (rep.tapErrors.length) problems.push(`taps failed (their text was not scanned):\n  ${rep.tapErrors.slice(0, 10).join('\n  ')}`);
  if (rep.stats['process-output'].chars === 0) problems.push('the stdout/stderr tap of the test process captured nothing');
  const c = rep.counters;
  if ((c.gateways ?? 0) > 0) {
    if (rep.keys === 0) problems.push(`${c.gateways} gateways ran but no key was registered`);
    if ((c.gatewayServersTapped ?? 0) < (c.gateways ?? 0)) problems.push(`${c.gateways} gateways ran but only ${c.gatewayServersTapped ?? 0} had their HTTP server tapped`);
    if ((c.gatewayRequests ?? 0) > 0 && rep.stats['gateway-response'].chars === 0) problems.push(`gateways served ${c.gatewayRequests} requests but no response byte was captured`);
  }
  if (child.tapped > 0 && child.alive === 0) problems.push(`${child.tapped} child gateways were started but none ran the response-tap preload`);
  const hits = rep.hits.slice(fromHit);
  if (hits.length) {
    problems.push(
      `${hits.length} place(s) where a test key appeared in text the test run produced (labels and masked excerpts only; the key ` +
        `itself is not printed):\n${formatHits(hits)}`,
    );
  }
  return { problems, rep, line: summary(rep, child) };
}

async function finalTest(this: Mocha.Context): Promise<void> {
  const { problems, rep, line } = await check(0);
  hitsAtFinal = rep.hits.length;
  if (this.test) this.test.title = `no test key in any captured text (${line})`;
  if (problems.length) throw new Error(problems.join('\n'));
}

/** The root hooks mocha registers from this plugin. */
export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    const root = this.test?.parent;
    if (finalAdded || !root) return;
    finalAdded = true;
    const suite = Mocha.Suite.create(root, FINAL_SUITE_TITLE);
    suite.addTest(new Mocha.Test('no test key in any captured text', finalTest));
  },
  beforeEach(this: Mocha.Context): void {
    setCurrentTest(this.currentTest?.fullTitle());
  },
  afterEach(this: Mocha.Context): void {
    const t = this.currentTest;
    if (t && t.state === 'failed' && t.err) captureText('test-error', t.fullTitle(), errorText(t.err));
    scanChildResponseTaps();
    scanPending();
    setCurrentTest(undefined);
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    try {
      if (hitsAtFinal === undefined) {
        // The last suite did not run (filtered out): check here, as a failing hook.
        const { problems, line } = await check(0);
        if (problems.length) throw new Error(`${problems.join('\n')}\n(${line})`);
        return;
      }
      const { rep } = await check(hitsAtFinal);
      const late = rep.hits.slice(hitsAtFinal);
      if (late.length) throw new Error(`a test key appeared in text captured after the final leak check:\n${formatHits(late)}`);
    } finally {
      removeChildTapFiles();
    }
  },
};
