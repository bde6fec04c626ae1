/**
 * The in-host half of the VS Code bench (bench/vscode-host.ts): runs INSIDE code-server's extension host with the
 * Codex Gateway extension installed from its .vsix, and measures what only the extension host can see:
 * - the extension's activation timings from the extension host's own performance marks;
 * - the event-loop delay of the extension host's main thread (`perf_hooks.monitorEventLoopDelay`), first idle, then
 *   while the outer process loads the gateway (which runs in a worker thread of this extension host; its request
 *   records and log lines reach this main thread).
 * The hand-shake with the outer process is described in ../protocol.ts. Nothing here asserts a speed: the one test
 * fails only when it could not measure.
 */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { CodexGatewayApi } from '../../../../src/extension/extension';
import { BENCH_DIR_ENV, BENCH_FILES, BENCH_IDLE_S_ENV, BENCH_LOAD_WAIT_S_ENV, type ActivationTimes, type BenchReady, type DelayStats, type HostBenchResult } from '../protocol';

const EXTENSION_ID = 'codex-gateway.codex-gateway';
/** Timer period of the event-loop delay histogram, ms (1 ms: the finest `monitorEventLoopDelay` allows). */
const RESOLUTION_MS = 1;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns true; rejects after `timeoutMs` naming `what`. */
async function until(what: string, probe: () => boolean, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Writes a file atomically (temp name, then rename), so the other side never reads half of it. */
async function publish(dir: string, name: string, content: string): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, content);
  await rename(tmp, join(dir, name));
}

/** The extension host's performance marks (VS Code keeps them on `globalThis.MonacoPerformanceMarks`). */
function extHostMarks(): { name: string; startTime: number }[] | undefined {
  const perf = (globalThis as { MonacoPerformanceMarks?: { getMarks(): { name: string; startTime: number }[] } }).MonacoPerformanceMarks;
  return perf?.getMarks();
}

/** Activation timings of `id` from the extension host's marks, or why they are missing. */
function activationTimes(id: string): ActivationTimes | string {
  const all = extHostMarks();
  if (!all) return 'globalThis.MonacoPerformanceMarks is not available in this extension host';
  const want = ['willLoadExtensionCode', 'didLoadExtensionCode', 'willActivateExtension', 'didActivateExtension'];
  const marks: Record<string, number> = {};
  for (const m of all) {
    const hit = /^code\/extHost\/(\w+)\/(.+)$/.exec(m.name);
    if (hit && want.includes(hit[1]) && hit[2].toLowerCase() === id.toLowerCase()) marks[hit[1]] = m.startTime;
  }
  const missing = want.filter((w) => marks[w] === undefined);
  if (missing.length > 0) return `the extension host has no mark ${missing.map((w) => `code/extHost/${w}/${id}`).join(', ')}`;
  return {
    codeLoadingMs: marks.didLoadExtensionCode - marks.willLoadExtensionCode,
    activateCallMs: marks.didActivateExtension - marks.willActivateExtension,
    totalMs: marks.didActivateExtension - marks.willLoadExtensionCode,
    marks,
  };
}

/** Summarises a histogram (ns) into delay stats (ms beyond the timer period). */
function stats(h: IntervalHistogram, durationMs: number, elu: EventLoopUtilization): DelayStats {
  const delay = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    resolutionMs: RESOLUTION_MS,
    durationMs,
    count: h.count,
    p50Ms: delay(h.percentile(50)),
    p90Ms: delay(h.percentile(90)),
    p99Ms: delay(h.percentile(99)),
    maxMs: delay(h.max),
    meanMs: delay(h.mean),
    utilization: elu.utilization,
  };
}

describe('Codex Gateway bench inside the extension host', () => {
  it('reads the activation timings and the event-loop delay, idle and under the outer load', async () => {
    const dir = process.env[BENCH_DIR_ENV];
    assert.ok(dir && existsSync(dir), `${BENCH_DIR_ENV} must name an existing folder (set by bench/vscode-host.ts)`);
    const idleMs = Number(process.env[BENCH_IDLE_S_ENV] ?? 5) * 1000;
    const loadWaitMs = Number(process.env[BENCH_LOAD_WAIT_S_ENV] ?? 120) * 1000;

    const ext = vscode.extensions.getExtension<CodexGatewayApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
    await until('the extension to activate on startup', () => ext.isActive, 60_000, 50);
    await ext.exports.whenReady();
    const status = ext.exports.status();
    assert.equal(status.phase, 'running', `the gateway should run in this window: ${JSON.stringify(status)}`);
    const activation = activationTimes(EXTENSION_ID);

    // Idle: the window has started, the gateway listens, nothing is asked of it.
    const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    h.enable();
    let elu0 = performance.eventLoopUtilization();
    let t0 = Date.now();
    await sleep(idleMs);
    const idle = stats(h, Date.now() - t0, performance.eventLoopUtilization(elu0));

    // Load: measured from the outer process's "started" to its "done".
    const ready: BenchReady = { port: status.port, tokenFile: status.tokenFile, phase: status.phase };
    await publish(dir, BENCH_FILES.ready, JSON.stringify(ready));
    await until('the outer process to start the load', () => existsSync(join(dir, BENCH_FILES.loadStarted)), 60_000);
    h.reset();
    elu0 = performance.eventLoopUtilization();
    t0 = Date.now();
    await until('the outer process to finish the load', () => existsSync(join(dir, BENCH_FILES.loadDone)), loadWaitMs);
    h.disable();
    const load = stats(h, Date.now() - t0, performance.eventLoopUtilization(elu0));

    const result: HostBenchResult = {
      extensionId: EXTENSION_ID,
      ...(typeof activation === 'string' ? { activationMissing: activation } : { activation }),
      idle,
      load,
      node: process.version,
    };
    await publish(dir, BENCH_FILES.result, JSON.stringify(result, null, 2));
  });
});
