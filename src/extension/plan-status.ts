/**
 * What VS Code shows about the user's ChatGPT plan (`chatgpt/<model>` deployments, docs/chatgpt.md), as pure
 * functions of the plan's usage state the gateway keeps (src/gateway/chatgpt/usage.ts; `GET /v1/health`
 * `chatgpt_plan.usage`, and the worker's `planUsage` message): the status bar tooltip's lines, the panel's
 * summary, which finished request shows a fallback serving instead of the plan, and whether to notify that a
 * fallback took over because the plan's limit is reached (once per limit window). No `vscode` import and no DOM:
 * the webview imports it too.
 *
 * Times are shown as local clock times (`14:05`, `Mon 09:00`) rather than "in 2 h": the tooltip and the panel are
 * re-rendered only when something changes, and a clock time stays right in between.
 */
import type { PlanUsage, PlanWindow } from '../gateway/chatgpt/usage';
import { providerFor } from '../gateway/config/providers';
import type { RequestLogRecord } from '../gateway/log';
import type { Deployment } from '../gateway/types';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A time as a local clock time (the time zone of the process that formats it): `14:05` on the same day as `now`,
 * `Mon 09:00` within the next 6 days, `2025-06-03 09:00` further away (or in the past on another day).
 * @param at epoch ms. @param now epoch ms.
 */
export function fmtClock(at: number, now: number): string {
  const d = new Date(at);
  const n = new Date(now);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  if (sameDay) return hm;
  if (at > now && at - now < 6 * 86_400_000) return `${WEEKDAYS[d.getDay()]} ${hm}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}`;
}

/** `5 h` / `weekly` / `90 min` from a window length in minutes, or `fallback` when the backend gave none. */
function windowName(w: PlanWindow, fallback: string): string {
  if (w.windowMinutes === undefined) return fallback;
  if (w.windowMinutes === 10_080) return 'weekly';
  if (w.windowMinutes % 60 === 0) return `${w.windowMinutes / 60} h`;
  return `${w.windowMinutes} min`;
}

/** One window as text: `5 h: 60% left, resets 14:05` (a reset in the past is left out). */
function windowText(w: PlanWindow, fallback: string, now: number): string {
  const left = `${Math.round(100 - w.usedPercent)}% left`;
  return `${windowName(w, fallback)}: ${left}${w.resetsAt !== undefined && w.resetsAt > now ? `, resets ${fmtClock(w.resetsAt, now)}` : ''}`;
}

/** The plan's state as words, for the tooltip and the panel. */
export interface PlanUsageView {
  /** Set while the limit is reached: when it resets, as a clock time (`14:05`). */
  limitUntil?: string;
  /** One text per reported window: `5 h: 60% left, resets 14:05`, then `weekly: 97% left, resets Mon 09:00`. */
  windows: string[];
}

/**
 * The plan's usage as words, or undefined when the backend reported nothing yet.
 * @param now epoch ms (a limit whose reset has passed is not shown).
 */
export function planUsageView(u: PlanUsage | undefined, now: number): PlanUsageView | undefined {
  if (!u) return undefined;
  const windows: string[] = [];
  if (u.primary) windows.push(windowText(u.primary, 'short window', now));
  if (u.secondary) windows.push(windowText(u.secondary, 'long window', now));
  const v: PlanUsageView = { windows };
  if (u.limitResetsAt !== undefined && u.limitResetsAt > now) v.limitUntil = fmtClock(u.limitResetsAt, now);
  return v.limitUntil === undefined && windows.length === 0 ? undefined : v;
}

/**
 * The tooltip's Markdown lines about the plan (empty when the backend reported nothing yet).
 * @param now epoch ms.
 */
export function planUsageLines(u: PlanUsage | undefined, now: number): string[] {
  const v = planUsageView(u, now);
  if (!v) return [];
  const lines: string[] = [];
  if (v.limitUntil !== undefined) lines.push(`$(warning) ChatGPT plan: usage limit reached until ${v.limitUntil}; fallbacks serve until then`);
  if (v.windows.length) lines.push(`ChatGPT plan: ${v.windows.join(' · ')}`);
  return lines;
}

/** Which aliases and deployments of the config in force are on the plan (`chatgpt/<model>` deployments). */
export interface PlanTargets {
  /** Aliases (model groups) with at least one deployment on the plan. */
  aliases: ReadonlySet<string>;
  /** Ids of the deployments on the plan. */
  deployments: ReadonlySet<string>;
}

/** The aliases and deployments on the plan among `deployments` (the resolved config's `deployments`). */
export function planTargets(deployments: readonly Pick<Deployment, 'id' | 'alias' | 'provider'>[]): PlanTargets {
  const aliases = new Set<string>();
  const ids = new Set<string>();
  for (const d of deployments) {
    if (providerFor(d.provider)?.credentials !== 'codex_chatgpt') continue;
    aliases.add(d.alias);
    ids.add(d.id);
  }
  return { aliases, deployments: ids };
}

/** A request another model served in place of the plan: `alias` served what the client asked `fallbackFrom` for. */
export interface FallbackServed {
  /** What served: the fallback alias, or the deployment id when another deployment of the same alias served. */
  alias: string;
  /** The alias the client asked for (an alias on the plan). */
  fallbackFrom: string;
}

/**
 * The last request of a batch that another model answered successfully in place of the plan: a fallback alias
 * served a request for an alias on the plan (the record's `fallbackFrom`, src/gateway/proxy.ts), or another
 * deployment of an alias on the plan served it. Why the plan did not serve is not in the record; the caller
 * combines this with the usage state (`limitResetsAt`, set when the backend answered `usage_limit_reached`).
 * @returns undefined when no such request is in `records`.
 */
export function fallbackServedForPlan(records: readonly RequestLogRecord[], plan: PlanTargets): FallbackServed | undefined {
  let found: FallbackServed | undefined;
  for (const r of records) {
    if (r.status >= 400 || r.error) continue;
    if (r.fallbackFrom !== undefined && plan.aliases.has(r.fallbackFrom)) found = { alias: r.alias, fallbackFrom: r.fallbackFrom };
    else if (r.fallbackFrom === undefined && plan.aliases.has(r.alias) && r.deployment !== undefined && !plan.deployments.has(r.deployment)) {
      found = { alias: r.deployment, fallbackFrom: r.alias };
    }
  }
  return found;
}

/**
 * Whether to show "the plan's limit is reached, a fallback serves" now: a request was served by a fallback
 * while the plan's limit is reached, and no notification was shown for this limit window yet.
 * @param notifiedFor the `limitResetsAt` the last notification was shown for (undefined: none yet).
 * @param now epoch ms.
 * @returns the message to show and the window it is for (its `limitResetsAt`, epoch ms), or undefined.
 */
export function planLimitNotice(u: PlanUsage | undefined, fallbackServed: FallbackServed | undefined, notifiedFor: number | undefined, now: number): { message: string; window: number } | undefined {
  if (!u || u.limitResetsAt === undefined || u.limitResetsAt <= now || !fallbackServed) return undefined;
  // One limit window = one reset time; a re-report of the same reset (within a minute) is the same window.
  if (notifiedFor !== undefined && Math.abs(notifiedFor - u.limitResetsAt) < 60_000) return undefined;
  const until = fmtClock(u.limitResetsAt, now);
  return {
    window: u.limitResetsAt,
    message: `Your ChatGPT plan's usage limit is reached until ${until}; '${fallbackServed.alias}' serves '${fallbackServed.fallbackFrom}' until then.`,
  };
}
