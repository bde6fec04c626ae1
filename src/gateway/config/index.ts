/**
 * The config loader: LiteLLM-compatible `config.yaml` (or the same shape as JSON / VS Code settings) ->
 * resolved {@link GatewayConfig}. See docs/config.md for the file reference.
 */

export { ConfigError, loadConfigFile, parseConfigText, resolveConfig } from './load';
export type { ConfigIssue, ResolveOptions } from './load';
export { PROVIDERS, LITELLM_ONLY_PROVIDERS, providerFor } from './providers';
export type { AuthHeaderStyle, ProviderSpec } from './providers';
export { configJsonSchema, rawConfigSchema } from './schema';
export type { RawConfig } from './schema';
export { didYouMean } from './suggest';
export type { GatewayConfig } from '../types';
