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
 * The stream pipeline mirrors `translateStream` in src/gateway/proxy.ts for a `chat` deployment: each upstream
 * network read (one SSE event here) is decoded to a string, fed to eventsource-parser, each event's data
 * JSON-parsed and pushed through {@link ChatToResponsesStream} (the Chat upstream decoder and the Responses
 * event encoder the proxy pairs), and every Responses event it returns is SSE-encoded
 * ({@link encodeSse}) into the string that the proxy hands to `res.write`. The socket write itself is not
 * included (the end-to-end stream rows of the bench cover it).
 *
 * The Anthropic Messages streams ({@link measureMessagesStreamCosts}) go the same way through the pieces
 * the gateway pairs for a Responses client on a `messages` deployment (src/gateway/proxy.ts `respond`, the
 * adapters of src/gateway/wires/registry.ts): each frame decoded and parsed as above (the SSE `event:`
 * name kept, `ping` events skipped as the SSE reader does), {@link MessagesDecoder} into hub events,
 * {@link ResponsesEventEncoder} into Responses events, {@link encodeSse} each into the SSE text.
 */
import { performance } from 'node:perf_hooks';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ChatToResponsesStream, encodeSse, newResponseId, responsesToChatRequest, type ResponseContext, type ResponsesStreamEvent } from '../../src/gateway/translate';
import type { HubEvent } from '../../src/gateway/hub/types';
import { MessagesDecoder } from '../../src/gateway/wires/messages/decode';
import { buildMessagesRequest } from '../../src/gateway/wires/messages/upstream';
import { parseResponsesRequest } from '../../src/gateway/wires/responses/door-request';
import { ResponsesEventEncoder } from '../../src/gateway/wires/responses/door-stream';
import { chatStreamFrames, CUSTOM_TOOL, FUNCTION_TOOL, type ChatStreamSpec, type DeltaKind } from './chat-stream';
import { messagesStreamFrames, type MessagesDeltaKind, type MessagesStreamSpec } from './messages-stream';
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
 * sample calls `fn` in a loop until at least `minSampleMs` ms of CPU time has passed. (A forced full GC
 * before each measurement, tried with `--expose-gc`, made every figure higher and noisier, up to 2x on
 * 1000-character deltas, presumably as V8 then shrinks its heap again: not done.)
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

/**
 * Runs `fn` unmeasured for at least `ms` ms of CPU. Used on every stream shape before any is measured: a
 * cell measured first for its kind otherwise paid for the JIT compiling that kind's code path (20 ms of
 * warm-up in {@link cpuCost} was too short: 3.8 instead of 1.6 µs per event, with one sample at 20 µs).
 */
export function warm(fn: () => unknown, ms: number): void {
  const end = cpuNowUs() + ms * 1000;
  do fn();
  while (cpuNowUs() < end);
}

/** CPU ms each stream shape of up to 1000 events is run before any is measured (see {@link warm}). */
const SHAPE_WARMUP_MS = 40;

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
  const out = new SseOut();
  out.write(tr.start());
  out.flush();
  let done = false;
  const parser = createParser({
    onEvent(ev: EventSourceMessage) {
      if (done) return;
      if (ev.data === '[DONE]') {
        done = true;
        out.write(tr.end());
        return;
      }
      let chunk: any;
      try {
        chunk = JSON.parse(ev.data);
      } catch {
        return;
      }
      out.write(tr.push(chunk));
    },
  });
  for (const f of frames) {
    parser.feed(f.toString('utf8'));
    out.flush();
  }
  return out.result();
}

/**
 * The SSE text a translated stream writes, as the proxy builds it: {@link encodeSse} of each Responses
 * event, appended to the current network write; {@link flush} ends one write (one upstream frame).
 */
class SseOut {
  private text = '';
  private events = 0;
  private chars = 0;
  private last = '';

  /** Appends the SSE encoding of `evs` to the current write. */
  write(evs: ReadonlyArray<ResponsesStreamEvent>): void {
    for (const e of evs) {
      this.text += encodeSse(e);
      this.events++;
      this.last = e.type;
    }
  }

  /** Ends the current write: counts its characters and starts an empty one. */
  flush(): void {
    this.chars += this.text.length;
    this.text = '';
  }

  /** Events and characters so far (call after the last {@link flush}), and the last event's type. */
  result(): StreamOutput {
    return { events: this.events, chars: this.chars, last: this.last };
  }
}

/** One cell of a stream table: a kind, a delta size and a stream length. */
export interface StreamCost {
  /** Delta kind: a {@link DeltaKind} of the Chat table, a {@link MessagesDeltaKind} of the Messages table. */
  kind: DeltaKind | MessagesDeltaKind;
  deltaChars: number;
  /** Delta events carrying the payload. */
  events: number;
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
  /**
   * Parts of the pipeline, CPU µs per upstream frame: SSE decode + JSON.parse; translate (Chat:
   * `ChatToResponsesStream.push`/`end`; Messages: `MessagesDecoder.push` + `ResponsesEventEncoder.push`/`end`);
   * SSE encode (NaN when not measured).
   */
  parseUs: number;
  translateUs: number;
  encodeUs: number;
}

/** Options of the stream measurements: samples and sample length ({@link cpuCost}), which cells get the parts. */
export interface StreamCostOptions<S> {
  samples?: number;
  minSampleMs?: number;
  /** Cells whose parts (parse, translate, encode) are measured too [all]; the others get NaN. */
  breakdownFor?: (s: S) => boolean;
}

/** What differs between the Chat and the Messages stream tables; `P` is one pre-parsed upstream event. */
interface StreamPipeline<S, P> {
  /** Names the table in errors (`''` or `'messages '`). */
  label: string;
  /** The upstream frames of one cell. */
  frames(spec: S): Buffer[];
  /** The whole pipeline on one stream (fresh translator per call). */
  run(frames: readonly Buffer[]): StreamOutput;
  /** Decode + SSE parse + JSON.parse of every frame, into what {@link translate} takes. */
  parseAll(frames: readonly Buffer[]): P[];
  /** Translation alone on pre-parsed events; returns a count so the work is not optimised away. */
  translate(parsed: readonly P[]): number;
  /** Translation and {@link encodeSse} on pre-parsed events; returns the SSE characters. */
  translateEncode(parsed: readonly P[]): number;
}

/**
 * The measurement loop both stream tables share: warms every shape of up to 1000 events, checks each
 * stream ends with `response.completed`, then measures the whole pipeline and (see `breakdownFor`) its parts
 * in separate loops, so `parseUs + translateUs + encodeUs` is close to, not exactly, `usPerEvent`.
 * @throws Error when a stream does not end with `response.completed` (the translation went wrong).
 */
function measurePipeline<S extends { kind: StreamCost['kind']; deltaChars: number; events: number }, P>(specs: readonly S[], o: StreamCostOptions<S>, p: StreamPipeline<S, P>): StreamCost[] {
  for (const spec of specs) {
    if (spec.events > 1000) continue;
    const frames = p.frames(spec);
    warm(() => p.run(frames), SHAPE_WARMUP_MS);
  }
  const out: StreamCost[] = [];
  for (const spec of specs) {
    const frames = p.frames(spec);
    const check = p.run(frames);
    if (check.last !== 'response.completed') throw new Error(`${p.label}${spec.kind} x${spec.events}: the translated stream ended with ${check.last || 'nothing'}, not response.completed`);
    const n = frames.length;
    // Long streams (10,000 events of 1000 characters take a few hundred ms each): 3 samples are enough.
    const so = { ...o, samples: n > 5000 ? Math.min(3, o.samples ?? 5) : o.samples };
    const full = cpuCost(() => p.run(frames), so);
    const cell = { ...spec, frames: n, upstreamBytes: frames.reduce((s, f) => s + f.length, 0), outEvents: check.events, outChars: check.chars };
    const whole = { usPerEvent: full.us / n, minUsPerEvent: full.minUs / n, maxUsPerEvent: full.maxUs / n, wallUsPerEvent: full.wallUs / n };
    if (o.breakdownFor && !o.breakdownFor(spec)) {
      out.push({ ...cell, ...whole, parseUs: NaN, translateUs: NaN, encodeUs: NaN });
      continue;
    }
    const parseOnly = cpuCost(() => p.parseAll(frames), so);
    const parsed = p.parseAll(frames);
    const translateOnly = cpuCost(() => p.translate(parsed), so);
    const translateEncode = cpuCost(() => p.translateEncode(parsed), so);
    out.push({ ...cell, ...whole, parseUs: parseOnly.us / n, translateUs: translateOnly.us / n, encodeUs: Math.max(0, translateEncode.us - translateOnly.us) / n });
  }
  return out;
}

/**
 * Measures the per-event CPU cost of translating Chat Completions streams of the given shapes (whole
 * pipeline per upstream frame; parts: decode + SSE parse + JSON.parse; `ChatToResponsesStream.push`/`end`
 * on pre-parsed chunks; SSE encode = translate + encode minus translate). See {@link measurePipeline}.
 * @throws Error when a stream does not end with `response.completed` (the translation went wrong).
 */
export function measureStreamCosts(specs: readonly ChatStreamSpec[], o: StreamCostOptions<ChatStreamSpec> = {}): StreamCost[] {
  const request = streamRequest();
  const plan = responsesToChatRequest(request as never, { model: 'bench-model', provider: 'openai_compatible', dropParams: true, dropParamNames: new Set(), stream: true });
  const ctx = (): ResponseContext => ({ responseId: newResponseId(), alias: 'bench', createdAt: 1_700_000_000, tools: plan.tools, request: request as never });
  return measurePipeline(specs, o, {
    label: '',
    frames: chatStreamFrames,
    run: (frames) => translateStream(frames, ctx()),
    parseAll(frames) {
      const chunks: any[] = [];
      const p = createParser({
        onEvent(ev) {
          if (ev.data !== '[DONE]') chunks.push(JSON.parse(ev.data));
        },
      });
      for (const f of frames) p.feed(f.toString('utf8'));
      return chunks;
    },
    translate(parsed) {
      const tr = new ChatToResponsesStream(ctx());
      let k = tr.start().length;
      for (const c of parsed) k += tr.push(c).length;
      return k + tr.end().length;
    },
    translateEncode(parsed) {
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
    },
  });
}

/**
 * Translates one streamed Anthropic Messages answer the way the gateway does for a Responses client (see
 * the module notes). Fresh decoder, encoder and parser per call, as per request in the gateway.
 * @param frames one Buffer per upstream network read.
 */
export function translateMessagesStream(frames: readonly Buffer[], ctx: ResponseContext): StreamOutput {
  const dec = new MessagesDecoder();
  const enc = new ResponsesEventEncoder(ctx);
  const out = new SseOut();
  out.write(enc.start());
  out.flush();
  const parser = createParser({
    onEvent(ev: EventSourceMessage) {
      let json: any;
      try {
        json = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (json.type === 'ping') return; // the SSE reader relays pings as text, not as events
      for (const h of dec.push(json, ev.event)) out.write(enc.push(h));
    },
  });
  for (const f of frames) {
    parser.feed(f.toString('utf8'));
    out.flush();
  }
  out.write(enc.end());
  out.flush();
  return out.result();
}

/**
 * The Responses request the Messages streams answer, parsed into the hub as the gateway does (the same
 * request as the Chat table's), and the context of its answer.
 */
function messagesContext(): () => ResponseContext {
  const request = streamRequest();
  const hub = parseResponsesRequest(request as never);
  // The request the gateway would send: checks that the tools reach a Messages upstream under these names.
  const built = buildMessagesRequest(hub, { model: 'bench-model', provider: 'anthropic', dropParams: true, dropParamNames: new Set(), stream: true });
  const names = (built.body.tools ?? []).map((t) => (t as { name: string }).name);
  if (!names.includes(FUNCTION_TOOL) || !names.includes(CUSTOM_TOOL)) throw new Error(`the Messages request offers tools ${names.join(', ')}, not ${FUNCTION_TOOL} and ${CUSTOM_TOOL}`);
  return () => ({ responseId: newResponseId(), alias: 'bench', createdAt: 1_700_000_000, tools: hub.toolMap, request: request as never });
}

/**
 * Measures the per-event CPU cost of translating Anthropic Messages streams of the given shapes into
 * Responses events, like {@link measureStreamCosts} (per upstream frame, all frames counted). Parts in
 * separate loops: decode + SSE parse + JSON.parse; translate (`MessagesDecoder.push` +
 * `ResponsesEventEncoder.push`/`end` on pre-parsed events); encode = translate + `encodeSse` minus translate.
 * @throws Error when a stream does not end with `response.completed`.
 */
export function measureMessagesStreamCosts(specs: readonly MessagesStreamSpec[], o: StreamCostOptions<MessagesStreamSpec> = {}): StreamCost[] {
  const ctx = messagesContext();
  return measurePipeline(specs, o, {
    label: 'messages ',
    frames: messagesStreamFrames,
    run: (frames) => translateMessagesStream(frames, ctx()),
    parseAll(frames) {
      const evs: Array<{ json: any; event: string | undefined }> = [];
      const p = createParser({
        onEvent(ev) {
          const json = JSON.parse(ev.data);
          if (json.type !== 'ping') evs.push({ json, event: ev.event });
        },
      });
      for (const f of frames) p.feed(f.toString('utf8'));
      return evs;
    },
    translate(parsed) {
      const dec = new MessagesDecoder();
      const enc = new ResponsesEventEncoder(ctx());
      let k = enc.start().length;
      for (const e of parsed) for (const h of dec.push(e.json, e.event) as HubEvent[]) k += enc.push(h).length;
      return k + enc.end().length;
    },
    translateEncode(parsed) {
      const dec = new MessagesDecoder();
      const enc = new ResponsesEventEncoder(ctx());
      let s = '';
      for (const e of enc.start()) s += encodeSse(e);
      let k = s.length;
      for (const e of parsed) {
        s = '';
        for (const h of dec.push(e.json, e.event) as HubEvent[]) for (const x of enc.push(h)) s += encodeSse(x);
        k += s.length;
      }
      s = '';
      for (const e of enc.end()) s += encodeSse(e);
      return k + s.length;
    },
  });
}

/** One row of the request table. */
export interface RequestCost {
  /** Shape of the grown history (see {@link ScaleOptions}). */
  shape: string;
  /** Upstream wire the request is built for [`chat`]. */
  wire?: 'chat' | 'messages';
  /** Asked and actual body size, bytes. */
  targetBytes: number;
  bytes: number;
  /** Input items of the request. */
  items: number;
  /** Bytes of the upstream (Chat or Messages) body. */
  upstreamBytes: number;
  /**
   * CPU ms, medians: Buffer -> string + JSON.parse; translate (chat: `responsesToChatRequest`, i.e.
   * parseResponsesRequest + buildChatRequest; messages: parseResponsesRequest + buildMessagesRequest);
   * JSON.stringify of the upstream body; all three in a row.
   */
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
 * Measures what the gateway does with a Responses request body before sending it upstream: the body
 * Buffer decoded and JSON-parsed (`readJsonBody`), translated (chat: `responsesToChatRequest` with the
 * capture's options; messages: `buildMessagesRequest` with the Anthropic provider's), and the upstream
 * body JSON-stringified, for each wire, shape and target size.
 * @param shapes name -> how the history grows.
 * @param wires upstream wires to build for, one row set each [`chat`].
 */
export function measureRequestCosts(
  capture: CodexCapture,
  sizes: readonly number[],
  shapes: Record<string, ScaleOptions>,
  o: { samples?: number; minSampleMs?: number } = {},
  wires: ReadonlyArray<'chat' | 'messages'> = ['chat'],
): RequestCost[] {
  const opts = { ...capture.options, dropParamNames: new Set(capture.options.dropParamNames), stream: true };
  // A Messages deployment: the Anthropic provider's options (its own drop list is empty).
  const msgOpts = { model: MESSAGES_REQUEST_MODEL, provider: 'anthropic', dropParams: true, dropParamNames: new Set<string>(), stream: true };
  const translators: Record<'chat' | 'messages', (req: any) => { body: unknown }> = {
    chat: (req) => responsesToChatRequest(req, opts),
    messages: (req) => buildMessagesRequest(parseResponsesRequest(req), msgOpts),
  };
  const out: RequestCost[] = [];
  for (const wire of wires) {
    const tr = translators[wire];
    for (const [shape, so] of Object.entries(shapes)) {
      for (const target of sizes) {
        const req = scaleCodexRequest(capture.request, target, so);
        const buf = Buffer.from(JSON.stringify(req));
        const parsed = JSON.parse(buf.toString('utf8'));
        const plan = tr(parsed);
        const upstream = JSON.stringify(plan.body);
        const parse = cpuCost(() => JSON.parse(buf.toString('utf8')), o);
        const translate = cpuCost(() => tr(parsed), o);
        const stringify = cpuCost(() => JSON.stringify(plan.body), o);
        const total = cpuCost(() => JSON.stringify(tr(JSON.parse(buf.toString('utf8'))).body).length, o);
        out.push({
          shape,
          wire,
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
  }
  return out;
}

/** Upstream model of the Messages request rows (only its family matters: the default max_tokens). */
export const MESSAGES_REQUEST_MODEL = 'claude-sonnet-4-5';

/** What bench/micro.ts prints (after `BENCH_MICRO `). */
export interface MicroResult {
  /** Golden file the requests were grown from (repository-relative). */
  capture: string;
  /** Translator options of the capture: `provider/model`. */
  captureProvider: string;
  /** Streamed Chat Completions -> Responses events. */
  streams: StreamCost[];
  /** Streamed Anthropic Messages -> hub -> Responses events (absent in runs from before the Messages upstream). */
  messagesStreams?: StreamCost[];
  requests: RequestCost[];
  /** Seconds the micro-benchmarks took. */
  durationS: number;
  /** 1-minute load average before and after. */
  loadBefore: number;
  loadAfter: number;
  cores: number;
}

/** The stream shapes of the bench: every kind x delta size x stream length. */
export function streamMatrix<K extends string>(kinds: readonly K[], deltaChars: readonly number[], lengths: readonly number[]): Array<{ kind: K; deltaChars: number; events: number }> {
  const out: Array<{ kind: K; deltaChars: number; events: number }> = [];
  for (const kind of kinds) for (const d of deltaChars) for (const events of lengths) out.push({ kind, deltaChars: d, events });
  return out;
}
