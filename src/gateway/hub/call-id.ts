/**
 * Per-call opaque state carried inside a tool call's id. Gemini 3 on its OpenAI-compatible endpoint puts a
 * `thought_signature` on each tool call (`tool_calls[].extra_content.google.thought_signature`) and rejects
 * the next turn with 400 when the signature does not come back on that call (Gemini API docs, "Thought
 * signatures", OpenAI compatibility). Clients (Codex's `call_id`, Chat clients' `tool_calls[].id`) send ids
 * back unchanged but drop unknown fields, so the Chat decoder folds the signature into the id and the Chat
 * builder splits it out again; every other wire treats the id as opaque.
 */

/** Separator between the provider's call id and the signature (not a character providers use in ids). */
const SEP = '~sig~';

/** `id` with `signature` folded in (the id alone when there is no signature). */
export function joinCallId(id: string, signature: string | undefined): string {
  return signature ? `${id}${SEP}${signature}` : id;
}

/** Splits an id made by {@link joinCallId} into the provider's id and the signature (undefined when none). */
export function splitCallId(id: string): { id: string; signature?: string } {
  const i = id.indexOf(SEP);
  return i < 0 ? { id } : { id: id.slice(0, i), signature: id.slice(i + SEP.length) };
}

/**
 * The thought signature of a Chat tool call delta or message tool call, where Google puts it
 * (`extra_content.google.thought_signature`; Vertex AI: `extra_content.vertex.thought_signature`).
 */
export function thoughtSignatureOf(tc: unknown): string | undefined {
  const ec = (tc as { extra_content?: Record<string, { thought_signature?: unknown } | undefined> } | null)?.extra_content;
  if (!ec || typeof ec !== 'object') return undefined;
  const s = ec.google?.thought_signature ?? ec.vertex?.thought_signature;
  return typeof s === 'string' && s ? s : undefined;
}
