/**
 * What VS Code shows about the user's ChatGPT plan (`chatgpt/<model>` deployments, docs/chatgpt.md), as pure
 * functions of the plan's usage state the gateway keeps (src/gateway/chatgpt/usage.ts; `GET /v1/health`
 * `chatgpt_plan.usage`): the status bar tooltip's lines, the panel's one-line summary, and whether to notify
 * that a fallback took over because the plan's limit is reached (once per limit window). No `vscode` import.
 */
import type { PlanUsage, PlanWindow } from '../gateway/chatgpt/usage';

/** `in 2 h 5 min`, `in 40 min`, `in 30 s`, or `now` for a time in the past (times epoch ms). */
export function fmtIn(at: number, now: number): string {
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return 'now';
  if (s < 120) return `in ${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `in ${m} min`;
  const h = Math.floor(m / 60);
  return h < 48 ? `in ${h} h ${m % 60} min` : `in ${Math.round(h / 24)} days`;
}

/** `5 h window` / `weekly window` / `window` from a window length in minutes. */
function windowName(w: PlanWindow, fallback: string): string {
  if (w.windowMinutes === undefined) return fallback;
  if (w.windowMinutes === 10_080) return 'weekly';
  if (w.windowMinutes % 60 === 0) return `${w.windowMinutes / 60} h`;
  return `${w.windowMinutes} min`;
}

/** One window as text: `5 h: 40% used, resets in 2 h 5 min`. */
function windowText(w: PlanWindow, fallback: string, now: number): string {
  const left = `${Math.round(w.usedPercent)}% used`;
  return `${windowName(w, fallback)}: ${left}${w.resetsAt !== undefined ? `, resets ${fmtIn(w.resetsAt, now)}` : ''}`;
}

/**
 * The tooltip's Markdown lines about the plan (empty when the backend reported nothing yet).
 * @param now epoch ms.
 */
export function planUsageLines(u: PlanUsage | undefined, now: number): string[] {
  if (!u) return [];
  const parts: string[] = [];
  if (u.primary) parts.push(windowText(u.primary, 'short window', now));
  if (u.secondary) parts.push(windowText(u.secondary, 'long window', now));
  const lines: string[] = [];
  if (u.limitResetsAt !== undefined && u.limitResetsAt > now) {
    lines.push(`$(warning) ChatGPT plan: usage limit reached, fallbacks serve until it resets ${fmtIn(u.limitResetsAt, now)}`);
  }
  if (parts.length) lines.push(`ChatGPT plan: ${parts.join(' · ')}`);
  return lines;
}

/**
 * Whether to show "the plan's limit is reached, a fallback serves" now: a request was served by a fallback
 * while the plan's limit is reached, and no notification was shown for this limit window yet.
 * @param notifiedFor the `limitResetsAt` the last notification was shown for (undefined: none yet).
 * @returns the message to show and the window it is for, or undefined.
 */
export function planLimitNotice(u: PlanUsage | undefined, fallbackServed: { alias: string; fallbackFrom: string } | undefined, notifiedFor: number | undefined, now: number): { message: string; window: number } | undefined {
  if (!u || u.limitResetsAt === undefined || u.limitResetsAt <= now || !fallbackServed) return undefined;
  // One limit window = one reset time; a re-report of the same reset (within a minute) is the same window.
  if (notifiedFor !== undefined && Math.abs(notifiedFor - u.limitResetsAt) < 60_000) return undefined;
  return {
    window: u.limitResetsAt,
    message: `Your ChatGPT plan's usage limit is reached: '${fallbackServed.alias}' serves '${fallbackServed.fallbackFrom}' until the plan resets ${fmtIn(u.limitResetsAt, now)}.`,
  };
}
