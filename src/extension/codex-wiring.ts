/**
 * Pointing Codex (CLI and the `openai.chatgpt` IDE extension) at the gateway through
 * `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`), as pure decisions plus the engine's
 * byte-preserving writer (`src/gateway/codex/config-toml.ts`). No `vscode` import.
 *
 * What is written (the same provider table as `codex-gateway codex-config` prints, see
 * src/gateway/codex/config-block.ts for why each key):
 * ```toml
 * model_provider = "codex-gateway"
 * model = "default"
 * [model_providers.codex-gateway]
 * name = "Codex Gateway"
 * base_url = "http://127.0.0.1:4141/v1"
 * wire_api = "responses"
 * model_catalog_url = "http://127.0.0.1:4141/v1/codex/models"
 * request_max_retries = 1
 * stream_max_retries = 3
 * auth = { command = "/usr/bin/env", args = ["ELECTRON_RUN_AS_NODE=1", "<VS Code's executable>",
 *   "<extension>/dist/codex-auth.js", "codex-auth", "--host", "127.0.0.1", "--port", "4141",
 *   "--token-file", "/home/me/.codex-gateway/master_key"] }
 * ```
 * `model = "default"` is the gateway's virtual alias for the model picked in VS Code (status bar /
 * `codexGateway.defaultModel`): switching models changes what `default` means inside the running gateway, so
 * the next Codex request (IDE or CLI) uses it without any file change or restart. A `model` the user picked
 * in Codex that is one of the gateway's aliases is left alone.
 *
 * Why the token is read by an auth command: the Codex IDE extension spawns `codex app-server` with the
 * extension host's environment, and a VS Code started from a desktop launcher does not see shell exports,
 * so an `env_key` would fail there; the command reads the 0600 token file, so a rotated token needs no
 * config rewrite (Codex re-runs the command after a 401) and terminals opened before activation work.
 */
import { codexAuthCommand, DEFAULT_CODEX_PROVIDER_ID, tokenCommand } from '../gateway/codex/config-block';
import { readCodexSelection, restoreCodexConfig, writeCodexConfig, type CodexWiring, type WriteCodexConfigResult } from '../gateway/codex/config-toml';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { servedByWildcard, type CodexConfigMode } from './settings';

/**
 * What runs the auth command ({@link extensionAuthCommand}): the extension host's own executable and the auth
 * bundle shipped in the extension (`dist/codex-auth.js`).
 *
 * `nodePath` is the extension host's `process.execPath`:
 * - desktop VS Code: the Electron executable (Linux `/usr/share/code/code`, or under `/snap/code/<revision>/`;
 *   macOS the extension host's helper, `/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper
 *   (Plugin).app/Contents/MacOS/Code Helper (Plugin)`, observed in VS Code's crash reports), run as Node with
 *   `ELECTRON_RUN_AS_NODE=1` as language servers forked by extensions are;
 * - VS Code Server (Remote-SSH, dev containers, WSL): `~/.vscode-server/bin/<commit>/node` (plain Node);
 * - code-server: the Node that runs code-server (plain Node).
 * The paths of VS Code Server, snap and the extension itself (`…/codex-gateway.codex-gateway-<version>/`)
 * change with updates: each activation re-syncs config.toml ({@link decideCodexAction} refreshes our table
 * without asking while `model_provider` is ours).
 */
export interface AuthRunner {
  /** The extension host's executable (`process.execPath`). */
  nodePath: string;
  /** Absolute path of the extension's `dist/codex-auth.js`. */
  script: string;
  /** Whether `nodePath` is Electron (`process.versions.electron` is set): it then needs ELECTRON_RUN_AS_NODE=1. */
  electron: boolean;
}

/**
 * The auth command the extension writes: `codex-auth` of the engine (prints the token while the gateway
 * runs; otherwise makes Codex show "Codex Gateway is not running …" and what to do), see
 * src/gateway/codex/config-block.ts {@link codexAuthCommand}. Desktop VS Code on Windows gets the plain token
 * command (Electron cannot be run as Node there without cmd.exe quoting).
 */
export function extensionAuthCommand(runner: AuthRunner, port: number, tokenFile: string, platform: NodeJS.Platform = process.platform): { command: string; args: string[] } {
  return codexAuthCommand({ nodePath: runner.nodePath, cliScript: runner.script, electron: runner.electron, host: '127.0.0.1', port, tokenFile, platform });
}

/** Our provider id under `[model_providers]` (the engine's default, shared with the CLI). */
export const PROVIDER_ID = DEFAULT_CODEX_PROVIDER_ID;

/** The model written to config.toml: the gateway's virtual alias for the model chosen in VS Code. */
export const DEFAULT_MODEL_ALIAS = 'default';

/**
 * The provider table for a gateway on `port` whose token is in `tokenFile`.
 * @param runner runs the auth command ({@link extensionAuthCommand}); without it the plain token command
 *   (`cat FILE` on POSIX, `cmd.exe /d /c type FILE` on Windows) is written.
 * @param platform decides the command's form (default `process.platform`).
 */
export function providerTable(port: number, tokenFile: string, runner?: AuthRunner, platform: NodeJS.Platform = process.platform): CodexWiring['provider'] {
  const base = `http://127.0.0.1:${port}/v1`;
  const auth = runner ? extensionAuthCommand(runner, port, tokenFile, platform) : tokenCommand(tokenFile, platform);
  return {
    name: 'Codex Gateway',
    base_url: base,
    wire_api: 'responses',
    model_catalog_url: `${base}/codex/models`,
    request_max_retries: 1,
    stream_max_retries: 3,
    auth: { command: auth.command, args: auth.args },
  };
}

/** The user's current top-level selection in config.toml (`undefined` keys are absent). */
export interface CodexSelection {
  model?: string;
  model_provider?: string;
}

/** What to do with config.toml now. */
export type CodexAction =
  /** Write our table; set `model_provider` (and `model` when given). `replaces` is the other provider it replaces. */
  | { kind: 'write'; model?: string; replaces?: string }
  /** Ask the user first: config.toml selects `current` (another provider, or none = OpenAI's default). */
  | { kind: 'ask'; current?: string }
  /** Leave config.toml alone. */
  | { kind: 'skip'; reason: 'off' | 'declined' };

/**
 * Decides how to wire config.toml.
 * @param mode `codexGateway.codexConfig`.
 * @param sel the current selection ({@link readCodexSelection}); `{}` when config.toml does not exist.
 * @param aliases the gateway's aliases and wildcard `model_name` patterns (a `model` naming an alias, served by
 *   a pattern, or `default`, is kept). A config with only wildcard patterns still gets `model = "default"`: it
 *   means the model picked in VS Code ("pick a model: any openai/<name>", status bar), so a pick applies to
 *   Codex at once; until then the gateway answers `default` with the names it serves.
 * @param declined the `model_provider` value the user said to keep last time we asked (undefined = none /
 *   absent key recorded as `''`), so we do not ask again while it is unchanged.
 */
export function decideCodexAction(mode: CodexConfigMode, sel: CodexSelection, aliases: readonly string[], declined?: string): CodexAction {
  if (mode === 'off') return { kind: 'skip', reason: 'off' };
  const ours = sel.model_provider === PROVIDER_ID;
  const modelOk = sel.model !== undefined && (sel.model === DEFAULT_MODEL_ALIAS || (aliases.includes(sel.model) && !sel.model.includes('*')) || servedByWildcard(sel.model, aliases));
  if (ours) return modelOk ? { kind: 'write' } : { kind: 'write', model: DEFAULT_MODEL_ALIAS };
  if (mode === 'ask') {
    if (declined !== undefined && declined === (sel.model_provider ?? '')) return { kind: 'skip', reason: 'declined' };
    return { kind: 'ask', ...(sel.model_provider !== undefined ? { current: sel.model_provider } : {}) };
  }
  return { kind: 'write', model: DEFAULT_MODEL_ALIAS, ...(sel.model_provider !== undefined ? { replaces: sel.model_provider } : {}) };
}

/**
 * Reads the selection from `$codexHome/config.toml`.
 * @returns `{}` when the file does not exist.
 * @throws CodexConfigError `invalid_toml` when the file is not valid TOML (the message says how to fix it).
 */
export async function readSelection(codexHome: string): Promise<CodexSelection> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(codexHome, 'config.toml'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  return readCodexSelection(text);
}

/**
 * Writes our provider table (always), `model_provider` and optionally `model` to config.toml, preserving
 * every other byte (engine's {@link writeCodexConfig}: backup once, atomic, locked against other windows).
 * @throws CodexConfigError or a file-system error, as {@link writeCodexConfig}.
 */
export function applyCodexWiring(opts: { codexHome: string; port: number; tokenFile: string; runner?: AuthRunner; model?: string }): Promise<WriteCodexConfigResult> {
  return writeCodexConfig({
    codexHome: opts.codexHome,
    wiring: {
      providerId: PROVIDER_ID,
      provider: providerTable(opts.port, opts.tokenFile, opts.runner),
      ...(opts.model !== undefined ? { model: opts.model } : {}),
      setModelProvider: true,
    },
  });
}

/**
 * Undoes our wiring: removes our table and puts the user's previous `model` / `model_provider` back
 * (engine's {@link restoreCodexConfig}).
 * @returns whether config.toml changed, and its path.
 */
export function restoreCodexWiring(codexHome: string): Promise<{ restored: boolean; path: string }> {
  return restoreCodexConfig({ codexHome, providerId: PROVIDER_ID });
}
