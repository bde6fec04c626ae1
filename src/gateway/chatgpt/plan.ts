/**
 * The ChatGPT plan as one gateway sees it: the user's own Codex sign-in (credentials.ts, read when a request
 * needs it, never copied or logged) and the plan's usage state (usage.ts). One per Gateway; its upstream account
 * (account.ts) asks it for credentials on every `chatgpt/<model>` attempt and reports answers and limits to it.
 */
import { UpstreamError } from '../errors';
import { ChatgptAuthError, ChatgptCredentials, type ChatgptAuth, type ChatgptCredentialsOptions } from './credentials';
import { PlanUsageState } from './usage';

/** What the refusal says when the plan is not enabled (also used by the panel and the docs). */
export const CHATGPT_PLAN_OFF_MESSAGE =
  "The ChatGPT plan is off in this gateway, so chatgpt/<model> deployments send nothing. To send requests to your ChatGPT plan with your own Codex sign-in (under OpenAI's terms, from this machine only), set gateway_settings.chatgpt_plan: true in the gateway config (in VS Code: enable \"ChatGPT plan\" in the Codex Gateway panel).";

/** Options of {@link ChatgptPlan}. */
export interface ChatgptPlanOptions {
  /** The credentials to use, or options to build them with (default: `$CODEX_HOME/auth.json` of this process). */
  credentials?: ChatgptCredentials | ChatgptCredentialsOptions;
  /** Clock for the usage state, epoch ms [Date.now]. */
  now?: () => number;
}

/** See the module notes. */
export class ChatgptPlan {
  /** The user's sign-in. */
  readonly credentials: ChatgptCredentials;
  /** The plan's usage as last reported by the backend. */
  readonly usage: PlanUsageState;

  constructor(opts: ChatgptPlanOptions = {}) {
    this.credentials = opts.credentials instanceof ChatgptCredentials ? opts.credentials : new ChatgptCredentials(opts.credentials);
    this.usage = new PlanUsageState(opts.now);
  }

  /**
   * The credentials for one attempt.
   * @param enabled `gateway_settings.chatgpt_plan`.
   * @throws UpstreamError kind `auth` (not retried on the same deployment, so fallbacks serve) with code
   *   `chatgpt_plan_off` when the plan is not enabled, or `chatgpt_<code>` for a sign-in that cannot be used
   *   (its message says what to do: run `codex login`, run Codex once, switch off the keyring store, ...).
   */
  async auth(enabled: boolean): Promise<ChatgptAuth> {
    if (!enabled) throw new UpstreamError('auth', CHATGPT_PLAN_OFF_MESSAGE, 0, undefined, 'chatgpt_plan_off');
    try {
      return await this.credentials.current();
    } catch (e) {
      throw authFailure(e);
    }
  }

  /**
   * After the backend answered 401 to `rejected`: fresher credentials to retry once with, or undefined.
   * @throws UpstreamError as {@link auth} when the sign-in cannot be used any more.
   */
  async afterUnauthorized(rejected: ChatgptAuth): Promise<ChatgptAuth | undefined> {
    try {
      return await this.credentials.afterUnauthorized(rejected.accessToken);
    } catch (e) {
      throw authFailure(e);
    }
  }
}

/** A credentials failure as the router's auth failure (never carries a token). */
function authFailure(e: unknown): UpstreamError {
  if (e instanceof ChatgptAuthError) return new UpstreamError('auth', e.userMessage, 0, undefined, `chatgpt_${e.code}`);
  const why = (e as Error)?.message ?? String(e);
  return new UpstreamError('auth', `Your Codex ChatGPT sign-in could not be read (${why.slice(0, 200)}): run \`codex login\` and sign in with ChatGPT, then retry.`, 0, undefined, 'chatgpt_unreadable');
}

/** The 401 failure after the one retry: what happened and what to do. */
export function unauthorizedFailure(): UpstreamError {
  return new UpstreamError(
    'auth',
    'The ChatGPT backend refused your Codex sign-in (HTTP 401): the access token has expired or was revoked. Run `codex` once (it refreshes the sign-in) or `codex login`, then retry.',
    401,
    undefined,
    'chatgpt_unauthorized',
  );
}
