/**
 * An in-memory {@link PanelBackend} for the settings panel's tests and preview: settings and secrets live in
 * memory, validation is the extension's real `resolveSettingsConfig` (the engine's `resolveConfig`), and a REAL
 * gateway (src/gateway/server.ts) serves the saved config on 127.0.0.1, so the Test button and the live view see
 * real requests (upstreams are mock servers from test/helpers/mock-upstream.ts). No `vscode` import: used from
 * Node tests, the browser preview server and the fixture extension inside VS Code alike.
 */
import { randomBytes } from 'node:crypto';
import type { PanelBackend, PanelBackendState, PanelEvent } from '../../../src/extension/panel/backend';
import { testAliasThroughGateway } from '../../../src/extension/panel/test-alias';
import { chooseDefaultAlias, resolveSettingsConfig } from '../../../src/extension/settings';
import { Logger } from '../../../src/gateway/log';
import { Gateway } from '../../../src/gateway/server';
import type { ClaudeTier, ConfigIssue, KeyState, PanelClaudeCode, PanelGatewayState, PlanUsage, TimedRequestRecord } from '../../../src/shared/panel-protocol';

/** A minimal event emitter whose `event` fits {@link PanelEvent} (and so `vscode.Event`). */
export class Emitter<T> {
  private readonly listeners = new Set<(e: T) => unknown>();
  /** Subscribe; returns a disposable. */
  readonly event: PanelEvent<T> = (l) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  /** Calls every listener with `e`. */
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  /** Number of subscribers (tests check that panels unsubscribe). */
  get size(): number {
    return this.listeners.size;
  }
}

/** Options of {@link LocalBackend.start}. */
export interface LocalBackendOptions {
  /** The initial `codexGateway.config` (must resolve: the gateway starts with it). */
  config: unknown;
  defaultModel?: string;
  /** Keys already in "secret storage". */
  secrets?: Record<string, string>;
  /** The "environment" (names present here and not in secrets are `env`). */
  env?: Record<string, string>;
  /** What Import does (default: counts the call). */
  onImport?: (b: LocalBackend) => Promise<void>;
  /** Claude Code's wiring as the panel shows it [off, ~/.claude/settings.json, no extension, every tier default]. */
  claudeCode?: Partial<PanelClaudeCode>;
}

/** See the module comment. Every method records its calls in {@link LocalBackend.calls}. */
export class LocalBackend implements PanelBackend {
  config: unknown;
  defaultModel: string;
  readonly secrets: Map<string, string>;
  readonly env: Record<string, string>;
  readonly records: TimedRequestRecord[] = [];
  /** Method names in call order (never key values). */
  readonly calls: string[] = [];
  readonly token = `test-gw-${randomBytes(12).toString('hex')}`;
  private readonly changed = new Emitter<void>();
  private readonly requests = new Emitter<TimedRequestRecord>();
  readonly onDidChange = this.changed.event;
  readonly onRequest = this.requests.event;
  private issues: ConfigIssue[] = [];
  private effectiveDefault: string | undefined;
  /**
   * Claude Code's wiring, in memory: `setClaudeCodeEnabled` turns it `wired` / `restored` (and the extension's
   * setting on / off when the extension is "installed"), as the real extension does.
   */
  readonly claudeCode: PanelClaudeCode;

  private constructor(
    private readonly gw: Gateway,
    readonly url: string,
    opts: LocalBackendOptions,
  ) {
    this.config = structuredClone(opts.config);
    this.defaultModel = opts.defaultModel ?? '';
    this.secrets = new Map(Object.entries(opts.secrets ?? {}));
    this.env = { ...opts.env };
    this.onImportFn = opts.onImport;
    this.claudeCode = {
      enabled: false,
      state: 'off',
      settingsPath: '/home/you/.claude/settings.json',
      extensionInstalled: false,
      extensionSettingSet: false,
      ...opts.claudeCode,
      models: { haiku: '', sonnet: '', opus: '', ...opts.claudeCode?.models },
    };
    gw.logger.onRequest((r) => {
      const timed = { ...r, at: Date.now() };
      this.records.push(timed);
      this.requests.fire(timed);
    });
    this.applyDefault();
  }
  private readonly onImportFn: LocalBackendOptions['onImport'];

  /**
   * Resolves the config, starts the real gateway on 127.0.0.1 (a free port) and returns the backend.
   * @throws Error listing the issues when `opts.config` does not resolve.
   */
  static async start(opts: LocalBackendOptions): Promise<LocalBackend> {
    const lookup = (n: string) => opts.secrets?.[n] ?? opts.env?.[n];
    const r = resolveSettingsConfig(opts.config, lookup);
    if (!r.ok) throw new Error(`LocalBackend: the initial config does not resolve:\n${r.issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`);
    let self: LocalBackend | undefined;
    const gw = new Gateway({
      config: r.config,
      masterKey: `test-gw-pending`,
      logger: new Logger('silent'),
      secrets: (n) => self?.lookup(n) ?? lookup(n),
    });
    const { url } = await gw.listen('127.0.0.1', 0);
    self = new LocalBackend(gw, url, opts);
    gw.setMasterKey(self.token);
    return self;
  }

  /** A key's value: "secret storage" first, then the "environment". */
  lookup(name: string): string | undefined {
    return this.secrets.get(name) ?? this.env[name];
  }

  private stateOf(name: string): KeyState {
    return this.secrets.has(name) ? 'set' : this.env[name] !== undefined ? 'env' : 'missing';
  }

  private applyDefault(): void {
    const aliases = [...this.gw.config.groups.keys()];
    this.effectiveDefault = chooseDefaultAlias(aliases, this.defaultModel).alias;
    this.gw.setDefaultModel(this.effectiveDefault);
  }

  /** Applies `config` as if the user edited settings.json by hand (the gateway reloads when it resolves). */
  setConfigExternally(config: unknown): void {
    this.config = structuredClone(config);
    this.apply();
    this.changed.fire();
  }

  private apply(): void {
    const r = resolveSettingsConfig(this.config, (n) => this.lookup(n));
    if (r.ok) {
      this.issues = [];
      this.gw.reload(r.config);
      this.applyDefault();
    } else {
      this.issues = r.issues;
    }
  }

  getState(): PanelBackendState {
    const r = resolveSettingsConfig(this.config, (n) => this.lookup(n));
    const names = new Set<string>([...r.refs.keyNames, ...(r.ok ? r.config.deployments.flatMap((d) => (d.apiKey.kind === 'env' ? [d.apiKey.name] : [])) : [])]);
    const keys: Record<string, KeyState> = {};
    for (const n of names) keys[n] = this.stateOf(n);
    const gateway: PanelGatewayState = { phase: 'running', port: Number(new URL(this.url).port) };
    const s: PanelBackendState = { config: structuredClone(this.config), defaultModel: this.defaultModel, keys, gateway, issues: this.issues };
    if (this.effectiveDefault !== undefined) s.effectiveDefault = this.effectiveDefault;
    s.claudeCode = { ...this.claudeCode, models: { ...this.claudeCode.models } };
    if (this.planUsage) s.chatgptPlanUsage = structuredClone(this.planUsage);
    return s;
  }

  validate(raw: unknown): ConfigIssue[] {
    this.calls.push('validate');
    const r = resolveSettingsConfig(raw, (n) => this.lookup(n));
    return r.ok ? [] : r.issues;
  }

  async saveConfig(raw: unknown): Promise<void> {
    this.calls.push('saveConfig');
    this.config = structuredClone(raw);
    this.apply();
    this.changed.fire();
  }

  async setDefaultModel(alias: string): Promise<void> {
    this.calls.push('setDefaultModel');
    this.defaultModel = alias;
    this.applyDefault();
    this.changed.fire();
  }

  async setKey(name: string, value: string): Promise<void> {
    this.calls.push('setKey');
    this.secrets.set(name, value);
    this.changed.fire();
  }

  async clearKey(name: string): Promise<void> {
    this.calls.push('clearKey');
    this.secrets.delete(name);
    this.changed.fire();
  }

  async keyStatus(names: string[]): Promise<Record<string, KeyState>> {
    this.calls.push('keyStatus');
    return Object.fromEntries(names.map((n) => [n, this.stateOf(n)]));
  }

  testAlias(alias: string) {
    this.calls.push('testAlias');
    return testAliasThroughGateway({ baseUrl: this.url, token: this.token, alias, timeoutMs: 20_000 });
  }

  recentRequests(): TimedRequestRecord[] {
    return [...this.records];
  }

  async importLiteLLM(): Promise<void> {
    this.calls.push('importLiteLLM');
    if (this.onImportFn) await this.onImportFn(this);
  }

  async exportLiteLLM(): Promise<void> {
    this.calls.push('exportLiteLLM');
  }

  async setClaudeCodeEnabled(enabled: boolean): Promise<void> {
    this.calls.push('setClaudeCodeEnabled');
    const c = this.claudeCode;
    c.enabled = enabled;
    if (enabled) c.state = 'wired';
    else if (c.state === 'wired') c.state = 'restored';
    if (c.extensionInstalled) c.extensionSettingSet = enabled;
    this.changed.fire();
  }

  async setClaudeCodeModel(tier: ClaudeTier, alias: string): Promise<void> {
    this.calls.push('setClaudeCodeModel');
    this.claudeCode.models = { ...this.claudeCode.models, [tier]: alias };
    this.changed.fire();
  }

  /** What the consent dialog answers (the user's choice); tests set it. */
  planConsent = false;
  /** The ChatGPT plan's usage the snapshot reports (tests set it, then fire a change with {@link setPlanUsage}). */
  planUsage: PlanUsage | undefined;

  /** Sets the plan's usage as the gateway would report it and announces the change. */
  setPlanUsage(u: PlanUsage | undefined): void {
    this.planUsage = u;
    this.changed.fire();
  }

  async confirmChatgptPlan(): Promise<boolean> {
    this.calls.push('confirmChatgptPlan');
    return this.planConsent;
  }

  /** Stops the gateway. */
  async close(): Promise<void> {
    await this.gw.close(200);
  }
}
