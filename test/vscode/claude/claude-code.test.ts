/**
 * Issue 9, in a real VS Code (code-server 4.100.3 = VS Code 1.100.3, headless Chromium), with the Codex Gateway
 * extension packaged (`vsce package --no-dependencies`) and installed from its .vsix, as users get it:
 * enabling `codexGateway.claudeCode.enabled` writes `$CLAUDE_CONFIG_DIR/settings.json` in place (every byte
 * outside our keys kept, no token in the file) and merges our variables into `claudeCode.environmentVariables`;
 * "Codex Gateway: Restore Claude Code Settings" puts settings.json back byte for byte and the setting back to
 * the user's own entry. The checks run in the in-host suite `suite/claude-code.test.ts`.
 *
 * Claude Code's VS Code extension is a stub with its id, `anthropic.claude-code`, written here: no code, only
 * the setting `claudeCode.environmentVariables` in `contributes.configuration`, so VS Code accepts writes to it.
 * It is loaded as the session's development extension (the workbench runs the in-host suite only in an
 * extension development window; a development extension is visible to `vscode.extensions.getExtension` and
 * contributes its settings like an installed one), so the harness needs no second install path.
 *
 * Everything is on 127.0.0.1 with temp HOME / CODEX_HOME / CODEX_GATEWAY_HOME / CLAUDE_CONFIG_DIR.
 * `CGW_TEST_VSIX=/abs/x.vsix` tests that package instead of packaging the working tree.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExtensionTests } from '../harness/build';
import { freePort, logTail, runVsCodeTests } from '../harness/run';
import { TEST_RESULTS_DIR } from '../harness/ui';
import { makeTempHome } from '../harness/home';
import { vsixUnderTest, writeStubExtension } from '../harness/vsix';

/**
 * The user's own Claude Code settings.json: JSON with comments, odd formatting (a leading comment, mixed
 * indentation with a tab, spaces before a colon, a block comment, a blank line, trailing commas) and user keys,
 * among them an `env` object of their own.
 */
const USER_SETTINGS_JSON = [
  '// Claude Code user settings (hand-edited)',
  '{',
  '    "model":   "sonnet",   // the one I like',
  '  /* tools I allow */',
  '  "permissions": {"allow": ["Bash(ls:*)", "Read"], "deny": []},',
  '',
  '\t"env": {',
  '        "DISABLE_TELEMETRY": "1",  // keep quiet',
  '        "MY_TOOL_HOME" : "/opt/my tool",',
  '\t},',
  '    "includeCoAuthoredBy": false,',
  '}',
  '',
].join('\n');

/** The user's own `claudeCode.environmentVariables` (user settings), to be kept through wiring and restore. */
const USER_ENV = [{ name: 'CLAUDE_CODE_USE_MY_PROXY', value: 'http://proxy.example:3128' }];

/** Writes the stub `anthropic.claude-code` extension (manifest only) into `dir`. */
async function writeClaudeStub(dir: string): Promise<void> {
  await writeStubExtension(dir, {
    name: 'claude-code',
    publisher: 'anthropic',
    displayName: 'Claude Code (test stub)',
    description: 'Stub of the Claude Code extension for the Codex Gateway tests: declares claudeCode.environmentVariables only.',
    configuration: {
      title: 'Claude Code',
      properties: {
        'claudeCode.environmentVariables': {
          type: 'array',
          default: [],
          description: 'Environment variables for Claude Code sessions.',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, value: { type: 'string' } },
            required: ['name', 'value'],
          },
        },
      },
    },
  });
}

describe('Claude Code wiring in VS Code (code-server, installed .vsix)', function () {
  this.timeout(300_000);
  let scratch: string;
  let vsix: string;
  let testsEntry: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cgw-claude-vscode-'));
    vsix = vsixUnderTest(scratch);
    testsEntry = await buildExtensionTests(join(__dirname, 'suite'), join(__dirname, 'suite', 'out'));
  });
  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('enabling writes settings.json byte-preservingly and sets claudeCode.environmentVariables; Restore puts both back', async () => {
    const { home, codexHome, gatewayHome, workspace } = await makeTempHome(scratch, 'home', 'A folder for the Claude Code wiring test.\n');
    const claudeDir = join(home, 'claude-config');
    const stub = join(scratch, 'claude-code-stub');
    await mkdir(claudeDir, { recursive: true, mode: 0o700 });
    await writeFile(join(claudeDir, 'settings.json'), USER_SETTINGS_JSON);
    await chmod(join(claudeDir, 'settings.json'), 0o644);
    await writeClaudeStub(stub);
    const port = await freePort();

    const result = await runVsCodeTests({
      vsixPath: vsix,
      extensionDevelopmentPath: stub,
      extensionTestsPath: testsEntry,
      workspaceFolder: workspace,
      timeoutMs: 180_000,
      env: {
        HOME: home,
        CODEX_HOME: codexHome,
        CODEX_GATEWAY_HOME: gatewayHome,
        CLAUDE_CONFIG_DIR: claudeDir,
        OPENAI_API_KEY: '',
        CGW_TEST_PORT: String(port),
        CGW_TEST_CLAUDE_ORIGINAL: Buffer.from(USER_SETTINGS_JSON, 'utf8').toString('base64'),
        CGW_TEST_CLAUDE_MODE: '644',
        CGW_TEST_CLAUDE_USER_ENV: JSON.stringify(USER_ENV),
      },
      userSettings: { 'codexGateway.port': port, 'claudeCode.environmentVariables': USER_ENV },
      failureScreenshotPath: join(TEST_RESULTS_DIR, 'vscode-claude-code-failure.png'),
    });
    const summary = result.logs.find((l) => /^\[exthost\] \d+ passed, \d+ failed, \d+ skipped$/.test(l));
    assert.equal(result.exitCode, 0, logTail(result.logs));
    assert.ok(summary && / 0 failed, 0 skipped$/.test(summary), logTail(result.logs));
    // The gateway token never reached a log line.
    const tokenFile = join(gatewayHome, 'master_key');
    if (existsSync(tokenFile)) {
      const token = readFileSync(tokenFile, 'utf8').trim();
      assert.ok(token.length >= 16 && !result.logs.some((l) => l.includes(token)), 'the gateway token appeared in the log');
    }
  });
});
