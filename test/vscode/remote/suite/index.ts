/**
 * Entry of the devcontainer / SSH suite (the `extensionTestsPath` module), driven by
 * test/vscode/remote/remote.test.ts: the extension host loads the compiled `out/index.js` and awaits `run()`;
 * mocha runs every `*.test.js` next to it.
 */
import { runMochaInExtensionHost } from '../../harness/mocha-host';

/** Runs the suite; rejects when a test failed (the workbench then reports exit code 1). */
export function run(): Promise<void> {
  return runMochaInExtensionHost({ testsDir: __dirname, timeoutMs: 90_000 });
}
