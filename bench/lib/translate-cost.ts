/**
 * CPU cost of the gateway's translation work, measured in-process on the real translator
 * (src/gateway/translate), without sockets: the per-event cost of a translated stream and the cost of
 * translating one (large) Codex request. bench/micro.ts runs these in a child process of its own (the
 * esbuild bundle, like the gateway) and prints the results for bench/run.ts.
 *
 * Time is CPU time of the process (`process.cpuUsage()`, user + system, in µs), which on a shared
 * machine varies much less than wall time: another process taking the core does not count. It includes
 * V8's GC threads, which is part of the real cost. Each figure is the median of several samples, each
 * sample long enough (tens of ms) for the clock's resolution not to matter.
 *
 * The stream pipeline mirrors `streamChatAsResponses` in src/gateway/proxy.ts: each upstream network read
 * (one SSE event here) is decoded to a string, fed to eventsource-parser, each event's data JSON-parsed and
 * pushed through {@link ChatToResponsesStream}, and every Responses event it returns is SSE-encoded
 * ({@link encodeSse}) into the string that the proxy hands to `res.write`. The socket write itself is not
 * included (the end-to-end stream rows of the bench cover it).
 */
import { performance } from 'node:perf_hooks';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ChatToResponsesStream, encodeSse, newResponseId, responsesToChatRequest, type ResponseContext } from '../../src/gateway/translate';
import { chatStreamFrames, CUSTOM_TOOL, FUNCTION_TOOL, type ChatStreamSpec, type DeltaKind } from './chat-stream';
import { scaleCodexRequest, type CodexCapture, type ScaleOptions } from './codex-scale';
import { median } from './stats';

/** CPU time of `fn` per call, in µs: the median of `samples` samples of at least `minSampleMs` ms of CPU each. */
export interface CpuCost {
  /** Median CPU µs per call. */
  us: number;
  /** Lowest and highest per-sample CPU µs per call. */
  minUs: number;
  maxUs: number;
  /** Median wall-clock µs per call (for comparison; noisy on a shared machine). */
  wallUs: number;
  /** Calls measured in all samples together. */
  calls: number;
}

const cpuNowUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * Measures the CPU time of `fn` per call. Runs it once unmeasured (warm-up), then `samples` samples; each
 * sample calls `fn` in a loop until at least `minSampleMs` ms of CPU time has passed.
 */
export function cpuCost(fn: () => unknown, o: { samples?: number; minSampleMs?: number; warmupMs?: number } = {}): CpuCost {
  const samples = o.samples ?? 5;
  const minUs = (o.minSampleMs ?? 40) * 1000;
  const warmEnd = cpuNowUs() + (o.warmupMs ?? 20) * 1000;
  do fn();
  while (cpuNowUs() < warmEnd);
  const perCall: number[] = [];
  const wall: number[] = [];
  let calls = 0;
  for (let s = 0; s < samples; s++) {
    const c0 = cpuNowUs();
    const w0 = performance.now();
    let n = 0;
    let c1 = c0;
    do {
      fn();
      n++;
      c1 = cpuNowUs();
    } while (c1 - c0 < minUs);
    wall.push(((performance.now() - w0) * 1000) / n);
    perCall.push((c1 - c0) / n);
    calls += n;
  }
  return { us: median(perCall), minUs: Math.min(...perCall), maxUs: Math.max(...perCall), wallUs: median(wall), calls };
}

/** A minimal Codex-like Responses request naming the tools the synthetic streams call. */
function streamRequest(): Record<string, unknown> {
  return {
    model: 'bench',
    stream: true,
    store: false,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Edit the file.' }] }],
    tools: [
      { type: 'function', name: FUNCTION_TOOL, description: 'Runs a command.', strict: false, parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] } },
      { type: 'custom', name: CUSTOM_TOOL, description: 'Edits files.', format: { type: 'grammar', syntax: 'lark', definition: 'start: /(.|\\n)+/' } },
    ],
  };
}

/** What {@link translateStream} produced. */
export interface StreamOutput {
  /** Responses events produced. */
  events: number;
  /** UTF-16 code units of SSE text produced (about bytes for ASCII). */
  chars: number;
  /** Type of the last event (`response.completed` when the stream ended normally). */
  last: string;
}

/**
 * Translates one upstream stream the way the proxy does (see the module notes). Creates a fresh
 * translator and parser per call, as the gateway does per request.
 * @param frames one Buffer per upstream network read.
 */
export function translateStream(frames: readonly Buffer[], ctx: ResponseContext): StreamOutput {
  const tr = new ChatToResponsesStream(ctx);
  let out = '';
  let events = 0;
  let last = '';
  for (const ev of tr.start()) {
    out += encodeSse(ev);
    events++;
  }
  let chars = out.length;
  let done = false;
  const parser = createParser({
    onEvent(ev: EventSourceMessage) {
      if (done) return;
      const data = ev.data;
      if (data === '[DONE]') {
        done = true;
        for (const e of tr.end()) {
          out += encodeSse(e);
          events++;
          last = e.type;
        }
        return;
      }
      let chunk: any;
      try {
        chunk = JSON.parse(data);
      } catch {
        return;
      }
      for (const e of tr.push(chunk)) {
        out += encodeSse(e);
        events++;
        last = e.type;
      }
    },
  });
  for (const f of frames) {
    out = '';
    parser.feed(f.toString('utf8'));
    chars += out.length;
  }
  return { events, chars, last };
}

/** One cell of the stream table: a kind, a delta size and a stream length. */
export interface StreamCost extends ChatStreamSpec {
  /** Upstream frames fed (delta events + finish, usage and `[DONE]`). */
  frames: number;
  /** Upstream bytes per stream. */
  upstreamBytes: number;
  /** Responses events and SSE characters produced per stream. */
  outEvents: number;
  outChars: number;
  /** Whole pipeline, CPU µs per upstream frame (median; min and max over samples). */
  usPerEvent: number;
  minUsPerEvent: number;
  maxUsPerEvent: number;
  /** Same, wall µs (noisy). */
  wallUsPerEvent: number;
  /** Parts of the pipeline, CPU µs per upstream frame: SSE decode + JSON.parse; translate (`push`/`end`); SSE encode (NaN when not measured). */
  parseUs: number;
  translateUs: number;
  encodeUs: number;
}

/**
 * Measures the per-event CPU cost of translating streams of the given shapes. The parts are measured in
 * separate loops (decode+parse alone; translate alone on pre-parsed chunks; translate+encode on
 * pre-parsed chunks), so `parseUs + translateUs + encodeUs` is close to, not exactly, `usPerEvent`.
 * @throws Error when a stream does not end with `response.completed` (the translation went wrong).
 */
export function measureStreamCosts(
  specs: readonly ChatStreamSpec[],
  o: { samples?: number; minSampleMs?: number; breakdownFor?: (s: ChatStreamSpec) => boolean } = {},
): StreamCost[] {
  const request = streamRequest();
  const plan = responsesToChatRequest(request as never, { model: 'bench-model', provider: 'openai_compatible', dropParams: true, dropParamNames: new Set(), stream: true });
  const ctx = (): ResponseContext => ({ responseId: newResponseId(), alias: 'bench', createdAt: 1_700_000_000, tools: plan.tools, request: request as never });
  const out: StreamCost[] = [];
  for (const spec of specs) {
    const frames = chatStreamFrames(spec);
    const check = translateStream(frames, ctx());
    if (check.last !== 'response.completed') throw new Error(`${spec.kind} x${spec.events}: the translated stream ended with ${check.last || 'nothing'}, not response.completed`);
    const n = frames.length;
    // Long streams (10,000 events of 1000 characters take a few hundred ms each): 3 samples are enough.
    const so = { ...o, samples: n > 5000 ? Math.min(3, o.samples ?? 5) : o.samples };
    const full = cpuCost(() => translateStream(frames, ctx()), so);
    const cell = { ...spec, frames: n, upstreamBytes: frames.reduce((s, f) => s + f.length, 0), outEvents: check.events, outChars: check.chars };
    const whole = { usPerEvent: full.us / n, minUsPerEvent: full.minUs / n, maxUsPerEvent: full.maxUs / n, wallUsPerEvent: full.wallUs / n };
    if (o.breakdownFor && !o.breakdownFor(spec)) {
      out.push({ ...cell, ...whole, parseUs: NaN, translateUs: NaN, encodeUs: NaN });
      continue;
    }
    // Parts: decode + SSE parse + JSON.parse only.
    const parseOnly = cpuCost(() => {
      const chunks: unknown[] = [];
      const p = createParser({
        onEvent(ev) {
          if (ev.data !== '[DONE]') chunks.push(JSON.parse(ev.data));
        },
      });
      for (const f of frames) p.feed(f.toString('utf8'));
      return chunks;
    }, so);
    const parsed: any[] = [];
    const p = createParser({
      onEvent(ev) {
        if (ev.data !== '[DONE]') parsed.push(JSON.parse(ev.data));
      },
    });
    for (const f of frames) p.feed(f.toString('utf8'));
    const translateOnly = cpuCost(() => {
      const tr = new ChatToResponsesStream(ctx());
      let k = tr.start().length;
      for (const c of parsed) k += tr.push(c).length;
      return k + tr.end().length;
    }, so);
    const translateEncode = cpuCost(() => {
      const tr = new ChatToResponsesStream(ctx());
      let s = '';
      for (const e of tr.start()) s += encodeSse(e);
      let k = s.length;
      for (const c of parsed) {
        s = '';
        for (const e of tr.push(c)) s += encodeSse(e);
        k += s.length;
      }
      s = '';
      for (const e of tr.end()) s += encodeSse(e);
      return k + s.length;
    }, so);
    out.push({ ...cell, ...whole, parseUs: parseOnly.us / n, translateUs: translateOnly.us / n, encodeUs: Math.max(0, translateEncode.us - translateOnly.us) / n });
  }
  return out;
}

/** One row of the request table. */
export interface RequestCost {
  /** Shape of the grown history (see {@link ScaleOptions}). */
  shape: string;
  /** Asked and actual body size, bytes. */
  targetBytes: number;
  bytes: number;
  /** Input items of the request. */
  items: number;
  /** Bytes of the upstream (Chat) body. */
  upstreamBytes: number;
  /** CPU ms, medians: Buffer -> string + JSON.parse; responsesToChatRequest; JSON.stringify of the upstream body; all three in a row. */
  parseMs: number;
  translateMs: number;
  stringifyMs: number;
  totalMs: number;
  /** Highest per-sample total, CPU ms (GC pauses show here). */
  totalMaxMs: number;
  /** Median wall ms of the whole (noisy). */
  totalWallMs: number;
}

/**
 * Measures what the gateway does with a Responses request body before sending it to a chat upstream:
 * the body Buffer decoded and JSON-parsed (`readJsonBody`), translated (`responsesToChatRequest` with the
 * capture's options), and the upstream body JSON-stringified, for each target size.
 * @param shapes name -> how the history grows.
 */
export function measureRequestCosts(capture: CodexCapture, sizes: readonly number[], shapes: Record<string, ScaleOptions>, o: { samples?: number; minSampleMs?: number } = {}): RequestCost[] {
  const opts = { ...capture.options, dropParamNames: new Set(capture.options.dropParamNames), stream: true };
  const out: RequestCost[] = [];
  for (const [shape, so] of Object.entries(shapes)) {
    for (const target of sizes) {
      const req = scaleCodexRequest(capture.request, target, so);
      const buf = Buffer.from(JSON.stringify(req));
      const parsed = JSON.parse(buf.toString('utf8'));
      const plan = responsesToChatRequest(parsed, opts);
      const upstream = JSON.stringify(plan.body);
      const parse = cpuCost(() => JSON.parse(buf.toString('utf8')), o);
      const translate = cpuCost(() => responsesToChatRequest(parsed, opts), o);
      const stringify = cpuCost(() => JSON.stringify(plan.body), o);
      const total = cpuCost(() => JSON.stringify(responsesToChatRequest(JSON.parse(buf.toString('utf8')), opts).body).length, o);
      out.push({
        shape,
        targetBytes: target,
        bytes: buf.length,
        items: req.input.length,
        upstreamBytes: Buffer.byteLength(upstream),
        parseMs: parse.us / 1000,
        translateMs: translate.us / 1000,
        stringifyMs: stringify.us / 1000,
        totalMs: total.us / 1000,
        totalMaxMs: total.maxUs / 1000,
        totalWallMs: total.wallUs / 1000,
      });
    }
  }
  return out;
}

/** What bench/micro.ts prints (after `BENCH_MICRO `). */
export interface MicroResult {
  /** Golden file the requests were grown from (repository-relative). */
  capture: string;
  /** Translator options of the capture: `provider/model`. */
  captureProvider: string;
  streams: StreamCost[];
  requests: RequestCost[];
  /** Seconds the micro-benchmarks took. */
  durationS: number;
  /** 1-minute load average before and after. */
  loadBefore: number;
  loadAfter: number;
  cores: number;
}

/** The stream shapes of the bench: every kind x delta size x stream length. */
export function streamMatrix(kinds: readonly DeltaKind[], deltaChars: readonly number[], lengths: readonly number[]): ChatStreamSpec[] {
  const out: ChatStreamSpec[] = [];
  for (const kind of kinds) for (const d of deltaChars) for (const events of lengths) out.push({ kind, deltaChars: d, events });
  return out;
}
