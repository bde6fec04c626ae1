/**
 * The extension's commands (all under the category "Codex Gateway" in the Command Palette). Each command
 * that normally asks for input also accepts its answers as arguments, so tests and keybindings can run it
 * without UI: `setProviderKey(name?, value?)`, `clearProviderKey(name?)`, `selectModel(alias?, target?)`,
 * `importConfig(uri?)`, `exportConfig(uri?)`. "Open Settings" opens the settings panel (src/extension/panel).
 */
import * as vscode from 'vscode';
import { generateToken, writeMasterKey } from '../gateway/auth';
import { restoreCodexWiring } from './codex-wiring';
import type { Controller } from './controller';
import { openSettingsPanel, type PanelBackend } from './panel';
import { patternHint, pickModelHint } from '../gateway/codex/config-block';
import { isWildcard } from '../gateway/config/wildcard';
import { extractLiteralKeys, parseImportedYaml, SECRET_NAME, SECTION, servedByWildcard, toLiteLLMYaml, DEFAULT_CONFIG, type MovedKey } from './settings';
import { aliasPickItems, asksPickTarget, asPickTarget, missingKeys, PICK_TARGET_KEY, PICK_TARGETS, planModelPick, resolvedTiers, targetPickItems, type PickTarget } from './status-model';

/** Command ids, as contributed in package.json. */
export const COMMANDS = {
  importConfig: 'codexGateway.importConfig',
  exportConfig: 'codexGateway.exportConfig',
  setProviderKey: 'codexGateway.setProviderKey',
  clearProviderKey: 'codexGateway.clearProviderKey',
  rotateToken: 'codexGateway.rotateToken',
  restoreCodexConfig: 'codexGateway.restoreCodexConfig',
  restoreClaudeCode: 'codexGateway.restoreClaudeCode',
  configureCodex: 'codexGateway.configureCodex',
  showLog: 'codexGateway.showLog',
  selectModel: 'codexGateway.selectModel',
  openCodex: 'codexGateway.openCodex',
  openSettings: 'codexGateway.openSettings',
} as const;

/**
 * Registers every command; returns their disposables.
 * @param backend the settings panel's backend (see panel-backend.ts), for "Open Settings".
 */
export function registerCommands(c: Controller, backend: PanelBackend): vscode.Disposable[] {
  const reg = (id: string, fn: (...args: any[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        const msg = (e as Error).message;
        c.log.error(`${id}: ${msg}`);
        void vscode.window.showErrorMessage(`Codex Gateway: ${msg}`);
        return undefined;
      }
    });
  return [
    reg(COMMANDS.setProviderKey, (name?: string, value?: string) => setProviderKey(c, name, value)),
    reg(COMMANDS.clearProviderKey, (name?: string) => clearProviderKey(c, name)),
    reg(COMMANDS.selectModel, (alias?: string, target?: string) => selectModel(c, alias, target)),
    reg(COMMANDS.importConfig, (uri?: vscode.Uri | string) => importConfig(c, uri)),
    reg(COMMANDS.exportConfig, (uri?: vscode.Uri | string) => exportConfig(c, uri)),
    reg(COMMANDS.rotateToken, () => rotateToken(c)),
    reg(COMMANDS.restoreCodexConfig, () => restoreCodexConfig(c)),
    reg(COMMANDS.restoreClaudeCode, () => c.claudeCode.restore(true)),
    reg(COMMANDS.configureCodex, () => c.codexConfig.sync(true)),
    reg(COMMANDS.showLog, () => c.log.show()),
    reg(COMMANDS.openCodex, () => openCodex()),
    reg(COMMANDS.openSettings, () => void openSettingsPanel(c.context, backend)),
  ];
}

function toUri(u: vscode.Uri | string): vscode.Uri {
  return typeof u === 'string' ? (/^[a-z][a-z0-9+.-]*:/i.test(u) && !/^[a-z]:[\\/]/i.test(u) ? vscode.Uri.parse(u) : vscode.Uri.file(u)) : u;
}

/** Aliases that use a secret name, for the key picker's descriptions. */
function usersOf(c: Controller, name: string): string[] {
  return c.aliasInfos()
    .filter((a) => a.keys.some((k) => k.name === name))
    .map((a) => a.alias);
}

/**
 * "Set Provider Key": picks a key name (the names the config references, with their status, or another
 * name) and asks for the value in a password box. Stored in SecretStorage only.
 * @returns the name stored, or undefined when cancelled.
 */
async function setProviderKey(c: Controller, name?: string, value?: string): Promise<string | undefined> {
  if (name === undefined) {
    const names = c.secrets.knownNames();
    type Item = vscode.QuickPickItem & { name?: string };
    const items: Item[] = names.map((n) => {
      const users = usersOf(c, n);
      return {
        name: n,
        label: n,
        description: c.secrets.has(n) ? '$(check) set' : '$(warning) missing',
        detail: users.length > 0 ? `Used by ${users.join(', ')}` : 'Not used by the current config',
      };
    });
    items.sort((a, b) => Number(c.secrets.has(a.name!)) - Number(c.secrets.has(b.name!)));
    items.push({ label: '$(add) Another name…', detail: 'A key for an api_key: os.environ/NAME you are about to add' });
    const pick = await vscode.window.showQuickPick(items, { title: 'Codex Gateway: Set Provider Key', placeHolder: 'Which key? (names from api_key: os.environ/NAME in codexGateway.config)', matchOnDetail: true });
    if (!pick) return undefined;
    name = pick.name;
    if (name === undefined) {
      name = await vscode.window.showInputBox({
        title: 'Codex Gateway: key name',
        prompt: 'The NAME of api_key: os.environ/NAME, e.g. DEEPSEEK_API_KEY',
        validateInput: (v) => (SECRET_NAME.test(v.trim()) ? undefined : 'Letters, digits and _ only, not starting with a digit (e.g. DEEPSEEK_API_KEY).'),
        ignoreFocusOut: true,
      });
      if (!name) return undefined;
      name = name.trim();
    }
  }
  if (!SECRET_NAME.test(name)) throw new Error(`"${name}" is not a valid key name: use letters, digits and _ (e.g. DEEPSEEK_API_KEY).`);
  if (value === undefined) {
    value = await vscode.window.showInputBox({
      title: `Codex Gateway: ${name}`,
      prompt: `Paste the value of ${name}. It is kept in VS Code's secret storage, never in settings, logs or config files.`,
      password: true,
      ignoreFocusOut: true,
      placeHolder: name,
      validateInput: (v) => (v.trim() === '' ? 'The key is empty.' : /\s/.test(v.trim()) ? 'A key has no spaces or line breaks; paste just the key.' : undefined),
    });
    if (value === undefined) return undefined;
  }
  value = value.trim();
  if (value === '') throw new Error(`The value for ${name} is empty; nothing was stored.`);
  await c.secrets.store(name, value);
  c.log.info(`Key ${name} stored in SecretStorage.`);
  const users = usersOf(c, name);
  void vscode.window.showInformationMessage(
    users.length > 0 ? `${name} saved. ${users.join(', ')} can use it now.` : `${name} saved. Reference it with api_key: os.environ/${name} in codexGateway.config.`,
  );
  return name;
}

/** "Clear Provider Key": deletes one stored key (picked from the names this extension knows). */
async function clearProviderKey(c: Controller, name?: string): Promise<string | undefined> {
  if (name === undefined) {
    const stored: string[] = [];
    for (const n of c.secrets.knownNames()) if (await c.secrets.stored(n)) stored.push(n);
    if (stored.length === 0) {
      void vscode.window.showInformationMessage('Codex Gateway has no stored provider keys.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      stored.map((n) => ({ label: n, detail: usersOf(c, n).length ? `Used by ${usersOf(c, n).join(', ')}` : 'Not used by the current config' })),
      { title: 'Codex Gateway: Clear Provider Key', placeHolder: 'Which key should be deleted from secret storage?' },
    );
    if (!pick) return undefined;
    name = pick.label;
  }
  await c.secrets.delete(name);
  c.log.info(`Key ${name} deleted from SecretStorage.`);
  void vscode.window.showInformationMessage(`${name} deleted from VS Code's secret storage.${process.env[name] ? ' It is still set in the environment, which the gateway also reads.' : ''}`);
  return name;
}

/**
 * "Select Model": a QuickPick of aliases (provider/model and key status); the chosen alias becomes the
 * model behind `default` at once (next Codex request) and is saved in `codexGateway.defaultModel`.
 * While Claude Code is wired, a second QuickPick asks where the model goes: Codex, Claude Code (every tier of
 * `codexGateway.claudeCode.models`) or both; the last answer comes first next time (see `planModelPick`).
 * @param target with `alias`, where it goes without asking (`codex` when omitted).
 */
async function selectModel(c: Controller, alias?: string, target?: string): Promise<string | undefined> {
  const infos = c.aliasInfos();
  if (infos.length === 0) {
    const b = await vscode.window.showWarningMessage('Codex Gateway has no valid model config. Add models to codexGateway.config, or import a LiteLLM config.yaml.', 'Import config.yaml', 'Open Settings');
    if (b === 'Import config.yaml') await vscode.commands.executeCommand(COMMANDS.importConfig);
    else if (b) await vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
    return undefined;
  }
  if (target !== undefined && !asPickTarget(target)) throw new Error(`"${target}" is not a target: use ${PICK_TARGETS.join(', ')}.`);
  const items = aliasPickItems(infos, c.currentDefault);
  // Wildcard model_name entries (`openai/*`) serve any matching name; the user types it.
  const patterns = infos.map((i) => i.alias).filter(isWildcard);
  const wildcardPick = (name: string) => ({ alias: name, missing: missingKeys(infos.find((i) => isWildcard(i.alias) && servedByWildcard(name, [i.alias]))) });
  let chosen: { alias: string; missing: string[] } | undefined = alias !== undefined ? items.find((i) => i.alias === alias) : undefined;
  if (alias !== undefined && !chosen && servedByWildcard(alias, patterns)) chosen = wildcardPick(alias);
  if (alias !== undefined && !chosen) throw new Error(`"${alias}" is not an alias of codexGateway.config (aliases: ${items.map((i) => i.alias).join(', ')}${patterns.length > 0 ? `; or ${pickModelHint(patterns).replace('pick a model: ', '')}` : ''}).`);
  if (!chosen && items.length === 0 && patterns.length > 0) {
    const name = await vscode.window.showInputBox({
      title: 'Codex Gateway: Select Model',
      prompt: `The config has only wildcard models: ${pickModelHint(patterns)}. Applies to the next request, CLI and IDE.`,
      placeHolder: patternHint(patterns[0]!),
      ...(c.currentDefault !== undefined ? { value: c.currentDefault } : {}),
      validateInput: (v) => (servedByWildcard(v.trim(), patterns) ? undefined : `No model_name pattern serves "${v.trim()}": ${pickModelHint(patterns)}.`),
    });
    if (!name) return undefined;
    chosen = wildcardPick(name.trim());
  }
  if (!chosen) {
    chosen = await vscode.window.showQuickPick(items, {
      title: 'Codex Gateway: Select Model',
      placeHolder: `Model for Codex (now: ${c.currentDefault ?? 'none'}). Applies to the next request, CLI and IDE.`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!chosen) return undefined;
  }
  let where: PickTarget = asPickTarget(target) ?? 'codex';
  if (alias === undefined && asksPickTarget(c.claudeCode.status())) {
    const last = asPickTarget(c.context.globalState.get<unknown>(PICK_TARGET_KEY));
    const rows = targetPickItems(chosen.alias, last, c.currentDefault, resolvedTiers(c.settings.claudeCodeModels, c.currentDefault));
    const picked = await vscode.window.showQuickPick(rows, { title: `Codex Gateway: Use ${chosen.alias} for`, placeHolder: 'Codex, Claude Code, or both?', matchOnDescription: true });
    if (!picked) return undefined;
    where = picked.target;
    await c.context.globalState.update(PICK_TARGET_KEY, where);
  }
  const plan = planModelPick(chosen.alias, where, c.currentDefault, c.settings.claudeCodeModels);
  // Claude Code's tiers first: a tier that follows the default model is pinned before the default moves.
  if (plan.claudeModels) await vscode.workspace.getConfiguration(SECTION).update('claudeCode.models', plan.claudeModels, vscode.ConfigurationTarget.Global);
  if (plan.defaultModel !== undefined) await c.selectDefault(plan.defaultModel);
  if (chosen.missing.length > 0 && alias === undefined) {
    const b = await vscode.window.showWarningMessage(`${chosen.alias} needs ${chosen.missing.join(' and ')}, which is not set.`, `Set ${chosen.missing[0]}`);
    if (b) await setProviderKey(c, chosen.missing[0]);
  }
  return chosen.alias;
}

/** Reads a file through the workspace file system (works in remote windows). */
async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
}

/**
 * "Import LiteLLM config.yaml into Settings": validates the file, moves literal keys (and LiteLLM's
 * `environment_variables` block) to SecretStorage, and replaces `codexGateway.config` (user settings).
 */
async function importConfig(c: Controller, arg?: vscode.Uri | string): Promise<boolean> {
  let uri = arg !== undefined ? toUri(arg) : undefined;
  const interactive = uri === undefined;
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({ title: 'Import LiteLLM config.yaml', canSelectMany: false, filters: { 'LiteLLM config': ['yaml', 'yml', 'json'] }, openLabel: 'Import' });
    if (!picked?.[0]) return false;
    uri = picked[0];
  }
  const fileName = uri.path.slice(uri.path.lastIndexOf('/') + 1);
  const parsed = parseImportedYaml(await readText(uri), fileName);
  if (!parsed.ok) {
    const lines = parsed.issues.map((i) => `${i.path}: ${i.message}`);
    c.log.error(`Import of ${uri.fsPath} failed:\n  ${lines.join('\n  ')}`);
    throw new Error(`${fileName} cannot be imported: ${lines[0]}${lines.length > 1 ? ` (and ${lines.length - 1} more, see the log)` : ''}. Settings were not changed.`);
  }
  // Move keys out: literal api_key values and LiteLLM's environment_variables block.
  let { raw, moved, droppedMasterKey } = extractLiteralKeys(parsed.raw);
  const envBlock = (raw as Record<string, unknown>).environment_variables;
  const extra: MovedKey[] = [];
  if (envBlock && typeof envBlock === 'object' && !Array.isArray(envBlock)) {
    for (const [k, v] of Object.entries(envBlock)) if (SECRET_NAME.test(k) && typeof v === 'string' && v !== '') extra.push({ name: k, value: v, path: `environment_variables.${k}` });
    raw = { ...(raw as Record<string, unknown>) };
    delete (raw as Record<string, unknown>).environment_variables;
  }
  // Never overwrite a different stored key with a generated name: pick the next free name instead.
  const taken = new Set<string>();
  for (let round = 0; round < 5; round++) {
    let clash = false;
    for (const m of moved) {
      const existing = await c.secrets.storedValue(m.name);
      if (existing !== undefined && existing !== m.value && !taken.has(m.name)) {
        taken.add(m.name);
        clash = true;
      }
    }
    if (!clash) break;
    ({ raw, moved, droppedMasterKey } = extractLiteralKeys(parsed.raw, taken));
    delete (raw as Record<string, unknown>).environment_variables;
  }
  const aliases = [...new Set(((raw as { model_list?: Array<{ model_name?: unknown }> }).model_list ?? []).map((e) => String(e.model_name)))];
  const current = vscode.workspace.getConfiguration(SECTION).inspect('config');
  const hasOwn = current?.globalValue !== undefined && JSON.stringify(current.globalValue) !== JSON.stringify(DEFAULT_CONFIG);
  if (hasOwn && interactive) {
    const ok = await vscode.window.showWarningMessage(
      `Replace codexGateway.config in your user settings with the ${aliases.length} alias(es) of ${fileName} (${aliases.join(', ')})?`,
      { modal: true, detail: 'Export your current settings first with "Codex Gateway: Export Settings to LiteLLM config.yaml" if you want to keep them.' },
      'Replace',
    );
    if (ok !== 'Replace') return false;
  }
  for (const m of [...moved, ...extra]) await c.secrets.store(m.name, m.value);
  await vscode.workspace.getConfiguration(SECTION).update('config', raw, vscode.ConfigurationTarget.Global);
  const keysMsg = moved.length + extra.length > 0 ? ` Keys moved to secret storage: ${[...moved, ...extra].map((m) => m.name).join(', ')} (settings only reference them).` : '';
  const mkMsg = droppedMasterKey ? ' general_settings.master_key was not imported: Codex is wired with the gateway token Codex Gateway keeps for you, so nothing else is needed.' : '';
  c.log.info(`Imported ${uri.fsPath}: aliases ${aliases.join(', ')}.${keysMsg}${mkMsg}`);
  void vscode.window.showInformationMessage(`Imported ${aliases.length} alias(es) from ${fileName}: ${aliases.join(', ')}.${keysMsg}${mkMsg}`);
  return true;
}

/** "Export Settings to LiteLLM config.yaml": writes `codexGateway.config` (plus the port) as YAML. */
async function exportConfig(c: Controller, arg?: vscode.Uri | string): Promise<string | undefined> {
  let uri = arg !== undefined ? toUri(arg) : undefined;
  if (!uri) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    uri = await vscode.window.showSaveDialog({
      title: 'Export Codex Gateway settings as LiteLLM config.yaml',
      filters: { YAML: ['yaml', 'yml'] },
      saveLabel: 'Export',
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, 'config.yaml') } : {}),
    });
    if (!uri) return undefined;
  }
  const text = toLiteLLMYaml(c.settings.config, c.settings.port);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  c.log.info(`Exported settings to ${uri.fsPath}`);
  if (arg === undefined) {
    void vscode.window.showInformationMessage(`Exported to ${uri.fsPath}. Keys stay in secret storage: the file only names them (os.environ/NAME).`, 'Open').then((b) => {
      if (b) void vscode.window.showTextDocument(uri!);
    });
  }
  return uri.fsPath;
}

/** "Rotate Gateway Token": writes a new token to the shared token file; Codex re-reads it after a 401. */
async function rotateToken(c: Controller): Promise<void> {
  const token = await writeMasterKey(c.tokenFile, generateToken());
  c.host.useToken(token);
  c.updateTerminal();
  c.log.info(`Gateway token rotated (${c.tokenFile}).`);
  void vscode.window.showInformationMessage(
    `New gateway token written to ${c.tokenFile}. Codex picks it up by itself (it re-reads the file after a 401); terminals with OPENAI_API_KEY exported need a relaunch.`,
  );
}

/** "Restore Codex Config": puts back the user's own model_provider / model and removes our table. */
async function restoreCodexConfig(c: Controller): Promise<void> {
  const res = await restoreCodexWiring(c.codexHome);
  const cfg = vscode.workspace.getConfiguration(SECTION);
  if (cfg.get('codexConfig') !== 'off') await cfg.update('codexConfig', 'off', vscode.ConfigurationTarget.Global);
  c.log.info(res.restored ? `Restored ${res.path}.` : `${res.path} had nothing of Codex Gateway to restore.`);
  void vscode.window.showInformationMessage(
    `${res.restored ? `Restored ${res.path}: Codex uses your previous provider again.` : `${res.path} does not point at Codex Gateway; nothing to restore.`} codexGateway.codexConfig is now "off" so it stays that way; run "Codex Gateway: Point Codex at the Gateway" to wire it again.`,
  );
}

/** "Open Codex": opens the Codex extension's view, or offers to install it. */
async function openCodex(): Promise<void> {
  const ext = vscode.extensions.getExtension('openai.chatgpt');
  if (!ext) {
    const b = await vscode.window.showInformationMessage(
      'The Codex extension (openai.chatgpt) is not installed. Install it, or run `codex` in a terminal: both use Codex Gateway through ~/.codex/config.toml.',
      'Show Extension',
      'Open Terminal',
    );
    if (b === 'Show Extension') await vscode.commands.executeCommand('workbench.extensions.search', '@id:openai.chatgpt');
    if (b === 'Open Terminal') vscode.window.createTerminal({ name: 'Codex' }).show();
    return;
  }
  const containers = (ext.packageJSON as { contributes?: { viewsContainers?: Record<string, Array<{ id?: string }>> } }).contributes?.viewsContainers ?? {};
  for (const where of ['activitybar', 'secondarySidebar', 'panel']) {
    const id = containers[where]?.[0]?.id;
    if (id) {
      await vscode.commands.executeCommand(`workbench.view.extension.${id}`);
      return;
    }
  }
  await ext.activate();
}
