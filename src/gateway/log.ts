/**
 * Logging for the gateway: leveled lines, one summary line per request, never prompt text or keys.
 *
 * Writing is off the hot path: lines are queued and flushed in one write on the next macrotask
 * (`setImmediate`), because `process.stderr.write` is synchronous for pipes and files on Linux
 * (Node docs, "A note on process I/O").
 */
import type { LogLevel } from './types';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where finished log lines go. The CLI writes to stderr; the VS Code extension to a LogOutputChannel. */
export type LogSink = (level: Exclude<LogLevel, 'silent'>, line: string) => void;

/**
 * Optional batch form of a sink: receives every line queued since the last flush at once (one system call
 * for stderr instead of one per request).
 */
export type LogBatchSink = (lines: ReadonlyArray<readonly [Exclude<LogLevel, 'silent'>, string]>) => void;

/**
 * One line per proxied request (the issue's log contract). Latency in ms, tokens as reported by the
 * upstream's usage (undefined when it sent none).
 */
export interface RequestLogRecord {
  /** Route, e.g. `/v1/responses`. */
  route: string;
  /** Alias the client asked for. */
  alias: string;
  /** Deployment id that served (or last failed). */
  deployment?: string;
  /** Upstream wire used (`responses`, `chat`, `messages`). */
  wire?: string;
  /** Status sent to the client (200 also for streams that later ended in `response.failed`). */
  status: number;
  /** Total latency in ms, request received to last byte sent. */
  latencyMs: number;
  /** Time to first byte sent to the client, in ms. */
  ttfbMs?: number;
  /** Input tokens from the upstream's usage (`input_tokens` / `prompt_tokens`), if it sent any. */
  inputTokens?: number;
  /** Output tokens from the upstream's usage (`output_tokens` / `completion_tokens`), if it sent any. */
  outputTokens?: number;
  /** Retries inside model groups. */
  retries: number;
  /** Alias originally asked for when a fallback alias served. */
  fallbackFrom?: string;
  /** Whether the response was streamed. */
  stream: boolean;
  /** Short safe error text (no keys, no prompt), when the request failed. */
  error?: string;
}

/** Leveled logger; cheap when a level is disabled (a number comparison). */
export class Logger {
  private readonly threshold: number;
  private queue: Array<[Exclude<LogLevel, 'silent'>, string]> = [];
  private scheduled = false;
  /** Listeners for request records (e.g. the settings panel's live view). */
  private readonly recordListeners = new Set<(r: RequestLogRecord) => void>();

  private readonly batchSink: LogBatchSink;
  /** Secret values removed from every line at flush time (see {@link addSecret}). */
  private readonly secrets = new Set<string>();

  /**
   * @param level Minimum level written [info]; `silent` writes nothing.
   * @param sink Destination of each line; default: stderr with an ISO timestamp and the level
   *   ({@link stderrBatchSink}, one write per flush).
   */
  constructor(
    level: LogLevel = 'info',
    sink?: LogSink,
  ) {
    this.threshold = LEVELS[level];
    this.batchSink = sink ? (lines) => { for (const [l, line] of lines) sink(l, line); } : stderrBatchSink;
  }

  /** True when lines of `level` are written. */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return LEVELS[level] >= this.threshold;
  }

  /** Queues a `debug` line (routing decisions, dropped params) when that level is enabled. `msg` must hold no key or prompt text. */
  debug(msg: string): void {
    if (LEVELS.debug >= this.threshold) this.enqueue('debug', msg);
  }
  /** Queues an `info` line when that level is enabled. `msg` must hold no key or prompt text. */
  info(msg: string): void {
    if (LEVELS.info >= this.threshold) this.enqueue('info', msg);
  }
  /** Queues a `warn` line (config warnings, learned wire changes) when enabled. `msg` must hold no key or prompt text. */
  warn(msg: string): void {
    if (LEVELS.warn >= this.threshold) this.enqueue('warn', msg);
  }
  /** Queues an `error` line (internal errors, with stack) when enabled. `msg` must hold no key or prompt text. */
  error(msg: string): void {
    if (LEVELS.error >= this.threshold) this.enqueue('error', msg);
  }

  /** Subscribes to request records; returns an unsubscribe function. */
  onRequest(listener: (r: RequestLogRecord) => void): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  /**
   * Logs the one summary line of a finished request: `info`, or `warn` when the status is >= 400 or an
   * error is set. Listeners registered with {@link onRequest} get every record, whatever the level.
   *
   * Text fields come from requests (the alias is the client's `model`) or quote upstream errors, so one
   * request must not be able to forge or garble log lines: route, alias, deployment, wire and fallback are
   * written bare only when they are printable ASCII without spaces or quotes (and at most 256 characters),
   * else as a JSON string; `error` always as a JSON string of at most 2000 characters. JSON strings get
   * control characters, line/paragraph separators, DEL/C1 controls and bidi/invisible format characters
   * escaped as `\uXXXX` (see {@link logText}), so a line stays one line and reads as written.
   */
  request(r: RequestLogRecord): void {
    for (const l of this.recordListeners) l(r);
    const level = r.status >= 400 || r.error ? 'warn' : 'info';
    if (LEVELS[level] < this.threshold) return;
    let line =
      `${logText(r.route)} alias=${logText(r.alias)} deployment=${r.deployment === undefined ? '-' : logText(r.deployment)}` +
      ` wire=${r.wire === undefined ? '-' : logText(r.wire)} status=${r.status} latency_ms=${r.latencyMs.toFixed(1)}`;
    if (r.ttfbMs !== undefined) line += ` ttfb_ms=${r.ttfbMs.toFixed(1)}`;
    line += ` tokens_in=${r.inputTokens ?? '-'} tokens_out=${r.outputTokens ?? '-'} retries=${r.retries}`;
    line += ` fallback=${r.fallbackFrom ? logText(`${r.fallbackFrom}->${r.alias}`) : '-'} stream=${r.stream}`;
    if (r.error) line += ` error=${logText(String(r.error), 2000, true)}`;
    this.enqueue(level, line);
  }

  /**
   * Registers a secret value in use (a provider key resolved for a request); every line written from now
   * on has each occurrence replaced by `[redacted]`, whatever path the text took into the log. Values
   * shorter than 6 characters are ignored (they would redact ordinary words).
   */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 6) this.secrets.add(value);
  }

  /** Writes everything queued now (used at shutdown). */
  flush(): void {
    const q = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (!q.length) return;
    if (this.secrets.size) {
      for (const entry of q) {
        for (const v of this.secrets) if (entry[1].includes(v)) entry[1] = entry[1].split(v).join('[redacted]');
      }
    }
    this.batchSink(q);
  }

  private enqueue(level: Exclude<LogLevel, 'silent'>, line: string): void {
    this.queue.push([level, line]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
}

/** Default sink: `2026-01-01T00:00:00.000Z INFO message` lines on stderr, one write per flush. */
export const stderrBatchSink: LogBatchSink = (lines) => {
  const ts = new Date().toISOString();
  let out = '';
  for (const [level, line] of lines) out += `${ts} ${level.toUpperCase()} ${line}\n`;
  process.stderr.write(out);
};

/** Printable ASCII except space and `"`: written bare in a log line. */
const LOG_BARE = /^[\x21\x23-\x7e]+$/;
/**
 * Characters `JSON.stringify` leaves raw that a terminal or log viewer may act on: DEL and C1 controls (CSI
 * is U+009B), soft hyphen, line/paragraph separators, bidi controls (Trojan Source, CVE-2021-42574),
 * zero-width and other invisible format characters, BOM, interlinear annotation controls.
 */
const LOG_UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/**
 * One request-derived text field of a log line: bare when it is 1..`max` printable ASCII characters without
 * space or `"` (and `quote` is false), else a JSON string (C0 controls, `"`, `\` and lone surrogates escaped
 * by JSON.stringify; the characters of LOG_UNSAFE as `\uXXXX`), cut after `max` characters with a note of
 * how many more there were. Never throws; the result never contains a line break or control character.
 */
function logText(s: string, max = 256, quote = false): string {
  if (!quote && s.length <= max && LOG_BARE.test(s)) return s;
  const t = s.length > max ? `${s.slice(0, max)}…[${s.length - max} more characters]` : s;
  return JSON.stringify(t).replace(LOG_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
