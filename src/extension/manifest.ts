/**
 * Manifest helpers (no `vscode` import): the JSON schema of the `codexGateway.config` setting, derived from
 * the engine's {@link configJsonSchema} so that the settings editor accepts exactly what the engine loads.
 * Used by scripts/gen-manifest-schema.mjs (writes package.json) and the manifest unit test (checks it).
 */
import { configJsonSchema } from '../gateway/config';
import { DEFAULT_CONFIG } from './settings';

/** The presentation keys of the setting that are written by hand in package.json and kept as they are. */
const KEPT_KEYS = ['markdownDescription', 'scope', 'order'] as const;

/**
 * The package.json entry for `codexGateway.config`: the engine's draft-07 schema without `$schema`
 * (VS Code's settings schema is one document; a nested `$schema` is meaningless there), plus the default
 * and the hand-written presentation keys of `existing`.
 * @param existing the current package.json entry (its `markdownDescription`, `scope`, `order` are kept).
 */
export function configSettingSchema(existing: Record<string, unknown> = {}): Record<string, unknown> {
  const { $schema: _drop, description: _d, ...schema } = configJsonSchema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of KEPT_KEYS) if (existing[k] !== undefined) out[k] = existing[k];
  return { ...out, ...schema, default: DEFAULT_CONFIG };
}
