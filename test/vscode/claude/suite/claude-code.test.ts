/**
 * Runs INSIDE the VS Code extension host (code-server's remote extension host) with the Codex Gateway extension
 * installed from its .vsix and a stub `anthropic.claude-code` extension (it only declares the setting
 * `claudeCode.environmentVariables`). Driven by test/vscode/claude/claude-code.test.ts, which passes:
 * CLAUDE_CONFIG_DIR (a temp folder holding the user's own settings.json, written before VS Code started),
 * CGW_TEST_PORT (the gateway port, also in user settings), CGW_TEST_CLAUDE_ORIGINAL (base64 of that file's
 * bytes), CGW_TEST_CLAUDE_MODE (its permission bits, octal) and CGW_TEST_CLAUDE_USER_ENV (JSON: the user's own
 * `claudeCode.environmentVariables`, also in user settings).
 *
 * Issue 9: enabling `codexGateway.claudeCode.enabled` writes settings.json in place, keeping every byte outside
 * our keys, and merges our variables into `claudeCode.environmentVariables`; "Restore Claude Code Settings"
 * puts both back (settings.json byte for byte) and turns the setting off.
 *
 * The one-time offer ("Claude Code is installed. Let it use Codex Gateway's models too?") shows at startup here
 * (the stub is installed and this fresh profile never answered): nobody clicks it, it is a non-modal
 * notification, and the offer runs outside the wiring chain (`void this.offerClaudeCode()`), so it blocks
 * nothing. Enabling the setting records the answer (`enabled`), and Restore turns the setting off before the
 * configuration event arrives, so no second offer is made.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
// The ESM build: esbuild cannot follow the UMD build's (jsonc-parser's "main") internal requires.
import { parse } from 'jsonc-parser/lib/esm/main.js';
import * as vscode from 'vscode';
import type { CodexGatewayApi } from '../../../../src/extension/extension';
import { waitUntil } from '../../../helpers/wait';
import { codexGatewayApi as api, EXTENSION_ID } from '../../host-api';

const CLAUDE_EXTENSION_ID = 'anthropic.claude-code';
const PORT = Number(process.env.CGW_TEST_PORT);
const CLAUDE_DIR = process.env.CLAUDE_CONFIG_DIR!;
const SETTINGS = join(CLAUDE_DIR, 'settings.json');
const BACKUP = join(CLAUDE_DIR, 'settings.json.codex-gateway.bak');
const STATE = join(CLAUDE_DIR, 'settings.json.codex-gateway.json');
const ORIGINAL = Buffer.from(process.env.CGW_TEST_CLAUDE_ORIGINAL ?? '', 'base64');
const ORIGINAL_MODE = parseInt(process.env.CGW_TEST_CLAUDE_MODE ?? '', 8);
const USER_ENV = JSON.parse(process.env.CGW_TEST_CLAUDE_USER_ENV ?? '[]') as { name: string; value: string }[];

/** The variables the wiring owns, in the order it writes them (docs/vscode-extension.md). */
const OUR_NAMES = ['ANTHROPIC_BASE_URL', 'ANTHROPIC_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL', 'ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_OPUS_MODEL'];
/** Our values with default settings: the gateway on loopback (no /v1), every tier on the alias `default`. */
const OUR_VALUES: Record<string, string> = {
  ANTHROPIC_BASE_URL: `http://127.0.0.1:${PORT}`,
  ANTHROPIC_MODEL: 'default',
  ANTHROPIC_DEFAULT_HAIKU_MODEL: 'default',
  ANTHROPIC_DEFAULT_SONNET_MODEL: 'default',
  ANTHROPIC_DEFAULT_OPUS_MODEL: 'default',
};
const OUR_ENTRIES = OUR_NAMES.map((name) => ({ name, value: OUR_VALUES[name] }));
/** One line we add to settings.json: `"KEY": "value",` (the file uses trailing commas), alone on its line. */
const OUR_LINE = new RegExp(`^[ \\t]*"(${[...OUR_NAMES, 'apiKeyHelper'].join('|')})": "[^"\\n]*",$`);

/** The user-level value of `claudeCode.environmentVariables`. */
function claudeEnvSetting(): unknown {
  return vscode.workspace.getConfiguration('claudeCode').inspect<unknown>('environmentVariables')?.globalValue;
}

/** `lines` of `text` that are ours, and the text without them. */
function splitOurLines(text: string): { ours: string[]; rest: string } {
  const lines = text.split('\n');
  return { ours: lines.filter((l) => OUR_LINE.test(l)), rest: lines.filter((l) => !OUR_LINE.test(l)).join('\n') };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('Claude Code wiring inside VS Code', () => {
  let gw: CodexGatewayApi;
  let token: string;
  let tokenFile: string;

  before(async () => {
    assert.ok(ORIGINAL.length > 0 && CLAUDE_DIR && PORT > 0 && ORIGINAL_MODE > 0, 'the outer test passes CLAUDE_CONFIG_DIR, CGW_TEST_PORT, CGW_TEST_CLAUDE_ORIGINAL and CGW_TEST_CLAUDE_MODE');
    gw = await api();
    tokenFile = gw.status().tokenFile;
    token = readFileSync(tokenFile, 'utf8').trim();
    assert.ok(token.length >= 16, 'the gateway token file holds a token');
  });

  it('starts unwired: settings.json untouched, the stub Claude Code extension and the user entry visible', async () => {
    assert.ok(vscode.extensions.getExtension(CLAUDE_EXTENSION_ID), `the stub ${CLAUDE_EXTENSION_ID} is not visible in this extension host`);
    assert.equal(vscode.workspace.getConfiguration('codexGateway').get('claudeCode.enabled'), false);
    const st = gw.status().claudeCode;
    assert.equal(st.configDir, CLAUDE_DIR, 'the extension uses $CLAUDE_CONFIG_DIR');
    assert.equal(st.state, 'off');
    assert.ok(readFileSync(SETTINGS).equals(ORIGINAL), 'settings.json is untouched while the setting is off');
    assert.ok(!existsSync(BACKUP) && !existsSync(STATE), 'no backup or state file while the setting is off');
    assert.deepEqual(claudeEnvSetting(), USER_ENV);
  });

  it('enabling the setting writes settings.json in place (nothing else changes, no token) and merges claudeCode.environmentVariables', async () => {
    await vscode.workspace.getConfiguration('codexGateway').update('claudeCode.enabled', true, vscode.ConfigurationTarget.Global);
    const original = ORIGINAL.toString('utf8');

    await waitUntil(
      'settings.json to point at the gateway',
      () => {
        const text = readFileSync(SETTINGS, 'utf8');
        const v = parse(text, [], { allowTrailingComma: true }) as { env?: Record<string, unknown>; apiKeyHelper?: unknown };
        for (const n of OUR_NAMES) if (v.env?.[n] !== OUR_VALUES[n]) return `env.${n} is ${JSON.stringify(v.env?.[n])}`;
        if (typeof v.apiKeyHelper !== 'string') return 'no apiKeyHelper';
        return true;
      },
    );
    await waitUntil('claudeCode.environmentVariables to carry our entries after the user one', () => {
      const cur = claudeEnvSetting();
      return same(cur, [...USER_ENV, ...OUR_ENTRIES]) || `it is ${JSON.stringify(cur)}`;
    });

    const text = readFileSync(SETTINGS, 'utf8');
    assert.ok(!text.includes(token), 'the gateway token is in settings.json');
    // Every byte outside our six members is the user's: take our lines out and the original is back.
    const { ours, rest } = splitOurLines(text);
    assert.equal(ours.length, 6, `our lines:\n${ours.join('\n')}\n--- file ---\n${text}`);
    assert.equal(rest, original, `settings.json changed outside our keys:\n${text}`);
    // Each of our env members sits in "env", indented like the user's last member there; apiKeyHelper at the top level.
    const v = parse(text, [], { allowTrailingComma: true }) as { env: Record<string, string>; apiKeyHelper: string; model: string };
    assert.equal(v.model, 'sonnet', 'the user key is kept');
    assert.equal(v.env.MY_TOOL_HOME, '/opt/my tool', 'the user variable is kept');
    assert.deepEqual(Object.keys(v.env), ['DISABLE_TELEMETRY', 'MY_TOOL_HOME', ...OUR_NAMES]);
    // apiKeyHelper is a command that prints the token from the 0600 token file (run it as Claude Code would).
    assert.ok(v.apiKeyHelper.includes(tokenFile), v.apiKeyHelper);
    assert.equal(execFileSync('/bin/sh', ['-c', v.apiKeyHelper], { encoding: 'utf8', timeout: 10_000 }).trim(), token);
    // The backup holds the original bytes; neither it nor the state file holds the token.
    assert.ok(readFileSync(BACKUP).equals(ORIGINAL), 'the backup has the original bytes');
    assert.ok(!readFileSync(STATE, 'utf8').includes(token), 'the gateway token is in the state file');
    assert.equal(gw.status().claudeCode.state, 'wired');
  });

  it('"Restore Claude Code Settings" puts settings.json back byte for byte, claudeCode.environmentVariables back to the user entry, and turns the setting off', async () => {
    await vscode.commands.executeCommand('codexGateway.restoreClaudeCode');
    await waitUntil('settings.json to be byte-identical to the original', () => {
      const now = readFileSync(SETTINGS);
      return now.equals(ORIGINAL) || `it is now:\n${now.toString('utf8')}`;
    });
    await waitUntil('claudeCode.environmentVariables to be the user entry only', () => {
      const cur = claudeEnvSetting();
      return same(cur, USER_ENV) || `it is ${JSON.stringify(cur)}`;
    });
    await waitUntil('codexGateway.claudeCode.enabled to be off', () => {
      const enabled = vscode.workspace.getConfiguration('codexGateway').inspect<boolean>('claudeCode.enabled')?.globalValue;
      return enabled === false || `globalValue is ${String(enabled)}`;
    });
    assert.equal(statSync(SETTINGS).mode & 0o777, ORIGINAL_MODE, 'the file mode is restored');
    assert.ok(!existsSync(BACKUP), 'the backup is removed after an exact restore');
    assert.ok(!existsSync(STATE), 'the state file is removed after a restore');
    assert.equal(gw.status().claudeCode.state, 'restored');
    // Still so a moment later: nothing (a late configuration event, the offer) writes either again.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.ok(readFileSync(SETTINGS).equals(ORIGINAL), 'settings.json changed again after the restore');
    assert.deepEqual(claudeEnvSetting(), USER_ENV);
  });
});
