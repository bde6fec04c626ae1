/**
 * Which adapters serve which wire: the doors (client side) and the upstream adapters (deployment side)
 * the proxy pairs. Adding a wire is adding an entry to each table (see wires/types.ts).
 */
import type { GatewayError } from '../errors';
import type { HubRequest } from '../hub/types';
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
import type { DoorAdapter, EncodeContext, UpstreamAdapter, Wire } from './types';

export type { DoorAdapter, RelayObserver, UpstreamAdapter } from './types';

/** OpenAI's error shape (both OpenAI doors). */
function openaiError(err: GatewayError): { status: number; body: unknown } {
  return { status: err.status, body: err.toBody() };
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
