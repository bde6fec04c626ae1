/**
 * Turns one bench run's numbers into the comparisons the issue asks for (added latency, throughput share,
 * stream first-byte delta, memory) and renders them as Markdown. Pure functions: no I/O.
 *
 * Measurements are taken in cycles: each cycle measures every target once, one after the other, so
 * bursts of load from other work on the shared machine hit all targets alike. A target's value is the
 * median over cycles; a comparison (added latency, throughput share, first-byte delta) is the median
 * over cycles of the per-cycle comparison with the baseline measured seconds before or after it.
 */
import { KIND_LABEL, type DeltaKind } from './chat-stream';
import { MESSAGES_KIND_LABEL, type MessagesDeltaKind } from './messages-stream';
import type { Memory } from './procs';
import { deltaMs, median, ms } from './stats';
import type { StreamSummary } from './stream-client';
import { barChartSvg } from './svg';
import type { MicroResult, StreamCost } from './translate-cost';
import type { WrkResult } from './wrk';

/** A target of the latency (1 connection) and throughput (N connections) runs. */
export interface LoadTargetResult {
  id: string;
  label: string;
  /** Id of the direct call its added p50 is measured against [`a`, the direct Chat Completions call]. */
  baseline?: string;
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

/**
 * Many streams held open at once through a fresh gateway process (the mock upstream holds them), and the
 * gateway's memory before, while they are open, and after they ended. Memory from /proc (MiB).
 */
export interface OpenStreamsRow {
  id: string;
  label: string;
  /** Streams asked for, and how many reached their first token in the time allowed. */
  n: number;
  opened: number;
  /** Time until the last one opened (or the time allowed), ms. */
  openMs: number;
  /** Streams that then completed normally after the upstream released them, and those that did not. */
  completed: number;
  failed: number;
  /** Upstream origins (ports) the alias spreads over. */
  origins: number;
  /** Gateway memory: idle after a warm-up, with the streams open, 2 s after they ended. */
  before?: Memory;
  open?: Memory;
  after?: Memory;
  /** Sockets the gateway process had open with the streams open (from /proc/PID/fd). */
  sockets?: number;
  /** Memory of the mock upstream before and with the streams open (a bare node:http server holding them: the floor). */
  upstreamBefore?: Memory;
  upstreamOpen?: Memory;
  note?: string;
}

/**
 * A measurement from elsewhere (e.g. bench/vscode-host.ts: activation time and event-loop delay inside a
 * real VS Code), rendered in "Other measurements" and, when it has a target, in the target table.
 */
export interface ExtraRow {
  /** What was measured, e.g. `extension activation in VS Code`. */
  label: string;
  /** The value in `unit`; NaN when it could not be measured (then `note` says why). */
  value: number;
  unit: string;
  /** Goal text, e.g. `activates in <= 500 ms`, and whether the value meets it. */
  target?: { goal: string; met: boolean };
  /** How it was measured, or why it was not. */
  note?: string;
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
  /** Translation CPU micro-benchmarks (bench/micro.ts); absent when not run. */
  micro?: MicroResult;
  /** Concurrent open streams and memory; absent when not run. */
  openStreams?: OpenStreamsRow[];
  /** Measurements added by other bench modules (see {@link ExtraRow}). */
  extra?: ExtraRow[];
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

/** The issue's targets, evaluated on the median-of-cycles comparisons. */
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
  // Issue 8: the pass-through must not regress against the bare pass-through (b) itself.
  const cVsB = addedP50(L('c'), L('b'));
  out.push({
    goal: `pass-through (c) adds no more p50 than the bare pass-through (b) does (c - b per cycle; within ${NOISE_MS} ms reads as "at")`,
    measured: known(cVsB) ? `${deltaMs(cVsB)} ms (c adds ${deltaMs(added)}, b adds ${deltaMs(addedP50(L('b'), L('a')))} ms over (a))` : 'not measured',
    met: known(cVsB) ? cVsB <= NOISE_MS : undefined,
  });
  out.push({
    goal: 'pass-through (c) throughput >= 100% of the bare pass-through (b) (32 connections)',
    measured: known(share) ? `${share.toFixed(0)}%` : 'not measured',
    met: known(share) ? share >= 100 : undefined,
  });
  for (const [id, base, what] of [
    ['d-small', 'a-small', 'small request'],
    ['d-codex', 'a-codex', 'Codex-sized request'],
    ['d-capture', 'a-capture', 'captured Codex request'],
    ['g-capture', 'a-msg-capture', 'captured Codex request, Responses door -> Anthropic Messages upstream'],
    ['g-codex', 'a-msg-codex', 'Codex-sized request, Responses door -> Anthropic Messages upstream'],
    ['g-small', 'a-msg-small', 'small request, Responses door -> Anthropic Messages upstream'],
    ['f-small', 'a-msg-chat', 'small request, Chat door -> Anthropic Messages upstream'],
  ] as const) {
    // Rows added with the Messages upstream are left out of runs from before them.
    if (id !== 'd-small' && id !== 'd-codex' && !run.streams.some((t) => t.id === id)) continue;
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
  out.push(...microVerdicts(run.micro));
  for (const r of run.openStreams ?? []) {
    const kib = perStreamKiB(r);
    if (r.id.startsWith('single-origin')) continue;
    out.push({
      goal: `< 30 KB RSS per open stream: ${r.label} (RSS with ${r.n} open minus idle, / ${r.n}; 30 KB = 29.3 KiB)`,
      measured: known(kib) ? `${kib.toFixed(1)} KiB (${((kib * 1024) / 1000).toFixed(1)} kB) per stream; ${r.opened} of ${r.n} open` : 'not measured',
      met: known(kib) && r.opened === r.n ? kib * 1024 < 30_000 : undefined,
    });
  }
  for (const x of run.extra ?? []) {
    if (x.target) out.push({ goal: x.target.goal, measured: known(x.value) ? `${fmtNum(x.value)} ${x.unit}` : `not measured${x.note ? `: ${x.note}` : ''}`, met: known(x.value) ? x.target.met : undefined });
  }
  return out;
}

/** Differences within this many ms read as "at" a latency target (docs/benchmarks.md, "Noise"). */
export const NOISE_MS = 0.05;

/** Target of the stream-event micro-benchmark, CPU µs per upstream event. */
export const EVENT_TARGET_US = 5;
/** Target of the request micro-benchmark: a 1 MB Codex request, CPU ms. */
export const REQUEST_1MB_TARGET_MS = 10;

/** The micro-benchmark targets: one line per delta size (worst kind and length), one for the 1 MB request. */
export function microVerdicts(m: MicroResult | undefined): Verdict[] {
  if (!m) return [];
  const out: Verdict[] = [];
  const perSize = (streams: StreamCost[], what: string, kinds: string) => {
    const sizes = [...new Set(streams.map((s) => s.deltaChars))].sort((a, b) => a - b);
    for (const d of sizes) {
      const cells = streams.filter((s) => s.deltaChars === d);
      const worst = cells.reduce((a, b) => (b.usPerEvent > a.usPerEvent ? b : a));
      out.push({
        goal: `<= ${EVENT_TARGET_US} µs CPU per translated ${what}stream event, ${d}-character deltas (worst of ${kinds}; ${[...new Set(cells.map((c) => c.events))].join(' and ')} events)`,
        measured: `${worst.usPerEvent.toFixed(2)} µs (${worst.kind}, ${worst.events} events); best ${Math.min(...cells.map((c) => c.usPerEvent)).toFixed(2)} µs`,
        met: worst.usPerEvent <= EVENT_TARGET_US,
      });
    }
  };
  perSize(m.streams, '', 'text, tool arguments, reasoning, custom tool input');
  if (m.messagesStreams?.length) perSize(m.messagesStreams, 'Anthropic Messages ', 'text, thinking, function-call input, custom tool input');
  const wires = [...new Set(m.requests.map((r) => r.wire ?? 'chat'))];
  for (const w of wires) {
    const mb = m.requests.filter((r) => r.targetBytes === 1_000_000 && (r.wire ?? 'chat') === w);
    if (!mb.length) continue;
    const worst = mb.reduce((a, b) => (b.totalMs > a.totalMs ? b : a));
    out.push({
      goal: `a 1 MB Codex request is parsed, translated${wires.length > 1 ? ` (for ${w === 'chat' ? 'a Chat Completions' : 'an Anthropic Messages'} upstream)` : ''} and re-serialised in < ${REQUEST_1MB_TARGET_MS} ms (CPU)`,
      measured: mb.map((r) => `${r.totalMs.toFixed(2)} ms (${r.shape}; slowest sample ${r.totalMaxMs.toFixed(2)} ms)`).join('; '),
      met: worst.totalMs < REQUEST_1MB_TARGET_MS,
    });
  }
  return out;
}

/** RSS added per open stream, KiB: (RSS with the streams open - idle RSS) / streams open; NaN when unknown. */
export function perStreamKiB(r: OpenStreamsRow, which: 'rssMiB' | 'anonMiB' = 'rssMiB', side: 'gateway' | 'upstream' = 'gateway'): number {
  const [a, b] = side === 'gateway' ? [r.before, r.open] : [r.upstreamBefore, r.upstreamOpen];
  if (!a || !b || r.opened <= 0) return NaN;
  return ((b[which] - a[which]) * 1024) / r.opened;
}

function fmtNum(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/**
 * The latency/throughput table as an SVG chart (p50 latency with its per-cycle range, req/s, CPU per
 * request), for bench/results/latency-throughput.svg.
 */
export function latencyThroughputSvg(run: BenchRun): string {
  const rows = run.load.map((t) => ({ t, x: t.skipped ? undefined : summarizeLoad(t) }));
  // Labels short enough for the chart's label column (300 px at most): the route names shortened.
  const short = (label: string) =>
    label
      .replace(/ \(total time\)$/, '')
      .replace('Codex Gateway ', 'gateway ')
      .replace('/v1/chat/completions ->', 'chat ->')
      .replace('/v1/responses ->', 'responses ->')
      .replace(', streamed', ' (stream)');
  return barChartSvg({
    title: `Codex Gateway bench: latency and throughput (${run.startedAt.slice(0, 16).replace('T', ' ')} UTC)`,
    subtitle: `${run.machine.cpu}, ${run.machine.cores} cores (shared), Node ${run.machine.node}; load average ${run.machine.loadBefore[0].toFixed(2)} before, ${run.machine.loadAfter[0].toFixed(2)} after.\nLatency at 1 connection, throughput at ${run.settings.connections} connections; medians over cycles; whiskers: lowest and highest per-cycle p50.`,
    panels: [
      { title: 'p50 latency', unit: 'ms', digits: 3, bars: rows.map(({ t, x }) => ({ label: short(t.label), value: x?.p50 ?? NaN, range: x ? [x.p50Min, x.p50Max] : undefined })) },
      { title: 'throughput', unit: 'req/s', bars: rows.map(({ t, x }) => ({ label: short(t.label), value: x?.rps ?? NaN })) },
      { title: 'CPU per request', unit: 'µs', bars: rows.map(({ t, x }) => ({ label: short(t.label), value: x?.cpuUs ?? NaN })) },
    ],
  });
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
      'the proxy alone for (b) to (g) and the mock upstream for (a) and (a\'): a second view of efficiency (it also rises when the machine is busy, but less than req/s falls). ' +
      'Added p50: against (a), the direct Chat Completions call; rows on the Anthropic Messages upstream ((f), (g)) against (a\'), a direct streamed /v1/messages call.',
    '',
  );
  lines.push(
    '| target | p50 ms | p50 range | p99 ms | added p50 vs its direct call ms | req/s | % of (b) | CPU/req µs | errors | upstream connections |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const t of run.load) {
    const x = summarizeLoad(t);
    if (!x || t.skipped) {
      lines.push(`| ${t.label} | skipped: ${t.skipped ?? 'no data'} | | | | | | | | |`);
      continue;
    }
    const base = t.baseline ?? 'a';
    // Direct calls ((a), (a') = id `a-…`) are the baselines themselves.
    const added = t.id === 'a' || t.id.startsWith('a-') ? '-' : `${deltaMs(addedP50(t, L(base)))}${base === 'a' ? '' : ` (vs ${run.load.find((z) => z.id === base)?.label.slice(0, 4) ?? base})`}`;
    const share = L('b') ? `${throughputShare(t, L('b')).toFixed(0)}%` : '-';
    lines.push(
      `| ${t.label} | ${ms(x.p50)} | ${ms(x.p50Min)}-${ms(x.p50Max)} | ${ms(x.p99)} | ${added} | ${x.rps.toFixed(0)} | ${share} | ${Number.isNaN(x.cpuUs) ? '-' : x.cpuUs.toFixed(0)} | ${x.errors} | ${t.upstreamConnections ?? '-'} |`,
    );
  }
  lines.push('', '![Latency and throughput chart](latency-throughput.svg)');
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
  if (run.openStreams?.length) lines.push(...renderOpenStreams(run.openStreams));
  if (run.micro) lines.push(...renderMicro(run.micro));
  if (run.extra?.length) {
    lines.push('', '## Other measurements', '', '| measurement | value | how |', '|---|---:|---|');
    for (const x of run.extra) lines.push(`| ${x.label} | ${known(x.value) ? `${fmtNum(x.value)} ${x.unit}` : '-'} | ${x.note ?? ''} |`);
  }
  if (run.notes.length) {
    lines.push('', '## Notes', '');
    for (const n of run.notes) lines.push(`- ${n}`);
  }
  lines.push('');
  return lines.join('\n');
}

const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));

/** Markdown of the open-streams rows. */
export function renderOpenStreams(rows: OpenStreamsRow[]): string[] {
  const lines: string[] = ['', '## Open streams (memory per concurrent stream)', ''];
  lines.push(
    'A fresh gateway process per row (same bundle and settings as (c)), a fresh mock upstream that answers each stream with its headers and first chunk, then holds it open. ' +
      'The client opens the streams (at most 64 in set-up at a time, each on its own connection) and counts one as open when its first token arrived. ' +
      'Before: the gateway idle after a warm-up of 32 streams; open: 1 s after the last one opened; after: 2 s after the upstream released them all. ' +
      'Per stream = (RSS open - RSS before) / streams open. The mock upstream\'s own increase shows what a bare node:http server holding the same streams costs (one socket per stream; the gateway has two).',
    '',
  );
  lines.push(
    '| streams | open / asked | time to open all | RSS before, MiB | RSS open | RSS after | per stream: RSS (private) KiB | gateway sockets | completed after release | mock upstream per stream KiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.opened} / ${r.n} | ${(r.openMs / 1000).toFixed(1)} s | ${num(r.before?.rssMiB, 1)} | ${num(r.open?.rssMiB, 1)} | ${num(r.after?.rssMiB, 1)} | ${num(perStreamKiB(r), 1)} (${num(perStreamKiB(r, 'anonMiB'), 1)}) | ${r.sockets ?? '-'} | ${r.completed}${r.failed ? ` (${r.failed} failed)` : ''} | ${num(perStreamKiB(r, 'rssMiB', 'upstream'), 1)} |`,
    );
  }
  for (const r of rows) if (r.note) lines.push('', `- ${r.label}: ${r.note}`);
  return lines;
}

/** Markdown of the translation micro-benchmarks. */
export function renderMicro(m: MicroResult): string[] {
  const lines: string[] = ['', '## Translation CPU (in-process micro-benchmarks)', ''];
  lines.push(
    `bench/micro.ts in a node process of its own (the esbuild bundle, as the gateway is built), ${m.durationS.toFixed(0)} s, load average ${m.loadBefore.toFixed(2)} before and ${m.loadAfter.toFixed(2)} after on ${m.cores} cores. ` +
      'CPU time of the process (`process.cpuUsage()`, user + system, GC threads included), medians of 3 to 5 samples of at least 15-25 ms of CPU each, after every stream shape ran 40 ms unmeasured (JIT warm-up); wall time is in latest.json. No sockets: the socket write is not included (the stream rows above cover it).',
    '',
  );
  lines.push('### Streamed Chat Completions -> Responses events', '');
  lines.push(
    'Per upstream event (one SSE frame per network read, as real providers send tokens): Buffer -> string, eventsource-parser, `JSON.parse`, `ChatToResponsesStream.push` (the Chat upstream decoder and the Responses door encoder of src/gateway/wires, which the proxy pairs for this route), `encodeSse` of each Responses event into the string the proxy writes. ' +
      'Per-stream work (`response.created`, the `.done` events and `response.completed`, which carry the whole text again) is spread over the stream\'s events, which is why long streams of large deltas cost more per event. ' +
      `Target: <= ${EVENT_TARGET_US} µs per event. Parts measured in separate loops on the 100-event streams: decode + parse / translate / encode.`,
    '',
  );
  lines.push(...streamTable(m.streams, (k) => KIND_LABEL[k as DeltaKind] ?? k));
  if (m.messagesStreams?.length) {
    lines.push('', '### Streamed Anthropic Messages -> hub -> Responses events (the Codex path on a messages deployment)', '');
    lines.push(
      'The same measurement for a `messages` upstream: per upstream event (one SSE frame per read; `event:` + `data:` frames as Anthropic sends them), Buffer -> string, eventsource-parser, `JSON.parse` (`ping` skipped, as the SSE reader does), `MessagesDecoder.push` into hub events (src/gateway/wires/messages/decode.ts), `ResponsesEventEncoder.push` into Responses events, `encodeSse`. ' +
        'Each stream is `message_start`, `ping`, `content_block_start`, the deltas (tool input: after an empty `input_json_delta`, as Anthropic sends it; thinking: then one `signature_delta`), `content_block_stop`, `message_delta`, `message_stop`: every frame is counted, so 6 to 7 frames per stream besides the deltas. ' +
        `Same prose per delta as the Chat table. Target: <= ${EVENT_TARGET_US} µs per event (the Chat rows' target). Parts on the 100-event streams: decode + parse / translate (decoder + event encoder) / encode.`,
      '',
    );
    lines.push(...streamTable(m.messagesStreams, (k) => MESSAGES_KIND_LABEL[k as MessagesDeltaKind] ?? k));
  }
  lines.push('', '### A large Codex request through the request path', '');
  lines.push(
    `Bodies grown from the real Codex CLI capture \`${m.capture}\` (translated with its options: ${m.captureProvider}) by repeating its history turn (reasoning, assistant text, 3 function calls, a custom apply_patch call, their 4 outputs, then a user message) with fresh ids; the developer prompt and tools stay as captured. ` +
      'Second shape: the same with each repeated tool output grown to 8 KiB (fewer, larger items). ' +
      `What the gateway does before the first upstream byte: Buffer -> string + \`JSON.parse\` (readJsonBody), \`responsesToChatRequest\`, \`JSON.stringify\` of the upstream body. CPU ms, medians; target: 1 MB in < ${REQUEST_1MB_TARGET_MS} ms.`,
    '',
  );
  const withWire = m.requests.some((r) => r.wire === 'messages');
  if (withWire) {
    lines.push(
      'For an Anthropic Messages upstream the translation is `parseResponsesRequest` + `buildMessagesRequest` (provider anthropic, model `claude-sonnet-4-5`: system blocks, merged turns, tool_use/tool_result pairing, tool id checks, prompt-cache breakpoints).',
      '',
    );
  }
  lines.push(
    `| ${withWire ? 'upstream | ' : ''}history shape | body | input items | upstream body | parse ms | translate ms | stringify ms | total ms | slowest sample ms |`,
    `|${withWire ? '---|' : ''}---|---:|---:|---:|---:|---:|---:|---:|---:|`,
  );
  const size = (b: number) => (b >= 1_000_000 ? `${(b / 1_000_000).toFixed(2)} MB` : `${(b / 1000).toFixed(0)} kB`);
  for (const r of m.requests) {
    lines.push(
      `| ${withWire ? `${r.wire === 'messages' ? 'messages' : 'chat'} | ` : ''}${r.shape} | ${size(r.bytes)} | ${r.items} | ${size(r.upstreamBytes)} | ${r.parseMs.toFixed(2)} | ${r.translateMs.toFixed(2)} | ${r.stringifyMs.toFixed(2)} | ${r.targetBytes === 1_000_000 && r.totalMs >= REQUEST_1MB_TARGET_MS ? `**${r.totalMs.toFixed(2)}**` : r.totalMs.toFixed(2)} | ${r.totalMaxMs.toFixed(2)} |`,
    );
  }
  return lines;
}

/** One stream table of the micro-benchmarks: a row per kind and delta size, columns per stream length. */
function streamTable(streams: StreamCost[], label: (kind: string) => string): string[] {
  const lines: string[] = [];
  const kinds = [...new Set(streams.map((s) => s.kind))];
  const sizes = [...new Set(streams.map((s) => s.deltaChars))].sort((a, b) => a - b);
  const lengths = [...new Set(streams.map((s) => s.events))].sort((a, b) => a - b);
  const [short, long] = [lengths[0], lengths[lengths.length - 1]];
  const n = (v: number) => v.toLocaleString('en-US');
  lines.push(
    `| delta kind | chars per delta | µs per event, ${n(short)} events | µs per event, ${n(long)} events | ns per char (${n(long)} events) | parts at ${n(short)} events: parse / translate / encode µs | Responses events out (${n(short)}-event stream) |`,
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const k of kinds) {
    for (const d of sizes) {
      const a = streams.find((s) => s.kind === k && s.deltaChars === d && s.events === short);
      const b = streams.find((s) => s.kind === k && s.deltaChars === d && s.events === long);
      const mark = (v?: number) => (v === undefined ? '-' : v > EVENT_TARGET_US ? `**${v.toFixed(2)}**` : v.toFixed(2));
      lines.push(
        `| ${label(k)} | ${d} | ${mark(a?.usPerEvent)} | ${mark(b?.usPerEvent)} | ${b ? ((b.usPerEvent * 1000) / d).toFixed(1) : '-'} | ${a ? `${num(a.parseUs)} / ${num(a.translateUs)} / ${num(a.encodeUs)}` : '-'} | ${a?.outEvents ?? '-'} |`,
      );
    }
  }
  return lines;
}
