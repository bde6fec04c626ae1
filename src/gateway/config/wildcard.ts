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
 *   the requested name itself is used. Unlike LiteLLM, so does a model with more `*`s than the pattern (LiteLLM
 *   leaves the extra `*`s in the model name), and a requested name may not contain `*` itself (in LiteLLM a
 *   `*` in a captured text is replaced again by the next capture): the substituted model never has a `*`.
 * One difference: LiteLLM's `re.match` anchors only at the start (`*-mini` would also match `x-mini-2`); here
 * a pattern must match the whole name, which is what a `*` at the end already gives.
 * Matching does not run the regex ({@link patternCaptures}): an `(.*)` regex with k stars backtracks in
 * O(n^k) on a name that almost matches (`*-*-*-*-*-x` against 256 dashes: over a minute with the event loop
 * blocked), while the captures it gives can be found in linear passes.
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
  /**
   * Anchored regex; one capture group per `*`. For display and specificity only: match with
   * {@link patternCaptures} / {@link matchPattern}, never with this regex (it backtracks exponentially).
   */
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
 * characters without spaces and without `*` (it becomes part of an upstream request, of log lines and of
 * response headers; a `*` would name a pattern, not a model).
 */
export function acceptableName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_WILDCARD_NAME && /^[\x21-\x29\x2b-\x7e]+$/.test(name);
}

/**
 * What each `*` of `pattern` matched when `pattern` matches the whole of `name`, else undefined (`[]` for a
 * pattern without `*` equal to the name). The captures are those of the anchored regex `^…(.*)…$` (greedy:
 * an earlier `*` takes as much as it can, as Python's `re` gives LiteLLM), found without backtracking: the
 * literal pieces between the `*`s are placed from the right, each as far right as it fits, which is where
 * greedy stars leave them. Costs O(pieces x name length) whatever the name.
 */
export function patternCaptures(pattern: string, name: string): string[] | undefined {
  const pieces = pattern.split('*');
  const k = pieces.length - 1;
  if (k === 0) return pattern === name ? [] : undefined;
  const head = pieces[0]!;
  const tail = pieces[k]!;
  if (name.length < head.length + tail.length || !name.startsWith(head) || !name.endsWith(tail)) return undefined;
  // starts[i]: where piece i begins; the tail sits at the end, each middle piece as far right as it fits.
  const starts = new Array<number>(k + 1);
  starts[0] = 0;
  starts[k] = name.length - tail.length;
  for (let i = k - 1; i >= 1; i--) {
    const piece = pieces[i]!;
    const from = starts[i + 1]! - piece.length;
    if (from < head.length) return undefined;
    const at = name.lastIndexOf(piece, from);
    if (at < head.length) return undefined;
    starts[i] = at;
  }
  const captures: string[] = [];
  for (let i = 0; i < k; i++) captures.push(name.slice(starts[i]! + pieces[i]!.length, starts[i + 1]));
  return captures;
}

/**
 * The first pattern of `sorted` matching `name` with what its `*`s matched, or undefined.
 * @param sorted patterns in the order of {@link sortBySpecificity}.
 */
export function matchPattern<T extends CompiledPattern>(sorted: readonly T[], name: string): { route: T; captures: string[] } | undefined {
  if (!acceptableName(name)) return undefined;
  for (const route of sorted) {
    const captures = patternCaptures(route.pattern, name);
    if (captures) return { route, captures };
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
  if (captures.length !== stars) return requested;
  let out = model;
  for (const c of captures) out = out.replace('*', () => c);
  return out;
}
