/**
 * Shared pieces of the fuzz suites (test/unit/fuzz-*.test.ts, test/integration/fuzz-http.test.ts): the
 * fixed fast-check seed, and generators of hostile JSON the way `JSON.parse` builds it (own `__proto__`
 * keys, `toString`/`valueOf`/`constructor` keys holding non-functions, control characters and lone
 * surrogates in strings, numbers that parse as Infinity, deep nesting, big strings and arrays).
 *
 * Reproducing a failure: every suite prints `fuzz seed: N`; run it again with `FUZZ_SEED=N`. fast-check
 * also prints the seed and the shrunk counterexample of a failing property.
 */
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The default seed of every fuzz suite (fixed, so CI runs the same cases every time). */
export const DEFAULT_FUZZ_SEED = 20260107;

let printed = false;

/**
 * The seed for fast-check: `FUZZ_SEED` from the environment (an integer) or {@link DEFAULT_FUZZ_SEED}.
 * Printed once per process (`fuzz seed: N (set FUZZ_SEED=N to repeat)`), so a CI log tells how to repeat a run.
 * @throws Error when FUZZ_SEED is set but not an integer.
 */
export function fuzzSeed(): number {
  const raw = process.env.FUZZ_SEED;
  const seed = raw === undefined || raw === '' ? DEFAULT_FUZZ_SEED : Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(raw)}`);
  if (!printed) {
    printed = true;
    process.stdout.write(`      fuzz seed: ${seed} (set FUZZ_SEED=${seed} to repeat)\n`);
  }
  return seed;
}

/**
 * An object built the way JSON.parse builds one: every key becomes an own, enumerable data property, so a
 * `__proto__` key is a plain property, not the prototype (an object literal `{__proto__: x}` would set it).
 */
export function jsonObject(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** `depth` nested arrays around `inner` (built iteratively, any depth). */
export function nestedArrays(depth: number, inner: unknown = 0): unknown {
  let v: unknown = inner;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** `depth` nested objects `{"a": {"a": ...}}` around `inner` (built iteratively, any depth). */
export function nestedObjects(depth: number, inner: unknown = 0, key = 'a'): unknown {
  let v: unknown = inner;
  for (let i = 0; i < depth; i++) v = jsonObject([[key, v]]);
  return v;
}

/** Keys that trip code which treats objects as maps, or reads inherited members. */
export const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', 'then', 'length', '__defineGetter__'] as const;

/** Strings that break logs, parsers and naive escaping. */
export const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\nINFO /v1/responses alias=forged status=200',
  '\r\n\r\n',
  '\u001b[31mred\u001b[0m',
  '\u2028\u2029',
  '\u202eevil',
  '\ud800',
  '\udfff\ud800',
  '"quoted" = x',
  '\\',
  '%s%n',
  'constructor',
  '__proto__',
  'toString',
  '\ufeffbom',
  'x'.repeat(300),
] as const;

/** 20,000 nested arrays: JSON.parse builds it, JSON.stringify overflows the stack on it (shared, built once). */
const VERY_DEEP = nestedArrays(20_000);

/** Scalars and small objects that are valid JSON but wrong for almost every field. */
export function hostileLeaf(): fc.Arbitrary<unknown> {
  const oddObject = fc.constantFrom(...ODD_KEYS).chain((k) =>
    fc.constantFrom<unknown>(jsonObject([[k, 1]]), jsonObject([[k, {}]]), jsonObject([[k, []]]), jsonObject([[k, null]]), jsonObject([[k, 'x']]), [jsonObject([[k, 1]])]),
  );
  return fc.oneof(
    { weight: 4, arbitrary: oddObject },
    fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      -0,
      Number.MAX_SAFE_INTEGER + 2,
      1e308,
      Infinity, // what JSON.parse makes of 1e309
      -Infinity,
      [],
      {},
      'yes',
    ),
    fc.constantFrom(...ODD_STRINGS),
    fc.integer({ min: 2, max: 200 }).map((d) => nestedArrays(d)),
    fc.constant(VERY_DEEP), // past JSON.stringify's recursion limit
    fc.integer({ min: 2, max: 200 }).map((d) => nestedObjects(d)),
    // Big values (the HTTP fuzzer's own huge cases go up to the 1 MiB body limit).
    fc.integer({ min: 1, max: 5 }).map((n) => 'y'.repeat(n * 8_000)),
    fc.integer({ min: 1, max: 3 }).map((n) => new Array(n * 4_000).fill(jsonObject([['type', 'input_image'], ['image_url', 'data:,']]))),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.double(),
  );
}

/** Keys for generated objects: the fields the gateway reads, odd keys, and random ones. */
const FIELD_KEYS = [
  'type', 'role', 'content', 'text', 'name', 'namespace', 'call_id', 'arguments', 'input', 'output', 'tools', 'parameters',
  'description', 'format', 'syntax', 'definition', 'execution', 'summary', 'encrypted_content', 'image_url', 'file_id',
  'file_data', 'detail', 'refusal', 'model', 'stream', 'messages', 'tool_calls', 'function', 'id', 'index', 'delta',
  'choices', 'finish_reason', 'usage', 'error', 'message', 'code', 'reasoning_content', 'strict', 'defer_loading',
] as const;

/**
 * Arbitrary JSON (as JSON.parse would return it) whose objects use the gateway's field names and odd keys,
 * with hostile leaves. `maxDepth` bounds the generated nesting (hostile leaves add up to 200 more).
 */
export function hostileJson(maxDepth = 4): fc.Arbitrary<unknown> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELD_KEYS) }, { weight: 2, arbitrary: fc.constantFrom(...ODD_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
  const leaf = fc.oneof({ weight: 3, arbitrary: hostileLeaf() }, { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 1 }) }, { weight: 2, arbitrary: fc.constantFrom(...TYPE_NAMES) });
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((e) => jsonObject(e)),
    ),
  }));
  return value;
}

/** Type names the translators switch on (plus near misses). */
export const TYPE_NAMES = [
  'message', 'input_text', 'output_text', 'text', 'refusal', 'input_image', 'input_file', 'summary_text', 'reasoning_text',
  'function_call', 'custom_tool_call', 'function_call_output', 'custom_tool_call_output', 'tool_search_call', 'tool_search_output',
  'reasoning', 'web_search_call', 'function', 'custom', 'namespace', 'tool_search', 'web_search', 'allowed_tools',
  'json_schema', 'json_object', 'grammar', 'Message', 'function ', '',
] as const;

/**
 * A value that is mostly right for a field (`good`), otherwise (about `10 * h` percent) a hostile leaf or
 * hostile JSON: h = 1 makes about one field in ten hostile, h = 0 none.
 */
function maybe(h: number, good: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return mix(h, good, fc.oneof(hostileLeaf(), hostileJson(3)));
}

/** `good`, or `bad` in about `10 * h` percent of the cases (h = 0: never). */
function mix(h: number, good: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const w = Math.round(10 * h);
  return w === 0 ? good : fc.oneof({ weight: 100 - w, arbitrary: good }, { weight: w, arbitrary: bad });
}

/**
 * A record whose fields are optional except `required` (absent keys are left out, like an omitted JSON
 * field; a field whose arbitrary gave `undefined` is left out too).
 */
function partial(fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(fields, { requiredKeys: required }).map((r) => jsonObject(Object.entries(r).filter(([, v]) => v !== undefined)));
}

const shortText = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...ODD_STRINGS));

/** A content part that is often well-formed. */
function contentPart(h: number): fc.Arbitrary<unknown> {
  return partial({
    type: maybe(h, fc.constantFrom('input_text', 'output_text', 'input_image', 'input_file', 'refusal', 'summary_text', 'text', 'audio')),
    text: maybe(h, shortText),
    refusal: maybe(h, shortText),
    image_url: maybe(h, fc.constantFrom('data:image/png;base64,AAAA', 'https://example.invalid/x.png', '')),
    file_id: maybe(h, shortText),
    file_data: maybe(h, shortText),
    detail: maybe(h, fc.constantFrom('auto', 'low', 'high', 'original')),
  });
}

/** A Responses tool that is often well-formed (including namespaces and tool_search). */
function responsesTool(h: number): fc.Arbitrary<unknown> {
  const fn = partial({
    type: maybe(h, fc.constantFrom('function', 'custom', 'web_search', 'local_shell')),
    name: maybe(h, fc.oneof(fc.constantFrom('exec_command', 'apply_patch', 'a!', 'a@', 'x'.repeat(80)), shortText)),
    description: maybe(h, shortText),
    parameters: maybe(h, fc.constant({ type: 'object', properties: { cmd: { type: 'string' } } })),
    strict: maybe(h, fc.boolean()),
    defer_loading: maybe(h, fc.boolean()),
    format: maybe(h, fc.constant({ type: 'grammar', syntax: 'lark', definition: 'start: /.+/' })),
  });
  return fc.oneof(
    { weight: 3, arbitrary: fn },
    { weight: 1, arbitrary: partial({ type: fc.constant('namespace'), name: maybe(h, shortText), description: maybe(h, shortText), tools: maybe(h, fc.array(fn, { maxLength: 3 })) }) },
    { weight: 1, arbitrary: partial({ type: fc.constant('tool_search'), execution: maybe(h, fc.constantFrom('client', 'server')), parameters: maybe(h, fc.constant({ type: 'object' })) }) },
  );
}

/** A Responses input item that is often well-formed. */
function inputItem(h: number): fc.Arbitrary<unknown> {
  const callId = maybe(h, fc.constantFrom('call_1', 'call_2', 'call_3', ''));
  return fc.oneof(
    partial({
      type: maybe(h, fc.constant('message')),
      role: maybe(h, fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool')),
      content: maybe(h, fc.oneof(shortText, fc.array(contentPart(h), { maxLength: 3 }))),
    }),
    partial({
      type: fc.constantFrom('function_call', 'custom_tool_call'),
      call_id: callId,
      name: maybe(h, fc.constantFrom('exec_command', 'apply_patch', 'a!', 'a@')),
      namespace: maybe(h, shortText),
      arguments: maybe(h, fc.constantFrom('{}', '{"cmd":"ls"}', 'not json')),
      input: maybe(h, shortText),
    }),
    partial({
      type: fc.constantFrom('function_call_output', 'custom_tool_call_output'),
      call_id: callId,
      output: maybe(h, fc.oneof(shortText, fc.array(contentPart(h), { maxLength: 3 }), fc.constant({ content: 'old shape' }))),
    }),
    partial({ type: fc.constant('tool_search_call'), call_id: callId, execution: maybe(h, fc.constantFrom('client', 'server')), arguments: maybe(h, fc.constant({ query: 'q' })) }),
    partial({ type: fc.constant('tool_search_output'), call_id: callId, tools: maybe(h, fc.array(responsesTool(h), { maxLength: 3 })) }),
    partial({
      type: fc.constant('reasoning'),
      summary: maybe(h, fc.array(partial({ type: fc.constant('summary_text'), text: maybe(h, shortText) }), { maxLength: 2 })),
      content: maybe(h, fc.constant(null)),
      encrypted_content: maybe(h, fc.constantFrom('cgw1:aGVsbG8=', 'opaque', 'cgw1:!!!')),
    }),
  );
}

/**
 * A `POST /v1/responses` body: mostly the right shape, with any field possibly hostile (`h`: how often, see
 * `maybe`; 1 by default, 0.2 gives mostly valid bodies), and sometimes odd or unknown top-level keys.
 */
export function responsesRequest(h = 1): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      partial({
        model: mix(h, fc.constantFrom('m', 'default'), fc.constantFrom(undefined, 'x\ny', 5)),
        stream: maybe(h, fc.boolean()),
        input: maybe(h, fc.oneof(shortText, fc.array(mix(h, inputItem(h), hostileJson(3)), { maxLength: 8 }))),
        instructions: maybe(h, shortText),
        tools: maybe(h, fc.array(responsesTool(h), { maxLength: 4 })),
        tool_choice: maybe(h, fc.oneof(fc.constantFrom('auto', 'none', 'required'), partial({ type: maybe(h, fc.constantFrom('function', 'custom', 'allowed_tools', 'web_search')), name: maybe(h, shortText), mode: maybe(h, fc.constantFrom('auto', 'required')) }))),
        parallel_tool_calls: maybe(h, fc.boolean()),
        max_output_tokens: maybe(h, fc.integer({ min: 1, max: 100_000 })),
        temperature: maybe(h, fc.double({ min: 0, max: 2, noNaN: true })),
        top_p: maybe(h, fc.double({ min: 0, max: 1, noNaN: true })),
        reasoning: maybe(h, partial({ effort: maybe(h, fc.constantFrom('low', 'medium', 'high')), summary: maybe(h, fc.constant('auto')) })),
        text: maybe(h, partial({ format: maybe(h, partial({ type: maybe(h, fc.constantFrom('text', 'json_object', 'json_schema', 'xml')), name: maybe(h, shortText), schema: maybe(h, fc.constant({ type: 'object' })) })), verbosity: maybe(h, fc.constant('low')) })),
        user: maybe(h, shortText),
        prompt_cache_key: maybe(h, shortText),
        previous_response_id: fc.constantFrom(undefined, undefined, undefined, null, 'resp_1'),
      }, ['model']),
      fc.array(fc.tuple(fc.constantFrom(...ODD_KEYS, 'client_metadata', 'x'), hostileJson(2)), { maxLength: h > 0 ? 2 : 0 }),
    )
    .map(([r, extra]) => jsonObject([...Object.entries(r).filter(([, v]) => v !== undefined), ...extra]));
}

/** A `POST /v1/chat/completions` body: mostly the right shape, any field possibly hostile (`h` as for {@link responsesRequest}). */
export function chatRequest(h = 1): fc.Arbitrary<Record<string, unknown>> {
  const message = partial({
    role: maybe(h, fc.constantFrom('system', 'user', 'assistant', 'tool')),
    content: maybe(h, fc.oneof(shortText, fc.constant(null), fc.array(partial({ type: maybe(h, fc.constantFrom('text', 'image_url')), text: maybe(h, shortText) }), { maxLength: 2 }))),
    tool_calls: maybe(h, fc.array(partial({ id: maybe(h, shortText), type: maybe(h, fc.constant('function')), function: maybe(h, partial({ name: maybe(h, shortText), arguments: maybe(h, fc.constant('{}')) })) }), { maxLength: 2 })),
    tool_call_id: maybe(h, shortText),
  });
  return partial({
    model: mix(h, fc.constantFrom('m', 'default'), fc.constantFrom(undefined, 'x\ny', 5)),
    messages: mix(h, fc.array(message, { maxLength: 4 }), hostileJson(3)),
    stream: maybe(h, fc.boolean()),
    stream_options: maybe(h, partial({ include_usage: maybe(h, fc.boolean()) })),
    max_tokens: maybe(h, fc.integer({ min: 1, max: 100_000 })),
    max_completion_tokens: maybe(h, fc.integer({ min: 1, max: 100_000 })),
    temperature: maybe(h, fc.double({ min: 0, max: 2, noNaN: true })),
    tools: maybe(h, fc.array(partial({ type: maybe(h, fc.constant('function')), function: maybe(h, partial({ name: maybe(h, shortText), parameters: maybe(h, fc.constant({ type: 'object' })) })) }), { maxLength: 2 })),
    tool_choice: maybe(h, fc.constantFrom('auto', 'none', 'any')),
    stop: maybe(h, fc.oneof(shortText, fc.array(shortText, { maxLength: 2 }))),
    n: maybe(h, fc.integer({ min: 1, max: 3 })),
  }, ['model', 'messages']);
}

/** A `chat.completion.chunk` (or a hostile stand-in) as an upstream might stream it; `h`: how often a field is hostile (see `maybe`). */
export function chatChunk(h = 1): fc.Arbitrary<unknown> {
  const toolCall = partial({
    index: maybe(h, fc.integer({ min: 0, max: 3 })),
    id: maybe(h, fc.constantFrom('call_a', 'call_b', '')),
    type: maybe(h, fc.constant('function')),
    function: maybe(h, partial({ name: maybe(h, fc.constantFrom('exec_command', 'apply_patch', 'tool_search', 'ns__close_agent', 'unknown')), arguments: maybe(h, fc.constantFrom('{"', 'input": "', 'a\\', 'u00', 'e9"}', '{"query":"x"}', '}')) })),
  });
  const delta = partial({
    role: maybe(h, fc.constant('assistant')),
    content: maybe(h, shortText),
    refusal: maybe(h, shortText),
    reasoning_content: maybe(h, shortText),
    reasoning: maybe(h, shortText),
    tool_calls: maybe(h, fc.array(toolCall, { maxLength: 3 })),
  });
  const choice = partial({ index: maybe(h, fc.integer({ min: 0, max: 2 })), delta: maybe(h, delta), finish_reason: maybe(h, fc.constantFrom(null, 'stop', 'length', 'tool_calls', 'content_filter')) });
  return fc.oneof(
    { weight: 5, arbitrary: partial({ id: maybe(h, shortText), choices: maybe(h, fc.array(choice, { maxLength: 2 })), usage: maybe(h, partial({ prompt_tokens: maybe(h, fc.nat()), completion_tokens: maybe(h, fc.nat()), total_tokens: maybe(h, fc.nat()) })) }) },
    { weight: 1, arbitrary: partial({ error: maybe(h, partial({ message: maybe(h, shortText), code: maybe(h, fc.constantFrom('rate_limit_exceeded', 429)) })) }) },
    { weight: 1, arbitrary: hostileJson(4) },
  );
}

/** A non-streamed chat completion (or a hostile stand-in); `h`: how often a field is hostile (see `maybe`). */
export function chatCompletion(h = 1): fc.Arbitrary<unknown> {
  const toolCall = partial({
    id: maybe(h, shortText),
    type: maybe(h, fc.constant('function')),
    function: maybe(h, partial({ name: maybe(h, fc.constantFrom('exec_command', 'apply_patch', 'tool_search')), arguments: maybe(h, fc.oneof(fc.constantFrom('{}', '{"input":"x"}', 'raw'), hostileJson(2))) })),
  });
  const message = partial({ role: maybe(h, fc.constant('assistant')), content: maybe(h, shortText), refusal: maybe(h, shortText), reasoning_content: maybe(h, shortText), tool_calls: maybe(h, fc.array(toolCall, { maxLength: 3 })) });
  return fc.oneof(
    { weight: 4, arbitrary: partial({ choices: maybe(h, fc.array(partial({ index: maybe(h, fc.nat(2)), message: maybe(h, message), finish_reason: maybe(h, fc.constantFrom('stop', 'length', 'tool_calls')) }), { maxLength: 2 })), usage: maybe(h, partial({ prompt_tokens: maybe(h, fc.nat()), completion_tokens: maybe(h, fc.nat()) })) }) },
    { weight: 1, arbitrary: hostileJson(4) },
  );
}

/** The captured Codex 0.169 request bodies of the golden translation tests (file name, body). */
export function codexBodies(): Array<{ name: string; body: Record<string, unknown> }> {
  const dir = join(__dirname, '..', 'unit', 'translate', 'golden');
  return readdirSync(dir)
    .filter((f) => f.startsWith('codex-') && f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, body: (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { input: Record<string, unknown> }).input }));
}

/** Every path (as key lists) to a value inside `v`, the root excluded; visits at most `max` values. */
export function pathsOf(v: unknown, max = 50_000): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const walk = (x: unknown, path: Array<string | number>) => {
    if (out.length >= max || typeof x !== 'object' || x === null) return;
    const entries: Array<[string | number, unknown]> = Array.isArray(x) ? x.map((y, i) => [i, y]) : Object.entries(x);
    for (const [k, y] of entries) {
      const p = [...path, k];
      out.push(p);
      walk(y, p);
    }
  };
  walk(v, []);
  return out;
}

/** A deep copy of `body` (JSON round trip) with the value at `path` replaced by `value`. */
export function replaceAt(body: Record<string, unknown>, path: ReadonlyArray<string | number>, value: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  let o: any = copy;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]];
  Object.defineProperty(o, path[path.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/**
 * JSON text of `root` without recursion (so 100,000 nesting levels serialise), written the way a hostile
 * client would: Infinity as `1e309` (JSON.parse reads it back as Infinity), NaN and undefined as null, own
 * `__proto__` keys as ordinary keys.
 */
export function toJsonText(root: unknown): string {
  type Frame = { v: unknown[] | Record<string, unknown>; keys: string[] | null; i: number };
  const stack: Frame[] = [];
  let out = '';
  const emit = (x: unknown) => {
    if (Array.isArray(x)) {
      out += '[';
      stack.push({ v: x, keys: null, i: 0 });
    } else if (typeof x === 'object' && x !== null) {
      out += '{';
      stack.push({ v: x as Record<string, unknown>, keys: Object.keys(x), i: 0 });
    } else if (typeof x === 'number') {
      out += Number.isFinite(x) ? JSON.stringify(x) : Number.isNaN(x) ? 'null' : x > 0 ? '1e309' : '-1e309';
    } else if (typeof x === 'string' || typeof x === 'boolean') {
      out += JSON.stringify(x);
    } else {
      out += 'null';
    }
  };
  emit(root);
  while (stack.length) {
    const f = stack[stack.length - 1];
    const n = f.keys ? f.keys.length : (f.v as unknown[]).length;
    if (f.i >= n) {
      out += f.keys ? '}' : ']';
      stack.pop();
      continue;
    }
    if (f.i > 0) out += ',';
    let x: unknown;
    if (f.keys) {
      const k = f.keys[f.i];
      out += `${JSON.stringify(k)}:`;
      x = (f.v as Record<string, unknown>)[k];
    } else x = (f.v as unknown[])[f.i];
    f.i++;
    emit(x);
  }
  return out;
}

/* ------------------------------------------------------------------------------------------------
 * Upstream answers of the Responses and Anthropic Messages wires (the registry fuzz, test/unit/wires/registry-fuzz.test.ts)
 * ---------------------------------------------------------------------------------------------- */

const RESPONSES_EVENT_TYPES = [
  'response.created', 'response.in_progress', 'response.output_item.added', 'response.output_item.done', 'response.content_part.added',
  'response.content_part.done', 'response.output_text.delta', 'response.output_text.done', 'response.refusal.delta',
  'response.reasoning_summary_text.delta', 'response.reasoning_text.delta', 'response.function_call_arguments.delta',
  'response.function_call_arguments.done', 'response.completed', 'response.incomplete', 'response.failed', 'error', 'response.queued',
] as const;

/** An output item of a Responses answer (message, reasoning, function call, hosted tool), often well-formed. */
function responsesOutputItem(h: number): fc.Arbitrary<unknown> {
  return partial({
    type: maybe(h, fc.constantFrom('message', 'reasoning', 'function_call', 'web_search_call', 'custom_tool_call')),
    id: maybe(h, fc.constantFrom('msg_1', 'rs_1', 'fc_1', 'fc_2', '')),
    call_id: maybe(h, fc.constantFrom('call_a', 'call_b', '')),
    name: maybe(h, fc.constantFrom('exec_command', 'apply_patch', 'tool_search', 'ns__close_agent', 'unknown')),
    arguments: maybe(h, fc.constantFrom('{}', '{"cmd":"ls"}', '{"input":"x"}', 'raw', '')),
    status: maybe(h, fc.constantFrom('completed', 'in_progress', 'incomplete')),
    content: maybe(h, fc.array(partial({ type: maybe(h, fc.constantFrom('output_text', 'refusal', 'reasoning_text')), text: maybe(h, shortText), refusal: maybe(h, shortText) }), { maxLength: 2 })),
    summary: maybe(h, fc.array(partial({ type: maybe(h, fc.constant('summary_text')), text: maybe(h, shortText) }), { maxLength: 2 })),
  });
}

/** Token usage in the Responses API's names, often well-formed. */
function responsesUsage(h: number): fc.Arbitrary<unknown> {
  return partial({
    input_tokens: maybe(h, fc.nat()),
    output_tokens: maybe(h, fc.nat()),
    total_tokens: maybe(h, fc.nat()),
    input_tokens_details: maybe(h, partial({ cached_tokens: maybe(h, fc.nat()), cache_write_tokens: maybe(h, fc.nat()) })),
    output_tokens_details: maybe(h, partial({ reasoning_tokens: maybe(h, fc.nat()) })),
  });
}

/** A whole Responses API `response` object (or a hostile stand-in), as an upstream might answer; `h` as for {@link responsesRequest}. */
export function responsesAnswer(h = 1): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: partial({
        id: maybe(h, fc.constant('resp_up')),
        object: maybe(h, fc.constant('response')),
        status: maybe(h, fc.constantFrom('completed', 'incomplete', 'failed', 'in_progress')),
        output: maybe(h, fc.array(responsesOutputItem(h), { maxLength: 4 })),
        usage: maybe(h, responsesUsage(h)),
        incomplete_details: maybe(h, partial({ reason: maybe(h, fc.constantFrom('max_output_tokens', 'content_filter')) })),
        error: maybe(h, partial({ code: maybe(h, fc.constantFrom('server_error', 'rate_limit_exceeded', 'context_length_exceeded')), message: maybe(h, shortText) })),
      }),
    },
    { weight: 1, arbitrary: hostileJson(4) },
  );
}

/** A streamed Responses API event (or a hostile stand-in), as an upstream might send it; `h` as for {@link responsesRequest}. */
export function responsesStreamEvent(h = 1): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: partial({
        type: maybe(h, fc.constantFrom(...RESPONSES_EVENT_TYPES)),
        sequence_number: maybe(h, fc.nat(50)),
        item_id: maybe(h, fc.constantFrom('msg_1', 'rs_1', 'fc_1', 'fc_2')),
        output_index: maybe(h, fc.nat(3)),
        content_index: maybe(h, fc.nat(2)),
        summary_index: maybe(h, fc.nat(2)),
        delta: maybe(h, fc.oneof(shortText, fc.constantFrom('{"', 'cmd": "', 'ls"}'))),
        arguments: maybe(h, fc.constantFrom('{}', '{"cmd":"ls"}', 'raw')),
        item: maybe(h, responsesOutputItem(h)),
        response: maybe(h, responsesAnswer(h)),
        code: maybe(h, fc.constantFrom('server_error', 'rate_limit_exceeded')),
        message: maybe(h, shortText),
      }),
    },
    { weight: 1, arbitrary: hostileJson(4) },
  );
}

const MESSAGES_EVENT_TYPES = ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error', 'message'] as const;

/** A content block of an Anthropic answer (text, thinking, redacted thinking, tool use, server tools), often well-formed. */
function messagesBlock(h: number): fc.Arbitrary<unknown> {
  return partial({
    type: maybe(h, fc.constantFrom('text', 'thinking', 'redacted_thinking', 'tool_use', 'server_tool_use', 'web_search_tool_result')),
    text: maybe(h, shortText),
    thinking: maybe(h, shortText),
    signature: maybe(h, fc.constantFrom('c2ln', 'EqQBCkYIBxgCKkA=', '')),
    data: maybe(h, fc.constantFrom('ZGF0YQ==', '')),
    id: maybe(h, fc.constantFrom('toolu_a', 'toolu_b', 'srvtoolu_1', '')),
    name: maybe(h, fc.constantFrom('exec_command', 'apply_patch', 'tool_search', 'ns__close_agent', 'web_search', 'unknown')),
    input: maybe(h, fc.oneof(fc.constant({}), fc.constant({ cmd: 'ls' }), fc.constant({ input: 'x' }), hostileJson(2))),
  });
}

/** Anthropic usage (tokens), often well-formed. */
function messagesUsageArb(h: number): fc.Arbitrary<unknown> {
  return partial({
    input_tokens: maybe(h, fc.nat()),
    output_tokens: maybe(h, fc.nat()),
    cache_creation_input_tokens: maybe(h, fc.oneof(fc.nat(), fc.constant(null))),
    cache_read_input_tokens: maybe(h, fc.oneof(fc.nat(), fc.constant(null))),
  });
}

/** A whole Anthropic Messages `message` (or a hostile stand-in), as an upstream might answer; `h` as for {@link responsesRequest}. */
export function messagesAnswer(h = 1): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: partial({
        id: maybe(h, fc.constant('msg_up')),
        type: maybe(h, fc.constant('message')),
        role: maybe(h, fc.constant('assistant')),
        content: maybe(h, fc.array(messagesBlock(h), { maxLength: 5 })),
        stop_reason: maybe(h, fc.constantFrom('end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'refusal', 'pause_turn', 'model_context_window_exceeded', null)),
        usage: maybe(h, messagesUsageArb(h)),
      }),
    },
    { weight: 1, arbitrary: hostileJson(4) },
  );
}

/** A streamed Anthropic Messages event (or a hostile stand-in), as an upstream might send it; `h` as for {@link responsesRequest}. */
export function messagesStreamEvent(h = 1): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: partial({
        type: maybe(h, fc.constantFrom(...MESSAGES_EVENT_TYPES)),
        index: maybe(h, fc.nat(4)),
        message: maybe(h, messagesAnswer(h)),
        content_block: maybe(h, messagesBlock(h)),
        delta: maybe(
          h,
          partial({
            type: maybe(h, fc.constantFrom('text_delta', 'thinking_delta', 'signature_delta', 'input_json_delta', 'citations_delta')),
            text: maybe(h, shortText),
            thinking: maybe(h, shortText),
            signature: maybe(h, fc.constantFrom('c2ln', '')),
            partial_json: maybe(h, fc.constantFrom('', '{"', 'cmd": "', 'ls"}', '{"input": "a\\', 'u00e9"}')),
            stop_reason: maybe(h, fc.constantFrom('end_turn', 'tool_use', 'max_tokens', 'refusal', 'pause_turn', null)),
          }),
        ),
        usage: maybe(h, messagesUsageArb(h)),
        error: maybe(h, partial({ type: maybe(h, fc.constantFrom('overloaded_error', 'api_error', 'rate_limit_error', 'invalid_request_error')), message: maybe(h, shortText) })),
      }),
    },
    { weight: 1, arbitrary: hostileJson(4) },
  );
}

/**
 * A well-formed `POST /v1/chat/completions` body (a conversation a Chat client would send): system /
 * developer, user (text or parts), assistant turns with text and parallel tool calls each answered by a
 * `tool` message, and settings; `h` (as for {@link chatRequest}) makes some values hostile. Where
 * {@link chatRequest} mostly probes the door's refusals, this one mostly reaches the upstream builders.
 */
export function chatConversation(h = 0): fc.Arbitrary<Record<string, unknown>> {
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('hi', ' ', 'ünï ✓', 'ends with space '));
  const fnName = fc.constantFrom('exec_command', 'read_file', 'get_weather');
  const turn = fc.oneof(
    fc.record({ role: fc.constantFrom('system', 'developer'), content: maybe(h, text) }),
    fc.record({ role: fc.constant('user'), content: maybe(h, fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { minLength: 1, maxLength: 2 }))) }),
    fc
      .record({
        content: fc.option(text, { nil: null }),
        calls: fc.array(fc.record({ name: fnName, arguments: maybe(h, fc.constantFrom('{}', '{"cmd":"ls"}', '{"city":"Paris"}', '{"cmd": "tru')), output: text }), { maxLength: 3 }),
      })
      .map(({ content, calls }) => ({ content, calls })),
  );
  return fc
    .tuple(
      fc.array(turn, { minLength: 0, maxLength: 6 }),
      partial({
        stream: fc.boolean(),
        max_tokens: maybe(h, fc.integer({ min: 1, max: 40_000 })),
        temperature: maybe(h, fc.double({ min: 0, max: 1, noNaN: true })),
        top_p: maybe(h, fc.double({ min: 0, max: 1, noNaN: true })),
        reasoning_effort: maybe(h, fc.constantFrom('minimal', 'low', 'medium', 'high', 'none')),
        tool_choice: maybe(h, fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.constant({ type: 'function', function: { name: 'read_file' } }))),
        parallel_tool_calls: maybe(h, fc.boolean()),
        stop: maybe(h, fc.oneof(text, fc.array(text, { maxLength: 2 }))),
        user: maybe(h, text),
        response_format: maybe(h, fc.constantFrom({ type: 'text' }, { type: 'json_object' }, { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } })),
      }),
      fc.boolean(),
    )
    .map(([turns, settings, withTools]) => {
      let n = 0;
      const messages: unknown[] = [{ role: 'user', content: 'Start.' }];
      for (const t of turns) {
        if (!('calls' in t)) {
          messages.push(t);
          continue;
        }
        const calls = withTools ? t.calls.map((c) => ({ ...c, id: `call_${n++}` })) : [];
        const m: Record<string, unknown> = { role: 'assistant', content: t.content ?? (calls.length ? null : '') };
        if (calls.length) m.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
        messages.push(m);
        for (const c of calls) messages.push({ role: 'tool', tool_call_id: c.id, content: c.output });
      }
      const body: Record<string, unknown> = { model: 'm', messages, ...settings };
      if (withTools) {
        body.tools = ['exec_command', 'read_file', 'get_weather'].map((name) => ({ type: 'function', function: { name, description: `${name}.`, parameters: { type: 'object', properties: {} } } }));
      } else {
        delete body.tool_choice;
        delete body.parallel_tool_calls;
      }
      return body;
    });
}

/**
 * A `POST /v1/messages` body (Anthropic Messages, what a Claude client sends): mostly the right shape, any
 * field possibly hostile (`h` as for {@link responsesRequest}; 0 gives well-formed bodies).
 */
export function messagesRequest(h = 1): fc.Arbitrary<Record<string, unknown>> {
  const block = partial({
    type: maybe(h, fc.constantFrom('text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'server_tool_use')),
    text: maybe(h, shortText),
    id: maybe(h, fc.constantFrom('toolu_1', 'toolu_2', '')),
    tool_use_id: maybe(h, fc.constantFrom('toolu_1', 'toolu_2', 'toolu_x')),
    name: maybe(h, fc.constantFrom('exec_command', 'read_file', 'a!')),
    input: maybe(h, fc.constantFrom({}, { cmd: 'ls' })),
    content: maybe(h, fc.oneof(shortText, fc.array(partial({ type: maybe(h, fc.constant('text')), text: maybe(h, shortText) }), { maxLength: 2 }))),
    is_error: maybe(h, fc.boolean()),
    thinking: maybe(h, shortText),
    signature: maybe(h, fc.constantFrom('c2ln', '')),
    data: maybe(h, fc.constantFrom('ZGF0YQ==')),
    source: maybe(h, fc.constantFrom({ type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' }, { type: 'url', url: 'https://example.invalid/x.png' })),
    cache_control: maybe(h, fc.constant({ type: 'ephemeral' })),
  });
  const message = partial({
    role: maybe(h, fc.constantFrom('user', 'assistant')),
    content: maybe(h, fc.oneof(shortText, fc.array(block, { maxLength: 3 }))),
  }, ['role', 'content']);
  return partial({
    model: mix(h, fc.constantFrom('m', 'default'), fc.constantFrom(undefined, 'x\ny', 5)),
    max_tokens: maybe(h, fc.integer({ min: 1, max: 64_000 })),
    messages: mix(h, fc.array(message, { minLength: 1, maxLength: 5 }), hostileJson(3)),
    system: maybe(h, fc.oneof(shortText, fc.array(partial({ type: maybe(h, fc.constant('text')), text: maybe(h, shortText) }), { maxLength: 2 }))),
    stream: maybe(h, fc.boolean()),
    temperature: maybe(h, fc.double({ min: 0, max: 1, noNaN: true })),
    top_p: maybe(h, fc.double({ min: 0, max: 1, noNaN: true })),
    top_k: maybe(h, fc.integer({ min: 1, max: 500 })),
    stop_sequences: maybe(h, fc.array(shortText, { maxLength: 2 })),
    tools: maybe(h, fc.array(partial({ name: maybe(h, fc.constantFrom('exec_command', 'read_file', 'a!')), description: maybe(h, shortText), input_schema: maybe(h, fc.constant({ type: 'object', properties: {} })) }), { maxLength: 3 })),
    tool_choice: maybe(h, partial({ type: maybe(h, fc.constantFrom('auto', 'any', 'tool', 'none')), name: maybe(h, fc.constantFrom('exec_command', 'x')), disable_parallel_tool_use: maybe(h, fc.boolean()) })),
    thinking: maybe(h, fc.constantFrom({ type: 'enabled', budget_tokens: 2048 }, { type: 'disabled' }, { type: 'adaptive' })),
    metadata: maybe(h, partial({ user_id: maybe(h, shortText) })),
  }, ['model', 'messages']);
}
