/**
 * Pointing Claude Code (CLI and the `anthropic.claude-code` VS Code extension) at the gateway's
 * `/v1/messages` door, as pure decisions plus the engine's settings.json writer
 * (src/gateway/claude/settings-json.ts). No `vscode` import: the controller does the VS Code calls.
 *
 * Source: /work/shared/notes/claude-code-wire.md ("How Claude Code calls a gateway"):
 * - `$CLAUDE_CONFIG_DIR/settings.json` (else `~/.claude/settings.json`) gets `env.ANTHROPIC_BASE_URL`
 *   (`http://127.0.0.1:PORT`, no `/v1`), the tier variables and `apiKeyHelper` (prints the 0600 token file;
 *   the token is never written). Claude Code, the CLI and the one the VS Code extension spawns, reads it.
 * - The Claude Code VS Code extension also takes gateway variables from the user setting
 *   `claudeCode.environmentVariables` (array of `{name, value}`): our variables are merged into it (other
 *   entries kept, an entry of the user's with one of our names remembered and put back on restore).
 *
 * Opt-in: `codexGateway.claudeCode.enabled` (default false). When `claude` is on PATH (or the Claude Code
 * extension is installed) and the user never answered, the extension offers it once.
 */
import { promises as fsp, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { CLAUDE_ENV_KEYS, claudeWiring, restoreClaudeSettings, writeClaudeSettings, type ClaudeTierModels, type ClaudeWiring, type RestoreClaudeSettingsResult, type WriteClaudeSettingsResult } from '../gateway/claude/settings-json';
import type { ClaudeCodeModels } from './settings';

/** Id of Anthropic's Claude Code VS Code extension. */
export const CLAUDE_EXTENSION_ID = 'anthropic.claude-code';

/** The VS Code setting (section `claudeCode`, key `environmentVariables`) the Claude Code extension reads. */
export const CLAUDE_ENV_SETTING = { section: 'claudeCode', key: 'environmentVariables' } as const;

/** globalState key: the user's answer to the one-time offer (`'enabled'` / `'declined'`; absent = never asked). */
export const OFFER_KEY = 'codexGateway.claudeCode.offer';

/** globalState key: the user's own `claudeCode.environmentVariables` entries with our names, before we set ours. */
export const PREVIOUS_ENV_KEY = 'codexGateway.claudeCode.previousEnvironmentVariables';

/** The gateway's virtual alias for the model picked in VS Code (a tier left empty follows the picker). */
export const DEFAULT_ALIAS = 'default';

/** Claude Code's wiring as the UI shows it. */
export type ClaudeWiringState =
  /** Not enabled, never written. */
  | 'off'
  /** settings.json (and `claudeCode.environmentVariables` when that extension is installed) point at the gateway. */
  | 'wired'
  /** Was wired, and the user's settings were put back (disabled or "Restore Claude Code Settings"). */
  | 'restored'
  /** The last write failed (the message was shown and logged). */
  | 'error';

/** One entry of `claudeCode.environmentVariables`. */
export interface EnvVarEntry {
  name: string;
  value: string;
}

/** The alias per tier: an empty setting means {@link DEFAULT_ALIAS}; `ANTHROPIC_MODEL` is the sonnet tier's. */
export function tierModels(models: ClaudeCodeModels): ClaudeTierModels {
  const pick = (v: string) => (v.trim() === '' ? DEFAULT_ALIAS : v.trim());
  const sonnet = pick(models.sonnet);
  return { main: sonnet, haiku: pick(models.haiku), sonnet, opus: pick(models.opus) };
}

/**
 * The wiring for a gateway on `port` whose token is in `tokenFile` (see settings-json.ts).
 * @throws ClaudeSettingsError `invalid_wiring` when `tokenFile` is empty.
 */
export function wiringFor(port: number, tokenFile: string, models: ClaudeCodeModels, platform: NodeJS.Platform = process.platform): ClaudeWiring {
  return claudeWiring({ baseUrl: `http://127.0.0.1:${port}`, models: tierModels(models), tokenFile, platform });
}

/** Our variables for `claudeCode.environmentVariables` (no token: `apiKeyHelper` in settings.json supplies it). */
export function extensionVariables(w: ClaudeWiring): EnvVarEntry[] {
  return CLAUDE_ENV_KEYS.map((name) => ({ name, value: w.env[name] }));
}

function entries(current: unknown): EnvVarEntry[] {
  if (!Array.isArray(current)) return [];
  return current.filter((e): e is EnvVarEntry => typeof e === 'object' && e !== null && typeof (e as EnvVarEntry).name === 'string' && typeof (e as EnvVarEntry).value === 'string').map((e) => ({ name: e.name, value: e.value }));
}

/**
 * Merges our variables into the current `claudeCode.environmentVariables` value: an entry with one of our
 * names gets our value in place; missing ones are appended; every other entry is kept as it is.
 * @returns the new value, whether it differs, and the user's own entries with our names (to keep for restore).
 */
export function mergeEnvironmentVariables(current: unknown, ours: readonly EnvVarEntry[]): { next: EnvVarEntry[]; changed: boolean; displaced: EnvVarEntry[] } {
  const cur = entries(current);
  const byName = new Map(ours.map((e) => [e.name, e.value]));
  const displaced = cur.filter((e) => byName.has(e.name) && e.value !== byName.get(e.name));
  const next = cur.map((e) => (byName.has(e.name) ? { name: e.name, value: byName.get(e.name)! } : e));
  for (const e of ours) if (!next.some((n) => n.name === e.name)) next.push({ ...e });
  // Two entries of one name: keep the first (ours now).
  const seen = new Set<string>();
  const dedup = next.filter((e) => !byName.has(e.name) || (!seen.has(e.name) && seen.add(e.name)));
  return { next: dedup, changed: JSON.stringify(dedup) !== JSON.stringify(current ?? []), displaced };
}

/**
 * Removes our variables from `claudeCode.environmentVariables`: entries with our names are dropped, and the
 * user's own entries we displaced come back. Other entries are kept.
 * @param names our variable names.
 * @param previous the entries {@link mergeEnvironmentVariables} displaced.
 * @returns the new value (`undefined` when nothing is left: the setting is removed) and whether it changed.
 */
export function removeEnvironmentVariables(current: unknown, names: readonly string[], previous: readonly EnvVarEntry[]): { next: EnvVarEntry[] | undefined; changed: boolean } {
  const cur = entries(current);
  const kept = cur.filter((e) => !names.includes(e.name));
  const next = [...kept, ...previous.filter((p) => !kept.some((k) => k.name === p.name))];
  const changed = JSON.stringify(next) !== JSON.stringify(cur) || (current !== undefined && next.length === 0);
  return { next: next.length > 0 ? next : undefined, changed };
}

/**
 * Whether to offer the wiring now: not enabled, never answered, and Claude Code is there (`claude` on PATH
 * or the VS Code extension installed).
 */
export function shouldOffer(s: { enabled: boolean; answer: string | undefined; claudeOnPath: boolean; extensionInstalled: boolean }): boolean {
  return !s.enabled && s.answer === undefined && (s.claudeOnPath || s.extensionInstalled);
}

/**
 * Finds an executable on PATH (`claude`; on Windows also with PATHEXT's extensions).
 * @returns its path, or undefined. Never throws.
 */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').map((e) => e.toLowerCase())] : [''];
  for (const d of dirs) {
    for (const ext of exts) {
      const f = path.join(d, name + ext);
      try {
        const st = await fsp.stat(f);
        if (!st.isFile()) continue;
        if (platform !== 'win32') await fsp.access(f, fsConstants.X_OK);
        return f;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * Writes settings.json (see settings-json.ts `writeClaudeSettings`).
 * @throws ClaudeSettingsError `invalid_json` (file untouched) or a file-system error.
 */
export function applyClaudeSettings(opts: { configDir: string; port: number; tokenFile: string; models: ClaudeCodeModels }): Promise<WriteClaudeSettingsResult> {
  return writeClaudeSettings({ configDir: opts.configDir, wiring: wiringFor(opts.port, opts.tokenFile, opts.models) });
}

/**
 * Restores settings.json (see settings-json.ts `restoreClaudeSettings`: exact bytes, or only our keys after
 * a user edit). Idempotent.
 */
export function restoreClaudeWiring(configDir: string): Promise<RestoreClaudeSettingsResult> {
  return restoreClaudeSettings({ configDir });
}
