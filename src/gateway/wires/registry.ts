/**
 * Which adapters serve which wire: the doors (client side) and the upstream adapters (deployment side)
 * the proxy pairs. Adding a wire is adding an entry to each table (see wires/types.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayError, UpstreamError } from '../errors';
import type { UpstreamEvent } from '../upstream-answer';
import type { HubEvent, HubRequest } from '../hub/types';
import { newResponseId } from '../translate/ids';
import type { ResponseContext } from '../translate/output';
import { buildChatRequest } from './chat/upstream-request';
import { ChatDecoder, chatJsonToEvents } from './chat/upstream-answer';
import { ChatRelay, chatRelayBody } from './chat/relay';
import { ChatEncoder, foldChatCompletion, newChatCompletionId, parseChatRequest } from './chat/door';
import { buildResponsesRequest, ResponsesDecoder, responsesJsonToEvents } from './responses/upstream';
import { buildMessagesRequest, MessagesDecoder, messagesJsonToEvents } from './messages/upstream';
import { MESSAGES_DOOR, MESSAGES_PING_FRAME } from './messages/door';
import { anthropicError } from './messages/errors';
import { messagesRelayBody } from './messages/relay';
import { parseResponsesRequest } from './responses/door-request';
import { foldResponse, ResponsesDoorEncoder } from './responses/door-stream';
import { ResponsesRelay, responsesFirstEventsFailure, responsesRelayBody } from './responses/relay';
import type { BuildOptions, BuiltRequest, DoorEncoder, EncodeContext, UpstreamDecoder, Wire } from './types';

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

/** OpenAI's error shape (both OpenAI doors). */
function openaiError(err: GatewayError): { status: number; body: unknown } {
  return { status: err.status, body: err.toBody() };
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
  firstEventsFailure?(events: readonly UpstreamEvent[], key: string | undefined): UpstreamError | undefined;
  /** Builds the provider body. @throws GatewayError 400 for a parameter the upstream rejects with drop_params off. */
  build(hub: HubRequest, opts: BuildOptions): BuiltRequest;
  /** A decoder for one streamed answer. */
  decoder(): UpstreamDecoder;
  /** A whole (non-streamed) answer as events. */
  events(json: Record<string, unknown>): HubEvent[];
}

/** The Responses door's encoder context from the generic one. */
function responseContext(ctx: EncodeContext, hub: HubRequest | undefined): ResponseContext {
  return { responseId: ctx.id, alias: ctx.alias, createdAt: ctx.createdAt, tools: hub?.toolMap ?? ctx.tools, request: ctx.request as never };
}

/** Client-side wires by the route that serves them. */
export const DOORS: Readonly<Record<Wire, DoorAdapter>> = {
  responses: {
    wire: 'responses',
    parse: (body) => parseResponsesRequest(body as never),
    newId: newResponseId,
    encoder: (ctx) => new ResponsesDoorEncoder(responseContext(ctx, undefined)),
    fold: (events, ctx) => foldResponse(events, responseContext(ctx, undefined)),
    relay: (ctx) => new ResponsesRelay(() => responseContext(ctx(), undefined)),
    error: openaiError,
  },
  chat: {
    wire: 'chat',
    parse: parseChatRequest,
    newId: newChatCompletionId,
    encoder: (ctx) => new ChatEncoder(ctx),
    fold: foldChatCompletion,
    relay: () => new ChatRelay(),
    error: openaiError,
  },
  messages: {
    ...MESSAGES_DOOR,
    error: anthropicError,
    // Anthropic API reference, "Versions" / "Beta headers": relayed unchanged to an Anthropic deployment
    // (never allow-listed: Claude Code sends new beta values with each release).
    forwardHeaders: (h) => {
      const out: Record<string, string> = {};
      for (const name of ['anthropic-version', 'anthropic-beta']) {
        const v = h[name];
        if (typeof v === 'string' && v) out[name] = v;
        else if (Array.isArray(v) && v.length) out[name] = v.join(',');
      }
      return out;
    },
    // Claude Code's idle watchdog is 300 s; Anthropic itself sends `ping` events during long generations.
    keepAlive: { frame: MESSAGES_PING_FRAME, everyMs: 15_000 },
  },
};

/** Deployment-side wires and their adapters. */
export const UPSTREAMS: Readonly<Record<Wire, UpstreamAdapter>> = {
  chat: {
    wire: 'chat',
    relayBody: chatRelayBody,
    build: buildChatRequest,
    decoder: () => new ChatDecoder(),
    events: chatJsonToEvents,
  },
  responses: {
    wire: 'responses',
    relayBody: responsesRelayBody,
    firstEventsFailure: responsesFirstEventsFailure,
    build: buildResponsesRequest,
    decoder: () => new ResponsesDecoder(),
    events: responsesJsonToEvents,
  },
  messages: {
    wire: 'messages',
    relayBody: messagesRelayBody,
    build: buildMessagesRequest,
    decoder: () => new MessagesDecoder(),
    events: messagesJsonToEvents,
  },
};
