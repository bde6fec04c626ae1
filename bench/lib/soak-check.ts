/**
 * Client-side judging of one soak request (bench/soak.ts): reads a streamed answer of either door as SSE
 * and says whether it is a complete answer with the expected text, a well-formed terminal error, or
 * broken. Pure functions over the received text, so they are unit-tested on fixed inputs.
 *
 * Well-formed, per docs/reliability.md ("The contract", 4 and 5):
 * - Responses door (`POST /v1/responses`, `stream: true`): every frame is `event: <type>` + `data: <JSON>`
 *   whose `type` matches; exactly one terminal event (`response.completed`, `.incomplete` or `.failed`),
 *   and it is the last event. A complete answer ends with `response.completed` and its
 *   `response.output_text.delta`s add up to the expected text; a terminal error is `response.failed` with
 *   `response.error.code` and `.message`.
 * - Chat door (`POST /v1/chat/completions`, `stream: true`): every `data:` is JSON or `[DONE]`. A complete
 *   answer has a `finish_reason`, ends with `data: [DONE]`, and its `delta.content`s add up to the expected
 *   text; a terminal error is a last JSON event `{"error": {"message": ...}}` (optionally followed by
 *   `[DONE]`).
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** The gateway's two doors. */
export type Door = 'responses' | 'chat';

/** What a streamed answer turned out to be. */
export type Verdict =
  /** Complete, well-formed, with exactly the expected text. */
  | { kind: 'complete' }
  /** Well-formed, ended by a terminal error event. */
  | { kind: 'terminal_error'; code: string; message: string }
  /** Anything else: what is wrong. */
  | { kind: 'broken'; why: string };

/** Other observations that do not make a stream broken (counted in the report). */
export interface Remarks {
  /** Responses events whose `sequence_number` did not increase. */
  sequenceNotIncreasing: number;
}

/**
 * Judges a streamed answer (the whole body text, as received).
 * @param expectedText the assistant text a complete answer must carry.
 */
export function judgeStream(door: Door, body: string, expectedText: string): { verdict: Verdict; remarks: Remarks } {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(body);
  const remarks: Remarks = { sequenceNotIncreasing: 0 };
  const broken = (why: string) => ({ verdict: { kind: 'broken', why } as Verdict, remarks });
  // A last frame without its blank line is not an event: the stream was cut mid-frame.
  if (body.length > 0 && !/\n\n$|\r\n\r\n$/.test(body)) return broken(`the body does not end with a complete SSE frame (ends with ${JSON.stringify(body.slice(-60))})`);
  if (events.length === 0) return broken('no SSE event');
  if (door === 'responses') {
    let text = '';
    let lastSeq = -1;
    const terminals: number[] = [];
    let data: any;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      try {
        data = JSON.parse(e.data);
      } catch {
        return broken(`event ${i} (${e.event ?? 'no event name'}) has non-JSON data: ${JSON.stringify(e.data.slice(0, 80))}`);
      }
      if (!data || typeof data !== 'object' || typeof data.type !== 'string') return broken(`event ${i} has no "type"`);
      if (e.event !== undefined && e.event !== data.type) return broken(`event ${i}: "event: ${e.event}" but data.type ${data.type}`);
      if (typeof data.sequence_number === 'number') {
        if (data.sequence_number <= lastSeq) remarks.sequenceNotIncreasing++;
        lastSeq = data.sequence_number;
      }
      if (data.type === 'response.output_text.delta' && typeof data.delta === 'string') text += data.delta;
      if (data.type === 'response.completed' || data.type === 'response.incomplete' || data.type === 'response.failed') terminals.push(i);
    }
    if (terminals.length === 0) return broken(`no terminal event (last: ${JSON.parse(events[events.length - 1].data)?.type})`);
    if (terminals.length > 1) return broken(`${terminals.length} terminal events`);
    if (terminals[0] !== events.length - 1) return broken('events after the terminal event');
    const last = JSON.parse(events[events.length - 1].data);
    if (last.type === 'response.failed') {
      const err = last.response?.error;
      if (!err || typeof err.message !== 'string' || !err.message || typeof err.code !== 'string') return broken('response.failed without error.code and error.message');
      return { verdict: { kind: 'terminal_error', code: err.code, message: err.message }, remarks };
    }
    if (last.type === 'response.incomplete') return broken(`response.incomplete (${JSON.stringify(last.response?.incomplete_details)})`);
    if (text !== expectedText) return broken(`response.completed, but the text deltas add up to ${JSON.stringify(text.slice(0, 80))} (${text.length} chars), not the expected ${expectedText.length} chars`);
    const out = (last.response?.output ?? []) as Array<{ type: string; content?: Array<{ type: string; text?: string }> }>;
    const final = out
      .filter((o) => o.type === 'message')
      .flatMap((o) => o.content ?? [])
      .filter((c) => c.type === 'output_text')
      .map((c) => c.text ?? '')
      .join('');
    if (final !== expectedText) return broken('response.completed carries a different text than its deltas');
    return { verdict: { kind: 'complete' }, remarks };
  }
  // Chat door.
  let text = '';
  let finish = false;
  let done = false;
  let error: { code: string; message: string } | undefined;
  for (let i = 0; i < events.length; i++) {
    const d = events[i].data;
    if (done) return broken('events after data: [DONE]');
    if (d === '[DONE]') {
      done = true;
      continue;
    }
    if (error) return broken('events after the error event');
    let c: any;
    try {
      c = JSON.parse(d);
    } catch {
      return broken(`event ${i} has non-JSON data: ${JSON.stringify(d.slice(0, 80))}`);
    }
    if (c && typeof c === 'object' && c.error) {
      const m = c.error.message;
      if (typeof m !== 'string' || !m) return broken('error event without a message');
      error = { code: String(c.error.code ?? c.error.type ?? ''), message: m };
      continue;
    }
    const ch = c?.choices?.[0];
    if (ch?.delta && typeof ch.delta.content === 'string') text += ch.delta.content;
    if (ch?.finish_reason) finish = true;
  }
  if (error) return { verdict: { kind: 'terminal_error', ...error }, remarks };
  if (!done) return broken(`no data: [DONE] (finish_reason ${finish ? 'seen' : 'not seen'})`);
  if (!finish) return broken('data: [DONE] without a finish_reason');
  if (text !== expectedText) return broken(`complete, but the deltas add up to ${JSON.stringify(text.slice(0, 80))} (${text.length} chars), not the expected ${expectedText.length} chars`);
  return { verdict: { kind: 'complete' }, remarks };
}

/** A small seeded PRNG (mulberry32): uniform [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Parses a duration: `90` or `90s` (seconds), `3m` (minutes), `500ms`.
 * @returns seconds.
 * @throws Error for anything else.
 */
export function parseDuration(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*$/.exec(s);
  if (!m) throw new Error(`not a duration: "${s}" (use 90, 90s, 3m or 500ms)`);
  const v = Number(m[1]);
  switch (m[2]) {
    case 'ms':
      return v / 1000;
    case 'm':
    case 'min':
      return v * 60;
    default:
      return v;
  }
}
