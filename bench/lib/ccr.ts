/**
 * claude-code-router (CCR, npm `@musistudio/claude-code-router`, the gateway Claude Code users pick) as a
 * peer of the Messages door: installed into .cache/bench/ccr/ from the npm registry (never into the
 * project's node_modules), configured with a file of its own to route to the bench's mock Chat Completions
 * upstream, and started headless on 127.0.0.1 with no traffic off the machine (bench/ccr-offline.mjs).
 *
 * What the install has to work around (3.1.1, the registry's `latest`):
 * - Two of its dependencies, `@the-next-ai/ai-gateway` and `@the-next-ai/bot-gateway-sdk`, are not on the
 *   npm registry (404). The published package does not need them: its gateway is bundled as
 *   dist/main/next-ai-gateway.js (CCR looks there first), and the bot SDK is loaded only for chat-bot
 *   integrations, inside a try. npm `overrides` point both at empty local stubs, so `npm install` of the
 *   real CCR tarball goes through.
 * - `better-sqlite3` (its configuration store) is a native module whose install script downloads a
 *   prebuilt binary from GitHub, which this machine cannot reach: the install runs with
 *   `--ignore-scripts` and the module is compiled from its bundled sources with npm's own node-gyp against
 *   the headers of the running node (`<prefix>/include/node`; Debian's nodejs package ships them).
 * - It declares `engines: node >= 22`; it runs on the bench's Node 20 (npm prints EBADENGINE).
 *
 * Configuration: CCR 3 keeps its settings in SQLite (`~/.claude-code-router/config.sqlite`) edited through
 * its web UI, and imports a legacy `~/.claude-code-router/config.json` (the CCR 1.x format: `HOST`, `PORT`,
 * `APIKEY`, `Providers`) on first start. The bench gives it a fresh HOME under .cache/bench/ccr/ per run and
 * writes that file: one provider `bench` whose `api_base_url` is the mock's `/v1/chat/completions`, model
 * `bench-model`, the client key in `APIKEY`, agent profiles off (else CCR rewrites ~/.claude/settings.json
 * and ~/.codex/config.toml of that HOME). Requests name the model `bench,bench-model` (CCR's
 * `provider,model` form). `ccr serve --no-open` runs its management service in the foreground and forks
 * the gateway (dist/main/gateway-bootstrap.js, which loads next-ai-gateway.js): that child serves
 * `POST /v1/messages` on `PORT`, translating to the provider's Chat Completions API.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { Procs, Server } from './procs';

/** Pinned peer version (npm `@musistudio/claude-code-router`, `latest` when this was written). */
export const CCR_VERSION = '3.1.1';
/** Dependencies of CCR 3.1.1 that the npm registry does not have (404), replaced by empty stubs. */
const MISSING_DEPS: Record<string, string> = {
  '@the-next-ai/ai-gateway': 'ai-gateway',
  '@the-next-ai/bot-gateway-sdk': 'bot-gateway-sdk',
};
/** The model name clients send: CCR's `provider,model` form. */
export const CCR_MODEL = 'bench,bench-model';

/** Where CCR is installed and run. */
export function ccrDir(root: string): string {
  return join(root, '.cache/bench/ccr');
}

function installedVersion(dir: string, pkg: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** The directory whose include/node has the headers of the running node (for node-gyp `--nodedir`). */
function nodeHeadersDir(): string | undefined {
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  try {
    const h = readFileSync(join(prefix, 'include/node/node_version.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => new RegExp(`#define NODE_${k}_VERSION (\\d+)`).exec(h)?.[1]).join('.');
    return `v${v}` === process.version ? prefix : undefined;
  } catch {
    return undefined;
  }
}

/** npm's own node-gyp (shipped inside npm). */
function npmNodeGyp(): string | undefined {
  const r = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  const candidates = [join(r.stdout?.trim() ?? '', 'npm/node_modules/node-gyp/bin/node-gyp.js'), join(dirname(dirname(realpathSync(process.execPath))), 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  return candidates.find((c) => existsSync(c));
}

/** Marker written once better-sqlite3 was compiled for this node (its ABI). */
const builtMarker = (dir: string) => join(dir, `better-sqlite3-built-for-${process.version}-${process.arch}`);

/**
 * Installs CCR into .cache/bench/ccr (once; reused while the version and the node binary match).
 * @returns the path of its CLI, or why it cannot run here (with the failing command's last lines).
 */
export async function ensureCcr(root: string, procs: Procs, log: (m: string) => void): Promise<{ cli: string } | { skip: string }> {
  const dir = ccrDir(root);
  const cli = join(dir, 'node_modules/@musistudio/claude-code-router/dist/main/cli.js');
  const sqliteDir = join(dir, 'node_modules/better-sqlite3');
  const binding = join(sqliteDir, 'build/Release/better_sqlite3.node');
  const tailOf = (t: string) => t.trim().split('\n').slice(-4).join(' | ');
  if (existsSync(cli) && installedVersion(dir, '@musistudio/claude-code-router') === CCR_VERSION && existsSync(binding) && existsSync(builtMarker(dir))) return { cli };
  if (!existsSync(cli) || installedVersion(dir, '@musistudio/claude-code-router') !== CCR_VERSION) {
    log(`installing @musistudio/claude-code-router@${CCR_VERSION} into .cache/bench/ccr (once, about 2 minutes) ...`);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (f.startsWith('better-sqlite3-built-for-')) rmSync(join(dir, f));
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    rmSync(join(dir, 'package-lock.json'), { force: true });
    const overrides: Record<string, string> = {};
    for (const [pkg, stub] of Object.entries(MISSING_DEPS)) {
      mkdirSync(join(dir, 'stubs', stub), { recursive: true });
      writeFileSync(
        join(dir, 'stubs', stub, 'package.json'),
        JSON.stringify({ name: pkg, version: '0.0.0-bench-stub', private: true, description: `Written by bench/lib/ccr.ts: ${pkg} is not on the npm registry; CCR ${CCR_VERSION} does not load it (see bench/lib/ccr.ts).` }, null, 2),
      );
      overrides[pkg] = `file:./stubs/${stub}`;
    }
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: 'codex-gateway-bench-ccr',
          private: true,
          description: 'Written by bench/lib/ccr.ts: claude-code-router, the peer of the Messages door rows. Not part of the project.',
          dependencies: { '@musistudio/claude-code-router': CCR_VERSION },
          overrides,
        },
        null,
        2,
      ),
    );
    const r = await procs.run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, timeoutMs: 300_000 });
    if (r.code !== 0 || !existsSync(cli)) return { skip: `npm install @musistudio/claude-code-router@${CCR_VERSION} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${tailOf(r.stderr)}` };
  }
  if (!existsSync(binding) || !existsSync(builtMarker(dir))) {
    const nodedir = nodeHeadersDir();
    const gyp = npmNodeGyp();
    if (!nodedir) return { skip: `better-sqlite3 (CCR's config store) needs compiling and the headers of node ${process.version} were not found next to ${process.execPath} (include/node)` };
    if (!gyp) return { skip: "better-sqlite3 (CCR's config store) needs compiling and npm's node-gyp was not found" };
    log('compiling better-sqlite3 for CCR (once, about 1 minute) ...');
    const r = await procs.run(process.execPath, [gyp, 'rebuild', '--release', `--nodedir=${nodedir}`, '-j', '2'], { cwd: sqliteDir, timeoutMs: 300_000 });
    if (r.code !== 0 || !existsSync(binding)) return { skip: `compiling better-sqlite3 for CCR failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${tailOf(r.stderr || r.stdout)}` };
    const check = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"], { cwd: dir, encoding: 'utf8' });
    if (check.status !== 0) return { skip: `better-sqlite3 built for CCR does not load: ${tailOf(check.stderr)}` };
    writeFileSync(builtMarker(dir), `${new Date().toISOString()}\n`);
  }
  return { cli };
}

/** A TCP port on 127.0.0.1 that is free now, with `n - 1` free ports after it (CCR puts its core gateway on PORT + 1). */
export async function freePortRun(n: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await tryPort(base + i);
    if (ok) return base;
  }
  throw new Error(`no run of ${n} free ports found on 127.0.0.1`);
}

/** Options of {@link startCcr}. */
export interface CcrStart {
  root: string;
  cli: string;
  /** Base URL of the mock's Chat Completions API, e.g. `http://127.0.0.1:PORT/v1`. */
  upstreamBase: string;
  upstreamKey: string;
  /** Key clients send in `x-api-key` (or as a bearer token). */
  clientKey: string;
  /** Environment without HOME and NODE_OPTIONS (PATH, LANG). */
  env: NodeJS.ProcessEnv;
  logFile: string;
}

/** A running CCR: its management process and the forked gateway that serves /v1/messages. */
export interface CcrServer extends Server {
  /** pid of the gateway child that serves requests. */
  gatewayPid: number;
  /** Connections to non-loopback hosts that CCR tried and the guard refused (`host:port`, deduplicated). */
  blocked(): string[];
}

/** Child pids of `pid` (Linux: /proc/PID/task/TID/children). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const t = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (t) out.push(...t.split(/\s+/).map(Number));
    }
  } catch {
    /* gone */
  }
  return out;
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childPids(all[i]));
  return all;
}

/**
 * Writes CCR's configuration into a fresh HOME (.cache/bench/ccr/home) and starts `ccr serve --no-open`
 * under bench/ccr-offline.mjs (through NODE_OPTIONS, so the forked gateway has it too); waits until the
 * gateway answers a Messages request.
 * @throws Error quoting the end of its log when it does not start within 60 s.
 */
export async function startCcr(procs: Procs, o: CcrStart): Promise<CcrServer> {
  const dir = ccrDir(o.root);
  const home = join(dir, 'home');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(join(home, '.claude-code-router'), { recursive: true });
  const port = await freePortRun(2);
  const webPort = await freePortRun(1);
  const config = {
    HOST: '127.0.0.1',
    PORT: port,
    APIKEY: o.clientKey,
    Providers: [{ name: 'bench', api_base_url: `${o.upstreamBase}/chat/completions`, api_key: o.upstreamKey, models: ['bench-model'] }],
    profile: { enabled: false },
  };
  writeFileSync(join(home, '.claude-code-router/config.json'), JSON.stringify(config, null, 2));
  const guard = join(o.root, 'bench/ccr-offline.mjs');
  const env = { ...o.env, HOME: home, NODE_OPTIONS: `--import=${guard}`, CCR_WEB_AUTH_TOKEN: `bench-${Math.random().toString(36).slice(2)}${Date.now()}` };
  // The management service listens first (bench/loopback-only.mjs prints its port); the gateway follows.
  const mgmt = await procs.startServer('claude-code-router', [o.cli, 'serve', '--no-open', '--host', '127.0.0.1', '--port', String(webPort)], o.logFile, {
    env,
    cwd: dir,
    ready: /BENCH_LISTENING (\d+)/,
    timeoutMs: 60_000,
  });
  const deadline = Date.now() + 60_000;
  const probe = JSON.stringify({ model: CCR_MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'ready?' }] });
  let last = '';
  for (;;) {
    const r = await post(`http://127.0.0.1:${port}/v1/messages`, { 'x-api-key': o.clientKey, 'anthropic-version': '2023-06-01' }, probe).catch((e: Error) => ({ status: 0, text: e.message }));
    if (r.status === 200) break;
    last = `HTTP ${r.status} ${r.text.slice(0, 200)}`;
    if (mgmt.proc.exitCode !== null || Date.now() > deadline) {
      const log = readFileSync(o.logFile, 'utf8').trim().split('\n').slice(-10).join('\n');
      throw new Error(`claude-code-router did not serve /v1/messages on port ${port} within 60 s (last answer: ${last}); its log ${o.logFile} ends with:\n${log}`);
    }
    await new Promise((r2) => setTimeout(r2, 250));
  }
  const gatewayPid = listenerPid(processTree(mgmt.pid), port) ?? childPids(mgmt.pid)[0] ?? mgmt.pid;
  return {
    ...mgmt,
    port,
    gatewayPid,
    blocked: () => [...new Set([...readFileSync(o.logFile, 'utf8').matchAll(/BENCH_BLOCKED (\S+)/g)].map((m) => m[1]))],
  };
}

/** The pid among `pids` that has a socket listening on 127.0.0.1:`port` (from /proc/net/tcp and each pid's fds). */
function listenerPid(pids: number[], port: number): number | undefined {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const inodes = new Set(
      readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')
        .map((f) => f[9]),
    );
    for (const pid of pids) {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (m && inodes.has(m[1])) return pid;
        } catch {
          /* closed meanwhile */
        }
      }
    }
  } catch {
    /* no /proc */
  }
  return undefined;
}

/** POST on loopback, whole answer as text. */
export function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 });
    req.once('timeout', () => req.destroy(new Error(`${url} did not answer within 10 s`)));
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.end(body);
  });
}
