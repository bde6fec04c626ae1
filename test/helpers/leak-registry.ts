/**
 * The key-leak registry of a test run: every secret value the tests create (provider keys, gateway tokens)
 * and every text the run sends out (gateway log lines, bytes the gateway sends to its clients, output of
 * child processes, this process's stdout/stderr, errors of failing tests, openai SDK error messages). The
 * captured text is scanned for the registered values; the final check of each mocha run
 * (`test/helpers/leak-plugin.ts`) fails when any was found.
 *
 * What is matched, for each registered value:
 * - the value itself;
 * - its random part alone, when it ends in `-<16+ hex>` (the shape of `fakeKey()` / `testToken()`), so a
 *   leak that rewrites the label prefix is still caught;
 * - its base64 encodings at the three byte alignments (minus the edge characters that depend on the
 *   surrounding bytes), so e.g. a key inside an HTTP Basic `authorization` value is caught.
 * Besides, unregistered values shaped like the test helpers' fake keys (`test-<label>-<20+ hex>`,
 * `sk-<40+ hex>`) are reported too (keys made by helpers that do not register them).
 *
 * Nothing here prints a secret: findings name the key's label and show an excerpt in which every secret
 * and every long hex / base64 run is masked.
 *
 * Scanning is lazy and incremental: captured text waits in its source until {@link scanPending} (called at
 * every test boundary by the plugin, or when more than 4 MiB are waiting), so taps stay cheap on the hot
 * path; one pass over a text finds every needle (rolling hash of each needle's first 12 characters), so the
 * cost does not grow with the number of keys. A value shorter than {@link MIN_SECRET_LENGTH} characters is not registered (too many false hits).
 *
 * State lives on `globalThis` so that a second instance of this module (ESM and CJS loaders) shares it.
 */

/** Where a captured text came from. */
export type SourceKind =
  /** A log line of an in-process gateway started by `startGateway`. */
  | 'gateway-log'
  /** Head and body bytes an in-process gateway sent to one client (one source per response). */
  | 'gateway-response'
  /** stdout / stderr of a child process spawned by a test (gateway command, Codex CLI, ...). */
  | 'child-output'
  /** Head and body bytes a child gateway process (`codex-gateway serve`) sent to its clients. */
  | 'child-response'
  /** This process's own stdout / stderr (reporter output, console.log, default-logger gateways). */
  | 'process-output'
  /** Message, stack, actual and expected of a failing test's error. */
  | 'test-error'
  /** Message and error body of an openai SDK `APIError` built from an HTTP error answer. */
  | 'sdk-error';

/** Every kind, in report order. */
export const SOURCE_KINDS: readonly SourceKind[] = [
  'gateway-log',
  'gateway-response',
  'child-output',
  'child-response',
  'process-output',
  'test-error',
  'sdk-error',
];

/** Shortest value {@link registerSecret} accepts, in characters. */
export const MIN_SECRET_LENGTH = 12;

/** One place where a secret was found. Holds no secret (the excerpt is masked). */
export interface LeakHit {
  kind: SourceKind;
  /** The source's name, e.g. `gateway#3 POST /v1/responses -> 502` or `child 12345 (codex-gateway serve) stderr`. */
  source: string;
  /** Full title of the mocha test running when the text was scanned (undefined between tests). */
  test?: string;
  /** Label the secret was registered with (e.g. `fakeKey('deepseek')`, `env DEEPSEEK_API_KEY`). */
  label: string;
  /** Which form matched: `value`, `random part`, `base64`, or `key-shaped (unregistered)`. */
  variant: string;
  /** Character offset in the source's text. */
  offset: number;
  /** About 48 characters either side, secrets masked, JSON-quoted (control characters escaped). */
  excerpt: string;
}

/** Counters of one source kind. */
export interface KindStats {
  /** Sources opened (e.g. responses tapped). */
  sources: number;
  /** Chunks captured (log lines, writes, reads). */
  chunks: number;
  /** Characters captured. */
  chars: number;
}

/** What the registry has seen so far (see {@link leakReport}). */
export interface LeakReport {
  /** Distinct secret values registered. */
  keys: number;
  /** Patterns scanned for (values and their variants). */
  needles: number;
  /** Per-kind counters. */
  stats: Record<SourceKind, KindStats>;
  /** Characters scanned in total. */
  scannedChars: number;
  /** Time spent scanning, in ms. */
  scanMs: number;
  /** Findings, in order. */
  hits: LeakHit[];
  /** Exceptions thrown inside a tap (a broken tap must not pass silently). */
  tapErrors: string[];
  /** Named counters set by taps (`gateways`, `gatewayServersTapped`, `childGateways`, ...). */
  counters: Record<string, number>;
}

/** A stream of captured text from one place. */
export interface Tap {
  /** Captures a chunk; Buffers are decoded as UTF-8. Never throws. */
  write(chunk: string | Uint8Array): void;
}

interface Needle {
  text: string;
  label: string;
  variant: string;
}

interface Source {
  kind: SourceKind;
  name: string;
  pending: string;
  tail: string;
  offset: number;
}

interface State {
  secrets: Map<string, string>;
  needles: Needle[];
  /** Needles by the rolling hash of their first {@link WINDOW} characters. */
  index: Map<number, Needle[]>;
  maxNeedle: number;
  dirty: Set<Source>;
  pendingChars: number;
  scannedChars: number;
  scanMs: number;
  stats: Record<SourceKind, KindStats>;
  hits: LeakHit[];
  tapErrors: string[];
  counters: Record<string, number>;
  currentTest?: string;
}

const STATE = Symbol.for('codex-gateway.test.leak-registry');

function freshStats(): Record<SourceKind, KindStats> {
  const s = {} as Record<SourceKind, KindStats>;
  for (const k of SOURCE_KINDS) s[k] = { sources: 0, chunks: 0, chars: 0 };
  return s;
}

function state(): State {
  const g = globalThis as unknown as Record<symbol, State | undefined>;
  let s = g[STATE];
  if (!s) {
    s = {
      secrets: new Map(),
      needles: [],
      index: new Map(),
      maxNeedle: 0,
      dirty: new Set(),
      pendingChars: 0,
      scannedChars: 0,
      scanMs: 0,
      stats: freshStats(),
      hits: [],
      tapErrors: [],
      counters: {},
    };
    g[STATE] = s;
  }
  return s;
}

/** Characters waiting unscanned before a capture triggers a scan by itself. */
const MAX_PENDING_CHARS = 4 * 1024 * 1024;
/** Context kept across chunk boundaries when no needle is longer (key-shaped values can be ~70 chars). */
const MIN_TAIL = 128;
/** Unregistered values shaped like the test helpers' fake keys. */
const KEY_SHAPES = [/\btest-[A-Za-z0-9_.-]{1,48}-[0-9a-f]{20,}(?![0-9a-f])/g, /\bsk-[0-9a-f]{40,}(?![0-9a-f])/g];

/**
 * Window of the rolling hash (Rabin-Karp) that finds candidate positions in one pass over a text, whatever
 * the number of needles; every needle is at least this long ({@link MIN_SECRET_LENGTH}).
 */
const WINDOW = 12;
const BASE = 257;
/** BASE^(WINDOW-1) modulo 2^32. */
const TOP = (() => {
  let p = 1;
  for (let i = 1; i < WINDOW; i++) p = Math.imul(p, BASE) >>> 0;
  return p;
})();

/** Hash of `text[at .. at+WINDOW)` (UTF-16 code units, modulo 2^32). */
function windowHash(text: string, at: number): number {
  let h = 0;
  for (let i = at; i < at + WINDOW; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) >>> 0;
  return h;
}

/** Calls `found(needle, at)` for every occurrence of every indexed needle in `text`. */
function findNeedles(text: string, index: Map<number, Needle[]>, found: (n: Needle, at: number) => void): void {
  if (text.length < WINDOW || index.size === 0) return;
  let h = windowHash(text, 0);
  for (let i = 0; ; i++) {
    const list = index.get(h);
    if (list) for (const n of list) if (text.startsWith(n.text, i)) found(n, i);
    if (i + WINDOW >= text.length) return;
    h = (Math.imul((h - Math.imul(text.charCodeAt(i), TOP)) | 0, BASE) + text.charCodeAt(i + WINDOW)) >>> 0;
  }
}

/** The three base64 forms of `value` (one per byte alignment), cut to the characters that only depend on it. */
function base64Forms(value: string): string[] {
  const out: string[] = [];
  const bytes = Buffer.from(value, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
    // First 4 chars mix in the prefix bytes (when shift > 0); the last 4 depend on what follows.
    const core = b64.slice(shift === 0 ? 0 : 4, -4);
    if (core.length >= MIN_SECRET_LENGTH) out.push(core);
  }
  return out;
}

/**
 * Registers a secret value: from now on every captured text is checked for it (see the module doc for the
 * variants). Idempotent; values shorter than {@link MIN_SECRET_LENGTH} characters are ignored.
 * @param value the secret (never printed).
 * @param label how findings name it, e.g. `fakeKey('deepseek')` or `env DEEPSEEK_API_KEY`.
 */
export function registerSecret(value: string, label: string): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  const s = state();
  if (s.secrets.has(value)) return;
  s.secrets.set(value, label);
  const add = (text: string, variant: string) => {
    const n = { text, label, variant };
    s.needles.push(n);
    const h = windowHash(text, 0);
    const list = s.index.get(h);
    if (list) list.push(n);
    else s.index.set(h, [n]);
    s.maxNeedle = Math.max(s.maxNeedle, text.length);
  };
  add(value, 'value');
  const random = /-([0-9a-f]{16,})$/.exec(value);
  if (random) add(random[1], 'random part');
  for (const b of base64Forms(value)) add(b, 'base64');
}

/** True when `value` was registered with {@link registerSecret}. */
export function isRegistered(value: string): boolean {
  return state().secrets.has(value);
}

/** Sets the test that later findings are attributed to (the plugin calls it around every test). */
export function setCurrentTest(fullTitle: string | undefined): void {
  state().currentTest = fullTitle;
}

/** Adds `n` to a named counter (e.g. `gateways`), reported in {@link leakReport}. */
export function count(name: string, n = 1): void {
  const c = state().counters;
  c[name] = (c[name] ?? 0) + n;
}

/** Records an exception thrown inside a tap; the final check fails on any. Never throws. */
export function noteTapError(where: string, e: unknown): void {
  try {
    state().tapErrors.push(`${where}: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300));
  } catch {
    /* never let a tap break the code under test */
  }
}

/**
 * Opens a capture stream.
 * @param kind what it is (see {@link SourceKind}).
 * @param name where, as findings will print it (must not contain a secret).
 */
export function openSource(kind: SourceKind, name: string): Tap {
  const s = state();
  s.stats[kind].sources++;
  const src: Source = { kind, name, pending: '', tail: '', offset: 0 };
  return {
    write(chunk) {
      try {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
        if (text.length === 0) return;
        const st = s.stats[kind];
        st.chunks++;
        st.chars += text.length;
        src.pending += text;
        s.pendingChars += text.length;
        s.dirty.add(src);
        if (s.pendingChars > MAX_PENDING_CHARS) scanPending();
      } catch (e) {
        noteTapError(`${kind} ${name}`, e);
      }
    },
  };
}

/** Captures one whole text (e.g. an error message) as its own source. */
export function captureText(kind: SourceKind, name: string, text: string): void {
  openSource(kind, name).write(text);
}

/** Replaces secrets and anything that could be part of one (long hex / base64 runs) in an excerpt. */
function mask(text: string, s: State): string {
  let t = text;
  for (const [value, label] of s.secrets) if (t.includes(value)) t = t.split(value).join(`<${label}>`);
  for (const n of s.needles) if (n.variant !== 'value' && t.includes(n.text)) t = t.split(n.text).join(`<${n.label} ${n.variant}>`);
  t = t.replace(/[0-9a-fA-F]{12,}/g, '<hex>').replace(/[A-Za-z0-9+/_=-]{24,}/g, '<masked>');
  return JSON.stringify(t);
}

function excerpt(text: string, at: number, len: number, label: string, s: State): string {
  const before = text.slice(Math.max(0, at - 48), at);
  const after = text.slice(at + len, at + len + 48);
  return `${mask(before, s)} <${label}> ${mask(after, s)}`;
}

function scanSource(src: Source, s: State): void {
  const text = src.tail + src.pending;
  const fresh = src.tail.length; // matches ending inside the tail were reported by the previous scan
  const base = src.offset - src.tail.length;
  const found: { n: Needle; at: number }[] = [];
  findNeedles(text, s.index, (n, at) => {
    if (at + n.text.length > fresh) found.push({ n, at });
  });
  // One finding per place: a variant inside a whole-value match of the same key is the same leak.
  const whole = found.filter((f) => f.n.variant === 'value');
  for (const f of found) {
    if (f.n.variant !== 'value' && whole.some((w) => w.n.label === f.n.label && f.at >= w.at && f.at + f.n.text.length <= w.at + w.n.text.length)) continue;
    s.hits.push({ kind: src.kind, source: src.name, test: s.currentTest, label: f.n.label, variant: f.n.variant, offset: base + f.at, excerpt: excerpt(text, f.at, f.n.text.length, f.n.label, s) });
  }
  for (const re of KEY_SHAPES) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m.index + m[0].length <= fresh || s.needles.some((n) => m![0].includes(n.text))) continue; // registered: reported above
      s.hits.push({
        kind: src.kind,
        source: src.name,
        test: s.currentTest,
        label: 'unregistered key-shaped value',
        variant: 'key-shaped (unregistered)',
        offset: base + m.index,
        excerpt: excerpt(text, m.index, m[0].length, 'key-shaped value', s),
      });
    }
  }
  s.scannedChars += src.pending.length;
  src.offset += src.pending.length;
  src.tail = text.slice(-Math.max(MIN_TAIL, s.maxNeedle));
  src.pending = '';
}

/** Scans every text captured since the last scan. Cheap when nothing is waiting. */
export function scanPending(): void {
  const s = state();
  if (s.dirty.size === 0) return;
  const t0 = performance.now();
  for (const src of s.dirty) scanSource(src, s);
  s.dirty.clear();
  s.pendingChars = 0;
  s.scanMs += performance.now() - t0;
}

/** Everything seen so far (call {@link scanPending} first for up-to-date hits). */
export function leakReport(): LeakReport {
  const s = state();
  return {
    keys: s.secrets.size,
    needles: s.needles.length,
    stats: JSON.parse(JSON.stringify(s.stats)) as Record<SourceKind, KindStats>,
    scannedChars: s.scannedChars,
    scanMs: s.scanMs,
    hits: s.hits.slice(),
    tapErrors: s.tapErrors.slice(),
    counters: { ...s.counters },
  };
}

/**
 * Proves the matcher works: scans, in a scratch registry, a synthetic text holding a fresh canary value
 * split across two chunks, its base64 form, and an unregistered key-shaped value, and checks that all three
 * are found. Leaves the real registry untouched.
 * @returns undefined when the matcher works, else what went wrong.
 */
export function selfTest(): string | undefined {
  const g = globalThis as unknown as Record<symbol, State | undefined>;
  const real = g[STATE];
  g[STATE] = undefined;
  try {
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
    const canary = `test-canary-${hex(24)}`;
    registerSecret(canary, 'canary');
    const tap = openSource('process-output', 'self-test');
    tap.write(`first half ${canary.slice(0, 17)}`);
    tap.write(`${canary.slice(17)} second half\n`);
    tap.write(`basic ${Buffer.from(`user:${canary}`).toString('base64')}\n`);
    tap.write(`stray test-other-${hex(24)} end\n`);
    scanPending();
    const hits = state().hits;
    const want = ['value', 'base64', 'key-shaped (unregistered)'];
    const missing = want.filter((v) => !hits.some((h) => h.variant === v));
    if (missing.length) return `the matcher missed: ${missing.join(', ')}`;
    if (hits.some((h) => h.excerpt.includes(canary) || h.excerpt.includes(canary.slice(-24)))) return 'an excerpt showed the canary unmasked';
    return undefined;
  } finally {
    g[STATE] = real;
  }
}

/** Formats findings for a failure message (no secrets: labels and masked excerpts only). */
export function formatHits(hits: LeakHit[], max = 20): string {
  const lines = hits.slice(0, max).map((h, i) => `  ${i + 1}. [${h.kind}] ${h.source}${h.test ? ` (during "${h.test}")` : ''}: ${h.label} (${h.variant}) at char ${h.offset}: ${h.excerpt}`);
  if (hits.length > max) lines.push(`  ... and ${hits.length - max} more`);
  return lines.join('\n');
}
