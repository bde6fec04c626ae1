/**
 * The ChatGPT plan's usage as the backend reports it, kept in gateway state for the panel and the status
 * bar. Sources (openai/codex `codex-rs`, its rate-limit header parsing and usage-limit error handling):
 * - Every answer may carry `x-codex-primary-used-percent` (a float 0..100), `x-codex-primary-window-minutes`,
 *   `x-codex-primary-reset-at` (unix seconds) or `x-codex-primary-reset-after-seconds`, and the same for
 *   `secondary` (the primary window is the short one, e.g. 5 h; the secondary the weekly one).
 * - A plan whose limit is reached answers 429 with `{"error": {"type": "usage_limit_reached", "plan_type",
 *   "resets_at": <unix s>, "resets_in_seconds": <s>}}` (upstream.ts turns it into a rate-limit failure whose
 *   Retry-After is the reset time; the router cools the deployment down until then).
 */
import { MAX_RATE_LIMIT_COOLDOWN_MS } from '../router/router';

/** One usage window of the plan. */
export interface PlanWindow {
  /** Share of the window's allowance used, percent (0..100). */
  usedPercent: number;
  /** Length of the window in minutes (300 = 5 h, 10080 = a week), when reported. */
  windowMinutes?: number;
  /** When the window resets, epoch ms, when reported. */
  resetsAt?: number;
}

/** What the gateway knows of the plan's usage (all times epoch ms). */
export interface PlanUsage {
  /** The short window (Codex's "5h limit"), when the backend reported it. */
  primary?: PlanWindow;
  /** The long window (Codex's "weekly limit"), when the backend reported it. */
  secondary?: PlanWindow;
  /** When the last report (headers or a limit answer) arrived. */
  observedAt: number;
  /** Set while the plan's limit is reached: when it resets (the deployment cools down until then). */
  limitResetsAt?: number;
}

function headerString(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

function headerNumber(h: Record<string, string | string[] | undefined>, name: string): number | undefined {
  const s = headerString(h, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** One window from the `x-codex-<which>-*` headers, or undefined when its used percent is absent. */
function windowOf(h: Record<string, string | string[] | undefined>, which: 'primary' | 'secondary', now: number): PlanWindow | undefined {
  const used = headerNumber(h, `x-codex-${which}-used-percent`);
  if (used === undefined) return undefined;
  const w: PlanWindow = { usedPercent: Math.min(100, Math.max(0, used)) };
  const minutes = headerNumber(h, `x-codex-${which}-window-minutes`);
  if (minutes !== undefined && minutes > 0) w.windowMinutes = Math.round(minutes);
  const at = headerNumber(h, `x-codex-${which}-reset-at`);
  const after = headerNumber(h, `x-codex-${which}-reset-after-seconds`);
  // Codex reads reset-at as unix seconds (values past 1e10 as ms).
  if (at !== undefined && at > 0) w.resetsAt = at < 1e10 ? at * 1000 : at;
  else if (after !== undefined && after >= 0) w.resetsAt = now + after * 1000;
  return w;
}

/**
 * The plan's usage windows from an answer's headers (lower-case names, as undici gives them).
 * @returns undefined when the answer reports no window.
 */
export function planWindowsFromHeaders(h: Record<string, string | string[] | undefined>, now: number): Pick<PlanUsage, 'primary' | 'secondary'> | undefined {
  const primary = windowOf(h, 'primary', now);
  const secondary = windowOf(h, 'secondary', now);
  if (!primary && !secondary) return undefined;
  return { ...(primary ? { primary } : {}), ...(secondary ? { secondary } : {}) };
}

/** The plan's usage state of one gateway (one account: the user's own sign-in). */
export class PlanUsageState {
  private current: PlanUsage | undefined;
  private readonly listeners = new Set<(u: PlanUsage) => void>();

  /** @param now the clock (epoch ms). */
  constructor(private readonly now: () => number = Date.now) {}

  /** The latest snapshot, or undefined before the backend reported anything. A reset in the past is cleared. */
  get(): PlanUsage | undefined {
    const u = this.current;
    if (u?.limitResetsAt !== undefined && u.limitResetsAt <= this.now()) {
      const { limitResetsAt: _gone, ...rest } = u;
      this.current = rest;
    }
    return this.current;
  }

  /** Calls `fn` with every new snapshot; returns the unsubscribe function. */
  onChange(fn: (u: PlanUsage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Records the windows an answer's headers report (no-op when they report none). */
  observeHeaders(h: Record<string, string | string[] | undefined>): void {
    const now = this.now();
    const w = planWindowsFromHeaders(h, now);
    if (!w) return;
    const prev = this.get();
    const next: PlanUsage = { ...prev, ...w, observedAt: now };
    // A successful answer means the plan serves again.
    delete next.limitResetsAt;
    this.set(next);
  }

  /**
   * Records that the plan's limit is reached.
   * @param resetInMs time until the reset, in ms (undefined when the backend gave none: then the router's
   *   default usage-limit cooldown, MAX_RATE_LIMIT_COOLDOWN_MS, as the router applies it).
   * @param headers the limit answer's headers: the usage windows they report (e.g. 100% used) replace the
   *   last successful answer's, so the tooltip does not show stale "left" figures under the limit.
   */
  limitReached(resetInMs: number | undefined, headers?: Record<string, string | string[] | undefined>): void {
    const now = this.now();
    const prev = this.get();
    const windows = headers ? planWindowsFromHeaders(headers, now) : undefined;
    const next: PlanUsage = { ...prev, ...windows, observedAt: now };
    // No reset named: the router cools the plan down for MAX_RATE_LIMIT_COOLDOWN_MS, so the panel says the same.
    next.limitResetsAt = now + (resetInMs !== undefined && resetInMs >= 0 ? resetInMs : MAX_RATE_LIMIT_COOLDOWN_MS);
    this.set(next);
  }

  private set(u: PlanUsage): void {
    this.current = u;
    for (const fn of this.listeners) {
      try {
        fn(u);
      } catch {
        // A listener must never break a request.
      }
    }
  }
}
