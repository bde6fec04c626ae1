/**
 * The model names wildcard routes list in `GET /v1/models` and the Codex catalog, the LiteLLM way
 * (litellm/proxy/auth/model_checks.py `get_known_models_from_wildcard`; docs.litellm.ai "Model Discovery"):
 * - LiteLLM lists, for a `model_name: openai/*` route, the models it knows for the provider of
 *   `litellm_params.model`: without a network call from its model map, and with `litellm_settings.
 *   check_provider_endpoint: true` by asking the provider's own model list. Here the models known without a
 *   network call are those of the user's ChatGPT plan (`chatgpt/*`, chatgpt/models.ts PLAN_MODELS); with
 *   `check_provider_endpoint: true`, a route whose provider speaks OpenAI's `GET {api_base}/models`
 *   (Bearer key, `{"data":[{"id":...}]}`) is asked, with the route's own key, bounded by
 *   {@link LISTING_TIMEOUT_MS}, cached for {@link LISTING_TTL_MS}. A failure lists nothing extra and is
 *   logged (warn the first time per entry, debug afterwards; the status or network error only, never a key
 *   or an upstream body).
 * - Naming: an upstream id is listed under the name that routes back to it. For a pattern with one `*` and
 *   a `litellm_params.model` with one `*`, the id fills the model's `*` and the same text fills the
 *   pattern's: `openai/*` + `openai/*` lists `gpt-5.5` as `openai/gpt-5.5`, `*` + `openai/*` lists it as
 *   `gpt-5.5`, `openai/gpt-*` + `openai/gpt-*` lists only `gpt-…` ids. A name is kept only when the router
 *   would send it to this route with this model (no alias of that name, no more specific pattern, an
 *   acceptable name). Differences from LiteLLM: LiteLLM lists nothing for `model_name: "*"` and prefixes
 *   ids by string (`openai/gpt-*` + `openai/*` would list `openai/gpt-5.5`, which routes to model
 *   `openai/5.5`); patterns or models with several `*`s list nothing here.
 * Not on the request path: the server asks {@link WildcardModels.refresh} when it serves a model list.
 */
import type { Dispatcher } from 'undici';
import requestOnDispatcher = require('undici/lib/api/api-request.js');
import type { Readable } from 'node:stream';
import { PLAN_MODELS } from './chatgpt/models';
import { resolveWildcardDeployment } from './config/load';
import { providerFor } from './config/providers';
import { acceptableName, matchPattern, patternCaptures, substituteModel } from './config/wildcard';
import type { Logger } from './log';
import type { Deployment, GatewayConfig, SecretResolver, WildcardEntry, WildcardRoute } from './types';
import { cliKeyHint, resolveKey, upstreamHeaders } from './upstream';

/** Longest wait for one provider's model list, in ms (connect to last body byte). */
export const LISTING_TIMEOUT_MS = 5_000;
/**
 * Longest a model-list request of a client waits for the providers, in ms: below Codex's own 5 s bound on its
 * whole `GET /models` (codex-rs models manager, `MODELS_REFRESH_TIMEOUT`), so a slow provider never costs
 * Codex the aliases. A listing still running then completes in the background and serves the next request.
 */
export const LISTING_WAIT_MS = 3_000;
/** How long a provider's model list (or its failure) is kept before it is asked again, in ms. */
export const LISTING_TTL_MS = 10 * 60_000;
/** Largest model-list body read, in bytes (OpenRouter's list is about 1 MB). */
export const LISTING_MAX_BYTES = 8 * 1024 * 1024;
/** Most names one wildcard entry lists. */
export const LISTING_MAX_NAMES = 2_000;

/** One name a wildcard route lists, with the deployment a request for it would get. */
export interface ListedModel {
  /** The name clients request, e.g. `openai/gpt-5.5`. */
  name: string;
  /** Built as the router builds it (resolveWildcardDeployment), for the catalog's metadata. */
  deployment: Deployment;
}

/**
 * The name under which `route` lists upstream model `id` of `entry`, with its deployment; undefined when
 * no name routes back to exactly that model (see the module notes).
 * @param id the upstream model id, without provider prefix (`gpt-5.5`).
 */
export function listedName(config: GatewayConfig, route: WildcardRoute, entry: WildcardEntry, id: string): ListedModel | undefined {
  const pattern = route.pattern.split('*');
  const model = entry.model.split('*');
  if (pattern.length !== 2 || model.length !== 2 || entry.provider === undefined) return undefined;
  const prefix = `${entry.provider}/`;
  const full = entry.model.startsWith(prefix) ? `${prefix}${id}` : id;
  const [mHead, mTail] = model as [string, string];
  if (full.length < mHead.length + mTail.length || !full.startsWith(mHead) || !full.endsWith(mTail)) return undefined;
  const capture = full.slice(mHead.length, full.length - mTail.length);
  const name = `${pattern[0]}${capture}${pattern[1]}`;
  if (!acceptableName(name) || config.groups.has(name)) return undefined;
  if (matchPattern(config.wildcards ?? [], name)?.route !== route) return undefined;
  const captures = patternCaptures(route.pattern, name);
  if (!captures) return undefined;
  let deployment: Deployment;
  try {
    deployment = resolveWildcardDeployment(entry, substituteModel(entry.model, captures, name), name);
  } catch {
    return undefined;
  }
  return deployment.model === id && deployment.provider === entry.provider ? { name, deployment } : undefined;
}

/** Model ids known without a network call for an entry's provider: the ChatGPT plan's models, else none. */
export function knownModelIds(entry: WildcardEntry): string[] {
  const spec = entry.provider === undefined ? undefined : providerFor(entry.provider);
  return spec?.credentials === 'codex_chatgpt' ? [...PLAN_MODELS.keys()] : [];
}

/**
 * Whether an entry's provider serves OpenAI's `GET {api_base}/models` with the key as a Bearer token: a
 * provider on `{api_base}/<path>` URLs (no endpoint rule such as Azure's), Bearer auth (not Anthropic's
 * `x-api-key` nor Azure's `api-key`), an API key rather than a sign-in, and not a Messages-only provider.
 */
export function listsByEndpoint(entry: WildcardEntry): boolean {
  const spec = entry.provider === undefined ? undefined : providerFor(entry.provider);
  return spec !== undefined && !spec.endpoints && spec.authHeader === undefined && spec.credentials === undefined && spec.defaultWire !== 'messages';
}

/**
 * Fetches a provider's model ids. Resolves with the ids; rejects with an Error whose message holds no key
 * (an HTTP status, a network error code, or a shape complaint).
 * @param d a deployment of the entry (its api_base, headers and provider).
 * @param key the provider key, if any.
 * @param signal aborted when the listing times out.
 */
export type FetchModelIds = (d: Deployment, key: string | undefined, signal: AbortSignal) => Promise<string[]>;

/**
 * The real {@link FetchModelIds}: `GET {api_base}/models` through `dispatcher` with the deployment's headers
 * (key in `Authorization: Bearer`), reading at most {@link LISTING_MAX_BYTES}; the ids are the string `id`s
 * of `data` (OpenAI API reference, "List models").
 */
export function httpModelIds(dispatcher: Dispatcher): FetchModelIds {
  return async (d, key, signal) => {
    const url = new URL(`${d.apiBase.replace(/\/+$/, '')}/models`);
    const headers = upstreamHeaders(d, key, 'application/json');
    delete headers['content-type'];
    let res: Dispatcher.ResponseData;
    try {
      res = await requestOnDispatcher.call(dispatcher, { origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers, signal });
    } catch (e) {
      const err = e as { code?: string; name?: string };
      throw new Error(signal.aborted ? 'timed out' : `could not reach ${url.host} (${err.code ?? err.name ?? 'network error'})`);
    }
    const text = await readBody(res.body, LISTING_MAX_BYTES);
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode} from ${url.host}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${url.host} answered no JSON`);
    }
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new Error(`${url.host} answered no "data" list`);
    return data.map((m) => (m as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string');
  };
}

/** Reads a body as UTF-8 text. @throws Error when it exceeds `limit` bytes (the body is destroyed). */
async function readBody(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += (c as Buffer).length;
    if (n > limit) {
      body.destroy();
      throw new Error(`model list larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What {@link WildcardModels} needs besides the config. */
export interface WildcardModelsOptions {
  /** `litellm_settings.check_provider_endpoint`: ask providers for their lists. */
  checkProviderEndpoint: boolean;
  /** Fetches one provider's ids (see {@link httpModelIds}). */
  fetchIds: FetchModelIds;
  /** Resolves `os.environ/NAME` keys. */
  secrets: SecretResolver;
  /** Receives the failure lines (never a key). */
  logger: Pick<Logger, 'warn' | 'debug'>;
  /** Clock in ms [Date.now]. */
  now?: () => number;
  /** Arms a timer and returns its cancel [setTimeout/clearTimeout]. */
  setTimer?: (fn: () => void, ms: number) => () => void;
  /** [LISTING_TIMEOUT_MS] */
  timeoutMs?: number;
  /** [LISTING_TTL_MS] */
  ttlMs?: number;
  /** [LISTING_WAIT_MS] */
  waitMs?: number;
}

/** Cached listing of one wildcard entry. */
interface EntryListing {
  route: WildcardRoute;
  entry: WildcardEntry;
  /** Ids known without a network call. */
  known: string[];
  /** Ids of the last successful provider listing ([] after a failure). */
  fetched: string[];
  /** When `fetched` was set (ms), or undefined before the first answer. */
  at?: number;
  pending?: Promise<void>;
  failures: number;
}

/**
 * The names a configuration's wildcard routes list (see the module notes); one per Runtime. {@link list}
 * is synchronous; {@link refresh} asks the providers whose listing expired.
 */
export class WildcardModels {
  /** Incremented whenever {@link list} may have changed (callers re-serialise their bodies then). */
  version = 0;
  private readonly entries: EntryListing[] = [];
  private listed?: ListedModel[];
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;

  constructor(
    private readonly config: GatewayConfig,
    private readonly opts: WildcardModelsOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      });
    const all = (config.wildcards ?? []).flatMap((route) => route.entries.map((entry) => ({ route, entry })));
    all.sort((a, b) => a.entry.index - b.entry.index);
    for (const { route, entry } of all) this.entries.push({ route, entry, known: knownModelIds(entry), fetched: [], failures: 0 });
  }

  /** Whether any entry is asked over the network (then {@link refresh} may take up to the timeout). */
  get fetches(): boolean {
    return this.opts.checkProviderEndpoint && this.entries.some((e) => listsByEndpoint(e.entry));
  }

  /**
   * The listed names in model_list order of their entries (an entry's ids in the provider's order), each
   * once (the first entry naming it wins), at most {@link LISTING_MAX_NAMES} per entry.
   */
  list(): ListedModel[] {
    if (this.listed) return this.listed;
    const out: ListedModel[] = [];
    const seen = new Set<string>();
    for (const e of this.entries) {
      let n = 0;
      for (const id of [...e.known, ...e.fetched]) {
        if (n >= LISTING_MAX_NAMES) break;
        const m = listedName(this.config, e.route, e.entry, id);
        if (!m || seen.has(m.name)) continue;
        seen.add(m.name);
        out.push(m);
        n++;
      }
    }
    return (this.listed = out);
  }

  /**
   * Asks every provider whose listing is missing or older than the TTL (at most one request per entry at a
   * time, each bounded by {@link LISTING_TIMEOUT_MS}) and waits for the answers, at most
   * {@link LISTING_WAIT_MS}; answers arriving later update {@link list} for the next caller. Never rejects;
   * a no-op without `check_provider_endpoint`.
   */
  async refresh(): Promise<void> {
    if (!this.opts.checkProviderEndpoint) return;
    const ttl = this.opts.ttlMs ?? LISTING_TTL_MS;
    const waits: Promise<void>[] = [];
    for (const e of this.entries) {
      if (!listsByEndpoint(e.entry)) continue;
      if (!e.pending && (e.at === undefined || this.now() - e.at >= ttl)) e.pending = this.fetch(e).finally(() => (e.pending = undefined));
      if (e.pending) waits.push(e.pending);
    }
    if (waits.length === 0) return;
    let cancel = () => {};
    await Promise.race([Promise.all(waits), new Promise<void>((resolve) => (cancel = this.setTimer(resolve, this.opts.waitMs ?? LISTING_WAIT_MS)))]);
    cancel();
  }

  private async fetch(e: EntryListing): Promise<void> {
    const ac = new AbortController();
    const cancel = this.setTimer(() => ac.abort(new Error('timed out')), this.opts.timeoutMs ?? LISTING_TIMEOUT_MS);
    let ids: string[] = [];
    try {
      const d = resolveWildcardDeployment(e.entry, e.entry.model.replaceAll('*', 'model'), e.route.pattern);
      const key = resolveKey(d, this.opts.secrets, cliKeyHint, providerFor(d.provider)?.keyRequired ?? false);
      ids = await Promise.race([
        this.opts.fetchIds(d, key, ac.signal),
        new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true })),
      ]);
    } catch (err) {
      // A missing key's message goes on with how to set it; its first clause names the variable.
      const why = (err as { upstreamCode?: string }).upstreamCode === 'missing_key' ? (err as Error).message.split(':')[0] : (err as Error).message;
      const line = `wildcard "${e.route.pattern}" (model_list[${e.entry.index}]): could not list the provider's models (${why}); /v1/models lists no extra names for it. Check that entry's api_base and key, or set litellm_settings.check_provider_endpoint: false to stop asking.`;
      if (e.failures++ === 0) this.opts.logger.warn(line);
      else this.opts.logger.debug(line);
    } finally {
      cancel();
    }
    e.at = this.now();
    if (ids.join('\n') !== e.fetched.join('\n')) {
      e.fetched = ids;
      this.listed = undefined;
      this.version++;
    }
  }
}
