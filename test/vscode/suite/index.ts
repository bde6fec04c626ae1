/**
 * Entry of the Codex Gateway extension's in-host suite (the `extensionTestsPath` module): the extension host
 * loads the compiled `out/index.js` and awaits `run()`; mocha runs every `*.test.js` next to it.
 * Driven by test/vscode/extension.test.ts, which installs the packaged .vsix into code-server.
 */
import { runMochaInExtensionHost } from '../harness/mocha-host';

/** Runs the suite; rejects when a test failed (the workbench then reports exit code 1). */
export function run(): Promise<void> {
  return runMochaInExtensionHost({ testsDir: __dirname, timeoutMs: 60_000 });
}
