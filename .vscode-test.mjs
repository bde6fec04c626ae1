// Configuration for @vscode/test-cli (`npx vscode-test`), for machines that CAN download VS Code (a desktop with
// access to update.code.visualstudio.com). This repository's CI and dev machines cannot; they run the same
// in-host suites inside code-server with `npm run test:vscode` (see docs/testing.md).
// Not run on those machines, so unverified here. To use it: `npm i --no-save @vscode/test-cli @vscode/test-electron`
// (not project dependencies), build the suite (`node --import tsx test/vscode/fixture-extension/build.ts`),
// then `npx vscode-test`.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const fixtureDir = resolve('test/vscode/fixture-extension');
// The harness writes user settings into a fresh profile; here a workspace settings file carries the same value.
const workspace = mkdtempSync(join(tmpdir(), 'harness-fixture-desktop-'));
mkdirSync(join(workspace, '.vscode'));
writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'harnessFixture.greeting': 'Hi there' }));

export default [
  {
    label: 'harness-fixture',
    version: '1.100.3',
    extensionDevelopmentPath: fixtureDir,
    files: 'test/vscode/fixture-extension/out/suite/*.test.js',
    workspaceFolder: workspace,
    env: {
      HARNESS_FIXTURE_MODE: 'development',
      HARNESS_FIXTURE_DIR: fixtureDir,
      HARNESS_FIXTURE_WORKSPACE: workspace,
    },
    launchArgs: ['--disable-extensions'],
    mocha: { ui: 'bdd', timeout: 30000 },
  },
];
