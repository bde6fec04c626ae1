/**
 * A local mock of the Anthropic Messages API (`POST /v1/messages`) for tests, listening on 127.0.0.1 only.
 *
 * It validates requests STRICTLY ({@link validateMessagesRequest}, exported for property tests) and
 * rejects what the real API rejects, in Anthropic's error shape (`{"type": "error", "error": {"type",
 * "message"}}`, Anthropic API reference, "Errors"):
 * - 401 `authentication_error` without the test's `x-api-key`; 400 without `anthropic-version`;
 * - 400 `invalid_request_error` for an invalid body (the first problem's text; the scripted reply is NOT
 *   consumed, as the real API answers before any generation). The rules and their sources are listed on
 *   {@link validateMessagesRequest}.
 *
 * Valid requests are answered by scripted replies (FIFO, like MockUpstream): {@link messageReply} (and
 * {@link textReply}, {@link toolUseReply}) stream SSE exactly per Anthropic's contract ("Streaming
 * Messages": `message_start`, `ping`, `content_block_start` / `content_block_delta` (`text_delta`,
 * `thinking_delta`, `signature_delta`, `input_json_delta` split across deltas, the first one empty as
 * Anthropic sends it) / `content_block_stop`, `message_delta` with `stop_reason` and cumulative usage,
 * `message_stop`) when the body says `stream: true`, else answer one `message` JSON; error replies
 * ({@link rateLimitReply} 429 + `retry-after`, {@link overloadedReply} 529, {@link promptTooLongReply} 400,
 * {@link errorReply}) answer with Anthropic's statuses and types. Thinking blocks the mock emits get a
 * signature it records in {@link AnthropicMock.issuedSignatures}; when a later request enables thinking,
 * every thinking block it sends must carry one of them (and redacted blocks issued data), as Anthropic
 * verifies signatures.
 *
 * Usage:
 * ```ts
 * const key = fakeKey('anthropic');
 * const api = await AnthropicMock.start({ apiKey: key });
 * api.enqueue(messageReply([{ type: 'thinking', thinking: 'hmm' }, { type: 'tool_use', name: 'exec', input: { cmd: 'ls' } }], { stopReason: 'tool_use' }));
 * // POST `${api.origin}/v1/messages` with x-api-key and anthropic-version
 * await api.close();
 * ```
 */
import type * as http from 'node:http';
import type { RecordedRequest } from './mock-upstream';
import { closeServer, listenLoopback, recordRequest, RequestLog, type BaseRecordedRequest } from './mock-server';
import type { StreamPlan, WireCodec } from './fault-upstream';

/* ================================================================================================
 * Validator
 * ============================================================================================== */

/** Options of {@link validateMessagesRequest}. */
export interface ValidateOptions {
  /**
   * Thinking signatures (and redacted `data`) the API issued. When given and the request enables thinking,
   * every thinking block must carry one of them ("Invalid `signature` in `thinking` block"); when absent,
   * any non-empty signature is accepted.
   */
  issued?: ReadonlySet<string>;
  /**
   * Require strictly alternating roles (default true). The real API merges consecutive same-role turns;
   * the gateway promises alternation, so the mock holds it to that.
   */
  strictAlternation?: boolean;
}

const TOP_LEVEL = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'service_tier',
  'container',
  'mcp_servers',
  'context_management',
  'output_config',
]);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const USER_BLOCKS = new Set(['text', 'image', 'document', 'tool_result', 'search_result']);
const ASSISTANT_BLOCKS = new Set(['text', 'thinking', 'redacted_thinking', 'tool_use']);
const BLOCK_KEYS: Record<string, Set<string>> = {
  text: new Set(['type', 'text', 'cache_control', 'citations']),
  image: new Set(['type', 'source', 'cache_control']),
  document: new Set(['type', 'source', 'title', 'context', 'citations', 'cache_control']),
  tool_result: new Set(['type', 'tool_use_id', 'content', 'is_error', 'cache_control']),
  thinking: new Set(['type', 'thinking', 'signature']),
  redacted_thinking: new Set(['type', 'data']),
  tool_use: new Set(['type', 'id', 'name', 'input', 'cache_control']),
  search_result: new Set(['type', 'source', 'title', 'content', 'citations', 'cache_control']),
};

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/**
 * Checks a `POST /v1/messages` body the way Anthropic does, and a bit stricter where the gateway promises
 * more (alternation). Returns every problem found, each `path: message` in Anthropic's wording where it
 * has one (empty array = valid). Rules (Anthropic API reference "Messages", docs "Tool use", "Extended
 * thinking", "Prompt caching", "Vision", "PDF support"):
 * - top level: only known fields ("Extra inputs are not permitted"); `model` non-empty; `max_tokens` a
 *   positive integer; `messages` non-empty; `system` a string or text blocks; `metadata` only `user_id`;
 *   `stop_sequences` non-whitespace strings; `temperature`, `top_p` in [0, 1]; `top_k` >= 0;
 * - messages: `role` user/assistant, no other keys; the first turn `user`, roles alternating; content
 *   non-empty (except a final assistant turn); text blocks non-empty and not whitespace only; block types
 *   per role; images base64 (JPEG/PNG/GIF/WebP) or http(s) url; documents PDF base64, text or url;
 * - tools: unique names `^[a-zA-Z0-9_-]{1,64}$`, `input_schema` an object with `type: "object"`;
 *   `tool_choice` auto/any/tool/none (tool: a declared name; no `disable_parallel_tool_use` with none), only
 *   with tools;
 * - tool use: `tool_use` ids `^[a-zA-Z0-9_-]+$`, unique; `input` an object; every tool_use answered by a
 *   `tool_result` with its id in the NEXT (user) turn; tool_result blocks first in their turn and only for
 *   ids of the previous assistant turn;
 * - thinking: `{type: enabled, budget_tokens >= 1024 and < max_tokens}` | disabled | adaptive; thinking
 *   blocks carry a signature (an issued one when thinking is on and `issued` is given), never
 *   `cache_control`, and are never the last block of an assistant turn; with thinking on: temperature only
 *   1, top_p only in [0.95, 1], no top_k, tool_choice only auto/none, and a conversation ending inside an
 *   assistant turn (after tool results, or with an assistant message) has that turn start with a thinking
 *   block — the turn begins after the last user message without tool_result blocks, tool loops are part
 *   of it ("Extended thinking": toggling thinking within a turn); with thinking off a final assistant
 *   message has no thinking block; a final assistant message has no trailing whitespace;
 * - prompt caching: at most 4 blocks with `cache_control` (`{type: "ephemeral", ttl?: "5m"|"1h"}`), no
 *   1h breakpoint after a 5-minute one (render order tools, system, messages).
 */
export function validateMessagesRequest(body: unknown, opts: ValidateOptions = {}): string[] {
  const p: string[] = [];
  if (!isObj(body)) return ['body: must be a JSON object'];
  for (const k of Object.keys(body)) if (!TOP_LEVEL.has(k)) p.push(`${k}: Extra inputs are not permitted`);
  if (typeof body.model !== 'string' || !body.model) p.push('model: Field required');
  if (body.max_tokens === undefined) p.push('max_tokens: Field required');
  else if (!isPosInt(body.max_tokens)) p.push('max_tokens: Input should be a valid integer greater than or equal to 1');
  const caches: { where: string; ttl: string }[] = [];
  const cache = (where: string, cc: unknown) => {
    if (cc === undefined) return;
    if (!isObj(cc) || cc.type !== 'ephemeral' || (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') || Object.keys(cc).some((k) => k !== 'type' && k !== 'ttl')) {
      p.push(`${where}.cache_control: must be {"type": "ephemeral", "ttl"?: "5m" | "1h"}`);
      return;
    }
    caches.push({ where, ttl: cc.ttl ?? '5m' });
  };
  const textBlock = (where: string, b: Record<string, any>) => {
    if (typeof b.text !== 'string') p.push(`${where}.text: Field required`);
    else if (b.text.length === 0) p.push(`${where}: text content blocks must be non-empty`);
    else if (!/\S/.test(b.text)) p.push(`${where}: text content blocks must contain non-whitespace text`);
  };
  const extraKeys = (where: string, b: Record<string, any>) => {
    const allowed = BLOCK_KEYS[b.type];
    if (allowed) for (const k of Object.keys(b)) if (!allowed.has(k)) p.push(`${where}.${k}: Extra inputs are not permitted`);
  };

  // tools
  const toolNames = new Set<string>();
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) p.push('tools: Input should be a valid list');
    else
      body.tools.forEach((t: unknown, i: number) => {
        const w = `tools.${i}`;
        if (!isObj(t)) return void p.push(`${w}: Input should be an object`);
        if (typeof t.type === 'string' && /_\d{8}$/.test(t.type)) return; // a server tool, e.g. web_search_20250305
        for (const k of Object.keys(t)) if (!['name', 'description', 'input_schema', 'cache_control', 'type'].includes(k)) p.push(`${w}.${k}: Extra inputs are not permitted`);
        if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) p.push(`${w}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
        else if (toolNames.has(t.name)) p.push(`tools: Tool names must be unique (${t.name})`);
        else toolNames.add(t.name);
        if (t.description !== undefined && typeof t.description !== 'string') p.push(`${w}.description: Input should be a valid string`);
        if (!isObj(t.input_schema)) p.push(`${w}.input_schema: Field required`);
        else if (t.input_schema.type !== 'object') p.push(`${w}.input_schema.type: Input should be 'object'`);
        cache(w, t.cache_control);
      });
  }
  // system
  if (body.system !== undefined) {
    if (typeof body.system === 'string') {
      /* any string */
    } else if (!Array.isArray(body.system)) p.push('system: Input should be a valid string or list of text blocks');
    else
      body.system.forEach((b: unknown, i: number) => {
        const w = `system.${i}`;
        if (!isObj(b) || b.type !== 'text') return void p.push(`${w}.type: Input should be 'text'`);
        extraKeys(w, b);
        textBlock(w, b);
        cache(w, b.cache_control);
      });
  }
  // metadata, stop_sequences, sampling
  if (body.metadata !== undefined) {
    if (!isObj(body.metadata)) p.push('metadata: Input should be an object');
    else {
      for (const k of Object.keys(body.metadata)) if (k !== 'user_id') p.push(`metadata.${k}: Extra inputs are not permitted`);
      const u = body.metadata.user_id;
      if (u !== undefined && u !== null && (typeof u !== 'string' || u.length > 256)) p.push('metadata.user_id: Input should be a string of at most 256 characters');
    }
  }
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((s: unknown) => typeof s !== 'string')) p.push('stop_sequences: Input should be a list of strings');
    else if (body.stop_sequences.some((s: string) => !/\S/.test(s))) p.push('stop_sequences: each stop sequence must contain non-whitespace');
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') p.push('stream: Input should be a valid boolean');
  for (const k of ['temperature', 'top_p'] as const) {
    if (body[k] !== undefined && (typeof body[k] !== 'number' || body[k] < 0 || body[k] > 1)) p.push(`${k}: Input should be a number between 0 and 1`);
  }
  if (body.top_k !== undefined && (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k) || body.top_k < 0)) p.push('top_k: Input should be a non-negative integer');

  // thinking
  let thinkingOn = false;
  if (body.thinking !== undefined) {
    const t = body.thinking;
    if (!isObj(t)) p.push('thinking: Input should be an object');
    else if (t.type === 'enabled') {
      thinkingOn = true;
      if (!Number.isInteger(t.budget_tokens)) p.push('thinking.enabled.budget_tokens: Field required');
      else if (t.budget_tokens < 1024) p.push('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      else if (isPosInt(body.max_tokens) && t.budget_tokens >= body.max_tokens) p.push('`max_tokens` must be greater than `thinking.budget_tokens`');
    } else if (t.type === 'adaptive') thinkingOn = true;
    else if (t.type !== 'disabled') p.push("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'");
  }
  if (thinkingOn) {
    if (body.temperature !== undefined && body.temperature !== 1) p.push('`temperature` may only be set to 1 when thinking is enabled');
    if (body.top_p !== undefined && (body.top_p < 0.95 || body.top_p > 1)) p.push('`top_p` must be between 0.95 and 1 when thinking is enabled');
    if (body.top_k !== undefined) p.push('`top_k` is not supported when thinking is enabled');
  }

  // tool_choice
  if (body.tool_choice !== undefined) {
    const c = body.tool_choice;
    if (!isObj(c) || !['auto', 'any', 'tool', 'none'].includes(c.type)) p.push("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
    else {
      if (!Array.isArray(body.tools) || body.tools.length === 0) p.push('tool_choice: may only be specified while providing tools');
      if (c.type === 'tool' && (typeof c.name !== 'string' || !toolNames.has(c.name))) p.push(`tool_choice.name: no tool named ${JSON.stringify(c.name)} in tools`);
      if (c.type === 'none' && c.disable_parallel_tool_use !== undefined) p.push('tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted');
      if (c.disable_parallel_tool_use !== undefined && typeof c.disable_parallel_tool_use !== 'boolean') p.push('tool_choice.disable_parallel_tool_use: Input should be a valid boolean');
      if (thinkingOn && (c.type === 'any' || c.type === 'tool')) p.push('Thinking may not be enabled when tool_choice forces tool use.');
    }
  }

  // messages
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    p.push('messages: at least one message is required');
  } else {
    const msgs = body.messages as unknown[];
    const seenIds = new Set<string>();
    let prevToolUses: string[] = [];
    let prevRole: string | undefined;
    const strict = opts.strictAlternation ?? true;
    msgs.forEach((m, i) => {
      const w = `messages.${i}`;
      const last = i === msgs.length - 1;
      if (!isObj(m)) return void p.push(`${w}: Input should be an object`);
      for (const k of Object.keys(m)) if (k !== 'role' && k !== 'content') p.push(`${w}.${k}: Extra inputs are not permitted`);
      if (m.role !== 'user' && m.role !== 'assistant') return void p.push(`${w}.role: Input should be 'user' or 'assistant'`);
      if (i === 0 && m.role !== 'user') p.push(`${w}: first message must use the "user" role`);
      if (strict && prevRole === m.role) p.push(`${w}: roles must alternate between "user" and "assistant"`);
      const content: Record<string, any>[] =
        typeof m.content === 'string' ? (m.content ? [{ type: 'text', text: m.content }] : []) : Array.isArray(m.content) ? m.content : [];
      if (typeof m.content !== 'string' && !Array.isArray(m.content)) p.push(`${w}.content: Input should be a valid string or list`);
      if (content.length === 0 && !(last && m.role === 'assistant')) p.push(`${w}: all messages must have non-empty content except for the optional final assistant message`);
      const allowedTypes = m.role === 'user' ? USER_BLOCKS : ASSISTANT_BLOCKS;
      const toolUses: string[] = [];
      const answered = new Set<string>();
      let otherSeen = false;
      content.forEach((b, j) => {
        const bw = `${w}.content.${j}`;
        if (!isObj(b) || typeof b.type !== 'string') return void p.push(`${bw}.type: Field required`);
        if (!allowedTypes.has(b.type)) return void p.push(`${bw}.type: '${b.type}' blocks are not allowed in ${m.role} messages`);
        extraKeys(bw, b);
        if (b.type === 'thinking' || b.type === 'redacted_thinking') {
          if (b.cache_control !== undefined) p.push(`${bw}.cache_control: cannot be set on thinking blocks`);
        } else cache(bw, b.cache_control);
        switch (b.type) {
          case 'text':
            textBlock(bw, b);
            if (m.role === 'user') otherSeen = true;
            break;
          case 'image':
            checkImage(bw, b, p);
            otherSeen = true;
            break;
          case 'document':
            checkDocument(bw, b, p);
            otherSeen = true;
            break;
          case 'search_result':
            otherSeen = true;
            break;
          case 'tool_result': {
            if (otherSeen) p.push(`${bw}: tool_result blocks must come first in the user message, before any other content`);
            if (typeof b.tool_use_id !== 'string') p.push(`${bw}.tool_use_id: Field required`);
            else if (!prevToolUses.includes(b.tool_use_id))
              p.push(
                `${bw}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
              );
            else answered.add(b.tool_use_id);
            if (b.is_error !== undefined && typeof b.is_error !== 'boolean') p.push(`${bw}.is_error: Input should be a valid boolean`);
            if (b.content !== undefined && typeof b.content !== 'string') {
              if (!Array.isArray(b.content)) p.push(`${bw}.content: Input should be a valid string or list`);
              else
                b.content.forEach((c: unknown, k: number) => {
                  const cw = `${bw}.content.${k}`;
                  if (!isObj(c) || !['text', 'image', 'document', 'search_result'].includes(c.type)) return void p.push(`${cw}.type: Input should be 'text', 'image', 'document' or 'search_result'`);
                  extraKeys(cw, c);
                  cache(cw, c.cache_control);
                  if (c.type === 'text') textBlock(cw, c);
                  else if (c.type === 'image') checkImage(cw, c, p);
                  else if (c.type === 'document') checkDocument(cw, c, p);
                });
            }
            break;
          }
          case 'thinking':
            if (typeof b.thinking !== 'string') p.push(`${bw}.thinking: Field required`);
            if (typeof b.signature !== 'string' || !b.signature) p.push(`${bw}.signature: Field required`);
            else if (thinkingOn && opts.issued && !opts.issued.has(b.signature)) p.push(`${bw}: Invalid \`signature\` in \`thinking\` block`);
            break;
          case 'redacted_thinking':
            if (typeof b.data !== 'string' || !b.data) p.push(`${bw}.data: Field required`);
            else if (thinkingOn && opts.issued && !opts.issued.has(b.data)) p.push(`${bw}: Invalid \`data\` in \`redacted_thinking\` block`);
            break;
          case 'tool_use':
            if (typeof b.id !== 'string' || !TOOL_ID.test(b.id)) p.push(`${bw}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
            else if (seenIds.has(b.id)) p.push(`${bw}: \`tool_use\` ids must be unique (${b.id})`);
            else {
              seenIds.add(b.id);
              toolUses.push(b.id);
            }
            if (typeof b.name !== 'string' || !b.name) p.push(`${bw}.name: Field required`);
            if (!isObj(b.input)) p.push(`${bw}.input: Input should be a valid dictionary`);
            break;
        }
      });
      if (m.role === 'assistant' && content.length) {
        const lb = content[content.length - 1]!;
        if (lb.type === 'thinking' || lb.type === 'redacted_thinking') p.push(`${w}: The final block in an assistant message cannot be \`thinking\`.`);
        if (last && lb.type === 'text' && typeof lb.text === 'string' && /\s$/.test(lb.text)) p.push(`${w}: final assistant content cannot end with trailing whitespace`);
        if (last && !thinkingOn && content.some((b) => b.type === 'thinking' || b.type === 'redacted_thinking'))
          p.push(`${w}: When thinking is disabled, an \`assistant\` message in the final position cannot contain \`thinking\`.`);
      }
      if (m.role === 'user' && prevToolUses.length) {
        const missing = prevToolUses.filter((id) => !answered.has(id));
        if (missing.length)
          p.push(
            `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
          );
      }
      if (m.role === 'assistant' && prevToolUses.length)
        p.push(`messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${prevToolUses.join(', ')}.`);
      prevToolUses = m.role === 'assistant' ? toolUses : [];
      prevRole = m.role;
    });
    if (prevToolUses.length) p.push(`messages.${msgs.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${prevToolUses.join(', ')}.`);
    // Thinking on: a conversation ending inside an assistant turn (tool loop or final assistant message)
    // has that turn start with thinking; the turn starts after the last user message without tool results.
    if (thinkingOn) {
      const hasResult = (m: unknown) => isObj(m) && Array.isArray(m.content) && m.content.some((b: any) => isObj(b) && b.type === 'tool_result');
      const lastM = msgs[msgs.length - 1];
      let target: { m: Record<string, any>; i: number } | undefined;
      if (isObj(lastM) && (lastM.role === 'assistant' || hasResult(lastM))) {
        let start = msgs.length - 1;
        while (start >= 0 && !(isObj(msgs[start]) && (msgs[start] as any).role === 'user' && !hasResult(msgs[start]))) start--;
        const opening = msgs[start + 1];
        if (isObj(opening) && opening.role === 'assistant') target = { m: opening, i: start + 1 };
      }
      if (target) {
        const first = Array.isArray(target.m.content) ? target.m.content[0] : { type: 'text' };
        const ft = isObj(first) ? first.type : 'nothing';
        if (ft !== 'thinking' && ft !== 'redacted_thinking')
          p.push(
            `messages.${target.i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${ft}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks).`,
          );
      }
    }
  }

  // prompt caching
  if (caches.length > 4) p.push(`A maximum of 4 blocks with cache_control may be provided. Found ${caches.length}.`);
  let short = false;
  for (const c of caches) {
    if (c.ttl === '5m') short = true;
    else if (short) p.push(`${c.where}.cache_control: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block`);
  }
  return p;
}

function checkImage(w: string, b: Record<string, any>, p: string[]): void {
  const s = b.source;
  if (!isObj(s)) return void p.push(`${w}.source: Field required`);
  if (s.type === 'base64') {
    if (!IMAGE_TYPES.has(s.media_type)) p.push(`${w}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
    if (typeof s.data !== 'string' || !s.data || !/^[A-Za-z0-9+/=\s]+$/.test(s.data)) p.push(`${w}.source.base64.data: invalid base64 data`);
    for (const k of Object.keys(s)) if (!['type', 'media_type', 'data'].includes(k)) p.push(`${w}.source.${k}: Extra inputs are not permitted`);
  } else if (s.type === 'url') {
    if (typeof s.url !== 'string' || !/^https?:\/\//.test(s.url)) p.push(`${w}.source.url: must be an http(s) URL`);
  } else p.push(`${w}.source.type: Input should be 'base64' or 'url'`);
}

function checkDocument(w: string, b: Record<string, any>, p: string[]): void {
  const s = b.source;
  if (!isObj(s)) return void p.push(`${w}.source: Field required`);
  if (s.type === 'base64') {
    if (s.media_type !== 'application/pdf') p.push(`${w}.source.base64.media_type: Input should be 'application/pdf'`);
    if (typeof s.data !== 'string' || !s.data) p.push(`${w}.source.base64.data: Field required`);
  } else if (s.type === 'text') {
    if (s.media_type !== 'text/plain') p.push(`${w}.source.text.media_type: Input should be 'text/plain'`);
    if (typeof s.data !== 'string') p.push(`${w}.source.text.data: Field required`);
  } else if (s.type === 'url') {
    if (typeof s.url !== 'string' || !/^https?:\/\//.test(s.url)) p.push(`${w}.source.url: must be an http(s) URL`);
  } else p.push(`${w}.source.type: Input should be 'base64', 'text' or 'url'`);
  if (b.title !== undefined && typeof b.title !== 'string') p.push(`${w}.title: Input should be a valid string`);
}

/* ================================================================================================
 * Server
 * ============================================================================================== */

/** One request as the mock received it. */
export interface AnthropicRequest extends BaseRecordedRequest {
  /** What {@link validateMessagesRequest} found (empty for a valid request; also empty for non-POSTs). */
  problems: string[];
  /** Status the mock answered, once answered (400 / 401 for rejected requests). */
  status?: number;
}

/** Writes the answer to one valid request. */
export type AnthropicReply = (req: AnthropicRequest, res: http.ServerResponse, mock: AnthropicMock) => void | Promise<void>;

/** Options of {@link AnthropicMock.start}. */
export interface AnthropicMockOptions {
  /** The `x-api-key` every request must carry (make it with `fakeKey()`). */
  apiKey: string;
  /** Label for messages and generated ids [`anthropic-mock`]. */
  name?: string;
  /** See {@link ValidateOptions.strictAlternation} [true]. */
  strictAlternation?: boolean;
}

/** The scripted Anthropic Messages API. Start with {@link AnthropicMock.start}; always {@link AnthropicMock.close} it. */
export class AnthropicMock {
  /** Every request received, in arrival order (rejected ones included). */
  readonly requests: AnthropicRequest[];
  /** Thinking signatures and redacted data this mock issued (checked when a request enables thinking). */
  readonly issuedSignatures = new Set<string>();
  /** `http://127.0.0.1:PORT`: Anthropic's base URL shape (the API path is `/v1/messages`), for `api_base`. */
  readonly origin: string;
  readonly name: string;
  private readonly script: AnthropicReply[] = [];
  private fallback: AnthropicReply;
  private readonly log = new RequestLog<AnthropicRequest>();
  private counter = 0;

  private constructor(
    private readonly server: http.Server,
    origin: string,
    private readonly opts: AnthropicMockOptions,
  ) {
    this.requests = this.log.requests;
    this.origin = origin;
    this.name = opts.name ?? 'anthropic-mock';
    this.fallback = errorReply(500, 'api_error', `mock "${this.name}" has no scripted reply left (the test enqueued too few replies)`);
  }

  /** Starts a mock on 127.0.0.1 with an OS-assigned port. @throws if no port can be bound. */
  static async start(opts: AnthropicMockOptions): Promise<AnthropicMock> {
    const { server, origin } = await listenLoopback(60_000);
    const mock = new AnthropicMock(server, origin, opts);
    server.on('request', (req, res) => void mock.handle(req, res));
    return mock;
  }

  /** Appends replies to the script; each answers one valid POST (FIFO). */
  enqueue(...replies: AnthropicReply[]): this {
    this.script.push(...replies);
    return this;
  }

  /** The reply used when the script is empty [500 api_error naming the test bug]. */
  setFallback(r: AnthropicReply): this {
    this.fallback = r;
    return this;
  }

  /** Scripted replies not used yet. */
  get pending(): number {
    return this.script.length;
  }

  /** A new signature (deterministic per mock, base64 like Anthropic's), recorded as issued. */
  issueSignature(): string {
    const s = Buffer.from(`${this.name} thinking signature #${++this.counter}`).toString('base64');
    this.issuedSignatures.add(s);
    return s;
  }

  /** A new id with a prefix (`msg_`, `toolu_`), unique within this mock. */
  nextId(prefix: string): string {
    return `${prefix}mock${(++this.counter).toString(36).padStart(6, '0')}`;
  }

  /** Resolves once `n` requests arrived. @throws (rejects) after `timeoutMs` [5000]. */
  waitForRequests(n: number, timeoutMs = 5_000): Promise<void> {
    return this.log.waitFor(n, timeoutMs, this.name);
  }

  /** Stops listening and destroys every open socket. */
  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rec = await recordRequest<AnthropicRequest>(req, res, this.origin, { problems: [] });
    const headers = rec.headers;
    this.log.add(rec);
    if (rec.aborted) return;
    const answer = (status: number, type: string, message: string) => {
      rec.status = status;
      sendError(res, status, type, message);
    };
    if (rec.method !== 'POST' || !rec.path.endsWith('/v1/messages')) return answer(404, 'not_found_error', `Not found: ${rec.method} ${rec.path}`);
    if (headers['x-api-key'] !== this.opts.apiKey) return answer(401, 'authentication_error', 'invalid x-api-key');
    if (!headers['anthropic-version']) return answer(400, 'invalid_request_error', 'anthropic-version: header is required');
    rec.problems = validateMessagesRequest(rec.body, { issued: this.issuedSignatures, strictAlternation: this.opts.strictAlternation });
    if (rec.problems.length) return answer(400, 'invalid_request_error', rec.problems[0]!);
    const reply = this.script.shift() ?? this.fallback;
    try {
      await reply(rec, res, this);
      rec.status ??= res.statusCode;
    } catch (e) {
      if (!res.headersSent) answer(500, 'api_error', `mock reply threw: ${String(e)}`);
      else res.destroy();
    }
  }
}


function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': `req_mock${Date.now().toString(36)}`, ...headers });
  res.end(text);
}

/** Anthropic's error body: `{"type": "error", "error": {"type", "message"}}`. */
export function anthropicErrorBody(type: string, message: string): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type, message } };
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, anthropicErrorBody(type, message), headers);
}

/* ================================================================================================
 * Replies
 * ============================================================================================== */

/** A content block the mock model answers with. */
export type MockBlock =
  | { type: 'text'; text: string }
  /** `signature` defaults to a newly issued one; `null` sends the block without a signature delta. */
  | { type: 'thinking'; thinking: string; signature?: string | null }
  /** `data` defaults to a newly issued opaque value. */
  | { type: 'redacted_thinking'; data?: string }
  /** `id` defaults to a new `toolu_…`. */
  | { type: 'tool_use'; id?: string; name: string; input: Record<string, unknown> };

/** Usage numbers in Anthropic's names (tokens). */
export interface MockUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** Options of {@link messageReply}. */
export interface MessageReplyOptions {
  /** `stop_reason` [`tool_use` when a tool_use block is present, else `end_turn`]. */
  stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';
  /** Usage to report [input estimated from the body size, output from the content size, cache 0]. */
  usage?: MockUsage;
  /** Characters per text/thinking delta, and per input_json delta [8]. */
  chunkSize?: number;
  /** Pause between SSE events in ms [0]. */
  delayMs?: number;
  /** Extra `ping` after every N events [none; one ping always follows message_start]. */
  pingEvery?: number;
  /** Streaming only: after this many events, send an `error` event of this type and end the stream. */
  streamError?: { afterEvents: number; type: string; message: string };
  /** Streaming only: destroy the connection after this many events (no message_stop). */
  cutAfterEvents?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function pieces(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length ? out : [''];
}

/** One SSE frame as Anthropic writes it (`event:` equal to the data's `type`). */
export function sseEvent(data: { type: string } & Record<string, unknown>): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Resolved blocks (ids and signatures filled in) and usage of an answer. */
function resolveAnswer(req: AnthropicRequest, mock: AnthropicMock, blocks: MockBlock[], opts: MessageReplyOptions) {
  const resolved = blocks.map((b) => {
    if (b.type === 'thinking') return { ...b, signature: b.signature === undefined ? mock.issueSignature() : b.signature };
    if (b.type === 'redacted_thinking') {
      if (b.data !== undefined) return b;
      const data = Buffer.from(`${mock.name} redacted #${mock.nextId('')}`).toString('base64');
      mock.issuedSignatures.add(data);
      return { ...b, data };
    }
    if (b.type === 'tool_use') return { ...b, id: b.id ?? mock.nextId('toolu_') };
    return b;
  });
  const outChars = resolved.reduce((n, b) => n + (b.type === 'text' ? b.text.length : b.type === 'thinking' ? b.thinking.length : b.type === 'tool_use' ? JSON.stringify(b.input).length : 0), 0);
  const usage: MockUsage = opts.usage ?? {
    input_tokens: Math.max(1, Math.ceil(JSON.stringify(req.body ?? '').length / 4)),
    output_tokens: Math.max(1, Math.ceil(outChars / 4)),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  const stopReason = opts.stopReason ?? (resolved.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  return { resolved, usage, stopReason };
}

/** The JSON content block of a resolved block. */
function jsonBlock(b: MockBlock): Record<string, unknown> {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: b.text };
    case 'thinking':
      return b.signature === null ? { type: 'thinking', thinking: b.thinking } : { type: 'thinking', thinking: b.thinking, signature: b.signature };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: b.data };
    case 'tool_use':
      return { type: 'tool_use', id: b.id, name: b.name, input: b.input };
  }
}

/**
 * The SSE frames of a streamed answer, exactly per Anthropic's contract (see the module comment).
 * Exported for tests that feed the decoder without a server.
 */
export function messageStreamFrames(model: string, id: string, blocks: MockBlock[], usage: MockUsage, stopReason: string, chunkSize = 8, pingEvery = 0): string[] {
  const frames: string[] = [];
  const startUsage = { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0, cache_read_input_tokens: usage.cache_read_input_tokens ?? 0, output_tokens: 1 };
  frames.push(sseEvent({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: startUsage } }));
  frames.push(sseEvent({ type: 'ping' }));
  blocks.forEach((b, index) => {
    switch (b.type) {
      case 'text':
        frames.push(sseEvent({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
        for (const t of pieces(b.text, chunkSize)) frames.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } }));
        break;
      case 'thinking':
        frames.push(sseEvent({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
        for (const t of pieces(b.thinking, chunkSize)) frames.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: t } }));
        if (b.signature) frames.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: b.signature } }));
        break;
      case 'redacted_thinking':
        frames.push(sseEvent({ type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: b.data } }));
        break;
      case 'tool_use': {
        frames.push(sseEvent({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } }));
        frames.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }));
        const json = JSON.stringify(b.input);
        if (json !== '{}') for (const t of pieces(json, chunkSize)) frames.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: t } }));
        break;
      }
    }
    frames.push(sseEvent({ type: 'content_block_stop', index }));
  });
  frames.push(
    sseEvent({
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0, cache_read_input_tokens: usage.cache_read_input_tokens ?? 0, output_tokens: usage.output_tokens },
    }),
  );
  frames.push(sseEvent({ type: 'message_stop' }));
  if (pingEvery > 0) {
    const out: string[] = [];
    frames.forEach((f, i) => {
      out.push(f);
      if (i > 1 && i < frames.length - 1 && i % pingEvery === 0) out.push(sseEvent({ type: 'ping' }));
    });
    return out;
  }
  return frames;
}

/**
 * Answers with these content blocks: SSE when the request streams, else one `message` JSON (Anthropic API
 * reference, "Messages": response, `type: "message"`, `content`, `stop_reason`, `usage`).
 */
export function messageReply(blocks: MockBlock[], opts: MessageReplyOptions = {}): AnthropicReply {
  return async (req, res, mock) => {
    const { resolved, usage, stopReason } = resolveAnswer(req, mock, blocks, opts);
    const id = mock.nextId('msg_');
    const model = String(req.body.model);
    if (req.body.stream !== true) {
      sendJson(res, 200, { id, type: 'message', role: 'assistant', model, content: resolved.map(jsonBlock), stop_reason: stopReason, stop_sequence: null, usage });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const frames = messageStreamFrames(model, id, resolved, usage, stopReason, opts.chunkSize ?? 8, opts.pingEvery ?? 0);
    for (let i = 0; i < frames.length; i++) {
      if (opts.streamError && i === opts.streamError.afterEvents) {
        await write(res, sseEvent({ type: 'error', error: { type: opts.streamError.type, message: opts.streamError.message } }));
        res.end();
        return;
      }
      if (opts.cutAfterEvents !== undefined && i === opts.cutAfterEvents) {
        await sleep(10);
        res.destroy();
        return;
      }
      if (!(await write(res, frames[i]!))) return;
      if (opts.delayMs) await sleep(opts.delayMs);
    }
    res.end();
  };
}

async function write(res: http.ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
  return !res.destroyed;
}

/** A text answer (`end_turn` unless `opts.stopReason` says otherwise). */
export function textReply(text: string, opts: MessageReplyOptions = {}): AnthropicReply {
  return messageReply([{ type: 'text', text }], opts);
}

/** A tool-use answer: optional text first, then the calls (`stop_reason: tool_use`). */
export function toolUseReply(calls: { id?: string; name: string; input: Record<string, unknown> }[], opts: MessageReplyOptions & { text?: string; thinking?: string } = {}): AnthropicReply {
  const blocks: MockBlock[] = [];
  if (opts.thinking) blocks.push({ type: 'thinking', thinking: opts.thinking });
  if (opts.text) blocks.push({ type: 'text', text: opts.text });
  for (const c of calls) blocks.push({ type: 'tool_use', ...c });
  return messageReply(blocks, { stopReason: 'tool_use', ...opts });
}

/** An error answer in Anthropic's shape with this status and error type. */
export function errorReply(status: number, type: string, message: string, headers: Record<string, string> = {}): AnthropicReply {
  return (_req, res) => sendError(res, status, type, message, headers);
}

/** 429 `rate_limit_error` with `retry-after` (seconds) [1]. */
export function rateLimitReply(retryAfterSeconds = 1): AnthropicReply {
  return errorReply(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit (mock).', { 'retry-after': String(retryAfterSeconds) });
}

/** 529 `overloaded_error`. */
export function overloadedReply(): AnthropicReply {
  return errorReply(529, 'overloaded_error', 'Overloaded');
}

/** 400 `invalid_request_error` "prompt is too long: N tokens > M maximum". */
export function promptTooLongReply(tokens = 210_000, max = 200_000): AnthropicReply {
  return errorReply(400, 'invalid_request_error', `prompt is too long: ${tokens} tokens > ${max} maximum`);
}

/* ================================================================================================
 * Fault-mock codec (test/helpers/fault-upstream.ts WIRES.messages)
 * ============================================================================================== */

/**
 * Anthropic error type of each HTTP status (Anthropic API reference, "Errors": 400
 * `invalid_request_error`, 401 `authentication_error`, 403 `permission_error`, 404 `not_found_error`, 413
 * `request_too_large`, 429 `rate_limit_error`, 500 `api_error`, 504 `timeout_error`, 529
 * `overloaded_error`). 502 and 503 are not Anthropic statuses (a proxy in front of it sends them); they get
 * `api_error` and `overloaded_error`.
 */
const ERROR_TYPE_BY_STATUS: Readonly<Record<number, [type: string, message: string]>> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource'],
  404: ['not_found_error', 'Not found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
  500: ['api_error', 'Internal server error'],
  502: ['api_error', 'Bad gateway'],
  503: ['overloaded_error', 'Service unavailable'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

/**
 * The Anthropic Messages wire in the fault mock's codec shape ({@link WireCodec}): endpoint `/messages`, a
 * `message` JSON (its content in `content`), a text stream whose `terminalFrom` is the `message_delta`
 * (so a prefix never carries a stop reason, and `no_terminal` ends without `message_delta` and
 * `message_stop`), an `event: error` frame (`api_error`), a `text_delta` frame whose data is not JSON,
 * status errors and 2xx error objects in Anthropic's shape ({@link anthropicErrorBody}), and Anthropic's
 * key check (`x-api-key`, 401 `authentication_error`; no `anthropic-version`: 400).
 */
export const MESSAGES_FAULT_CODEC: WireCodec & { wire: 'messages' } = {
  wire: 'messages',
  endpoint: '/messages',
  json(req: RecordedRequest, text: string) {
    return {
      id: `msg_fault${Date.now().toString(36)}`,
      type: 'message',
      role: 'assistant',
      model: typeof req.body?.model === 'string' ? req.body.model : 'mock-model',
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: Math.max(1, Math.ceil(text.length / 4)), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
  },
  stream(req: RecordedRequest, text: string, chunkSize: number): StreamPlan {
    const model = typeof req.body?.model === 'string' ? req.body.model : 'mock-model';
    const frames = messageStreamFrames(model, `msg_fault${Date.now().toString(36)}`, [{ type: 'text', text }], { input_tokens: 5, output_tokens: 3 }, 'end_turn', chunkSize);
    const parts = pieces(text, chunkSize);
    // frames: message_start, ping, block start, deltas..., block stop, message_delta, message_stop
    const texts = frames.map((_, i) => (i >= 3 && i < 3 + parts.length ? parts[i - 3]! : ''));
    return { frames, texts, terminalFrom: frames.length - 2, firstTextFrame: 3 };
  },
  errorFrame(message: string) {
    return sseEvent({ type: 'error', error: { type: 'api_error', message } });
  },
  afterError: [],
  malformedFrame: `event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": oops}}\n\n`,
  answerField: 'content',
  statusError(status: number, note: string) {
    const [type, message] = ERROR_TYPE_BY_STATUS[status] ?? ['api_error', 'Upstream error'];
    return anthropicErrorBody(type, `${message} (mock upstream, HTTP ${status})${note}.`);
  },
  errorObject(message: string) {
    return anthropicErrorBody('api_error', message);
  },
  rejectAuth(req: RecordedRequest, key: string) {
    if (req.headers['x-api-key'] !== key) return { status: 401, body: anthropicErrorBody('authentication_error', 'invalid x-api-key') };
    if (!req.headers['anthropic-version']) return { status: 400, body: anthropicErrorBody('invalid_request_error', 'anthropic-version: header is required') };
    return null;
  },
};
