/**
 * Compiles code that runs inside the VS Code extension host (an extension's main module, a test suite) with
 * esbuild: one CommonJS bundle per entry point, Node 20 target, `vscode` and `mocha` left external (the
 * extension host provides `vscode`; `mocha` resolves from the repository's node_modules at run time).
 */
import { readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles each entry point into `outdir/<entry name>.js` (with a source map next to it).
 *
 * @param entryPoints Absolute paths of TypeScript or JavaScript files.
 * @param outdir Absolute output folder; created if missing.
 * @throws esbuild's build error (with file and line) when a file does not compile.
 */
export async function bundleForExtensionHost(entryPoints: string[], outdir: string): Promise<void> {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
    external: ['vscode', 'mocha'],
  });
}

/**
 * Compiles a test suite folder for the extension host: every `*.ts` directly inside `suiteDir` (the entry
 * `index.ts` plus the `*.test.ts` files) becomes `outDir/<name>.js`. `outDir` is emptied first, so a deleted
 * test does not linger as a stale `.test.js`.
 *
 * @returns the absolute path of the compiled entry, `outDir/index.js` (pass it as `extensionTestsPath`).
 * @throws when `suiteDir` has no `index.ts`, or when a file does not compile.
 */
export async function buildExtensionTests(suiteDir: string, outDir: string): Promise<string> {
  const files = readdirSync(suiteDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  if (!files.includes('index.ts')) throw new Error(`${suiteDir} has no index.ts (the module exporting run())`);
  await rm(outDir, { recursive: true, force: true });
  await bundleForExtensionHost(
    files.map((f) => join(suiteDir, f)),
    outDir,
  );
  return join(outDir, 'index.js');
}
