/**
 * The `codex_chatgpt` upstream account (accounts.ts) of `chatgpt/<model>` deployments: each attempt uses the
 * user's own Codex sign-in instead of a key (plan.ts), and follows the ChatGPT backend's rules (backend.ts):
 * the body's allow-list, its own headers, streams only (a non-streamed client gets the stream collected,
 * collect.ts).
 */
import { UpstreamError, USAGE_LIMIT_CODE } from '../errors';
import type { AccountCall, AccountPost, UpstreamAccount } from '../accounts';
import type { Deployment, GatewayConfig } from '../types';
import type { UpstreamResponse } from '../upstream';
import type { Secrets, SseReader } from '../upstream-answer';
import { chatgptBody, chatgptHeaders, isUnsupportedModelMessage } from './backend';
import { collectResponse } from './collect';
import type { ChatgptAuth } from './credentials';
import { unauthorizedFailure, type ChatgptPlan } from './plan';

/** The user's ChatGPT plan as an upstream account; one per Gateway (see the module notes). */
export class ChatgptAccount implements UpstreamAccount {
  /** @param plan the Gateway's plan: sign-in and usage state. */
  constructor(private readonly plan: ChatgptPlan) {}

  /**
   * Reads the sign-in for one attempt.
   * @throws UpstreamError as `ChatgptPlan.auth` (plan off: `chatgpt_plan_off`; an unusable sign-in).
   */
  async open(d: Deployment, config: GatewayConfig): Promise<AccountCall> {
    return new ChatgptCall(this.plan, d, await this.plan.auth(config.chatgptPlan === true));
  }
}

/** One attempt's sign-in: replaced once by fresher credentials after a 401 (see {@link ChatgptCall.send}). */
class ChatgptCall implements AccountCall {
  /** The access token at the attempt's start (see `AccountCall.key`). */
  readonly key: string;
  /** Every access token this attempt posted with (see `AccountCall.secrets`): the first, then a fresher one after a 401. */
  readonly secrets: string[];

  constructor(
    private readonly plan: ChatgptPlan,
    private readonly d: Deployment,
    private auth: ChatgptAuth,
  ) {
    this.key = auth.accessToken;
    this.secrets = [auth.accessToken];
  }

  /** The backend body (backend.ts `chatgptBody`); notes are `chatgpt:<field>` entries. */
  shapeBody(body: Record<string, unknown>, notes: Set<string>): Record<string, unknown> {
    return chatgptBody(body, notes);
  }

  /** The backend serves streams only: a non-streamed client's answer is collected (collect.ts). */
  collect(reader: SseReader, key: Secrets, limit: { deadline: number; label: string }): Promise<Record<string, unknown>> {
    return collectResponse(reader, key, limit);
  }

  /**
   * One request to the ChatGPT backend with the attempt's sign-in:
   * - a 401 asks the credentials once for fresher ones (`afterUnauthorized`) and retries with them; else, or
   *   when the retry is refused too, the failure says what to do (run `codex` once, or `codex login`);
   * - a 2xx answer's `x-codex-*` usage headers, and a 429 `usage_limit_reached`, update the plan's usage state;
   * - a 400 saying the model is not offered becomes `not_found` (the deployment's model is wrong, not the request).
   * @throws UpstreamError as `post`, with the changes above.
   */
  async send(post: AccountPost): Promise<UpstreamResponse> {
    try {
      let res: UpstreamResponse;
      try {
        res = await post(chatgptHeaders(this.d, this.auth), this.auth.accessToken);
      } catch (e) {
        if (!(e instanceof UpstreamError) || e.kind !== 'auth' || e.status !== 401) throw e;
        const fresh = await this.plan.afterUnauthorized(this.auth);
        if (!fresh) throw unauthorizedFailure();
        this.auth = fresh;
        if (!this.secrets.includes(fresh.accessToken)) this.secrets.push(fresh.accessToken);
        try {
          res = await post(chatgptHeaders(this.d, fresh), fresh.accessToken);
        } catch (e2) {
          if (e2 instanceof UpstreamError && e2.kind === 'auth' && e2.status === 401) throw unauthorizedFailure();
          throw e2;
        }
      }
      this.plan.usage.observeHeaders(res.headers);
      return res;
    } catch (e) {
      if (e instanceof UpstreamError && e.kind === 'rate_limit' && e.upstreamCode === USAGE_LIMIT_CODE) this.plan.usage.limitReached(e.retryAfterMs, e.headers);
      if (e instanceof UpstreamError && e.kind === 'bad_request' && isUnsupportedModelMessage(e.message)) {
        throw new UpstreamError('not_found', `${e.message} (the ChatGPT plan serves only the models Codex lists for it)`, e.status, undefined, e.upstreamCode);
      }
      throw e;
    }
  }
}
