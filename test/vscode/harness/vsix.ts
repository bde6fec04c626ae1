/**
 * What the outer VS Code tests install: the Codex Gateway extension packaged as users get it (`vsce package
 * --no-dependencies`), and manifest-only stub extensions that stand in for another extension (Claude Code, Dev
 * Containers) by declaring its id and settings.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './run';

const VSCE = join(REPO_ROOT, 'node_modules/@vscode/vsce/vsce');

/**
 * The .vsix to test: `$CGW_TEST_VSIX` (an absolute path) when set, else the working tree packaged into
 * `<scratch>/codex-gateway.vsix` (`vsce package` runs the vscode:prepublish script, the esbuild bundles, first).
 * @param timeoutMs bound on `vsce package`, in milliseconds (default 240000).
 * @returns the absolute path of the .vsix.
 * @throws AssertionError when `$CGW_TEST_VSIX` does not exist, or when `vsce package` fails (with its output).
 */
export function vsixUnderTest(scratch: string, timeoutMs = 240_000): string {
  const given = process.env.CGW_TEST_VSIX;
  if (given) {
    assert.ok(existsSync(given), `CGW_TEST_VSIX ${given} does not exist`);
    return given;
  }
  const vsix = join(scratch, 'codex-gateway.vsix');
  const r = spawnSync(process.execPath, [VSCE, 'package', '--no-dependencies', '--allow-missing-repository', '--readme-path', 'docs/vscode-extension.md', '--out', vsix], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  assert.equal(r.status, 0, `vsce package failed:\n${r.stdout}\n${r.stderr}`);
  return vsix;
}

/** The parts of a stub extension's manifest that differ between stubs. */
export interface StubManifest {
  /** `publisher.name` is the id of the extension it stands in for, e.g. `anthropic` + `claude-code`. */
  publisher: string;
  name: string;
  displayName: string;
  description: string;
  /** `contributes.configuration`: its title and the settings (JSON schema per key) the stub declares. */
  configuration: { title: string; properties: Record<string, unknown> };
}

/**
 * Writes a manifest-only stub extension (package.json, no code; version 0.0.1, `engines.vscode ^1.100.0`,
 * `extensionKind: ['workspace']`) into `dir`, created if missing. Load it as the session's
 * `extensionDevelopmentPath`: it is visible to `vscode.extensions.getExtension` and contributes its settings.
 */
export async function writeStubExtension(dir: string, stub: StubManifest): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { configuration, ...names } = stub;
  const manifest = { ...names, version: '0.0.1', engines: { vscode: '^1.100.0' }, extensionKind: ['workspace'], contributes: { configuration } };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
}
