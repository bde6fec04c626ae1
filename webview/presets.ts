/**
 * Provider presets of the settings panel's "Add model" form, derived from the engine's provider registry
 * (`PROVIDERS` in src/gateway/config/providers.ts) so that base URLs and key names have one source of truth.
 * Pure data, no DOM: unit-tested directly.
 */
import { PROVIDERS, type ProviderSpec } from '../src/gateway/config/providers';
import { CHATGPT_PLAN_CONSENT } from '../src/shared/panel-protocol';

export { CHATGPT_PLAN_CONSENT };

/** One provider choice in the panel. */
export interface ProviderPreset {
  /** Provider id written before the first `/` of `litellm_params.model` (e.g. `deepseek`). */
  id: string;
  /** Name shown in the picker (the registry's display name). */
  label: string;
  /** Base URL the engine uses when `api_base` is absent; `''` when the provider has none (then it is required). */
  defaultApiBase: string;
  /** True when `api_base` must be written (no public default). */
  apiBaseRequired: boolean;
  /** Example base URL shown as placeholder when `api_base` is required. */
  apiBaseExample?: string;
  /** Secret name the preset writes as `api_key: os.environ/NAME`, when the provider needs a key. */
  keyEnv?: string;
  /** Whether requests need a key (false for local servers). */
  keyRequired: boolean;
  /** Upstream wire by default (`responses`, `chat`, `messages`). */
  defaultWire: ProviderSpec['defaultWire'];
  /** A model name to show as a placeholder (UI hint only; never written). */
  exampleModel: string;
  /**
   * Set for the "ChatGPT plan" preset (credentials: the user's Codex sign-in, no key): adding it must first ask
   * for this consent, then write `gateway_settings.chatgpt_plan: true` (docs/chatgpt.md, "Off by default").
   */
  consent?: string;
}

/**
 * Providers listed first, in this order (the list); every other canonical provider of the registry
 * follows alphabetically. `openai_compatible` stands for "any OpenAI-compatible server".
 */
const FEATURED = ['openai', 'anthropic', 'deepseek', 'dashscope', 'gemini', 'openrouter', 'ollama', 'groq', 'mistral', 'xai', 'openai_compatible', 'chatgpt'];

/** Placeholder model names (the providers' documented model ids at the time of writing; hints only). */
const EXAMPLE_MODELS: Record<string, string> = {
  openai: 'gpt-5-mini',
  chatgpt: 'gpt-5.5',
  anthropic: 'claude-sonnet-4-5',
  deepseek: 'deepseek-chat',
  dashscope: 'qwen3-coder-plus',
  gemini: 'gemini-2.5-pro',
  openrouter: 'qwen/qwen3-coder',
  ollama: 'qwen2.5-coder:7b',
  groq: 'llama-3.3-70b-versatile',
  mistral: 'codestral-latest',
  xai: 'grok-code-fast-1',
  openai_compatible: 'my-model',
};

/** Registry ids that duplicate another entry for the panel's purpose (same display name and defaults). */
const HIDDEN = new Set(['custom_openai']);

function toPreset(s: ProviderSpec): ProviderPreset {
  const p: ProviderPreset = {
    id: s.id,
    label: s.id === 'openai_compatible' ? 'Custom (OpenAI-compatible server)' : s.id === 'chatgpt' ? 'ChatGPT plan' : s.displayName,
    defaultApiBase: s.defaultApiBase,
    apiBaseRequired: Boolean(s.apiBaseRequired),
    keyRequired: s.keyRequired,
    defaultWire: s.defaultWire,
    exampleModel: EXAMPLE_MODELS[s.id] ?? 'model-name',
  };
  if (s.apiBaseExample) p.apiBaseExample = s.apiBaseExample;
  if (s.credentials === 'codex_chatgpt') p.consent = CHATGPT_PLAN_CONSENT;
  if (s.defaultKeyEnv) p.keyEnv = s.defaultKeyEnv;
  return p;
}

/** Every preset: featured providers first, then the rest of the registry by label. Built once. */
export const PRESETS: readonly ProviderPreset[] = (() => {
  const canonical = new Map<string, ProviderSpec>();
  for (const s of PROVIDERS.values()) if (!HIDDEN.has(s.id)) canonical.set(s.id, s);
  const first = FEATURED.filter((id) => canonical.has(id)).map((id) => toPreset(canonical.get(id)!));
  const rest = [...canonical.values()]
    .filter((s) => !FEATURED.includes(s.id))
    .map(toPreset)
    .sort((a, b) => a.label.localeCompare(b.label));
  return Object.freeze([...first, ...rest]);
})();

/**
 * The preset of a provider id or one of its registry aliases (`qwen` -> DashScope, `ollama_chat` -> Ollama).
 * @returns undefined for an unknown provider.
 */
export function presetFor(id: string): ProviderPreset | undefined {
  const spec = PROVIDERS.get(id);
  if (!spec) return undefined;
  return PRESETS.find((p) => p.id === spec.id) ?? toPreset(spec);
}
