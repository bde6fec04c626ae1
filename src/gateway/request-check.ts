/**
 * Checks of client request bodies before routing (types of the fields the gateway reads or forwards).
 * Placeholder: filled in by the input-hardening work of the reliability issue.
 */
import type { GatewayError } from './errors';

/** The proxy routes whose bodies are checked. */
export type CheckedRoute = '/v1/responses' | '/v1/chat/completions';

/**
 * Checks one parsed request body for the route.
 * @throws GatewayError 400 (OpenAI error shape, `invalid_request_error`) naming the field and what to send.
 */
export function checkRequestBody(_route: CheckedRoute, _body: Record<string, unknown>): void {
  const _unused: GatewayError | undefined = undefined;
  void _unused;
}
