/**
 * Turns one bench run's numbers into the comparisons the issue asks for (added latency, throughput share,
 * stream first-byte delta, memory) and renders them as Markdown. Pure functions: no I/O.
 *
 * Measurements are taken in cycles: each cycle measures every target once, one after the other, so
 * bursts of load from other work on the shared machine hit all targets alike. A target's value is the
 * median over cycles; a comparison (added latency, throughput share, first-byte delta) is the median
 * over cycles of the per-cycle comparison with the baseline measured seconds before or after it.
 */
import type { Memory } from './procs';
import { deltaMs, median, ms } from './stats';
import type { StreamSummary } from './stream-client';
import type { WrkResult } from './wrk';

/** A target of the latency (1 connection) and throughput (N connections) runs. */
export interface LoadTargetResult {
  id: string;
  label: string;
  /** One wrk run at 1 connection per latency cycle (index = cycle). */
  latency: WrkResult[];
  /** One wrk run at N connections per throughput cycle (index = cycle). */
  throughput: WrkResult[];
  /** TCP connections the mock upstream saw carrying this target's requests over the whole run. */
  upstreamConnections?: number;
  /** CPU time of the serving process per request in each throughput cycle, in µs (the proxy's own, or the upstream's for (a)). */
  cpuUsPerRequest?: number[];
  /** Why the target was not measured. */
  skipped?: string;
}

/** A target of the sequential streaming runs. */
export interface StreamTargetResult {
  id: string;
  label: string;
  /** Id of the stream target this one is compared with (its direct-upstream baseline). */
  baseline?: string;
  /** One summary per stream cycle (index = cycle). */
  cycles: StreamSummary[];
  skipped?: string;
}

/** Memory of one server process at three moments. */
export interface MemoryRow {
  process: string;
  idle?: Memory;
  afterLoad?: Memory;
  settled?: Memory;
}

/** The measurement knobs of a run: warm-up and cycle lengths in s, counts, connections. */
export interface LoadSettings {
  warmupS: number;
  /** Latency: cycles x seconds at 1 connection per target. */
  latencyCycles: number;
  latencyS: number;
  /** Throughput: cycles x seconds at `connections` connections per target. */
  throughputCycles: number;
  throughputS: number;
  connections: number;
  /** wrk threads for the throughput runs. */
  threads: number;
  /** Streams: cycles x sequential requests per target. */
  streamCycles: number;
  streamN: number;
}

/** Everything one run measured plus its settings. */
export interface BenchRun {
  startedAt: string;
  durationS: number;
  machine: { cpu: string; cores: number; node: string; wrk: string; loadBefore: number[]; loadAfter: number[] };
  settings: LoadSettings & { gatewayLogLevel: string; peer: string };
  load: LoadTargetResult[];
  streams: StreamTargetResult[];
  memory: MemoryRow[];
  notes: string[];
}

/** Median values of a load target over its cycles. Latencies in ms. */
export interface LoadSummary {
  p50: number;
  p99: number;
  /** Lowest and highest per-cycle p50 (the noise). */
  p50Min: number;
  p50Max: number;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  /** Non-2xx answers and socket errors, summed over all runs. */
  errors: number;
  /** Median CPU µs per request of the serving process (NaN when not measured). */
  cpuUs: number;
}

/** Median-over-cycles summary of a load target; undefined when it was skipped or has no data. */
export function summarizeLoad(t: LoadTargetResult | undefined): LoadSummary | undefined {
  if (!t || t.latency.length === 0 || t.throughput.length === 0) return undefined;
  const p50s = t.latency.map((r) => r.p50Ms);
  const rps = t.throughput.map((r) => r.rps);
  const errors = [...t.latency, ...t.throughput].reduce((s, r) => s + r.errorsStatus + r.errorsSocket, 0);
  return {
    p50: median(p50s),
    p99: median(t.latency.map((r) => r.p99Ms)),
    p50Min: Math.min(...p50s),
    p50Max: Math.max(...p50s),
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    errors,
    cpuUs: median(t.cpuUsPerRequest ?? []),
  };
}

/** Median over cycles of a stream target's per-cycle medians; undefined when skipped. */
export function summarizeStream(t: StreamTargetResult | undefined): StreamSummary | undefined {
  if (!t || t.cycles.length === 0) return undefined;
  const m = (f: (s: StreamSummary) => number) => median(t.cycles.map(f));
  return {
    n: t.cycles.reduce((s, c) => s + c.n, 0),
    firstByteP50: m((s) => s.firstByteP50),
    firstByteP99: m((s) => s.firstByteP99),
    firstTokenP50: m((s) => s.firstTokenP50),
    firstTokenP99: m((s) => s.firstTokenP99),
    totalP50: m((s) => s.totalP50),
    totalP99: m((s) => s.totalP99),
  };
}

/** Median over cycles of `f(x[i], base[i])`, on the cycles both have; NaN when none. */
function pairedMedian<T>(x: readonly T[], base: readonly T[], f: (a: T, b: T) => number): number {
  const n = Math.min(x.length, base.length);
  return median(Array.from({ length: n }, (_, i) => f(x[i], base[i])));
}

/** Added p50 latency of load target `x` over `base` in ms (median of per-cycle differences). */
export function addedP50(x: LoadTargetResult | undefined, base: LoadTargetResult | undefined): number {
  if (!x || !base) return NaN;
  return pairedMedian(x.latency, base.latency, (a, b) => a.p50Ms - b.p50Ms);
}

/** Throughput of `x` as a percentage of `base` (median of per-cycle ratios). */
export function throughputShare(x: LoadTargetResult | undefined, base: LoadTargetResult | undefined): number {
  if (!x || !base) return NaN;
  return pairedMedian(x.throughput, base.throughput, (a, b) => (100 * a.rps) / b.rps);
}

/** First byte and first token deltas of stream target `x` over its baseline, in ms (medians of per-cycle differences). */
export function streamDeltas(x: StreamTargetResult | undefined, base: StreamTargetResult | undefined): { firstByte: number; firstToken: number } {
  if (!x || !base) return { firstByte: NaN, firstToken: NaN };
  return {
    firstByte: pairedMedian(x.cycles, base.cycles, (a, b) => a.firstByteP50 - b.firstByteP50),
    firstToken: pairedMedian(x.cycles, base.cycles, (a, b) => a.firstTokenP50 - b.firstTokenP50),
  };
}

/** One line of the verdict table. */
export interface Verdict {
  goal: string;
  measured: string;
  /** undefined when it could not be measured. */
  met?: boolean;
}

const known = (v: number) => !Number.isNaN(v);

/** The targets, evaluated on the median-of-cycles comparisons. */
export function verdicts(run: BenchRun): Verdict[] {
  const L = (id: string) => run.load.find((t) => t.id === id && !t.skipped);
  const S = (id: string) => run.streams.find((t) => t.id === id && !t.skipped);
  const out: Verdict[] = [];
  const added = addedP50(L('c'), L('a'));
  out.push({ goal: 'adds <= 0.3 ms at p50 over the direct call (c vs a, 1 connection)', measured: known(added) ? `${deltaMs(added)} ms` : 'not measured', met: known(added) ? added <= 0.3 : undefined });
  const share = throughputShare(L('c'), L('b'));
  const perCycle = (() => {
    const c = L('c');
    const b = L('b');
    if (!c || !b) return '';
    const n = Math.min(c.throughput.length, b.throughput.length);
    return Array.from({ length: n }, (_, i) => `${((100 * c.throughput[i].rps) / b.throughput[i].rps).toFixed(0)}%`).join(', ');
  })();
  const cpuNote = () => {
    const c = summarizeLoad(L('c'));
    const b = summarizeLoad(L('b'));
    if (!c || !b || Number.isNaN(c.cpuUs) || Number.isNaN(b.cpuUs)) return '';
    return `; CPU per request ${c.cpuUs.toFixed(0)} vs ${b.cpuUs.toFixed(0)} µs = ${((100 * b.cpuUs) / c.cpuUs).toFixed(0)}% of (b)'s efficiency`;
  };
  out.push({
    goal: '>= 85% of the Hono + undici pass-through throughput (c vs b, 32 connections)',
    measured: known(share) ? `${share.toFixed(0)}% (per cycle: ${perCycle})${cpuNote()}` : 'not measured',
    met: known(share) ? share >= 85 : undefined,
  });
  for (const [id, base, what] of [
    ['d-small', 'a-small', 'small request'],
    ['d-codex', 'a-codex', 'Codex-sized request'],
  ] as const) {
    const d = streamDeltas(S(id), S(base));
    out.push({
      goal: `adds <= 1 ms to the first byte of a translated stream (${what}; first token in brackets)`,
      measured: known(d.firstByte) ? `${deltaMs(d.firstByte)} ms (first token ${deltaMs(d.firstToken)} ms)` : 'not measured',
      met: known(d.firstByte) && known(d.firstToken) ? d.firstByte <= 1 && d.firstToken <= 1 : undefined,
    });
  }
  const gw = run.memory.find((m) => m.process.startsWith('(c)'));
  out.push({
    goal: 'idles under 60 MB RSS (read as 60 MiB)',
    measured: gw?.idle ? `${gw.idle.rssMiB.toFixed(1)} MiB (${gw.idle.anonMiB.toFixed(1)} private + ${gw.idle.fileMiB.toFixed(1)} file-backed)` : 'not measured',
    met: gw?.idle ? gw.idle.rssMiB < 60 : undefined,
  });
  return out;
}

/** Renders a run as the Markdown of bench/results/latest.md. */
export function renderMarkdown(run: BenchRun): string {
  const L = (id: string) => run.load.find((t) => t.id === id && !t.skipped);
  const lines: string[] = [];
  const s = run.settings;
  lines.push(`# Codex Gateway bench: ${run.startedAt}`, '');
  lines.push(
    `Machine: ${run.machine.cpu}, ${run.machine.cores} cores (shared), Node ${run.machine.node}, ${run.machine.wrk}. ` +
      `Load average before/after: ${run.machine.loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${run.machine.loadAfter.map((x) => x.toFixed(2)).join(' ')}. ` +
      `Run took ${run.durationS.toFixed(0)} s.`,
    '',
  );
  lines.push(
    `Settings: ${s.warmupS} s warm-up per target at ${s.connections} connections; latency in ${s.latencyCycles} cycles of ${s.latencyS} s at 1 connection per target; ` +
      `throughput in ${s.throughputCycles} cycles of ${s.throughputS} s at ${s.connections} connections (${s.threads} wrk thread); ` +
      `streams in ${s.streamCycles} cycles of ${s.streamN} sequential requests per target. A cycle measures every target once, back to back; ` +
      `values are medians over cycles, comparisons are medians of per-cycle comparisons. Gateway log level: ${s.gatewayLogLevel}. Peer: ${s.peer}.`,
    '',
  );
  lines.push('## Targets', '', '| goal | measured | met |', '|---|---|---|');
  for (const v of verdicts(run)) lines.push(`| ${v.goal} | ${v.measured} | ${v.met === undefined ? 'n/a' : v.met ? 'yes' : '**no**'} |`);
  lines.push('', '## Latency (1 connection) and throughput', '');
  lines.push(
    'p50 range: lowest and highest per-cycle p50. Upstream connections: TCP connections the mock upstream saw carrying the target\'s requests over the whole run; ' +
      'a proxy that keeps its upstream connections alive opens about as many as it has requests in flight (32, plus 1 for the latency runs); ' +
      'for (a) the count is wrk\'s own connections, new ones on every run. ' +
      'CPU/req: CPU time (user + system, from /proc/PID/stat) the serving process spent per request during the throughput runs, ' +
      'the proxy alone for (b) to (e) and the mock upstream for (a): a second view of efficiency (it also rises when the machine is busy, but less than req/s falls).',
    '',
  );
  lines.push(
    '| target | p50 ms | p50 range | p99 ms | added p50 vs (a) ms | req/s | % of (b) | CPU/req µs | errors | upstream connections |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const t of run.load) {
    const x = summarizeLoad(t);
    if (!x || t.skipped) {
      lines.push(`| ${t.label} | skipped: ${t.skipped ?? 'no data'} | | | | | | | | |`);
      continue;
    }
    const added = t.id === 'a' ? '-' : deltaMs(addedP50(t, L('a')));
    const share = L('b') ? `${throughputShare(t, L('b')).toFixed(0)}%` : '-';
    lines.push(
      `| ${t.label} | ${ms(x.p50)} | ${ms(x.p50Min)}-${ms(x.p50Max)} | ${ms(x.p99)} | ${added} | ${x.rps.toFixed(0)} | ${share} | ${Number.isNaN(x.cpuUs) ? '-' : x.cpuUs.toFixed(0)} | ${x.errors} | ${t.upstreamConnections ?? '-'} |`,
    );
  }
  lines.push('', '## Streams (sequential, 1 connection)', '');
  lines.push(
    'First byte: first body byte at the client. First token: the chunk carrying the upstream\'s first text token. Times in ms, medians; Δ against the direct-upstream row of the same request.',
    '',
  );
  lines.push('| target | first byte | first token | total | total p99 | Δ first byte | Δ first token |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const t of run.streams) {
    const x = summarizeStream(t);
    if (!x || t.skipped) {
      lines.push(`| ${t.label} | skipped: ${t.skipped ?? 'no data'} | | | | | |`);
      continue;
    }
    const base = t.baseline ? run.streams.find((z) => z.id === t.baseline && !z.skipped) : undefined;
    const d = streamDeltas(t, base);
    lines.push(
      `| ${t.label} | ${ms(x.firstByteP50)} | ${ms(x.firstTokenP50)} | ${ms(x.totalP50)} | ${ms(x.totalP99)} | ${base ? deltaMs(d.firstByte) : '-'} | ${base ? deltaMs(d.firstToken) : '-'} |`,
    );
  }
  lines.push('', '## Memory (RSS from /proc/PID/status, MiB)', '');
  lines.push(
    'RSS = anon (private: JS heap, native memory) + file (pages of the node executable and libraries, shared by every node process). ' +
      'The empty node process shows what Node itself costs here.',
    '',
  );
  lines.push('| process | idle after start: RSS (anon + file) | right after load | 2 s after load | peak (VmHWM) |', '|---|---:|---:|---:|---:|');
  const mib = (m?: Memory) => (m ? m.rssMiB.toFixed(1) : '-');
  const split = (m?: Memory) => (m ? `${m.rssMiB.toFixed(1)} (${m.anonMiB.toFixed(1)} + ${m.fileMiB.toFixed(1)})` : '-');
  for (const m of run.memory) lines.push(`| ${m.process} | ${split(m.idle)} | ${mib(m.afterLoad)} | ${mib(m.settled)} | ${m.settled ? m.settled.peakMiB.toFixed(1) : '-'} |`);
  if (run.notes.length) {
    lines.push('', '## Notes', '');
    for (const n of run.notes) lines.push(`- ${n}`);
  }
  lines.push('');
  return lines.join('\n');
}
