/**
 * Wires Codex to the gateway by editing Codex's user config, `$CODEX_HOME/config.toml` (default `~/.codex`),
 * on disk: location, lock, backup, atomic write, restore state. The text edit itself (which bytes we own and
 * how they are spliced) is the pure module toml-splice.ts; the generic file operations are ../files.ts.
 *
 * Only `$CODEX_HOME/config.toml` may set `model_provider` and `[model_providers.*]` (observed, Codex 0.169;
 * a project `.codex/config.toml` ignores them), so that is the file we edit.
 *
 * Files this module keeps next to config.toml (all mode 0600):
 * - `config.toml.codex-gateway.bak`: a byte copy of config.toml as it was before our first write; created
 *   once ({@link createOnce}), never overwritten, not removed by restore. Absent when there was no config.toml.
 * - `config.toml.codex-gateway.json`: restore state ({@link CodexGatewayState}): the user's previous
 *   `model` / `model_provider` (and their exact source text), what we set, our provider id, whether the
 *   file existed and its mode. Lets {@link restoreCodexConfig} work after a VS Code restart; removed by it.
 * - `config.toml.lock`: the inter-process lock (a directory, proper-lockfile; see {@link withFileLock}), held
 *   while a writer reads, edits and renames. Next to the real file when config.toml is a symlink.
 * - `config.toml.<number>`: write-file-atomic's temp file, renamed over config.toml ({@link writeFileAtomic}).
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_STALE_LOCK_MS, FileLockError, createOnce, lockPathFor, readFileIfExists, realTarget, withFileLock, writeFileAtomic } from '../files';
import {
  BACKUP_FILE,
  CONFIG_FILE,
  CodexConfigError,
  applyCodexWiring,
  captureCodexPrevious,
  parseCodexConfig,
  removeCodexWiring,
  validateWiring,
  type CodexPrevious,
  type CodexWiring,
  type TomlTable,
} from './toml-splice';

export {
  BACKUP_FILE,
  CONFIG_FILE,
  CodexConfigError,
  RESERVED_PROVIDER_IDS,
  applyCodexWiring,
  captureCodexPrevious,
  readCodexSelection,
  removeCodexWiring,
  type CodexConfigErrorCode,
  type CodexPrevious,
  type CodexWiring,
  type TomlValue,
} from './toml-splice';

/** File name of the restore-state sidecar (inside CODEX_HOME), see {@link CodexGatewayState}. */
export const STATE_FILE = 'config.toml.codex-gateway.json';
/** File name of the writers' lock (a directory inside CODEX_HOME, {@link lockPathFor} of config.toml). */
export const LOCK_FILE = path.basename(lockPathFor(CONFIG_FILE));

/**
 * Codex's home directory: `$CODEX_HOME` when set and non-empty (resolved to an absolute path), else
 * `$HOME/.codex` (`%USERPROFILE%\.codex` on Windows), as Codex itself resolves it.
 * @param env Environment to read (default `process.env`).
 */
export function codexHome(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.CODEX_HOME;
  if (explicit && explicit.trim() !== '') return path.resolve(explicit);
  const home = env.HOME || (process.platform === 'win32' ? env.USERPROFILE : undefined) || os.homedir();
  return path.join(home, '.codex');
}

/** Restore state kept in {@link STATE_FILE} (JSON, mode 0600). */
export interface CodexGatewayState {
  version: 1;
  /** Our provider id in config.toml. */
  providerId: string;
  /** Whether config.toml existed before our first write (restore deletes a file we created and left empty). */
  originalExisted: boolean;
  /** Permission bits of config.toml before our first write (restore puts them back), or null. */
  originalMode: number | null;
  /** The user's `model` / `model_provider` before our first write (null: absent). */
  previous: { model: string | null; model_provider: string | null };
  /** Exact source tokens of those values. */
  raw: { model?: string; model_provider?: string };
  /** What we set. */
  applied: { model?: string; model_provider?: string };
}

/** Options of {@link writeCodexConfig}. */
export interface WriteCodexConfigOptions {
  /** Codex home directory (default {@link codexHome}()). Created (0700) when missing. */
  codexHome?: string;
  wiring: CodexWiring;
  /** How long to wait for another writer's lock, in ms (default {@link DEFAULT_LOCK_TIMEOUT_MS}). */
  lockTimeoutMs?: number;
  /**
   * Age in ms after which the lock counts as abandoned (its writer died or hung) and is removed (default
   * {@link DEFAULT_STALE_LOCK_MS}, at least 2000); a live writer refreshes it every half of this.
   */
  staleLockMs?: number;
  /**
   * Test seam: called when the temp file for config.toml exists (still empty), before it is written, fsynced
   * and renamed over config.toml (tests use it to observe or simulate a crash). Throwing aborts the write: the
   * temp file is removed, config.toml kept.
   */
  onTempFile?: (tempPath: string, targetPath: string) => void | Promise<void>;
}

/** Result of {@link writeCodexConfig}. */
export interface WriteCodexConfigResult {
  /** Path of config.toml. */
  path: string;
  /** Whether config.toml's content changed. */
  changed: boolean;
  /** Path of the one-time backup, when one exists (absent when there was no config.toml to back up). */
  backupPath?: string;
  /** The user's selection that {@link restoreCodexConfig} will put back. */
  previous: { model?: string; model_provider?: string };
}

/** Reads {@link STATE_FILE}; `null` when absent or damaged (treated as absent). @throws file-system errors other than ENOENT. */
async function readState(file: string): Promise<CodexGatewayState | null> {
  const read = await readFileIfExists(file);
  if (read === null) return null;
  try {
    const s = JSON.parse(read.bytes.toString('utf8')) as CodexGatewayState;
    const strOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
    if (s.version === 1 && typeof s.providerId === 'string' && s.previous && strOrNull(s.previous.model) && strOrNull(s.previous.model_provider)) {
      return { ...s, raw: s.raw ?? {}, applied: s.applied ?? {} };
    }
  } catch {
    // fall through: a damaged state file is treated as absent
  }
  return null;
}

/** Reads a file as strict UTF-8; `null` when it does not exist. */
async function readText(file: string): Promise<{ text: string; bytes: Buffer; mode: number } | null> {
  const read = await readFileIfExists(file);
  if (read === null) return null;
  try {
    // ignoreBOM: keep a leading BOM in the text so it is written back unchanged.
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(read.bytes), ...read };
  } catch {
    throw new CodexConfigError('invalid_toml', `${file} is not valid UTF-8 text, as TOML requires. Codex Gateway did not change it. Fix the file or restore the backup ${BACKUP_FILE}, then try again.`);
  }
}

/**
 * Runs `fn` under the writers' lock of config.toml (its real target, so every symlink to it shares the lock).
 * @throws CodexConfigError `locked` when another writer holds it for longer than `timeoutMs`.
 */
async function withConfigLock<T>(home: string, timeoutMs: number, staleMs: number, fn: (target: string) => Promise<T>): Promise<T> {
  await fsp.mkdir(home, { recursive: true, mode: 0o700 });
  const configPath = path.join(home, CONFIG_FILE);
  const target = await realTarget(configPath);
  try {
    return await withFileLock(target, () => fn(target), { timeoutMs, staleMs });
  } catch (e) {
    if (e instanceof FileLockError && e.code === 'locked') {
      throw new CodexConfigError(
        'locked',
        `Another Codex Gateway window or process is still writing ${configPath}. Try again in a moment; if no other window is open, delete ${e.lockPath}.`,
      );
    }
    throw e;
  }
}

function labelled(e: unknown, file: string): unknown {
  if (e instanceof CodexConfigError && e.message.includes(CONFIG_FILE) && !e.message.includes(file)) {
    return new CodexConfigError(e.code, e.message.replace(CONFIG_FILE, file), e.line, e.column);
  }
  return e;
}

/**
 * File-level apply: reads `$CODEX_HOME/config.toml` (missing file = empty), applies {@link applyCodexWiring},
 * backs the original bytes up once ({@link BACKUP_FILE}, 0600, never overwritten), writes atomically
 * ({@link writeFileAtomic}: temp file in the same directory + fsync + rename; through a symlink to its
 * target), mode 0600, and records restore state in {@link STATE_FILE}. Safe against concurrent writers (other
 * VS Code windows, processes): everything from the read to the rename happens under {@link withFileLock}.
 * Calling it again with the same wiring changes nothing (`changed: false`). To change `providerId`, call
 * {@link restoreCodexConfig} with the old id first (the state file tracks one provider id).
 * @throws CodexConfigError `invalid_toml` (the file is left untouched), `invalid_wiring`, `conflict`, `locked`;
 *   file-system errors (EACCES, ENOSPC, ...) as thrown by Node.
 */
export async function writeCodexConfig(opts: WriteCodexConfigOptions): Promise<WriteCodexConfigResult> {
  const home = opts.codexHome ?? codexHome();
  const configPath = path.join(home, CONFIG_FILE);
  const backupPath = path.join(home, BACKUP_FILE);
  const statePath = path.join(home, STATE_FILE);
  const { wiring } = opts;
  validateWiring(wiring);
  return withConfigLock(home, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, opts.staleLockMs ?? DEFAULT_STALE_LOCK_MS, async (target) => {
    const file = await readText(target);
    const text = file?.text ?? '';
    let next: string;
    let current: ReturnType<typeof captureCodexPrevious>;
    let data: TomlTable;
    try {
      next = applyCodexWiring(text, wiring, configPath);
      current = captureCodexPrevious(text, wiring.providerId);
      data = parseCodexConfig(text, configPath);
    } catch (e) {
      throw labelled(e, configPath);
    }
    const old = await readState(statePath);
    const stillOurs =
      old !== null &&
      (old.applied.model === undefined || data.model === undefined || data.model === old.applied.model) &&
      (old.applied.model_provider === undefined || data.model_provider === undefined || data.model_provider === old.applied.model_provider);
    const keep = stillOurs ? old : null;
    const applied: CodexGatewayState['applied'] = {};
    const model = wiring.model ?? (keep && data.model === keep.applied.model ? keep.applied.model : undefined);
    if (model !== undefined) applied.model = model;
    if (wiring.setModelProvider) applied.model_provider = wiring.providerId;
    else if (keep?.applied.model_provider !== undefined && data.model_provider === keep.applied.model_provider) applied.model_provider = keep.applied.model_provider;
    const state: CodexGatewayState = {
      version: 1,
      providerId: wiring.providerId,
      originalExisted: keep ? keep.originalExisted : file !== null,
      originalMode: keep ? keep.originalMode : (file?.mode ?? null),
      previous: keep ? keep.previous : { model: current.model, model_provider: current.model_provider },
      raw: keep ? keep.raw : current.raw,
      applied,
    };
    const changed = next !== text;
    // Back up the user's file, not one we created or already wired (kept state).
    if (changed && file !== null && !keep) await createOnce(backupPath, file.bytes, 0o600);
    if (changed) await writeFileAtomic(target, next, { mode: 0o600, ...(opts.onTempFile ? { onTempFile: opts.onTempFile } : {}) });
    const stateText = JSON.stringify(state, null, 2) + '\n';
    if ((await fsp.readFile(statePath, 'utf8').catch(() => null)) !== stateText) await writeFileAtomic(statePath, stateText, { mode: 0o600 });
    const hasBackup = await fsp
      .access(backupPath)
      .then(() => true)
      .catch(() => false);
    const previous: WriteCodexConfigResult['previous'] = {};
    if (state.previous.model !== null) previous.model = state.previous.model;
    if (state.previous.model_provider !== null) previous.model_provider = state.previous.model_provider;
    return { path: configPath, changed, ...(hasBackup ? { backupPath } : {}), previous };
  });
}

/** Options of {@link restoreCodexConfig}. */
export interface RestoreCodexConfigOptions {
  /** Codex home directory (default {@link codexHome}()). */
  codexHome?: string;
  /** Our provider id, as written by {@link writeCodexConfig}. */
  providerId: string;
  /** See {@link WriteCodexConfigOptions.lockTimeoutMs}. */
  lockTimeoutMs?: number;
  /** See {@link WriteCodexConfigOptions.staleLockMs}. */
  staleLockMs?: number;
}

/**
 * File-level undo of {@link writeCodexConfig}, under the same lock: removes our provider table and puts the
 * user's previous `model` / `model_provider` back from {@link STATE_FILE} (keys the user changed since are
 * left alone; see {@link removeCodexWiring}). Other edits the user made since are kept, so this is an edit, not
 * a copy of the backup. A config.toml we created and that is now empty is deleted; the original file mode is
 * restored. Removes the state file; keeps the backup. Without a state file, only our table and a
 * `model_provider` naming us are removed.
 * @returns `restored: true` when config.toml changed (or was deleted).
 * @throws CodexConfigError `invalid_toml` (file untouched), `conflict`, `locked`; file-system errors as thrown by Node.
 */
export async function restoreCodexConfig(opts: RestoreCodexConfigOptions): Promise<{ restored: boolean; path: string }> {
  const home = opts.codexHome ?? codexHome();
  const configPath = path.join(home, CONFIG_FILE);
  const statePath = path.join(home, STATE_FILE);
  return withConfigLock(home, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, opts.staleLockMs ?? DEFAULT_STALE_LOCK_MS, async (target) => {
    const file = await readText(target);
    const state = await readState(statePath);
    if (file === null) {
      await fsp.unlink(statePath).catch(() => undefined);
      return { restored: false, path: configPath };
    }
    const previous: CodexPrevious = state
      ? { ...state.previous, raw: state.raw, applied: state.applied }
      : { model: null, model_provider: null, applied: { model_provider: opts.providerId } };
    let next: string;
    try {
      next = removeCodexWiring(file.text, opts.providerId, previous, configPath);
    } catch (e) {
      throw labelled(e, configPath);
    }
    let restored = false;
    if (next === '' && state && !state.originalExisted) {
      await fsp.unlink(target);
      restored = true;
    } else if (next !== file.text) {
      await writeFileAtomic(target, next, { mode: state?.originalMode ?? file.mode });
      restored = true;
    }
    await fsp.unlink(statePath).catch(() => undefined);
    return { restored, path: configPath };
  });
}
