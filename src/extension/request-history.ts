/**
 * The request history of this window's gateway worker: every finished request the worker reports, kept for
 * 15 minutes (at most 10000), and an event per request for the panel's live view.
 */
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import type { TimedRecord } from './messages';

/** How long finished requests are kept for {@link RequestHistory.recent}, in ms (15 minutes). */
export const RECENT_WINDOW_MS = 15 * 60_000;
/** At most this many finished requests are kept. */
export const RECENT_MAX = 10_000;

/** Finished requests of the last {@link RECENT_WINDOW_MS}, oldest first. */
export class RequestHistory extends Disposable {
  private readonly records: TimedRecord[] = [];
  private readonly emitter = this.register(new vscode.EventEmitter<TimedRecord>());
  /** Fires for every finished gateway request of this window's worker (batched by the worker, in order). */
  readonly onRequest = this.emitter.event;

  /**
   * Adds a batch the worker reported (in its order), fires {@link onRequest} for each, and drops records older
   * than {@link RECENT_WINDOW_MS} or beyond {@link RECENT_MAX}.
   * @param now Current time, epoch ms (tests pass their own).
   * @returns The last failed request of the batch (HTTP status >= 400 or an error), if any.
   */
  add(records: TimedRecord[], now = Date.now()): TimedRecord | undefined {
    let failed: TimedRecord | undefined;
    for (const r of records) {
      this.records.push(r);
      this.emitter.fire(r);
      if (r.status >= 400 || r.error) failed = r;
    }
    const cutoff = now - RECENT_WINDOW_MS;
    let drop = 0;
    while (drop < this.records.length && (this.records[drop].at < cutoff || this.records.length - drop > RECENT_MAX)) drop++;
    if (drop > 0) this.records.splice(0, drop);
    return failed;
  }

  /** Requests finished in the last 15 minutes (at most 10000), oldest first, as the worker reported them. */
  recent(): TimedRecord[] {
    return this.records.slice();
  }
}
