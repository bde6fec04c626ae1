/**
 * `codex-gateway codex-auth`: the command Codex runs to get the gateway token
 * (`[model_providers.<id>.auth] command`, see config-block.ts {@link codexAuthCommand}).
 *
 * Behaviour, from what Codex 0.169.0 does with an auth command (measured, docs/codex.md):
 * - Codex runs it at session start, before a request whenever the last run failed, and again after a 401;
 *   stdout (trailing newline trimmed) becomes `Authorization: Bearer …`. So this prints the token and
 *   nothing else on stdout, and must be fast (one TCP connect to the loopback port and one file read).
 * - When nothing listens on the gateway's port (VS Code closed, the extension disabled, `serve` not
 *   started), it starts the notice server (absent-notice.ts) on that port, prints the explanation on
 *   stderr, and exits 1. Codex logs the stderr (visible in a terminal running `codex exec`), sends its request
 *   without a token to the notice server, and shows the explanation as the turn's error (TUI and IDE too).
 * - When the gateway is up but the token file is missing or unreadable, it says which file and how it gets
 *   written, on stderr, and exits 1 (the gateway then answers 401 with its own explanation).
 * The token is written only to stdout, never to stderr or a log.
 */
import { connect } from 'node:net';
import { readTokenFile } from '../token-read';
import { gatewayAbsentMessage, isAbsentNotice } from './absent-notice';

/** How long the port check waits for a TCP connect to the gateway, in ms (loopback answers in microseconds). */
export const CONNECT_TIMEOUT_MS = 1000;

/**
 * Tries a TCP connection to `host:port`. Never rejects.
 * @param timeoutMs how long the connect may take, in ms (default {@link CONNECT_TIMEOUT_MS}).
 * @returns `open` (something accepts connections), `refused` (ECONNREFUSED: nothing listens), or `unknown`
 *   (timeout or another error: treated as "maybe up", so the token is still printed).
 */
export function probePort(host: string, port: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<'open' | 'refused' | 'unknown'> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: 'open' | 'refused' | 'unknown') => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done('unknown'));
    socket.once('connect', () => done('open'));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'unknown'));
  });
}

/** Inputs of {@link codexAuth}. */
export interface CodexAuthOptions {
  /** The gateway's address as in Codex's `base_url` (e.g. `127.0.0.1`). */
  host: string;
  port: number;
  /** The 0600 file holding the token the gateway on `port` accepts. */
  tokenFile: string;
  /** The gateway config file, named in the "start it with" hint when known. */
  configPath?: string;
  /**
   * Starts the notice server on `host:port` in a process that outlives this command, resolving once it
   * listens (`ready`), found the port taken (`busy`) or could not start (`failed`).
   */
  startNotice(message: string): Promise<'ready' | 'busy' | 'failed'>;
  /** Where the token goes (Codex reads it). */
  stdout(text: string): void;
  /** Where explanations go (Codex logs them). */
  stderr(text: string): void;
}

/**
 * Runs the auth command once.
 * @returns the exit code: 0 when the token was printed, 1 when the gateway is not running or the token file
 *   cannot be read (the reason is on stderr).
 */
export async function codexAuth(opts: CodexAuthOptions): Promise<number> {
  if ((await probePort(opts.host, opts.port)) === 'refused') {
    const message = gatewayAbsentMessage(opts);
    const notice = await opts.startNotice(message);
    // 'busy': the gateway (or another notice) took the port in the meantime; Codex's request goes there.
    opts.stderr(`codex-gateway: ${message}${notice === 'failed' ? ' (The notice server for Codex could not start.)' : ''}\n`);
    return 1;
  }
  let token: string | undefined;
  try {
    token = await readTokenFile(opts.tokenFile);
  } catch (e) {
    opts.stderr(`codex-gateway: cannot read the gateway token file ${opts.tokenFile}: ${(e as Error).message}. Check that this user may read it.\n`);
    return 1;
  }
  if (token === undefined) {
    // A notice started by an earlier run may still hold the port for a few seconds: say the gateway is down.
    if (await isAbsentNotice(opts.host, opts.port)) {
      opts.stderr(`codex-gateway: ${gatewayAbsentMessage(opts)}\n`);
      return 1;
    }
    opts.stderr(
      `codex-gateway: the gateway token file ${opts.tokenFile} does not exist or is empty. ` +
        `The gateway writes it when it starts; if the config's general_settings.master_key reads an environment ` +
        `variable, start \`codex-gateway serve\` with that variable set (or run \`codex-gateway codex-config\` with it set).\n`,
    );
    return 1;
  }
  opts.stdout(`${token}\n`);
  return 0;
}
