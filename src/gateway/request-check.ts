/**
 * Checks of client request bodies before routing: a nesting-depth limit over the whole body, then the JSON
 * types (and ranges) of every field the gateway reads, translates, or forwards with a known meaning.
 *
 * Why: a wrong type used to travel until some code tripped over it (a 500 with a stack in the log, which also
 * told clients to retry a request that can never succeed), or was silently ignored (`stream: "yes"` meant "no
 * stream"; `max_output_tokens: 1e309` parses as Infinity and reached the upstream as `null`). JSON nested
 * deeper than `JSON.stringify`'s recursion limit (about 10,000 levels on Node 20, while `JSON.parse` has no
 * limit) made the upstream call throw. Such a request now gets 400 in the OpenAI error shape
 * (`invalid_request_error`, `param` = the field path, e.g. `input[3].content[0].text`), whose message names
 * the field, what it is, and what to send instead.
 *
 * Rules. Types follow the OpenAI API reference and the `openai` SDK's `ResponseCreateParams` /
 * `ChatCompletionCreateParams` (6.x); numeric ranges are the reference's (temperature 0..2, top_p 0..1,
 * penalties -2..2, top_logprobs 0..20, logit_bias -100..100); token limits must be positive integers.
 * - `model`: required, a non-empty string of at most {@link MAX_MODEL_LENGTH} characters without control
 *   characters (it names an alias, is echoed in errors and written to the log).
 * - Booleans are JSON booleans, numbers are finite (JSON such as `1e309` parses as Infinity), strings are
 *   strings. `null` is accepted wherever the API documents a field as nullable or the gateway treats it as
 *   "not set"; an absent field is never an error unless it is required.
 * - `type` fields (items, content parts, tools, formats, tool_choice) are strings of 1 to
 *   {@link MAX_TYPE_LENGTH} characters without control characters (unknown types are fine: they are
 *   forwarded, or dropped and listed in the debug log for a Chat upstream).
 * - `/v1/responses`: `input` is a string or an array of items; items are checked as the Responses-to-Chat
 *   translator reads them (message roles user/assistant/system/developer, content a string or parts, call
 *   ids and names non-empty strings, `arguments`/`input` strings, tool outputs a string, parts or the older
 *   `{content}` object). `tools` (also the tools of a `tool_search_output` item) as the translator reads them
 *   (names non-empty strings, `parameters` an object). `tool_choice` is auto/none/required or an object.
 * - `/v1/chat/completions`: `messages` (required) is an array of objects with a string `role`; `content` a
 *   string, null or an array of parts; `tool_calls` entries with string ids, names and arguments. The route
 *   is a pass-through, so roles and `tool_choice` strings are not limited to OpenAI's values (Mistral, for
 *   one, accepts `tool_choice: "any"`).
 * - Depth: no JSON array or object nested deeper than {@link MAX_JSON_DEPTH} levels (the body itself is
 *   level 1), in any field, known or not.
 * Unknown fields are allowed and forwarded unchanged (only the depth limit applies to them).
 *
 * Cost (Node 20, esbuild bundle, 2-core VM, medians of 1000 runs): a 1 MB body made of a real Codex capture's
 * items repeated (4,800 items, 34k JSON values) takes 0.16 ms (0.08 ms depth walk, 0.08 ms types), next to
 * 2.1 ms for its `JSON.parse`; a 1 MB body of 262 items with long tool outputs takes 0.01 ms. The checks are
 * hand-written because the equivalent zod 4 schema (`z.looseObject`, unions per item type) took 7.4 ms and
 * 0.30 ms on the same two bodies (and builds a copy of the body). Paths are only rendered when a check fails.
 */
import { GatewayError } from './errors';

/** The proxy routes whose bodies are checked. */
export type CheckedRoute = '/v1/responses' | '/v1/chat/completions' | '/v1/messages';

/**
 * Deepest nesting of JSON arrays/objects accepted in a request body; the body object itself is level 1.
 * Real Codex 0.169 bodies reach 12. The deepest legitimate spot is a tool's JSON schema inside a namespace
 * tool loaded by a `tool_search_output` item (8 levels down), where each nested schema object costs 2 levels
 * (`properties` + the property): 128 leaves room for schemas about 60 objects deep, far beyond OpenAI's
 * structured-output limit of 10. `JSON.stringify` handles thousands of levels, so anything accepted here can
 * be forwarded.
 */
export const MAX_JSON_DEPTH = 128;

/** Longest `model` accepted, in UTF-16 code units; alias names are short, and the name is logged. */
export const MAX_MODEL_LENGTH = 256;

/** Longest `type` value accepted (item, content part, tool, format types), in UTF-16 code units. */
export const MAX_TYPE_LENGTH = 128;

/** C0 and C1 control characters, DEL, and the Unicode line/paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

type Obj = Record<string, unknown>;

/** Where a value sits in the body, as a linked list from the leaf up (rendered only for an error). */
interface Path {
  readonly up: Path | undefined;
  readonly key: string | number;
}

/** Checks one value found at `key` under `up`; throws GatewayError 400 when it does not fit. */
type Check = (v: unknown, up: Path | undefined, key: string | number) => void;

/** Checks of the known fields of one object: [field name, check, required]. */
type Fields = ReadonlyArray<readonly [string, Check, boolean?]>;

/**
 * Checks one parsed request body for the route: the depth limit first (so no check below can recurse
 * deeply), then the types of the route's known fields. See the module notes for the rules and their sources.
 * @param route the proxy route (`/v1/responses` also serves `/responses`; likewise for chat).
 * @param body the parsed JSON body (an object; `readJsonBody` refuses anything else).
 * @throws GatewayError 400 (`invalid_request_error`; `param` = the field path; `code` one of
 *   `missing_required_parameter`, `missing_model`, `invalid_type`, `invalid_value`, `nesting_too_deep`) naming
 *   the field and what to send.
 */
export function checkRequestBody(route: CheckedRoute, body: Record<string, unknown>): void {
  if (!isObj(body)) throw new GatewayError(400, 'The request body must be a JSON object.', 'invalid_request_error', 'invalid_json');
  checkDepth(body);
  checkModel(body.model);
  if (route === '/v1/responses') checkFields(body, RESPONSES_FIELDS, undefined);
  else if (route === '/v1/chat/completions') checkFields(body, CHAT_FIELDS, undefined);
  else if (route === '/v1/messages') checkFields(body, MESSAGES_FIELDS, undefined);
}

/**
 * True when `v` nests arrays/objects deeper than `maxDepth` levels (a scalar is depth 0, `[]` and `{}` are 1).
 * It stops descending at `maxDepth`, so its recursion depth is at most `maxDepth` + 1 whatever the input (a
 * million nested arrays included): keep `maxDepth` in the hundreds, as MAX_JSON_DEPTH is. The cost is linear
 * in the number of arrays and objects visited.
 * @param v any JSON value (e.g. from JSON.parse).
 * @param maxDepth the deepest nesting allowed, >= 0.
 */
export function jsonDepthExceeds(v: unknown, maxDepth: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  return maxDepth < 1 || tooDeep(v, maxDepth - 1);
}

/* ------------------------------------------------------------------------------------------------
 * Depth
 * ---------------------------------------------------------------------------------------------- */

/** True when a container below `v` is more than `below` levels under it. Recursion depth <= `below` + 1. */
function tooDeep(v: object, below: number): boolean {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null && (below === 0 || tooDeep(x, below - 1))) return true;
    }
    return false;
  }
  for (const k in v) {
    const x = (v as Obj)[k];
    if (typeof x === 'object' && x !== null && (below === 0 || tooDeep(x, below - 1))) return true;
  }
  return false;
}

/** The keys leading to the first container nested more than `below` levels under `v` (slow path, errors only). */
function deepKeys(v: object, below: number): Array<string | number> | undefined {
  const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.keys(v).map((k) => [k, (v as Obj)[k]]);
  for (const [k, x] of entries) {
    if (typeof x !== 'object' || x === null) continue;
    if (below === 0) return [k];
    const rest = deepKeys(x, below - 1);
    if (rest) return [k, ...rest];
  }
  return undefined;
}

function checkDepth(body: Obj): void {
  if (!tooDeep(body, MAX_JSON_DEPTH - 1)) return;
  const keys = deepKeys(body, MAX_JSON_DEPTH - 1) ?? [];
  const shown = renderKeys(keys.slice(0, 8)) + (keys.length > 8 ? '…' : '');
  throw new GatewayError(
    400,
    `The request nests JSON arrays/objects more than ${MAX_JSON_DEPTH} levels deep (under '${shown}'). Codex Gateway accepts at most ${MAX_JSON_DEPTH} levels; flatten that value (tool schemas rarely need more than 10 levels) and send the request again.`,
    'invalid_request_error',
    'nesting_too_deep',
    keys.length ? renderKeys(keys.slice(0, 1)) : null,
  );
}

/* ------------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------------- */

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `input[3].content[0].text`; keys that are not identifiers are quoted (`metadata["a b"]`), long ones cut. */
function renderKeys(keys: ReadonlyArray<string | number>): string {
  let s = '';
  for (const k of keys) {
    if (typeof k === 'number') s += `[${k}]`;
    else if (IDENT.test(k) && k.length <= 64) s += s ? `.${k}` : k;
    else s += `[${JSON.stringify(k.length > 64 ? `${k.slice(0, 64)}…` : k)}]`;
  }
  return s;
}

function pathOf(up: Path | undefined, key: string | number): string {
  const keys: Array<string | number> = [key];
  for (let p = up; p; p = p.up) keys.push(p.key);
  return renderKeys(keys.reverse());
}

/** A short, safe description of a value for an error message (never the whole of a long string). */
function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return `the boolean ${v}`;
    case 'number':
      return Number.isFinite(v) ? `the number ${v}` : Number.isNaN(v) ? 'NaN' : 'a number too large to represent (it parses as Infinity)';
    case 'string':
      return v.length <= 40 ? `the string ${JSON.stringify(v)}` : `a string of ${v.length} characters`;
    default:
      return Array.isArray(v) ? `an array of ${(v as unknown[]).length} elements` : 'an object';
  }
}

/**
 * Throws the 400 for a field: "'<path>' must be <expected>, but it is <what it is>. Correct '<path>' and
 * send the request again." (or "'<path>' is required and missing. Send <expected> in '<path>' ...").
 * @param code `invalid_type` (wrong JSON type), `invalid_value` (right type, out of range or not allowed);
 *   a missing value (`v === undefined`) always gets `missing_required_parameter`.
 */
function invalid(up: Path | undefined, key: string | number, expected: string, v: unknown, code = 'invalid_type'): never {
  const path = pathOf(up, key);
  const message =
    v === undefined
      ? `Invalid request: '${path}' is required and missing. Send ${expected} in '${path}' and send the request again.`
      : `Invalid request: '${path}' must be ${expected}, but it is ${describe(v)}. Correct '${path}' and send the request again.`;
  throw new GatewayError(400, message, 'invalid_request_error', v === undefined ? 'missing_required_parameter' : code, path);
}

/* ------------------------------------------------------------------------------------------------
 * Building blocks
 * ---------------------------------------------------------------------------------------------- */

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkFields(o: Obj, fields: Fields, at: Path | undefined): void {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const v = o[f[0]];
    if (v !== undefined) f[1](v, at, f[0]);
    else if (f[2]) invalid(at, f[0], expectedOf(f[1]), undefined);
  }
}

/** What each check expects, for "is required" messages. */
const EXPECTED = new WeakMap<Check, string>();
function expectedOf(c: Check): string {
  return EXPECTED.get(c) ?? 'a value';
}
function named(expected: string, c: Check): Check {
  EXPECTED.set(c, expected);
  return c;
}

const bool: Check = named('a boolean (true or false)', (v, up, key) => {
  if (typeof v !== 'boolean' && v !== null) invalid(up, key, 'a boolean (true or false)', v);
});

/** A string (or null). */
const str: Check = named('a string', (v, up, key) => {
  if (typeof v !== 'string' && v !== null) invalid(up, key, 'a string', v);
});

/** A non-empty string. */
function nonEmpty(): Check {
  const expected = 'a non-empty string';
  return named(expected, (v, up, key) => {
    if (typeof v !== 'string') invalid(up, key, expected, v);
    if (v === '') invalid(up, key, expected, v, 'invalid_value');
  });
}
const requiredName = nonEmpty();

/** Type names seen in every Codex request, accepted without a closer look (the hot path). */
const COMMON_TYPES = new Set(['message', 'input_text', 'output_text', 'function_call', 'function_call_output', 'custom_tool_call', 'custom_tool_call_output', 'reasoning', 'summary_text', 'input_image', 'function', 'custom', 'namespace', 'tool_search', 'tool_search_call', 'tool_search_output', 'web_search', 'text', 'json_schema', 'json_object', 'grammar']);

/** A `type` value: 1..MAX_TYPE_LENGTH characters, no control characters. */
const typeName: Check = named('a type name (a string such as "message")', (v, up, key) => {
  if (typeof v !== 'string') invalid(up, key, 'a type name (a string such as "message")', v);
  if (COMMON_TYPES.has(v)) return;
  if (v === '' || v.length > MAX_TYPE_LENGTH || CONTROL.test(v)) {
    invalid(up, key, `a type name of 1 to ${MAX_TYPE_LENGTH} characters without control characters`, v, 'invalid_value');
  }
});

/** A finite number in [min, max] (or null). */
function numIn(min: number, max: number): Check {
  const expected = `a number from ${min} to ${max}`;
  return named(expected, (v, up, key) => {
    if (v === null) return;
    if (typeof v !== 'number') invalid(up, key, expected, v);
    if (!(v >= min && v <= max)) invalid(up, key, expected, v, 'invalid_value');
  });
}

/** An integer in [min, max] (or null); `max` defaults to Number.MAX_SAFE_INTEGER. */
function intIn(min: number, max = Number.MAX_SAFE_INTEGER, label?: string): Check {
  const expected = label ?? (max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`);
  return named(expected, (v, up, key) => {
    if (v === null) return;
    if (typeof v !== 'number') invalid(up, key, expected, v);
    if (!Number.isInteger(v) || v < min || v > max) invalid(up, key, expected, v, 'invalid_value');
  });
}
/** Token limits (`max_output_tokens`, `max_tokens`, `max_completion_tokens`) and counts such as `n`. */
const positiveInt = intIn(1, Number.MAX_SAFE_INTEGER, 'a positive integer');
/** `seed`: any integer (the API takes 64-bit integers; JSON numbers are exact up to 2^53). */
const anyInt = intIn(-Number.MAX_VALUE, Number.MAX_VALUE, 'an integer');

/** An object (or null) whose listed fields are checked. */
function obj(fields: Fields, expected = 'an object', nullable = true): Check {
  return named(expected, (v, up, key) => {
    if (v === null && nullable) return;
    if (!isObj(v)) invalid(up, key, expected, v);
    checkFields(v, fields, { up, key });
  });
}

/** `check`, or null. */
function nullOr(check: Check): Check {
  return named(expectedOf(check), (v, up, key) => {
    if (v !== null) check(v, up, key);
  });
}

/** A JSON object (or null), contents unchecked: JSON schemas, tool_search arguments. */
const anyObj: Check = named('an object', (v, up, key) => {
  if (v !== null && !isObj(v)) invalid(up, key, 'an object', v);
});

/** An array (or null) whose elements pass `elem`. */
function arrOf(elem: Check, expected: string, nullable = true): Check {
  return named(expected, (v, up, key) => {
    if (v === null && nullable) return;
    if (!Array.isArray(v)) invalid(up, key, expected, v);
    const at = { up, key };
    for (let i = 0; i < v.length; i++) elem(v[i], at, i);
  });
}

/** An object (or null) whose values all pass `value` (metadata, logit_bias). */
function mapOf(value: Check, expected: string): Check {
  return named(expected, (v, up, key) => {
    if (v === null) return;
    if (!isObj(v)) invalid(up, key, expected, v);
    const at = { up, key };
    for (const k of Object.keys(v)) value(v[k], at, k);
  });
}
const stringValue: Check = named('a string', (v, up, key) => {
  if (typeof v !== 'string') invalid(up, key, 'a string', v);
});
const stringMap = mapOf(stringValue, 'an object of string values');
const strings = arrOf(stringValue, 'an array of strings');

/** A `type` plus the fields that type has (`byType`); other types only need the `type`. */
function typed(byType: Readonly<Record<string, Fields>>, expected: string, typeRequired = true): Check {
  const table = new Map(Object.entries(byType));
  return named(expected, (v, up, key) => {
    if (!isObj(v)) invalid(up, key, expected, v);
    const at = { up, key };
    const type = v.type;
    if (type === undefined || type === null) {
      if (typeRequired) invalid(at, 'type', 'a type name (a string such as "message")', undefined);
      return;
    }
    typeName(type, at, 'type');
    const fields = table.get(type as string);
    if (fields) checkFields(v, fields, at);
  });
}

function checkModel(v: unknown): void {
  if (v === undefined || v === null || v === '') {
    throw new GatewayError(400, 'The request has no "model": set it to one of the gateway aliases (GET /v1/models lists them).', 'invalid_request_error', 'missing_model', 'model');
  }
  if (typeof v !== 'string') invalid(undefined, 'model', 'a string naming a gateway alias (GET /v1/models lists them)', v);
  if (v.length > MAX_MODEL_LENGTH || CONTROL.test(v)) {
    invalid(undefined, 'model', `an alias name of at most ${MAX_MODEL_LENGTH} characters without control characters (GET /v1/models lists the aliases)`, v, 'invalid_value');
  }
}

/* ------------------------------------------------------------------------------------------------
 * /v1/responses
 * ---------------------------------------------------------------------------------------------- */

const TEXT_PART: Fields = [['text', stringValue, true]];
const CONTENT_PART_FIELDS: Record<string, Fields> = {
  input_text: TEXT_PART,
  output_text: TEXT_PART,
  text: TEXT_PART,
  summary_text: TEXT_PART,
  reasoning_text: TEXT_PART,
  refusal: [['refusal', stringValue, true]],
  input_image: [['image_url', str], ['file_id', str], ['detail', str]],
  input_file: [['file_id', str], ['file_data', str], ['file_url', str], ['filename', str]],
};
/** A content part: `{type, ...}` with the text/image/file fields the translator reads. */
const contentPart = typed(CONTENT_PART_FIELDS, 'a content part object (e.g. {"type": "input_text", "text": "..."})');
const contentParts = arrOf(contentPart, 'an array of content parts', false);

/** A tool call's output: a string, content parts, the older `{content: "..."}` object, or null. */
const toolOutput: Check = named('a string or an array of content parts', (v, up, key) => {
  if (typeof v === 'string' || v === null) return;
  if (Array.isArray(v)) return contentParts(v, up, key);
  if (isObj(v) && typeof v.content === 'string') return;
  invalid(up, key, 'a string or an array of content parts', v);
});

const FUNCTION_TOOL: Fields = [
  ['name', requiredName, true],
  ['description', str],
  ['parameters', anyObj],
  ['strict', bool],
  ['defer_loading', bool],
];
const CUSTOM_TOOL: Fields = [
  ['name', requiredName, true],
  ['description', str],
  ['format', obj([['type', typeName], ['syntax', str], ['definition', str]])],
  ['defer_loading', bool],
];
/** A member of a namespace tool: function and custom tools are checked, other types need only a `type`. */
const namespaceMember = typed({ function: FUNCTION_TOOL, custom: CUSTOM_TOOL }, 'a tool object with a "type"');
/** A Responses tool, as tools.ts reads it (hosted tools need only a `type`). */
const responsesTool = typed(
  {
    function: FUNCTION_TOOL,
    custom: CUSTOM_TOOL,
    namespace: [
      ['name', requiredName, true],
      ['description', str],
      ['tools', arrOf(namespaceMember, 'an array of tools')],
    ],
    tool_search: [
      ['execution', str],
      ['description', str],
      ['parameters', anyObj],
    ],
  },
  'a tool object with a "type" (e.g. {"type": "function", "name": "...", "parameters": {...}})',
);
const responsesTools = arrOf(responsesTool, 'an array of tools');

const ROLE_EXPECTED = '"user", "assistant", "system" or "developer"';
const PART_EXPECTED = 'a content part object (e.g. {"type": "input_text", "text": "..."})';
const ITEM_EXPECTED = 'an input item object (e.g. {"role": "user", "content": "..."})';

/** A path node (built only when a check fails). */
function child(up: Path | undefined, key: string | number): Path {
  return { up, key };
}

/*
 * Hot path: `input` items and their content parts are checked by hand-written code. A 1 MB Codex body holds
 * thousands of items; reading their fields by literal name keeps V8's inline caches monomorphic, where the
 * table-driven checks above read them by computed key (measured on the 4,800-item 1 MB body: 0.28 ms
 * table-driven, 0.08 ms hand-written). Paths are built only when a check fails.
 */

/** Checks `v[field]` (the value `x`) of the item at `up[i]`: a string, non-empty when `nonEmptyToo`. */
function needString(x: unknown, up: Path | undefined, i: number, field: string, nonEmptyToo: boolean): void {
  if (typeof x === 'string' && (x !== '' || !nonEmptyToo)) return;
  invalid(child(up, i), field, nonEmptyToo ? 'a non-empty string' : 'a string', x, typeof x === 'string' ? 'invalid_value' : 'invalid_type');
}

/** Checks an optional string field (absent, null or a string). */
function optString(x: unknown, up: Path | undefined, i: number, field: string): void {
  if (x !== undefined && x !== null && typeof x !== 'string') invalid(child(up, i), field, 'a string', x);
}

/** Checks the content parts `parts` found at `up[i][field]`. */
function checkParts(parts: unknown[], up: Path | undefined, i: number, field: string): void {
  for (let j = 0; j < parts.length; j++) {
    const p = parts[j];
    if (!isObj(p)) invalid(child(child(up, i), field), j, PART_EXPECTED, p);
    const t = p.type;
    if (t === 'input_text' || t === 'output_text') {
      if (typeof p.text !== 'string') invalid(child(child(child(up, i), field), j), 'text', 'a string', p.text);
    } else contentPart(p, child(child(up, i), field), j);
  }
}

/** A message item at `up[i]`: role and content. */
function checkMessage(v: Obj, up: Path | undefined, i: number): void {
  const role = v.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'developer' && role !== 'system') {
    invalid(child(up, i), 'role', ROLE_EXPECTED, role, typeof role === 'string' ? 'invalid_value' : 'invalid_type');
  }
  const c = v.content;
  if (typeof c === 'string') return;
  if (!Array.isArray(c)) invalid(child(up, i), 'content', 'a string or an array of content parts', c);
  checkParts(c, up, i, 'content');
}

/** A function_call_output / custom_tool_call_output item at `up[i]`. */
function checkCallOutput(v: Obj, up: Path | undefined, i: number): void {
  needString(v.call_id, up, i, 'call_id', true);
  const o = v.output;
  if (typeof o === 'string' || o === undefined || o === null) return;
  if (Array.isArray(o)) checkParts(o, up, i, 'output');
  else toolOutput(o, child(up, i), 'output');
}

/** Fields of the item types the hot path leaves to the table-driven checks. */
const OTHER_ITEM_FIELDS: Record<string, Fields> = {
  tool_search_call: [
    ['call_id', str],
    ['execution', str],
  ],
  tool_search_output: [
    ['call_id', str],
    ['execution', str],
    ['tools', responsesTools],
  ],
  reasoning: [
    ['summary', arrOf(obj([['type', typeName], ['text', stringValue, true]], 'a summary part object ({"type": "summary_text", "text": "..."})', false), 'an array of summary parts')],
    ['content', arrOf(contentPart, 'an array of content parts')],
    ['encrypted_content', str],
  ],
};
const otherItem = typed(OTHER_ITEM_FIELDS, ITEM_EXPECTED);

/** One `input` item at `up[i]`; an item without `type` is a message when it has a `role` ("EasyInputMessage"). */
function checkInputItem(v: unknown, up: Path | undefined, i: number): void {
  if (!isObj(v)) invalid(up, i, ITEM_EXPECTED, v);
  switch (v.type) {
    case 'message':
      return checkMessage(v, up, i);
    case 'function_call':
      needString(v.call_id, up, i, 'call_id', true);
      needString(v.name, up, i, 'name', true);
      needString(v.arguments, up, i, 'arguments', false);
      return optString(v.namespace, up, i, 'namespace');
    case 'function_call_output':
    case 'custom_tool_call_output':
      return checkCallOutput(v, up, i);
    case 'custom_tool_call':
      needString(v.call_id, up, i, 'call_id', true);
      needString(v.name, up, i, 'name', true);
      needString(v.input, up, i, 'input', false);
      return optString(v.namespace, up, i, 'namespace');
    case undefined:
    case null:
      if (v.role === undefined) invalid(child(up, i), 'type', 'an item type such as "message" or "function_call_output" (or a "role" for a message)', undefined);
      return checkMessage(v, up, i);
    default:
      otherItem(v, up, i);
  }
}

const responsesInput: Check = named('a string or an array of input items', (v, up, key) => {
  if (typeof v === 'string' || v === null) return;
  if (!Array.isArray(v)) invalid(up, key, 'a string or an array of input items', v);
  const here = child(up, key);
  for (let i = 0; i < v.length; i++) checkInputItem(v[i], here, i);
});

const responsesToolChoiceObject = typed(
  {
    function: [['name', requiredName, true], ['namespace', str]],
    custom: [['name', requiredName, true], ['namespace', str]],
    allowed_tools: [['mode', str], ['tools', arrOf(anyObj, 'an array of tool objects')]],
  },
  'an object with a "type"',
);
const responsesToolChoice: Check = named('"auto", "none", "required" or an object with a "type"', (v, up, key) => {
  if (v === null) return;
  if (typeof v === 'string') {
    if (v !== 'auto' && v !== 'none' && v !== 'required') invalid(up, key, '"auto", "none", "required" or an object with a "type"', v, 'invalid_value');
    return;
  }
  if (!isObj(v)) invalid(up, key, '"auto", "none", "required" or an object with a "type"', v);
  responsesToolChoiceObject(v, up, key);
});

const textFormat = typed(
  {
    json_schema: [
      ['name', requiredName, true],
      ['schema', obj([], 'a JSON schema object', false), true],
      ['description', str],
      ['strict', bool],
    ],
  },
  'a format object with a "type" ("text", "json_object" or "json_schema")',
);

/** Known fields of `POST /v1/responses` (ResponseCreateParams); `model` is checked first, separately. */
const RESPONSES_FIELDS: Fields = [
  ['stream', bool],
  ['input', responsesInput],
  ['instructions', str],
  ['tools', responsesTools],
  ['tool_choice', responsesToolChoice],
  ['parallel_tool_calls', bool],
  ['max_output_tokens', positiveInt],
  ['max_tool_calls', positiveInt],
  ['temperature', numIn(0, 2)],
  ['top_p', numIn(0, 1)],
  ['top_logprobs', intIn(0, 20)],
  ['reasoning', obj([['effort', str], ['summary', str], ['generate_summary', str]])],
  ['text', obj([['format', nullOr(textFormat)], ['verbosity', str]])],
  ['store', bool],
  ['background', bool],
  ['include', strings],
  ['metadata', stringMap],
  ['user', str],
  ['safety_identifier', str],
  ['prompt_cache_key', str],
  ['prompt_cache_retention', str],
  ['previous_response_id', str],
  ['service_tier', str],
  ['truncation', str],
  ['conversation', named('a string or an object', (v, up, key) => {
    if (typeof v !== 'string' && v !== null && !isObj(v)) invalid(up, key, 'a conversation id (string) or object', v);
  })],
  ['prompt', anyObj],
  ['stream_options', obj([['include_obfuscation', bool]])],
];

/* ------------------------------------------------------------------------------------------------
 * /v1/chat/completions
 * ---------------------------------------------------------------------------------------------- */

const chatPart = typed({ text: TEXT_PART }, 'a content part object (e.g. {"type": "text", "text": "..."})');
const chatContent: Check = named('a string, null or an array of content parts', (v, up, key) => {
  if (typeof v === 'string' || v === null) return;
  if (!Array.isArray(v)) invalid(up, key, 'a string, null or an array of content parts', v);
  const at = { up, key };
  for (let i = 0; i < v.length; i++) chatPart(v[i], at, i);
});
const chatToolCall = obj(
  [
    ['id', str],
    ['type', typeName],
    ['function', obj([['name', stringValue, true], ['arguments', stringValue]], 'an object with "name" and "arguments" (a JSON string)')],
  ],
  'a tool call object',
  false,
);
const chatMessage = obj(
  [
    ['role', nonEmpty(), true],
    ['content', chatContent],
    ['name', str],
    ['tool_call_id', str],
    ['tool_calls', arrOf(chatToolCall, 'an array of tool calls')],
    ['reasoning_content', str],
    ['refusal', str],
  ],
  'a message object (e.g. {"role": "user", "content": "..."})',
  false,
);
const chatFunction = obj(
  [
    ['name', requiredName, true],
    ['description', str],
    ['parameters', anyObj],
    ['strict', bool],
  ],
  'a function object with a "name"',
  false,
);
const chatTool = typed(
  {
    function: [['function', chatFunction, true]],
    custom: [['custom', obj([['name', requiredName, true], ['description', str]], 'a custom tool object with a "name"', false), true]],
  },
  'a tool object (e.g. {"type": "function", "function": {"name": "...", "parameters": {...}}})',
);
const chatToolChoiceObject = typed(
  { function: [['function', obj([['name', requiredName, true]], 'an object with a "name"', false), true]] },
  'a string ("auto", "none", "required") or an object with a "type"',
);
const chatToolChoice: Check = named(expectedOf(chatToolChoiceObject), (v, up, key) => {
  if (typeof v !== 'string' && v !== null) chatToolChoiceObject(v, up, key);
});
const stop: Check = named('a string or an array of strings', (v, up, key) => {
  if (typeof v === 'string' || v === null) return;
  strings(v, up, key);
});

/** Known fields of `POST /v1/chat/completions` (ChatCompletionCreateParams); `model` is checked separately. */
const CHAT_FIELDS: Fields = [
  ['messages', arrOf(chatMessage, 'an array of messages (e.g. [{"role": "user", "content": "..."}])', false), true],
  ['stream', bool],
  ['stream_options', obj([['include_usage', bool], ['include_obfuscation', bool]])],
  ['tools', arrOf(chatTool, 'an array of tools')],
  ['tool_choice', chatToolChoice],
  ['parallel_tool_calls', bool],
  ['max_tokens', positiveInt],
  ['max_completion_tokens', positiveInt],
  ['n', positiveInt],
  ['temperature', numIn(0, 2)],
  ['top_p', numIn(0, 1)],
  ['presence_penalty', numIn(-2, 2)],
  ['frequency_penalty', numIn(-2, 2)],
  ['seed', anyInt],
  ['logprobs', bool],
  ['top_logprobs', intIn(0, 20)],
  ['logit_bias', mapOf(numIn(-100, 100), 'an object of numbers from -100 to 100')],
  ['stop', stop],
  ['response_format', nullOr(typed({ json_schema: [['json_schema', obj([['name', requiredName, true], ['schema', anyObj]], 'an object with a "name" and a "schema"', false), true]] }, 'an object with a "type"'))],
  ['reasoning_effort', str],
  ['verbosity', str],
  ['user', str],
  ['safety_identifier', str],
  ['prompt_cache_key', str],
  ['prompt_cache_retention', str],
  ['service_tier', str],
  ['store', bool],
  ['metadata', stringMap],
  ['modalities', strings],
  ['functions', arrOf(chatFunction, 'an array of function objects')],
];

/**
 * Anthropic Messages request fields the gateway reads (Anthropic API reference, "Create a Message"); the
 * content blocks are checked by the Messages door's parser, which knows their types.
 */
const MESSAGES_FIELDS: Fields = [
  ['messages', arrOf(anyObj, 'an array of messages (e.g. [{"role": "user", "content": "..."}])', false), true],
  ['max_tokens', positiveInt],
  ['stream', bool],
  ['temperature', numIn(0, 1)],
  ['top_p', numIn(0, 1)],
  ['top_k', positiveInt],
  ['stop_sequences', strings],
  ['tools', arrOf(anyObj, 'an array of tools')],
  ['tool_choice', anyObj],
  ['thinking', anyObj],
  ['metadata', anyObj],
];
