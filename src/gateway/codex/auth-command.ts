/**
 * The command lines of Codex's auth command (`codex-auth`, see auth-helper.ts) and of the notice server it
 * starts (`__absent-notice`, see absent-notice.ts), shared by the two bundles that answer them:
 * - `dist/codex-auth.js` (entry auth-main.ts): the small bundle that config.toml names, written by both
 *   `codex-gateway codex-config` and the VS Code extension. It holds only this code, so Codex's wait for the
 *   token is Node's start-up plus one loopback connect and one file read (measured in docs/codex.md).
 * - `dist/cli.js` (`codex-gateway codex-auth`), for blocks printed before the small bundle existed.
 * Each passes its own file as `script`: the notice server runs in a child process started from that file.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { serveAbsentNotice } from './absent-notice';
import { codexAuth } from './auth-helper';

/** Internal sub-command: the notice server started by `codex-auth` (not in the usage text). */
export const ABSENT_NOTICE_COMMAND = '__absent-notice';

/** How long `codex-auth` waits for the notice child to report `ready` / `busy`, in ms. */
export const NOTICE_START_TIMEOUT_MS = 3000;

/**
 * `codex-auth --port N --token-file FILE [--host H] [--config FILE]`: prints the token when the gateway is up;
 * otherwise starts the notice server in a detached child (`process.execPath [execArgv] script
 * __absent-notice host port message`) and explains on stderr.
 * @param argv the arguments after `codex-auth`.
 * @param script absolute path of the running bundle, which must answer {@link ABSENT_NOTICE_COMMAND}.
 * @returns the exit code: 0 with the token on stdout, 1 otherwise (the reason on stderr), 2 for bad arguments.
 * @throws parseArgs errors (`ERR_PARSE_ARGS_*`) for unknown options.
 */
export async function codexAuthMain(argv: string[], script: string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { host: { type: 'string' }, port: { type: 'string' }, 'token-file': { type: 'string' }, config: { type: 'string' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !values['token-file']) {
    process.stderr.write('codex-gateway: codex-auth needs --port N and --token-file FILE (Codex runs it; see `codex-gateway codex-config`).\n');
    return 2;
  }
  const host = values.host ?? '127.0.0.1';
  return codexAuth({
    host,
    port,
    tokenFile: values['token-file'],
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    startNotice: (message) =>
      new Promise((res) => {
        // Detached and without our stdout (Codex waits for stdout to close), so it outlives this command. The
        // environment is inherited: under Electron it carries ELECTRON_RUN_AS_NODE=1 (config-block.ts).
        const child = spawn(process.execPath, [...process.execArgv, script, ABSENT_NOTICE_COMMAND, host, String(port), message], {
          detached: true,
          stdio: ['ignore', 'pipe', 'ignore'],
          windowsHide: true,
        });
        const timer = setTimeout(() => finish('failed'), NOTICE_START_TIMEOUT_MS);
        let line = '';
        let settled = false;
        const finish = (r: 'ready' | 'busy' | 'failed') => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          child.stdout!.destroy();
          child.unref();
          res(r);
        };
        child.once('error', () => finish('failed'));
        child.stdout!.setEncoding('utf8').on('data', (s: string) => {
          line += s;
          if (line.includes('\n')) finish(line.startsWith('ready') ? 'ready' : line.startsWith('busy') ? 'busy' : 'failed');
        });
        child.once('exit', () => finish(line.startsWith('busy') ? 'busy' : 'failed'));
      }),
  });
}

/**
 * The child side of `codex-auth`'s notice: serves it on `host:port`, prints `ready` (or `busy` / `failed`) on
 * stdout, and exits once the notice server has stopped (absent-notice.ts bounds its lifetime).
 */
export async function absentNoticeMain(host: string, port: string, message: string): Promise<void> {
  const r = await serveAbsentNotice({ host, port: Number(port), message }).catch(() => 'failed' as const);
  if (r === 'busy' || r === 'failed') {
    process.stdout.write(`${r}\n`);
    process.exit(0);
  }
  process.stdout.write('ready\n', () => undefined);
  await r.closed;
  process.exit(0);
}
