/**
 * Reads the plain scalars of a config as LiteLLM reads them. LiteLLM loads `config.yaml` with PyYAML,
 * whose resolver follows YAML 1.1: `20_000` is the integer 20000, `yes`/`no`/`on`/`off` are booleans,
 * `0755` is octal (493) and `1:30` is sexagesimal (90). A YAML 1.2 reader (ours by default, and most
 * editors) reads the first three as strings and `0755` as 755.
 *
 * How it works: the text is parsed twice by the `yaml` library, once with its YAML 1.2 core schema and once
 * with its YAML 1.1 schema whose resolver patterns are narrowed to PyYAML's (PyYAML 6 `resolver.py`: no
 * `y`/`n` booleans, a float needs a dot and a signed exponent, `0o755` and `09` stay strings). Both parses
 * share one structure (only scalar resolution differs), so they are walked side by side; where a plain
 * scalar resolves differently:
 * - a field the config schema types as text (`model_name`, `model`, `api_base`, `api_version`, header
 *   values, aliases, map keys) keeps the text the user wrote, so a model called `no` or a version `1:30`
 *   stays as written;
 * - every other field (numbers, booleans, and request-body parameters the schema does not know) takes the
 *   YAML 1.1 value, as LiteLLM would send it.
 * Each such scalar produces one warning naming the path, both readings and how to make it unambiguous.
 * YAML 1.1 timestamps (`2024-10-21`) are never turned into dates: the text is kept.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Scalar, type Tags } from 'yaml';
import type { z } from 'zod';
import { formatPath, type Segment } from './path';
import { rawConfigSchema } from './schema';

const BOOL = 'tag:yaml.org,2002:bool';
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';

/** PyYAML 6 implicit resolvers (yaml/resolver.py), split the way the `yaml` library splits its tags. */
const PYYAML = {
  true: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  false: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  int: /^[-+]?(?:0|[1-9][0-9_]*)$/,
  intTime: /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/,
  floatExp: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|\.[0-9][0-9_]*[eE][-+][0-9]+)$/,
  float: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/,
  floatTime: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
} as const;

/** The `yaml` library's YAML 1.1 tags with PyYAML's resolver patterns (see the module notes). */
function pyyamlTags(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== 'object' || !('test' in t) || !t.test) return t;
    const { tag, format } = t as { tag: string; format?: string };
    const src = t.test.source;
    let test: RegExp | undefined;
    if (tag === BOOL) test = t.identify?.(true) ? PYYAML.true : PYYAML.false;
    else if (tag === INT && format === 'TIME') test = PYYAML.intTime;
    else if (tag === INT && format === undefined) test = PYYAML.int;
    else if (tag === FLOAT && format === 'TIME') test = PYYAML.floatTime;
    else if (tag === FLOAT && format === 'EXP') test = PYYAML.floatExp;
    else if (tag === FLOAT && format === undefined && !src.includes('inf')) test = PYYAML.float;
    return test ? { ...t, test } : t;
  });
}

/** Strips optional / nullable / default wrappers of a zod schema. */
function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  let cur = s as { _zod: { def: { type: string; innerType?: z.ZodType } } } | undefined;
  while (cur && (cur._zod.def.type === 'optional' || cur._zod.def.type === 'nullable' || cur._zod.def.type === 'default')) cur = cur._zod.def.innerType as never;
  return cur as z.ZodType | undefined;
}

/** The schema of the value at `path` in the config, or undefined where the schema does not describe it. */
function schemaAt(path: readonly Segment[]): z.ZodType | undefined {
  return walk(unwrap(rawConfigSchema), path);
}

function walk(s: z.ZodType | undefined, path: readonly Segment[]): z.ZodType | undefined {
  if (path.length === 0 || !s) return s;
  const [seg, ...rest] = path;
  const def = (s as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'object': {
      if (typeof seg !== 'string') return undefined;
      const shape = def.shape as Record<string, z.ZodType>;
      return Object.hasOwn(shape, seg) ? walk(unwrap(shape[seg]), rest) : undefined;
    }
    case 'array':
      return typeof seg === 'number' ? walk(unwrap(def.element as z.ZodType), rest) : undefined;
    case 'record':
      return typeof seg === 'string' ? walk(unwrap(def.valueType as z.ZodType), rest) : undefined;
    case 'union': {
      for (const o of def.options as z.ZodType[]) {
        const r = walk(unwrap(o), path);
        if (r) return r;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Whether the schema at `path` accepts a string (a text field). */
function isTextField(path: readonly Segment[]): boolean {
  const s = schemaAt(path);
  if (!s) return false;
  const accepts = (x: z.ZodType | undefined): boolean => {
    const def = (unwrap(x) as unknown as { _zod: { def: Record<string, unknown> & { type: string } } } | undefined)?._zod.def;
    if (!def) return false;
    if (def.type === 'string' || def.type === 'enum') return true;
    if (def.type === 'union') return (def.options as z.ZodType[]).some(accepts);
    return false;
  };
  return accepts(s);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Keys whose value is a credential (`api_key`, `master_key`, `aws_secret_access_key`, `*_token`, ...): never echoed. */
const SECRET_KEY = /(?:^|_)(?:key|secret|token|password|credentials)(?:_|$)/i;

/** Whether the scalar at `path` is a credential, by its key (the last string segment). */
function isSecretPath(path: readonly Segment[]): boolean {
  const key = [...path].reverse().find((s): s is string => typeof s === 'string');
  return key !== undefined && SECRET_KEY.test(key);
}

/** How a value is named in a warning about a credential: its type only. */
function kindOf(v: unknown): string {
  return typeof v === 'string' ? 'text' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : 'another value';
}

/**
 * Walks the YAML 1.2 and YAML 1.1 parses of one text side by side and replaces, in `doc12`, each plain
 * scalar whose YAML 1.1 (PyYAML) value differs, following the rules in the module notes.
 * @param warn receives one message per differing scalar (path, both readings, what to write instead).
 */
function reconcile(n12: unknown, n11: unknown, path: Segment[], warn: (msg: string) => void): void {
  if (isAlias(n12)) return;
  if (isMap(n12) && isMap(n11)) {
    n12.items.forEach((p, i) => {
      const p11 = n11.items[i];
      if (!p11) return;
      const key = isScalar(p.key) ? String(p.key.value) : '?';
      reconcile(p.value, p11.value, [...path, key], warn);
    });
    return;
  }
  if (isSeq(n12) && isSeq(n11)) {
    n12.items.forEach((item, i) => reconcile(item, n11.items[i], [...path, i], warn));
    return;
  }
  if (!isScalar(n12) || !isScalar(n11) || n12.type !== 'PLAIN') return;
  const v12 = n12.value;
  const v11 = n11.value;
  if (Object.is(v12, v11) || v11 instanceof Date || (typeof v11 === 'number' && Number.isNaN(v11) && typeof v12 === 'number' && Number.isNaN(v12))) return;
  const src = n12.source ?? String(v12);
  const where = formatPath(path);
  // A credential's value never goes into a warning (warnings are logged and shown): only its path and types.
  const secret = isSecretPath(path);
  if (isTextField(path)) {
    const text = typeof v12 === 'string' ? v12 : src;
    (n12 as Scalar).value = text;
    warn(
      secret
        ? `${where}: the value is kept as the text you wrote, but YAML readers disagree on it (LiteLLM's PyYAML, YAML 1.1, reads ${kindOf(v11)}; YAML 1.2 tools read ${kindOf(v12)}). Put it in quotes so every tool reads the same.`
        : `${where}: ${src} is read as the text ${JSON.stringify(text)}; LiteLLM (PyYAML, YAML 1.1) reads it as ${show(v11)}. Quote it ("${src}") so every tool reads the same.`,
    );
    return;
  }
  (n12 as Scalar).value = v11;
  warn(
    secret
      ? `${where}: the value is read as ${kindOf(v11)}, as LiteLLM's PyYAML (YAML 1.1) reads it; YAML 1.2 tools read ${kindOf(v12)}${typeof v11 === typeof v12 ? ' with another value' : ''}. Put it in quotes if it is meant as text.`
      : `${where}: ${src} is read as ${show(v11)}, as LiteLLM (PyYAML, YAML 1.1) reads it; YAML 1.2 tools read ${show(v12)}. Write ${typeof v11 === 'number' ? String(v11) : show(v11)} to mean the same everywhere.`,
  );
}

/**
 * Applies LiteLLM's (PyYAML's) reading of plain scalars to a parsed YAML 1.2 document, in place.
 * @param doc12 the document as parsed with the YAML 1.2 core schema (must have no errors).
 * @param text the same source text (parsed again with PyYAML's YAML 1.1 resolver).
 * @param warn receives one message per scalar read differently (see the module notes).
 */
export function applyYaml11Scalars(doc12: Document, text: string, warn: (msg: string) => void): void {
  const doc11 = parseDocument(text, { version: '1.1', customTags: pyyamlTags, merge: true, uniqueKeys: false, prettyErrors: false });
  if (doc11.errors.length > 0) return;
  reconcile(doc12.contents, doc11.contents, [], warn);
}
