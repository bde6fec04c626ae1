/**
 * Shared scaffolding of the bench unit tests (not a test file itself: mocha runs `*.test.ts` only).
 */
import type { StreamCost } from '../lib/translate-cost';

/**
 * A made-up cell of a micro-benchmark stream table for the report tests: `us` CPU µs per event (median,
 * min, max and wall alike); the parts (1 + 0.5 + 0.5 µs) only on 100-event cells, NaN otherwise, as when
 * `breakdownFor` skips a cell.
 * @param extraFrames upstream frames besides the delta events (Chat: 3; Messages: 6).
 */
export function costCell(kind: StreamCost['kind'], deltaChars: number, events: number, us: number, extraFrames: number): StreamCost {
  const parts = events === 100;
  return {
    kind,
    deltaChars,
    events,
    frames: events + extraFrames,
    upstreamBytes: 1,
    outEvents: events + 8,
    outChars: 1,
    usPerEvent: us,
    minUsPerEvent: us,
    maxUsPerEvent: us,
    wallUsPerEvent: us,
    parseUs: parts ? 1 : NaN,
    translateUs: parts ? 0.5 : NaN,
    encodeUs: parts ? 0.5 : NaN,
  };
}
