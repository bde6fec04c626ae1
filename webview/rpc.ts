/**
 * The webview side of the panel protocol (src/shared/panel-protocol.ts): typed calls with request ids, answered by
 * `result` messages, plus the snapshot and request events. No DOM: the caller passes the VS Code API object and
 * forwards `message` events to {@link PanelClient.receive}, so unit tests drive it with a fake.
 */
import { isHostToWebview, type CallMessage, type PanelMethod, type PanelMethods, type PanelSnapshot, type TimedRequestRecord, type WebviewToHost } from '../src/shared/panel-protocol';

/** The part of `acquireVsCodeApi()` the panel uses (VS Code webview API). */
export interface VsCodeApiLike {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** Per-method time limits in ms; 0 = none (file dialogs wait for the user). */
const TIMEOUTS: Record<PanelMethod, number> = {
  validate: 30_000,
  save: 30_000,
  setDefaultModel: 30_000,
  setKey: 30_000,
  clearKey: 30_000,
  keyStatus: 30_000,
  testAlias: 180_000,
  importLiteLLM: 0,
  exportLiteLLM: 0,
  setClaudeCodeEnabled: 30_000,
  setClaudeCodeModel: 30_000,
  // A modal dialog: waits for the user.
  confirmChatgptPlan: 0,
};

/** Handlers of host events. */
export interface PanelClientEvents {
  snapshot(s: PanelSnapshot): void;
  request(r: TimedRequestRecord): void;
}

/** Calls the host and dispatches its events. One per webview page. */
export class PanelClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: ReturnType<typeof setTimeout> }>();

  /**
   * @param api the VS Code webview API (or a fake).
   * @param events receives snapshots and request records.
   * @param timeouts overrides of the per-method time limits in ms (tests).
   */
  constructor(
    private readonly api: VsCodeApiLike,
    private readonly events: PanelClientEvents,
    private readonly timeouts: Partial<Record<PanelMethod, number>> = {},
  ) {}

  /** Posts the `ready` handshake; the host answers with a snapshot. */
  ready(): void {
    this.post({ kind: 'ready' });
  }

  /**
   * Calls a host method.
   * @returns the method's result.
   * @throws (rejects) Error with the host's message when the host answered an error, or when no answer came within
   *   the method's time limit ("... did not answer within N s; reopen the panel ...").
   */
  call<M extends PanelMethod>(method: M, params: PanelMethods[M]['params']): Promise<PanelMethods[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const entry: { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: ReturnType<typeof setTimeout> } = {
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      const limit = this.timeouts[method] ?? TIMEOUTS[method];
      if (limit > 0) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`The extension did not answer "${method}" within ${Math.round(limit / 1000)} s; close and reopen the panel, or check the Codex Gateway log.`));
        }, limit);
      }
      this.pending.set(id, entry);
      this.post({ kind: 'call', id, method, params } as CallMessage);
    });
  }

  /** Number of calls waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Handles one message from the host (the `data` of a window `message` event). Unknown shapes are ignored
   * (VS Code and other scripts may post messages too).
   */
  receive(data: unknown): void {
    if (!isHostToWebview(data)) return;
    switch (data.kind) {
      case 'snapshot':
        this.events.snapshot(data.snapshot);
        return;
      case 'request':
        this.events.request(data.record);
        return;
      case 'result': {
        const p = this.pending.get(data.id);
        if (!p) return;
        this.pending.delete(data.id);
        if (p.timer !== undefined) clearTimeout(p.timer);
        if (data.ok) p.resolve(data.value);
        else p.reject(new Error(data.error));
        return;
      }
    }
  }

  private post(m: WebviewToHost): void {
    this.api.postMessage(m);
  }
}
