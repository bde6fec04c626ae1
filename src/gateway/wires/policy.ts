/**
 * The one upstream body policy every builder applies to a parameter the deployment rejects (its provider's
 * `unsupportedParams` plus `litellm_settings.additional_drop_params`, see config/providers.ts): drop it
 * (listed for the debug log) when `litellm_settings.drop_params` is on or when clients send it on their own
 * (`autoDropped`: e.g. Codex's `reasoning_effort`, `parallel_tool_calls`; failing would break every turn for
 * a setting the user never chose), else refuse the request with a 400 that names it and the fix (LiteLLM's
 * `drop_params` semantics).
 */
import { GatewayError } from '../errors';
import type { BuildOptions } from './types';

/**
 * Whether a parameter the deployment rejects may be left out instead of failing.
 * @param name the parameter in the upstream's terms.
 * @param shown the parameter as the client named it, for the 400.
 * @param dropped receives `name` when it is dropped.
 * @returns false (drop it).
 * @throws GatewayError 400 `unsupported_parameter` when neither drop_params nor autoDropped covers it.
 */
export function dropRejected(name: string, shown: string, opts: Pick<BuildOptions, 'dropParams' | 'provider' | 'model'>, autoDropped: ReadonlySet<string>, dropped: Set<string>): false {
  if (autoDropped.has(name) || opts.dropParams) {
    dropped.add(name);
    return false;
  }
  throw unsupportedParameter(shown, opts);
}

/** The 400 for a parameter the deployment rejects while `drop_params` is off. */
export function unsupportedParameter(shown: string, opts: Pick<BuildOptions, 'provider' | 'model'>): GatewayError {
  return new GatewayError(
    400,
    `Parameter '${shown}' is not supported by provider '${opts.provider}' (model '${opts.model}'). Remove it from the request, or set litellm_settings.drop_params: true in the gateway config to drop unsupported parameters automatically.`,
    'invalid_request_error',
    'unsupported_parameter',
    shown,
  );
}
