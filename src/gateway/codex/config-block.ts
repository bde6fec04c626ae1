/**
 * The `config.toml` text that points the Codex CLI / IDE extension at the gateway.
 *
 * Choices, each verified with the real Codex CLI 0.169.0 (docs/codex.md, "Why the token is read by an
 * auth command"):
 * - The bearer token is read by `[model_providers.<id>.auth] command`, which prints a 0600 token file.
 *   It needs no environment variable (a GUI-launched VS Code does not see shell `export`s, so `env_key` and
 *   `env_http_headers` fail or silently send nothing there), and it keeps the secret out of config.toml
 *   (`experimental_bearer_token` and `http_headers` would put it in a file users paste and sync). Codex runs
 *   the command once per session, trims the trailing newline, and on an HTTP 401 runs it again and retries,
 *   so a rotated token is picked up without restarting Codex. A missing file makes Codex log the command's
 *   error and send no Authorization header (the gateway then answers 401). That log never reaches the TUI or
 *   the IDE, so `codex-gateway codex-config` writes {@link codexAuthCommand} (`codex-gateway codex-auth`, which
 *   also makes Codex show "Codex Gateway is not running …" when nothing listens) instead of the plain
 *   {@link tokenCommand}.
 * - `name = "Codex Gateway"`: a provider named `OpenAI` makes Codex assume remote compaction
 *   (`/responses/compact`) exists.
 * - `wire_api = "responses"`: the only value Codex 0.169 accepts.
 * - `model_catalog_url`: Codex fetches the gateway's catalog (`GET <url>?client_version=…`), so aliases get
 *   real metadata and the apply_patch tool. Without it, because `auth.command` is used, Codex fetches
 *   `GET {base_url}/models?client_version=…` instead, which the gateway also answers in Codex's shape.
 * - `request_max_retries = 1`, `stream_max_retries = 3`: the gateway's router already retries and falls back
 *   across deployments, so Codex's default 4 request retries would repeat that whole chain; one retry still
 *   covers a gateway restart. A stream cut after its first byte cannot be retried by the gateway, so Codex
 *   keeps a few stream retries. `stream_idle_timeout_ms` stays at Codex's default (300000 ms).
 */

/**
 * Provider ids Codex 0.169.0 reserves under `[model_providers]` (observed: `openai`, `ollama`, `lmstudio`
 * are rejected outright; `amazon-bedrock` and `gcp` accept only their cloud-specific keys).
 */
export const RESERVED_CODEX_PROVIDER_IDS: ReadonlySet<string> = new Set(['openai', 'ollama', 'lmstudio', 'amazon-bedrock', 'gcp']);

/** Default provider id for the gateway in Codex's config. */
export const DEFAULT_CODEX_PROVIDER_ID = 'codex-gateway';

/** Options of {@link codexConfigBlock}. */
export interface CodexConfigBlockOptions {
  /** The gateway's OpenAI base URL, e.g. `http://127.0.0.1:4000/v1` (Codex appends `/responses`). */
  baseUrl: string;
  /** Key under `[model_providers]` (default `codex-gateway`); must not be a reserved id. */
  providerId?: string;
  /** The alias Codex uses by default; written as top-level `model`, or as a comment when absent. */
  model?: string;
  /**
   * The config's wildcard `model_name` patterns (e.g. `openai/*`); when `model` is absent they make the comment
   * say which names Codex may pick ({@link pickModelHint}).
   */
  modelPatterns?: readonly string[];
  /** Absolute path of the file holding the gateway token (the master key), readable only by the user. */
  tokenFile: string;
  /** URL of the gateway's Codex model catalog, e.g. `http://127.0.0.1:4000/v1/codex/models`. */
  catalogUrl?: string;
  /**
   * Platform whose command reads the token file (default `process.platform`): `cat FILE` on POSIX,
   * `cmd.exe /d /c type FILE` on Windows.
   */
  platform?: NodeJS.Platform;
  /**
   * The auth command to write instead of {@link tokenCommand}(`tokenFile`), e.g. {@link codexAuthCommand}
   * (checks that the gateway runs and explains when it does not).
   */
  auth?: { command: string; args: string[] };
}

/**
 * Encodes a TOML basic string (TOML 1.0 §String). JSON's escapes (`\"`, `\\`, `\n`, `\uXXXX`) are all valid
 * TOML escapes, and JSON.stringify escapes every control character.
 */
export function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** Encodes a TOML key: bare when it only has `A-Za-z0-9_-` (TOML 1.0 §Keys), else quoted. */
export function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

/**
 * The command and arguments Codex runs to read the token file on `platform`.
 * On Windows the token is printed by `type` through `cmd.exe` (not verified on Windows in CI yet).
 */
export function tokenCommand(tokenFile: string, platform: NodeJS.Platform = process.platform): { command: string; args: string[] } {
  return platform === 'win32' ? { command: 'cmd.exe', args: ['/d', '/c', 'type', tokenFile] } : { command: 'cat', args: [tokenFile] };
}

/** Inputs of {@link codexAuthCommand}. */
export interface CodexAuthCommandOptions {
  /**
   * Absolute path of the program that runs the gateway's CLI bundle: Node (`process.execPath` of the
   * `codex-gateway` command), or VS Code's Electron binary with {@link electron} set.
   */
  nodePath: string;
  /**
   * Absolute path of the script that answers `codex-auth`: the small auth bundle `dist/codex-auth.js`
   * (auth-main.ts; what the CLI and the extension write), or the whole CLI bundle `dist/cli.js`.
   */
  cliScript: string;
  /** The gateway's address and port as in `base_url`. */
  host: string;
  port: number;
  /** The 0600 token file the command prints. */
  tokenFile: string;
  /** The gateway config file, named in the "start it with" hint. */
  configPath?: string;
  /**
   * `nodePath` is Electron (VS Code's `process.execPath`): it runs as plain Node only with
   * `ELECTRON_RUN_AS_NODE=1`, which Codex's auth table cannot set, so POSIX runs it through
   * `/usr/bin/env ELECTRON_RUN_AS_NODE=1 …`. On Windows there is no equivalent without cmd.exe quoting, so
   * the plain {@link tokenCommand} is returned (no gateway check).
   */
  electron?: boolean;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
}

/**
 * The auth command that prints the token only when the gateway is up and otherwise makes Codex show what to
 * do (`codex-auth`, src/gateway/codex/auth-helper.ts): `<node> <codex-auth.js> codex-auth --host H
 * --port N --token-file F [--config FILE]`. Codex runs `command` directly (no shell), so paths with spaces
 * need no quoting.
 */
export function codexAuthCommand(opts: CodexAuthCommandOptions): { command: string; args: string[] } {
  const platform = opts.platform ?? process.platform;
  if (opts.electron && platform === 'win32') return tokenCommand(opts.tokenFile, platform);
  const args = [opts.cliScript, 'codex-auth', '--host', opts.host, '--port', String(opts.port), '--token-file', opts.tokenFile];
  if (opts.configPath !== undefined) args.push('--config', opts.configPath);
  return opts.electron ? { command: '/usr/bin/env', args: ['ELECTRON_RUN_AS_NODE=1', opts.nodePath, ...args] } : { command: opts.nodePath, args };
}

/**
 * A wildcard `model_name` as a person reads it: each `*` becomes `<name>` (`openai/*` -> `openai/<name>`,
 * `*` -> `<name>`).
 */
export function patternHint(pattern: string): string {
  return pattern.replaceAll('*', '<name>');
}

/**
 * What to tell the user when a config has wildcard `model_name` entries but no plain alias, so there is no
 * model to pick for them: `pick a model: any openai/<name> or anthropic/<name>` (a bare `*`: `any model name`).
 * @param patterns wildcard `model_name` values, most specific first (GatewayConfig.wildcards order).
 */
export function pickModelHint(patterns: readonly string[]): string {
  if (patterns.includes('*')) return 'pick a model: any model name';
  const shown = patterns.slice(0, 3).map(patternHint);
  return `pick a model: any ${shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)!}` : shown[0]!}${patterns.length > 3 ? ', ...' : ''}`;
}

/**
 * Builds the config.toml text that points Codex at the gateway: top-level `model_provider` and `model`,
 * then `[model_providers.<id>]` and its `.auth` table. The text is a complete file on its own; to merge it
 * into an existing config.toml, the two top-level keys must go above the file's first `[table]` header.
 * @throws Error when `providerId` is reserved by Codex or empty, or when `baseUrl`/`catalogUrl` is not an
 *   http(s) URL, or `tokenFile` is empty.
 */
export function codexConfigBlock(opts: CodexConfigBlockOptions): string {
  const id = opts.providerId ?? DEFAULT_CODEX_PROVIDER_ID;
  if (id === '') throw new Error('The Codex provider id is empty: pass a name such as "codex-gateway".');
  if (RESERVED_CODEX_PROVIDER_IDS.has(id)) {
    throw new Error(`"${id}" is a provider id Codex reserves and cannot be redefined: use another id, e.g. "${DEFAULT_CODEX_PROVIDER_ID}".`);
  }
  for (const [what, url] of [['baseUrl', opts.baseUrl], ['catalogUrl', opts.catalogUrl]] as const) {
    if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url)) {
      throw new Error(`${what} "${url}" is not an http(s) URL: pass the gateway address, e.g. http://127.0.0.1:4000/v1.`);
    }
  }
  if (opts.tokenFile === '') throw new Error('tokenFile is empty: pass the path of the gateway token file.');
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const key = tomlKey(id);
  const auth = opts.auth ?? tokenCommand(opts.tokenFile, opts.platform);
  const lines = [
    '# Codex Gateway: points Codex at the local gateway.',
    '# Top-level keys (model_provider, model) must stay ABOVE the first [table] header of config.toml:',
    '# TOML puts every key written after a [table] header into that table.',
    `model_provider = ${tomlString(id)}`,
    opts.model !== undefined
      ? `model = ${tomlString(opts.model)}`
      : opts.modelPatterns !== undefined && opts.modelPatterns.length > 0
        ? `# model = ${tomlString(patternHint(opts.modelPatterns[0]!))}  # ${pickModelHint(opts.modelPatterns)} (config.yaml has only wildcard model_name entries)`
        : '# model = "<alias>"  # one of the gateway aliases (model_name in config.yaml)',
    '',
    `[model_providers.${key}]`,
    '# Not "OpenAI": that name makes Codex call /responses/compact, which the gateway does not serve.',
    'name = "Codex Gateway"',
    `base_url = ${tomlString(baseUrl)}`,
    'wire_api = "responses"',
  ];
  if (opts.catalogUrl !== undefined) lines.push(`model_catalog_url = ${tomlString(opts.catalogUrl)}`);
  lines.push(
    '# The gateway already retries and falls back between deployments; one request retry covers a restart.',
    'request_max_retries = 1',
    'stream_max_retries = 3',
    '',
    '# Codex runs this command to get the gateway token (no environment variable needed, works in VS Code).',
    `[model_providers.${key}.auth]`,
    `command = ${tomlString(auth.command)}`,
    `args = [${auth.args.map(tomlString).join(', ')}]`,
    '',
  );
  return lines.join('\n');
}
