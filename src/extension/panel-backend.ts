/**
 * The settings panel's backend (`PanelBackend` of src/extension/panel/backend.ts), implemented on the
 * extension's {@link Controller}: state snapshots, validation with the engine, writes to user settings and
 * SecretStorage, alias tests through the running gateway, and the live request feed (batched by the worker).
 *
 * Wiring, in the composition root:
 * ```ts
 * const backend = createPanelBackend(c);
 * reg('codexGateway.openSettings', () => openSettingsPanel(context, backend));
 * ```
 */
import * as vscode from 'vscode';
import type { ConfigIssue } from '../gateway/config';
import * as path from 'node:path';
import { SETTINGS_FILE } from '../gateway/claude/settings-json';
import { CLAUDE_ENV_SETTING, CLAUDE_EXTENSION_ID } from './claude-wiring';
import type { Controller } from './controller';
import { claudeExtensionSettingSet, type PanelBackend, type PanelBackendState } from './panel/backend';
import { testAliasThroughGateway } from './panel/test-alias';
import { resolveSettingsConfig, SECRET_NAME, SECTION } from './settings';
import { CHATGPT_PLAN_CONSENT } from '../shared/panel-protocol';

const PREFIX = 'codexGateway.config.';

/** The accept button of the ChatGPT plan's consent dialog (the only choice that turns the plan on). */
export const CHATGPT_PLAN_ACCEPT = 'Use my ChatGPT plan';

/** Issue paths relative to the config object (`model_list[0]...`), as the panel shows them. */
function relative(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues.map((i) => ({ path: i.path.startsWith(PREFIX) ? i.path.slice(PREFIX.length) : i.path === 'codexGateway.config' ? '' : i.path, message: i.message }));
}

/**
 * Builds the panel backend for a controller. Key values only ever flow into SecretStorage; nothing here returns one.
 * @throws (from `setKey`) an Error naming the rule when the key name is not a valid `os.environ/NAME` name or the value is empty.
 */
export function createPanelBackend(c: Controller): PanelBackend {
  const update = (key: string, value: unknown) => vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
  return {
    getState(): PanelBackendState {
      const snap = c.snapshot();
      const keys: PanelBackendState['keys'] = {};
      for (const n of c.secrets.referenced()) keys[n] = c.secrets.stateOf(n);
      return {
        config: c.settings.config,
        defaultModel: c.settings.defaultModel,
        ...(snap.defaultAlias !== undefined ? { effectiveDefault: snap.defaultAlias } : {}),
        keys,
        gateway: { phase: snap.phase, port: snap.port, ...(snap.error !== undefined ? { error: snap.error } : {}) },
        issues: relative(c.issues ?? []),
        claudeCode: {
          enabled: c.settings.claudeCodeEnabled,
          state: snap.claudeCode.state,
          settingsPath: path.join(snap.claudeCode.configDir, SETTINGS_FILE),
          extensionInstalled: vscode.extensions.getExtension(CLAUDE_EXTENSION_ID) !== undefined,
          extensionSettingSet: claudeExtensionSettingSet(
            vscode.workspace.getConfiguration(CLAUDE_ENV_SETTING.section).inspect<unknown>(CLAUDE_ENV_SETTING.key)?.globalValue,
            `http://127.0.0.1:${c.settings.port}`,
          ),
          models: { ...c.settings.claudeCodeModels },
        },
        ...(c.plan.usage ? { chatgptPlanUsage: c.plan.usage } : {}),
      };
    },
    onDidChange: c.onDidChange,
    validate(raw) {
      const r = resolveSettingsConfig(raw, (n) => c.secrets.get(n));
      return r.ok ? [] : relative(r.issues);
    },
    async saveConfig(raw) {
      await update('config', raw);
    },
    async setDefaultModel(alias) {
      if (alias) await c.selectDefault(alias);
      else await update('defaultModel', '');
    },
    async setKey(name, value) {
      if (!SECRET_NAME.test(name)) throw new Error(`"${name}" is not a valid key name: use letters, digits and _ (e.g. DEEPSEEK_API_KEY).`);
      const v = value.trim();
      if (v === '') throw new Error(`The value for ${name} is empty; nothing was stored.`);
      await c.secrets.store(name, v);
    },
    async clearKey(name) {
      await c.secrets.delete(name);
    },
    async keyStatus(names) {
      const out: Record<string, 'set' | 'env' | 'missing'> = {};
      for (const n of names) out[n] = (await c.secrets.stored(n)) ? 'set' : process.env[n] ? 'env' : 'missing';
      return out;
    },
    testAlias(alias) {
      return testAliasThroughGateway({ baseUrl: `http://127.0.0.1:${c.snapshot().port}`, token: c.host.gatewayToken, alias });
    },
    recentRequests: () => c.requests.recent(),
    onRequest: c.requests.onRequest,
    async importLiteLLM() {
      await vscode.commands.executeCommand('codexGateway.importConfig');
    },
    async exportLiteLLM() {
      await vscode.commands.executeCommand('codexGateway.exportConfig');
    },
    async setClaudeCodeEnabled(enabled) {
      await update('claudeCode.enabled', enabled);
    },
    async setClaudeCodeModel(tier, alias) {
      await update('claudeCode.models', { ...c.settings.claudeCodeModels, [tier]: alias });
    },
    async confirmChatgptPlan() {
      const choice = await vscode.window.showWarningMessage('Use your ChatGPT plan through Codex Gateway?', { modal: true, detail: CHATGPT_PLAN_CONSENT }, CHATGPT_PLAN_ACCEPT);
      return choice === CHATGPT_PLAN_ACCEPT;
    },
  };
}
