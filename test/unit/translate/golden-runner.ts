/**
 * Runs one golden case file through the real translator and returns what it produced, in the same
 * JSON shape as the file's `expected`. Shared by golden.test.ts (compare) and the `UPDATE_GOLDEN=1` mode
 * used when a case is added (the produced output is then reviewed by hand before committing).
 *
 * Case file shape: `{ "description", "kind": "request" | "response" | "stream", "input", "options", "expected" }`.
 * - request: input = Responses request, options = ChatTranslateOptions with `dropParamNames` as an array;
 *   expected = `{ body, tools: {upstreamName: target}, dropped }` or `{ error: {status, type, code, param, message} }`.
 * - response: input = Chat Completion; options = `{ responseId, alias, createdAt, tools, request }`;
 *   expected = Responses `response` object.
 * - stream: input = `{ chunks: ChatCompletionChunk[], finish: "end" | {code, message} }`; options as for
 *   response; expected = every event from start() through end()/fail(), in order.
 * Ids come from sequentialIds(), so output ids are `msg_1`, `fc_1`, ...
 */
import { GatewayError } from '../../../src/gateway/errors';
import {
  ChatToResponsesStream,
  chatToResponsesResponse,
  responsesToChatRequest,
  sequentialIds,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ResponseContext,
  type ResponsesRequest,
  type ResponsesStreamEvent,
  type ToolNameMap,
  type ToolTarget,
} from '../../../src/gateway/translate';

export interface GoldenCase {
  description: string;
  kind: 'request' | 'response' | 'stream';
  input: unknown;
  options: Record<string, unknown>;
  expected?: unknown;
}

function contextOf(options: Record<string, unknown>): ResponseContext {
  const tools: ToolNameMap = { byUpstream: new Map(Object.entries((options.tools ?? {}) as Record<string, ToolTarget>)) };
  return {
    responseId: String(options.responseId ?? 'resp_test'),
    alias: String(options.alias ?? 'alias'),
    createdAt: Number(options.createdAt ?? 1700000000),
    tools,
    request: (options.request ?? { model: String(options.alias ?? 'alias') }) as ResponsesRequest,
    ids: sequentialIds(),
  };
}

/** JSON round trip, so `undefined` fields vanish exactly as they would on the wire. */
export function wire<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Produces the output for a case (errors from request translation become `{error: ...}`). */
export function runCase(c: GoldenCase): unknown {
  switch (c.kind) {
    case 'request': {
      const o = c.options as Record<string, unknown>;
      try {
        const plan = responsesToChatRequest(c.input as ResponsesRequest, {
          model: String(o.model),
          provider: String(o.provider),
          dropParams: Boolean(o.dropParams),
          dropParamNames: new Set((o.dropParamNames ?? []) as string[]),
          maxTokens: o.maxTokens as number | undefined,
          extraBody: o.extraBody as Record<string, unknown> | undefined,
          stream: Boolean(o.stream),
        });
        return wire({ body: plan.body, tools: Object.fromEntries(plan.tools.byUpstream), dropped: plan.dropped });
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        return { error: { status: e.status, type: e.type, code: e.code, param: e.param, message: e.message } };
      }
    }
    case 'response':
      return wire(chatToResponsesResponse(c.input as ChatCompletion, contextOf(c.options)));
    case 'stream': {
      const input = c.input as { chunks: ChatCompletionChunk[]; finish: 'end' | { code: string; message: string } };
      const tr = new ChatToResponsesStream(contextOf(c.options));
      const events: ResponsesStreamEvent[] = [...tr.start()];
      for (const ch of input.chunks) events.push(...tr.push(ch));
      events.push(...(input.finish === 'end' ? tr.end() : tr.fail(input.finish.code, input.finish.message)));
      return wire(events);
    }
  }
}
