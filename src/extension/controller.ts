/**
 * The extension's coordinator: reads settings, keeps the last good config, feeds the gateway host (worker),
 * the status bar, the terminal environment and Codex's config.toml, and reacts to settings and secret
 * changes. Built once by the composition root (`extension.ts`); everything it creates is disposed with it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { masterKeyPath } from '../gateway/auth';
import { codexHome } from '../gateway/codex/config-toml';
import type { ConfigIssue } from '../gateway/config';
import { CLAUDE_ENV_KEYS, claudeConfigDir, isClaudeWired, SETTINGS_FILE } from '../gateway/claude/settings-json';
import { applyClaudeSettings, CLAUDE_ENV_SETTING, CLAUDE_EXTENSION_ID, extensionVariables, findOnPath, mergeEnvironmentVariables, OFFER_KEY, PREVIOUS_ENV_KEY, removeEnvironmentVariables, restoreClaudeWiring, shouldOffer, tierModels, wiringFor, type ClaudeWiringState, type EnvVarEntry } from './claude-wiring';
import { applyCodexWiring, decideCodexAction, readSelection, PROVIDER_ID } from './codex-wiring';
import { Disposable } from './disposable';
import { GatewayHost, type HostState } from './gateway-host';
import type { TimedRecord, WorkerLogLevel } from './messages';
import { SecretCache } from './secrets';
import { chooseDefaultAlias, keyNamesOf, readSettings, resolveSettingsConfig, SECTION, envReferences, namesOutsideApiKey, prepareRawConfig, type ResolvedSettingsConfig, type Settings } from './settings';
import { StatusBar } from './status-bar';
import { aliasInfos, type AliasInfo, type StatusInput } from './status-model';
import { TerminalEnvSync } from './terminal-sync';

/** How long finished requests are kept for {@link Controller.recentRequests}, in ms (15 minutes). */
const RECENT_WINDOW_MS = 15 * 60_000;
/** At most this many finished requests are kept. */
const RECENT_MAX = 10_000;

/** globalState key: the `model_provider` value the user chose to keep when asked (`''` = none). */
const DECLINED_KEY = 'codexGateway.declinedProvider';

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
  claudeCode: { state: ClaudeWiringState; configDir: string; tiers: { haiku: string; sonnet: string; opus: string } };
}

/** Everything the extension runs, wired together. */
export class Controller extends Disposable {
  readonly secrets: SecretCache;
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
  private hostState: HostState;
  private lastRequestError?: string;
  private configJson = '';
  private askOpen = false;
  private readonly recent: TimedRecord[] = [];
  private readonly requestEmitter = this.register(new vscode.EventEmitter<TimedRecord>());
  private readonly changeEmitter = this.register(new vscode.EventEmitter<void>());
  /** Fires for every finished gateway request of this window's worker (batched by the worker, in order). */
  readonly onRequest = this.requestEmitter.event;
  /** Fires when the state shown to the user changed (settings, secrets, gateway phase, last error). */
  readonly onDidChange = this.changeEmitter.event;
  private notifiedError?: string;
  /** Key hand-overs between windows, one at a time and in order (a later value must win). */
  private peerChain: Promise<void> = Promise.resolve();
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;
  readonly codexHome: string;
  readonly tokenFile: string;
  /** Claude Code's config directory (`$CLAUDE_CONFIG_DIR`, else `~/.claude`). */
  readonly claudeDir: string;
  private claudeState: ClaudeWiringState = 'off';
  private claudeOfferOpen = false;
  /** Claude Code wiring runs one change at a time, in order. */
  private claudeChain: Promise<void> = Promise.resolve();

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
    this.host = this.register(
      new GatewayHost({
        workerScript: vscode.Uri.joinPath(context.extensionUri, 'dist', 'gateway-worker.js').fsPath,
        tokenFile: this.tokenFile,
        port: this.settings.port,
        log: (level, line) => this.writeLog(level, line),
        onState: (s) => this.onHostState(s),
        onRequests: (records) => this.onRequests(records),
        onPeerSecret: (name, value) => {
          this.inOrder(() => this.keepPeerSecret(name, value));
        },
      }),
    );
    this.register(this.secrets.onChange(() => this.onSecretsChanged()));
    this.register(
      this.secrets.onDidWrite((w) => {
        this.inOrder(() => this.forwardSecret(w.name, w.value));
      }),
    );
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
      await this.syncCodexConfig(false);
      await this.syncClaudeCode();
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
    const { alias, warning } = chooseDefaultAlias([...this.good.config.groups.keys()], this.settings.defaultModel);
    if (warning) this.log.warn(warning);
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
    if (JSON.stringify(s.config) !== this.configJson) await this.loadConfig(false);
    else if (s.defaultModel !== before.defaultModel) this.applyDefaultAlias();
    if (s.port !== before.port) {
      this.log.info(`Port changed from ${before.port} to ${s.port}: moving the gateway.`);
      await this.host.setPort(s.port);
    }
    if (s.port !== before.port || s.exportOpenAIEnv !== before.exportOpenAIEnv) this.updateTerminal();
    if (s.port !== before.port || s.codexConfig !== before.codexConfig || JSON.stringify(s.config) !== JSON.stringify(before.config)) {
      await this.syncCodexConfig(false);
    }
    if (s.port !== before.port || s.claudeCodeEnabled !== before.claudeCodeEnabled || JSON.stringify(s.claudeCodeModels) !== JSON.stringify(before.claudeCodeModels)) {
      await this.syncClaudeCode();
    }
    this.render();
  }

  private onSecretsChanged(): void {
    this.host.setSecrets(this.secrets.map());
    // A secret used by api_base or a header can turn an invalid config valid.
    if (!this.good || this.issues) void this.loadConfig(false);
    this.render();
  }

  /** Runs key hand-overs one after the other (an error is logged and does not stop the next one). */
  private inOrder(fn: () => Promise<void>): void {
    this.peerChain = this.peerChain.then(fn).catch((e: unknown) => this.log.error(`Key hand-over between windows failed: ${(e as Error).message}`));
  }

  /**
   * A key set or cleared in this window while another window serves the gateway: hand it to that gateway,
   * which would otherwise keep serving the old value (SecretStorage is not shared live between the windows of
   * code-server, nor of VS Code without an OS keyring). Only `api_key` names of the config in force, used
   * nowhere else, are handed over (the gateway refuses the others); a failure is shown with what to do.
   */
  private async forwardSecret(name: string, value: string | undefined): Promise<void> {
    if (this.hostState.phase !== 'attached' || !this.good) return;
    if (!keyNamesOf(this.good.config).includes(name) || namesOutsideApiKey(this.good.raw).has(name)) return;
    const r = await this.host.forwardSecret(name, value);
    if (r.ok) {
      this.log.info(`Key ${name} ${value === undefined ? 'cleared in' : 'handed to'} the gateway another VS Code window serves.`);
      return;
    }
    this.log.warn(`Key ${name} was ${value === undefined ? 'deleted' : 'saved'} in this window, but the gateway another VS Code window serves did not take it: ${r.reason}`);
    void vscode.window.showWarningMessage(
      `Codex Gateway: ${name} was ${value === undefined ? 'deleted' : 'saved'} here, but the gateway runs in another VS Code window and did not take it: ${r.reason.replace(/\.$/, '')}.`,
      'Show Log',
    ).then((b) => {
      if (b) this.log.show();
    });
  }

  /**
   * The worker of this window took a key another window set or cleared (see {@link forwardSecret}): keep it in
   * this window's SecretStorage too, so that the secrets map sent to the worker keeps it and this window's
   * status shows it. Nothing is written when SecretStorage already has that value (windows that share it live).
   */
  private async keepPeerSecret(name: string, value: string | undefined): Promise<void> {
    try {
      if ((await this.secrets.storedValue(name)) === value) return;
      if (value === undefined) await this.secrets.delete(name);
      else await this.secrets.store(name, value);
      this.log.info(`Key ${name} was ${value === undefined ? 'cleared' : 'set'} in another VS Code window; the gateway uses that now.`);
    } catch (e) {
      this.log.error(`Key ${name} from another VS Code window could not be kept in this window's secret storage (${(e as Error).message}); the gateway uses it until the next change of keys or settings.`);
    }
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
    let failed: TimedRecord | undefined;
    for (const r of records) {
      this.recent.push(r);
      this.requestEmitter.fire(r);
      if (r.status >= 400 || r.error) failed = r;
    }
    const cutoff = Date.now() - RECENT_WINDOW_MS;
    let drop = 0;
    while (drop < this.recent.length && (this.recent[drop].at < cutoff || this.recent.length - drop > RECENT_MAX)) drop++;
    if (drop > 0) this.recent.splice(0, drop);
    if (failed) {
      this.lastRequestError = `${new Date(failed.at).toLocaleTimeString()} ${failed.alias}: ${failed.error ?? `HTTP ${failed.status}`}`;
      this.render();
    }
  }

  /** Requests finished in the last 15 minutes (at most 10000), oldest first, as the worker reported them. */
  recentRequests(): TimedRecord[] {
    return this.recent.slice();
  }

  /** Re-applies the terminal environment (only changed variables are touched). */
  updateTerminal(): void {
    const token = this.host.gatewayToken;
    if (!token) return;
    const changed = this.terminal.update(this.settings.port, token, this.settings.exportOpenAIEnv);
    if (changed.length > 0) this.log.info(`Terminal environment updated: ${changed.join(', ')}`);
  }

  /**
   * Points Codex's config.toml at the gateway according to `codexGateway.codexConfig` (auto / ask / off).
   * @param explicit true when the user ran "Point Codex at the Gateway": writes even when the mode is `off` or
   *   the user declined before.
   */
  async syncCodexConfig(explicit: boolean): Promise<void> {
    try {
      const sel = await readSelection(this.codexHome);
      const aliases = this.good ? [...this.good.config.groups.keys()] : [];
      const declined = this.context.globalState.get<string>(DECLINED_KEY);
      let action = decideCodexAction(explicit ? 'auto' : this.settings.codexConfig, sel, aliases, explicit ? undefined : declined);
      if (action.kind === 'skip') return;
      if (action.kind === 'ask') {
        if (this.askOpen) return;
        this.askOpen = true;
        const current = action.current ?? '';
        const label = action.current ? `the provider "${action.current}"` : "OpenAI (Codex's default provider)";
        const choice = await vscode.window.showInformationMessage(
          `Codex is set to use ${label}. Point Codex (CLI and IDE) at Codex Gateway? Your current choice is saved and "Codex Gateway: Restore Codex Config" puts it back.`,
          'Use Codex Gateway',
          'Keep Current',
          'Never Ask',
        );
        this.askOpen = false;
        if (choice === 'Keep Current') await this.context.globalState.update(DECLINED_KEY, current);
        if (choice === 'Never Ask') await vscode.workspace.getConfiguration(SECTION).update('codexConfig', 'off', vscode.ConfigurationTarget.Global);
        if (choice !== 'Use Codex Gateway') return;
        action = decideCodexAction('auto', await readSelection(this.codexHome), aliases);
        if (action.kind !== 'write') return;
      }
      await this.context.globalState.update(DECLINED_KEY, undefined);
      const res = await applyCodexWiring({ codexHome: this.codexHome, port: this.settings.port, tokenFile: this.tokenFile, ...(action.model !== undefined ? { model: action.model } : {}) });
      if (res.changed) {
        this.log.info(`Codex config ${res.path} now points at the gateway (provider ${PROVIDER_ID}).${res.backupPath ? ` Original saved as ${res.backupPath}.` : ''}`);
        if (action.replaces !== undefined) {
          void vscode.window.showInformationMessage(
            `Codex Gateway set Codex's model_provider to "${PROVIDER_ID}" (it was "${action.replaces}"). Run "Codex Gateway: Restore Codex Config" to go back, or set codexGateway.codexConfig to "ask" to be asked first.`,
          );
        }
      }
    } catch (e) {
      const msg = (e as Error).message;
      this.log.error(`Could not update Codex's config.toml: ${msg}`);
      void vscode.window.showErrorMessage(`Codex Gateway could not update Codex's config.toml: ${msg}`, 'Open config.toml').then((b) => {
        if (b) void vscode.window.showTextDocument(vscode.Uri.file(`${this.codexHome}/config.toml`));
      });
    }
  }

  /**
   * Applies `codexGateway.claudeCode.*`: when enabled, writes Claude Code's settings.json and (when the Claude
   * Code extension is installed) `claudeCode.environmentVariables`; when disabled after having been wired,
   * restores both; when never answered and Claude Code is there, offers it once. Errors are shown and logged.
   */
  syncClaudeCode(): Promise<void> {
    const run = this.claudeChain.then(() => this.syncClaudeCodeNow());
    this.claudeChain = run.catch(() => undefined);
    return run;
  }

  private async syncClaudeCodeNow(): Promise<void> {
    const s = this.settings;
    if (!s.claudeCodeEnabled) {
      if (this.claudeState === 'wired' || (await this.claudeWiredBefore())) await this.restoreClaudeNow(false);
      else void this.offerClaudeCode();
      return;
    }
    try {
      const res = await applyClaudeSettings({ configDir: this.claudeDir, port: s.port, tokenFile: this.tokenFile, models: s.claudeCodeModels });
      if (res.changed) this.log.info(`Claude Code settings ${res.path} now point at the gateway.${res.backupPath ? ` Original saved as ${res.backupPath}.` : ''}`);
      await this.context.globalState.update(OFFER_KEY, 'enabled');
      if (vscode.extensions.getExtension(CLAUDE_EXTENSION_ID)) {
        const cfg = vscode.workspace.getConfiguration(CLAUDE_ENV_SETTING.section);
        const current = cfg.inspect<unknown>(CLAUDE_ENV_SETTING.key)?.globalValue;
        const m = mergeEnvironmentVariables(current, extensionVariables(wiringFor(s.port, this.tokenFile, s.claudeCodeModels)));
        if (m.changed) {
          const kept = this.context.globalState.get<EnvVarEntry[]>(PREVIOUS_ENV_KEY);
          if (kept === undefined) await this.context.globalState.update(PREVIOUS_ENV_KEY, m.displaced);
          await cfg.update(CLAUDE_ENV_SETTING.key, m.next, vscode.ConfigurationTarget.Global);
          this.log.info('claudeCode.environmentVariables now point the Claude Code extension at the gateway.');
        }
      }
      this.claudeState = 'wired';
    } catch (e) {
      this.claudeState = 'error';
      const msg = (e as Error).message;
      this.log.error(`Could not point Claude Code at the gateway: ${msg}`);
      void vscode.window.showErrorMessage(`Codex Gateway could not update Claude Code's settings: ${msg}`, 'Open settings.json').then((b) => {
        if (b) void vscode.window.showTextDocument(vscode.Uri.file(path.join(this.claudeDir, SETTINGS_FILE)));
      });
    }
    this.render();
  }

  /** Whether an earlier session wired Claude Code (our state file next to settings.json, or our env entries). */
  private async claudeWiredBefore(): Promise<boolean> {
    if (this.context.globalState.get<EnvVarEntry[]>(PREVIOUS_ENV_KEY) !== undefined) return true;
    return isClaudeWired(this.claudeDir);
  }

  /** Offers the wiring once when Claude Code is installed and the user never answered. */
  private async offerClaudeCode(): Promise<void> {
    if (this.claudeOfferOpen) return;
    const answer = this.context.globalState.get<string>(OFFER_KEY);
    const extensionInstalled = vscode.extensions.getExtension(CLAUDE_EXTENSION_ID) !== undefined;
    if (answer !== undefined || this.settings.claudeCodeEnabled) return;
    const claudeOnPath = !extensionInstalled && (await findOnPath('claude')) !== undefined;
    if (!shouldOffer({ enabled: this.settings.claudeCodeEnabled, answer, claudeOnPath, extensionInstalled })) return;
    this.claudeOfferOpen = true;
    try {
      const choice = await vscode.window.showInformationMessage(
        `Claude Code is installed. Let it use Codex Gateway's models too? Codex Gateway adds the gateway address and a token command to ${path.join(this.claudeDir, SETTINGS_FILE)} (keeping the rest) and "Codex Gateway: Restore Claude Code Settings" puts it back.`,
        'Enable',
        'Not now',
      );
      if (choice === undefined) return; // dismissed: ask again next time
      await this.context.globalState.update(OFFER_KEY, choice === 'Enable' ? 'enabled' : 'declined');
      if (choice === 'Enable') await vscode.workspace.getConfiguration(SECTION).update('claudeCode.enabled', true, vscode.ConfigurationTarget.Global);
    } finally {
      this.claudeOfferOpen = false;
    }
  }

  /**
   * "Restore Claude Code Settings": turns `codexGateway.claudeCode.enabled` off and puts settings.json and
   * `claudeCode.environmentVariables` back (see settings-json.ts for the rule).
   * @param explicit true from the command: says what happened in a notification.
   */
  async restoreClaudeCode(explicit: boolean): Promise<void> {
    if (this.settings.claudeCodeEnabled) {
      this.settings = { ...this.settings, claudeCodeEnabled: false };
      await vscode.workspace.getConfiguration(SECTION).update('claudeCode.enabled', false, vscode.ConfigurationTarget.Global);
    }
    const run = this.claudeChain.then(() => this.restoreClaudeNow(explicit));
    this.claudeChain = run.catch(() => undefined);
    await run;
  }

  private async restoreClaudeNow(explicit: boolean): Promise<void> {
    try {
      const res = await restoreClaudeWiring(this.claudeDir);
      const prev = this.context.globalState.get<EnvVarEntry[]>(PREVIOUS_ENV_KEY);
      let envChanged = false;
      if (prev !== undefined && vscode.extensions.getExtension(CLAUDE_EXTENSION_ID)) {
        const cfg = vscode.workspace.getConfiguration(CLAUDE_ENV_SETTING.section);
        const r = removeEnvironmentVariables(cfg.inspect<unknown>(CLAUDE_ENV_SETTING.key)?.globalValue, CLAUDE_ENV_KEYS, prev);
        if (r.changed) {
          await cfg.update(CLAUDE_ENV_SETTING.key, r.next, vscode.ConfigurationTarget.Global);
          envChanged = true;
        }
      }
      if (prev !== undefined) await this.context.globalState.update(PREVIOUS_ENV_KEY, undefined);
      const what = res.how === 'exact' ? `restored ${res.path} as it was` : res.how === 'keys' ? `removed its entries from ${res.path} (you edited the file since, so the rest stays as it is now)` : `found nothing of its own in ${res.path}`;
      this.log.info(`Claude Code: Codex Gateway ${what}${envChanged ? ' and from claudeCode.environmentVariables' : ''}.`);
      if (res.how !== 'none' || envChanged) this.claudeState = 'restored';
      if (explicit) void vscode.window.showInformationMessage(`Codex Gateway ${what}${envChanged ? '; claudeCode.environmentVariables is back to your entries' : ''}. Claude Code sessions started from now on use your own settings.`);
    } catch (e) {
      const msg = (e as Error).message;
      this.log.error(`Could not restore Claude Code's settings: ${msg}`);
      void vscode.window.showErrorMessage(`Codex Gateway could not restore Claude Code's settings: ${msg}`);
    }
    this.render();
  }

  /** Claude Code's wiring for the status bar, the panel and the API. */
  claudeCodeStatus(): ExtensionStatus['claudeCode'] {
    const t = tierModels(this.settings.claudeCodeModels);
    return { state: this.claudeState, configDir: this.claudeDir, tiers: { haiku: t.haiku, sonnet: t.sonnet, opus: t.opus } };
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
      claudeCode: this.claudeCodeStatus(),
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
      claudeCode: this.claudeCodeStatus(),
    };
    this.status.update(input);
  }
}
