/**
 * The ChatGPT plan as this window shows it (docs/chatgpt.md, "In VS Code"): keeps the plan's usage the gateway
 * worker reports (`planUsage` messages through {@link GatewayHost}), fires {@link PlanMonitor.onDidChange} so the
 * status bar tooltip and the panel re-render (also when a limit's reset time passes), and shows one information
 * notification per limit window when a fallback serves an alias on the plan because the plan's limit is reached.
 * The decisions are the pure functions of plan-status.ts.
 */
import * as vscode from 'vscode';
import type { PlanUsage } from '../gateway/chatgpt/usage';
import type { GatewayConfig } from '../gateway/types';
import { Disposable } from './disposable';
import type { TimedRecord } from './messages';
import { fallbackServedForPlan, planLimitNotice, planTargets } from './plan-status';

/** Longest delay Node's timers take, in ms (about 24.8 days); a later reset is re-checked then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link PlanMonitor}. */
export interface PlanMonitorOptions {
  /** The config in force (the last good one), to know which aliases and deployments are on the plan. */
  config: () => GatewayConfig | undefined;
  /** The extension's log channel (the notification's text is logged too). */
  log: vscode.LogOutputChannel;
  /** Clock, epoch ms [Date.now]. */
  now?: () => number;
}

/** See the module notes. */
export class PlanMonitor extends Disposable {
  private current?: PlanUsage;
  /** `limitResetsAt` of the limit window the last notification was shown for. */
  private notifiedFor?: number;
  private resetTimer?: NodeJS.Timeout;
  private readonly emitter = this.register(new vscode.EventEmitter<void>());
  /** Fires when the usage changed, and when a reached limit's reset time passed. */
  readonly onDidChange = this.emitter.event;
  private readonly now: () => number;

  /** @param opts see {@link PlanMonitorOptions}. */
  constructor(private readonly opts: PlanMonitorOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.onDispose(() => clearTimeout(this.resetTimer));
  }

  /** The plan's usage as the worker last reported it (times epoch ms), or undefined before the plan answered. */
  get usage(): PlanUsage | undefined {
    return this.current;
  }

  /** Takes a new usage snapshot from the worker. */
  update(usage: PlanUsage): void {
    this.current = usage;
    this.scheduleReset();
    this.emitter.fire();
  }

  /** Re-renders once the limit's reset time has passed (the tooltip's "limit reached" line goes away). */
  private scheduleReset(): void {
    clearTimeout(this.resetTimer);
    this.resetTimer = undefined;
    const at = this.current?.limitResetsAt;
    if (at === undefined) return;
    const wait = at - this.now();
    if (wait < 0) return;
    this.resetTimer = setTimeout(() => {
      this.resetTimer = undefined;
      if (this.current?.limitResetsAt !== undefined && this.current.limitResetsAt > this.now()) this.scheduleReset();
      else this.emitter.fire();
    }, Math.min(wait + 1000, MAX_TIMER_MS));
    this.resetTimer.unref?.();
  }

  /**
   * Looks at a batch of finished requests: when one was served by a fallback instead of an alias on the plan
   * while the plan's limit is reached, shows "Your ChatGPT plan's usage limit is reached until HH:MM; ..." once
   * per limit window.
   */
  onRequests(records: readonly TimedRecord[]): void {
    const config = this.opts.config();
    if (!config || !this.current?.limitResetsAt) return;
    const served = fallbackServedForPlan(records, planTargets(config.deployments));
    const notice = planLimitNotice(this.current, served, this.notifiedFor, this.now());
    if (!notice) return;
    this.notifiedFor = notice.window;
    this.opts.log.info(notice.message);
    void vscode.window.showInformationMessage(notice.message);
  }
}
