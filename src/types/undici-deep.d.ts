/**
 * Types for the two undici 7 internals the gateway imports directly (see src/gateway/upstream.ts for why):
 * the proxy-aware keep-alive agent and the `request` API bound to a dispatcher through `this`.
 */
declare module 'undici/lib/dispatcher/env-http-proxy-agent.js' {
  import type { EnvHttpProxyAgent } from 'undici';
  const Agent: typeof EnvHttpProxyAgent;
  export = Agent;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  function request(this: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export = request;
}
