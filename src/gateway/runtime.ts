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

/** The per-configuration state of a running gateway. Immutable once built. */
export class Runtime {
  /** The router of this configuration (its cooldowns and latency stats start fresh with each Runtime). */
  readonly router: Router;
  /** `GET /v1/models` body (OpenAI list shape), serialised once. */
  readonly modelsJson: string;
  /** Facts per deployment: those of model_list at construction, those built for wildcard names on first use. */
  private readonly facts = new WeakMap<Deployment, DeploymentFacts>();
  private catalogCache?: { alias: string | undefined; catalog: string; combined: string };
  private readonly modelsList: OpenAIModelList;

  /**
   * @param config the resolved configuration.
   * @param routerOptions clock / random / event hook for the router.
   */
  constructor(
    readonly config: GatewayConfig,
    routerOptions: RouterOptions = {},
  ) {
    this.router = new Router(config, routerOptions);
    const created = Math.floor(Date.now() / 1000);
    const data = [...config.groups.keys()].map((alias) => {
      const d = config.groups.get(alias)![0];
      return {
        id: alias,
        object: 'model' as const,
        created,
        owned_by: 'codex-gateway',
        // Not part of OpenAI's shape; handy for clients that show it (LiteLLM's /model/info has the same facts).
        provider: d.provider,
        upstream_model: d.model,
        context_window: d.modelInfo.contextWindow,
      };
    });
    this.modelsList = { object: 'list', data };
    this.modelsJson = JSON.stringify(this.modelsList);
    for (const d of config.deployments) this.facts.set(d, this.computeFacts(d));
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
    const alias = this.defaultTarget(defaultModel);
    let c = this.catalogCache;
    if (!c || c.alias !== alias) {
      const catalog = buildCodexCatalog(this.config, alias);
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
