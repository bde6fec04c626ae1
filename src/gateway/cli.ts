/**
 * `codex-gateway`: the standalone command line of the gateway engine.
 *
 *   codex-gateway serve --config FILE [--host H] [--port N] [--log-level L]
 *   codex-gateway codex-config [--config FILE] [--host H] [--port N] [--provider-id ID] [--model ALIAS]
 *   codex-gateway check --config FILE
 *   codex-gateway rotate-token
 *   codex-gateway codex-auth --port N --token-file FILE [--host H] [--config FILE]   (run by Codex)
 *
 * Exit codes: 0 ok, 1 runtime error, 2 usage or config error.
 */
import { existsSync, realpathSync, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { deserialize, serialize } from 'node:v8';
import { generateToken, loadOrCreateMasterKey, masterKeyPath, writeMasterKey } from './auth';
import { quitAbsentNotice } from './codex/absent-notice';
import { ABSENT_NOTICE_COMMAND, absentNoticeMain, codexAuthMain } from './codex/auth-command';
import { codexAuthCommand, codexConfigBlock } from './codex/config-block';
import { portTokenPath, writeTokenFile } from './token-file';
import { Logger } from './log';
import { Gateway } from './server';
import type { GatewayConfig, LogLevel } from './types';

const USAGE = `Usage:
  codex-gateway serve --config FILE [--host 127.0.0.1] [--port 4000] [--log-level info]
      Serves the gateway. Prints "Codex Gateway listening on http://127.0.0.1:PORT" when ready.
      --port 0 picks a free port. Stops on SIGINT/SIGTERM, letting streams finish.
  codex-gateway codex-config [--config FILE] [--host H] [--port N] [--provider-id ID] [--model ALIAS]
      Prints the ~/.codex/config.toml block that points Codex at this gateway. Its auth command
      (dist/codex-auth.js, the same as codex-gateway codex-auth) gives Codex the token and, when the
      gateway is not running, makes Codex say so and what to do. With general_settings.master_key the
      token is read from ~/.codex-gateway/port-PORT.token, which serve writes when it starts (0600).
  codex-gateway check --config FILE
      Validates a config file and prints its aliases.
  codex-gateway rotate-token
      Writes a new gateway token to the token file; a running serve switches to it within a second.
`;

/** Prints `codex-gateway: <msg>` on stderr and exits with `code` (2: usage or config error, 1: runtime error). */
function fail(msg: string, code = 2): never {
  process.stderr.write(`codex-gateway: ${msg}\n`);
  process.exit(code);
}

/** Internal sub-command of the config-loading child process (not shown in the usage). */
const LOAD_CONFIG_COMMAND = '__load-config';

/** What the config loader returns (the child process prints it). */
type LoadResult = { ok: true; config: GatewayConfig } | { ok: false; kind: 'config' | 'other'; message: string };

/** Loads and validates a config file (YAML/JSON); warnings go to stderr. */
async function loadHere(path: string): Promise<LoadResult> {
  // Imported lazily: the validator (zod) and the YAML parser are only needed while loading.
  const { ConfigError, loadConfigFile } = require('./config') as typeof import('./config');
  try {
    return { ok: true, config: await loadConfigFile(path, { warn: (m) => process.stderr.write(`codex-gateway: warning: ${m}\n`) }) };
  } catch (e) {
    // A missing or unreadable file is a ConfigError too (loadConfigFile says what to do about it).
    if (e instanceof ConfigError) return { ok: false, kind: 'config', message: e.message };
    return { ok: false, kind: 'other', message: (e as Error).stack ?? String(e) };
  }
}

/**
 * Loads the config, in a short-lived child process when `isolated`: the schema validator and the YAML
 * parser then never enter the long-running server's memory (measured: about 10 MB of the idle RSS; a
 * worker thread left half of that behind), and the resolved config comes back through v8 serialisation
 * (which keeps the `groups` Map). Warnings reach stderr directly.
 */
async function load(path: string | undefined, isolated = false): Promise<GatewayConfig> {
  if (!path) fail(`--config FILE is required.\n\n${USAGE}`);
  const abs = resolve(path);
  const r: LoadResult = isolated
    ? await new Promise<LoadResult>((res, rej) => {
        const child = execFile(process.execPath, [__filename, LOAD_CONFIG_COMMAND, abs], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
          if (err) rej(new Error(`the config loader (a child process) failed: ${err.message}; run "codex-gateway check --config ${path}" to see the config's own errors.`));
          else res(deserialize(Buffer.from(stdout, 'base64')) as LoadResult);
        });
        child.stderr?.pipe(process.stderr);
      })
    : await loadHere(abs);
  if (r.ok) return r.config;
  if (r.kind === 'config') fail(`cannot use ${path}; fix the following, then run the command again:\n${r.message}`);
  throw new Error(r.message);
}

/**
 * The gateway token: `general_settings.master_key` (literal or `os.environ/NAME`), else the generated
 * token in the master key file (created 0600 on first run).
 */
async function masterKey(config: GatewayConfig): Promise<{ token: string; source: string; file?: string }> {
  const mk = config.masterKey;
  if (mk?.kind === 'literal') return { token: mk.value, source: 'general_settings.master_key' };
  if (mk?.kind === 'env') {
    const v = process.env[mk.name];
    if (!v) fail(`general_settings.master_key reads ${mk.name}, which is not set: export ${mk.name}=<token> or remove master_key to use a generated token.`);
    return { token: v, source: `$${mk.name}` };
  }
  const path = masterKeyPath();
  const { token, created } = await loadOrCreateMasterKey(path);
  return { token, source: `${path}${created ? ' (created now)' : ''}`, file: path };
}

/** How often `serve` checks the token file for a rotation, in ms. */
const TOKEN_POLL_MS = 1000;

/**
 * Follows the token file: after `codex-gateway rotate-token` (or any rewrite of the file) the running
 * gateway accepts only the new token, within about {@link TOKEN_POLL_MS}. Codex re-runs its `auth` command
 * after a 401, so it picks the new token up by itself. Polling (`fs.watchFile`) also survives the atomic
 * rename the writer uses, which an inode watch would not.
 */
function followTokenFile(path: string, gw: Gateway, logger: Logger, current: string): void {
  let token = current;
  watchFile(path, { interval: TOKEN_POLL_MS, persistent: false }, () => {
    readFile(path, 'utf8').then(
      (text) => {
        const next = text.trim();
        if (!next || next === token) return;
        token = next;
        gw.setMasterKey(next);
        logger.info(`the gateway token in ${path} changed: the new token is in force`);
      },
      () => logger.warn(`the gateway token file ${path} cannot be read; the previous token stays in force (run 'codex-gateway rotate-token' to write a new one)`),
    );
  });
}

/**
 * Listens on `host:port`; when the port is held by the short-lived notice server that Codex's auth command
 * starts while the gateway is down (absent-notice.ts), asks it to quit and tries again for up to 3 s.
 * @throws the listen error (with its explanation) otherwise.
 */
async function listenTakingOverNotice(gw: Gateway, host: string, port: number): Promise<{ host: string; port: number; url: string }> {
  try {
    return await gw.listen(host, port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !(await quitAbsentNotice(host, port))) throw e;
  }
  const deadline = Date.now() + 3000;
  for (;;) {
    try {
      return await gw.listen(host, port);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** `serve`: loads the config, starts the gateway, and stops it gracefully on SIGINT/SIGTERM. */
async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, host: { type: 'string' }, port: { type: 'string', short: 'p' }, 'log-level': { type: 'string' } },
  });
  const config = await load(values.config, true);
  const level = (values['log-level'] as LogLevel | undefined) ?? config.server.logLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) fail(`--log-level must be one of debug, info, warn, error, silent.`);
  const port = values.port !== undefined ? Number(values.port) : config.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer from 0 to 65535.`);
  const { token, source, file } = await masterKey(config);
  const logger = new Logger(level);
  for (const w of config.warnings) logger.warn(w);
  const gw = new Gateway({ config, masterKey: token, logger });
  if (file) followTokenFile(file, gw, logger, token);
  const host = values.host ?? config.server.host;
  let addr;
  try {
    addr = await listenTakingOverNotice(gw, host, port);
  } catch (e) {
    fail((e as Error).message, 1);
  }
  if (!file) {
    // The token comes from general_settings.master_key: Codex's auth command (codex-config's block) reads the token from the per-port file (token-file.ts).
    const tokenPath = portTokenPath(addr.port);
    await writeTokenFile(tokenPath, token).catch((e: Error) =>
      logger.warn(`cannot write the gateway token file ${tokenPath} that Codex reads (${e.message}); check that this user may write there, or set CODEX_GATEWAY_HOME`),
    );
  }
  // One write: whoever waits for the ready line gets the token line with it.
  process.stdout.write(`Codex Gateway listening on ${addr.url} (aliases: ${[...config.groups.keys()].join(', ')})\nGateway token: ${source}\n`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info(`${sig}: stopping; letting requests in flight finish (up to ${config.server.shutdownGraceMs} ms)`);
    gw.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * The script config.toml's auth command runs: `codex-auth.js` next to this bundle (`dist/`, built by
 * scripts/build.mjs; it starts faster than the whole CLI), else this file (e.g. run from source with tsx).
 */
function authScript(): string {
  const self = realpathSync(__filename);
  const small = join(dirname(self), 'codex-auth.js');
  return self.endsWith('.js') && existsSync(small) ? small : self;
}

/** `codex-config`: prints the config.toml block for this gateway (creates the token file when needed). */
async function codexConfig(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, host: { type: 'string' }, 'provider-id': { type: 'string' }, model: { type: 'string' } },
  });
  const config = values.config ? await load(values.config) : undefined;
  const port = values.port ?? String(config?.server.port ?? 4000);
  const host = values.host ?? config?.server.host ?? '127.0.0.1';
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) fail(`--port must be the gateway's fixed port (1 to 65535): Codex needs a stable address. Pass the port \`codex-gateway serve\` listens on (--port N, or server.port in the config).`);
  const baseUrl = `http://${shownHost}:${port}/v1`;
  let tokenFile = masterKeyPath();
  const mk = config?.masterKey;
  if (mk && mk.kind !== 'none') {
    // The token the gateway accepts is the config's master key: `serve` writes it to the per-port file when it
    // starts; write it now too when this process can resolve it (never printed).
    tokenFile = portTokenPath(portNumber);
    const value = mk.kind === 'literal' ? mk.value : process.env[mk.name];
    if (value) await writeTokenFile(tokenFile, value);
    else {
      process.stderr.write(
        `codex-gateway: note: general_settings.master_key reads ${mk.kind === 'env' ? mk.name : 'an environment variable'}, which is not set here; ` +
          `\`codex-gateway serve\` writes the token to ${tokenFile} when it starts with it set, and the block below reads it from there.\n`,
      );
    }
  } else {
    await loadOrCreateMasterKey(tokenFile);
  }
  const auth = codexAuthCommand({
    nodePath: process.execPath,
    cliScript: authScript(),
    host: shownHost,
    port: portNumber,
    tokenFile,
    configPath: values.config ? resolve(values.config) : undefined,
    electron: process.versions.electron !== undefined,
  });
  process.stdout.write(
    codexConfigBlock({
      baseUrl,
      providerId: values['provider-id'],
      model: values.model ?? (config ? [...config.groups.keys()][0] : undefined),
      modelPatterns: config?.wildcards?.map((w) => w.pattern),
      tokenFile,
      catalogUrl: `${baseUrl}/codex/models`,
      auth,
    }),
  );
}

/** `check`: validates a config and prints each alias with its deployments. */
async function check(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
  const config = await load(values.config);
  for (const [alias, ds] of config.groups) {
    process.stdout.write(`${alias}: ${ds.map((d) => `${d.provider}/${d.model} (${d.wire})`).join(', ')}\n`);
  }
  process.stdout.write(`OK: ${config.deployments.length} deployments, ${config.groups.size} aliases, ${config.warnings.length} warnings\n`);
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'serve':
      return serve(rest);
    case 'codex-config':
      return codexConfig(rest);
    case 'check':
      return check(rest);
    case 'codex-auth':
      process.exitCode = await codexAuthMain(rest, __filename);
      return;
    case ABSENT_NOTICE_COMMAND:
      return absentNoticeMain(rest[0], rest[1], rest[2]);
    case 'rotate-token':
      await writeMasterKey(masterKeyPath(), generateToken());
      process.stdout.write(`New gateway token written to ${masterKeyPath()}; a running gateway uses it within a second, and Codex reads it again by itself.\n`);
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return;
    default:
      fail(`unknown command "${cmd}".\n\n${USAGE}`);
  }
}

if (process.argv[2] === LOAD_CONFIG_COMMAND) {
  // The child side of load(..., true): the result, v8-serialised and base64-encoded, on stdout.
  void loadHere(process.argv[3]).then((r) => process.stdout.write(serialize(r).toString('base64')));
} else {
  main().catch((e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    // parseArgs: unknown option, missing option value, stray positional argument.
    if (typeof err?.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS_')) fail(`${err.message}.\n\n${USAGE}`);
    // File system errors (e.g. the token folder is not writable): the message names the path.
    if (typeof err?.code === 'string' && err.syscall) {
      fail(`${err.message}. Check that this user may read and write there, or set CODEX_GATEWAY_HOME to another folder for the gateway token.`, 1);
    }
    fail(`unexpected error; please report it with this output:\n${err?.stack ?? String(e)}`, 1);
  });
}
