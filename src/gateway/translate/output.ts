/**
 * Chat Completion -> Responses output, shared by the non-streamed ({@link chatToResponsesResponse}) and
 * streamed ({@link ChatToResponsesStream}) paths: the response context, the echoing base response, and
 * turning an upstream tool call back into the item Codex expects.
 */
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../request-check';
import { randomIds, type IdGenerator } from './ids';
import { jsonText } from './safe';
import type { ToolNameMap, ToolTarget } from './tools';
import type {
  ChatCompletion,
  ResponsesOutputItem,
  ResponsesFunctionTool,
  ResponsesRequest,
  ResponsesResponse,
  ResponsesTool,
} from './types';

/** Everything the answer's translation needs besides the upstream answer itself. */
export interface ResponseContext {
  /** `resp_…` id of this response (see {@link newResponseId}). */
  responseId: string;
  /** The public alias the client asked for; reported as `model`. */
  alias: string;
  /** Creation time, unix seconds. */
  createdAt: number;
  /** The name map from {@link responsesToChatRequest}'s plan. */
  tools: ToolNameMap;
  /** The client's request (echoes `tool_choice`, `parallel_tool_calls`, `temperature`, ...). */
  request: ResponsesRequest;
  /** Item id generator; random by default. Tests inject {@link sequentialIds} for stable output. */
  ids?: IdGenerator;
}

/**
 * The response object as the Responses API defines it (OpenAPI `Response`): {@link ResponsesResponse} plus
 * the request settings every response echoes (required there, `null` when the request set none).
 */
export type EchoingResponse = ResponsesResponse & {
  instructions: string | unknown[] | null;
  tools: ResponsesTool[];
  metadata: Record<string, string> | null;
  temperature: number | null;
  top_p: number | null;
};

/**
 * A `response` object with no output yet, echoing the request's settings as the Responses API does:
 * `instructions`, `tools`, `tool_choice`, `parallel_tool_calls`, `metadata`, `temperature`, `top_p` (all
 * required in OpenAI's `Response` schema; `null` where the request set none and the schema allows it) and
 * `max_output_tokens` when set. `model` stays the client's alias.
 */
export function baseResponse(ctx: ResponseContext, status: ResponsesResponse['status']): EchoingResponse {
  const req = ctx.request ?? ({} as ResponsesRequest);
  const r: EchoingResponse = {
    id: ctx.responseId,
    object: 'response',
    created_at: ctx.createdAt,
    status,
    error: null,
    incomplete_details: null,
    instructions: typeof req.instructions === 'string' || Array.isArray(req.instructions) ? req.instructions : null,
    model: ctx.alias,
    output: [],
    parallel_tool_calls: typeof req.parallel_tool_calls === 'boolean' ? req.parallel_tool_calls : true,
    tool_choice: req.tool_choice ?? 'auto',
    tools: echoTools(req.tools),
    metadata: echoMetadata(req.metadata),
    temperature: finite(req.temperature) ? req.temperature : null,
    top_p: finite(req.top_p) ? req.top_p : null,
  };
  if (typeof req.max_output_tokens === 'number') r.max_output_tokens = req.max_output_tokens;
  return r;
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The request's tools as a response lists them: function tools get `parameters` and `strict` (`null` when
 * the request left them out; both are required in the `FunctionTool` schema), other tools are echoed as sent.
 */
function echoTools(tools: unknown): ResponsesTool[] {
  if (!Array.isArray(tools)) return [];
  const out: ResponsesTool[] = [];
  for (const t of tools) {
    if (!t || typeof t !== 'object' || Array.isArray(t)) continue;
    const tool = t as ResponsesTool;
    out.push(tool.type === 'function' ? { ...tool, parameters: (tool as ResponsesFunctionTool).parameters ?? null, strict: (tool as ResponsesFunctionTool).strict ?? null } : tool);
  }
  return out;
}

/** The request's `metadata` (string values only, as the API defines it), or null. */
function echoMetadata(m: unknown): Record<string, string> | null {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return null;
  return Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The generator of a context (random ids unless one was injected). */
export function idsOf(ctx: ResponseContext): IdGenerator {
  return ctx.ids ?? randomIds;
}

/** What an upstream function name stands for; unknown names are plain functions under that name. */
export function targetOf(tools: ToolNameMap | undefined, upstreamName: string): ToolTarget {
  return tools?.byUpstream.get(upstreamName) ?? { kind: 'function', name: upstreamName };
}

/**
 * The raw input of a custom tool call from its function-form arguments (`{"input": "..."}`). Lenient for
 * models that stray: a JSON object with exactly one string property gives that string, a JSON string gives
 * itself, and arguments that are not JSON at all are taken verbatim (a model writing the patch directly).
 * `streamed` is the text a streaming decoder already recovered, used when the JSON is cut short.
 */
export function customInputOf(args: string, streamed?: string): string {
  let v: unknown;
  try {
    v = JSON.parse(args);
  } catch {
    return streamed !== undefined ? streamed : args;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.input === 'string') return o.input;
    const strings = Object.values(o).filter((x): x is string => typeof x === 'string');
    if (strings.length === 1 && Object.keys(o).length === 1) return strings[0];
  }
  return args;
}

/**
 * The `arguments` object of a tool_search call from its JSON text (`{}` when empty, not an object, or nested
 * more than MAX_JSON_DEPTH levels: the object goes into events that must stay serialisable).
 */
export function toolSearchArgumentsOf(args: string): unknown {
  try {
    const v = JSON.parse(args);
    return typeof v === 'object' && v !== null && !jsonDepthExceeds(v, MAX_JSON_DEPTH) ? v : {};
  } catch {
    return args.trim() ? { query: args } : {};
  }
}

/**
 * Function arguments as Codex needs them: a JSON text; empty becomes `{}`, an object is serialised (`{}` when
 * it cannot be: nested deeper than MAX_JSON_DEPTH levels).
 */
export function functionArgumentsOf(args: unknown): string {
  if (typeof args === 'string') return args.trim() ? args : '{}';
  if (args === undefined || args === null) return '{}';
  return jsonText(args) ?? '{}';
}

/** Builds the output item for one completed upstream tool call. */
export function toolCallItem(ids: IdGenerator, target: ToolTarget, callId: string, args: string, streamed?: string): ResponsesOutputItem {
  switch (target.kind) {
    case 'custom': {
      const item: ResponsesOutputItem = { type: 'custom_tool_call', id: ids('ctc'), call_id: callId, name: target.name, input: customInputOf(args, streamed), status: 'completed' };
      if (target.namespace) item.namespace = target.namespace;
      return item;
    }
    case 'tool_search':
      return { type: 'tool_search_call', id: ids('tsc'), call_id: callId, execution: 'client', arguments: toolSearchArgumentsOf(args), status: 'completed' };
    default: {
      const item: ResponsesOutputItem = { type: 'function_call', id: ids('fc'), call_id: callId, name: target.name, arguments: functionArgumentsOf(args), status: 'completed' };
      if (target.namespace) item.namespace = target.namespace;
      return item;
    }
  }
}

/** Types re-exported for the module's users. */
export type { ChatCompletion };
