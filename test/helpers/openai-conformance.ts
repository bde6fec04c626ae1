/**
 * Conformance of what the gateway sends to clients with OpenAI's published OpenAPI document
 * (github.com/openai/openai-openapi; the vendored extract and its source are described in
 * test/fixtures/openai-openapi/README.md).
 *
 * Validation uses Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) on the vendored component schemas
 * after three mechanical, meaning-preserving rewrites (see {@link normalizeSchemas}):
 * - `nullable: true` (an OpenAPI 3.0 keyword some schemas of this 3.1 document still use) becomes
 *   `anyOf: [<schema>, {type: "null"}]`;
 * - `$recursiveRef: "#"` (draft 2019-09) becomes a `$ref` to the component that holds it (its recursion
 *   anchor);
 * - a union (`oneOf` / `anyOf`, with or without `discriminator`) whose object alternatives each require a
 *   distinct `type` tag is turned into a dispatch on `type`, so a bad value is reported against the one
 *   schema its `type` names (instead of every one of the ~60 alternatives of `ResponseStreamEvent`).
 *
 * The explicit, reasoned {@link SPEC_EXTENSIONS} (and {@link STREAM_FRAME_RULES} for frames that are not
 * events) are the allow-list: the places where the gateway legitimately sends something the spec does not
 * list. Nothing else is relaxed. Every violation is reported with the JSON path of the offending value
 * ({@link Violation}). {@link KNOWN_GAPS} lists violations reported for a fix outside the conformance work:
 * bugs, not allowances; a suite fails once one of its gaps no longer occurs, so the list only shrinks.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';

/* ------------------------------------------------------------------------------------------------
 * The vendored spec
 * ---------------------------------------------------------------------------------------------- */

/** Path of the vendored extract of the spec. */
export const SPEC_FILE = join(__dirname, '..', 'fixtures', 'openai-openapi', 'openai-responses-chat.schemas.json');

/** A JSON Schema node or JSON value of the spec (shapes vary too much to type usefully). */
type Json = any;

interface SpecDocument {
  openapi: string;
  info: { version: string };
  'x-source': { repository: string; path: string; commit: string };
  'x-roots': string[];
  components: { schemas: Record<string, Json> };
}

let specDoc: SpecDocument | undefined;

/** The vendored extract, parsed once. */
export function specDocument(): SpecDocument {
  return (specDoc ??= JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as SpecDocument);
}

/** The schemas the helper validates whole values against (the extract's roots). */
export type RootSchema = 'Response' | 'ResponseStreamEvent' | 'CreateChatCompletionResponse' | 'CreateChatCompletionStreamResponse' | 'ErrorResponse';

/** One place where a value does not conform: `path` is a JSONPath-like address (`$.response.output[0].id`). */
export interface Violation {
  path: string;
  message: string;
}

/* ------------------------------------------------------------------------------------------------
 * Allow-list: what the gateway legitimately sends that the spec lacks
 * ---------------------------------------------------------------------------------------------- */

/** A deliberate, reasoned widening of one component schema of the spec. */
export interface SpecExtension {
  /** Short stable name. */
  id: string;
  /** The component schema it widens. */
  component: string;
  /** What is allowed beyond the spec. */
  allows: string;
  /** Why the gateway must send it. */
  reason: string;
  /** Returns the widened schema (receives a private copy). */
  extend(schema: Json): Json;
  /** A value of `component` the spec refuses and the extension accepts (proves the extension is still needed). */
  sample: unknown;
}

/**
 * The allow-list. Each entry is checked by the unit conformance test: its sample must fail the pure spec
 * and pass the extended one (so an entry the spec has caught up with shows up as stale).
 */
export const SPEC_EXTENSIONS: readonly SpecExtension[] = [
  {
    id: 'error-code-context-length-exceeded',
    component: 'ResponseErrorCode',
    allows: '`response.error.code` = "context_length_exceeded" (in `response.failed`)',
    reason:
      "The gateway ends a stream with response.failed code context_length_exceeded when the upstream reports a context-window overflow mid-stream (src/gateway/wires/responses/door-stream.ts for a translated stream, wires/responses/relay.ts ResponsesRelay.fail for a relayed one; UpstreamError kind context_window). It is OpenAI's error code for that condition, and the one Codex's client checks to stop retrying and report the context window as full instead of retrying a request that cannot succeed; the spec's ResponseErrorCode enum does not list it.",
    extend: (s) => ({ ...s, enum: [...s.enum, 'context_length_exceeded'] }),
    sample: 'context_length_exceeded',
  },
];

/**
 * Frames a streamed answer may carry that are not events of the streamed schema, with how they are
 * checked instead. Part of the allow-list: anything else in a stream must validate as the door's event schema.
 */
export const STREAM_FRAME_RULES = [
  {
    id: 'chat-done-sentinel',
    door: 'chat',
    frame: '`data: [DONE]` (not JSON)',
    rule: 'must be the last frame, at most once',
    reason: 'The documented end of a Chat Completions stream (OpenAI API reference, "Create chat completion", stream); not an event, so the spec has no schema for it.',
  },
  {
    id: 'chat-error-frame',
    door: 'chat',
    frame: '`data: {"error": {...}}` (no `choices`)',
    rule: 'validated as ErrorResponse, and must be the last JSON frame',
    reason:
      'How the gateway (src/gateway/wires/chat/relay.ts chatErrorFrame, relayed and translated chat streams alike) and OpenAI-compatible servers end a chat stream that broke after the first byte; the openai SDKs raise it as an APIError. CreateChatCompletionStreamResponse cannot describe it; ErrorResponse (the error body of the same API) does.',
  },
] as const;

/* ------------------------------------------------------------------------------------------------
 * Schema normalisation
 * ---------------------------------------------------------------------------------------------- */

const REF_PREFIX = '#/components/schemas/';
/** Keywords whose value is one schema. */
const ONE_SCHEMA = ['additionalProperties', 'items', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'];
/** Keywords whose value is an array of schemas. */
const SCHEMA_LIST = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];

function isObj(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies `f` to every subschema of `node` (not to data keywords such as `enum`, `default`, `example`). */
function mapSubschemas(node: Json, f: (s: Json) => Json): Json {
  if (!isObj(node)) return node;
  const out: Record<string, Json> = { ...node };
  for (const k of ONE_SCHEMA) if (isObj(out[k])) out[k] = f(out[k]);
  for (const k of SCHEMA_LIST) if (Array.isArray(out[k])) out[k] = out[k].map(f);
  for (const k of SCHEMA_MAP) {
    if (isObj(out[k])) out[k] = Object.fromEntries(Object.entries(out[k] as Record<string, Json>).map(([n, s]) => [n, f(s)]));
  }
  return out;
}

/** `nullable` and `$recursiveRef` rewrites inside one component (`owner`). */
function rewriteKeywords(node: Json, owner: string): Json {
  if (!isObj(node)) return node;
  let n: Record<string, Json> = mapSubschemas(node, (s) => rewriteKeywords(s, owner));
  if (n.$recursiveRef === '#') {
    const { $recursiveRef: _r, ...rest } = n;
    n = { ...rest, $ref: `${REF_PREFIX}${owner}` };
  }
  if ('$recursiveAnchor' in n) {
    const { $recursiveAnchor: _a, ...rest } = n;
    n = rest;
  }
  if ('nullable' in n) {
    const { nullable, ...rest } = n;
    n = nullable === true ? { anyOf: [rest, { type: 'null' }] } : rest;
  }
  return n;
}

/** Follows `$ref`s to the schema they name (returns the node itself when it has none). */
function deref(schemas: Record<string, Json>, node: Json, depth = 0): Json {
  if (!isObj(node) || typeof node.$ref !== 'string' || depth > 20) return node;
  return deref(schemas, schemas[decodeURIComponent(node.$ref.slice(REF_PREFIX.length))], depth + 1);
}

type Branch = { kind: 'tagged'; tags: string[]; schema: Json } | { kind: 'other'; schema: Json };

/** What a union alternative accepts: objects with a required single-purpose `type` tag, or no objects at all. */
function classify(schemas: Record<string, Json>, branch: Json): Branch | null {
  const s = deref(schemas, branch);
  if (!isObj(s)) return null;
  if (s.anyOf || s.oneOf) return null;
  const parts = [s, ...(Array.isArray(s.allOf) ? s.allOf.map((p: Json) => deref(schemas, p)) : [])];
  let tags: string[] | undefined;
  let required = false;
  for (const p of parts) {
    if (!isObj(p)) continue;
    const t = isObj(p.properties) ? deref(schemas, p.properties.type) : undefined;
    if (isObj(t)) {
      if (Array.isArray(t.enum) && t.enum.every((x: unknown) => typeof x === 'string')) tags = t.enum;
      else if (typeof t.const === 'string') tags = [t.const];
    }
    if (Array.isArray(p.required) && p.required.includes('type')) required = true;
  }
  if (tags && required) return { kind: 'tagged', tags, schema: branch };
  const types = Array.isArray(s.type) ? s.type : typeof s.type === 'string' ? [s.type] : null;
  if (types && !types.includes('object') && !parts.slice(1).some((p) => isObj(p) && (p.properties || p.type === 'object'))) return { kind: 'other', schema: branch };
  return null;
}

/** Replaces a `type`-tagged union by a dispatch on `type` (same accepted values, one schema's errors). */
function dispatchUnions(schemas: Record<string, Json>, node: Json): Json {
  if (!isObj(node)) return node;
  const n: Record<string, Json> = mapSubschemas(node, (s) => dispatchUnions(schemas, s));
  const key = Array.isArray(n.oneOf) && !n.anyOf ? 'oneOf' : Array.isArray(n.anyOf) && !n.oneOf ? 'anyOf' : null;
  if (!key) return n;
  const branches = (n[key] as Json[]).map((b) => classify(schemas, b));
  if (branches.some((b) => b === null)) return n;
  const tagged = branches.filter((b): b is Extract<Branch, { kind: 'tagged' }> => b!.kind === 'tagged');
  if (tagged.length < 2) return n;
  const all = tagged.flatMap((b) => b.tags);
  if (new Set(all).size !== all.length) return n; // two alternatives share a tag: keep the plain union
  const others = branches.filter((b) => b!.kind === 'other').map((b) => b!.schema);
  const dispatch = {
    if: { type: 'object' },
    then: {
      required: ['type'],
      properties: { type: { enum: all } },
      allOf: tagged.map((b) => ({ if: { required: ['type'], properties: { type: { enum: b.tags } } }, then: b.schema })),
    },
    else: others.length === 0 ? { type: 'object' } : others.length === 1 ? others[0] : { [key]: others },
  };
  const { [key]: _u, discriminator: _d, ...rest } = n;
  return { ...rest, allOf: [...(Array.isArray(rest.allOf) ? rest.allOf : []), dispatch] };
}

/**
 * The vendored component schemas, normalised for Ajv (see the module comment), with the
 * {@link SPEC_EXTENSIONS} applied unless `pure`.
 */
export function normalizeSchemas(pure = false): Record<string, Json> {
  const src = structuredClone(specDocument().components.schemas) as Record<string, Json>;
  if (!pure) {
    for (const x of SPEC_EXTENSIONS) {
      assert.ok(x.component in src, `spec extension ${x.id}: no component ${x.component} in the vendored spec`);
      src[x.component] = x.extend(structuredClone(src[x.component]));
    }
  }
  const step1: Record<string, Json> = {};
  for (const [name, s] of Object.entries(src)) step1[name] = rewriteKeywords(s, name);
  const step2: Record<string, Json> = {};
  for (const [name, s] of Object.entries(step1)) step2[name] = dispatchUnions(step1, s);
  return step2;
}

/* ------------------------------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------------------------------- */

const DOC_ID = 'openai-openapi.json';
const validators = new Map<string, ValidateFunction>();
const ajvs = new Map<boolean, Ajv2020>();

function ajvFor(pure: boolean): Ajv2020 {
  let ajv = ajvs.get(pure);
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true, validateFormats: false, validateSchema: false });
    ajv.addSchema({ $id: DOC_ID, components: { schemas: normalizeSchemas(pure) } });
    ajvs.set(pure, ajv);
  }
  return ajv;
}

function validatorFor(component: string, pure: boolean): ValidateFunction {
  const k = `${pure ? 'pure' : 'ext'}:${component}`;
  let v = validators.get(k);
  if (!v) {
    v = ajvFor(pure).getSchema(`${DOC_ID}#/components/schemas/${component}`);
    assert.ok(v, `no component schema ${component} in the vendored spec`);
    validators.set(k, v);
  }
  return v;
}

/** JSON Pointer -> `$.a.b[0]["odd key"]`. */
export function jsonPath(pointer: string, root = '$'): string {
  if (!pointer) return root;
  return (
    root +
    pointer
      .split('/')
      .slice(1)
      .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`))
      .join('')
  );
}

function brief(v: unknown): string {
  const t = JSON.stringify(v);
  return t === undefined ? 'undefined' : t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/** One-line name of a union alternative, for "must be one of" messages. */
function altName(s: Json): string {
  if (!isObj(s)) return String(s);
  if (typeof s.$ref === 'string') return s.$ref.slice(REF_PREFIX.length);
  if (Array.isArray(s.enum)) return s.enum.length > 6 ? `${s.enum.slice(0, 4).map((x: unknown) => JSON.stringify(x)).join('|')}|... (${s.enum.length} values)` : s.enum.map((x: unknown) => JSON.stringify(x)).join('|');
  if (s.type) return Array.isArray(s.type) ? s.type.join('|') : String(s.type);
  if (s.anyOf || s.oneOf) return `(${(s.anyOf ?? s.oneOf).map(altName).join(' | ')})`;
  return 'schema';
}

/** Turns Ajv's errors into {@link Violation}s: one per problem, union noise folded. */
function toViolations(errors: ErrorObject[], root: string): Violation[] {
  // Ajv reports a union's failure after the failures of its alternatives (nested unions first), and
  // schemaPaths restart inside each $ref'd schema, so the outermost union at a path is its last one.
  const outermost = new Map<string, ErrorObject>();
  for (const e of errors) if (e.keyword === 'anyOf' || e.keyword === 'oneOf') outermost.set(e.instancePath, e);
  const out: Violation[] = [];
  const summaries: Array<{ pointer: string; message: string }> = [];
  const seen = new Set<string>();
  const push = (pointer: string, message: string) => {
    const path = jsonPath(pointer, root);
    const k = `${path}\u0000${message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ path, message });
    }
  };
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    // At a path where a union failed, its message (listing the alternatives) sums up every complaint about
    // that very value; complaints about values inside it (deeper paths) are kept.
    const u = outermost.get(e.instancePath);
    if (u && u !== e && e.keyword !== 'required' && e.keyword !== 'additionalProperties') continue;
    switch (e.keyword) {
      case 'required':
        push(`${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`, 'is required but missing');
        break;
      case 'additionalProperties':
        push(`${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`, 'is not allowed here (additionalProperties: false)');
        break;
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        const list = allowed.length > 12 ? `${allowed.slice(0, 12).map((x) => JSON.stringify(x)).join(', ')}, ... (${allowed.length} values)` : allowed.map((x) => JSON.stringify(x)).join(', ');
        push(e.instancePath, `${brief(e.data)} is not one of ${list}`);
        break;
      }
      case 'type':
        push(e.instancePath, `must be ${(e.params as { type: string | string[] }).type} (got ${brief(e.data)})`);
        break;
      case 'anyOf':
      case 'oneOf': {
        const alts = (e.parentSchema?.[e.keyword] as Json[] | undefined) ?? [];
        const passing = (e.params as { passingSchemas?: number[] | null }).passingSchemas;
        if (e.keyword === 'oneOf' && passing) push(e.instancePath, `matches ${passing.length} alternatives of oneOf (${alts.map(altName).join(' | ')}); exactly one allowed`);
        else summaries.push({ pointer: e.instancePath, message: `${brief(e.data)} matches none of: ${alts.map(altName).join(' | ')}` });
        break;
      }
      default:
        push(e.instancePath, `${e.message ?? e.keyword} (got ${brief(e.data)})`);
    }
  }
  // A failed union's summary only when nothing inside the value pinpoints the problem.
  for (const s of summaries) {
    const path = jsonPath(s.pointer, root);
    if (!out.some((v) => v.path.startsWith(`${path}.`) || v.path.startsWith(`${path}[`))) push(s.pointer, s.message);
  }
  return out;
}

/**
 * Validates `value` against one component schema of the vendored spec.
 * @param component e.g. `Response`, `ResponseStreamEvent`, `CreateChatCompletionStreamResponse`, or any
 *   other component of the extract (`ResponseErrorCode`).
 * @param opts.root how paths start (default `$`); opts.pure: without the {@link SPEC_EXTENSIONS}.
 * @returns every violation, empty when the value conforms.
 */
export function specViolations(component: RootSchema | string, value: unknown, opts: { root?: string; pure?: boolean } = {}): Violation[] {
  const v = validatorFor(component, opts.pure ?? false);
  if (v(value)) return [];
  return toViolations(v.errors ?? [], opts.root ?? '$');
}

/** `path: message` lines. */
export function formatViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `  ${v.path}: ${v.message}`).join('\n');
}

/**
 * Asserts that `value` conforms to `component`; the failure lists every violation with its path.
 * @param label names the value in the failure (e.g. the golden case and event index).
 */
export function assertConforms(component: RootSchema | string, value: unknown, label: string): void {
  const vs = specViolations(component, value);
  assert.ok(vs.length === 0, `${label} does not conform to ${component} (${specSourceLabel()}):\n${formatViolations(vs)}`);
}

/** `openai/openai-openapi@<short commit> openapi.json (info.version x)`, for messages. */
export function specSourceLabel(): string {
  const d = specDocument();
  return `${d['x-source'].repository.replace(/^https:\/\/github.com\//, '')}@${d['x-source'].commit.slice(0, 12)} ${d['x-source'].path} v${d.info.version}`;
}

/* ------------------------------------------------------------------------------------------------
 * Streams
 * ---------------------------------------------------------------------------------------------- */

/** One Server-Sent Events frame: its `event:` field (if any) and its joined `data:` lines. */
export interface SseFrame {
  event?: string;
  data: string;
}

/**
 * Splits an SSE body into frames (HTML Living Standard "Interpreting an event stream": frames end with a
 * blank line; `data:` lines are joined with `\n`; comment lines are skipped). A trailing unterminated frame
 * is returned too, so a cut-off stream shows up in the checks.
 */
export function parseSse(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  let event: string | undefined;
  let data: string[] = [];
  let any = false;
  const flush = () => {
    if (any) frames.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
    event = undefined;
    data = [];
    any = false;
  };
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let val = i < 0 ? '' : line.slice(i + 1);
    if (val.startsWith(' ')) val = val.slice(1);
    if (field === 'event') {
      event = val;
      any = true;
    } else if (field === 'data') {
      data.push(val);
      any = true;
    }
  }
  flush();
  return frames;
}

const TERMINAL = ['response.completed', 'response.incomplete', 'response.failed'];

/**
 * Every violation of a streamed Responses answer, as the client received it: each frame must be JSON,
 * validate as `ResponseStreamEvent` and name its type in the `event:` field (when present); and across the
 * stream (Responses API streaming): `sequence_number` counts 0, 1, 2, ...; every lifecycle event carries
 * the same response id; it ends with a terminal event (`response.completed` / `.incomplete` / `.failed`;
 * or, failing that, an `error` event) and nothing follows the first terminal event.
 * @param frames from {@link parseSse}; paths start with `events[i]`.
 */
export function responsesStreamViolations(frames: readonly SseFrame[]): Violation[] {
  const out: Violation[] = [];
  let responseId: string | undefined;
  let ended = -1;
  let lastType: unknown;
  frames.forEach((f, i) => {
    const root = `events[${i}]`;
    let ev: Json;
    try {
      ev = JSON.parse(f.data);
    } catch {
      out.push({ path: root, message: `data is not JSON: ${brief(f.data)}` });
      return;
    }
    out.push(...specViolations('ResponseStreamEvent', ev, { root }));
    if (!isObj(ev)) return;
    if (f.event !== undefined && f.event !== ev.type) out.push({ path: `${root}.type`, message: `${brief(ev.type)} differs from the SSE event field ${brief(f.event)}` });
    if (ev.sequence_number !== i) out.push({ path: `${root}.sequence_number`, message: `is ${brief(ev.sequence_number)}, expected ${i} (sequence numbers count from 0 without gaps)` });
    if (isObj(ev.response)) {
      const id = ev.response.id;
      if (responseId === undefined) responseId = id;
      else if (id !== responseId) out.push({ path: `${root}.response.id`, message: `is ${brief(id)}, but the stream began with response ${brief(responseId)}` });
    }
    if (ended >= 0) out.push({ path: root, message: `follows the terminal event events[${ended}]` });
    if (TERMINAL.includes(ev.type) && ended < 0) ended = i;
    lastType = ev.type;
  });
  if (frames.length && ended < 0 && lastType !== 'error') out.push({ path: 'events', message: `the stream ends without a terminal event (${TERMINAL.join(' / ')}, or an error event)` });
  return out;
}

/**
 * Every violation of a streamed Chat Completions answer: each JSON frame validates as
 * `CreateChatCompletionStreamResponse`, except the frames of {@link STREAM_FRAME_RULES} (`[DONE]`, a final
 * error object validated as `ErrorResponse`); all chunks carry one `id`.
 * @param frames from {@link parseSse}; paths start with `chunks[i]`.
 */
export function chatStreamViolations(frames: readonly SseFrame[]): Violation[] {
  const out: Violation[] = [];
  let id: unknown;
  let lastJson = -1;
  frames.forEach((f, i) => {
    if (f.data !== '[DONE]') lastJson = i;
  });
  frames.forEach((f, i) => {
    const root = `chunks[${i}]`;
    if (f.data === '[DONE]') {
      if (i !== frames.length - 1) out.push({ path: root, message: 'data: [DONE] is not the last frame' });
      return;
    }
    let c: Json;
    try {
      c = JSON.parse(f.data);
    } catch {
      out.push({ path: root, message: `data is not JSON: ${brief(f.data)}` });
      return;
    }
    if (isObj(c) && 'error' in c && !('choices' in c)) {
      out.push(...specViolations('ErrorResponse', c, { root }));
      if (i !== lastJson) out.push({ path: root, message: 'an error frame must be the last JSON frame' });
      return;
    }
    out.push(...specViolations('CreateChatCompletionStreamResponse', c, { root }));
    if (isObj(c)) {
      if (id === undefined) id = c.id;
      else if (c.id !== id) out.push({ path: `${root}.id`, message: `is ${brief(c.id)}, but the stream began with ${brief(id)}` });
    }
  });
  return out;
}

/* ------------------------------------------------------------------------------------------------
 * Known gaps: violations whose fix belongs in code outside the conformance work (to be emptied)
 * ---------------------------------------------------------------------------------------------- */

/** A known, reported violation awaiting a fix elsewhere. Not an allowance: each one is a bug. */
export interface KnownGap {
  id: string;
  /** Matches the violation's path. */
  path: RegExp;
  /** Matches the violation's message. */
  message: RegExp;
  /** Where the fix belongs and what it is. */
  fix: string;
  /** Only in checks whose label matches (keeps a gap from hiding the same violation elsewhere). */
  only?: RegExp;
  /** Test suites that produce it (each suite checks its gaps still occur, so a fixed gap must be removed here). */
  suites: ReadonlyArray<'unit' | 'integration'>;
}

/**
 * Violations reported to the lead and not fixable in the files the conformance work owns. A test that
 * meets one records it instead of failing; each suite ends by failing for every gap of its own that no
 * longer occurs ("fixed: remove it from KNOWN_GAPS"), so this list can only shrink.
 */
export const KNOWN_GAPS: readonly KnownGap[] = [
];

/** Splits violations of the check `label` into known gaps (recorded in `seen` by id) and the rest, which must be empty. */
export function triage(vs: readonly Violation[], seen: Set<string>, label: string): Violation[] {
  const rest: Violation[] = [];
  for (const v of vs) {
    const gap = KNOWN_GAPS.find((g) => g.path.test(v.path) && g.message.test(v.message) && (!g.only || g.only.test(label)));
    if (gap) seen.add(gap.id);
    else rest.push(v);
  }
  return rest;
}

/**
 * Asserts there is no violation beyond the {@link KNOWN_GAPS} (recorded in `seen`).
 * @param label names the checked value in the failure.
 */
export function assertNoViolations(vs: readonly Violation[], seen: Set<string>, label: string): void {
  const rest = triage(vs, seen, label);
  assert.ok(rest.length === 0, `${label}: ${rest.length} violation(s) of ${specSourceLabel()}:\n${formatViolations(rest)}`);
}

/** Fails for every known gap of `suite` not met (its fix landed: remove the entry from {@link KNOWN_GAPS}). */
export function assertGapsStillOpen(suite: 'unit' | 'integration', seen: Set<string>): void {
  const fixed = KNOWN_GAPS.filter((g) => g.suites.includes(suite) && !seen.has(g.id)).map((g) => g.id);
  assert.deepEqual(fixed, [], `known gaps no longer seen in the ${suite} conformance tests (fixed? remove them from KNOWN_GAPS): ${fixed.join(', ')}`);
}
