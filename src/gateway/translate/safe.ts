/**
 * Total helpers for values of unknown shape (client requests the checker has not seen, upstream answers):
 * they never throw, unlike `String(v)` (throws for `{"toString": 1}`, and recurses through nested arrays)
 * or `JSON.stringify(v)` (throws RangeError past about 10,000 nesting levels, which `JSON.parse` accepts).
 */
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../request-check';

/** True for a plain JSON object (not null, not an array): the shape of a request or answer member. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A short label for a `type` (or similar) value, for `dropped` lists and messages: the string itself, or
 * `null`, `undefined`, `array`, `object`, or the number/boolean as text.
 */
export function typeLabel(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return String(v); // number, boolean, undefined: never throws
}

/**
 * `JSON.stringify(v)`, or undefined when `v` nests deeper than MAX_JSON_DEPTH (128) levels (where
 * stringify could overflow the stack) or cannot be serialised at all.
 */
export function jsonText(v: unknown): string | undefined {
  if (jsonDepthExceeds(v, MAX_JSON_DEPTH)) return undefined;
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}
