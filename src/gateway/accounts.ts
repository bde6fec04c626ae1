/**
 * Upstream accounts: credentials that are not an API key, chosen per provider by `ProviderSpec.credentials`
 * (config/providers.ts), e.g. `codex_chatgpt`, the user's own Codex ChatGPT sign-in (chatgpt/account.ts).
 *
 * The proxy stays generic: for a deployment whose provider names an account it opens one {@link AccountCall}
 * per attempt, which supplies the secret, shapes the body, wraps the upstream call (headers, retries with
 * fresher credentials, failure mapping) and, for an upstream that serves streams only, collects the stream
 * for a non-streamed client. Every other deployment takes the ordinary key path and pays nothing for this.
 */
import type { ProviderSpec } from './config/providers';
import type { Deployment, GatewayConfig } from './types';
import type { UpstreamResponse } from './upstream';
import type { Secrets, SseReader } from './upstream-answer';

/** The account kinds a provider spec may name (`ProviderSpec.credentials`). */
export type AccountKind = NonNullable<ProviderSpec['credentials']>;

/**
 * One account per kind, owned by the Gateway (it may hold state across requests: a sign-in read on demand,
 * a usage state). Stateless about any single request: that is the {@link AccountCall}'s job.
 */
export interface UpstreamAccount {
  /**
   * The credentials of one attempt against `d`.
   * @param config the configuration in force (e.g. an opt-in setting the account requires).
   * @throws UpstreamError (kind `auth`, so the router falls back instead of retrying) when the account
   *   cannot serve; its message says what to do next and carries no secret.
   */
  open(d: Deployment, config: GatewayConfig): Promise<AccountCall>;
}

/**
 * Sends one upstream request: the proxy's POST of the serialised body with these headers.
 * @param headers the complete request headers (the account's, nothing added by the proxy).
 * @param secret the secret these headers carry: registered with the logger and scrubbed from the
 *   upstream's error text.
 * @throws UpstreamError as `postJson` (upstream.ts).
 */
export type AccountPost = (headers: Record<string, string>, secret: string) => Promise<UpstreamResponse>;

/** The account's part of one attempt (see the module notes). Replaces the key, headers and plain POST. */
export interface AccountCall {
  /** The secret at the attempt's start (an access token): registered with the logger. */
  readonly key: string;
  /**
   * Every secret this attempt has posted with so far, `key` first: {@link send} adds each fresher one it
   * retries with (e.g. after a 401). The proxy scrubs all of them from the relayed answer and its errors;
   * it reads this array after `send`, so it must be this same array, grown in place.
   */
  readonly secrets: readonly string[];
  /**
   * The upstream body for a body built or relayed on the deployment's wire. Must not modify `body`.
   * @param notes receives a short note per field left out or supplied (written to the debug log).
   */
  shapeBody(body: Record<string, unknown>, notes: Set<string>): Record<string, unknown>;
  /**
   * Makes the upstream call through `post`, once or more (e.g. once more with fresher credentials after a
   * 401), and reports the answer or failure to the account.
   * @returns the 2xx response of the last `post`.
   * @throws UpstreamError: what `post` threw, possibly replaced by the account's own reading of it.
   */
  send(post: AccountPost): Promise<UpstreamResponse>;
  /**
   * Present when the upstream serves streams only: the proxy then always asks for a stream, and for a
   * non-streamed client folds it with this into the whole answer object of the deployment's wire.
   * @param key the secret(s) to scrub from error text ({@link AccountCall.secrets}).
   * @param limit `deadline` (epoch ms) by which the whole stream must have arrived, `label` naming the limit.
   * @throws UpstreamError for a failed, broken, late or oversized stream.
   */
  collect?(reader: SseReader, key: Secrets, limit: { deadline: number; label: string }): Promise<Record<string, unknown>>;
}

/** The Gateway's accounts, one per kind (see {@link UpstreamAccount}). */
export type UpstreamAccounts = Readonly<Record<AccountKind, UpstreamAccount>>;
