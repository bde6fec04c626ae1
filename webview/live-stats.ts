/**
 * The live view's numbers: per alias, over the last N minutes of finished gateway requests, the request and error
 * counts, the median latency, tokens in and out, and which deployment or fallback served. Pure functions.
 */
import type { TimedRequestRecord } from '../src/shared/panel-protocol';

/**
 * The p-th percentile by the nearest-rank method: the smallest value with at least p% of the values at or below
 * it (`sorted[ceil(p/100 * n) - 1]`). Never interpolates, so it is always a latency that really happened.
 * @param values any order; not changed.
 * @param p percentile in (0, 100].
 * @returns undefined for no values.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** The median (p50, nearest rank) of `values` in their unit; undefined for none. */
export function p50(values: readonly number[]): number | undefined {
  return percentile(values, 50);
}

/** Who answered, and how often. */
export interface ServedBy {
  /** `deployment id`, or `fallback <alias> (<deployment>)` when a fallback alias answered. */
  label: string;
  count: number;
  /** True when this row counts answers by a fallback alias. */
  fallback: boolean;
}

/** The live numbers of one alias (the alias the client asked for). */
export interface AliasStats {
  alias: string;
  /** Finished requests in the window. */
  requests: number;
  /** Of those, failed ones (HTTP status >= 400, or an error after the stream started). */
  errors: number;
  /** Median total latency in ms; undefined without requests. */
  p50Ms?: number;
  /** Sum of input tokens the upstreams reported. */
  tokensIn: number;
  /** Sum of output tokens the upstreams reported. */
  tokensOut: number;
  /** Deployments / fallbacks that served, most frequent first. */
  servedBy: ServedBy[];
  /** The newest error message in the window. */
  lastError?: string;
}

/** Whether a record counts as an error. */
export function isError(r: TimedRequestRecord): boolean {
  return r.status >= 400 || Boolean(r.error);
}

/**
 * Aggregates records per requested alias (`fallbackFrom` when a fallback served, else `alias`: the router logs the
 * serving alias and names the original in `fallbackFrom`).
 * @param records finished requests, any order.
 * @param now current time in ms since the epoch.
 * @param windowMs only records with `at > now - windowMs` count.
 * @param aliases aliases to list even without requests (the config's), in this order; others follow by name.
 */
export function liveStats(records: readonly TimedRequestRecord[], now: number, windowMs: number, aliases: readonly string[] = []): AliasStats[] {
  const since = now - windowMs;
  const acc = new Map<string, { latencies: number[]; errors: number; tokensIn: number; tokensOut: number; served: Map<string, ServedBy>; lastError?: { at: number; text: string } }>();
  const slot = (alias: string) => {
    let s = acc.get(alias);
    if (!s) acc.set(alias, (s = { latencies: [], errors: 0, tokensIn: 0, tokensOut: 0, served: new Map() }));
    return s;
  };
  for (const a of aliases) slot(a);
  for (const r of records) {
    if (!(r.at > since) || r.at > now + 60_000) continue;
    const asked = r.fallbackFrom ?? r.alias;
    const s = slot(asked);
    s.latencies.push(r.latencyMs);
    s.tokensIn += r.inputTokens ?? 0;
    s.tokensOut += r.outputTokens ?? 0;
    if (isError(r)) {
      s.errors++;
      const text = r.error ?? `HTTP ${r.status}`;
      if (!s.lastError || r.at >= s.lastError.at) s.lastError = { at: r.at, text };
    } else {
      const fallback = r.fallbackFrom !== undefined && r.fallbackFrom !== r.alias;
      const label = fallback ? `fallback ${r.alias} (${r.deployment ?? '?'})` : (r.deployment ?? r.alias);
      const sb = s.served.get(label) ?? { label, count: 0, fallback };
      sb.count++;
      s.served.set(label, sb);
    }
  }
  const order = [...aliases, ...[...acc.keys()].filter((a) => !aliases.includes(a)).sort()];
  return order.map((alias) => {
    const s = acc.get(alias)!;
    const st: AliasStats = {
      alias,
      requests: s.latencies.length,
      errors: s.errors,
      tokensIn: s.tokensIn,
      tokensOut: s.tokensOut,
      servedBy: [...s.served.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
    };
    const m = p50(s.latencies);
    if (m !== undefined) st.p50Ms = m;
    if (s.lastError) st.lastError = s.lastError.text;
    return st;
  });
}

/**
 * Keeps the records of the window only, and at most `max` of the newest (the live view's memory bound).
 * @returns a new array, oldest first.
 */
export function pruneRecords(records: readonly TimedRequestRecord[], now: number, windowMs: number, max = 5000): TimedRequestRecord[] {
  const kept = records.filter((r) => r.at > now - windowMs);
  kept.sort((a, b) => a.at - b.at);
  return kept.length > max ? kept.slice(kept.length - max) : kept;
}
