/**
 * Config paths as the engine prints them in errors (`model_list[2].litellm_params.model`). A module of its
 * own, with no dependencies, so the settings webview can format paths exactly like the engine.
 */

/** One step of a path: an object key or an array index. */
export type Segment = string | number;

/**
 * Formats a path like `model_list[2].litellm_params["extra-key"]`: identifiers joined by dots, indexes in
 * brackets, other keys as JSON strings in brackets. An empty path is `(root)`.
 */
export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out || '(root)';
}
