/**
 * Reasoning items the gateway produces for chat upstreams, and how to recognise them.
 *
 * Chat upstreams (DeepSeek, Qwen/DashScope, Ollama, vLLM, OpenRouter) stream their thinking as
 * `reasoning_content` (or `reasoning`). The translator turns that into a Responses `reasoning` item whose
 * `encrypted_content` is `cgw1:` + base64(UTF-8 text). Codex asks for
 * `include: ["reasoning.encrypted_content"]` and resends reasoning items verbatim on later turns (observed
 * in Codex 0.169 captures), so the gateway gets its text back exactly, even when the summary was shown
 * shortened. A real OpenAI Responses upstream would reject such an item (it cannot decrypt it), hence
 * {@link stripForeignReasoning} for the pass-through path.
 */
import type { HubReasoning } from '../hub/types';
import type { ResponsesInputItem, ResponsesReasoningItem } from './types';

/** Prefix marking `encrypted_content` the gateway wrote (version 1: base64 of the UTF-8 reasoning text). */
export const OWN_REASONING_PREFIX = 'cgw1:';

/** Encodes reasoning text as our `encrypted_content` value (`cgw1:` + base64). */
export function encodeReasoning(text: string): string {
  return OWN_REASONING_PREFIX + Buffer.from(text, 'utf8').toString('base64');
}

/**
 * Decodes our `encrypted_content`; returns undefined for anything not written by {@link encodeReasoning}
 * (another vendor's opaque blob, null, absent).
 */
export function decodeReasoning(encrypted: unknown): string | undefined {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(OWN_REASONING_PREFIX)) return undefined;
  return Buffer.from(encrypted.slice(OWN_REASONING_PREFIX.length), 'base64').toString('utf8');
}

/**
 * Prefix of `encrypted_content` carrying a whole reasoning block with opaque parts (version 2:
 * base64 of the UTF-8 JSON `{"t": text, "s"?: signature, "r"?: redacted data}`): an Anthropic thinking
 * block's `signature`, or a `redacted_thinking` block's `data`, which Anthropic requires back byte-exact
 * on the next tool turn (Anthropic docs, "Extended thinking: preserving thinking blocks").
 */
export const OWN_BLOCK_PREFIX = 'cgw2:';

/** Encodes a reasoning block: `cgw1:` for plain text, `cgw2:` when it carries a signature or redacted data. */
export function encodeReasoningBlock(b: HubReasoning): string {
  if (b.signature === undefined && b.redacted === undefined) return encodeReasoning(b.text);
  const o: { t: string; s?: string; r?: string } = { t: b.text };
  if (b.signature !== undefined) o.s = b.signature;
  if (b.redacted !== undefined) o.r = b.redacted;
  return OWN_BLOCK_PREFIX + Buffer.from(JSON.stringify(o), 'utf8').toString('base64');
}

/**
 * Decodes `cgw1:` or `cgw2:` `encrypted_content` into a block; undefined for anything else (another
 * vendor's blob) or a damaged value.
 */
export function decodeReasoningBlock(encrypted: unknown): HubReasoning | undefined {
  if (typeof encrypted !== 'string') return undefined;
  if (encrypted.startsWith(OWN_REASONING_PREFIX)) return { text: decodeReasoning(encrypted)! };
  if (!encrypted.startsWith(OWN_BLOCK_PREFIX)) return undefined;
  try {
    const o = JSON.parse(Buffer.from(encrypted.slice(OWN_BLOCK_PREFIX.length), 'base64').toString('utf8')) as { t?: unknown; s?: unknown; r?: unknown };
    if (!o || typeof o !== 'object' || typeof o.t !== 'string') return undefined;
    const b: HubReasoning = { text: o.t };
    if (typeof o.s === 'string') b.signature = o.s;
    if (typeof o.r === 'string') b.redacted = o.r;
    return b;
  } catch {
    return undefined;
  }
}

/** True when `item` is a `reasoning` item the gateway produced (its `encrypted_content` starts with `cgw1:` or `cgw2:`). */
export function isOwnReasoning(item: unknown): item is ResponsesReasoningItem {
  if (typeof item !== 'object' || item === null) return false;
  const it = item as { type?: unknown; encrypted_content?: unknown };
  return it.type === 'reasoning' && typeof it.encrypted_content === 'string' && (it.encrypted_content.startsWith(OWN_REASONING_PREFIX) || it.encrypted_content.startsWith(OWN_BLOCK_PREFIX));
}

/**
 * For a Responses (pass-through) upstream: removes the reasoning items that upstream did not produce,
 * i.e. the gateway's own `cgw1:` items created while a chat upstream served earlier turns (after a
 * fallback or an alias switch). OpenAI rejects reasoning it cannot decrypt, so they must not reach it.
 * Returns the same array when nothing is removed (no copy on the hot path).
 */
export function stripForeignReasoning<T extends ResponsesInputItem | Record<string, unknown>>(input: T[]): T[] {
  let i = 0;
  while (i < input.length && !isOwnReasoning(input[i])) i++;
  if (i === input.length) return input;
  const out = input.slice(0, i);
  for (i++; i < input.length; i++) if (!isOwnReasoning(input[i])) out.push(input[i]);
  return out;
}

/**
 * The plain text of a reasoning input item, for a chat upstream's `reasoning_content`: our own
 * `encrypted_content` if present, else the summary texts, else `reasoning_text` content parts (joined by
 * blank lines). Returns undefined for foreign items that carry only an opaque blob.
 */
export function reasoningText(item: ResponsesReasoningItem): string | undefined {
  const own = decodeReasoningBlock(item.encrypted_content);
  if (own !== undefined) return own.text || undefined;
  const parts: string[] = [];
  if (Array.isArray(item.summary)) for (const s of item.summary) if (s && typeof s.text === 'string' && s.text) parts.push(s.text);
  if (parts.length === 0 && Array.isArray(item.content)) for (const c of item.content) if (c && typeof c.text === 'string' && c.text) parts.push(c.text);
  return parts.length ? parts.join('\n\n') : undefined;
}
