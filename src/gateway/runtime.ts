/**
 * Everything the request path needs that can be computed once per configuration: the router, provider
 * facts per deployment, the pre-serialised model list and the Codex model catalog. A config reload builds
 * a new Runtime and swaps it in; requests in flight keep the one they started with.
 */
import { buildCodexCatalog } from './codex/catalog';
import { providerFor } from './config';
import { Router, type RouterOptions } from './router';
import type { Deployment, GatewayConfig } from './types';

/** Per-deployment facts used on every request (computed at config load). */
export interface DeploymentFacts {
  /** Whether the provider needs a key (Ollama does not). */
  keyRequired: boolean;
  /** Parameters this upstream rejects: provider list + `additional_drop_params`. */
  dropParamNames: ReadonlySet<string>;
  /** Provider display name for messages. */
  providerName: string;
}

/** The per-configuration state of a running gateway. Immutable once built. */
export class Runtime {
  readonly router: Router;
  /** `GET /v1/models` body (OpenAI list shape), serialised once. */
  readonly modelsJson: string;
  /** Codex model catalog body (`{"models":[...]}`) for `model_catalog_url`, serialised once. */
  readonly catalogJson: string;
  private readonly facts = new Map<Deployment, DeploymentFacts>();

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
        object: 'model',
        created,
        owned_by: 'codex-gateway',
        // Not part of OpenAI's shape; handy for clients that show it (LiteLLM's /model/info has the same facts).
        provider: d.provider,
        upstream_model: d.model,
        context_window: d.modelInfo.contextWindow,
      };
    });
    this.modelsJson = JSON.stringify({ object: 'list', data });
    this.catalogJson = JSON.stringify(buildCodexCatalog(config));
    for (const d of config.deployments) {
      const spec = providerFor(d.provider);
      const drop = new Set<string>(spec?.unsupportedParams ?? []);
      for (const p of config.additionalDropParams) drop.add(p);
      this.facts.set(d, {
        keyRequired: spec?.keyRequired ?? d.apiKey.kind !== 'none',
        dropParamNames: drop,
        providerName: spec?.displayName ?? d.provider,
      });
    }
  }

  /** Facts of a deployment of this runtime's config. */
  factsOf(d: Deployment): DeploymentFacts {
    return this.facts.get(d)!;
  }
}
