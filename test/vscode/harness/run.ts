/**
 * Runs VS Code extension tests inside a real VS Code on a machine that cannot download VS Code: code-server
 * 4.100.3 (the VS Code 1.100.3 server and web workbench, installed by `scripts/setup-vscode-test.sh` into
 * `.cache/vscode-test/code-server/`) opened by headless Debian Chromium through playwright-core.
 *
 * The extension host that runs the tests is VS Code's Node "remote" extension host, the one devcontainers and
 * Remote-SSH use, so `extensionKind: ["workspace"]` extensions run there exactly as in those setups.
 *
 * Mechanism (the same one VS Code's own `test/integration/browser` uses; verified facts in
 * /work/shared/notes/vscode-in-ci.md): the workbench URL carries a `payload` query parameter with
 * `extensionDevelopmentPath` and `extensionTestsPath` as `vscode-remote://HOST:PORT/abs/path` URIs; the extension
 * host loads the tests module and awaits its `run()`; the workbench then calls `window.codeAutomationExit(0)`
 * when `run()` resolved and `(1)` when it rejected. That call is the only reliable exit code (the server log
 * always reports exit code 0 for the extension host).
 *
 * Everything is bounded in time and torn down: code-server runs in its own process group, which is killed
 * (SIGTERM, then SIGKILL) at the end, on a timeout, and when this process is interrupted; the browser is closed;
 * the temporary profile under `os.tmpdir()` is removed (set `VSCODE_TEST_KEEP_TMP=1` to keep it for debugging).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { format } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../../helpers/net';
import { REPORT_FILE_ENV } from './mocha-host';

/** Root of the repository (this file is test/vscode/harness/run.ts). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/**
 * Folder holding code-server's own package.json and node_modules, as installed by
 * `scripts/setup-vscode-test.sh`: `$VSCODE_TEST_CACHE/code-server` when that variable is set, else
 * `<repo>/.cache/vscode-test/code-server`.
 */
export const DEFAULT_CODE_SERVER_DIR = join(
  process.env.VSCODE_TEST_CACHE ?? join(REPO_ROOT, '.cache/vscode-test'),
  'code-server',
);

/** Debian's Chromium (`apt-get install chromium`); `$VSCODE_TEST_CHROMIUM` overrides it. */
export const DEFAULT_CHROMIUM_PATH = process.env.VSCODE_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Default bound for one whole VS Code session, launch to teardown, in ms. A small suite takes 9-18 s here. */
export const DEFAULT_TIMEOUT_MS = 180_000;

/**
 * Chromium flags for a headless, quiet, offline-friendly browser (from the verified notes): no sandbox (root in
 * CI), no GPU, no background traffic, `/tmp` instead of a small `/dev/shm`.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * User settings written before every session, then overlaid with {@link VsCodeOptions.userSettings}: no welcome
 * page, no update or experiment traffic, no marketplace checks, so a run is quiet and repeatable.
 */
const BASE_USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  // code-server announces every port a process on the machine opens ("Your application running on port N is
  // available"); such toasts would cover the extension's own notifications.
  'remote.autoForwardPorts': false,
};

/** Where the marketplace would be: a closed loopback port, so code-server never reaches a real gallery. */
const EXTENSIONS_GALLERY = JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery' });

/** Options of one VS Code session. All paths are absolute paths on this machine. */
export interface VsCodeOptions {
  /**
   * Folder of the extension under test (the one holding its package.json), loaded as a development extension
   * (it wins over an installed copy with the same id). Omit it to test only what `vsixPath` installed: the
   * workbench runs `extensionTestsPath` only in an extension development window, so the harness then loads an
   * empty stand-in extension (`vscode-test-harness.test-host`) as the development extension.
   */
  extensionDevelopmentPath?: string;
  /**
   * Compiled JavaScript module (CommonJS) loaded in the extension host; it must export `run(): Promise<void>`
   * (see `mocha-host.ts`). Required by {@link runVsCodeTests}; optional for {@link withVsCode}.
   */
  extensionTestsPath?: string;
  /** Folder opened as the workspace (`?folder=`). */
  workspaceFolder: string;
  /**
   * Extra environment of code-server, hence of the extension host and of new terminals. Values here win over
   * the inherited environment.
   */
  env?: Record<string, string>;
  /** Settings merged over the harness defaults and written to the fresh profile's `User/settings.json`. */
  userSettings?: Record<string, unknown>;
  /** Bound for the whole session (launch, tests or callback, teardown excluded), in ms. Default 180000. */
  timeoutMs?: number;
  /** A `.vsix` installed into the fresh extensions folder with `code-server --install-extension` first. */
  vsixPath?: string;
  /** code-server installation folder. Default {@link DEFAULT_CODE_SERVER_DIR}. */
  codeServerDir?: string;
  /** Chromium executable. Default {@link DEFAULT_CHROMIUM_PATH}. */
  chromiumPath?: string;
  /** Browser viewport in CSS pixels. Default 1280x800. */
  viewport?: { width: number; height: number };
  /**
   * Receives every log line as it arrives (each prefixed with its source, see {@link VsCodeResult.logs}).
   * Default: prints the extension host's output (the tests' own output, mocha's report) and errors to stdout,
   * keeps the rest in `logs` only.
   */
  onLog?: (line: string) => void;
  /** If set, a PNG of the workbench is written here when the session fails or times out. */
  failureScreenshotPath?: string;
}

/** Outcome of {@link runVsCodeTests}. */
export interface VsCodeResult {
  /** 0 when the tests module's `run()` resolved, 1 when it rejected (as reported by `codeAutomationExit`). */
  exitCode: number;
  /**
   * Everything observed, in arrival order, one line per entry, each prefixed with its source:
   * `[code-server]` (server stdout/stderr), `[exthost]` (the in-host suite's console output: mocha's report and
   * the tests' own output, see `mocha-host.ts`; outside test runs, the extension host's console as forwarded to
   * the page), `[workbench]` (the workbench's log through `codeAutomationLog`; in a test run it also carries
   * the extension host's console, unmarked), `[browser]` (other console messages and errors of the page),
   * `[harness]` (this runner).
   */
  logs: string[];
}

/** The last `n` lines of a session's {@link VsCodeResult.logs}, as a block to append to an assertion message. */
export function logTail(logs: string[], n = 80): string {
  return `\n--- last ${n} log lines ---\n${logs.slice(-n).join('\n')}`;
}

/** A live VS Code session, handed to the callback of {@link withVsCode}. */
export interface VsCodeSession {
  /** The workbench page in Chromium (playwright-core), ready: the status bar is rendered. */
  page: Page;
  /** The workbench URL that was opened (with `folder` and `payload`). */
  url: string;
  /** code-server's port on 127.0.0.1. */
  port: number;
  /** The live log (see {@link VsCodeResult.logs}); it keeps growing while the session runs. */
  logs: string[];
  /** Resolves with the `codeAutomationExit` code once the tests module settles (never, without tests). */
  testsExitCode: Promise<number>;
  /** The fresh profile's folders (under `os.tmpdir()`, removed at the end). */
  userDataDir: string;
  extensionsDir: string;
}

/** Thrown when the harness itself fails (not installed, server did not start, timeout, browser crash). */
export class VsCodeHarnessError extends Error {
  /**
   * @param message What happened and what to do next.
   * @param logs The session's log so far (see {@link VsCodeResult.logs}).
   */
  constructor(
    message: string,
    readonly logs: string[],
  ) {
    super(message);
    this.name = 'VsCodeHarnessError';
  }
}

/**
 * Runs an extension test suite inside a real VS Code (code-server + headless Chromium) and reports how it ended.
 *
 * @returns `{ exitCode, logs }`; `exitCode` is 1 when any test failed (the tests module rejected).
 * @throws {VsCodeHarnessError} when VS Code could not be run (missing install, server start failure, browser
 *   crash) or the suite did not finish within `timeoutMs` (default 180000 ms). Everything is torn down first.
 */
export async function runVsCodeTests(options: VsCodeOptions & { extensionTestsPath: string }): Promise<VsCodeResult> {
  if (!options.extensionTestsPath) {
    throw new VsCodeHarnessError('runVsCodeTests needs extensionTestsPath (the compiled tests module)', []);
  }
  let logs: string[] = [];
  const exitCode = await withVsCode(options, async (session) => {
    logs = session.logs;
    return session.testsExitCode;
  });
  return { exitCode, logs: logs.slice() };
}

/**
 * Starts a VS Code session, hands it to `fn` (to drive the UI with playwright: click the status bar, open a
 * QuickPick, run a command from F1, take screenshots), and always tears everything down afterwards, whether
 * `fn` returned, threw or ran out of time.
 *
 * @returns what `fn` returned.
 * @throws what `fn` threw, or {@link VsCodeHarnessError} on a harness failure or when the session (start plus
 *   `fn`) exceeds `timeoutMs` (default 180000 ms).
 */
export async function withVsCode<T>(options: VsCodeOptions, fn: (session: VsCodeSession) => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const logs: string[] = [];
  const onLog = options.onLog ?? defaultOnLog;
  const log = (source: string, text: string): void => {
    for (const line of text.split('\n')) {
      const entry = `[${source}] ${line}`;
      logs.push(entry);
      onLog(entry);
    }
  };
  const started = Date.now();
  const codeServerEntry = join(options.codeServerDir ?? DEFAULT_CODE_SERVER_DIR, 'node_modules/code-server/out/node/entry.js');
  const chromiumPath = options.chromiumPath ?? DEFAULT_CHROMIUM_PATH;
  checkOptions(options, codeServerEntry, chromiumPath, logs);

  // Every step below is raced against one deadline; the first failure (deadline, server exit, browser crash)
  // rejects `aborted`, which ends the session.
  let abort!: (e: Error) => void;
  const aborted = new Promise<never>((_, reject) => (abort = reject));
  aborted.catch(() => undefined);
  const timer = setTimeout(
    () => abort(new VsCodeHarnessError(`VS Code session did not finish within ${timeoutMs} ms (this error's logs show how far it got; raise timeoutMs if the machine is very busy)`, logs)),
    timeoutMs,
  );
  const race = <R>(p: Promise<R>): Promise<R> => {
    p.catch(() => undefined);
    return Promise.race([p, aborted]);
  };

  const tmp = await mkdtemp(join(tmpdir(), 'vscode-test-'));
  const userDataDir = join(tmp, 'user-data');
  const extensionsDir = join(tmp, 'extensions');
  const spawned: ChildProcess[] = []; // every code-server process of this session, stopped at the end
  let browser: Browser | undefined;
  let page: Page | undefined;
  let closing = false;
  let stopTail: (() => Promise<void>) | undefined;
  try {
    await prepareProfile(tmp, userDataDir, extensionsDir, options.userSettings);
    const reportFile = join(tmp, 'exthost-report.log');
    await writeFile(reportFile, '');
    stopTail = tailLines(reportFile, (line) => log('exthost', line));
    const env = serverEnv(tmp, { [REPORT_FILE_ENV]: reportFile, ...options.env });
    const baseArgs = ['--config', join(tmp, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

    if (options.vsixPath) {
      log('harness', `installing ${options.vsixPath}`);
      const code = await race(runToEnd(codeServerEntry, [...baseArgs, '--force', '--install-extension', options.vsixPath], env, log, spawned));
      if (code !== 0) {
        throw new VsCodeHarnessError(`code-server --install-extension ${options.vsixPath} exited with ${code}; see the [code-server] lines of the log`, logs);
      }
    }

    const { server, port } = await race(startServer(codeServerEntry, baseArgs, env, log, spawned));
    server.once('exit', (code, signal) => {
      if (!closing) abort(new VsCodeHarnessError(`code-server exited early (code ${code}, signal ${signal}); see the [code-server] lines of the log`, logs));
    });
    log('harness', `code-server listening on 127.0.0.1:${port} after ${Date.now() - started} ms`);

    browser = await race(chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 }));
    browser.once('disconnected', () => {
      if (!closing) abort(new VsCodeHarnessError('Chromium disconnected unexpectedly; see the [browser] lines of the log', logs));
    });
    const context = await race(browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } }));
    page = await race(context.newPage());
    page.on('crash', () => abort(new VsCodeHarnessError('the workbench page crashed in Chromium; see the [browser] lines of the log', logs)));
    page.on('pageerror', (e) => log('browser', `page error: ${e.message}`));
    page.on('console', (msg) => {
      const entry = classifyConsole(msg.text());
      if (entry) log(entry.source, entry.text);
    });

    let resolveExit!: (code: number) => void;
    const testsExitCode = new Promise<number>((r) => (resolveExit = r));
    await race(
      context.exposeFunction('codeAutomationExit', (code: unknown) => {
        log('harness', `codeAutomationExit(${String(code)}) after ${Date.now() - started} ms`);
        resolveExit(typeof code === 'number' ? code : 1);
      }),
    );
    await race(context.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => {
      log('workbench', `${String(type)}: ${Array.isArray(args) ? format(...args) : format(args)}`);
    }));

    let developmentPath = options.extensionDevelopmentPath;
    if (!developmentPath && options.extensionTestsPath) developmentPath = await writeStandInExtension(tmp);
    const url = workbenchUrl(port, { ...options, extensionDevelopmentPath: developmentPath });
    log('harness', `opening ${url}`);
    await race(page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 }));
    await race(page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs }));
    log('harness', `workbench ready after ${Date.now() - started} ms`);

    return await race(fn({ page, url, port, logs, testsExitCode: race(testsExitCode), userDataDir, extensionsDir }));
  } catch (e) {
    if (page && options.failureScreenshotPath) {
      await Promise.race([page.screenshot({ path: options.failureScreenshotPath }).catch(() => undefined), sleep(5_000)]);
      log('harness', `failure screenshot: ${options.failureScreenshotPath}`);
    }
    throw e;
  } finally {
    closing = true;
    clearTimeout(timer);
    if (browser) await Promise.race([browser.close().catch(() => undefined), sleep(10_000)]);
    await Promise.all(spawned.map(stopServer));
    if (stopTail) await stopTail();
    if (process.env.VSCODE_TEST_KEEP_TMP === '1') log('harness', `kept ${tmp}`);
    else await rm(tmp, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

/** Default {@link VsCodeOptions.onLog}: the tests' own output and failures go to stdout, the rest stays in logs. */
function defaultOnLog(line: string): void {
  if (line.startsWith('[exthost] ') || /^\[harness\] .*(failure|kept)/.test(line) || line.startsWith('[browser] page error')) {
    process.stdout.write(`${line}\n`);
  }
}

/** Fails fast, with what to do, when something needed is missing. */
function checkOptions(options: VsCodeOptions, codeServerEntry: string, chromiumPath: string, logs: string[]): void {
  if (!existsSync(codeServerEntry)) {
    throw new VsCodeHarnessError(`code-server is not installed (${codeServerEntry} is missing); run scripts/setup-vscode-test.sh`, logs);
  }
  if (!existsSync(chromiumPath)) {
    throw new VsCodeHarnessError(`Chromium not found at ${chromiumPath}; run scripts/setup-vscode-test.sh (installs Debian's chromium) or set VSCODE_TEST_CHROMIUM`, logs);
  }
  const paths: [string, string | undefined, 'dir' | 'file'][] = [
    ['workspaceFolder', options.workspaceFolder, 'dir'],
    ['extensionDevelopmentPath', options.extensionDevelopmentPath, 'dir'],
    ['extensionTestsPath', options.extensionTestsPath, 'file'],
    ['vsixPath', options.vsixPath, 'file'],
  ];
  for (const [name, p, kind] of paths) {
    if (p === undefined) continue;
    if (!isAbsolute(p)) throw new VsCodeHarnessError(`${name} must be an absolute path, got ${p}`, logs);
    const ok = existsSync(p) && (kind === 'dir' ? statSync(p).isDirectory() : statSync(p).isFile());
    if (!ok) throw new VsCodeHarnessError(`${name} ${p} is not an existing ${kind === 'dir' ? 'folder' : 'file'}; build it first`, logs);
  }
}

/** Creates the fresh profile: user-data-dir with `User/settings.json`, extensions dir, an empty server config. */
async function prepareProfile(tmp: string, userDataDir: string, extensionsDir: string, userSettings?: Record<string, unknown>): Promise<void> {
  await mkdir(join(userDataDir, 'User'), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await mkdir(join(tmp, 'xdg-config'), { recursive: true });
  await mkdir(join(tmp, 'xdg-data'), { recursive: true });
  await mkdir(join(tmp, 'tmp'), { recursive: true });
  await writeFile(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...BASE_USER_SETTINGS, ...userSettings }, null, 2));
  // Without --config, code-server reads (and creates) ~/.config/code-server/config.yaml.
  await writeFile(join(tmp, 'config.yaml'), 'auth: none\n');
}

/**
 * Writes an extension with no code and no contributions, `vscode-test-harness.test-host`, to `<tmp>/test-host`.
 * Loading it as the development extension turns the window into an extension development window (which
 * is what makes the workbench run `extensionTestsPath`) without shadowing the installed extension under test.
 * @returns its folder.
 */
async function writeStandInExtension(tmp: string): Promise<string> {
  const dir = join(tmp, 'test-host');
  await mkdir(dir, { recursive: true });
  const manifest = {
    name: 'test-host',
    publisher: 'vscode-test-harness',
    displayName: 'Test host (stand-in development extension of the VS Code test harness)',
    version: '0.0.0',
    engines: { vscode: '*' },
  };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

/**
 * code-server's environment: the inherited one minus variables that would make it talk to another VS Code
 * (`VSCODE_*`, e.g. `VSCODE_IPC_HOOK_CLI` inside a VS Code terminal turns code-server into a CLI client), with
 * XDG folders (code-server writes logs there) and TMPDIR (built-in extensions such as git leave sockets in
 * `os.tmpdir()`) in the session's temp dir, no marketplace, then the caller's `env`.
 */
function serverEnv(tmp: string, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('VSCODE_') && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
  }
  Object.assign(env, {
    XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
    XDG_DATA_HOME: join(tmp, 'xdg-data'),
    TMPDIR: join(tmp, 'tmp'),
    EXTENSIONS_GALLERY,
    ...extra,
  });
  return env;
}

/**
 * Runs a short code-server command (e.g. --install-extension) to its end, in its own process group (added to
 * `spawned` so the session stops it if it outlives the deadline); resolves with its exit code.
 */
function runToEnd(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: (s: string, t: string) => void,
  spawned: ChildProcess[],
): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    track(child);
    spawned.push(child);
    pipeLines(child, (line) => log('code-server', line));
    child.once('error', reject);
    child.once('exit', (code) => {
      untrack(child);
      resolveCode(code ?? 1);
    });
  });
}

/**
 * Spawns code-server in its own process group on a free 127.0.0.1 port and waits for "HTTP server listening".
 * Retries with another port (3 attempts) when the chosen one was taken meanwhile. Each process is added to
 * `spawned` at once, so the session stops it even if the deadline passes during the start.
 */
async function startServer(
  entry: string,
  baseArgs: string[],
  env: NodeJS.ProcessEnv,
  log: (s: string, t: string) => void,
  spawned: ChildProcess[],
): Promise<{ server: ChildProcess; port: number }> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [
      entry,
      ...baseArgs,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ];
    const server = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    track(server);
    spawned.push(server);
    try {
      await new Promise<void>((ok, fail) => {
        pipeLines(server, (line) => {
          log('code-server', line);
          if (line.includes('HTTP server listening on')) ok();
          else if (line.includes('EADDRINUSE')) fail(new Error(`port ${port} is taken`));
        });
        server.once('error', fail);
        server.once('exit', (code) => fail(new Error(`code-server exited with ${code} before listening`)));
      });
      return { server, port };
    } catch (e) {
      lastError = e as Error;
      await stopServer(server);
    }
  }
  throw lastError ?? new Error('code-server did not start');
}

/** Stops a code-server process group: SIGTERM, up to 5 s for the main process, then SIGKILL for the group. */
async function stopServer(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
  killGroup(pid, 'SIGTERM');
  await Promise.race([exited, sleep(5_000)]);
  // The extension host, pty host and file watcher are children in the same group; make sure none survives.
  killGroup(pid, 'SIGKILL');
  untrack(child);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Splits a child's stdout and stderr into lines. */
function pipeLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  }
}

/** A port that was free on 127.0.0.1 a moment ago (shared with the other tests: test/helpers/net.ts). */
export { freePort };

/**
 * The workbench URL: `?folder=<abs path>&payload=<JSON pairs>`. The payload's URIs must use the page's own
 * authority (`127.0.0.1:PORT`) exactly, or the workbench does not map them to the remote file system.
 */
export function workbenchUrl(port: number, options: Pick<VsCodeOptions, 'workspaceFolder' | 'extensionDevelopmentPath' | 'extensionTestsPath'>): string {
  const authority = `127.0.0.1:${port}`;
  const remote = (p: string): string => `vscode-remote://${authority}${encodeURI(p)}`;
  const payload: [string, string][] = [];
  if (options.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(options.extensionDevelopmentPath)]);
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
  payload.push(['skipWelcome', 'true']);
  return `http://${authority}/?folder=${encodeURIComponent(options.workspaceFolder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Sorts a browser console message by origin, or drops it (undefined) when it duplicates a `[workbench]` line:
 * the workbench's console logger prints `%c INFO` + CSS + the raw format arguments for every message that
 * also reaches `codeAutomationLog`. Outside test runs, the workbench prints the extension host's console as
 * `%c[Extension Host] %c<text> ...` with CSS arguments; those become `[exthost]` lines.
 */
function classifyConsole(text: string): { source: string; text: string } | undefined {
  if (/^%c\s*(TRACE|DEBUG|INFO|WARN|ERR)\b/.test(text)) return undefined;
  const m = /^%c\[Extension Host\] %c([\s\S]*)$/.exec(text);
  if (m) return { source: 'exthost', text: m[1].replace(/ %c\(at [^)]*\)[\s\S]*$/, '').replace(/ color: [^;]*(; [^;]*)*$/, '') };
  return { source: 'browser', text };
}

/**
 * Follows a growing text file (polling every 200 ms) and calls `onLine` for each complete line.
 * @returns `stop()`, which reads what is left (a last line without newline included) and stops polling.
 */
function tailLines(file: string, onLine: (line: string) => void): () => Promise<void> {
  let offset = 0;
  let pending = '';
  const decoder = new StringDecoder('utf8');
  let reading: Promise<void> = Promise.resolve();
  const readMore = async (): Promise<void> => {
    const handle = await open(file, 'r').catch(() => undefined);
    if (!handle) return;
    try {
      const chunk = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        pending += decoder.write(chunk.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
  const timer = setInterval(() => {
    reading = reading.then(readMore, readMore);
  }, 200);
  return async () => {
    clearInterval(timer);
    await reading.catch(() => undefined);
    await readMore().catch(() => undefined);
    if (pending) onLine(pending);
    pending = '';
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

// ---- last-resort cleanup: never leave a code-server behind when this process is interrupted ----------------
const live = new Set<ChildProcess>();
const onSignal = (signal: NodeJS.Signals): void => {
  for (const child of live) if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  live.clear();
  process.kill(process.pid, signal);
};
const onExit = (): void => {
  for (const child of live) if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
};

function track(child: ChildProcess): void {
  if (live.size === 0) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    process.on('exit', onExit);
  }
  live.add(child);
}

function untrack(child: ChildProcess): void {
  if (!live.delete(child) || live.size > 0) return;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  process.off('exit', onExit);
}
