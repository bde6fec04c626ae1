/**
 * The test runner that runs INSIDE the VS Code extension host. A suite's entry module (the
 * `extensionTestsPath` given to `runVsCodeTests`) is a tiny file that calls {@link runMochaInExtensionHost} from
 * its exported `run()`:
 *
 * ```ts
 * import { runMochaInExtensionHost } from '../../harness/mocha-host';
 * export function run(): Promise<void> {
 *   return runMochaInExtensionHost({ testsDir: __dirname });
 * }
 * ```
 *
 * The suite's files are bundled by esbuild (see `build.ts`) into `*.test.js` files next to that entry, with
 * `vscode` and `mocha` left external: the extension host provides `vscode`, and `mocha` resolves from the
 * repository's node_modules (mocha 12 is ESM; it loads through Node 20.19+'s `require(esm)`).
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/**
 * Environment variable the harness (`run.ts`) sets to a file path: while the suite runs, mocha's report is
 * also appended there, so the harness can print the suite's output apart from the workbench's own log (in test
 * mode VS Code forwards the extension host's console into the workbench log with no marker of origin).
 */
export const REPORT_FILE_ENV = 'EXTENSION_TESTS_REPORT_FILE';

/** Environment variable with a regular expression: only tests whose full title matches it run. */
export const GREP_ENV = 'EXTENSION_TESTS_GREP';

/** Options of {@link runMochaInExtensionHost}. */
export interface HostMochaOptions {
  /** Folder holding the compiled test files; every `*.test.js` directly inside it is run, sorted by name. */
  testsDir: string;
  /** Per-test timeout in ms. Default 30000 (the extension host of a loaded 2-core machine can be slow). */
  timeoutMs?: number;
  /** Only run tests whose full title matches this regular expression. Default: `$EXTENSION_TESTS_GREP`, if set. */
  grep?: string;
}

/**
 * Mocha's spec reporter plus a closing plain line `N passed, N failed, N skipped` (the same line the Node-side
 * suites print; CI reads it).
 */
class HostReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      if (s) Mocha.reporters.Base.consoleLog(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`);
    });
  }
}

/**
 * Runs every `*.test.js` of `testsDir` with mocha (BDD interface) inside the extension host. The report goes to
 * the extension host's console (the workbench forwards it into its log) and, under the harness, also to the
 * file named by `$EXTENSION_TESTS_REPORT_FILE`, which the harness prints live as `[exthost]` lines. The closing
 * line is `N passed, N failed, N skipped`.
 *
 * @returns a promise that resolves when all tests passed; the workbench then reports exit code 0.
 * @throws (rejects) `Error("N of M tests failed")` when any test failed, or the loading error of a test file;
 *   the workbench then reports exit code 1.
 */
export function runMochaInExtensionHost(options: HostMochaOptions): Promise<void> {
  const grep = options.grep ?? process.env[GREP_ENV];
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: options.timeoutMs ?? 30_000, reporter: HostReporter });
  if (grep) mocha.grep(new RegExp(grep));
  const files = readdirSync(options.testsDir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files in ${options.testsDir}; build the suite first`));
  for (const f of files) mocha.addFile(join(options.testsDir, f));
  const restoreReporterOutput = teeReporterOutput(process.env[REPORT_FILE_ENV]);
  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} of ${runner.total} tests failed`));
        else resolve();
      });
    } catch (e) {
      // A test file that fails to load throws here; print it where the report goes.
      Mocha.reporters.Base.consoleLog('could not load the suite: %s', e instanceof Error ? (e.stack ?? e.message) : String(e));
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  }).finally(restoreReporterOutput);
}

/**
 * While the suite runs, also appends every line mocha's reporter prints to `file` (synchronously, so nothing is
 * lost when the extension host is torn down right after `run()` settles). Reporters print through
 * `Mocha.reporters.Base.consoleLog`, which is replaced here. The global `console` cannot be wrapped the same way:
 * the extension host makes its methods non-writable (it forwards them to the workbench), so the tests' own
 * console output only reaches the workbench log (the harness's `[workbench]` lines).
 *
 * @returns a function that restores `consoleLog`.
 */
function teeReporterOutput(file: string | undefined): () => void {
  const base = Mocha.reporters.Base;
  const original = base.consoleLog;
  if (!file) return () => undefined;
  base.consoleLog = (...args: unknown[]): void => {
    try {
      appendFileSync(file, `${format(...args)}\n`);
    } catch {
      // The harness already removed the file (session over); the console still gets the line.
    }
    original.apply(console, args);
  };
  return () => {
    base.consoleLog = original;
  };
}
