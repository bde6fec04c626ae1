/**
 * Entry of the in-host BENCH suite (the `extensionTestsPath` module), driven by bench/vscode-host.ts (`npm run
 * bench`), never by `npm test`: it measures, it asserts nothing about speed. The extension host loads the compiled
 * `out/index.js` and awaits `run()`; mocha runs `host-bench.test.js` next to it.
 */
import { runMochaInExtensionHost } from '../../harness/mocha-host';

/** Per-test bound in ms: the idle phase, the load the outer process runs (about 10 s) and slack for a busy machine. */
const TIMEOUT_MS = 240_000;

/** Runs the bench suite; rejects when it could not measure (the workbench then reports exit code 1). */
export function run(): Promise<void> {
  return runMochaInExtensionHost({ testsDir: __dirname, timeoutMs: TIMEOUT_MS });
}
