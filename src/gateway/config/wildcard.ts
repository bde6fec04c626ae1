/**
 * LiteLLM's wildcard routing ("Provider specific Wildcard routing", docs.litellm.ai/docs/wildcard_routing;
 * code: litellm/router_utils/pattern_match_deployments.py, `PatternMatchRouter`), as pure functions:
 * - a `model_name` containing `*` is a pattern; each `*` matches any text (possibly empty);
 * - a requested name that is no exact alias goes to the most specific matching pattern: patterns are tried
 *   by the length of their regex, longest first, then by their number of regex special characters (LiteLLM's
 *   `PatternUtils.calculate_pattern_specificity`), so `openai/gpt-*` wins over `openai/*`, which wins over `*`;
 * - the deployment's `litellm_params.model` gets each `*` replaced, in order, by the text the pattern's `*`s
 *   matched (`set_deployment_model_name`): `model_name: openai/*` + `model: openai/*` turns a request for
 *   `openai/gpt-5.5` into `openai/gpt-5.5`; `model_name: *` + `model: openai/*` turns `gpt-5.5` into
 *   `openai/gpt-5.5`. A model without `*` is used as written; when the pattern has more `*`s than the model,
 *   the requested name itself is used.
 * One difference: LiteLLM's `re.match` anchors only at the start (`*-mini` would also match `x-mini-2`); here
 * a pattern must match the whole name, which is what a `*` at the end already gives.
 */

/** Regex special characters LiteLLM counts as a pattern's "complexity" (tie-breaker of specificity). */
const COMPLEXITY_CHARS = ['*', '+', '?', '\\', '^', '$', '|', '(', ')'];

/** Longest requested name a wildcard route accepts (characters). */
export const MAX_WILDCARD_NAME = 256;

/** Whether a `model_name` is a wildcard pattern. */
export function isWildcard(name: string): boolean {
  return name.includes('*');
}

/**
 * The pattern as LiteLLM writes its regex, without anchors: Python's `re.escape` (a backslash before each of
 * `()[]{}?*+-|^$\\.&~#` and whitespace), then `\*` -> `(.*)`. The same text is a valid JavaScript regex
 * (identity escapes), and its length is what LiteLLM's specificity compares.
 */
function regexSource(pattern: string): string {
  return pattern.replace(/[()[\]{}?*+\-|^$\\.&~#\s]/g, '\\$&').replaceAll('\\*', '(.*)');
}

/** A compiled pattern. */
export interface CompiledPattern {
  /** `model_name` as written. */
  pattern: string;
  /** Anchored regex; one capture group per `*`. */
  regex: RegExp;
  /** LiteLLM's specificity: [regex length, count of regex special characters]; larger is more specific. */
  specificity: [number, number];
}

/** Compiles a `model_name` pattern (see the module notes). */
export function compilePattern(pattern: string): CompiledPattern {
  const src = regexSource(pattern);
  let complexity = 0;
  for (const ch of COMPLEXITY_CHARS) complexity += src.split(ch).length - 1;
  return { pattern, regex: new RegExp(`^${src}$`, 's'), specificity: [src.length, complexity] };
}

/**
 * Sorts patterns most specific first (LiteLLM's order); stable, so equal patterns keep model_list order.
 * @returns a new array.
 */
export function sortBySpecificity<T extends { specificity: [number, number] }>(patterns: readonly T[]): T[] {
  return [...patterns].sort((a, b) => b.specificity[0] - a.specificity[0] || b.specificity[1] - a.specificity[1]);
}

/**
 * Whether a requested name may go through a wildcard at all: 1 to {@link MAX_WILDCARD_NAME} printable ASCII
 * characters without spaces (it becomes part of an upstream request, of log lines and of response headers).
 */
export function acceptableName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_WILDCARD_NAME && /^[\x21-\x7e]+$/.test(name);
}

/**
 * The first pattern of `sorted` matching `name` with what its `*`s matched, or undefined.
 * @param sorted patterns in the order of {@link sortBySpecificity}.
 */
export function matchPattern<T extends CompiledPattern>(sorted: readonly T[], name: string): { route: T; captures: string[] } | undefined {
  if (!acceptableName(name)) return undefined;
  for (const route of sorted) {
    const m = route.regex.exec(name);
    if (m) return { route, captures: m.slice(1) };
  }
  return undefined;
}

/**
 * `litellm_params.model` for a matched request (LiteLLM's `set_deployment_model_name`).
 * @param model `litellm_params.model` as written, e.g. `openai/*`.
 * @param captures what the pattern's `*`s matched, in order.
 * @param requested the requested model name.
 */
export function substituteModel(model: string, captures: readonly string[], requested: string): string {
  if (!model.includes('*')) return model;
  const stars = model.split('*').length - 1;
  if (captures.length > stars) return requested;
  let out = model;
  for (const c of captures) out = out.replace('*', () => c);
  return out;
}
