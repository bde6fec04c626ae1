/**
 * Taps that feed the key-leak registry (`leak-registry.ts`) with what a test run sends out. Each is
 * installed at most once per process and never changes what the tapped code sees (taps only read; their
 * own failures are recorded with `noteTapError`, never thrown).
 *
 * - {@link tapGatewayServer}: head and body bytes an in-process gateway's node:http server sends to its
 *   clients, one source per response (`ServerResponse.prototype.write`/`end` are wrapped once, and only
 *   responses of tapped servers are captured: the mock upstreams, which legitimately send keys in fault
 *   tests, are not).
 * - {@link installProcessOutputTap}: this process's stdout and stderr (the reporter's output,
 *   console.log of tests, gateways built with the default stderr logger).
 * - {@link installChildProcessTap}: `child_process.spawn` / `spawnSync`: stdout and stderr of every child
 *   (read where the pipe hands bytes to the stream, so flowing mode and listeners are unchanged); secrets the
 *   test passes in the child's environment (names ending in KEY, TOKEN, SECRET or PASSWORD, values not in
 *   this process's own environment) or as literal `api_key` / `master_key` in the `--config` file are
 *   registered; and a `codex-gateway serve` child gets a preload (`--import data:...`) that copies every
 *   byte its HTTP server sends to a file that {@link scanChildResponseTaps} reads.
 * - {@link installSdkErrorTap}: messages of the openai SDK's `APIError`s built from HTTP error answers.
 */
import childProcess = require('node:child_process');
import { mkdtempSync, openSync, readSync, closeSync, fstatSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { captureText, count, noteTapError, openSource, registerSecret, type Tap } from './leak-registry';

const FLAGS = Symbol.for('codex-gateway.test.leak-taps');
type Flags = {
  responseProto?: boolean;
  processOutput?: boolean;
  childProcess?: boolean;
  sdk?: boolean;
  tapDir?: string;
  childTaps: { file: string; name: string; read: number; tap: Tap }[];
  responses: WeakMap<http.ServerResponse, ResponseTap>;
};

function flags(): Flags {
  const g = globalThis as unknown as Record<symbol, Flags | undefined>;
  return (g[FLAGS] ??= { childTaps: [], responses: new WeakMap() });
}

interface ResponseTap {
  tap: Tap;
  headSeen: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// In-process gateway responses

/**
 * The node:http server of a running in-process gateway: the engine's `server` field when it is one, else the
 * listening `net.Server` on `port` among the process's active handles.
 * @returns undefined when neither finds it.
 */
export function findGatewayServer(gw: object, port: number): http.Server | undefined {
  const own = (gw as { server?: unknown }).server;
  if (own instanceof http.Server) return own;
  const handles = activeHandles();
  for (const h of handles ?? []) {
    if (h instanceof http.Server) {
      const a = h.address();
      if (a && typeof a === 'object' && a.port === port) return h;
    }
  }
  return undefined;
}

/** `process._getActiveHandles()` (undocumented, present in Node 20), or undefined where it is missing. */
export function activeHandles(): unknown[] | undefined {
  const f = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles;
  return typeof f === 'function' ? f.call(process) : undefined;
}

function tapOf(res: http.ServerResponse): ResponseTap | undefined {
  return flags().responses.get(res);
}

function captureHead(res: http.ServerResponse, t: ResponseTap): void {
  if (t.headSeen) return;
  const head = (res as unknown as { _header?: unknown })._header;
  if (typeof head === 'string' && head.length > 0) {
    t.headSeen = true;
    t.tap.write(head);
  }
}

function captureChunk(t: ResponseTap, chunk: unknown, encoding: unknown): void {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
  if (typeof chunk === 'string') {
    t.tap.write(typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8' ? Buffer.from(chunk, encoding as BufferEncoding).toString('utf8') : chunk);
  } else if (chunk instanceof Uint8Array) t.tap.write(chunk);
}

function installResponseProto(): void {
  const f = flags();
  if (f.responseProto) return;
  f.responseProto = true;
  const proto = http.ServerResponse.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const write = proto.write;
  const end = proto.end;
  proto.write = function (this: http.ServerResponse, ...args: unknown[]) {
    const r = write.apply(this, args);
    const t = tapOf(this);
    if (t) {
      try {
        captureHead(this, t);
        captureChunk(t, args[0], args[1]);
      } catch (e) {
        noteTapError('gateway response write', e);
      }
    }
    return r;
  };
  proto.end = function (this: http.ServerResponse, ...args: unknown[]) {
    const r = end.apply(this, args);
    const t = tapOf(this);
    if (t) {
      try {
        captureChunk(t, args[0], args[1]);
        captureHead(this, t);
      } catch (e) {
        noteTapError('gateway response end', e);
      }
    }
    return r;
  };
}

/**
 * Captures every response the gateway's HTTP server sends from now on (status line, headers, body), one
 * `gateway-response` source per response named `<name> <METHOD> <url>`.
 * @param gw the engine's Gateway object (after `listen`).
 * @param port its bound port.
 * @param name how findings name the gateway, e.g. `gateway#3`.
 * @returns the server, or undefined when it could not be found (recorded as a tap error, so the final
 *   check fails rather than passing without having seen the responses).
 */
export function tapGatewayServer(gw: object, port: number, name: string): http.Server | undefined {
  installResponseProto();
  const server = findGatewayServer(gw, port);
  if (!server) {
    noteTapError(name, new Error(`cannot find the gateway's http server on port ${port}: its responses are not scanned (update findGatewayServer)`));
    return undefined;
  }
  const responses = flags().responses;
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const t: ResponseTap = { tap: openSource('gateway-response', `${name} ${req.method} ${req.url}`), headSeen: false };
    responses.set(res, t);
    count('gatewayRequests');
    // Headers sent with flushHeaders() and no body before the client left are only visible here.
    res.once('close', () => {
      try {
        captureHead(res, t);
      } catch (e) {
        noteTapError(`${name} response close`, e);
      }
    });
  });
  count('gatewayServersTapped');
  return server;
}

// ---------------------------------------------------------------------------------------------------------
// This process's stdout / stderr

/** Captures everything written to `process.stdout` and `process.stderr` from now on. */
export function installProcessOutputTap(): void {
  const f = flags();
  if (f.processOutput) return;
  f.processOutput = true;
  for (const [stream, name] of [
    [process.stdout, 'stdout'],
    [process.stderr, 'stderr'],
  ] as const) {
    const tap = openSource('process-output', `test process ${name}`);
    const orig = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      if (typeof chunk === 'string' || chunk instanceof Uint8Array) tap.write(chunk);
      return (orig as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

const REPO_ROOT = resolve(__dirname, '..', '..');
const GATEWAY_BIN = join(REPO_ROOT, 'bin', 'codex-gateway.js');
const SECRET_ENV = /(KEY|TOKEN|SECRET|PASSWORD)$/i;

/** Registers secrets a test hands to a child: environment values and literal keys in its config file. */
function registerChildSecrets(args: readonly string[], env: NodeJS.ProcessEnv | undefined): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (typeof value === 'string' && SECRET_ENV.test(name) && process.env[name] !== value) registerSecret(value, `env ${name}`);
  }
  const i = args.indexOf('--config');
  if (i !== -1 && typeof args[i + 1] === 'string') {
    let text = '';
    try {
      text = readFileSync(args[i + 1], 'utf8');
    } catch {
      return; // a test of a missing config file
    }
    for (const m of text.matchAll(/^\s*(api_key|master_key)\s*:\s*["']?([^"'\s#]+)/gm)) {
      if (!m[2].startsWith('os.environ/')) registerSecret(m[2], `config ${m[1]}`);
    }
  }
}

/** A short description of a command for source names: `codex-gateway serve`, `codex exec`, `git`. */
function describeCommand(command: string, args: readonly string[]): string {
  // Only names, never argument values (a test may pass a secret on a command line).
  if (resolve(command) === process.execPath) {
    if (args.some((a) => a === '-e' || a === '--eval' || a === '-p' || a === '--print')) return 'node -e';
    const script = args.find((a) => !a.startsWith('-'));
    if (script && /^[\w./@+-]+\.[cm]?[jt]s$|^[\w./@+-]*\/[\w.@+-]+$/.test(script)) {
      const sub = args[args.indexOf(script) + 1];
      return `${basename(script).replace(/\.[cm]?js$/, '')}${sub && /^[a-z][a-z-]{0,30}$/.test(sub) ? ` ${sub}` : ''}`;
    }
    return 'node';
  }
  return basename(command);
}

/** Source of the preload a `codex-gateway serve` child gets: appends every byte its server sends to `file`. */
function childPreload(file: string): string {
  const src = `import http from 'node:http'; import fs from 'node:fs';
const fd = fs.openSync(${JSON.stringify(file)}, 'a');
fs.writeSync(fd, 'CGW-LEAK-TAP-ALIVE ' + process.pid + '\\n');
const P = http.ServerResponse.prototype, w = P.write, e = P.end, heads = new WeakSet();
const tap = (res, c, enc) => { try {
  if (!heads.has(res) && typeof res._header === 'string') { heads.add(res); fs.writeSync(fd, res._header); }
  if (c != null && typeof c !== 'function') fs.writeSync(fd, typeof c === 'string' ? Buffer.from(c, typeof enc === 'string' ? enc : 'utf8') : c);
} catch {} };
P.write = function (c, enc) { const r = w.apply(this, arguments); tap(this, c, enc); return r; };
P.end = function (c, enc) { const r = e.apply(this, arguments); tap(this, c, enc); return r; };
`;
  return `--import=data:text/javascript,${encodeURIComponent(src)}`;
}

function tapDir(): string {
  const f = flags();
  if (!f.tapDir) {
    f.tapDir = mkdtempSync(join(tmpdir(), 'cgw-leak-taps-'));
    const dir = f.tapDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return f.tapDir;
}

function tapChildStreams(child: childProcess.ChildProcess, name: string): void {
  for (const [stream, which] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    if (!stream) continue;
    const tap = openSource('child-output', `${name} ${which}`);
    const push = stream.push;
    // The pipe hands each read to push(): tapping there sees every byte without adding a 'data' listener
    // (which would switch the stream to flowing mode behind the test's back).
    stream.push = function (this: typeof stream, chunk: unknown, encoding?: BufferEncoding) {
      if (typeof chunk === 'string' || chunk instanceof Uint8Array) tap.write(chunk);
      return push.call(this, chunk, encoding);
    };
  }
}

/**
 * Wraps `child_process.spawn` and `spawnSync` (see the module doc). Calls through unchanged except that a
 * `node bin/codex-gateway.js serve` child gets the response-tap preload as its first node option.
 */
export function installChildProcessTap(): void {
  const f = flags();
  if (f.childProcess) return;
  f.childProcess = true;
  const cp = childProcess as unknown as Record<string, (...a: unknown[]) => unknown>;
  const spawn = cp.spawn;
  const spawnSync = cp.spawnSync;
  cp.spawn = function (this: unknown, command: unknown, args?: unknown, options?: unknown) {
    if (typeof command !== 'string') return spawn.apply(this, arguments as unknown as unknown[]);
    const argv = Array.isArray(args) ? (args as string[]).slice() : [];
    const opts = (Array.isArray(args) ? options : args) as childProcess.SpawnOptions | undefined;
    let name = describeCommand(command, argv);
    let responseTap: { file: string } | undefined;
    try {
      registerChildSecrets(argv, opts?.env);
      if (resolve(command) === process.execPath && argv[0] !== undefined && resolve(argv[0]) === GATEWAY_BIN && argv[1] === 'serve') {
        const file = join(tapDir(), `gateway-${f.childTaps.length}.bytes`);
        argv.unshift(childPreload(file));
        responseTap = { file };
      }
    } catch (e) {
      noteTapError(`spawn ${name}`, e);
    }
    const child = (Array.isArray(args) ? spawn.call(this, command, argv, options) : spawn.apply(this, arguments as unknown as unknown[])) as childProcess.ChildProcess;
    try {
      name = `child ${child.pid ?? '?'} (${name})`;
      tapChildStreams(child, name);
      count('children');
      if (responseTap) {
        f.childTaps.push({ file: responseTap.file, name, read: 0, tap: openSource('child-response', `${name} responses`) });
        count('childGateways');
      }
    } catch (e) {
      noteTapError(`spawn ${name}`, e);
    }
    return child;
  };
  cp.spawnSync = function (this: unknown, command: unknown, args?: unknown, options?: unknown) {
    const argv = Array.isArray(args) ? (args as string[]) : [];
    const opts = (Array.isArray(args) ? options : args) as childProcess.SpawnSyncOptions | undefined;
    const name = typeof command === 'string' ? describeCommand(command, argv) : '?';
    try {
      registerChildSecrets(argv, opts?.env);
    } catch (e) {
      noteTapError(`spawnSync ${name}`, e);
    }
    const r = spawnSync.apply(this, arguments as unknown as unknown[]) as childProcess.SpawnSyncReturns<string | Buffer>;
    try {
      for (const which of ['stdout', 'stderr'] as const) {
        const out = r[which];
        if (typeof out === 'string' || out instanceof Uint8Array) captureText('child-output', `child ${r.pid} (${name}) ${which}`, typeof out === 'string' ? out : Buffer.from(out).toString('utf8'));
      }
      count('children');
    } catch (e) {
      noteTapError(`spawnSync ${name}`, e);
    }
    return r;
  };
}

/**
 * Reads what the tapped child gateways wrote to their tap files since the last call into the registry.
 * @returns how many tapped child gateways had their preload running (the file starts with its marker).
 */
export function scanChildResponseTaps(): { tapped: number; alive: number } {
  let alive = 0;
  const taps = flags().childTaps;
  for (const t of taps) {
    let fd: number | undefined;
    try {
      fd = openSync(t.file, 'r');
      const size = fstatSync(fd).size;
      if (size > t.read) {
        const buf = Buffer.alloc(size - t.read);
        const n = readSync(fd, buf, 0, buf.length, t.read);
        t.read += n;
        t.tap.write(buf.subarray(0, n));
      }
      const head = Buffer.alloc(19);
      if (readSync(fd, head, 0, 19, 0) === 19 && head.toString('latin1') === 'CGW-LEAK-TAP-ALIVE ') alive++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') noteTapError(t.name, e);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return { tapped: taps.length, alive };
}

/** Deletes the child tap files (after the last {@link scanChildResponseTaps}). */
export function removeChildTapFiles(): void {
  const f = flags();
  if (f.tapDir) rmSync(f.tapDir, { recursive: true, force: true });
  f.tapDir = undefined;
  f.childTaps = [];
}

// ---------------------------------------------------------------------------------------------------------
// openai SDK errors

/**
 * Captures the message and error body of every `APIError` the openai SDK builds from an HTTP error answer
 * (`APIError.generate`). Errors the SDK raises for in-stream `error` events are not seen here (their bytes
 * are in the gateway's response tap).
 */
export function installSdkErrorTap(): void {
  const f = flags();
  if (f.sdk) return;
  f.sdk = true;
  let APIError: { generate: (...a: unknown[]) => unknown } | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    APIError = (require('openai') as { APIError: typeof APIError }).APIError;
  } catch (e) {
    noteTapError('openai SDK', e);
    return;
  }
  if (!APIError || typeof APIError.generate !== 'function') return noteTapError('openai SDK', new Error('APIError.generate not found'));
  const generate = APIError.generate;
  APIError.generate = function (this: unknown, ...args: unknown[]) {
    const err = generate.apply(this, args);
    try {
      const e = err as { message?: string; status?: number; error?: unknown; constructor: { name: string } };
      captureText('sdk-error', `openai ${e.constructor.name}${e.status ? ` ${e.status}` : ''}`, `${e.message ?? ''}\n${inspect(e.error, { depth: 6 })}`);
      count('sdkErrors');
    } catch (x) {
      noteTapError('openai APIError.generate', x);
    }
    return err;
  };
}
