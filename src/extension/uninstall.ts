/**
 * The `vscode:uninstall` hook (bundled to `dist/uninstall.js`). VS Code runs it with Node, without the VS Code
 * API, once the extension is fully uninstalled (after the next restart). It puts Codex's config.toml back the
 * way the user had it (our provider table removed, the previous `model_provider` / `model` restored; the
 * one-time backup stays next to it). It honours CODEX_HOME as set in VS Code's environment. The gateway token
 * file (`~/.codex-gateway/master_key`) is kept: the `codex-gateway` command line shares it.
 * Claude Code's settings.json (`$CLAUDE_CONFIG_DIR`, else `~/.claude`) is restored too (claude-wiring.ts); the
 * VS Code setting `claudeCode.environmentVariables` cannot be changed here (no VS Code API): our entries stay
 * there, and docs/vscode-extension.md says to run "Restore Claude Code Settings" before uninstalling.
 */
import { codexHome } from '../gateway/codex/config-toml';
import { claudeConfigDir } from '../gateway/claude/settings-json';
import { restoreClaudeWiring } from './claude-wiring';
import { restoreCodexWiring } from './codex-wiring';

/**
 * Restores config.toml and Claude Code's settings.json.
 * @returns exit code: 0 on success, 1 when either could not be restored (the message says why and how).
 */
export async function runUninstall(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let code = 0;
  try {
    const res = await restoreCodexWiring(codexHome(env));
    process.stdout.write(res.restored ? `Codex Gateway: restored ${res.path}\n` : `Codex Gateway: ${res.path} needed no change\n`);
  } catch (e) {
    process.stderr.write(`Codex Gateway: could not restore Codex's config.toml: ${(e as Error).message}\n`);
    code = 1;
  }
  try {
    const res = await restoreClaudeWiring(claudeConfigDir(env));
    if (res.how !== 'none') process.stdout.write(res.restored ? `Codex Gateway: restored ${res.path}\n` : `Codex Gateway: ${res.path} needed no change\n`);
  } catch (e) {
    process.stderr.write(`Codex Gateway: could not restore Claude Code's settings.json: ${(e as Error).message}. Remove env.ANTHROPIC_BASE_URL and apiKeyHelper from it by hand.\n`);
    code = 1;
  }
  return code;
}

if (require.main === module) {
  void runUninstall().then((code) => process.exit(code));
}
