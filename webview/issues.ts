/**
 * Maps the engine's config issues (`{path: 'model_list[2].litellm_params.model', message}`, from `resolveConfig`
 * through `PanelBackend.validate`) to the panel's fields, so each error is shown next to the field it is about.
 * Pure functions, unit-tested directly.
 */
import { formatPath, type Segment } from '../src/gateway/config/path';
import type { ConfigIssue } from '../src/shared/panel-protocol';

export { formatPath, type Segment };

/** Prefix the extension adds to issue paths of `codexGateway.config` (settings.ts `resolveSettingsConfig`). */
const SETTINGS_PREFIX = 'codexGateway.config';

/**
 * Parses a path as the engine formats it: `a.b[2]["odd key"].c` -> `['a', 'b', 2, 'odd key', 'c']`. A leading
 * `codexGateway.config.` is dropped; `(root)` and `''` give `[]`. Unparseable rest is kept as one key.
 */
export function parsePath(path: string): Segment[] {
  let p = path.trim();
  if (p === SETTINGS_PREFIX || p === '(root)') return [];
  if (p.startsWith(`${SETTINGS_PREFIX}.`)) p = p.slice(SETTINGS_PREFIX.length + 1);
  else if (p.startsWith(`${SETTINGS_PREFIX}[`)) p = p.slice(SETTINGS_PREFIX.length);
  const out: Segment[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === '.') {
      i++;
    } else if (c === '[') {
      if (p[i + 1] === '"') {
        // JSON string key: find the closing quote not escaped.
        let j = i + 2;
        while (j < p.length && !(p[j] === '"' && p[j - 1] !== '\\')) j++;
        try {
          out.push(JSON.parse(p.slice(i + 1, j + 1)) as string);
        } catch {
          out.push(p.slice(i + 2, j));
        }
        i = j + 2;
      } else {
        const j = p.indexOf(']', i);
        const inner = p.slice(i + 1, j === -1 ? undefined : j);
        out.push(/^\d+$/.test(inner) ? Number(inner) : inner);
        i = j === -1 ? p.length : j + 1;
      }
    } else {
      let j = i;
      while (j < p.length && p[j] !== '.' && p[j] !== '[') j++;
      out.push(p.slice(i, j));
      i = j;
    }
  }
  return out;
}


/** The field key of a fallback chain: `fallbacks:<alias>`. */
export function chainField(alias: string): string {
  return `fallbacks:${alias}`;
}

/**
 * For an issue inside a fallbacks section (`fallbacks`, `litellm_settings.fallbacks`, `router_settings.fallbacks`,
 * list or map form), the alias whose chain it is about; undefined otherwise.
 */
export function fallbackAliasOf(segments: readonly Segment[]): string | undefined {
  const at = segments.indexOf('fallbacks');
  if (at === -1 || at > 1) return undefined;
  if (at === 1 && segments[0] !== 'router_settings' && segments[0] !== 'litellm_settings') return undefined;
  let k = at + 1;
  if (typeof segments[k] === 'number') k++;
  const alias = segments[k];
  return typeof alias === 'string' ? alias : undefined;
}

/** Issues placed on fields, and the rest. */
export interface AssignedIssues {
  /** Field key -> messages, for fields the panel renders. */
  byField: Record<string, string[]>;
  /** Issues that belong to no rendered field (shown in the panel's issue list, with their paths). */
  other: ConfigIssue[];
}

/**
 * Places each issue on the most specific rendered field: a field whose path is a prefix of the issue's path
 * (segment-wise; the longest wins), or the chain field `fallbacks:<alias>` for issues inside fallbacks.
 * Field keys are paths as {@link formatPath} writes them (`model_list[2].litellm_params.model`).
 * @param fields the field keys the panel renders now.
 */
export function assignIssues(issues: readonly ConfigIssue[], fields: Iterable<string>): AssignedIssues {
  const parsed = [...new Set(fields)].map((f) => ({ key: f, segs: f.startsWith('fallbacks:') ? undefined : parsePath(f) }));
  const fieldSet = new Set(parsed.map((f) => f.key));
  const byField: Record<string, string[]> = {};
  const other: ConfigIssue[] = [];
  const put = (key: string, message: string) => (byField[key] ??= []).push(message);
  for (const issue of issues) {
    const segs = parsePath(issue.path);
    const alias = fallbackAliasOf(segs);
    if (alias !== undefined && fieldSet.has(chainField(alias))) {
      put(chainField(alias), issue.message);
      continue;
    }
    let best: { key: string; len: number } | undefined;
    for (const f of parsed) {
      if (!f.segs || f.segs.length > segs.length || f.segs.length === 0) continue;
      if (f.segs.every((s, i) => s === segs[i]) && (!best || f.segs.length > best.len)) best = { key: f.key, len: f.segs.length };
    }
    if (best) put(best.key, issue.message);
    else other.push({ path: formatPath(segs), message: issue.message });
  }
  return { byField, other };
}

/** How many issues are at or under `prefix` (e.g. all of `model_list[2]`, for the table row's error mark). */
export function countUnder(issues: readonly ConfigIssue[], prefix: string): number {
  const pre = parsePath(prefix);
  return issues.filter((i) => {
    const s = parsePath(i.path);
    return pre.length <= s.length && pre.every((x, k) => x === s[k]);
  }).length;
}
