/**
 * The Codex Gateway extension inside a real VS Code (code-server 4.100.3 = VS Code 1.100.3, headless Chromium, the
 * test harness of test/vscode/harness), measured, never asserted:
 *
 * - activation time: VS Code's own figure, as "Developer: Show Running Extensions" shows it (code loading +
 *   the `activate()` call, timed by the extension host), read from that editor in the workbench, in each of
 *   3 sessions (median); the in-host bench suite also reads the extension host's performance marks around both
 *   steps (the breakdown);
 * - event-loop delay of the extension host's main thread (p99, `perf_hooks.monitorEventLoopDelay` at 1 ms
 *   resolution, inside the extension host) first idle, then while this process sends the gateway a steady
 *   200 requests/s for 10 s (streamed `POST /v1/responses`, translated to a Chat Completions stream of a local
 *   mock upstream). The gateway runs in a worker thread of that extension host; its request records and log lines
 *   reach the main thread.
 *
 * The extension is packaged with `vsce package` (which runs `vscode:prepublish`, the esbuild bundles) and installed
 * from its .vsix, as users get it. The in-host half is test/vscode/bench/suite (hand-shake in
 * test/vscode/bench/protocol.ts).
 *
 *   node --import tsx bench/vscode-host.ts      # alone; prints the Markdown section
 *   npm run bench                               # at the end of the bench run (BENCH_SKIP_VSCODE=1 skips it)
 *
 * Targets (reported): activation < 50 ms; event-loop delay p99 < 10 ms under that load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { chatText, MockUpstream } from '../test/helpers/mock-upstream';
import { BENCH_DIR_ENV, BENCH_FILES, BENCH_IDLE_S_ENV, type ActivationTimes, type BenchReady, type HostBenchResult } from '../test/vscode/bench/protocol';
import { buildExtensionTests } from '../test/vscode/harness/build';
import { DEFAULT_CHROMIUM_PATH, DEFAULT_CODE_SERVER_DIR, freePort, withVsCode } from '../test/vscode/harness/run';
import { runCommandFromPalette } from '../test/vscode/harness/ui';
import type { ExtraRow } from './lib/report';

const ROOT = resolve(__dirname, '..');
const VSCE = join(ROOT, 'node_modules/@vscode/vsce/vsce');
const SUITE_DIR = join(ROOT, 'test/vscode/bench/suite');
/** Environment variable: `1` skips this measurement (e.g. where scripts/setup-vscode-test.sh was not run). */
export const SKIP_ENV = 'BENCH_SKIP_VSCODE';

/** Targets of the issue, in ms. */
export const TARGETS = { activationMs: 50, eventLoopP99Ms: 10 } as const;

/** Options of {@link measureVsCodeHost}. */
export interface VsCodeHostOptions {
  /** Requests per second sent to the gateway during the load phase. Default 200. */
  rps?: number;
  /** Length of the load phase, s. Default 10. */
  loadS?: number;
  /** Length of the idle phase measured before the load, s. Default 5. */
  idleS?: number;
  /** VS Code sessions: the first runs the idle and load phases, every one gives an activation time. Default 3. */
  sessions?: number;
  /** Progress lines (default: stderr, prefixed `bench: vscode-host: `). */
  log?: (line: string) => void;
}

/** What the load generator saw. Latencies in ms, rates in requests/s. */
export interface LoadStats {
  /** Requests scheduled (rps x seconds) and sent. */
  sent: number;
  /** Answers 200 whose stream ended with `response.completed`. */
  ok: number;
  /** Other statuses, broken streams and socket errors. */
  errors: number;
  /** The first error seen, if any. */
  firstError?: string;
  /** Errors by kind (the message up to its first colon, e.g. `HTTP 502`), with counts. */
  errorKinds?: Record<string, number>;
  /** Requests sent per second over the sending phase (the target is `rps`). */
  achievedRps: number;
  /** Whole-answer time of the streamed requests. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From the first request sent to the last answer, s. */
  durationS: number;
}

/** Activation of the extension in one VS Code session, in ms. */
export interface ActivationSample {
  /** "Developer: Show Running Extensions": code loading + activate call, as the extension host timed them. */
  runningExtensionsMs?: number;
  /** The extension host's performance marks (breakdown). */
  marks?: ActivationTimes;
  /** Why the marks are missing. */
  missing?: string;
}

/** The outcome: rows in the shape of bench/lib/report.ts's `ExtraRow` (what bench/run.ts reports), plus the raw figures. */
export interface VsCodeHostBench {
  /** Rows for bench/run.ts's report (`BenchRun.extra`): activation, event-loop delay under load (with targets), then context. */
  rows: ExtraRow[];
  /** How it was measured and what else was seen (one sentence each). */
  notes: string[];
  /** Why it was not (fully) measured: setup missing, skipped by env, packaging or a session failed. */
  skipped?: string;
  /** One per VS Code session, in order (the first one also ran the load). */
  activations?: ActivationSample[];
  /** What the in-host suite measured in the session with the load (idle and load event-loop delay). */
  host?: HostBenchResult;
  /** What the load generator saw. */
  load?: LoadStats;
  /** Wall time of the whole measurement, s. */
  durationS: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));

/** Percentile `p` (0..100) of sorted numbers, nearest rank; NaN when empty. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Why this machine cannot run the measurement, or undefined when it can. */
function setupProblem(): string | undefined {
  if (process.env[SKIP_ENV] === '1') return `${SKIP_ENV}=1 is set`;
  if (!existsSync(join(DEFAULT_CODE_SERVER_DIR, '.installed'))) return `code-server is not set up (${DEFAULT_CODE_SERVER_DIR}): run scripts/setup-vscode-test.sh once`;
  if (!existsSync(DEFAULT_CHROMIUM_PATH)) return `Chromium is missing (${DEFAULT_CHROMIUM_PATH}): run scripts/setup-vscode-test.sh once`;
  return undefined;
}

/** Polls until `path` exists; rejects after `timeoutMs`, or as soon as `failed` rejects (polling then stops). */
async function waitForFile(path: string, timeoutMs: number, what: string, failed: Promise<never>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let stopped = false;
  const poll = (async () => {
    while (!stopped && !existsSync(path)) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(50);
    }
  })();
  poll.catch(() => undefined);
  try {
    await Promise.race([poll, failed]);
  } finally {
    stopped = true;
  }
}

/**
 * One streamed `POST /v1/responses` to the gateway; resolves with its whole-answer time in ms, or rejects with
 * what went wrong (status, broken stream, socket error, 30 s without an answer).
 */
function streamedRequest(agent: Agent, port: number, token: string, body: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((ok, fail) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/responses',
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.once('error', fail);
        res.once('end', () => {
          if (res.statusCode !== 200) fail(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          else if (!text.includes('response.completed')) fail(new Error(`stream ended without response.completed: ${text.slice(-200)}`));
          else ok(performance.now() - t0);
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.once('error', fail);
    req.end(body);
  });
}

/**
 * Open-loop load: request i is sent at `i / rps` s after the start, whether or not earlier ones were answered
 * (a closed loop would slow down with the server and hide delays). Waits for every answer (each bounded at 30 s).
 */
async function runLoad(port: number, token: string, rps: number, seconds: number): Promise<LoadStats> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const body = JSON.stringify({ model: 'bench', input: 'Say ok.', stream: true });
  const total = Math.round(rps * seconds);
  const interval = 1000 / rps;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const errorKinds: Record<string, number> = {};
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
    for (; sent < due; sent++) {
      inFlight.push(
        streamedRequest(agent, port, token, body).then(
          (ms) => void latencies.push(ms),
          (e: Error) => {
            errors++;
            firstError ??= e.message;
            const kind = e.message.split(':')[0].slice(0, 60);
            errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
          },
        ),
      );
    }
    await sleep(Math.max(0, t0 + sent * interval - performance.now()));
  }
  const sendS = (performance.now() - t0) / 1000;
  await Promise.all(inFlight);
  const durationS = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    sent,
    ok: latencies.length,
    errors,
    ...(firstError !== undefined ? { firstError, errorKinds } : {}),
    achievedRps: sent / sendS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? latencies[latencies.length - 1] : NaN,
    durationS,
  };
}

/**
 * Reads the extension's activation time from "Developer: Show Running Extensions" (the workbench's
 * runtime extensions editor: `Activation: N ms` = code loading + activate call), then closes that editor.
 * @param names the extension's display name and its id (`publisher.name`).
 * @returns ms, or undefined when the row could not be read within 30 s.
 */
async function runningExtensionsActivationMs(page: Page, names: string[], log: (l: string) => void): Promise<number | undefined> {
  try {
    await runCommandFromPalette(page, 'Developer: Show Running Extensions', { timeoutMs: 30_000 });
    // The row is named by the display name, or by the id when the workbench has not resolved the manifest's name.
    const name = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^$|()[\]{}\\]/g, '\\$&')).join('|')})$`, 'i');
    const row = page.locator('.runtime-extensions-editor .monaco-list-row').filter({ has: page.locator('.name', { hasText: name }) }).first();
    const cell = row.locator('.activation-time');
    await cell.filter({ hasText: /Activation: \d+ms/ }).waitFor({ state: 'visible', timeout: 30_000 });
    const m = /Activation: (\d+)ms/.exec(await cell.innerText());
    // Close it again, so that it does not redraw during the measurements that follow.
    await runCommandFromPalette(page, 'View: Close Editor', { timeoutMs: 30_000 })
      .then(() => page.locator('.runtime-extensions-editor').waitFor({ state: 'hidden', timeout: 30_000 }))
      .catch((e: Error) => log(`could not close "Show Running Extensions": ${e.message.split('\n')[0]}`));
    return m ? Number(m[1]) : undefined;
  } catch (e) {
    const seen = await page
      .locator('.runtime-extensions-editor .monaco-list-row')
      .allInnerTexts()
      .catch(() => []);
    log(`could not read "Developer: Show Running Extensions": ${(e as Error).message.split('\n')[0]} (rows: ${seen.map((t) => t.replace(/\s+/g, ' ')).join('; ') || 'none'})`);
    return undefined;
  }
}

/** Median of numbers (mean of the middle two for an even count); NaN when empty. */
function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The rows for bench/run.ts's report (`BenchRun.extra`, shape {@link ExtraRow}): activation and event-loop delay
 * under load, each with its target; the idle event-loop delay and the load's answer times as context. A value
 * is NaN when it was not measured (its note says why).
 */
function rowsOf(r: Pick<VsCodeHostBench, 'activations' | 'host' | 'load' | 'skipped'>, rps: number, loadS: number): ExtraRow[] {
  const why = r.skipped ? `not measured: ${r.skipped}` : undefined;
  const samples = r.activations ?? [];
  const fromUi = samples.map((x) => x.runningExtensionsMs).filter((x): x is number => x !== undefined);
  const marks = samples.map((x) => x.marks).filter((x): x is ActivationTimes => x !== undefined);
  // VS Code's own figure when every session showed it; else the marks' code loading + activate call.
  const useUi = fromUi.length > 0 && fromUi.length === samples.length;
  const values = useUi ? fromUi : marks.map((a) => a.codeLoadingMs + a.activateCallMs);
  const activation = median(values);
  const missing = samples.find((x) => x.missing)?.missing;
  const activationGoal = `the extension activates in < ${TARGETS.activationMs} ms in VS Code (code loading + activate(), as VS Code times it)`;
  const rows: ExtraRow[] = [
    {
      label: 'VS Code: extension activation (median over sessions)',
      value: activation,
      unit: 'ms',
      target: { goal: activationGoal, met: activation < TARGETS.activationMs },
      note: Number.isNaN(activation)
        ? (why ?? `not measured${missing ? `: ${missing}` : ''}`)
        : `${values.length} session(s): ${values.join(', ')} ms, from ${useUi ? '"Developer: Show Running Extensions" (code loading + activate call)' : "the extension host's marks"}` +
          (marks.length
            ? `; extension host marks (medians): code loading ${fmt(median(marks.map((a) => a.codeLoadingMs)))} ms + activate() ${fmt(median(marks.map((a) => a.activateCallMs)))} ms`
            : ''),
    },
  ];
  const l = r.host?.load;
  const i = r.host?.idle;
  const g = r.load;
  // Errors mean the load was not the one asked for: the value is reported, not judged.
  const clean = l !== undefined && g !== undefined && g.errors === 0;
  rows.push({
    label: `VS Code: extension host event-loop delay p99 at ${rps} req/s`,
    value: l && g ? l.p99Ms : NaN,
    unit: 'ms',
    target: { goal: `extension host event-loop delay p99 < ${TARGETS.eventLoopP99Ms} ms while the gateway serves ${rps} req/s for ${loadS} s`, met: clean && l.p99Ms < TARGETS.eventLoopP99Ms },
    note:
      l && g
        ? `monitorEventLoopDelay (1 ms) in the extension host over ${(l.durationMs / 1000).toFixed(1)} s of load: max ${fmt(l.maxMs)} ms, main thread ${(100 * l.utilization).toFixed(0)}% busy; ` +
          `load from outside VS Code: ${g.ok}/${g.sent} ok at ${g.achievedRps.toFixed(0)} req/s${g.errors ? `, ${g.errors} errors (${Object.entries(g.errorKinds ?? {}).map(([k, n]) => `${k} x${n}`).join(', ')}; first: ${g.firstError?.slice(0, 160)})` : ''}`
        : (why ?? 'not measured'),
  });
  rows.push({
    label: 'VS Code: extension host event-loop delay p99, idle (gateway running)',
    value: i ? i.p99Ms : NaN,
    unit: 'ms',
    note: i ? `${(i.durationMs / 1000).toFixed(1)} s before the load: max ${fmt(i.maxMs)} ms, main thread ${(100 * i.utilization).toFixed(0)}% busy` : (why ?? 'not measured'),
  });
  rows.push({
    label: `VS Code: gateway answer p99 at ${rps} req/s (streamed /v1/responses, whole stream)`,
    value: g ? g.p99Ms : NaN,
    unit: 'ms',
    note: g ? `p50 ${fmt(g.p50Ms)} ms, max ${fmt(g.maxMs)} ms; translated to a Chat Completions stream of a mock upstream` : (why ?? 'not measured'),
  });
  return rows.map((x) => (x.note ? { ...x, note: x.note.replace(/\|/g, '/').replace(/\s+/g, ' ') } : x));
}

/** What every session needs: the package, the compiled suite, the mock upstream, a scratch folder. */
interface SessionContext {
  vsix: string;
  testsEntry: string;
  up: MockUpstream;
  scratch: string;
  /** The extension's display name and id, to find its row in "Show Running Extensions". */
  names: string[];
  idleS: number;
  rps: number;
  loadS: number;
  log: (line: string) => void;
  /** Every log line of the sessions so far (for the failure note). */
  logs: string[];
}

/** What one session measured. */
interface SessionResult {
  activation: ActivationSample;
  host: HostBenchResult;
  /** Only for the session that ran the load. */
  load?: LoadStats;
}

/**
 * One VS Code session with the in-host bench suite: fresh profile, HOME, CODEX_HOME, gateway home and port. Reads
 * the activation (VS Code's figure and the marks); with `withLoad`, also the idle phase and the load phase.
 * @throws when the session or the suite fails, or a hand-shake step does not happen in time.
 */
async function oneSession(ctx: SessionContext, index: number, withLoad: boolean): Promise<SessionResult> {
  const home = join(ctx.scratch, `home-${index}`);
  const dirs = { codexHome: join(home, '.codex'), gatewayHome: join(home, '.codex-gateway'), workspace: join(home, 'workspace'), hand: join(ctx.scratch, `handshake-${index}`) };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true, mode: 0o700 });
  await writeFile(join(dirs.workspace, 'README.md'), 'Codex Gateway bench workspace.\n');
  const port = await freePort();
  const config = { model_list: [{ model_name: 'bench', litellm_params: { model: 'openai_compatible/bench-model', api_base: ctx.up.baseUrl } }], router_settings: { num_retries: 0 } };
  const idleS = withLoad ? ctx.idleS : 0;
  return withVsCode(
    {
      vsixPath: ctx.vsix,
      extensionTestsPath: ctx.testsEntry,
      workspaceFolder: dirs.workspace,
      timeoutMs: 300_000,
      env: {
        HOME: home,
        CODEX_HOME: dirs.codexHome,
        CODEX_GATEWAY_HOME: dirs.gatewayHome,
        OPENAI_API_KEY: '',
        [BENCH_DIR_ENV]: dirs.hand,
        [BENCH_IDLE_S_ENV]: String(idleS),
      },
      userSettings: { 'codexGateway.port': port, 'codexGateway.config': config, 'codexGateway.codexConfig': 'off' },
      onLog: (line) => {
        ctx.logs.push(line);
        if (/^\[harness\] .*failure|^\[browser\] page error/.test(line)) ctx.log(line);
      },
    },
    async (session) => {
      // The suite ending early (it failed) must not leave this side waiting for files that never come.
      const ended = session.testsExitCode.then((code) => Promise.reject<never>(new Error(`the in-host bench suite ended early with exit code ${code}`)));
      ended.catch(() => undefined);
      await waitForFile(join(dirs.hand, BENCH_FILES.ready), 120_000 + idleS * 1000, 'the in-host suite (extension active, gateway ready, idle phase)', ended);
      const ready = JSON.parse(await readFile(join(dirs.hand, BENCH_FILES.ready), 'utf8')) as BenchReady;
      const runningExtensionsMs = await runningExtensionsActivationMs(session.page, ctx.names, ctx.log);
      let load: LoadStats | undefined;
      if (withLoad) {
        const token = (await readFile(ready.tokenFile, 'utf8')).trim();
        await streamedRequest(new Agent(), ready.port, token, JSON.stringify({ model: 'bench', input: 'Say ok.', stream: true })); // sanity: throws on failure
        await writeFile(join(dirs.hand, BENCH_FILES.loadStarted), '');
        load = await runLoad(ready.port, token, ctx.rps, ctx.loadS);
      } else {
        await writeFile(join(dirs.hand, BENCH_FILES.loadStarted), '');
      }
      await writeFile(join(dirs.hand, BENCH_FILES.loadDone), '');
      const code = await session.testsExitCode;
      if (code !== 0) throw new Error(`the in-host bench suite failed (exit code ${code})`);
      const host = JSON.parse(await readFile(join(dirs.hand, BENCH_FILES.result), 'utf8')) as HostBenchResult;
      return {
        activation: {
          ...(runningExtensionsMs !== undefined ? { runningExtensionsMs } : {}),
          ...(host.activation ? { marks: host.activation } : {}),
          ...(host.activationMissing ? { missing: host.activationMissing } : {}),
        },
        host,
        ...(load ? { load } : {}),
      };
    },
  );
}

/**
 * Measures the extension in a real VS Code: packages it, runs one session with the in-host bench suite in which
 * this process loads the gateway, then more sessions for activation only (activation is one number per session,
 * and a loaded machine spreads it widely), and collects both halves. Never throws: when it cannot measure, the
 * result says why in `skipped` (and the rows say "not measured").
 *
 * @returns the verdict rows (shape of bench/lib/report.ts) and the raw figures; `durationS` is the wall time.
 */
export async function measureVsCodeHost(options: VsCodeHostOptions = {}): Promise<VsCodeHostBench> {
  const rps = options.rps ?? 200;
  const loadS = options.loadS ?? 10;
  const idleS = options.idleS ?? 5;
  const sessions = Math.max(1, options.sessions ?? 3);
  const log = options.log ?? ((l: string) => process.stderr.write(`bench: vscode-host: ${l}\n`));
  const t0 = Date.now();
  const result = (partial: Partial<VsCodeHostBench>, skipped?: string): VsCodeHostBench => ({
    rows: rowsOf({ ...partial, ...(skipped ? { skipped } : {}) }, rps, loadS),
    notes: [],
    ...partial,
    ...(skipped ? { skipped } : {}),
    durationS: (Date.now() - t0) / 1000,
  });
  const problem = setupProblem();
  if (problem) return result({}, problem);

  const scratch = await mkdtemp(join(tmpdir(), 'cgw-bench-vscode-'));
  let up: MockUpstream | undefined;
  const logs: string[] = [];
  const activations: ActivationSample[] = [];
  let loaded: SessionResult | undefined;
  try {
    log('packaging the extension (vsce package, runs the esbuild bundles) ...');
    const vsix = join(scratch, 'codex-gateway.vsix');
    const pkg = spawnSync(process.execPath, [VSCE, 'package', '--no-dependencies', '--allow-missing-repository', '--readme-path', 'docs/vscode-extension.md', '--out', vsix], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (pkg.status !== 0) return result({}, `vsce package failed (exit ${pkg.status ?? pkg.signal}): ${`${pkg.stdout}\n${pkg.stderr}`.trim().split('\n').slice(-5).join(' / ')}`);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { displayName?: string; name: string; publisher: string };
    const names = [manifest.displayName ?? manifest.name, `${manifest.publisher}.${manifest.name}`];
    const testsEntry = await buildExtensionTests(SUITE_DIR, join(SUITE_DIR, 'out'));
    up = await MockUpstream.start({ name: 'bench-vscode' });
    up.setFallback(chatText('ok'));
    const ctx: SessionContext = { vsix, testsEntry, up, scratch, names, idleS, rps, loadS, log, logs };
    const loadBefore = loadavg()[0];

    for (let i = 1; i <= sessions; i++) {
      const withLoad = i === 1;
      log(`VS Code session ${i}/${sessions} (code-server + headless Chromium)${withLoad ? `: ${idleS} s idle, then ${rps} req/s for ${loadS} s` : ': activation only'} ...`);
      const r = await oneSession(ctx, i, withLoad);
      activations.push(r.activation);
      if (withLoad) loaded = r;
      log(`session ${i}: activation ${r.activation.runningExtensionsMs ?? '?'} ms (Show Running Extensions)${r.activation.marks ? `, marks: code loading ${r.activation.marks.codeLoadingMs} ms + activate() ${r.activation.marks.activateCallMs} ms` : ''}`);
    }
    const loadAfter = loadavg()[0];
    const host = loaded!.host;
    const notes = [
      `VS Code 1.100.3 (code-server 4.100.3) in headless Chromium; the extension installed from its .vsix (vsce package); extension host on Node ${host.node}; a fresh profile per session.`,
      `Activation: VS Code's figure from "Developer: Show Running Extensions" (the extension host's ExtensionActivationTimes: code loading + the activate() call; activation event onStartupFinished), one per session, median over ${sessions} sessions. ` +
        `Breakdown from the extension host's performance marks (code/extHost/{will,did}LoadExtensionCode, {will,did}ActivateExtension; whole ms; VS Code's code loading also counts loading the extension's localized strings, so it can be a little larger). ` +
        `The gateway's worker thread starts after activate() returns and is not part of it.`,
      `Event loop: perf_hooks.monitorEventLoopDelay (1 ms resolution) inside the extension host (its main thread; the gateway serves from a worker thread of the same process), delay = sampled interval - 1 ms; ` +
        `${idleS} s idle once the gateway was ready, then from the load's first request to its last answer (${host.load.count} samples over ${(host.load.durationMs / 1000).toFixed(1)} s).`,
      `Load: open loop from the bench process (outside VS Code), ${rps} streamed POST /v1/responses per second for ${loadS} s over keep-alive connections, each translated by the gateway into a streamed Chat Completions request to a mock upstream (test/helpers/mock-upstream.ts) in the bench process; answer times are whole streams.`,
      `Load average (1 min) before/after: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)} on ${cpus().length} cores (the machine is shared; activation in particular spreads with it).`,
    ];
    return result({ activations, host, ...(loaded!.load ? { load: loaded!.load } : {}), notes });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    log(`failed: ${msg}`);
    return result(
      { activations, ...(loaded ? { host: loaded.host, ...(loaded.load ? { load: loaded.load } : {}) } : {}), notes: [`last log lines: ${logs.slice(-8).join(' | ')}`] },
      `a VS Code session failed: ${msg}`,
    );
  } finally {
    await up?.close().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Renders the result as a Markdown section (for running this file alone; bench/run.ts renders the rows itself). */
export function renderVsCodeHostMarkdown(r: VsCodeHostBench): string {
  const lines = ['## The extension in a real VS Code', ''];
  if (r.skipped) lines.push(`Not measured: ${r.skipped}.`, '');
  lines.push('| measurement | value | target | how |', '|---|---:|---|---|');
  for (const x of r.rows) {
    const target = x.target ? `${x.target.goal}: ${Number.isNaN(x.value) ? 'n/a' : x.target.met ? 'met' : '**missed**'}` : '';
    lines.push(`| ${x.label} | ${Number.isNaN(x.value) ? '-' : `${fmt(x.value)} ${x.unit}`} | ${target} | ${x.note ?? ''} |`);
  }
  if (r.notes.length) {
    lines.push('');
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  lines.push(`- Took ${r.durationS.toFixed(0)} s.`, '');
  return lines.join('\n');
}

/**
 * For bench/run.ts: measures (see {@link measureVsCodeHost}), prints how it was measured (or why not) to stderr,
 * and returns the rows for `BenchRun.extra`. Never throws. Skipped, with the reason in the rows and on stderr,
 * when code-server is not set up (scripts/setup-vscode-test.sh) or `BENCH_SKIP_VSCODE=1`.
 */
export async function vscodeHostRows(options: VsCodeHostOptions = {}): Promise<ExtraRow[]> {
  const log = options.log ?? ((l: string) => process.stderr.write(`bench: vscode-host: ${l}\n`));
  const r = await measureVsCodeHost({ ...options, log });
  if (r.skipped) log(`not measured: ${r.skipped}`);
  for (const n of r.notes) log(n);
  log(`took ${r.durationS.toFixed(0)} s`);
  return r.rows;
}

if (require.main === module) {
  void measureVsCodeHost().then((r) => {
    process.stdout.write(`\n${renderVsCodeHostMarkdown(r)}`);
    // The harness stops everything it started; this only guards against a stray handle.
    setTimeout(() => process.exit(0), 2_000).unref();
  });
}
