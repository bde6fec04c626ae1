/**
 * The typed messages between the extension host and the gateway worker thread (`dist/gateway-worker.js`).
 *
 * The gateway engine runs in a `worker_threads` Worker so that proxying (JSON parsing, SSE translation,
 * socket I/O) never blocks the extension host's event loop, which also runs every other extension of the
 * window. Messages travel by `postMessage` (structured clone); every message has a `type` discriminator.
 *
 * Ownership of data:
 * - The host reads settings and SecretStorage and sends the worker the raw config object (LiteLLM shape),
 *   the map of provider keys the config references, the default alias, the gateway token and the log level.
 * - The worker owns the HTTP server and reports status, log lines and (batched) request records back.
 * Provider keys travel only host -> worker, in memory; the worker never echoes them.
 *
 * This module imports neither `vscode` nor the engine's runtime code: only types (and one constant).
 */
import type { PlanUsage } from '../gateway/chatgpt/usage';
import type { ConfigIssue } from '../gateway/config';
import type { RequestLogRecord } from '../gateway/log';
import type { LogLevel } from '../gateway/types';

/** A log level the worker's logger can write at (the engine's levels without `silent`). */
export type WorkerLogLevel = Exclude<LogLevel, 'silent'>;

/** Provider keys by name (`DEEPSEEK_API_KEY` -> value). Only names the config references are sent. */
export type SecretsMap = Record<string, string>;

/**
 * First message: build the gateway and listen. The worker answers {@link ListeningMessage} or
 * {@link ListenErrorMessage} (or {@link ConfigErrorMessage} when the config does not resolve).
 */
export interface StartMessage {
  type: 'start';
  /** Bind address; always loopback (`127.0.0.1`) in the extension. */
  host: string;
  /** TCP port (`codexGateway.port`). */
  port: number;
  /** The raw config object (`codexGateway.config`, LiteLLM shape), resolved by the worker with the engine. */
  raw: unknown;
  secrets: SecretsMap;
  /** Alias the virtual `default` model resolves to; undefined = the first alias of model_list. */
  defaultModel?: string;
  /** The bearer token clients must send (the shared master key file's content). */
  masterKey: string;
  logLevel: LogLevel;
}

/** Replace the configuration (hot reload: streams in flight finish on the old one). */
export interface ReloadMessage {
  type: 'reload';
  raw: unknown;
}

/** Replace the provider keys map (after a SecretStorage change). */
export interface SecretsMessage {
  type: 'secrets';
  secrets: SecretsMap;
}

/** Change the alias behind the virtual `default` model, effective for the next request. */
export interface DefaultModelMessage {
  type: 'defaultModel';
  /** An alias of the current config, or undefined for the first alias. */
  alias?: string;
}

/** Replace the gateway token (rotation). */
export interface MasterKeyMessage {
  type: 'masterKey';
  token: string;
}

/** Change the log threshold (`codexGateway.logLevel`). */
export interface LogLevelMessage {
  type: 'logLevel';
  level: LogLevel;
}

/** Stop listening; in-flight responses get up to `graceMs` ms. The worker answers {@link StoppedMessage}. */
export interface StopMessage {
  type: 'stop';
  graceMs: number;
}

/** Every message the host sends to the worker. */
export type HostToWorker = StartMessage | ReloadMessage | SecretsMessage | DefaultModelMessage | MasterKeyMessage | LogLevelMessage | StopMessage;

/** The gateway listens. */
export interface ListeningMessage {
  type: 'listening';
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Aliases of the config in force, in model_list order. */
  aliases: string[];
}

/** `listen()` failed; `inUse` when the port is taken (EADDRINUSE). */
export interface ListenErrorMessage {
  type: 'listenError';
  inUse: boolean;
  message: string;
}

/** A config sent by `start` or `reload` did not resolve; the previous one (if any) stays in force. */
export interface ConfigErrorMessage {
  type: 'configError';
  issues: ConfigIssue[];
}

/** A `reload` took effect. */
export interface ReloadedMessage {
  type: 'reloaded';
  aliases: string[];
  /** Load warnings (unknown keys, ...), phrased for the user. */
  warnings: string[];
}

/** One log line of the engine (already formatted, no timestamp: the LogOutputChannel adds one). */
export interface LogMessage {
  type: 'log';
  level: WorkerLogLevel;
  line: string;
}

/** A finished proxied request (the engine's record: alias, status, latency ms, tokens) and when it finished. */
export type TimedRecord = RequestLogRecord & {
  /** When the request finished, in ms since the Unix epoch. */
  at: number;
};

/**
 * Finished requests, batched: the worker posts at most one of these every {@link REQUEST_BATCH_MS} ms, whatever
 * the request rate, so the extension host's work stays small under load.
 */
export interface RequestsMessage {
  type: 'requests';
  records: TimedRecord[];
}

/** Longest time in ms a finished request's record waits in the worker before it is posted to the host. */
export const REQUEST_BATCH_MS = 250;

/**
 * The ChatGPT plan's usage changed (src/gateway/chatgpt/usage.ts: the backend reported its windows, or answered
 * `usage_limit_reached`; all times epoch ms). Posted at once (not batched), so the host knows the limit before the
 * {@link RequestsMessage} of the request a fallback served because of it. Only sent while a config has
 * `chatgpt/<model>` deployments that were used; never carries a token.
 */
export interface PlanUsageMessage {
  type: 'planUsage';
  usage: PlanUsage;
}

/** Answer to {@link StopMessage}: the server is closed. */
export interface StoppedMessage {
  type: 'stopped';
}

/** An unexpected error in the worker (the host shows it and may restart the worker). */
export interface FatalMessage {
  type: 'fatal';
  message: string;
}

/**
 * Another VS Code window set (`value`) or cleared (no `value`) a provider key through this window's gateway
 * (`PUT` / `DELETE` {@link PEER_SECRET_PATH}`NAME`). The worker already uses it for the next request; the host
 * keeps it (in its SecretStorage and its secrets map) so that later {@link SecretsMessage}s carry it too.
 * The only message that carries a key value from the worker to the host; it is never logged.
 */
export interface PeerSecretMessage {
  type: 'peerSecret';
  name: string;
  value?: string;
}

/**
 * Path prefix of the gateway route through which a window that uses another window's gateway ("attached")
 * hands it a provider key it just set or cleared: `PUT {PEER_SECRET_PATH}NAME` with the JSON body
 * `{"value":"..."}`, or `DELETE {PEER_SECRET_PATH}NAME`. Behind the gateway's Host/Origin and token checks like
 * every route; answers 204 when applied. Only names used as `api_key` (and nowhere else) by the config in force
 * are taken. Served by the extension's worker only (`codex-gateway serve` answers 404).
 *
 * Why: SecretStorage is not always shared live between windows. In code-server (VS Code for the Web) each page
 * loads the secrets once and hears of no change made by another page; VS Code desktop without an OS keyring
 * keeps them in memory per window.
 */
export const PEER_SECRET_PATH = '/vscode/secrets/';

/** Largest request body the {@link PEER_SECRET_PATH} route reads, in bytes. */
export const PEER_SECRET_MAX_BODY_BYTES = 16 * 1024;

/** Every message the worker sends to the host. */
export type WorkerToHost =
  | PeerSecretMessage
  | ListeningMessage
  | ListenErrorMessage
  | ConfigErrorMessage
  | ReloadedMessage
  | LogMessage
  | RequestsMessage
  | PlanUsageMessage
  | StoppedMessage
  | FatalMessage;
