/**
 * Builds the fixture extension with esbuild: src/extension.ts -> out/extension.js (the extension's `main`) and
 * the in-host suite suite/*.ts -> out/suite/*.js (entry out/suite/index.js). fixture.test.ts calls
 * {@link buildFixture}; run it alone (e.g. before `npx vscode-test` on a desktop) with
 * `node --import tsx test/vscode/fixture-extension/build.ts`.
 */
import { join } from 'node:path';
import { buildExtensionTests, bundleForExtensionHost } from '../harness/build';

/** The fixture's folder (its package.json is there). */
export const FIXTURE_DIR = __dirname;

/**
 * Compiles the fixture extension and its in-host suite into `out/`.
 * @returns the absolute path of the suite's compiled entry (`out/suite/index.js`), for `extensionTestsPath`.
 * @throws esbuild's error when a file does not compile.
 */
export async function buildFixture(): Promise<string> {
  await bundleForExtensionHost([join(FIXTURE_DIR, 'src/extension.ts')], join(FIXTURE_DIR, 'out'));
  return buildExtensionTests(join(FIXTURE_DIR, 'suite'), join(FIXTURE_DIR, 'out/suite'));
}

if (require.main === module) {
  buildFixture().then(
    (entry) => console.log(`built ${entry}`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
