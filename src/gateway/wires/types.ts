/**
 * The two adapters each wire provides around the hub (see hub/types.ts):
 * - a **door** (the client's side): parses a client request into a {@link HubRequest}, and encodes hub
 *   events into that wire's answer, streamed ({@link DoorEncoder}) or folded into one JSON body;
 * - an **upstream adapter** (the deployment's side): builds the provider request body from a HubRequest,
 *   and decodes the provider's answer, streamed ({@link UpstreamDecoder}) or whole, into hub events.
 * The proxy pairs any door with any upstream wire through these; when both sides speak the same wire the
 * bytes are relayed instead (no parse, no re-encode).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayError, UpstreamError } from '../errors';
import type { Secrets, UpstreamEvent } from '../upstream-answer';
import type { HubEvent, HubRequest } from '../hub/types';
import type { ToolNameMap } from '../translate/tools';

/** The wires the gateway speaks (Codex's `wire_api` names, plus `messages` for Anthropic). */
export type Wire = 'responses' | 'chat' | 'messages';

/** What a door's encoder needs besides the events. */
export interface EncodeContext {
  /** Response id (`resp_…`, `chatcmpl-…`, `msg_…` as the wire names them). */
  id: string;
  /** The alias the client asked for; reported as the answer's `model`. */
  alias: string;
  /** Creation time, unix seconds. */
  createdAt: number;
  /** Flat tool name -> the client's tool (from the HubRequest). */
  tools: ToolNameMap;
  /** The client's parsed request body (answers echo some of its settings). */
  request: Record<string, unknown>;
}

/**
 * Encodes hub events into one streamed answer of a door's wire, as SSE text. Each method returns the text
 * to write (possibly ''). After `end` or `fail` every method returns ''.
 */
export interface DoorEncoder {
  /** Events sent before any upstream content (e.g. `response.created`); '' when the wire has none. */
  start(): string;
  /** One hub event. */
  push(ev: HubEvent): string;
  /** The normal end (after the upstream's `finish`): terminal events, `[DONE]`, ... */
  end(): string;
  /**
   * Ends the answer with the wire's terminal error (Responses `response.failed`, a Chat `error` frame,
   * an Anthropic `error` event); `message` is user-facing and already scrubbed.
   */
  fail(err: UpstreamError | undefined, message: string): string;
  /** Usage seen so far (tokens), for the log line. */
  readonly usage: { input?: number; output?: number };
}

/**
 * Decodes a provider's streamed answer (parsed SSE events) into hub events. Completeness and error events
 * are judged by the SSE reader (upstream-answer.ts) before `push` sees them.
 */
export interface UpstreamDecoder {
  /** One parsed event: its JSON data and its SSE `event:` name, if any. */
  push(json: Record<string, unknown>, event: string | undefined): HubEvent[];
}

/** Options every upstream builder gets from the deployment (one body policy for every door). */
export interface BuildOptions {
  /** Upstream model name (provider prefix removed). */
  model: string;
  /** Provider id (`openai`, `anthropic`, `deepseek`, ...). */
  provider: string;
  /** `litellm_settings.drop_params`. */
  dropParams: boolean;
  /** Param names this deployment rejects (provider table + `additional_drop_params`). */
  dropParamNames: ReadonlySet<string>;
  /** Deployment default for max output tokens when the client sends none (`litellm_params.max_tokens` / `model_info`). */
  maxTokens?: number;
  /** Deployment `litellm_params` sent as body defaults; client values win. */
  extraBody?: Record<string, unknown>;
  /** Whether the upstream call streams. */
  stream: boolean;
}

/**
 * `litellm_params` keys that configure an upstream builder rather than being body fields: the Messages
 * builder reads `cache_control_injection_points` (LiteLLM's name); every other builder and the relay
 * leave them out of the body.
 */
export const BUILDER_PARAMS: ReadonlySet<string> = new Set(['cache_control_injection_points']);

/** A built upstream request body and what the builder left out (for the debug log). */
export interface BuiltRequest {
  body: Record<string, unknown>;
  dropped: string[];
}

/** Re-exported for adapters. */
export type { HubEvent, HubRequest };

/**
 * Watches a same-wire stream relayed byte for byte: reads what the log needs, and writes the door's
 * terminal error after a broken stream.
 */
export interface RelayObserver {
  /** One parsed upstream event (JSON data and SSE `event:` name). */
  see(json: Record<string, unknown>, event: string | undefined): void;
  /** Usage seen so far (tokens). */
  readonly usage: { input?: number; output?: number };
  /** The door's terminal error event for a broken relayed stream (a fresh SSE frame). */
  fail(err: UpstreamError | undefined, message: string): string;
}

/** A client-side wire. */
export interface DoorAdapter {
  /** The door's own wire (a deployment on it is relayed, not translated). */
  readonly wire: Wire;
  /** Parses a checked client body into the hub. @throws GatewayError 400 on unmappable input. */
  parse(body: Record<string, unknown>): HubRequest;
  /** A fresh answer id in the wire's format. */
  newId(): string;
  /** The streamed answer's encoder. */
  encoder(ctx: EncodeContext): DoorEncoder;
  /** The non-streamed answer: the events folded into one JSON body. */
  fold(events: HubEvent[], ctx: EncodeContext): unknown;
  /**
   * The observer of a relayed same-wire answer. `ctx` is called only when the observer needs it (a
   * closing error with no upstream response object to continue), so the relay's hot path makes no id.
   */
  relay(ctx: () => EncodeContext): RelayObserver;
  /** An error before the first byte, in the door's shape (status may differ from the gateway's). */
  error(err: GatewayError): { status: number; body: unknown };
  /** Client headers relayed unchanged to a deployment on the door's own wire (e.g. `anthropic-beta`). */
  forwardHeaders?(headers: IncomingHttpHeaders): Record<string, string>;
  /** A keep-alive frame written during long upstream silences of a stream (Anthropic's `ping`), if any. */
  readonly keepAlive?: { frame: string; everyMs: number };
}

/** A deployment-side wire. */
export interface UpstreamAdapter {
  readonly wire: Wire;
  /**
   * The body for a client on this same wire (relayed): `up` is the client's body over the deployment's
   * defaults with the upstream model set. @throws GatewayError 400 for a param the upstream rejects.
   */
  relayBody(up: Record<string, unknown>, opts: BuildOptions & { alias: string; providerName: string }): Record<string, unknown>;
  /** A failure hidden in the first events of a streamed answer that is translated (not relayed), if any. */
  firstEventsFailure?(events: readonly UpstreamEvent[], key: Secrets): UpstreamError | undefined;
  /** Builds the provider body. @throws GatewayError 400 for a parameter the upstream rejects with drop_params off. */
  build(hub: HubRequest, opts: BuildOptions): BuiltRequest;
  /** A decoder for one streamed answer. */
  decoder(): UpstreamDecoder;
  /** A whole (non-streamed) answer as events. */
  events(json: Record<string, unknown>): HubEvent[];
}
