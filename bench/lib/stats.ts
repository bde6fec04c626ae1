/** Small statistics helpers for the bench (pure functions, no I/O). */

/**
 * The q-th percentile (0..100) of `values` by the nearest-rank method (the smallest value such that at
 * least q% of the samples are <= it). Units are those of the input. Returns NaN for an empty input.
 * Does not modify `values`.
 */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((q / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** Median (50th percentile, nearest rank) of `values`; NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Formats a number of milliseconds with a fixed number of decimals (3 by default); `-` for NaN/undefined. */
export function ms(v: number | undefined, digits = 3): string {
  return v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);
}

/** Formats a signed delta in milliseconds (`+0.123`); `-` for NaN/undefined. */
export function deltaMs(v: number | undefined, digits = 3): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
}
