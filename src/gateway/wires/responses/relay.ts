/**
 * The Responses door in front of a Responses upstream: the answer is relayed byte for byte (a whole SSE
 * frame at a time, see upstream-answer.ts); this observer only reads what the relay needs from the
 * events: the usage of the terminal event for the log, and the upstream's response object and sequence
 * number, so a closing `response.failed` after a broken stream continues them.
 */
import { errorObjectFailure } from '../../upstream-answer';
import type { UpstreamError } from '../../errors';
import { stripForeignReasoning } from '../../translate/reasoning';
import type { Secrets, UpstreamEvent } from '../../upstream-answer';
import { baseResponse, type ResponseContext } from '../../translate/output';
import { encodeSse } from './door-stream';
import type { RelayObserver } from '../types';

/** Observer of a relayed Responses stream (see the module notes). */
export class ResponsesRelay implements RelayObserver {
  /** @param ctx the alias and request, for a whole response object when the upstream sent none before breaking (called then only). */
  constructor(private readonly ctx: () => ResponseContext) {}

  /** The upstream's response object so far (from `response.created` / `.in_progress` / terminal events). */
  private last: Record<string, unknown> | undefined;
  private seq = 0;
  /** @inheritdoc */
  readonly usage: { input?: number; output?: number } = {};

  /** @inheritdoc */
  see(json: Record<string, unknown>, event: string | undefined): void {
    if (typeof json.sequence_number === 'number') this.seq = json.sequence_number + 1;
    const r = json.response;
    if (r && typeof r === 'object') this.last = r as Record<string, unknown>;
    const whole = json.object === 'response'; // a non-streamed answer: the response object itself
    if (whole) this.last = json;
    const t = event ?? json.type;
    if (whole || t === 'response.completed' || t === 'response.incomplete' || t === 'response.failed') {
      const u = this.last?.usage as Record<string, unknown> | undefined;
      if (u && typeof u === 'object') {
        if (typeof u.input_tokens === 'number') this.usage.input = u.input_tokens;
        if (typeof u.output_tokens === 'number') this.usage.output = u.output_tokens;
      }
    }
  }

  /**
   * The `response.failed` event that closes a broken pass-through stream: it continues the upstream's
   * `sequence_number`s and carries the upstream's response (same id, model, settings) with status
   * `failed` (Responses API streaming events: sequence numbers increase within one stream; one response id
   * per stream). Output items not announced done are left out; code `server_error`, which Codex retries
   * (`context_length_exceeded` for a context-window failure, which Codex reports as such).
   */
  fail(err: UpstreamError | undefined, message: string): string {
    const response = {
      ...(this.last ?? baseResponse(this.ctx(), 'failed')),
      status: 'failed',
      error: { code: err?.kind === 'context_window' ? 'context_length_exceeded' : 'server_error', message },
      incomplete_details: null,
      output: [],
    };
    return encodeSse({ type: 'response.failed', sequence_number: this.seq, response } as never);
  }
}

/**
 * The client's Responses body for a Responses deployment (relayed): `up` is the body over the
 * deployment's defaults with the upstream model set; the gateway's own `cgw1:`/`cgw2:` reasoning items
 * (made while another wire served earlier turns) are removed, as OpenAI rejects reasoning it cannot decrypt.
 */
export function responsesRelayBody(up: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(up.input)) up.input = stripForeignReasoning(up.input as never);
  return up;
}

/**
 * A Responses upstream's own `response.failed` as the FIRST event of an answer that is translated for
 * another door: a failed attempt (retried, fallen back from), classified by its error. (Relayed to a
 * Responses client it is passed on as is.)
 * @returns the failure, or undefined when the first events hold no `response.failed`.
 */
export function responsesFirstEventsFailure(events: readonly UpstreamEvent[], key: Secrets): UpstreamError | undefined {
  for (const ev of events) {
    const t = ev.event ?? ev.json?.type;
    if (t === 'response.failed') return errorObjectFailure((ev.json?.response as { error?: unknown } | undefined)?.error ?? 'response.failed', key, 'as its first event');
  }
  return undefined;
}
