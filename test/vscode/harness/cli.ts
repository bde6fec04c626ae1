/**
 * `npm run test:vscode [-- <file or folder>...]` (= `node --import tsx test/vscode/harness/cli.ts`): runs the
 * Node-side VS Code test files with mocha. Each of them starts a real VS Code through `run.ts`
 * (`runVsCodeTests` for suites that run inside the extension host, `withVsCode` to drive the UI).
 *
 * Which files: every `*.test.ts` under the given paths (default `test/vscode/`), except those inside a folder
 * named `suite` (those run INSIDE the extension host, compiled by `build.ts`), `out` or `node_modules`.
 * Output: mocha's spec report (the in-host suites' reports appear as `[exthost]` lines) and a closing plain
 * line `N passed, N failed, N skipped` (test/reporter.cjs). Exit code: 0 when all passed, 1 otherwise, 2 when
 * the VS Code test tools are not installed (run `scripts/setup-vscode-test.sh`).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Mocha from 'mocha';
import { DEFAULT_CHROMIUM_PATH, DEFAULT_CODE_SERVER_DIR, REPO_ROOT } from './run';

/** Per-test bound, in ms: one VS Code session is bounded at 180 s by the harness, plus packaging and builds. */
const TEST_TIMEOUT_MS = 300_000;

/** Folders whose files never run on the Node side. */
const SKIPPED_DIRS = new Set(['suite', 'out', 'node_modules']);

/** The `*.test.ts` files under `path` (a file is taken as is), sorted. */
function collect(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  const found: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...collect(p));
    } else if (entry.name.endsWith('.test.ts')) {
      found.push(p);
    }
  }
  return found.sort();
}

async function main(): Promise<number> {
  if (!existsSync(join(DEFAULT_CODE_SERVER_DIR, '.installed')) || !existsSync(DEFAULT_CHROMIUM_PATH)) {
    console.error(
      `The VS Code test tools are not installed (code-server in ${DEFAULT_CODE_SERVER_DIR}, Chromium at ${DEFAULT_CHROMIUM_PATH}).\n` +
        'Run scripts/setup-vscode-test.sh once (about 1-2 minutes; needs the npm registry and Debian packages), then run this again.',
    );
    return 2;
  }
  const roots = process.argv.slice(2).map((p) => resolve(p));
  for (const r of roots) {
    if (!existsSync(r)) {
      console.error(`${r} does not exist; pass test files or folders under test/vscode/`);
      return 2;
    }
  }
  const files = (roots.length > 0 ? roots : [join(REPO_ROOT, 'test/vscode')]).flatMap(collect);
  if (files.length === 0) {
    console.error('No *.test.ts files found; pass test files or folders under test/vscode/');
    return 2;
  }
  const mocha = new Mocha({ timeout: TEST_TIMEOUT_MS, reporter: join(REPO_ROOT, 'test/reporter.cjs') });
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  return new Promise((done) => mocha.run((failures) => done(failures > 0 ? 1 : 0)));
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything the tests started is stopped by the harness; this only guards against a stray handle.
    setTimeout(() => process.exit(code), 5_000).unref();
  },
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
