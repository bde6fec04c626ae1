/**
 * Responses tools -> Chat Completions `tools`, and the name map that turns upstream calls back into the
 * Responses items Codex expects.
 *
 * Chat Completions only knows flat `function` tools whose names match `^[a-zA-Z0-9_-]{1,64}$` (OpenAI
 * API reference, "Chat Completions: tools[].function.name"). Codex 0.169 sends more (see the captures in
 * test/unit/translate/golden/):
 * - `function` tools: passed as functions.
 * - `namespace` tools (`{type:"namespace", name, description, tools:[function|custom...]}`): each member is
 *   flattened to a function named `<namespace>__<name>`; a call comes back as a `function_call` (or
 *   `custom_tool_call`) with `name` and `namespace` set, which Codex routes (verified against the real CLI).
 * - `custom` tools (freeform, e.g. `apply_patch` with a lark grammar): a function with one string
 *   parameter `input`; the grammar goes into the description. A call comes back as `custom_tool_call`
 *   with the string unwrapped.
 * - `tool_search` with `execution:"client"`: a function `tool_search` with the tool's own parameters; a
 *   call comes back as a `tool_search_call` item and Codex answers with `tool_search_output`, whose tools
 *   are then added to the upstream tool list. Tools with `defer_loading: true` are held back until loaded
 *   that way (as the Responses API does) when the client tool_search tool is offered.
 * - Hosted tools (`web_search`, `image_generation`, `file_search`, `code_interpreter`, `computer_use*`,
 *   `mcp`, `local_shell`, server-side `tool_search`, ...) have no Chat equivalent and are dropped.
 */
import type {
  ChatTool,
  ResponsesCustomTool,
  ResponsesFunctionTool,
  ResponsesNamespaceTool,
  ResponsesTool,
  ResponsesToolSearchTool,
} from './types';
import { typeLabel, isObject } from './safe';

/** What an upstream function name stands for on the Responses side. */
export interface ToolTarget {
  /** `function` -> `function_call` item, `custom` -> `custom_tool_call`, `tool_search` -> `tool_search_call`. */
  kind: 'function' | 'custom' | 'tool_search';
  /** The tool's name as the client declared it (without namespace). */
  name: string;
  /** The namespace tool it belongs to, if any. */
  namespace?: string;
}

/**
 * Upstream (flattened) function name -> original tool, built per request by
 * {@link responsesToChatRequest} and needed again to translate the answer. Names the map does not know
 * are returned to the client as plain `function_call`s under the upstream name.
 */
export interface ToolNameMap {
  /** Flattened function name sent upstream -> the tool the client declared. */
  readonly byUpstream: ReadonlyMap<string, ToolTarget>;
}

/** A map with no tools (for answers to requests that declared none). */
export const EMPTY_TOOL_NAME_MAP: ToolNameMap = { byUpstream: new Map() };

const VALID_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME = 64;

/** The parameter schema of a custom tool's function form. */
const CUSTOM_TOOL_PARAMETERS: Record<string, unknown> = {
  type: 'object',
  properties: { input: { type: 'string', description: 'The raw input for the tool, exactly as the tool expects it.' } },
  required: ['input'],
  additionalProperties: false,
};

const EMPTY_PARAMETERS: Record<string, unknown> = { type: 'object', properties: {} };

/** 32-bit FNV-1a of a string's UTF-16 code units, as 8 hex digits (stable, short name and id suffixes). */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The upstream function name for a tool: `<namespace>__<name>` for namespace members, else the name;
 * characters outside `[a-zA-Z0-9_-]` become `_`; names over 64 characters are cut to 55 and get `_` plus
 * an 8-hex hash of the full name.
 */
export function flatToolName(name: string, namespace?: string): string {
  const raw = namespace ? `${namespace}__${name}` : name;
  if (VALID_NAME.test(raw)) return raw;
  let s = raw.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (s.length === 0) s = 'tool';
  if (s.length > MAX_NAME) s = `${s.slice(0, MAX_NAME - 9)}_${fnv1a(raw)}`;
  return s;
}

/**
 * Collects the upstream tool list and the name map for one request. Registration is idempotent per
 * (namespace, name); a flattened name already taken by another tool gets `_2`, `_3`, ... appended.
 */
export class ToolRegistry implements ToolNameMap {
  /** See {@link ToolNameMap.byUpstream}. */
  readonly byUpstream = new Map<string, ToolTarget>();
  /** Upstream tool definitions, in registration order. */
  readonly chatTools: ChatTool[] = [];
  /** Hosted/unsupported tool types that were left out (for `dropped`). */
  readonly droppedTypes: string[] = [];
  private readonly byOriginal = new Map<string, string>();
  private readonly offered = new Set<string>();
  /** Flattened base name -> the next `_n` suffix to try (every lower one is taken), so clashes stay O(1). */
  private readonly nextSuffix = new Map<string, number>();

  /**
   * The upstream name for (namespace, name), registering it (without offering it upstream) if new.
   * Used for calls found in the history.
   */
  upstreamName(kind: ToolTarget['kind'], name: string, namespace?: string): string {
    const key = `${namespace ?? ''}\u0000${name}`;
    const known = this.byOriginal.get(key);
    if (known !== undefined) return known;
    const base = flatToolName(name, namespace);
    let candidate = base;
    if (this.byUpstream.has(candidate)) {
      // Many names can flatten to one base ("a!", "a@", ... all become "a_"): resume where the last clash
      // stopped instead of rescanning `_2`, `_3`, ... (quadratic in a hostile request with 100k such names).
      let n = this.nextSuffix.get(base) ?? 2;
      for (;; n++) {
        const suffix = `_${n}`;
        candidate = base.length + suffix.length > MAX_NAME ? base.slice(0, MAX_NAME - suffix.length) + suffix : base + suffix;
        if (!this.byUpstream.has(candidate)) break;
      }
      this.nextSuffix.set(base, n + 1);
    }
    this.byOriginal.set(key, candidate);
    this.byUpstream.set(candidate, namespace ? { kind, name, namespace } : { kind, name });
    return candidate;
  }

  /**
   * Adds a Responses tool to the upstream list (flattening namespaces). `deferOk` says whether tools
   * with `defer_loading: true` are held back (true when a client-executed tool_search is offered).
   */
  add(tool: ResponsesTool, deferOk: boolean): void {
    switch (tool.type) {
      case 'function':
        this.addFunction(tool as ResponsesFunctionTool, undefined, undefined, deferOk);
        return;
      case 'custom':
        this.addCustom(tool as ResponsesCustomTool, undefined, undefined, deferOk);
        return;
      case 'namespace': {
        const ns = tool as ResponsesNamespaceTool;
        if (typeof ns.name !== 'string' || !ns.name) {
          this.droppedTypes.push('namespace');
          return;
        }
        if (!Array.isArray(ns.tools)) return;
        const label = namespaceLabel(ns);
        for (const member of ns.tools) {
          if (member?.type === 'function') this.addFunction(member, ns.name, label, deferOk);
          else if (member?.type === 'custom') this.addCustom(member, ns.name, label, deferOk);
          else this.droppedTypes.push(typeLabel((member as { type?: unknown } | null)?.type));
        }
        return;
      }
      case 'tool_search': {
        const ts = tool as ResponsesToolSearchTool;
        if (ts.execution !== 'client') {
          this.droppedTypes.push('tool_search');
          return;
        }
        const up = this.upstreamName('tool_search', 'tool_search');
        if (this.offered.has(up)) return;
        this.offered.add(up);
        this.chatTools.push({
          type: 'function',
          function: withDescription(up, textOrUndefined(ts.description), isObject(ts.parameters) ? ts.parameters : EMPTY_PARAMETERS),
        });
        return;
      }
      default:
        this.droppedTypes.push(typeLabel(tool.type));
    }
  }

  private addFunction(t: ResponsesFunctionTool, namespace: string | undefined, label: string | undefined, deferOk: boolean): void {
    if (typeof t.name !== 'string' || !t.name) return;
    if (t.defer_loading === true && deferOk) return;
    const up = this.upstreamName('function', t.name, namespace);
    if (this.offered.has(up)) return;
    this.offered.add(up);
    const fn = withDescription(up, prefixed(label, textOrUndefined(t.description)), isObject(t.parameters) ? t.parameters : EMPTY_PARAMETERS);
    if (t.strict === true) fn.strict = true;
    this.chatTools.push({ type: 'function', function: fn });
  }

  private addCustom(t: ResponsesCustomTool, namespace: string | undefined, label: string | undefined, deferOk: boolean): void {
    if (typeof t.name !== 'string' || !t.name) return;
    if (t.defer_loading === true && deferOk) return;
    const up = this.upstreamName('custom', t.name, namespace);
    if (this.offered.has(up)) return;
    this.offered.add(up);
    this.chatTools.push({ type: 'function', function: withDescription(up, prefixed(label, customDescription(t)), CUSTOM_TOOL_PARAMETERS) });
  }
}

/** A description as sent upstream: strings only (a client's non-string description is left out). */
function textOrUndefined(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function withDescription(name: string, description: string | null | undefined, parameters: Record<string, unknown>): ChatTool['function'] {
  return description ? { name, description, parameters } : { name, parameters };
}

/** `[ns: description]` (or `[ns]` when the namespace description is missing or longer than 200 chars). */
function namespaceLabel(ns: ResponsesNamespaceTool): string {
  const d = typeof ns.description === 'string' ? ns.description.trim() : '';
  return d && d.length <= 200 ? `[${ns.name}: ${d}]` : `[${ns.name}]`;
}

function prefixed(label: string | undefined, description: string | null | undefined): string | undefined {
  if (!label) return description ?? undefined;
  return description ? `${label} ${description}` : label;
}

/**
 * The description of a custom tool's function form: the tool's own description, how to pass the raw
 * input, and the grammar (lark or regex definition) when the tool has one.
 */
export function customDescription(t: ResponsesCustomTool): string {
  const parts: string[] = [];
  if (typeof t.description === 'string' && t.description) parts.push(t.description);
  parts.push(
    'Pass the complete raw tool input as the string argument `input` (the tool receives that string verbatim, so do not wrap or escape its content beyond normal JSON string escaping).',
  );
  const f = t.format as { type?: unknown; syntax?: unknown; definition?: unknown } | null | undefined;
  if (f && f.type === 'grammar' && typeof f.definition === 'string' && f.definition) {
    const syntax = typeof f.syntax === 'string' && f.syntax ? `${f.syntax} ` : '';
    parts.push(`The \`input\` string must match this ${syntax}grammar:\n${f.definition}`);
  }
  return parts.join('\n\n');
}
