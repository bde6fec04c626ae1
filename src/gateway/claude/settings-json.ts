/**
 * Pointing Claude Code at the gateway through its user settings file, `$CLAUDE_CONFIG_DIR/settings.json`
 * (else `~/.claude/settings.json`), and undoing it. No `vscode` import.
 *
 * Source: /work/shared/notes/claude-code-wire.md ("How Claude Code calls a gateway") and Anthropic's Claude Code
 * docs (settings, LLM gateway): the file's `env` object sets variables for every Claude Code session (it
 * overrides shell exports), and `apiKeyHelper` is a shell command whose output Claude Code sends as both
 * `Authorization: Bearer` and `x-api-key` (cached 5 minutes, re-run on a 401).
 *
 * What is written (every other byte of the file is kept: comments, key order, formatting, trailing commas):
 * ```jsonc
 * "env": {
 *   "ANTHROPIC_BASE_URL": "http://127.0.0.1:4141",      // no /v1: Claude Code appends /v1/messages
 *   "ANTHROPIC_MODEL": "default",
 *   "ANTHROPIC_DEFAULT_HAIKU_MODEL": "default",
 *   "ANTHROPIC_DEFAULT_SONNET_MODEL": "default",
 *   "ANTHROPIC_DEFAULT_OPUS_MODEL": "default"
 * },
 * "apiKeyHelper": "cat '/home/me/.codex-gateway/master_key'"
 * ```
 * The token never lands in settings.json: like Codex's `auth.command` (src/gateway/codex/config-block.ts,
 * `tokenCommand`), `apiKeyHelper` prints the 0600 token file, so a rotated token needs no rewrite.
 *
 * Files next to settings.json (all mode 0600):
 * - `settings.json.codex-gateway.bak`: the exact bytes of settings.json before our first write of a wiring
 *   cycle (absent when there was no settings.json; the state file says so). Written once per cycle: later
 *   writes never touch it, and a complete restore removes it (the original is back in place by then).
 * - `settings.json.codex-gateway.json`: {@link ClaudeSettingsState}, what we set and what was there before.
 * - `settings.json.lock`: the inter-process lock (a directory, held only while we read and write; ../files.ts).
 *
 * Restore rule (documented in docs/vscode-extension.md): when settings.json still has exactly the bytes we
 * last wrote, the backup's bytes are put back (or the file is deleted when there was none): a byte-for-byte
 * round trip. When the user (or Claude Code, e.g. `/config`) changed the file since, only our keys are
 * undone, in place: each key whose value is still the one we set gets its previous value back (or is removed
 * when it had none); a key the user changed since is theirs and is left alone; an `env` object we created
 * and that is now empty is removed. Every other byte stays. Restore without a state file changes nothing, so
 * restoring twice is the same as once.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyEdits, modify, parse, parseTree, findNodeAtLocation, getNodeValue, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { tokenCommand } from '../codex/config-block';
import { readFileIfExists, realTarget, withFileLock, writeFileAtomic } from '../files';

/** File name of Claude Code's user settings inside its config directory. */
export const SETTINGS_FILE = 'settings.json';
/** File name of the one-time byte backup (inside the config directory). */
export const BACKUP_FILE = 'settings.json.codex-gateway.bak';
/** File name of the restore state (inside the config directory). */
export const STATE_FILE = 'settings.json.codex-gateway.json';

/** The `env` variables we own, in the order they are written. */
export const CLAUDE_ENV_KEYS = ['ANTHROPIC_BASE_URL', 'ANTHROPIC_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL', 'ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_OPUS_MODEL'] as const;

/** One of {@link CLAUDE_ENV_KEYS}. */
export type ClaudeEnvKey = (typeof CLAUDE_ENV_KEYS)[number];

/** Gateway aliases per Claude Code model tier. */
export interface ClaudeTierModels {
  /** `ANTHROPIC_MODEL`: the model a session starts with. */
  main: string;
  /** `ANTHROPIC_DEFAULT_HAIKU_MODEL` (also background tasks such as titles). */
  haiku: string;
  /** `ANTHROPIC_DEFAULT_SONNET_MODEL`. */
  sonnet: string;
  /** `ANTHROPIC_DEFAULT_OPUS_MODEL`. */
  opus: string;
}

/** What we put in settings.json: the `env` values and the `apiKeyHelper` command. */
export interface ClaudeWiring {
  env: Record<ClaudeEnvKey, string>;
  apiKeyHelper: string;
}

/** Errors of this module, with a code tests and callers can branch on; messages say what to do. */
export type ClaudeSettingsErrorCode =
  /** settings.json is not valid JSON with comments, or its top level is not an object (the file is left untouched). */
  | 'invalid_json'
  /** The options are not usable (empty token file path, base URL not http(s)). */
  | 'invalid_wiring';

/** Thrown by {@link writeClaudeSettings} / {@link applyClaudeWiring} for a file we must not edit or bad options. */
export class ClaudeSettingsError extends Error {
  constructor(
    readonly code: ClaudeSettingsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClaudeSettingsError';
  }
}

/**
 * Claude Code's config directory: `$CLAUDE_CONFIG_DIR` when set and non-empty (resolved to an absolute path),
 * else `$HOME/.claude` (`%USERPROFILE%\.claude` on Windows), as Claude Code resolves it.
 * @param env environment to read (default `process.env`).
 */
export function claudeConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.CLAUDE_CONFIG_DIR;
  if (explicit && explicit.trim() !== '') return path.resolve(explicit);
  const home = env.HOME || (process.platform === 'win32' ? env.USERPROFILE : undefined) || os.homedir();
  return path.join(home, '.claude');
}

/** Quotes one word for a POSIX shell (`'...'`, with `'` written as `'\''`). */
function shQuote(s: string): string {
  return /^[A-Za-z0-9_\-./:@%+=,]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `apiKeyHelper` command that prints the gateway token from `tokenFile`: on POSIX, config-block.ts's
 * `tokenCommand` (`cat FILE`) as one shell-quoted line (Claude Code runs it through a shell); on Windows
 * `type "FILE"` (cmd.exe; not verified on Windows yet).
 * @throws ClaudeSettingsError `invalid_wiring` when `tokenFile` is empty or (on Windows) contains `"`.
 */
export function apiKeyHelperCommand(tokenFile: string, platform: NodeJS.Platform = process.platform): string {
  if (tokenFile === '') throw new ClaudeSettingsError('invalid_wiring', 'The gateway token file path is empty: pass the path of the token file.');
  if (platform === 'win32') {
    if (tokenFile.includes('"')) throw new ClaudeSettingsError('invalid_wiring', `The token file path ${tokenFile} contains a double quote, which cmd.exe cannot quote: move the gateway home (CODEX_GATEWAY_HOME).`);
    return `type "${tokenFile}"`;
  }
  const { command, args } = tokenCommand(tokenFile, platform);
  return [command, ...args].map(shQuote).join(' ');
}

/**
 * The wiring for a gateway on `baseUrl` (e.g. `http://127.0.0.1:4141`, no `/v1`) whose token is in `tokenFile`.
 * @throws ClaudeSettingsError `invalid_wiring` when `baseUrl` is not an http(s) URL or `tokenFile` is empty.
 */
export function claudeWiring(opts: { baseUrl: string; models: ClaudeTierModels; tokenFile: string; platform?: NodeJS.Platform }): ClaudeWiring {
  if (!/^https?:\/\/\S+$/.test(opts.baseUrl)) throw new ClaudeSettingsError('invalid_wiring', `"${opts.baseUrl}" is not an http(s) URL: pass the gateway address without /v1, e.g. http://127.0.0.1:4141.`);
  const base = opts.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  return {
    env: {
      ANTHROPIC_BASE_URL: base,
      ANTHROPIC_MODEL: opts.models.main,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: opts.models.haiku,
      ANTHROPIC_DEFAULT_SONNET_MODEL: opts.models.sonnet,
      ANTHROPIC_DEFAULT_OPUS_MODEL: opts.models.opus,
    },
    apiKeyHelper: apiKeyHelperCommand(opts.tokenFile, opts.platform),
  };
}

/** A JSON path we own: `['env', NAME]` or `['apiKeyHelper']`, written as `env.NAME` / `apiKeyHelper`. */
type OwnedKey = string;

function pathOf(key: OwnedKey): string[] {
  return key.startsWith('env.') ? ['env', key.slice(4)] : [key];
}

function ownedEntries(w: ClaudeWiring): [OwnedKey, string][] {
  return [...CLAUDE_ENV_KEYS.map((k): [OwnedKey, string] => [`env.${k}`, w.env[k]]), ['apiKeyHelper', w.apiKeyHelper]];
}

/** Restore state kept in {@link STATE_FILE} (JSON, mode 0600). Holds no secret. */
export interface ClaudeSettingsState {
  version: 1;
  /** Whether settings.json existed before the first write of this cycle (then {@link BACKUP_FILE} has its bytes). */
  originalExisted: boolean;
  /** Permission bits of settings.json before the first write (restore puts them back), or null. */
  originalMode: number | null;
  /** Whether the file had an `env` object before (an `env` we created and left empty is removed on restore). */
  hadEnv: boolean;
  /** Value of each key we set before we first set it (`null`: absent), as JSON values. */
  previous: Record<OwnedKey, unknown>;
  /** What we set, per key (`env.ANTHROPIC_BASE_URL`, `apiKeyHelper`). */
  applied: Record<OwnedKey, string>;
  /** sha256 (hex) of the bytes we last wrote: equal to the file's = the user did not edit it since. */
  writtenSha256: string;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Indentation unit and line ending of a settings text (2 spaces and `\n` for an empty one). */
interface Format {
  unit: string;
  eol: string;
}

/** Indentation and line ending of an existing text (2 spaces and `\n` for an empty one). */
function formattingOf(text: string): Format {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)["/}\]]/.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { unit: '\t', eol };
  return { unit: indent ? ' '.repeat(Math.min(indent.length, 8)) : '  ', eol };
}

const PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true };

/** Parses settings.json text; `{}` for an empty file. */
function parseSettings(text: string, file: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const v = parse(text, errors, PARSE_OPTIONS) as unknown;
  if (errors.length > 0) {
    const e = errors[0];
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    const col = e.offset - before.lastIndexOf('\n');
    throw new ClaudeSettingsError('invalid_json', `${file}:${line}:${col}: ${printParseErrorCode(e.error)}. Codex Gateway did not change it; fix the file (Claude Code cannot read it either), then try again.`);
  }
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ClaudeSettingsError('invalid_json', `${file} is not a JSON object at its top level. Codex Gateway did not change it; make it an object ({ ... }), then try again.`);
  }
  return v as Record<string, unknown>;
}

/** The value at `key` in the parsed file, or `null` when absent. */
function valueAt(text: string, key: OwnedKey): unknown {
  const root = parseTree(text, [], PARSE_OPTIONS);
  if (!root) return null;
  const node = findNodeAtLocation(root, pathOf(key));
  return node ? (getNodeValue(node) as unknown) : null;
}

/** Whitespace before `offset` on its line, or null when something else precedes it on that line. */
function lineIndent(text: string, offset: number): string | null {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(start, offset);
  return /^[ \t]*$/.test(before) ? before : null;
}

/** Skips spaces and tabs from `i`. */
function skipBlanks(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

/** The offset of the line end after `i` when only blanks and one comment follow on that line, else -1. */
function restOfLine(text: string, i: number): number {
  i = skipBlanks(text, i);
  if (text.startsWith('//', i)) {
    const nl = text.indexOf('\n', i);
    return nl < 0 ? text.length : text[nl - 1] === '\r' ? nl - 1 : nl;
  }
  if (text.startsWith('/*', i)) {
    const end = text.indexOf('*/', i + 2);
    if (end < 0) return -1;
    i = skipBlanks(text, end + 2);
  }
  return i >= text.length || text[i] === '\n' || text.startsWith('\r\n', i) ? i : -1;
}

/** A JSON value as text, its later lines indented by `indent` (for a member at that indentation). */
function valueText(value: unknown, indent: string, fmt: Format): string {
  return JSON.stringify(value, null, fmt.unit).split('\n').join(fmt.eol + indent);
}

/**
 * Sets `key` to `value` (`undefined` removes it) with edits that touch only that member's bytes: an
 * existing value is replaced in place; a new member goes on its own line after the object's last member,
 * after that member's comma and line comment (a comma is added when it had none; a trailing comma style is
 * kept); a removed member's whole line(s) go (and the comma we added before it). Members written on one line
 * with others get the same treatment inline. jsonc-parser's `modify` would re-format the lines around an edit
 * and attach a trailing comment to the wrong member, so it is only the fallback for unusual layouts.
 */
function setAt(text: string, key: OwnedKey, value: unknown, fmt: Format): string {
  const p = pathOf(key);
  if (text.trim() === '') text = '{}';
  const root = parseTree(text, [], PARSE_OPTIONS);
  if (!root || root.type !== 'object') return applyEdits(text, modify(text, p, value, {}));
  const node = findNodeAtLocation(root, p);
  if (value === undefined) {
    if (!node) return text;
    const prop = node.parent!;
    const obj = prop.parent!;
    const idx = obj.children!.indexOf(prop);
    const end = prop.offset + prop.length;
    const indent = lineIndent(text, prop.offset);
    let i = skipBlanks(text, end);
    const hadComma = text[i] === ',';
    if (hadComma) i++;
    const eolAt = restOfLine(text, i);
    if (indent === null || eolAt < 0 || eolAt !== skipBlanks(text, i)) return applyEdits(text, modify(text, p, undefined, {}));
    const lineStart = prop.offset - indent.length;
    const lineEnd = text.startsWith('\r\n', eolAt) ? eolAt + 2 : Math.min(eolAt + 1, text.length);
    const edits = [{ offset: lineStart, length: lineEnd - lineStart, content: '' }];
    if (!hadComma && idx > 0) {
      const prev = obj.children![idx - 1];
      const c = skipBlanks(text, prev.offset + prev.length);
      if (text[c] === ',') edits.unshift({ offset: c, length: 1, content: '' });
    }
    return applyEdits(text, edits);
  }
  if (node) return applyEdits(text, [{ offset: node.offset, length: node.length, content: valueText(value, lineIndent(text, node.parent!.offset) ?? '', fmt) }]);
  // Create the parents first (`env` as an empty object), then add the member.
  if (p.length > 1 && !findNodeAtLocation(root, p.slice(0, -1))) return setAt(setAt(text, p[0], {}, fmt), key, value, fmt);
  const obj = p.length > 1 ? findNodeAtLocation(root, p.slice(0, -1))! : root;
  if (obj.type !== 'object') return applyEdits(text, modify(text, p, value, {}));
  const name = JSON.stringify(p[p.length - 1]);
  const members = obj.children ?? [];
  if (members.length === 0) {
    const base = lineIndent(text, obj.offset) ?? (text.slice(text.lastIndexOf('\n', obj.offset - 1) + 1).match(/^[ \t]*/)?.[0] ?? '');
    const inner = text.slice(obj.offset + 1, obj.offset + obj.length - 1);
    const member = `${fmt.eol}${base}${fmt.unit}${name}: ${valueText(value, base + fmt.unit, fmt)}`;
    if (/^\s*$/.test(inner)) return applyEdits(text, [{ offset: obj.offset + 1, length: inner.length, content: `${member}${fmt.eol}${base}` }]);
    return applyEdits(text, [{ offset: obj.offset + 1, length: 0, content: member }]);
  }
  const last = members[members.length - 1];
  const end = last.offset + last.length;
  const indent = lineIndent(text, last.offset);
  let i = skipBlanks(text, end);
  const hadComma = text[i] === ',';
  if (hadComma) i++;
  const eolAt = restOfLine(text, i);
  if (indent === null || eolAt < 0) return applyEdits(text, [{ offset: end, length: 0, content: `, ${name}: ${JSON.stringify(value)}` }]);
  const edits = [{ offset: eolAt, length: 0, content: `${fmt.eol}${indent}${name}: ${valueText(value, indent, fmt)}${hadComma ? ',' : ''}` }];
  if (!hadComma) edits.unshift({ offset: end, length: 0, content: ',' });
  return applyEdits(text, edits);
}

/** Whether `text`'s `env` is an object without members. */
function envIsEmpty(text: string): boolean {
  const env = valueAt(text, 'env');
  return typeof env === 'object' && env !== null && !Array.isArray(env) && Object.keys(env).length === 0;
}

/**
 * Applies our wiring to settings.json text, in place (pure). Only the values that differ are edited, so
 * applying twice gives the same text as once.
 * @param text the current file (`''` for none).
 * @throws ClaudeSettingsError `invalid_json` when the text is not a JSONC object, or its `env` is not an object.
 */
export function applyClaudeWiring(text: string, wiring: ClaudeWiring, file = SETTINGS_FILE): string {
  const parsed = parseSettings(text, file);
  if (parsed.env !== undefined && (typeof parsed.env !== 'object' || parsed.env === null || Array.isArray(parsed.env))) {
    throw new ClaudeSettingsError('invalid_json', `${file}: "env" is not an object. Codex Gateway did not change the file; make "env" an object of variable names to strings, then try again.`);
  }
  const fmt = formattingOf(text);
  let out = text;
  for (const [key, value] of ownedEntries(wiring)) {
    if (valueAt(out, key) !== value) out = setAt(out, key, value, fmt);
  }
  // A file we create ends with a newline, like an editor would save it.
  if (text.trim() === '' && !out.endsWith(fmt.eol)) out += fmt.eol;
  return out;
}

/**
 * Undoes our keys in settings.json text, in place (pure): see the restore rule in the module comment.
 * @param applied what we set, per key; a key whose current value differs is left alone.
 * @param previous the value before we set it (`null` / absent: the key is removed).
 * @param hadEnv whether `env` existed before (else an `env` left empty is removed).
 */
export function removeClaudeWiring(text: string, applied: Record<OwnedKey, string>, previous: Record<OwnedKey, unknown>, hadEnv: boolean): string {
  const fmt = formattingOf(text);
  let out = text;
  for (const [key, value] of Object.entries(applied)) {
    if (valueAt(out, key) !== value) continue;
    const prev = previous[key];
    out = setAt(out, key, prev === null || prev === undefined ? undefined : prev, fmt);
  }
  if (!hadEnv && envIsEmpty(out)) out = setAt(out, 'env', undefined, fmt);
  return out;
}

/** Reads the keys and values we would own from settings.json text (for status: is it wired to us?). */
export function readClaudeWiring(text: string): { env: Partial<Record<ClaudeEnvKey, string>>; apiKeyHelper?: string } {
  const parsed = parseSettings(text, SETTINGS_FILE);
  const env: Partial<Record<ClaudeEnvKey, string>> = {};
  const e = parsed.env;
  if (typeof e === 'object' && e !== null && !Array.isArray(e)) {
    for (const k of CLAUDE_ENV_KEYS) {
      const v = (e as Record<string, unknown>)[k];
      if (typeof v === 'string') env[k] = v;
    }
  }
  return { env, ...(typeof parsed.apiKeyHelper === 'string' ? { apiKeyHelper: parsed.apiKeyHelper } : {}) };
}

// ---------------------------------------------------------------------------------------------------------
// Files (read, lock, atomic write: ../files.ts)

async function readState(file: string): Promise<ClaudeSettingsState | null> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const s = JSON.parse(text) as ClaudeSettingsState;
    if (s.version === 1 && typeof s.applied === 'object' && s.applied && typeof s.previous === 'object' && s.previous && typeof s.writtenSha256 === 'string') return s;
  } catch {
    // a damaged state file is treated as absent
  }
  return null;
}

/** Calls for one directory run one after the other within this process (settings-change storms). */
const chains = new Map<string, Promise<unknown>>();
function serialized<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const prev = chains.get(dir) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const tail = next.catch(() => undefined);
  chains.set(dir, tail);
  void tail.then(() => {
    if (chains.get(dir) === tail) chains.delete(dir);
  });
  return next;
}

/** Result of {@link writeClaudeSettings}. */
export interface WriteClaudeSettingsResult {
  /** settings.json path. */
  path: string;
  /** Whether settings.json changed now. */
  changed: boolean;
  /** The backup of the original, when one exists (absent when there was no settings.json). */
  backupPath?: string;
}

/**
 * Points Claude Code at the gateway: edits `settings.json` in `configDir` in place (JSONC-aware, every byte we
 * do not own kept), atomically (temp file + rename in the same directory, mode 0600; through a symlink to
 * its target), under the inter-process lock of settings.json. The first write of a wiring cycle saves the original bytes to {@link BACKUP_FILE} and the
 * previous values of our keys to {@link STATE_FILE}. Writing the same wiring again changes nothing.
 * @param opts.configDir Claude Code's config directory ({@link claudeConfigDir}); created (0700) when missing.
 * @throws ClaudeSettingsError `invalid_json` (file untouched); FileLockError `locked` when another process
 *   holds the lock for more than 10 s; or a file-system error.
 */
export function writeClaudeSettings(opts: { configDir: string; wiring: ClaudeWiring }): Promise<WriteClaudeSettingsResult> {
  const dir = opts.configDir;
  return serialized(dir, async () => {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const settingsPath = path.join(dir, SETTINGS_FILE);
    const target = await realTarget(settingsPath);
    const statePath = path.join(dir, STATE_FILE);
    const backupPath = path.join(dir, BACKUP_FILE);
    return withFileLock(target, async () => {
      const file = await readFileIfExists(target);
      const text = file ? file.bytes.toString('utf8') : '';
      const next = applyClaudeWiring(text, opts.wiring, settingsPath);
      let state = await readState(statePath);
      const changed = next !== text || file === null;
      if (!state) {
        // First write of a cycle: remember the original (bytes, mode, our keys' values) before changing anything.
        const previous: Record<OwnedKey, unknown> = {};
        for (const [key] of ownedEntries(opts.wiring)) previous[key] = valueAt(text, key);
        state = {
          version: 1,
          originalExisted: file !== null,
          originalMode: file?.mode ?? null,
          hadEnv: valueAt(text, 'env') !== null,
          previous,
          applied: {},
          writtenSha256: '',
        };
        if (file) await writeFileAtomic(backupPath, file.bytes, { mode: 0o600 });
        else await fsp.unlink(backupPath).catch(() => undefined);
      } else {
        // A key we did not set before (none today; future keys) keeps its pre-wiring value for restore.
        for (const [key] of ownedEntries(opts.wiring)) if (!(key in state.previous)) state.previous[key] = valueAt(text, key);
      }
      if (changed) await writeFileAtomic(target, next, { mode: 0o600 });
      else if (file && file.mode !== 0o600) await fsp.chmod(target, 0o600);
      const applied: Record<OwnedKey, string> = Object.fromEntries(ownedEntries(opts.wiring));
      const newState: ClaudeSettingsState = { ...state, applied, writtenSha256: sha256(next) };
      const stateText = `${JSON.stringify(newState, null, 2)}\n`;
      if ((await fsp.readFile(statePath, 'utf8').catch(() => null)) !== stateText) await writeFileAtomic(statePath, stateText, { mode: 0o600 });
      const hasBackup = await fsp.access(backupPath).then(() => true, () => false);
      return { path: settingsPath, changed, ...(hasBackup ? { backupPath } : {}) };
    });
  });
}

/** Result of {@link restoreClaudeSettings}. */
export interface RestoreClaudeSettingsResult {
  /** settings.json path. */
  path: string;
  /** Whether settings.json changed (or was deleted) now. */
  restored: boolean;
  /**
   * `exact`: the original bytes are back (or the file we created is gone); `keys`: the user edited the file
   * since, so only our keys were undone; `none`: nothing to restore (no state: never wired, or restored).
   */
  how: 'exact' | 'keys' | 'none';
}

/**
 * Undoes {@link writeClaudeSettings} (rule in the module comment): the original bytes come back when the
 * file is unchanged since our last write, else only our keys are undone. The state file is removed, and the
 * backup too after an exact restore. Idempotent: a second call finds no state and changes nothing.
 * @throws ClaudeSettingsError `invalid_json` when the file was edited into invalid JSON since (it is left
 *   untouched; the backup is kept), or a file-system error.
 */
export function restoreClaudeSettings(opts: { configDir: string }): Promise<RestoreClaudeSettingsResult> {
  const dir = opts.configDir;
  return serialized(dir, async () => {
    const settingsPath = path.join(dir, SETTINGS_FILE);
    const statePath = path.join(dir, STATE_FILE);
    const backupPath = path.join(dir, BACKUP_FILE);
    // Nothing to restore (never wired, already restored, or no config directory): no lock needed.
    if (!(await readState(statePath))) return { path: settingsPath, restored: false, how: 'none' };
    const target = await realTarget(settingsPath);
    return withFileLock(target, async (): Promise<RestoreClaudeSettingsResult> => {
      const state = await readState(statePath);
      if (!state) return { path: settingsPath, restored: false, how: 'none' };
      const file = await readFileIfExists(target);
      let how: RestoreClaudeSettingsResult['how'];
      let restored = false;
      const backup = state.originalExisted ? await readFileIfExists(backupPath) : null;
      if (file && sha256(file.bytes) === state.writtenSha256 && (backup || !state.originalExisted)) {
        how = 'exact';
        if (backup) await writeFileAtomic(target, backup.bytes, { mode: state.originalMode ?? 0o600 });
        else await fsp.unlink(target);
        restored = true;
      } else if (file) {
        how = 'keys';
        const text = file.bytes.toString('utf8');
        parseSettings(text, settingsPath);
        let next = removeClaudeWiring(text, state.applied, state.previous, state.hadEnv);
        // A file we created that holds nothing else any more goes away, as it was.
        if (!state.originalExisted && next.replace(/\s/g, '') === '{}') next = '';
        if (next !== text) {
          if (next === '') await fsp.unlink(target);
          else await writeFileAtomic(target, next, { mode: state.originalMode ?? file.mode });
          restored = true;
        }
      } else {
        how = 'keys'; // the user deleted settings.json since: nothing of ours is left
      }
      await fsp.unlink(statePath).catch(() => undefined);
      if (how === 'exact') await fsp.unlink(backupPath).catch(() => undefined);
      return { path: settingsPath, restored, how };
    });
  });
}

/**
 * Whether settings.json in `configDir` is wired by us now: a state file exists and the file's
 * `ANTHROPIC_BASE_URL` is the one we set. Never throws (an unreadable file counts as not wired).
 */
export async function isClaudeWired(configDir: string): Promise<boolean> {
  try {
    const state = await readState(path.join(configDir, STATE_FILE));
    if (!state) return false;
    const text = await fsp.readFile(await realTarget(path.join(configDir, SETTINGS_FILE)), 'utf8');
    return readClaudeWiring(text).env.ANTHROPIC_BASE_URL === state.applied['env.ANTHROPIC_BASE_URL'];
  } catch {
    return false;
  }
}
