/**
 * Identifiers the translator mints for Responses objects: `resp_…` (response), `msg_…` (message item),
 * `rs_…` (reasoning item), `fc_…` (function_call item), `ctc_…` (custom_tool_call item), `tsc_…`
 * (tool_search_call item) and `call_…` (a call id, only when the upstream sent none). The prefixes follow
 * the OpenAI Responses API's own ids. Codex only needs them to be unique strings.
 */
import { randomBytes } from 'node:crypto';

/** Item-id prefixes the translator uses. */
export type IdPrefix = 'resp' | 'msg' | 'rs' | 'fc' | 'ctc' | 'tsc' | 'call';

/**
 * Mints one id for a prefix, e.g. `fc` -> `fc_5f0c…`. Inject a deterministic one (see
 * {@link sequentialIds}) in tests.
 */
export type IdGenerator = (prefix: IdPrefix) => string;

// Random ids come from a pooled buffer: one randomBytes() call per 256 ids instead of one per id.
const POOL_IDS = 256;
const ID_BYTES = 12;
let pool = Buffer.alloc(0);
let poolPos = 0;

function randomHex(): string {
  if (poolPos >= pool.length) {
    pool = randomBytes(POOL_IDS * ID_BYTES);
    poolPos = 0;
  }
  const hex = pool.toString('hex', poolPos, poolPos + ID_BYTES);
  poolPos += ID_BYTES;
  return hex;
}

/** The default generator: `<prefix>_` + 24 random hex characters (96 bits). */
export const randomIds: IdGenerator = (prefix) => `${prefix}_${randomHex()}`;

/** A new response id, `resp_` + 24 random hex characters. */
export function newResponseId(): string {
  return randomIds('resp');
}

/**
 * A deterministic generator for tests and golden files: `<prefix>_1`, `<prefix>_2`, … counted per
 * prefix, so the same sequence of requests always yields the same ids.
 */
export function sequentialIds(): IdGenerator {
  const counters = new Map<string, number>();
  return (prefix) => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    return `${prefix}_${n}`;
  };
}
