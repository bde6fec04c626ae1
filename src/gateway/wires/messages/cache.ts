/**
 * Prompt-cache breakpoints for Anthropic Messages requests (Anthropic docs, "Prompt caching").
 *
 * Anthropic caches the request prefix up to a block marked `cache_control: {type: "ephemeral"}`, in render
 * order tools -> system -> messages; at most {@link MAX_CACHE_BREAKPOINTS} blocks may carry one, a
 * breakpoint with `ttl: "1h"` must come before every 5-minute one, and `thinking` / `redacted_thinking`
 * blocks cannot carry one. Prefixes shorter than the model's minimum (1024-4096 tokens) are simply not
 * cached (no error).
 *
 * Default placement (on unless configured otherwise), 4 breakpoints at most:
 * 1. the last tool (the tool list rarely changes within a session);
 * 2. the system block carrying the client's instructions;
 * 3. + 4. the last block of the last two `user` turns: the last one writes the conversation so far, the
 *    one before it reads what the previous request wrote (the previous request's last user turn).
 *
 * Configuration: LiteLLM's `litellm_params.cache_control_injection_points` (LiteLLM docs, "Auto-Inject
 * Prompt Caching Checkpoints"), a list replacing the default; `[]` turns caching off:
 * - `{location: "message", role: "system"}`: the system block;
 * - `{location: "message", role: "user" | "assistant"}`: every turn of that role, earliest first, until
 *   the limit of 4 is reached (LiteLLM's semantics);
 * - `{location: "message", index: N}`: the turn at index N of the Anthropic `messages` array (after the
 *   system prompt was taken out and consecutive same-role turns merged); a negative N counts from the end
 *   (`-1` is the last turn). LiteLLM counts OpenAI messages, including a leading system message; negative
 *   indexes mean the same in both;
 * - `{location: "tool_config"}`: the last tool (LiteLLM uses it for Bedrock's tool config);
 * - `control` (optional, every location): the `cache_control` object, `{type: "ephemeral", ttl?: "5m" | "1h"}`.
 * Points are applied in order; a block already marked is skipped; application stops at 4.
 */
import type { MessagesCacheControl, MessagesMessage, MessagesTextBlock, MessagesTool } from './types';
import { isObject } from '../../translate/safe';

/** Anthropic's limit of blocks with `cache_control` per request (docs, "Prompt caching": "up to 4 cache breakpoints"). */
export const MAX_CACHE_BREAKPOINTS = 4;

/** One parsed injection point (see the module comment for the semantics). */
export type CacheInjectionPoint =
  | { location: 'tool_config'; control: MessagesCacheControl }
  | { location: 'message'; role: 'system' | 'user' | 'assistant'; control: MessagesCacheControl }
  | { location: 'message'; index: number; control: MessagesCacheControl };

/** The request parts breakpoints are placed on (mutated in place). */
export interface CacheTargets {
  tools: MessagesTool[];
  /** The system blocks; `systemIndex` names the one carrying the client's instructions (-1: none). */
  system: MessagesTextBlock[];
  systemIndex: number;
  messages: MessagesMessage[];
}

/**
 * Parses `cache_control_injection_points` as written in a deployment's `litellm_params`.
 * @param v the configured value.
 * @returns the valid points (in order) and one problem text per invalid entry (e.g.
 *   `[1]: role must be system, user or assistant`), for a config warning or the debug log.
 */
export function parseCacheInjectionPoints(v: unknown): { points: CacheInjectionPoint[]; problems: string[] } {
  const points: CacheInjectionPoint[] = [];
  const problems: string[] = [];
  if (!Array.isArray(v)) return { points, problems: ['must be a list of injection points'] };
  v.forEach((p, i) => {
    if (!isObject(p)) return void problems.push(`[${i}]: must be an object with a "location"`);
    let control: MessagesCacheControl = { type: 'ephemeral' };
    if (p.control !== undefined && p.control !== null) {
      const c = p.control;
      if (!isObject(c) || c.type !== 'ephemeral') return void problems.push(`[${i}].control: must be {type: "ephemeral", ttl?: "5m" | "1h"}`);
      if (c.ttl !== undefined && c.ttl !== '5m' && c.ttl !== '1h') return void problems.push(`[${i}].control.ttl: must be "5m" or "1h"`);
      control = c.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: c.ttl };
    }
    if (p.location === 'tool_config') return void points.push({ location: 'tool_config', control });
    if (p.location !== 'message') return void problems.push(`[${i}].location: must be "message" or "tool_config"`);
    if (p.index !== undefined && p.index !== null) {
      const n = typeof p.index === 'string' && /^-?\d+$/.test(p.index.trim()) ? Number(p.index) : p.index;
      if (typeof n !== 'number' || !Number.isInteger(n)) return void problems.push(`[${i}].index: must be a whole number (negative counts from the end)`);
      return void points.push({ location: 'message', index: n, control });
    }
    if (p.role === 'system' || p.role === 'user' || p.role === 'assistant') return void points.push({ location: 'message', role: p.role, control });
    problems.push(`[${i}]: a "message" point needs "role" (system, user or assistant) or "index"`);
  });
  return { points, problems };
}

type Markable = { cache_control?: MessagesCacheControl; type?: string };

/** The last block of a turn that may carry `cache_control` (not thinking), or undefined. */
function lastMarkable(m: MessagesMessage): Markable | undefined {
  const c = m.content as Markable[];
  for (let i = c.length - 1; i >= 0; i--) {
    const b = c[i]!;
    if (b.type !== 'thinking' && b.type !== 'redacted_thinking') return b;
  }
  return undefined;
}

function countMarks(t: CacheTargets): number {
  let n = 0;
  for (const x of t.tools) if (x.cache_control) n++;
  for (const x of t.system) if (x.cache_control) n++;
  for (const m of t.messages) {
    for (const b of m.content as Markable[]) {
      if (b.cache_control) n++;
      if (b.type === 'tool_result') for (const c of ((b as { content?: Markable[] }).content ?? [])) if (c.cache_control) n++;
    }
  }
  return n;
}

/**
 * Places breakpoints on `t` (in place): the default placement when `points` is undefined, else the
 * configured points (see the module comment). Never exceeds {@link MAX_CACHE_BREAKPOINTS} in total
 * (breakpoints already present count), and makes the TTL order valid: a `1h` breakpoint after a 5-minute
 * one is downgraded to 5 minutes.
 * @returns the number of breakpoints placed by this call, and notes for the debug log
 *   (`cache_control:limit`, `cache_control:ttl`).
 */
export function placeCacheBreakpoints(t: CacheTargets, points: CacheInjectionPoint[] | undefined): { placed: number; notes: string[] } {
  const notes: string[] = [];
  let used = countMarks(t);
  let placed = 0;
  const mark = (b: Markable | undefined, control: MessagesCacheControl): boolean => {
    if (!b || b.cache_control) return false;
    if (used >= MAX_CACHE_BREAKPOINTS) {
      if (!notes.includes('cache_control:limit')) notes.push('cache_control:limit');
      return false;
    }
    b.cache_control = { ...control };
    used++;
    placed++;
    return true;
  };
  const eph: MessagesCacheControl = { type: 'ephemeral' };
  if (points === undefined) {
    mark(t.tools[t.tools.length - 1], eph);
    if (t.systemIndex >= 0) mark(t.system[t.systemIndex], eph);
    const users: MessagesMessage[] = [];
    for (let i = t.messages.length - 1; i >= 0 && users.length < 2; i--) if (t.messages[i]!.role === 'user') users.push(t.messages[i]!);
    for (const m of users.reverse()) mark(lastMarkable(m), eph);
  } else {
    for (const p of points) {
      if (p.location === 'tool_config') mark(t.tools[t.tools.length - 1], p.control);
      else if ('index' in p) {
        const i = p.index < 0 ? t.messages.length + p.index : p.index;
        if (i >= 0 && i < t.messages.length) mark(lastMarkable(t.messages[i]!), p.control);
      } else if (p.role === 'system') {
        if (t.systemIndex >= 0) mark(t.system[t.systemIndex], p.control);
      } else {
        for (const m of t.messages) if (m.role === p.role) mark(lastMarkable(m), p.control);
      }
    }
  }
  // TTL order (render order tools -> system -> messages): no 1h breakpoint after a 5-minute one.
  let seenShort = false;
  const fix = (b: Markable) => {
    const c = b.cache_control;
    if (!c) return;
    if (c.ttl === '1h') {
      if (seenShort) {
        delete c.ttl;
        if (!notes.includes('cache_control:ttl')) notes.push('cache_control:ttl');
      }
    } else seenShort = true;
  };
  for (const x of t.tools) fix(x);
  for (const x of t.system) fix(x);
  for (const m of t.messages) {
    for (const b of m.content as Markable[]) {
      if (b.type === 'tool_result') for (const c of ((b as { content?: Markable[] }).content ?? [])) fix(c);
      fix(b);
    }
  }
  return { placed, notes };
}
