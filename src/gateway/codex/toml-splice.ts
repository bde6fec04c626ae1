/**
 * Pure, byte-preserving editing of Codex's `config.toml` text (no file system: text in, text out). The file
 * side (location, lock, backup, atomic write, restore state) is in config-toml.ts.
 *
 * What we own in config.toml (nothing else is ever rewritten):
 * - the top-level `model` key (only when {@link CodexWiring.model} is given),
 * - the top-level `model_provider` key (only when {@link CodexWiring.setModelProvider} is true),
 * - everything under `model_providers.<providerId>`: the `[model_providers.<providerId>]` table, its
 *   sub-tables and any `<providerId> = {...}` / dotted-key spelling of it. Our table is written as one
 *   standard table whose nested values are inline tables, e.g.
 *   `auth = { command = "node", args = ["/x/token.js"] }`. Comments inside our own table are not kept.
 *
 * TOML is parsed by real parsers: `smol-toml` (validation and values) and `toml-eslint-parser` (an AST with
 * exact source ranges, used to splice only the spans we own). Every edit is re-parsed and checked: our keys
 * hold our values and every other key/value is deep-equal to before; otherwise an error is thrown and the
 * caller must not write.
 */
import type { TomlTable, TomlValue } from 'smol-toml' with { 'resolution-mode': 'import' };
import type { AST } from 'toml-eslint-parser' with { 'resolution-mode': 'import' };

// Both packages publish ESM type declarations while this project compiles as CommonJS, so they are loaded
// with require(): smol-toml ships a CJS build; toml-eslint-parser is ESM-only and loads through Node's
// require(esm) (Node >= 20.19) under tsx, and is converted by esbuild in the bundles.
const smol = require('smol-toml') as typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });
const tomlAst = require('toml-eslint-parser') as typeof import('toml-eslint-parser', { with: { 'resolution-mode': 'import' } });

export type { TomlTable, TomlValue };

/** File name of Codex's user config inside CODEX_HOME. */
export const CONFIG_FILE = 'config.toml';
/** File name of the one-time byte backup of config.toml (inside CODEX_HOME; written by config-toml.ts, named in our error messages). */
export const BACKUP_FILE = 'config.toml.codex-gateway.bak';

/**
 * Provider ids Codex 0.169 refuses to let config.toml define or fully redefine (observed: "model_providers
 * contains reserved built-in provider IDs" for `openai`, `ollama`, `lmstudio`; `amazon-bedrock` only
 * accepts a few overrides). Compared case-insensitively.
 */
export const RESERVED_PROVIDER_IDS: readonly string[] = ['openai', 'ollama', 'lmstudio', 'amazon-bedrock'];

/** What the gateway writes into config.toml. */
export interface CodexWiring {
  /** Our key under `[model_providers.<id>]`, e.g. `codex-gateway`. Never a reserved id ({@link RESERVED_PROVIDER_IDS}). */
  providerId: string;
  /**
   * Keys of `[model_providers.<id>]` in the order to write them: `name` (required, non-empty, not
   * `OpenAI`), `base_url`, `wire_api` (only `"responses"`), `model_catalog_url`, `auth` (`{command, args}`),
   * `http_headers`, ... Nested tables are written as inline tables. `undefined` values are skipped.
   */
  provider: Record<string, TomlValue>;
  /** Top-level `model` to set (a gateway alias); left alone when omitted. */
  model?: string;
  /** Whether to set top-level `model_provider = providerId`. */
  setModelProvider: boolean;
}

/**
 * The user's previous top-level selection, as the caller remembers it (from {@link captureCodexPrevious}
 * or the state sidecar). `null` or absent: the key did not exist.
 */
export interface CodexPrevious {
  model?: string | null;
  model_provider?: string | null;
  /**
   * Exact source text of the previous value tokens (e.g. `'gpt-5'` with literal quotes), used instead of a
   * re-rendered string when it still parses to the same value, so restore is byte-identical.
   */
  raw?: { model?: string; model_provider?: string };
  /**
   * What applyCodexWiring set. When given, a key is restored only if it still holds the value we set (or
   * is absent): a user's later choice is kept. When omitted, `model_provider` and `model` are restored
   * only while `model_provider` still names our provider.
   */
  applied?: { model?: string; model_provider?: string };
}

/** Why a config.toml operation was refused. */
export type CodexConfigErrorCode =
  /** The existing file is not valid TOML (or not UTF-8): we do not touch it. */
  | 'invalid_toml'
  /** The {@link CodexWiring} itself is unusable (reserved id, missing name, `wire_api = "chat"`, ...). */
  | 'invalid_wiring'
  /** The file's shape prevents a safe edit (e.g. `model` is a table, `model_providers = {...}` inline). */
  | 'conflict'
  /** Another writer holds the lock for longer than the timeout. */
  | 'locked';

/**
 * A refusal to read or edit config.toml. The message says what is wrong and what to do; it never quotes the
 * file's content (which may hold tokens). `line`/`column` are 1-based when known.
 */
export class CodexConfigError extends Error {
  /**
   * @param code Classification, see {@link CodexConfigErrorCode}.
   * @param message User-facing message (what happened, what to do next).
   * @param line 1-based line of a syntax error, if any.
   * @param column 1-based column of a syntax error, if any.
   */
  constructor(
    readonly code: CodexConfigErrorCode,
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'CodexConfigError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parsing and small text helpers
// ---------------------------------------------------------------------------------------------------------

interface Parsed {
  ast: AST.TOMLProgram;
  data: TomlTable;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Parses with both parsers; any error becomes an `invalid_toml` CodexConfigError naming line:column. */
function parseStrict(text: string, label: string): Parsed {
  let data: TomlTable;
  try {
    data = smol.parse(text, { integersAsBigInt: 'asNeeded' });
  } catch (e) {
    if (e instanceof smol.TomlError) throw invalidToml(label, e.line, e.column, e.message);
    throw e;
  }
  return { ast: parseAst(text, label), data };
}

/** AST with source ranges (toml-eslint-parser); syntax errors become `invalid_toml`. */
function parseAst(text: string, label: string): AST.TOMLProgram {
  try {
    // toml-eslint-parser 1.0.3 ends the range of a one-digit number at end of file one character early
    // ("a = 0" -> range ends before "0"); a final newline avoids that, and every range stays within `text`.
    return tomlAst.parseTOML(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  } catch (e) {
    const err = e as { lineNumber?: unknown; column?: unknown; message?: unknown };
    if (typeof err.lineNumber === 'number' && typeof err.column === 'number') {
      throw invalidToml(label, err.lineNumber, err.column + 1, String(err.message));
    }
    throw e;
  }
}

function invalidToml(label: string, line: number, column: number, reason: string): CodexConfigError {
  // smol-toml appends a code excerpt of the file to its message: keep only the first line (no file content).
  const why = reason.split('\n')[0].replace(/^Invalid TOML document:\s*/, '').replace(/\.$/, '');
  return new CodexConfigError(
    'invalid_toml',
    `${label} is not valid TOML at line ${line}, column ${column}: ${why}. Codex Gateway did not change it. ` +
      `Fix the file (Codex cannot read it either) or restore the backup ${BACKUP_FILE}, then try again.`,
    line,
    column,
  );
}

function keyPath(key: AST.TOMLKey): string[] {
  return key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value));
}

/** The file's line terminator: that of its first line, else `\n`. */
function detectEol(text: string): string {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

/** Offset of the start of the line containing `off`. */
function lineStart(text: string, off: number): number {
  return off === 0 ? 0 : text.lastIndexOf('\n', off - 1) + 1;
}

/** Whether the line that ends right before `off` (a line start > 0) is exactly empty (just a terminator). */
function prevLineEmpty(text: string, off: number): boolean {
  if (off === 0) return false;
  const start = lineStart(text, off - 1);
  const content = text.slice(start, off - 1);
  return content === '' || content === '\r';
}

/** Content (without terminator) of the line starting at `off`, and the offset after its terminator (-1 at EOF). */
function lineAt(text: string, off: number): { content: string; next: number } {
  const nl = text.indexOf('\n', off);
  if (nl < 0) return { content: text.slice(off), next: -1 };
  return { content: text.slice(off, nl).replace(/\r$/, ''), next: nl + 1 };
}

/** Length of the line terminator ending `text` (0 if none). */
function trailingEolLength(text: string): number {
  if (text.endsWith('\r\n')) return 2;
  return text.endsWith('\n') ? 1 : 0;
}

/**
 * Removes the whole lines spanned by [start, end): from the start of the first line through the terminator of
 * the last one; when the last line is the file's last and has no terminator, the preceding terminator goes.
 */
function removeLines(text: string, start: number, end: number): string {
  const s = lineStart(text, start);
  const nl = text.indexOf('\n', end);
  if (nl >= 0) return text.slice(0, s) + text.slice(nl + 1);
  if (s === 0) return '';
  const before = text.slice(0, s);
  return before.slice(0, before.length - trailingEolLength(before));
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

function withoutBom(text: string): { bom: string; body: string } {
  return text.startsWith('\uFEFF') ? { bom: '\uFEFF', body: text.slice(1) } : { bom: '', body: text };
}

// ---------------------------------------------------------------------------------------------------------
// Rendering our values
// ---------------------------------------------------------------------------------------------------------

/** Renders a scalar with smol-toml (strings as basic strings with TOML escapes). */
function renderScalar(v: TomlValue): string {
  return smol.stringify({ v }).slice(4).replace(/\r?\n$/, '');
}

function renderKey(k: string): string {
  return BARE_KEY.test(k) ? k : renderScalar(k);
}

function isPlainTable(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function renderValue(v: unknown, where: string): string {
  if (Array.isArray(v)) return `[${v.map((x, i) => renderValue(x, `${where}[${i}]`)).join(', ')}]`;
  if (isPlainTable(v)) {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(`${renderKey(k)} = ${renderValue(x, `${where}.${k}`)}`);
    return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof Date) {
    return renderScalar(v as TomlValue);
  }
  throw new CodexConfigError('invalid_wiring', `Codex Gateway cannot write ${where}: ${v === null ? 'null' : typeof v} has no TOML form. Remove it or give it a string, number, boolean, array or table value.`);
}

/** `[model_providers.<id>]` plus one `key = value` line per defined provider key, joined by `eol`, no final terminator. */
function renderTable(id: string, provider: Record<string, unknown>, eol: string): string {
  const lines = [`[model_providers.${renderKey(id)}]`];
  for (const [k, v] of Object.entries(provider)) {
    if (v !== undefined) lines.push(`${renderKey(k)} = ${renderValue(v, `model_providers.${id}.${k}`)}`);
  }
  return lines.join(eol);
}

/**
 * Checks a wiring before any edit.
 * @throws CodexConfigError `invalid_wiring` (reserved or empty provider id, missing or "OpenAI" name,
 *   `wire_api` other than "responses", `auth` with `env_key`, empty model), with what to change.
 */
export function validateWiring(w: CodexWiring): void {
  const bad = (msg: string): never => {
    throw new CodexConfigError('invalid_wiring', msg);
  };
  if (typeof w.providerId !== 'string' || w.providerId.trim() === '') bad('The Codex provider id is empty: give it a name such as "codex-gateway".');
  if (RESERVED_PROVIDER_IDS.includes(w.providerId.toLowerCase())) {
    bad(`"${w.providerId}" is a built-in Codex provider id that config.toml cannot redefine: choose another id, such as "codex-gateway".`);
  }
  if (!isPlainTable(w.provider)) bad('The Codex provider settings must be a table of keys (name, base_url, ...).');
  const name = w.provider.name;
  if (typeof name !== 'string' || name.trim() === '') bad(`Codex requires a non-empty "name" for [model_providers.${w.providerId}]: set one, such as "Codex Gateway".`);
  if (typeof name === 'string' && name.trim().toLowerCase() === 'openai') {
    bad('Do not name the provider "OpenAI": Codex then assumes remote compaction (/responses/compact) is available. Use another name, such as "Codex Gateway".');
  }
  const wire = w.provider.wire_api;
  if (wire !== undefined && wire !== 'responses') bad(`Codex 0.169 only accepts wire_api = "responses" (it rejects "chat"); got ${JSON.stringify(wire)}. Remove wire_api or set it to "responses".`);
  if (w.provider.auth !== undefined && w.provider.env_key !== undefined) bad('Codex does not allow "auth" together with "env_key" on one provider: keep one of them.');
  if (w.model !== undefined && (typeof w.model !== 'string' || w.model === '')) bad('The Codex model must be a non-empty string (a gateway alias).');
}

// ---------------------------------------------------------------------------------------------------------
// Comparing parsed documents
// ---------------------------------------------------------------------------------------------------------

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if ((typeof a === 'bigint' || typeof b === 'bigint') && (typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return Number.isInteger(Number(a)) && Number.isInteger(Number(b)) && BigInt(a) === BigInt(b);
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.toISOString() === b.toISOString();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainTable(a) && isPlainTable(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Copy of a parsed document without the keys we own (and an emptied `model_providers`). */
function withoutOurs(data: TomlTable, id: string, keys: readonly ('model' | 'model_provider')[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  for (const k of keys) delete out[k];
  const mp = out.model_providers;
  if (isPlainTable(mp)) {
    const rest: Record<string, unknown> = { ...mp };
    delete rest[id];
    if (Object.keys(rest).length === 0) delete out.model_providers;
    else out.model_providers = rest;
  }
  return out;
}

interface Expectation {
  /** Top-level keys we edited, and the value each must now have (null: absent). */
  top: Partial<Record<'model' | 'model_provider', string | null>>;
  /** Our provider table as it must now parse, or null when it must be gone. */
  table: Record<string, unknown> | null;
}

/** Re-parses the edited text and checks it against the expectation and the untouched rest; throws `conflict`. */
function verifyEdit(before: TomlTable, afterText: string, id: string, expect: Expectation, label: string): void {
  const fail = (why: string): never => {
    throw new CodexConfigError(
      'conflict',
      `Codex Gateway could not edit ${label} safely (${why}), so it left the file unchanged. ` +
        `Check the [model_providers] and top-level model settings in the file, or add the provider by hand.`,
    );
  };
  let after: TomlTable;
  try {
    after = smol.parse(afterText, { integersAsBigInt: 'asNeeded' });
  } catch (e) {
    return fail(`the result would not be valid TOML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  for (const [k, want] of Object.entries(expect.top) as ['model' | 'model_provider', string | null][]) {
    const got = after[k];
    if (want === null ? got !== undefined : got !== want) fail(`top-level ${k} did not take the expected value`);
  }
  const mp = after.model_providers;
  const got = isPlainTable(mp) ? mp[id] : undefined;
  if (expect.table === null ? got !== undefined : !deepEqual(got, expect.table)) fail(`[model_providers.${id}] did not take the expected value`);
  const keys = Object.keys(expect.top) as ('model' | 'model_provider')[];
  if (!deepEqual(withoutOurs(before, id, keys), withoutOurs(after, id, keys))) fail('another setting would have changed');
}

/** The provider as it parses back: undefined values dropped recursively. */
function normalizedProvider(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalizedProvider);
  if (isPlainTable(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = normalizedProvider(x);
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Locating what we own
// ---------------------------------------------------------------------------------------------------------

type TopKey = 'model' | 'model_provider';

function findTopLevel(ast: AST.TOMLProgram, key: TopKey): AST.TOMLKeyValue | undefined {
  for (const node of ast.body[0].body) {
    if (node.type !== 'TOMLKeyValue') break;
    const p = keyPath(node.key);
    if (p.length === 1 && p[0] === key) return node;
  }
  return undefined;
}

interface Owned {
  /** `[model_providers.<id>]` itself. */
  primary?: AST.TOMLTable;
  /** Every other node defining something under model_providers.<id> (sub-tables, key/values elsewhere). */
  others: (AST.TOMLTable | AST.TOMLKeyValue)[];
}

function findOwned(ast: AST.TOMLProgram, id: string): Owned {
  const owned: Owned = { others: [] };
  const ours = (p: (string | number)[]): boolean => p.length >= 2 && p[0] === 'model_providers' && p[1] === id;
  for (const node of ast.body[0].body) {
    if (node.type === 'TOMLTable') {
      if (ours(node.resolvedKey)) {
        if (!owned.primary && node.kind === 'standard' && node.resolvedKey.length === 2) owned.primary = node;
        else owned.others.push(node);
        continue;
      }
      for (const kv of node.body) if (ours([...node.resolvedKey, ...keyPath(kv.key)])) owned.others.push(kv);
    } else if (ours(keyPath(node.key))) {
      owned.others.push(node);
    }
  }
  return owned;
}

/** Refuses shapes that a splice cannot extend without rewriting user content. */
function checkShape(data: TomlTable, label: string, keys: readonly TopKey[]): void {
  const mp = data.model_providers;
  if (mp !== undefined && !isPlainTable(mp)) {
    throw new CodexConfigError('conflict', `${label} defines model_providers as ${Array.isArray(mp) ? 'an array' : 'a plain value'}, but Codex expects a table of providers. Fix it (use [model_providers.<id>] tables), then try again.`);
  }
  for (const k of keys) {
    const v = data[k];
    if (v !== undefined && typeof v !== 'string') {
      throw new CodexConfigError('conflict', `Top-level "${k}" in ${label} is not a string, but Codex expects one. Fix or remove it, then try again.`);
    }
  }
}

/** Whether the source text defines `model_providers` as one inline value (which no header may extend). */
function hasInlineProviders(ast: AST.TOMLProgram): boolean {
  return ast.body[0].body.some((n) => n.type === 'TOMLKeyValue' && keyPath(n.key).length === 1 && keyPath(n.key)[0] === 'model_providers');
}

// ---------------------------------------------------------------------------------------------------------
// Edits
// ---------------------------------------------------------------------------------------------------------

/**
 * Inserts the line `key = value` into the top-level section:
 * - after the line of the last top-level key/value, if any;
 * - else before the first table header and the comment lines directly above it, followed by an empty line
 *   when the line above is empty (or the file starts there), so the keys do not run into the header;
 * - else at the end of the file (empty or comment-only file), keeping a missing final newline missing.
 * {@link removeTopLevelLine} is the exact inverse.
 */
function insertTopLevel(text: string, ast: AST.TOMLProgram, line: string, eol: string): string {
  let lastKv: AST.TOMLKeyValue | undefined;
  let firstTable: AST.TOMLTable | undefined;
  for (const n of ast.body[0].body) {
    if (n.type === 'TOMLKeyValue') lastKv = n;
    else {
      firstTable = n;
      break;
    }
  }
  if (lastKv) {
    const nl = text.indexOf('\n', lastKv.range[1]);
    return nl >= 0 ? splice(text, nl + 1, nl + 1, line + eol) : text + eol + line;
  }
  if (firstTable) {
    let p = lineStart(text, firstTable.range[0]);
    while (p > 0) {
      const prev = lineStart(text, p - 1);
      if (/^[ \t]*#/.test(text.slice(prev, p))) p = prev;
      else break;
    }
    const blank = p === 0 || prevLineEmpty(text, p);
    return splice(text, p, p, line + eol + (blank ? eol : ''));
  }
  if (text === '') return line + eol;
  return text.endsWith('\n') ? text + line + eol : text + eol + line;
}

/** Removes a top-level key/value line, and the empty separator line {@link insertTopLevel} may have added. */
function removeTopLevelLine(text: string, kv: AST.TOMLKeyValue): string {
  const s = lineStart(text, kv.range[0]);
  const nl = text.indexOf('\n', kv.range[1]);
  if (nl < 0) return removeLines(text, kv.range[0], kv.range[1]);
  let e = nl + 1;
  if (s === 0 || prevLineEmpty(text, s)) {
    const next = lineAt(text, e);
    if (next.content === '' && next.next >= 0 && /^[ \t]*[#[]/.test(lineAt(text, next.next).content)) e = next.next;
  }
  return text.slice(0, s) + text.slice(e);
}

/** Sets a top-level string key: value replaced in place (rest of the line kept), or a new line inserted. */
function setTopLevel(text: string, key: TopKey, value: string, raw: string | undefined, eol: string, label: string): string {
  const ast = parseAst(text, label);
  const kv = findTopLevel(ast, key);
  const rendered = raw !== undefined && rawMatches(raw, value) ? raw : renderScalar(value);
  if (!kv) return insertTopLevel(text, ast, `${key} = ${rendered}`, eol);
  if (kv.value.type === 'TOMLValue' && kv.value.kind === 'string' && kv.value.value === value) return text;
  return splice(text, kv.value.range[0], kv.value.range[1], rendered);
}

/** Whether `raw` is a single-line TOML string token whose value is `value`. */
function rawMatches(raw: string, value: string): boolean {
  if (/[\r\n]/.test(raw)) return false;
  try {
    return smol.parse(`v = ${raw}`).v === value;
  } catch {
    return false;
  }
}

/**
 * Removes the lines of a block (table or key/value) that was in the user's file; when it sat between two
 * empty lines (or an empty line and the start of the file), one of them goes too.
 */
function removeBlock(text: string, start: number, end: number): string {
  const s = lineStart(text, start);
  const nl = text.indexOf('\n', end);
  if (nl < 0) return removeLines(text, start, end);
  let e = nl + 1;
  const after = lineAt(text, e);
  if ((s === 0 || prevLineEmpty(text, s)) && after.content === '' && after.next >= 0) e = after.next;
  return text.slice(0, s) + text.slice(e);
}

/** Removes one owned node other than the primary table (last in source order); null when none is left. */
function removeOneOther(text: string, id: string, label: string): string | null {
  const owned = findOwned(parseAst(text, label), id);
  const node = owned.others[owned.others.length - 1];
  if (!node) return null;
  return removeBlock(text, node.range[0], node.range[1]);
}

/** Writes our table: replaced in place when `[model_providers.<id>]` exists, else appended after an empty line. */
function setProviderTable(text: string, id: string, rendered: string, eol: string, label: string): string {
  let out = text;
  for (let next = removeOneOther(out, id, label); next !== null; next = removeOneOther(out, id, label)) out = next;
  const { primary } = findOwned(parseAst(out, label), id);
  if (primary) {
    if (out.slice(primary.range[0], primary.range[1]) === rendered) return out;
    return splice(out, primary.range[0], primary.range[1], rendered);
  }
  if (out === '') return rendered + eol;
  return out.endsWith('\n') ? out + eol + rendered + eol : out + eol + eol + rendered;
}

/** Removes our table; at the end of the file also the separator {@link setProviderTable} added before it. */
function removeProviderTable(text: string, id: string, label: string): string {
  let out = text;
  for (let next = removeOneOther(out, id, label); next !== null; next = removeOneOther(out, id, label)) out = next;
  const { primary } = findOwned(parseAst(out, label), id);
  if (!primary) return out;
  const s = lineStart(out, primary.range[0]);
  const nl = out.indexOf('\n', primary.range[1]);
  const tail = nl < 0 ? '' : out.slice(nl + 1);
  let prefix = out.slice(0, s);
  if (tail === '') {
    // Inverse of the append: with a final newline we added one empty line before; without, two terminators.
    const strip = nl >= 0 ? (prevLineEmpty(out, s) ? 1 : 0) : 2;
    for (let i = 0; i < strip; i++) prefix = prefix.slice(0, prefix.length - trailingEolLength(prefix));
    return prefix;
  }
  // In the middle of the file (the user added content after it): drop our lines and a doubled empty line.
  return removeBlock(out, primary.range[0], primary.range[1]);
}

// ---------------------------------------------------------------------------------------------------------
// Pure API
// ---------------------------------------------------------------------------------------------------------

/**
 * Pure: returns config.toml text with the wiring applied. Every byte outside the spans we own stays identical
 * (comments, key order, CRLF line endings, a missing final newline, a UTF-8 BOM, inline tables, arrays of
 * tables, `[profiles.*]`, `[mcp_servers.*]`, `[projects."/abs/path"]`, other `[model_providers.*]`).
 * Existing top-level `model` / `model_provider` values are replaced in place (trailing comment kept); missing
 * ones are inserted in the top-level section, before the first table header (TOML requires it). Our table is
 * replaced in place if present, else appended. Applying twice returns the same text.
 * @param label How error messages name the file (default `config.toml`; the file side passes its path).
 * @throws CodexConfigError `invalid_toml` (with line:column, "fix the file or restore the backup") when `text`
 *   is not valid TOML; `invalid_wiring` for an unusable wiring; `conflict` when the file's shape prevents a
 *   safe edit. Nothing is returned in those cases: the caller must not write.
 */
export function applyCodexWiring(text: string, wiring: CodexWiring, label: string = CONFIG_FILE): string {
  validateWiring(wiring);
  const { bom, body } = withoutBom(text);
  const eol = detectEol(body);
  const { ast, data } = parseStrict(body, label);
  const topKeys: TopKey[] = [];
  if (wiring.model !== undefined) topKeys.push('model');
  if (wiring.setModelProvider) topKeys.push('model_provider');
  checkShape(data, label, topKeys);
  if (hasInlineProviders(ast)) {
    throw new CodexConfigError('conflict', `${label} writes model_providers as one inline table (model_providers = {...}), which TOML does not let Codex Gateway extend. Rewrite it as [model_providers.<id>] tables, then try again.`);
  }
  let out = body;
  if (wiring.model !== undefined) out = setTopLevel(out, 'model', wiring.model, undefined, eol, label);
  if (wiring.setModelProvider) out = setTopLevel(out, 'model_provider', wiring.providerId, undefined, eol, label);
  out = setProviderTable(out, wiring.providerId, renderTable(wiring.providerId, wiring.provider, eol), eol, label);
  const top: Expectation['top'] = {};
  if (wiring.model !== undefined) top.model = wiring.model;
  if (wiring.setModelProvider) top.model_provider = wiring.providerId;
  verifyEdit(data, out, wiring.providerId, { top, table: normalizedProvider(wiring.provider) as Record<string, unknown> }, label);
  return bom + out;
}

/**
 * Pure: removes what {@link applyCodexWiring} added: everything under `model_providers.<providerId>` and our
 * top-level `model` / `model_provider`, which get the user's previous values back (or are removed when there
 * were none). The result is byte-identical to the text before apply when nothing else changed in between
 * (pass `previous.raw`, from {@link captureCodexPrevious}, for non-basic-string spellings).
 * @param previous The user's values before the first apply, see {@link CodexPrevious} for when each is restored.
 * @param label How error messages name the file (default `config.toml`).
 * @throws CodexConfigError `invalid_toml` when `text` is not valid TOML; `conflict` when the edit cannot be
 *   made safely.
 */
export function removeCodexWiring(text: string, providerId: string, previous: CodexPrevious, label: string = CONFIG_FILE): string {
  const { bom, body } = withoutBom(text);
  const eol = detectEol(body);
  const { data } = parseStrict(body, label);
  const cur = { model: data.model, model_provider: data.model_provider };
  const prev = {
    model: previous.model ?? null,
    // A "previous" provider equal to ours is our own earlier value, not the user's: treat it as absent.
    model_provider: previous.model_provider === providerId ? null : (previous.model_provider ?? null),
  };
  const restore = (k: TopKey): boolean => {
    if (previous.applied) {
      const mine = previous.applied[k];
      return mine !== undefined && (cur[k] === undefined || cur[k] === mine);
    }
    return cur.model_provider === providerId;
  };
  const keys = (['model', 'model_provider'] as const).filter(restore);
  checkShape(data, label, keys);
  let out = removeProviderTable(body, providerId, label);
  const top: Expectation['top'] = {};
  for (const k of keys) {
    const want = prev[k];
    top[k] = want;
    if (want === null) {
      const kv = findTopLevel(parseAst(out, label), k);
      if (kv) out = removeTopLevelLine(out, kv);
    } else {
      out = setTopLevel(out, k, want, previous.raw?.[k], eol, label);
    }
  }
  verifyEdit(data, out, providerId, { top, table: null }, label);
  return bom + out;
}

/**
 * Reads the current top-level `model` / `model_provider` (string values only), e.g. to ask the user before
 * replacing another provider they chose.
 * @throws CodexConfigError `invalid_toml` when `text` is not valid TOML.
 */
export function readCodexSelection(text: string): { model?: string; model_provider?: string } {
  const { data } = parseStrict(withoutBom(text).body, CONFIG_FILE);
  const out: { model?: string; model_provider?: string } = {};
  if (typeof data.model === 'string') out.model = data.model;
  if (typeof data.model_provider === 'string') out.model_provider = data.model_provider;
  return out;
}

/**
 * The user's selection before we apply, in the shape {@link removeCodexWiring} takes: values plus their exact
 * source tokens. When `model_provider` already names `providerId` (our own earlier write), both keys count as
 * having had no user value (null).
 * @throws CodexConfigError `invalid_toml` when `text` is not valid TOML.
 */
export function captureCodexPrevious(text: string, providerId: string): Required<Pick<CodexPrevious, 'model' | 'model_provider' | 'raw'>> {
  const body = withoutBom(text).body;
  const { ast, data } = parseStrict(body, CONFIG_FILE);
  const result: Required<Pick<CodexPrevious, 'model' | 'model_provider' | 'raw'>> = { model: null, model_provider: null, raw: {} };
  if (data.model_provider === providerId) return result;
  for (const k of ['model', 'model_provider'] as const) {
    const kv = findTopLevel(ast, k);
    if (kv && kv.value.type === 'TOMLValue' && kv.value.kind === 'string') {
      result[k] = kv.value.value;
      result.raw[k] = body.slice(kv.value.range[0], kv.value.range[1]);
    }
  }
  return result;
}

/**
 * The parsed values of config.toml text (a leading BOM ignored), e.g. to compare the current top-level
 * `model` / `model_provider` with what we set.
 * @param label How error messages name the file (default `config.toml`).
 * @throws CodexConfigError `invalid_toml` when `text` is not valid TOML.
 */
export function parseCodexConfig(text: string, label: string = CONFIG_FILE): TomlTable {
  return parseStrict(withoutBom(text).body, label).data;
}
