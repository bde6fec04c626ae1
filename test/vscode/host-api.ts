/**
 * Shared by the in-host suites (test/vscode/suite, remote/suite, claude/suite), bundled into each by esbuild
 * (harness/build.ts): the Codex Gateway extension's API as the suites reach it inside the extension host.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CodexGatewayApi } from '../../src/extension/extension';
import { waitUntil } from '../helpers/wait';

/** The extension's id (`publisher.name` of package.json). */
export const EXTENSION_ID = 'codex-gateway.codex-gateway';

/**
 * The extension's API once it has activated (on startup; waits up to `timeoutMs`, in ms, default 30000) and its
 * gateway is ready (`whenReady()`).
 * @throws AssertionError when the extension is not installed in this extension host, or when it activated
 *   without exports (activation failed: its error is in the `[browser]` log lines); the wait's timeout error.
 */
export async function codexGatewayApi(timeoutMs = 30_000): Promise<CodexGatewayApi> {
  const ext = vscode.extensions.getExtension<CodexGatewayApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
  await waitUntil('the extension to activate on startup', () => ext.isActive || 'not active', timeoutMs);
  assert.ok(ext.exports, `${EXTENSION_ID} activated without its API: activation failed (see the log)`);
  await ext.exports.whenReady();
  return ext.exports;
}
