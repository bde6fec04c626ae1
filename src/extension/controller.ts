/**
 * The extension's coordinator: reads settings, keeps the last good config, feeds the gateway host (worker),
 * the status bar and the terminal environment, and composes the services that do the rest (Codex config sync,
 * Claude Code sync, cross-window key hand-over, request history), reacting to settings and secret changes. Built once by the
 * composition root (`extension.ts`); everything it creates is disposed with it.
 */
import * as vscode from 'vscode';
import { masterKeyPath } from '../gateway/auth';
import { codexHome } from '../gateway/codex/config-toml';
import type { ConfigIssue } from '../gateway/config';
import { claudeConfigDir } from '../gateway/claude/settings-json';
import { ClaudeCodeSync, type ClaudeCodeStatus } from './claude-code-sync';
import { CodexConfigSync } from './codex-config-sync';
import { Disposable } from './disposable';
import { GatewayHost, type HostState } from './gateway-host';
import { KeyHandover } from './key-handover';
import type { TimedRecord, WorkerLogLevel } from './messages';
import { PlanMonitor } from './plan-monitor';
import { RequestHistory } from './request-history';
import { SecretCache } from './secrets';
import { chooseDefaultAlias, keyNamesOf, readSettings, resolveSettingsConfig, SECTION, envReferences, prepareRawConfig, type ResolvedSettingsConfig, type Settings } from './settings';
import { StatusBar } from './status-bar';
import { aliasInfos, type AliasInfo, type StatusInput } from './status-model';
import { TerminalEnvSync } from './terminal-sync';

/** A snapshot of the extension's state, returned by the extension's API (`exports.status()`) for tests and tools. */
export interface ExtensionStatus {
  phase: HostState['phase'];
  port: number;
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  defaultAlias?: string;
  aliases: AliasInfo[];
  error?: string;
  configIssues: string[];
  codexHome: string;
  tokenFile: string;
  /** Claude Code's wiring: state, config directory and the alias per tier (see claude-wiring.ts). */
  claudeCode: ClaudeCodeStatus;
}

/** Everything the extension runs, wired together. */
export class Controller extends Disposable {
  /** Provider keys in VS Code's secret storage, cached for synchronous reads. */
  readonly secrets: SecretCache;
  /** The gateway of this window (a worker thread) or the one another window serves on the same port. */
  readonly host: GatewayHost;
  private readonly status: StatusBar;
  private readonly terminal: TerminalEnvSync;
  /** Current settings. */
  settings: Settings;
  /** The last config that resolved (kept running when the settings become invalid). */
  good?: ResolvedSettingsConfig;
  /** Issues of the current settings' config, if they do not resolve. */
  issues?: ConfigIssue[];
  private defaultAlias?: string;
  /** The last "pick a model" hint logged (wildcard-only configs), so it is logged once per change. */
  private loggedHint?: string;
  private hostState: HostState;
  private lastRequestError?: string;
  private configJson = '';
  private readonly changeEmitter = this.register(new vscode.EventEmitter<void>());
  /** Fires when the state shown to the user changed (settings, secrets, gateway phase, last error). */
  readonly onDidChange = this.changeEmitter.event;
  private notifiedError?: string;
  /** Finished requests of this window's worker (the panel's history and live view). */
  readonly requests: RequestHistory;
  /** The ChatGPT plan's usage (tooltip, panel) and its limit notification. */
  readonly plan: PlanMonitor;
  /** Keeps Codex's config.toml pointed at the gateway. */
  readonly codexConfig: CodexConfigSync;
  /** Hands keys to and from the gateway of another window. */
  private readonly handover: KeyHandover;
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;
  /** Codex's home (`$CODEX_HOME`, else `~/.codex`): where config.toml is kept pointed at the gateway. */
  readonly codexHome: string;
  /** The gateway token file (`$CODEX_GATEWAY_HOME/master_key`) Codex's and Claude Code's auth commands print. */
  readonly tokenFile: string;
  /** Claude Code's config directory (`$CLAUDE_CONFIG_DIR`, else `~/.claude`). */
  readonly claudeDir: string;
  /** Keeps Claude Code pointed at the gateway (settings.json, the Claude Code extension's variables). */
  readonly claudeCode: ClaudeCodeSync;

  /**
   * @param context the extension context.
   * @param log the "Codex Gateway" LogOutputChannel.
   */
  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.readyPromise = new Promise((r) => (this.markReady = r));
    this.codexHome = codexHome(process.env);
    this.tokenFile = masterKeyPath(process.env);
    this.claudeDir = claudeConfigDir(process.env);
    this.settings = readSettings(this.getter());
    this.secrets = this.register(new SecretCache(context.secrets, context.globalState));
    this.status = this.register(new StatusBar());
    this.terminal = new TerminalEnvSync(context.environmentVariableCollection);
    this.hostState = { phase: 'starting', port: this.settings.port };
    this.requests = this.register(new RequestHistory());
    this.plan = this.register(new PlanMonitor({ config: () => this.good?.config, log }));
    this.register(this.plan.onDidChange(() => this.render()));
    this.host = this.register(
      new GatewayHost({
        workerScript: vscode.Uri.joinPath(context.extensionUri, 'dist', 'gateway-worker.js').fsPath,
        tokenFile: this.tokenFile,
        port: this.settings.port,
        log: (level, line) => this.writeLog(level, line),
        onState: (s) => this.onHostState(s),
        onRequests: (records) => this.onRequests(records),
        onPlanUsage: (usage) => this.plan.update(usage),
        onPeerSecret: (name, value) => this.handover.fromPeer(name, value),
      }),
    );
    this.handover = this.register(
      new KeyHandover({ secrets: this.secrets, host: this.host, log, attached: () => this.hostState.phase === 'attached', config: () => this.good }),
    );
    this.codexConfig = this.register(
      new CodexConfigSync({
        context,
        log,
        codexHome: this.codexHome,
        tokenFile: this.tokenFile,
        authRunner: {
          nodePath: process.execPath,
          script: vscode.Uri.joinPath(context.extensionUri, 'dist', 'codex-auth.js').fsPath,
          electron: process.versions.electron !== undefined,
        },
        port: () => this.settings.port,
        mode: () => this.settings.codexConfig,
        // Plain aliases and wildcard patterns: a `model` in config.toml that a pattern serves is kept.
        aliases: () => (this.good ? [...this.good.config.groups.keys(), ...(this.good.config.wildcards ?? []).map((w) => w.pattern)] : []),
      }),
    );
    this.claudeCode = this.register(
      new ClaudeCodeSync({
        context,
        log,
        claudeDir: this.claudeDir,
        tokenFile: this.tokenFile,
        settings: () => this.settings,
        turnOff: async () => {
          this.settings = { ...this.settings, claudeCodeEnabled: false };
          await vscode.workspace.getConfiguration(SECTION).update('claudeCode.enabled', false, vscode.ConfigurationTarget.Global);
        },
        changed: () => this.render(),
      }),
    );
    this.register(this.secrets.onChange(() => this.onSecretsChanged()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) void this.onSettingsChanged();
      }),
    );
  }

  private getter() {
    const cfg = vscode.workspace.getConfiguration(SECTION);
    return <T>(key: string, def: T): T => cfg.get<T>(key, def);
  }

  /** Resolves once the first start attempt finished (running, attached or error). */
  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  /** Writes a line to the log channel at its level. */
  writeLog(level: WorkerLogLevel, line: string): void {
    switch (level) {
      case 'debug':
        this.log.debug(line);
        break;
      case 'info':
        this.log.info(line);
        break;
      case 'warn':
        this.log.warn(line);
        break;
      default:
        this.log.error(line);
    }
  }

  /** Loads settings and secrets, starts or attaches to the gateway, writes terminal env and config.toml. */
  async start(): Promise<void> {
    try {
      this.host.setLogLevel(this.settings.logLevel);
      await this.loadConfig(true);
      await this.host.start();
      this.updateTerminal();
      await this.codexConfig.sync(false);
      await this.claudeCode.sync();
    } catch (e) {
      this.log.error(`Codex Gateway could not start: ${(e as Error).stack ?? (e as Error).message}`);
      if (this.hostState.phase === 'starting') this.hostState = { phase: 'error', port: this.settings.port, error: `Could not start: ${(e as Error).message}. See the log.` };
      void vscode.window.showErrorMessage(`Codex Gateway could not start: ${(e as Error).message}`, 'Show Log').then((b) => {
        if (b) this.log.show();
      });
    } finally {
      this.markReady();
      this.render();
    }
  }

  /**
   * Re-reads `codexGateway.config`, loads the secrets it references and resolves it. A valid config goes to
   * the gateway; an invalid one is reported with its paths and the last good one keeps running.
   */
  private async loadConfig(initial: boolean): Promise<void> {
    const raw = this.settings.config;
    this.configJson = JSON.stringify(raw);
    const refs = envReferences(prepareRawConfig(raw).raw);
    // Load the new names but keep the old ones until the new config is known to be good: an invalid
    // config must not take the keys away from the last good one, which keeps serving.
    await this.secrets.setNames([...new Set([...this.secrets.referenced(), ...refs.keyNames, ...refs.otherNames])]);
    const r = resolveSettingsConfig(raw, (n) => this.secrets.get(n));
    if (r.ok) {
      // Keys the engine reads by a provider's default name (no api_key written) are secrets too.
      const names = [...new Set([...refs.keyNames, ...refs.otherNames, ...keyNamesOf(r.config)])];
      await this.secrets.setNames(names);
      this.good = r;
      this.issues = undefined;
      for (const w of r.warnings) this.log.warn(w);
      this.host.setSecrets(this.secrets.map());
      this.host.setConfig(r.raw);
      this.applyDefaultAlias();
      if (!initial) this.log.info(`Settings changed: serving aliases ${[...r.config.groups.keys()].join(', ')}`);
    } else {
      this.issues = r.issues;
      const lines = r.issues.map((i) => `${i.path}: ${i.message}`);
      this.log.error(`codexGateway.config has ${r.issues.length} problem(s)${this.good ? '; the last good config keeps running' : ''}:\n  ${lines.join('\n  ')}`);
      void vscode.window
        .showErrorMessage(
          `Codex Gateway: codexGateway.config is not valid (${lines[0]}${lines.length > 1 ? `, and ${lines.length - 1} more` : ''}).${this.good ? ' The last good config keeps running.' : ''}`,
          'Open Settings',
          'Show Log',
        )
        .then((b) => {
          if (b === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettingsJson');
          else if (b === 'Show Log') this.log.show();
        });
    }
    this.render();
  }

  /** The alias behind `default`, per `codexGateway.defaultModel` and the config in force. */
  private applyDefaultAlias(): void {
    if (!this.good) return;
    const patterns = (this.good.config.wildcards ?? []).map((w) => w.pattern);
    const { alias, warning, hint } = chooseDefaultAlias([...this.good.config.groups.keys()], this.settings.defaultModel, patterns);
    if (warning) this.log.warn(warning);
    if (hint !== undefined && hint !== this.loggedHint) this.log.info(`No default model: codexGateway.config has only wildcard model_name entries; ${hint} with "Codex Gateway: Select Model".`);
    this.loggedHint = hint;
    if (alias !== this.defaultAlias) {
      this.defaultAlias = alias;
      this.host.setDefaultModel(alias);
      if (alias) this.log.info(`Default model: ${alias}`);
    }
  }

  private async onSettingsChanged(): Promise<void> {
    const before = this.settings;
    this.settings = readSettings(this.getter());
    const s = this.settings;
    if (s.logLevel !== before.logLevel) this.host.setLogLevel(s.logLevel);
    const configJson = JSON.stringify(s.config);
    const configChanged = configJson !== JSON.stringify(before.config);
    if (configJson !== this.configJson) await this.loadConfig(false);
    else if (s.defaultModel !== before.defaultModel) this.applyDefaultAlias();
    if (s.port !== before.port) {
      this.log.info(`Port changed from ${before.port} to ${s.port}: moving the gateway.`);
      await this.host.setPort(s.port);
    }
    if (s.port !== before.port || s.exportOpenAIEnv !== before.exportOpenAIEnv) this.updateTerminal();
    if (s.port !== before.port || s.codexConfig !== before.codexConfig || configChanged) {
      await this.codexConfig.sync(false);
    }
    if (s.port !== before.port || s.claudeCodeEnabled !== before.claudeCodeEnabled || JSON.stringify(s.claudeCodeModels) !== JSON.stringify(before.claudeCodeModels)) {
      await this.claudeCode.sync();
    }
    this.render();
  }

  private onSecretsChanged(): void {
    this.host.setSecrets(this.secrets.map());
    // A secret used by api_base or a header can turn an invalid config valid.
    if (!this.good || this.issues) void this.loadConfig(false);
    this.render();
  }

  private onHostState(s: HostState): void {
    const was = this.hostState.phase;
    this.hostState = s;
    if (s.phase === 'running' && was !== 'running') this.updateTerminal();
    // Config problems are reported by loadConfig; others once per distinct problem (the host re-checks every
    // few seconds and would repeat it).
    if (s.phase === 'error' && s.error && s.error !== this.notifiedError && !s.configIssues && !s.error.includes('codexGateway.config')) {
      this.notifiedError = s.error;
      const buttons = s.error.startsWith('Port ') ? ['Change Port', 'Show Log'] : ['Show Log'];
      void vscode.window.showErrorMessage(`Codex Gateway: ${s.error}`, ...buttons).then((b) => {
        if (b === 'Change Port') void vscode.commands.executeCommand('workbench.action.openSettings', 'codexGateway.port');
        else if (b === 'Show Log') this.log.show();
      });
    }
    if (s.phase !== 'error') this.notifiedError = undefined;
    this.render();
  }

  private onRequests(records: TimedRecord[]): void {
    const failed = this.requests.add(records);
    this.plan.onRequests(records);
    if (failed) {
      this.lastRequestError = `${new Date(failed.at).toLocaleTimeString()} ${failed.alias}: ${failed.error ?? `HTTP ${failed.status}`}`;
      this.render();
    }
  }

  /** Re-applies the terminal environment (only changed variables are touched). */
  updateTerminal(): void {
    const token = this.host.gatewayToken;
    if (!token) return;
    const changed = this.terminal.update(this.settings.port, token, this.settings.exportOpenAIEnv);
    if (changed.length > 0) this.log.info(`Terminal environment updated: ${changed.join(', ')}`);
  }

  /** The per-alias view of the config in force. */
  aliasInfos(): AliasInfo[] {
    return this.good ? aliasInfos(this.good.config, (n) => this.secrets.has(n)) : [];
  }

  /** The alias behind `default` now. */
  get currentDefault(): string | undefined {
    return this.defaultAlias;
  }

  /** Makes `alias` the default model now and saves it in `codexGateway.defaultModel` (user settings). */
  async selectDefault(alias: string): Promise<void> {
    this.settings = { ...this.settings, defaultModel: alias };
    this.applyDefaultAlias();
    this.render();
    await vscode.workspace.getConfiguration(SECTION).update('defaultModel', alias, vscode.ConfigurationTarget.Global);
  }

  /** A snapshot for the extension API and tests. */
  snapshot(): ExtensionStatus {
    return {
      phase: this.hostState.phase,
      port: this.hostState.port,
      baseUrl: `http://127.0.0.1:${this.hostState.port}/v1`,
      ...(this.defaultAlias !== undefined ? { defaultAlias: this.defaultAlias } : {}),
      aliases: this.aliasInfos(),
      ...(this.hostState.error !== undefined ? { error: this.hostState.error } : {}),
      configIssues: (this.issues ?? []).map((i) => `${i.path}: ${i.message}`),
      codexHome: this.codexHome,
      tokenFile: this.tokenFile,
      claudeCode: this.claudeCode.status(),
    };
  }

  private render(): void {
    this.changeEmitter.fire();
    const input: StatusInput = {
      phase: this.hostState.phase,
      port: this.hostState.port,
      ...(this.defaultAlias !== undefined ? { defaultAlias: this.defaultAlias } : {}),
      aliases: this.aliasInfos(),
      ...(this.hostState.error ?? this.lastRequestError ? { lastError: this.hostState.error ?? this.lastRequestError } : {}),
      ...(this.issues ? { configIssues: this.issues.map((i) => `${i.path}: ${i.message}`) } : {}),
      claudeCode: this.claudeCode.status(),
      ...(this.plan.usage ? { chatgptPlan: this.plan.usage } : {}),
    };
    this.status.update(input);
  }
}
