/**
 * Runs the gateway for VS Code: one port shared by every window on the machine, served by a worker thread of
 * whichever window got it first. No `vscode` import (unit-tested in plain Node).
 *
 * Ownership protocol (each window runs one {@link GatewayHost}):
 * 1. Probe `GET http://127.0.0.1:PORT/v1/health` with the token from the shared master key file
 *    (`$CODEX_GATEWAY_HOME/master_key`, 0600):
 *    - connection refused: the port is free, so this window starts its worker and listens ("running");
 *    - 200 with a `deployments` list: another window's gateway (same token file), so this window uses it
 *      ("attached");
 *    - 401 from a gateway: another Codex Gateway with a different token (e.g. `codex-gateway serve`), an error;
 *    - an answer with the notice header: the short-lived "gateway is not running" server that Codex's auth
 *      command started while no gateway ran (src/gateway/codex/absent-notice.ts): asked to quit, then started;
 *    - anything else (other status, not JSON, timeout): another program, an error naming the fix.
 * 2. Every `pollMs` (default 2000 ms, plus jitter) an attached or failed window probes again and takes the
 *    port over as soon as it is free, so closing the owner window moves the gateway within a few seconds.
 *    Two windows racing for a free port: one listen() fails with EADDRINUSE and that window attaches.
 * 3. The owner re-reads the token file on each poll, so a token rotated in any window reaches the server.
 * 4. A key set or cleared in an attached window is handed to the owner's worker with {@link GatewayHost.forwardSecret}
 *    (`PUT` / `DELETE` `PEER_SECRET_PATH`NAME, authenticated with the token); the owner's host hears of it through
 *    {@link GatewayHostOptions.onPeerSecret}. SecretStorage alone does not carry it in every VS Code: see messages.ts.
 */
import { Worker } from 'node:worker_threads';
import * as http from 'node:http';
import { readFile } from 'node:fs/promises';
import { loadOrCreateMasterKey } from '../gateway/auth';
import { NOTICE_HEADER, quitAbsentNotice } from '../gateway/codex/absent-notice';
import type { PlanUsage } from '../gateway/chatgpt/usage';
import type { ConfigIssue } from '../gateway/config';
import { Disposable } from './disposable';
import { PEER_SECRET_PATH, type HostToWorker, type SecretsMap, type TimedRecord, type WorkerLogLevel, type WorkerToHost } from './messages';
import type { GatewayPhase } from './status-model';

/** Result of probing the port. */
export type ProbeResult =
  | { kind: 'free' }
  | { kind: 'ours' }
  /** The notice server Codex's auth command starts while no gateway runs (absent-notice.ts): asked to quit. */
  | { kind: 'notice' }
  | { kind: 'other-gateway'; status: number }
  | { kind: 'foreign'; detail: string };

/**
 * Probes `http://127.0.0.1:port/v1/health` with `Authorization: Bearer token`.
 * @param timeoutMs gives up after this many ms (then `foreign`, "does not answer").
 */
export function probeGateway(port: number, token: string, timeoutMs = 1500): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/v1/health', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeout: timeoutMs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 1 << 20) chunks.push(c);
        });
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          const obj = body as { deployments?: unknown; error?: { code?: unknown } } | undefined;
          if (res.headers[NOTICE_HEADER] !== undefined) resolve({ kind: 'notice' });
          else if (res.statusCode === 200 && Array.isArray(obj?.deployments)) resolve({ kind: 'ours' });
          else if (res.statusCode === 401 && obj?.error?.code === 'invalid_api_key') resolve({ kind: 'other-gateway', status: 401 });
          else resolve({ kind: 'foreign', detail: `it answered HTTP ${res.statusCode} to GET /v1/health` });
        });
        res.on('error', () => resolve({ kind: 'foreign', detail: 'its answer broke off' }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ kind: 'foreign', detail: `it did not answer within ${timeoutMs} ms` });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') resolve({ kind: 'free' });
      else if (e.code === 'ECONNRESET' || e.code === 'EPIPE') resolve({ kind: 'foreign', detail: 'it closed the connection' });
      else resolve({ kind: 'foreign', detail: e.code ?? e.message });
    });
  });
}

/** Outcome of handing a key to the gateway another window serves: applied, or why not (says what to do). */
export type PeerSecretResult = { ok: true } | { ok: false; status?: number; reason: string };

/**
 * Hands a provider key to the gateway on `127.0.0.1:port`: `PUT {PEER_SECRET_PATH}NAME` with `{"value": ...}`,
 * or `DELETE` when `value` is undefined, with `Authorization: Bearer token`. Never throws; the reason of a
 * failure never contains the value.
 * @param timeoutMs gives up after this many ms.
 * @returns `{ ok: true }` on 204; otherwise the HTTP status (if any) and a reason for the user: the gateway's
 *   own error message, or what a 404 (a gateway that cannot take keys) or a network error means.
 */
export function sendPeerSecret(port: number, token: string, name: string, value: string | undefined, timeoutMs = 3000): Promise<PeerSecretResult> {
  const body = value === undefined ? undefined : Buffer.from(JSON.stringify({ value }), 'utf8');
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: value === undefined ? 'DELETE' : 'PUT',
        path: `${PEER_SECRET_PATH}${encodeURIComponent(name)}`,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
        },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 64 * 1024) chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 204 || status === 200) return resolve({ ok: true });
          let message: unknown;
          try {
            message = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { message?: unknown } }).error?.message;
          } catch {
            message = undefined;
          }
          const reason =
            status === 404
              ? 'the gateway there cannot take keys from other windows (an older Codex Gateway, or "codex-gateway serve"): reload that window, or set the key there'
              : status === 401
                ? 'the gateway token changed meanwhile; set the key again'
                : typeof message === 'string'
                  ? message
                  : `the gateway answered HTTP ${status}`;
          resolve({ ok: false, status, reason });
        });
        res.on('error', () => resolve({ ok: false, reason: 'the answer of the gateway broke off; set the key again' }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, reason: `the gateway did not answer within ${timeoutMs} ms; set the key again` });
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, reason: `the gateway could not be reached (${e.code ?? e.message}); set the key again` }));
    req.end(body);
  });
}

/** What the host reports to its owner (the extension) on every change. */
export interface HostState {
  phase: GatewayPhase;
  port: number;
  /** Why the phase is `error` (says what to do), or the last worker problem. */
  error?: string;
  /** Issues of a config the worker rejected. */
  configIssues?: ConfigIssue[];
}

/** Options of {@link GatewayHost}. */
export interface GatewayHostOptions {
  /** Absolute path of the bundled worker (`dist/gateway-worker.js`). */
  workerScript: string;
  /** The shared master key file (created 0600 with a new token when missing). */
  tokenFile: string;
  /** Port on 127.0.0.1. */
  port: number;
  /** Host-side log (the LogOutputChannel); worker lines arrive here too. */
  log: (level: WorkerLogLevel, line: string) => void;
  /** Called on every state change. */
  onState: (s: HostState) => void;
  /** Called with each batch of finished requests the worker reports (every request, successful or not). */
  onRequests?: (records: TimedRecord[]) => void;
  /**
   * Called when the ChatGPT plan's usage changed in this window's worker (see `PlanUsageMessage`), before the
   * batch of requests that saw the change. {@link GatewayHost.planUsage} keeps the latest.
   */
  onPlanUsage?: (usage: PlanUsage) => void;
  /**
   * Called when another window handed this window's gateway a key (`value`) or cleared one (undefined). The
   * worker already uses it; keep it (SecretStorage and {@link GatewayHost.setSecrets}) so it stays in use.
   */
  onPeerSecret?: (name: string, value: string | undefined) => void;
  /** Poll interval in ms for takeover and token changes (default 2000; jitter up to 25% is added). */
  pollMs?: number;
  /** Probe timeout in ms (default 1500). */
  probeTimeoutMs?: number;
  /** Grace period in ms for streams in flight when stopping (default 3000). */
  stopGraceMs?: number;
  /** Environment of the worker thread (default: a copy of `process.env`). */
  workerEnv?: NodeJS.ProcessEnv;
}

/** What the host wants the gateway to serve (the latest values; sent to a worker when one starts). */
interface Desired {
  raw?: unknown;
  secrets: SecretsMap;
  defaultModel?: string;
  logLevel: WorkerLogLevel;
}

/**
 * The gateway as seen from one VS Code window. Create, feed it the config / secrets / default alias, then
 * {@link start}. Dispose (or {@link stop}) on deactivation: an owner stops listening and another window takes over.
 */
export class GatewayHost extends Disposable {
  private worker?: Worker;
  private token = '';
  private state: HostState;
  private port: number;
  private readonly desired: Desired = { secrets: {}, logLevel: 'info' };
  private timer?: NodeJS.Timeout;
  private busy = false;
  private started = false;
  private stopping = false;
  private waiters: Array<(m: WorkerToHost) => boolean> = [];
  private lastForeign?: string;
  private plan?: PlanUsage;

  /** @param opts see {@link GatewayHostOptions}. */
  constructor(private readonly opts: GatewayHostOptions) {
    super();
    this.port = opts.port;
    this.state = { phase: 'starting', port: opts.port };
    this.onDispose(() => void this.stop());
  }

  /** The current state. */
  get current(): HostState {
    return this.state;
  }

  /** The gateway token (valid after {@link start}). */
  get gatewayToken(): string {
    return this.token;
  }

  /**
   * The ChatGPT plan's usage as this window's worker last reported it (times epoch ms), or undefined before the
   * plan answered or while another window serves the gateway.
   */
  get planUsage(): PlanUsage | undefined {
    return this.plan;
  }

  /** The configured port. */
  get gatewayPort(): number {
    return this.port;
  }

  /** True when this window's worker serves the port. */
  get isOwner(): boolean {
    return this.state.phase === 'running';
  }

  private setState(s: Omit<HostState, 'port'>): void {
    this.state = { ...s, port: this.port };
    this.opts.onState(this.state);
  }

  private send(m: HostToWorker): void {
    this.worker?.postMessage(m);
  }

  /** Sets the config to serve (a raw config the host already validated; prepared by `prepareRawConfig`). */
  setConfig(raw: unknown): void {
    const first = this.desired.raw === undefined;
    this.desired.raw = raw;
    if (this.worker) this.send({ type: 'reload', raw });
    else if (first && this.started) void this.tick();
  }

  /** Replaces the provider keys (names the config references -> values). */
  setSecrets(secrets: SecretsMap): void {
    this.desired.secrets = { ...secrets };
    this.send({ type: 'secrets', secrets: this.desired.secrets });
  }

  /** Sets the alias behind the virtual `default` model (undefined = first alias). */
  setDefaultModel(alias: string | undefined): void {
    this.desired.defaultModel = alias;
    this.send({ type: 'defaultModel', alias });
  }

  /** Changes the worker's log threshold. */
  setLogLevel(level: WorkerLogLevel): void {
    this.desired.logLevel = level;
    this.send({ type: 'logLevel', level });
  }

  /** Moves the gateway to another port: stops serving the old one (if owner) and probes the new one. */
  async setPort(port: number): Promise<void> {
    if (port === this.port) return;
    await this.stopWorker();
    this.port = port;
    this.lastForeign = undefined;
    this.setState({ phase: 'starting' });
    if (this.started) await this.tick();
  }

  /**
   * Reads (or creates) the token file, probes the port and starts or attaches; then polls.
   * @throws the file-system error when the token file cannot be created (e.g. no permission).
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.token = (await loadOrCreateMasterKey(this.opts.tokenFile)).token;
    await this.tick();
    this.schedule();
  }

  private schedule(): void {
    if (this.disposed || this.stopping) return;
    const base = this.opts.pollMs ?? 2000;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, base + Math.floor(Math.random() * base * 0.25));
    this.timer.unref?.();
  }

  /** One round of the ownership protocol; also run by the poll timer. Never throws. */
  async tick(): Promise<void> {
    if (this.busy || this.stopping || this.disposed) return;
    this.busy = true;
    try {
      await this.refreshToken();
      if (this.worker) return;
      const probe = await probeGateway(this.port, this.token, this.opts.probeTimeoutMs);
      if (this.stopping || this.disposed) return;
      switch (probe.kind) {
        case 'ours':
          this.lastForeign = undefined;
          if (this.state.phase !== 'attached') {
            this.opts.log('info', `Using the Codex Gateway another VS Code window serves on http://127.0.0.1:${this.port}`);
            this.setState({ phase: 'attached' });
          }
          return;
        case 'notice':
        case 'free':
          if (probe.kind === 'notice') {
            // Codex ran its auth command while no gateway listened here (e.g. VS Code was closed): the notice
            // server it started holds the port for a few seconds. It quits when asked; then the port is ours (a
            // listen that still finds it busy is retried on the next tick).
            this.opts.log('info', `Port ${this.port} is held by the "gateway is not running" notice Codex's auth command started; asking it to stop.`);
            await quitAbsentNotice('127.0.0.1', this.port);
          }
          this.lastForeign = undefined;
          if (this.desired.raw === undefined) {
            if (this.state.phase !== 'error') this.setState({ phase: 'error', error: 'The settings have no valid config yet: fix codexGateway.config (see the log).' });
            return;
          }
          await this.becomeOwner();
          return;
        case 'other-gateway':
        case 'foreign': {
          const error =
            probe.kind === 'other-gateway'
              ? `Port ${this.port} is used by another Codex Gateway with a different token (for example "codex-gateway serve"): stop it, or set codexGateway.port to a free port.`
              : `Port ${this.port} on 127.0.0.1 is used by another program (${probe.detail}): stop that program, or set codexGateway.port to a free port (for example ${this.port + 1}).`;
          if (this.lastForeign !== error) {
            this.lastForeign = error;
            this.opts.log('error', error);
            this.setState({ phase: 'error', error });
          }
          return;
        }
      }
    } catch (e) {
      this.opts.log('error', `Codex Gateway: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private async refreshToken(): Promise<void> {
    let t: string;
    try {
      t = (await readFile(this.opts.tokenFile, 'utf8')).trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      t = (await loadOrCreateMasterKey(this.opts.tokenFile)).token;
    }
    if (t && t !== this.token) {
      this.token = t;
      this.send({ type: 'masterKey', token: t });
      this.opts.log('info', 'The gateway token changed (token file rewritten); using the new one.');
    }
  }

  /**
   * Hands a key set (or cleared, `value` undefined) in this window to the gateway another window serves, so
   * that it serves with it at once. Only meaningful while {@link current} is `attached`; otherwise returns
   * `{ ok: false }` without a request. On a 401 the token file is re-read and the request sent once more.
   * Never throws.
   * @param timeoutMs per request, in ms (default 3000).
   */
  async forwardSecret(name: string, value: string | undefined, timeoutMs = 3000): Promise<PeerSecretResult> {
    if (this.state.phase !== 'attached') return { ok: false, reason: 'this window does not use the gateway of another window' };
    let r = await sendPeerSecret(this.port, this.token, name, value, timeoutMs);
    if (!r.ok && r.status === 401) {
      await this.refreshToken().catch(() => undefined);
      r = await sendPeerSecret(this.port, this.token, name, value, timeoutMs);
    }
    return r;
  }

  /** Uses a new token from now on (the caller has written it to the token file). */
  useToken(token: string): void {
    this.token = token;
    this.send({ type: 'masterKey', token });
  }

  private waitFor<T extends WorkerToHost['type']>(types: T[], timeoutMs: number): Promise<Extract<WorkerToHost, { type: T }> | undefined> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      const waiter = (m: WorkerToHost): boolean => {
        if (!(types as string[]).includes(m.type)) return false;
        clearTimeout(t);
        resolve(m as Extract<WorkerToHost, { type: T }>);
        return true;
      };
      this.waiters.push(waiter);
    });
  }

  private onMessage = (m: WorkerToHost): void => {
    for (const w of [...this.waiters]) {
      if (w(m)) this.waiters = this.waiters.filter((x) => x !== w);
    }
    switch (m.type) {
      case 'log':
        this.opts.log(m.level, m.line);
        return;
      case 'requests':
        this.opts.onRequests?.(m.records);
        return;
      case 'planUsage':
        this.plan = m.usage;
        this.opts.onPlanUsage?.(m.usage);
        return;
      case 'peerSecret':
        this.opts.onPeerSecret?.(m.name, m.value);
        return;
      case 'configError':
        this.opts.log('error', `The gateway rejected the config:\n${m.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
        if (this.state.phase === 'running') this.setState({ phase: 'running', configIssues: m.issues });
        return;
      case 'reloaded':
        this.opts.log('info', `Config reloaded: aliases ${m.aliases.join(', ')}`);
        if (this.state.phase === 'running' && this.state.configIssues) this.setState({ phase: 'running' });
        return;
      case 'fatal':
        this.opts.log('error', `Gateway worker error: ${m.message}`);
        return;
      default:
        return;
    }
  };

  private async becomeOwner(): Promise<void> {
    const worker = new Worker(this.opts.workerScript, { env: this.opts.workerEnv ?? { ...process.env }, name: 'codex-gateway' });
    this.worker = worker;
    worker.on('message', this.onMessage);
    worker.on('error', (e) => this.opts.log('error', `Gateway worker crashed: ${e.stack ?? e.message}`));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.stopping && !this.disposed) {
        const error = `The gateway worker stopped unexpectedly (exit code ${code}); restarting it. See the log for details.`;
        this.opts.log('error', error);
        this.setState({ phase: 'error', error });
      }
    });
    const reply = this.waitFor(['listening', 'listenError', 'configError', 'fatal'], 15_000);
    this.send({
      type: 'start',
      host: '127.0.0.1',
      port: this.port,
      raw: this.desired.raw,
      secrets: this.desired.secrets,
      ...(this.desired.defaultModel !== undefined ? { defaultModel: this.desired.defaultModel } : {}),
      masterKey: this.token,
      logLevel: this.desired.logLevel,
    });
    const m = await reply;
    if (m?.type === 'listening') {
      this.opts.log('info', `Codex Gateway listening on ${m.url}/v1 (aliases: ${m.aliases.join(', ')})`);
      this.setState({ phase: 'running' });
      return;
    }
    await this.terminateWorker();
    if (m?.type === 'listenError' && m.inUse) {
      // Lost a race with another window (or a program grabbed the port): probe again on the next tick.
      this.opts.log('info', `Port ${this.port} was taken while starting; checking who has it.`);
      return;
    }
    const error =
      m === undefined
        ? 'The gateway worker did not start within 15 s; see the log, then run "Developer: Reload Window".'
        : m.type === 'configError'
          ? 'The config in settings is not valid: fix codexGateway.config (see the log).'
          : `The gateway could not start: ${m.type === 'listenError' || m.type === 'fatal' ? m.message : ''}`;
    this.opts.log('error', error);
    this.setState({ phase: 'error', error, ...(m?.type === 'configError' ? { configIssues: m.issues } : {}) });
  }

  private async terminateWorker(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.plan = undefined;
    if (w) await w.terminate().catch(() => undefined);
  }

  private async stopWorker(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const grace = this.opts.stopGraceMs ?? 3000;
    const done = this.waitFor(['stopped'], grace + 1000);
    this.send({ type: 'stop', graceMs: grace });
    await done;
    if (this.worker === w) await this.terminateWorker();
  }

  /**
   * Stops polling and, when this window serves the port, stops the server (streams in flight get
   * `stopGraceMs`). Other windows notice within their poll interval and take over.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.stopWorker();
    this.state = { phase: 'stopped', port: this.port };
  }
}
