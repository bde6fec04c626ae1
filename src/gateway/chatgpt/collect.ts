/**
 * Collects a streamed Responses answer into one whole `response` object, for a client that did not ask for a
 * stream while the deployment serves streams only (the ChatGPT backend). The terminal event's `response`
 * (`response.completed` / `response.incomplete`) is the answer; when its `output` is empty or missing (the
 * backend may leave it out, clients rebuild it from the items), the items of the `response.output_item.done`
 * events are put there in `output_index` order (OpenAI API reference, "Responses: Streaming events").
 *
 * The client asked for a whole answer, so the whole collection is bounded like a non-streamed attempt
 * (docs/reliability.md, contract 1): by the deployment's `timeout` (headers **and the whole body**) and by
 * {@link MAX_WHOLE_BYTES}; a stream that keeps sending events without end is a timeout, not a wait for ever.
 */
import { UpstreamError } from '../errors';
import { errorObjectFailure, MAX_WHOLE_BYTES, type Secrets, type SseReader } from '../upstream-answer';
import { isObject } from '../translate/safe';

/** Folds Responses stream events into the whole response object (see the module notes). */
export class ResponseCollector {
  private readonly items: Array<{ index: number; item: Record<string, unknown> }> = [];
  private final: Record<string, unknown> | undefined;
  private seen = 0;

  /**
   * One parsed event (JSON `data`, SSE `event:` name).
   * @throws UpstreamError for `response.failed` or an `error` event (classified from its error object).
   */
  see(json: Record<string, unknown>, event: string | undefined, key: Secrets): void {
    const type = typeof json.type === 'string' ? json.type : event;
    if (type === 'response.output_item.done' && isObject(json.item)) {
      const index = typeof json.output_index === 'number' ? json.output_index : this.seen;
      this.seen++;
      this.items.push({ index, item: json.item });
    } else if ((type === 'response.completed' || type === 'response.incomplete') && isObject(json.response)) {
      this.final = json.response;
    } else if (type === 'response.failed') {
      const r = isObject(json.response) ? json.response : {};
      throw errorObjectFailure(r.error ?? 'the response failed without an error message', key, 'in its stream');
    } else if (type === 'error') {
      throw errorObjectFailure(isObject(json.error) ? json.error : json, key, 'in its stream');
    }
  }

  /**
   * The whole response object.
   * @throws UpstreamError `bad_response` when the stream had no terminal event.
   */
  result(): Record<string, unknown> {
    if (!this.final) throw new UpstreamError('bad_response', 'the upstream stream ended without response.completed');
    const out = { ...this.final };
    if (!Array.isArray(out.output) || out.output.length === 0) {
      out.output = [...this.items].sort((a, b) => a.index - b.index).map((x) => x.item);
    }
    return out;
  }
}

/** The bound of one collection: the whole answer must have arrived by `deadline`. */
export interface CollectLimit {
  /** Epoch ms by which the stream must be complete (the attempt's start + `timeout`). */
  deadline: number;
  /** Names the limit in the message, e.g. `timeout 600 s`. */
  label: string;
}

/**
 * Reads a stream to its end (under the reader's own limits, and `limit`) and returns the whole response
 * object. The reader is cancelled (its upstream connection closed) when `limit` passes.
 * @throws UpstreamError as {@link ResponseCollector} and as the reader (timeouts, broken streams); `timeout`
 *   when the stream is not complete by `limit.deadline`; `bad_response` past {@link MAX_WHOLE_BYTES} of
 *   event text.
 */
export async function collectResponse(reader: SseReader, key: Secrets, limit?: CollectLimit): Promise<Record<string, unknown>> {
  const c = new ResponseCollector();
  let timedOut = false;
  const timer = limit
    ? setTimeout(
        () => {
          timedOut = true;
          reader.cancel();
        },
        Math.max(0, limit.deadline - Date.now()),
      )
    : undefined;
  const late = () => new UpstreamError('timeout', `the whole answer did not arrive within ${limit?.label ?? 'its limit'}`);
  let bytes = 0;
  try {
    for await (const b of reader.batches()) {
      bytes += b.text.length;
      if (bytes > MAX_WHOLE_BYTES) throw new UpstreamError('bad_response', `the upstream answer is larger than ${MAX_WHOLE_BYTES} bytes`);
      for (const ev of b.events) if (ev.json) c.see(ev.json, ev.event, key);
    }
  } catch (e) {
    // The cancel surfaces as a broken or incomplete stream: report the limit that caused it.
    throw timedOut ? late() : e;
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw late();
  return c.result();
}
