/**
 * The host side of the panel protocol (src/shared/panel-protocol.ts), without `vscode`: checks every message from
 * the webview (untrusted input), calls the {@link PanelBackend}, answers each call exactly once, and pushes
 * snapshots and request records. `index.ts` connects it to a real `WebviewPanel`; the unit tests connect it to the
 * webview's `PanelClient` through a fake `acquireVsCodeApi`.
 */
import { chatgptPlanOn, CLAUDE_TIERS, isWebviewToHost, type CallMessage, type HostToWebview, type KeyState, type PanelMethods, type PanelSnapshot } from '../../shared/panel-protocol';
import type { PanelBackend } from './backend';

/** Letters, digits and `_`, not starting with a digit: a secret / environment variable name. */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest key value accepted, in characters (real provider keys are far shorter). */
const MAX_KEY_LENGTH = 8192;

/** Options of {@link PanelDispatcher}. */
export interface DispatcherOptions {
  /** Live view window in ms [900000 = 15 minutes]. */
  liveWindowMs?: number;
  /** Clock in ms since the epoch [Date.now]. */
  now?: () => number;
  /** Delay in ms that coalesces bursts of `onDidChange` into one snapshot [50]. */
  snapshotDelayMs?: number;
}

/** A call whose params failed the checks: the message says what is wrong. */
class BadParams extends Error {}

/**
 * Serves one webview. Sends nothing until the webview said `ready` (VS Code drops messages posted before the page's
 * script runs); a later `ready` (the page was re-created after being hidden) gets a fresh snapshot.
 */
export class PanelDispatcher {
  private ready = false;
  private disposed = false;
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly subs: Array<{ dispose(): unknown }> = [];
  private readonly liveWindowMs: number;
  private readonly now: () => number;
  private readonly snapshotDelayMs: number;
  /** The user agreed to the ChatGPT plan's terms in this panel and no save has turned the plan on since. */
  private planConsent = false;

  /**
   * @param backend the extension.
   * @param post sends a message to the webview (`webview.postMessage`); a rejected or false result is ignored (a
   *   hidden webview drops messages and asks for a snapshot again with `ready`).
   */
  constructor(
    private readonly backend: PanelBackend,
    private readonly post: (m: HostToWebview) => unknown,
    opts: DispatcherOptions = {},
  ) {
    this.liveWindowMs = opts.liveWindowMs ?? 15 * 60_000;
    this.now = opts.now ?? Date.now;
    this.snapshotDelayMs = opts.snapshotDelayMs ?? 50;
    this.subs.push(backend.onDidChange(() => this.scheduleSnapshot()));
    this.subs.push(
      backend.onRequest((record) => {
        if (this.ready && !this.disposed) this.send({ kind: 'request', record });
      }),
    );
  }

  /** The snapshot the webview gets now. */
  snapshot(): PanelSnapshot {
    const st = this.backend.getState();
    const since = this.now() - this.liveWindowMs;
    const recent = this.backend
      .recentRequests()
      .filter((r) => r.at > since)
      .sort((a, b) => a.at - b.at);
    const s: PanelSnapshot = {
      config: st.config,
      defaultModel: st.defaultModel,
      keys: { ...st.keys },
      gateway: { ...st.gateway },
      issues: st.issues.map((i) => ({ path: i.path, message: i.message })),
      recent,
      liveWindowMs: this.liveWindowMs,
    };
    if (st.effectiveDefault !== undefined) s.effectiveDefault = st.effectiveDefault;
    if (st.claudeCode !== undefined) s.claudeCode = { ...st.claudeCode, models: { ...st.claudeCode.models } };
    if (st.chatgptPlanUsage !== undefined) s.chatgptPlanUsage = structuredClone(st.chatgptPlanUsage);
    return s;
  }

  /** Sends a snapshot now (when the webview is ready). */
  sendSnapshot(): void {
    if (this.snapshotTimer !== undefined) {
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = undefined;
    }
    if (!this.ready || this.disposed) return;
    this.send({ kind: 'snapshot', snapshot: this.snapshot() });
  }

  private scheduleSnapshot(): void {
    if (!this.ready || this.disposed || this.snapshotTimer !== undefined) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      this.sendSnapshot();
    }, this.snapshotDelayMs);
  }

  /**
   * Handles one message from the webview. Malformed messages are ignored (nothing to answer); a call always gets
   * exactly one `result`.
   * @returns when the answer was posted.
   */
  async handle(message: unknown): Promise<void> {
    if (this.disposed || !isWebviewToHost(message)) return;
    if (message.kind === 'ready') {
      this.ready = true;
      this.sendSnapshot();
      return;
    }
    const call = message;
    try {
      const value = await this.run(call);
      this.send({ kind: 'result', id: call.id, ok: true, value: value ?? null });
    } catch (e) {
      let text = e instanceof Error ? e.message : String(e);
      // A key must never travel back, not even inside an error message of the backend.
      if (call.method === 'setKey' && typeof call.params.value === 'string' && call.params.value.trim().length >= 4) {
        text = text.split(call.params.value.trim()).join('***');
      }
      this.send({ kind: 'result', id: call.id, ok: false, error: text || 'The action failed; see the Codex Gateway log.' });
    }
  }

  private async run(call: CallMessage): Promise<PanelMethods[CallMessage['method']]['result']> {
    const b = this.backend;
    switch (call.method) {
      case 'validate':
        return [...(await b.validate(call.params.config))];
      case 'save': {
        const issues = await b.validate(call.params.config);
        if (issues.length > 0) return { saved: false, issues: [...issues] };
        // Turning the ChatGPT plan on is written only with the user's consent, however the draft got there.
        const turnsPlanOn = chatgptPlanOn(call.params.config) && !chatgptPlanOn(b.getState().config);
        if (turnsPlanOn && !this.planConsent && !(await b.confirmChatgptPlan())) {
          return { saved: false, issues: [{ path: 'gateway_settings.chatgpt_plan', message: 'Not turned on: you did not agree to send requests to your ChatGPT plan. Turn the plan off (or agree), then save again.' }] };
        }
        await b.saveConfig(call.params.config);
        if (turnsPlanOn) this.planConsent = false;
        return { saved: true };
      }
      case 'setDefaultModel': {
        const alias = call.params.alias;
        if (typeof alias !== 'string' || alias.length > 1024) throw new BadParams('setDefaultModel needs the alias as a string.');
        await b.setDefaultModel(alias);
        return null;
      }
      case 'setKey': {
        const name = checkName(call.params.name);
        const value = typeof call.params.value === 'string' ? call.params.value.trim() : '';
        if (value === '') throw new BadParams(`The value for ${name} is empty; paste the key, then press Save key.`);
        if (/\s/.test(value)) throw new BadParams('A key has no spaces or line breaks; paste just the key.');
        if (value.length > MAX_KEY_LENGTH) throw new BadParams(`That value is longer than ${MAX_KEY_LENGTH} characters; paste just the key.`);
        await b.setKey(name, value);
        return b.keyStatus([name]);
      }
      case 'clearKey': {
        const name = checkName(call.params.name);
        await b.clearKey(name);
        return b.keyStatus([name]);
      }
      case 'keyStatus': {
        const names = call.params.names;
        if (!Array.isArray(names) || names.length > 500) throw new BadParams('keyStatus needs a list of at most 500 key names.');
        const valid = [...new Set(names.filter((n): n is string => typeof n === 'string' && SECRET_NAME.test(n)))];
        if (valid.length === 0) return {} as Record<string, KeyState>;
        return b.keyStatus(valid);
      }
      case 'testAlias': {
        const alias = call.params.alias;
        if (typeof alias !== 'string' || alias === '' || alias.length > 1024) throw new BadParams('testAlias needs an alias.');
        return b.testAlias(alias);
      }
      case 'importLiteLLM':
        await b.importLiteLLM();
        return null;
      case 'exportLiteLLM':
        await b.exportLiteLLM();
        return null;
      case 'setClaudeCodeEnabled': {
        const enabled = call.params.enabled;
        if (typeof enabled !== 'boolean') throw new BadParams('setClaudeCodeEnabled needs enabled as true or false.');
        await b.setClaudeCodeEnabled(enabled);
        return null;
      }
      case 'setClaudeCodeModel': {
        const { tier, alias } = call.params;
        if (typeof tier !== 'string' || !(CLAUDE_TIERS as readonly string[]).includes(tier)) throw new BadParams(`"${String(tier)}" is not a Claude Code tier: use ${CLAUDE_TIERS.join(', ')}.`);
        if (typeof alias !== 'string' || alias.length > 1024 || alias !== alias.trim()) throw new BadParams('setClaudeCodeModel needs the alias as a string ("" = the default model).');
        await b.setClaudeCodeModel(tier, alias);
        return null;
      }
      case 'confirmChatgptPlan': {
        const accepted = (await b.confirmChatgptPlan()) === true;
        if (accepted) this.planConsent = true;
        return accepted;
      }
    }
  }

  private send(m: HostToWebview): void {
    try {
      const r = this.post(m) as { then?: unknown } | undefined;
      if (r && typeof r.then === 'function') (r as Promise<unknown>).then(undefined, () => undefined);
    } catch {
      // The webview is gone; it asks again with `ready` when re-created.
    }
  }

  /** Stops listening to the backend; later messages are ignored. */
  dispose(): void {
    this.disposed = true;
    if (this.snapshotTimer !== undefined) clearTimeout(this.snapshotTimer);
    for (const s of this.subs.splice(0)) s.dispose();
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
    throw new BadParams(`"${String(name)}" is not a valid key name: use letters, digits and _ (e.g. DEEPSEEK_API_KEY).`);
  }
  return name;
}
