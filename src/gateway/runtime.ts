/**
 * Everything the request path needs that can be computed once per configuration: the router, provider
 * facts per deployment, the pre-serialised model list and the Codex model catalog. A config reload builds
 * a new Runtime and swaps it in; requests in flight keep the one they started with.
 */
import { buildCodexCatalog, codexModelsResponse, type OpenAIModelList } from './codex/catalog';
import { providerFor } from './config/providers';
import { Router, type RouterOptions } from './router';
import type { Deployment, GatewayConfig } from './types';
import { TRANSPORT_PARAMS } from './upstream';
import { httpModelIds, WildcardModels, type FetchModelIds } from './wildcard-models';
import type { Dispatcher } from 'undici';
import type { Logger } from './log';
import type { SecretResolver } from './types';

/**
 * The virtual alias that always means "the model selected as default" (status bar / `setDefaultModel`).
 * Codex's config.toml names it, so switching the default changes the very next request without
 * restarting Codex. A real alias of the same name in model_list takes precedence.
 */
export const DEFAULT_ALIAS = 'default';

/** Per-deployment facts used on every request (computed at config load). */
export interface DeploymentFacts {
  /** Whether the provider needs a key (Ollama does not). */
  keyRequired: boolean;
  /** Parameters this upstream rejects: provider list + `additional_drop_params`. */
  dropParamNames: ReadonlySet<string>;
  /** Provider display name for messages. */
  providerName: string;
  /** `litellm_params` extras sent in every request body under the client's own values (transport params removed). */
  bodyDefaults: Readonly<Record<string, unknown>>;
}

/** What a Runtime needs to ask providers for their model lists (wildcard routes, see wildcard-models.ts). */
export interface ListingDeps {
  /** Resolves provider keys by env var name. */
  secrets: SecretResolver;
  /** The shared upstream pool. */
  dispatcher: Dispatcher;
  /** Receives listing failures (never a key). */
  logger: Pick<Logger, 'warn' | 'debug'>;
  /** Replaces the HTTP fetch of a provider's ids (tests). */
  fetchIds?: FetchModelIds;
}

/**
 * The per-configuration state of a running gateway. Immutable once built, but for the names wildcard
 * routes list ({@link refreshListing}), which re-serialise the model list and catalog when they change.
 */
export class Runtime {
  /** The router of this configuration (its cooldowns and latency stats start fresh with each Runtime). */
  readonly router: Router;
  /** Names wildcard routes list (model_list's `*` entries; see wildcard-models.ts). */
  readonly wildcardModels: WildcardModels;
  /** Facts per deployment: those of model_list at construction, those built for wildcard names on first use. */
  private readonly facts = new WeakMap<Deployment, DeploymentFacts>();
  private catalogCache?: { alias: string | undefined; catalog: string; combined: string };
  private modelsList: OpenAIModelList;
  private modelsBody: string;
  /** {@link WildcardModels.version} the bodies were built with. */
  private listingVersion: number;
  private readonly created = Math.floor(Date.now() / 1000);

  /**
   * @param config the resolved configuration.
   * @param routerOptions clock / random / event hook for the router.
   * @param listing how to ask providers for model lists (`check_provider_endpoint`); without it no provider
   *   is asked (names known without a network call are still listed).
   */
  constructor(
    readonly config: GatewayConfig,
    routerOptions: RouterOptions = {},
    listing?: ListingDeps,
  ) {
    this.router = new Router(config, routerOptions);
    this.wildcardModels = new WildcardModels(config, {
      checkProviderEndpoint: listing !== undefined && config.checkProviderEndpoint === true,
      fetchIds: listing?.fetchIds ?? (listing ? httpModelIds(listing.dispatcher) : async () => []),
      secrets: listing?.secrets ?? (() => undefined),
      logger: listing?.logger ?? { warn: () => undefined, debug: () => undefined },
    });
    this.listingVersion = this.wildcardModels.version;
    this.modelsList = this.buildModelsList();
    this.modelsBody = JSON.stringify(this.modelsList);
    for (const d of config.deployments) this.facts.set(d, this.computeFacts(d));
  }

  /** `GET /v1/models` body (OpenAI list shape): the aliases, then the names wildcard routes list. */
  get modelsJson(): string {
    this.syncListing();
    return this.modelsBody;
  }

  /**
   * Asks the providers of wildcard routes for their model lists when `check_provider_endpoint` is on and
   * the cached lists expired; resolves when they answered, or after 3 s (they go on to their 5 s timeout and
   * serve the next call). Never rejects. Call before
   * serving a model list; not on the request path.
   */
  refreshListing(): Promise<void> {
    return this.wildcardModels.refresh();
  }

  /** Rebuilds the serialised bodies when the wildcard listing changed since they were built. */
  private syncListing(): void {
    if (this.listingVersion === this.wildcardModels.version) return;
    this.listingVersion = this.wildcardModels.version;
    this.modelsList = this.buildModelsList();
    this.modelsBody = JSON.stringify(this.modelsList);
    this.catalogCache = undefined;
  }

  /** OpenAI's list: one entry per alias in model_list order, then one per name a wildcard route lists. */
  private buildModelsList(): OpenAIModelList {
    const entry = (id: string, d: Deployment) => ({
      id,
      object: 'model' as const,
      created: this.created,
      owned_by: 'codex-gateway',
      // Not part of OpenAI's shape; handy for clients that show it (LiteLLM's /model/info has the same facts).
      provider: d.provider,
      upstream_model: d.model,
      context_window: d.modelInfo.contextWindow,
    });
    const data = [...this.config.groups].map(([alias, group]) => entry(alias, group[0]!));
    for (const m of this.wildcardModels.list()) if (!this.config.groups.has(m.name) && m.name !== DEFAULT_ALIAS) data.push(entry(m.name, m.deployment));
    return { object: 'list', data };
  }

  private computeFacts(d: Deployment): DeploymentFacts {
    const spec = providerFor(d.provider);
    const drop = new Set<string>(spec?.unsupportedParams ?? []);
    for (const p of this.config.additionalDropParams) drop.add(p);
    return {
      keyRequired: spec?.keyRequired ?? d.apiKey.kind !== 'none',
      dropParamNames: drop,
      providerName: spec?.displayName ?? d.provider,
      bodyDefaults: Object.fromEntries(Object.entries(d.extraBody).filter(([k]) => !TRANSPORT_PARAMS.has(k))),
    };
  }

  /**
   * The alias a request's `model` names: an alias as is; `default` maps to `defaultModel` (or the first
   * alias) unless the config defines an alias called `default` itself; other names through
   * `router_settings.model_group_alias`; a `[1m]` suffix (Claude Code's 1M-context marker) is ignored.
   * An unknown name is returned unchanged (the router answers it with the known aliases).
   */
  resolveAlias(model: string, defaultModel: string | undefined): string {
    const groups = this.config.groups;
    if (groups.has(model)) return model;
    if (model === DEFAULT_ALIAS) return this.defaultTarget(defaultModel) ?? model;
    const mapped = this.config.router.modelGroupAlias.get(model);
    if (mapped !== undefined) return mapped;
    // Claude Code appends `[1m]` to ask for a 1M-token context window (its own model-name convention).
    const m = /^(.*)\[1m\]$/i.exec(model);
    if (m) return this.resolveAlias(m[1]!, defaultModel);
    return model;
  }

  /**
   * The alias `default` stands for: `defaultModel` when this config serves it (an alias, or a name a
   * wildcard model_name matches), else the first alias.
   */
  defaultTarget(defaultModel: string | undefined): string | undefined {
    if (defaultModel !== undefined && (this.config.groups.has(defaultModel) || this.router.serves(defaultModel))) return defaultModel;
    return this.config.groups.keys().next().value;
  }

  /** Codex model catalog body (`{"models":[...]}`) for `model_catalog_url`; serialised once per default. */
  catalogJson(defaultModel: string | undefined): string {
    return this.catalogs(defaultModel).catalog;
  }

  /**
   * `GET /models?client_version=…` body: OpenAI's list plus Codex's `models` (Codex reads only `models`;
   * see codexModelsResponse). Serialised once per default.
   */
  combinedModelsJson(defaultModel: string | undefined): string {
    return this.catalogs(defaultModel).combined;
  }

  private catalogs(defaultModel: string | undefined): { catalog: string; combined: string } {
    this.syncListing();
    const alias = this.defaultTarget(defaultModel);
    let c = this.catalogCache;
    if (!c || c.alias !== alias) {
      const catalog = buildCodexCatalog(this.config, alias, this.wildcardModels.list());
      c = this.catalogCache = { alias, catalog: JSON.stringify(catalog), combined: JSON.stringify(codexModelsResponse(catalog, this.modelsList)) };
    }
    return c;
  }

  /** Facts of a deployment of this runtime's config (including one the router built for a wildcard name). */
  factsOf(d: Deployment): DeploymentFacts {
    let f = this.facts.get(d);
    if (!f) this.facts.set(d, (f = this.computeFacts(d)));
    return f;
  }
}
