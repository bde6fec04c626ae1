/**
 * Tests of the Messages door vs claude-code-router rows (bench/ccr.ts, bench/lib/ccr.ts,
 * bench/ccr-offline.mjs): the per-cycle summary and the rows with their targets, and the offline guard.
 * CCR itself is not installed or started here (npm run bench does that).
 *
 *   npx mocha --node-option import=tsx bench/test/bench-ccr.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { claudeCodeBody, CLAUDE_CODE_CAPTURE, messagesBody, messagesDoorRows, summarizeMessagesDoor, TARGETS, type DoorTarget, type MessagesDoorResult } from '../ccr';
import { CCR_MODEL, processTree } from '../lib/ccr';
import type { StreamSummary } from '../lib/stream-client';
import type { WrkResult } from '../lib/wrk';

const wrk = (p50Ms: number, rps: number): WrkResult => ({ requests: rps * 2, durationS: 2, rps, errorsStatus: 0, errorsSocket: 0, meanMs: p50Ms, p50Ms, p90Ms: p50Ms, p99Ms: p50Ms, maxMs: p50Ms });
const stream = (firstByteP50: number): StreamSummary => ({ n: 100, firstByteP50, firstByteP99: firstByteP50, firstTokenP50: firstByteP50, firstTokenP99: firstByteP50, totalP50: firstByteP50, totalP99: firstByteP50 });
const target = (id: DoorTarget['id'], p50: number[], rps: number[], fb: number[]): DoorTarget => ({
  id,
  label: id,
  latency: p50.map((p) => wrk(p, 1)),
  throughput: rps.map((r) => wrk(1, r)),
  cpuUsPerRequest: rps.map(() => 100),
  streams: fb.map(stream),
  streamsClaude: fb.map((x) => stream(x + 0.5)),
});
const run = (targets: DoorTarget[]): MessagesDoorResult => ({
  startedAt: '2026-01-01T00:00:00.000Z',
  durationS: 60,
  loadBefore: [1, 1, 1],
  loadAfter: [2, 2, 2],
  cores: 2,
  settings: { latencyCycles: 3, throughputCycles: 3, connections: 32, streamCycles: 3, streamN: 100, logLevel: 'info' },
  targets,
  ccrBlocked: [],
  notes: [],
});

describe('bench: Messages door vs claude-code-router', () => {
  it('sends the same conversation as the chat rows, as an Anthropic Messages body', () => {
    const b = JSON.parse(messagesBody('bench', true)) as Record<string, unknown>;
    assert.equal(b.model, 'bench');
    assert.equal(b.stream, true);
    assert.equal(b.system, 'You are a terse assistant.');
    assert.deepEqual(b.messages, [{ role: 'user', content: 'Say hello in five words.' }]);
    assert.ok(messagesBody('x', true).includes('"stream":true'), 'the mock looks for the literal "stream":true');
    assert.ok(!('stream' in (JSON.parse(messagesBody('x', false)) as object)));
    assert.equal(CCR_MODEL, 'bench,bench-model');
  });

  it('compares per cycle: added p50, throughput ratio, first-byte delta', () => {
    const r = run([
      target('direct', [0.02, 0.03, 0.02], [30000, 20000, 30000], [0.1, 0.2, 0.1]),
      target('ours', [0.22, 0.33, 0.22], [12000, 6000, 9000], [0.5, 0.8, 0.4]),
      target('ccr', [2.02, 3.03, 2.02], [1000, 1000, 600], [3.1, 3.2, 3.1]),
    ]);
    const s = summarizeMessagesDoor(r)!;
    assert.ok(Math.abs(s.addedP50.ours - 0.2) < 1e-9);
    assert.ok(Math.abs(s.addedP50.ccr - 2.0) < 1e-9);
    // Per-cycle ratios 12, 6, 15 -> median 12.
    assert.equal(s.ratio, 12);
    assert.equal(s.ratioMin, 6);
    assert.equal(s.ratioMax, 15);
    assert.ok(Math.abs(s.firstByteDelta.ours - 0.4) < 1e-9);
    assert.ok(Math.abs(s.firstByteDeltaClaude.ours - 0.4) < 1e-9);
    assert.ok(Math.abs(s.firstByteClaude.direct - 0.6) < 1e-9);
    const rows = messagesDoorRows(r);
    const ratio = rows.find((x) => x.unit === 'x')!;
    assert.equal(ratio.value, 12);
    assert.deepEqual(ratio.target?.met, true);
    assert.match(ratio.target!.goal, new RegExp(`>= ${TARGETS.throughputRatio}x`));
    const fb = rows.filter((x) => x.target && x.unit === 'ms');
    assert.equal(fb.length, 2, 'small and captured Claude Code request');
    assert.ok(fb.every((x) => x.target?.met === true));
  });

  it('reports missed targets and skipped runs without numbers', () => {
    const missed = messagesDoorRows(
      run([target('direct', [0.02], [30000], [0.1]), target('ours', [0.3], [5000], [1.5]), target('ccr', [3], [1000], [4])]),
    );
    assert.deepEqual(
      missed.filter((x) => x.target).map((x) => x.target!.met),
      [false, false, false],
    );
    const skipped = messagesDoorRows({ ...run([]), skipped: 'disabled with --no-peer' });
    assert.equal(skipped.length, 2);
    assert.ok(skipped.every((x) => Number.isNaN(x.value) && x.note === 'disabled with --no-peer'));
  });

  it('builds the streamed body from the captured Claude Code request', () => {
    const b = JSON.parse(claudeCodeBody(join(resolve(__dirname, '../..'), CLAUDE_CODE_CAPTURE), 'bench')) as { model: string; stream: boolean; tools: unknown[]; messages: Array<{ content: unknown }> };
    assert.equal(b.model, 'bench');
    assert.equal(b.stream, true);
    assert.equal(b.tools.length, 12);
    assert.ok(JSON.stringify(b.messages).includes('tool_result'));
  });

  it('lists a process tree from /proc', () => {
    assert.deepEqual(processTree(process.pid).slice(0, 1), [process.pid]);
  });

  it('bench/ccr-offline.mjs refuses non-loopback connects before any packet and lets loopback through', () => {
    // A tripwire below the guard: if the guard passed a non-loopback connect on, the tripwire would throw
    // (and nothing would be sent); the guard must answer ECONNREFUSED itself.
    const script = `
      import net from 'node:net';
      const real = net.Socket.prototype.connect;
      net.Socket.prototype.connect = function (...a) {
        const o = a[0] && typeof a[0] === 'object' ? a[0] : { host: a[1], port: a[0] };
        if (o.host && !/^127\\./.test(o.host) && o.host !== 'localhost') throw new Error('TRIPWIRE ' + o.host);
        return real.apply(this, a);
      };
      await import(${JSON.stringify(join(resolve(__dirname, '..'), 'ccr-offline.mjs'))});
      const srv = net.createServer((s) => s.end('ok')).listen(0);
      await new Promise((r) => srv.once('listening', r));
      const tryConnect = (o) => new Promise((r) => { const s = net.connect(o); s.once('error', (e) => r(e.code)); s.once('data', (d) => { s.destroy(); r(String(d)); }); });
      const blocked = await tryConnect({ host: 'models.dev', port: 443 });
      const loop = await tryConnect({ host: '127.0.0.1', port: srv.address().port });
      console.log(JSON.stringify({ blocked, loop, addr: srv.address().address }));
      srv.close();
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { blocked: 'ECONNREFUSED', loop: 'ok', addr: '127.0.0.1' });
    assert.match(r.stderr, /BENCH_BLOCKED models\.dev:443/);
    assert.match(r.stderr, /BENCH_LISTENING \d+/);
  });
});
