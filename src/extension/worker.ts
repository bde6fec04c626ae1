/**
 * The gateway worker thread (bundled to `dist/gateway-worker.js`): runs the engine's {@link Gateway} off the
 * extension host's event loop and talks to the host only through the typed messages of `messages.ts`.
 * No `vscode` import (a worker cannot use the VS Code API).
 *
 * Secrets: provider keys come from the host's map (SecretStorage), then from this thread's `process.env`
 * (a copy of the extension host's environment), in that order, looked up when a request needs them. Other
 * VS Code windows that use this window's gateway hand it the keys set there through the
 * {@link PEER_SECRET_PATH} route (see messages.ts), which updates the map at once and tells the host.
 *
 * Messages to the host are few on the hot path: one `log` message per log line the configured level lets
 * through, and one `requests` message per {@link REQUEST_BATCH_MS} ms carrying every request finished meanwhile.
 * A `planUsage` message follows every change of the ChatGPT plan's usage (one per answer of the plan at most).
 */
import { parentPort } from 'node:worker_threads';
import { ConfigError, resolveConfig } from '../gateway/config';
import { errorBody } from '../gateway/errors';
import { Logger, type LogSink, type RequestLogRecord } from '../gateway/log';
import { Gateway } from '../gateway/server';
import type { GatewayConfig, LogLevel } from '../gateway/types';
import { PEER_SECRET_MAX_BODY_BYTES, PEER_SECRET_PATH, REQUEST_BATCH_MS, type HostToWorker, type SecretsMap, type TimedRecord, type WorkerToHost } from './messages';
import { keyNamesOf, namesOutsideApiKey, SECRET_NAME } from './settings';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** How a missing provider key is explained in errors Codex shows: point at the VS Code command. */
export function vscodeKeyHint(name: string): string {
  return `run "Codex Gateway: Set Provider Key" in VS Code (Command Palette) and enter ${name}, then retry`;
}

/**
 * A Logger whose threshold can change at run time (`codexGateway.logLevel`), and which hands every request
 * record to `onRecord` before filtering.
 */
export class AdjustableLogger extends Logger {
  private min: number;

  /**
   * @param level initial threshold.
   * @param sink where lines go.
   * @param onRecord receives every request record (even when its line is filtered out).
   */
  constructor(
    level: LogLevel,
    sink: LogSink,
    private readonly onRecord: (r: RequestLogRecord) => void,
  ) {
    super('debug', sink);
    this.min = LEVELS[level];
  }

  /** Changes the threshold for lines logged from now on. */
  setLevel(level: LogLevel): void {
    this.min = LEVELS[level];
  }

  /** Whether a line at `level` is logged now (at or above the threshold). */
  override enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return LEVELS[level] >= this.min;
  }
  /** Logs `msg` at debug when the threshold allows it. */
  override debug(msg: string): void {
    if (LEVELS.debug >= this.min) super.debug(msg);
  }
  /** Logs `msg` at info when the threshold allows it. */
  override info(msg: string): void {
    if (LEVELS.info >= this.min) super.info(msg);
  }
  /** Logs `msg` at warn when the threshold allows it. */
  override warn(msg: string): void {
    if (LEVELS.warn >= this.min) super.warn(msg);
  }
  /** Logs `msg` at error when the threshold allows it. */
  override error(msg: string): void {
    if (LEVELS.error >= this.min) super.error(msg);
  }
  /**
   * Hands every finished request to `onRecord` (the extension's request history, whatever the threshold), then
   * logs it at warn (status >= 400 or an error) or info when the threshold allows it.
   */
  override request(r: RequestLogRecord): void {
    this.onRecord(r);
    if (LEVELS[r.status >= 400 || r.error ? 'warn' : 'info'] >= this.min) super.request(r);
  }
}

/** The worker's state machine; one per thread. Exported for tests that run it in-process with a fake port. */
export class WorkerMain {
  private gw?: Gateway;
  private secrets: SecretsMap = {};
  private logger: AdjustableLogger;
  private raw: unknown;
  private defaultModel?: string;
  private nonKeyNames = new Set<string>();
  /** Names another window may set through {@link PEER_SECRET_PATH}: `api_key` names used nowhere else. */
  private peerNames = new Set<string>();
  /** Stops forwarding the plan's usage changes of the current gateway. */
  private unsubscribePlan?: () => void;

  /** @param post sends a message to the host. */
  constructor(private readonly post: (m: WorkerToHost) => void) {
    this.logger = new AdjustableLogger(
      'info',
      (level, line) => this.post({ type: 'log', level, line }),
      (record) => {
        this.batch.push({ ...record, at: Date.now() });
        if (!this.batchTimer) {
          this.batchTimer = setTimeout(() => this.flushRecords(), REQUEST_BATCH_MS);
          this.batchTimer.unref?.();
        }
      },
    );
  }

  private batch: TimedRecord[] = [];
  private batchTimer?: NodeJS.Timeout;

  /** Posts the records collected since the last batch (one message). */
  private flushRecords(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    this.post({ type: 'requests', records });
  }

  private readonly env = (name: string): string | undefined => this.secrets[name] || process.env[name] || undefined;

  private resolve(raw: unknown): GatewayConfig | undefined {
    try {
      const config = resolveConfig(raw, { env: this.env });
      this.raw = raw;
      this.nonKeyNames = namesOutsideApiKey(raw);
      this.peerNames = new Set(keyNamesOf(config).filter((n) => !this.nonKeyNames.has(n)));
      return config;
    } catch (e) {
      if (e instanceof ConfigError) {
        this.post({ type: 'configError', issues: e.issues });
        return undefined;
      }
      throw e;
    }
  }

  /**
   * Adds `PUT` / `DELETE` {@link PEER_SECRET_PATH}`:name` to the gateway's app (before it serves, so after the
   * app's Host/Origin and token middleware: only a client with the gateway token gets here). Answers 204 when
   * the key is in use for the next request; 409 `not_a_key_name` for a name that is not an `api_key` of the
   * config in force or that another field (api_base, headers) also uses: such a value would decide where
   * requests and keys go; 400 for a bad value, 411 / 413 for a missing or too large body. Never echoes a value.
   */
  private addPeerSecretRoute(gw: Gateway): void {
    gw.app.on(['PUT', 'DELETE'], `${PEER_SECRET_PATH}:name`, async (c) => {
      const name = c.req.param('name');
      if (!SECRET_NAME.test(name) || !this.peerNames.has(name)) {
        const shown = SECRET_NAME.test(name) ? name : 'This name';
        return c.json(
          errorBody(
            `${shown} is not the api_key of any deployment in the config the gateway serves (or api_base or a header uses it too), so another window cannot set it: set it in the VS Code window that serves the gateway.`,
            'invalid_request_error',
            'not_a_key_name',
          ),
          409,
        );
      }
      let value: string | undefined;
      if (c.req.method === 'PUT') {
        const length = Number(c.req.header('content-length'));
        if (!Number.isInteger(length)) return c.json(errorBody('Send the key as a JSON body {"value": "..."} with a Content-Length.', 'invalid_request_error', 'length_required'), 411);
        if (length > PEER_SECRET_MAX_BODY_BYTES) return c.json(errorBody(`The body is larger than ${PEER_SECRET_MAX_BODY_BYTES} bytes; a key is much shorter.`, 'invalid_request_error', 'body_too_large'), 413);
        let body: unknown;
        try {
          body = await c.req.json();
        } catch {
          body = undefined;
        }
        const v = typeof (body as { value?: unknown } | undefined)?.value === 'string' ? (body as { value: string }).value.trim() : '';
        if (v === '' || /\s/.test(v)) return c.json(errorBody(`Send ${name} as {"value": "<the key>"}: a non-empty string without spaces or line breaks.`, 'invalid_request_error', 'invalid_value'), 400);
        value = v;
      }
      if (value === undefined) delete this.secrets[name];
      else this.secrets[name] = value;
      this.post({ type: 'peerSecret', name, ...(value !== undefined ? { value } : {}) });
      return c.body(null, 204);
    });
  }

  private applyDefault(): void {
    this.gw?.setDefaultModel(this.defaultModel);
  }

  /** Handles one message from the host. Never throws: unexpected errors become a `fatal` message. */
  async handle(m: HostToWorker): Promise<void> {
    try {
      switch (m.type) {
        case 'start': {
          this.secrets = { ...m.secrets };
          this.logger.setLevel(m.logLevel);
          this.defaultModel = m.defaultModel;
          const config = this.resolve(m.raw);
          if (!config) return;
          for (const w of config.warnings) this.logger.warn(w);
          this.gw = new Gateway({ config, masterKey: m.masterKey, secrets: this.env, keyHint: vscodeKeyHint, logger: this.logger, defaultModel: this.defaultModel });
          this.addPeerSecretRoute(this.gw);
          // The plan's usage lives in the Gateway (kept across reloads): forward each change to the host.
          this.unsubscribePlan = this.gw.chatgpt.usage.onChange((usage) => this.post({ type: 'planUsage', usage }));
          try {
            const addr = await this.gw.listen(m.host, m.port);
            this.post({ type: 'listening', port: addr.port, url: addr.url, aliases: [...config.groups.keys()] });
          } catch (e) {
            const err = e as NodeJS.ErrnoException;
            const inUse = err.code === 'EADDRINUSE' || /already in use/i.test(err.message);
            await this.gw.close(0).catch(() => undefined);
            this.unsubscribePlan?.();
            this.unsubscribePlan = undefined;
            this.gw = undefined;
            this.post({ type: 'listenError', inUse, message: err.message });
          }
          return;
        }
        case 'reload': {
          const config = this.resolve(m.raw);
          if (!config || !this.gw) return;
          this.gw.reload(config);
          this.applyDefault();
          this.post({ type: 'reloaded', aliases: [...config.groups.keys()], warnings: config.warnings });
          return;
        }
        case 'secrets': {
          const before = this.secrets;
          this.secrets = { ...m.secrets };
          // api_base and header values are read at load time: reload when one of their names changed.
          const changed = [...this.nonKeyNames].some((n) => before[n] !== this.secrets[n]);
          if (changed && this.gw && this.raw !== undefined) {
            const config = this.resolve(this.raw);
            if (config) {
              this.gw.reload(config);
              this.applyDefault();
              this.post({ type: 'reloaded', aliases: [...config.groups.keys()], warnings: config.warnings });
            }
          }
          return;
        }
        case 'defaultModel':
          this.defaultModel = m.alias;
          this.applyDefault();
          return;
        case 'masterKey':
          this.gw?.setMasterKey(m.token);
          return;
        case 'logLevel':
          this.logger.setLevel(m.level);
          return;
        case 'stop': {
          const gw = this.gw;
          this.gw = undefined;
          this.unsubscribePlan?.();
          this.unsubscribePlan = undefined;
          if (gw) await gw.close(m.graceMs);
          this.logger.flush();
          this.flushRecords();
          this.post({ type: 'stopped' });
          return;
        }
      }
    } catch (e) {
      this.post({ type: 'fatal', message: (e as Error).stack ?? String(e) });
    }
  }
}

if (parentPort) {
  const port = parentPort;
  const main = new WorkerMain((m) => port.postMessage(m));
  // Messages are handled one at a time, in order (a reload never overtakes the start it follows).
  let chain = Promise.resolve();
  port.on('message', (m: HostToWorker) => {
    chain = chain.then(() => main.handle(m));
  });
}
