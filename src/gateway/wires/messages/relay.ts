/**
 * The Messages door in front of an Anthropic Messages deployment: the answer is relayed byte for byte (a
 * whole SSE frame at a time, see upstream-answer.ts); this observer reads the usage for the log line and
 * writes Anthropic's `error` event after a broken stream.
 *
 * Usage (Anthropic API reference, "Streaming Messages"): `message_start.message.usage` carries the input
 * and cache counts, each `message_delta.usage` the cumulative counts (output always; input and cache
 * counts when they apply); a later value replaces an earlier one. A non-streamed answer is one `message`
 * whose `usage` is read the same way.
 */
import type { UpstreamError } from '../../errors';
import type { RelayObserver } from '../types';
import { OWN_BLOCK_PREFIX, OWN_REASONING_PREFIX } from '../../translate/reasoning';
import { MESSAGES_USAGE_KEYS, messagesUsage } from './decode';
import { messagesErrorFrame } from './door-encoder';
import type { MessagesUsage } from './types';
import { isObject } from '../../translate/safe';

/** Observer of a relayed Messages answer (see the module notes). */
export class MessagesRelay implements RelayObserver {
  /** The counts seen so far (only finite numbers are stored, so an empty object means none seen). */
  private readonly raw: MessagesUsage = {};

  /**
   * Usage seen so far in the hub's convention (tokens; `input` includes cache reads and writes, as
   * {@link messagesUsage} computes it); empty before any usage was seen.
   */
  get usage(): { input?: number; output?: number } {
    if (Object.keys(this.raw).length === 0) return {};
    const u = messagesUsage(this.raw);
    return { input: u.input, output: u.output };
  }

  /**
   * One parsed upstream event (`message_start`, `message_delta`), or a whole non-streamed `message`
   * (`event` undefined, `type: "message"`). Anything else is ignored; never throws.
   */
  see(json: Record<string, unknown>, event: string | undefined): void {
    const type = typeof json.type === 'string' ? json.type : event;
    let u: unknown;
    if (type === 'message_start') u = isObject(json.message) ? json.message.usage : undefined;
    else if (type === 'message_delta' || type === 'message') u = json.usage;
    if (!isObject(u)) return;
    for (const k of MESSAGES_USAGE_KEYS) {
      const v = u[k];
      if (typeof v === 'number' && Number.isFinite(v)) this.raw[k] = v;
    }
  }

  /** Anthropic's `event: error` frame for a broken relayed stream (see messagesErrorFrame in ./door-encoder.ts). */
  fail(err: UpstreamError | undefined, message: string): string {
    return messagesErrorFrame(err, message);
  }
}

/**
 * The client's Messages body for an Anthropic deployment (relayed): `up` is the body over the deployment's
 * defaults with the upstream model set. Thinking blocks whose signature is the gateway's own opaque state
 * (`cgw1:`/`cgw2:`, written while a non-Anthropic deployment served earlier turns, e.g. before a fallback)
 * are removed: Anthropic rejects signatures it did not issue ("invalid signature in thinking block").
 */
export function messagesRelayBody(up: Record<string, unknown>): Record<string, unknown> {
  const msgs = up.messages;
  if (!Array.isArray(msgs)) return up;
  let changed = false;
  const out = msgs.map((m) => {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) return m;
    const kept = content.filter((b) => !(b && typeof b === 'object' && (b as { type?: unknown }).type === 'thinking' && isOwnSignature((b as { signature?: unknown }).signature)));
    if (kept.length === content.length) return m;
    changed = true;
    return { ...(m as object), content: kept };
  });
  if (changed) up.messages = out;
  return up;
}

function isOwnSignature(sig: unknown): boolean {
  return typeof sig === 'string' && (sig.startsWith(OWN_REASONING_PREFIX) || sig.startsWith(OWN_BLOCK_PREFIX));
}
