/**
 * The models a ChatGPT plan offers to Codex, as Codex 0.169's bundled catalog lists them
 * (`codex debug models --bundled`, models with `visibility: "list"`): slug, context window (tokens) and the
 * reasoning efforts it takes. Used for the Codex model catalog of aliases on the plan (their reasoning levels
 * and context window) and named in messages; the backend's own answer stays the authority (a model it does
 * not offer is refused with a clear 400, see account.ts), so a newer model works before this list knows it.
 */

/** Facts about one plan model. */
export interface PlanModel {
  /** Context window in tokens. */
  contextWindow: number;
  /** Reasoning efforts the model accepts (`reasoning.effort` values), lowest first. */
  efforts: readonly string[];
}

const FULL = ['low', 'medium', 'high', 'xhigh'] as const;

/** Plan models by slug (Codex 0.169's bundled catalog). */
export const PLAN_MODELS: ReadonlyMap<string, PlanModel> = new Map<string, PlanModel>([
  ['gpt-6.1-sol', { contextWindow: 272_000, efforts: FULL }],
  ['gpt-6-astra', { contextWindow: 272_000, efforts: FULL }],
  ['gpt-6-sol', { contextWindow: 272_000, efforts: FULL }],
  ['gpt-6-luna', { contextWindow: 272_000, efforts: FULL }],
  ['gpt-6.1-terra', { contextWindow: 500_000, efforts: FULL }],
  ['gpt-5.6-sol', { contextWindow: 272_000, efforts: FULL }],
  ['gpt-5.6-terra', { contextWindow: 272_000, efforts: FULL }],
  ['gpt-5.6-luna', { contextWindow: 272_000, efforts: FULL }],
  ['gpt-5.5', { contextWindow: 272_000, efforts: FULL }],
]);

/** Reasoning efforts of a plan model that is not in {@link PLAN_MODELS} (every plan model reasons). */
export const DEFAULT_PLAN_EFFORTS: readonly string[] = ['low', 'medium', 'high'];
