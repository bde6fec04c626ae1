/**
 * Entry of the fixture's in-host suite (the `extensionTestsPath` module): the extension host loads the compiled
 * out/suite/index.js and awaits `run()`; mocha then runs every out/suite/*.test.js next to it.
 */
import { runMochaInExtensionHost } from '../../harness/mocha-host';

/** Runs the suite; rejects when a test failed (the workbench then reports exit code 1). */
export function run(): Promise<void> {
  return runMochaInExtensionHost({ testsDir: __dirname });
}
