/**
 * Entry of the settings panel's webview (bundled by scripts/build.mjs into dist/webview.js, an IIFE for the
 * browser, plus dist/webview.css). Connects the pure state (state.ts), the protocol client (rpc.ts) and the
 * templates (view.mts): actions go through `reduce`, the state is persisted with `setState`, the view is rendered
 * with lit-html (which keeps focus and unchanged DOM between renders).
 *
 * Side effects live here only: validation of a draft (debounced, through the host's `validate`), save, keys,
 * tests, import / export, asking the host for key names only a draft uses.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { render } from 'lit';
import './panel.css';
import { chatgptPlanOn, type PanelMethod, type PanelMethods } from '../src/shared/panel-protocol.js';
import { addEntry, aliasesOf, deleteEntry, duplicateEntry, fallbackChains, moveItem, setChatgptPlan, setEntryField, setFallbackChain, setRouterField, stableJson } from './config-edit.js';
import { presetFor, PRESETS, type ProviderPreset } from './presets.js';
import { PanelClient, type VsCodeApiLike } from './rpc.js';
import { currentConfig, initialState, isDirty, persist, reduce, unknownKeyNames, viewModel, type Action, type PanelState } from './state.js';
import { domId, panelView, type ViewHandlers } from './view.mjs';

declare function acquireVsCodeApi(): VsCodeApiLike;

const api = acquireVsCodeApi();
let state: PanelState = initialState(api.getState());
let addPreset = PRESETS[0]?.id ?? 'openai';
let keyEdit: string | undefined;
let renderQueued = false;
let validateTimer: ReturnType<typeof setTimeout> | undefined;
/** Element id to focus after the next render (keyboard reordering keeps focus on the moved item). */
let focusAfterRender: string | undefined;
const askedKeys = new Set<string>();

const root = document.getElementById('app')!;
// The page's static "Loading…" text is replaced by lit's rendering.
root.textContent = '';

const client = new PanelClient(api, {
  snapshot: (snapshot) => {
    dispatch({ type: 'snapshot', snapshot });
    askUnknownKeys();
  },
  request: (record) => dispatch({ type: 'record', record, now: Date.now() }),
});

function dispatch(a: Action): void {
  const before = state;
  state = reduce(state, a);
  api.setState(persist(state));
  if (a.type === 'edit' || (a.type === 'snapshot' && isDirty(state) && before.issuesFor !== stableJson(currentConfig(state)))) scheduleValidate();
  queueRender();
}

function queueRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderNow();
  });
}

function renderNow(): void {
  const vm = viewModel(state, Date.now());
  const savedAliases = aliasesOf(state.snapshot?.config);
  render(panelView(vm, handlers, { addPreset, setAddPreset: (id) => {
        addPreset = id;
        queueRender();
      }, savedAliases, ...(keyEdit !== undefined ? { keyEdit } : {}) }), root);
  root.setAttribute('aria-busy', vm.ready ? 'false' : 'true');
  if (focusAfterRender) {
    const id = focusAfterRender;
    focusAfterRender = undefined;
    // Custom elements render their own content asynchronously; focus once they have.
    requestAnimationFrame(() => (document.getElementById(id) as HTMLElement | null)?.focus());
  }
}

/** Validates the draft shortly after the last edit (the host runs the engine's resolveConfig). */
function scheduleValidate(): void {
  if (validateTimer !== undefined) clearTimeout(validateTimer);
  validateTimer = setTimeout(() => {
    validateTimer = undefined;
    if (!isDirty(state)) return;
    const config = currentConfig(state);
    const json = stableJson(config);
    client.call('validate', { config }).then(
      (issues) => dispatch({ type: 'validated', issues, config: json }),
      (e: Error) => dispatch({ type: 'notice', notice: { kind: 'error', text: e.message } }),
    );
    askUnknownKeys();
  }, 250);
}

/** Asks the host for the state of key names the shown config uses but the snapshot does not list. */
function askUnknownKeys(): void {
  const names = unknownKeyNames(state).filter((n) => !askedKeys.has(n));
  if (names.length === 0) return;
  for (const n of names) askedKeys.add(n);
  client.call('keyStatus', { names }).then(
    (keys) => dispatch({ type: 'keys', keys }),
    () => {
      for (const n of names) askedKeys.delete(n);
    },
  );
}

/** Calls the host; an error becomes the panel's notice. */
function act<M extends PanelMethod>(method: M, params: PanelMethods[M]['params']): Promise<PanelMethods[M]['result'] | undefined> {
  return client.call(method, params).then(
    (v) => v,
    (e: Error) => {
      dispatch({ type: 'notice', notice: { kind: 'error', text: e.message } });
      return undefined;
    },
  );
}

/** Adds an entry for `preset` to the draft (turning the ChatGPT plan on with it when `planOn`) and opens it. */
function addPresetEntry(preset: ProviderPreset, planOn: boolean): void {
  const r = addEntry(currentConfig(state), preset);
  edit(planOn ? setChatgptPlan(r.config, true) : r.config, r.index);
  dispatch({ type: 'tab', tab: 'models' });
  focusAfterRender = domId('field', `model_list[${r.index}].model_name`);
}

/**
 * Asks the host for the user's consent to use their ChatGPT plan (a modal dialog there).
 * @returns true when they agreed; false (with a notice saying nothing changed) when they declined.
 */
async function askPlanConsent(): Promise<boolean> {
  const ok = await act('confirmChatgptPlan', {});
  if (ok === false) dispatch({ type: 'notice', notice: { kind: 'info', text: 'The ChatGPT plan stays off; nothing was changed.' } });
  return ok === true;
}

function edit(config: unknown, editing?: number | null): void {
  const a: Action = { type: 'edit', config };
  if (editing !== null && editing !== undefined) (a as { editing?: number }).editing = editing;
  else if (editing === null) (a as { editing?: number }).editing = undefined;
  dispatch(a);
}

const handlers: ViewHandlers = {
  tab: (tab) => dispatch({ type: 'tab', tab }),
  save: () => {
    const config = currentConfig(state);
    const json = stableJson(config);
    dispatch({ type: 'saving' });
    client.call('save', { config }).then(
      (result) => dispatch({ type: 'saved', result, config: json }),
      (e: Error) => {
        dispatch({ type: 'saved', result: { saved: false, issues: [] }, config: '' });
        dispatch({ type: 'notice', notice: { kind: 'error', text: `Not saved: ${e.message}` } });
      },
    );
  },
  discard: () => dispatch({ type: 'discard' }),
  importConfig: () => void act('importLiteLLM', {}),
  exportConfig: () => void act('exportLiteLLM', {}),
  setDefaultModel: (alias) => {
    if (alias === (state.snapshot?.defaultModel ?? '')) return;
    void act('setDefaultModel', { alias });
  },
  addEntry: () => {
    const preset = presetFor(addPreset) ?? PRESETS[0]!;
    // The ChatGPT plan preset: the consent comes first; declined, nothing is added.
    if (preset.consent && !chatgptPlanOn(currentConfig(state))) {
      void askPlanConsent().then((ok) => {
        if (ok) addPresetEntry(preset, true);
      });
      return;
    }
    addPresetEntry(preset, false);
  },
  editEntry: (index) => {
    dispatch({ type: 'editing', ...(index !== undefined ? { index } : {}) });
    if (index !== undefined) focusAfterRender = domId('field', `model_list[${index}].model_name`);
  },
  duplicateEntry: (index) => {
    const r = duplicateEntry(currentConfig(state), index);
    if (r.index >= 0) edit(r.config, r.index);
  },
  deleteEntry: (index) => {
    const r = deleteEntry(currentConfig(state), index);
    edit(r.config, state.editing === index ? null : state.editing !== undefined && state.editing > index ? state.editing - 1 : state.editing);
    if (r.chainsChanged.length > 0) {
      dispatch({ type: 'notice', notice: { kind: 'info', text: `Also removed from the fallbacks of ${r.chainsChanged.join(', ')}.` } });
    }
  },
  setField: (index, field, value) => edit(setEntryField(currentConfig(state), index, field, value)),
  openKey: (index, name) => {
    keyEdit = `${index}:${name}`;
    focusAfterRender = domId('keyinput', `${index}`);
    queueRender();
  },
  closeKey: () => {
    keyEdit = undefined;
    queueRender();
  },
  saveKey: (name, value) => {
    if (value.trim() === '') {
      dispatch({ type: 'notice', notice: { kind: 'error', text: `The value for ${name} is empty: paste the key, then press Save key.` } });
      return;
    }
    keyEdit = undefined;
    void act('setKey', { name, value }).then((keys) => {
      if (keys) {
        dispatch({ type: 'keys', keys });
        dispatch({ type: 'notice', notice: { kind: 'info', text: `${name} saved in VS Code's secret storage.` } });
      }
    });
    queueRender();
  },
  clearKey: (name) =>
    void act('clearKey', { name }).then((keys) => {
      if (keys) {
        dispatch({ type: 'keys', keys });
        dispatch({ type: 'notice', notice: { kind: 'info', text: `${name} deleted from VS Code's secret storage.${keys[name] === 'env' ? ' It is still set in the environment, which the gateway also reads.' : ''}` } });
      }
    }),
  setRouter: (field, value) => edit(setRouterField(currentConfig(state), field, value)),
  moveFallback: (alias, from, to) => {
    const chain = fallbackChains(currentConfig(state))[alias] ?? [];
    if (to < 0 || to >= chain.length || from === to) return;
    const moved = chain[from]!;
    edit(setFallbackChain(currentConfig(state), alias, moveItem(chain, from, to)));
    focusAfterRender = domId('chain-item', `${alias}-${moved}`);
  },
  removeFallback: (alias, index) => {
    const chain = fallbackChains(currentConfig(state))[alias] ?? [];
    edit(setFallbackChain(currentConfig(state), alias, chain.filter((_, i) => i !== index)));
  },
  addFallback: (alias, target) => {
    const chain = fallbackChains(currentConfig(state))[alias] ?? [];
    if (!chain.includes(target)) edit(setFallbackChain(currentConfig(state), alias, [...chain, target]));
  },
  test: (alias) => {
    dispatch({ type: 'testStart', alias });
    client.call('testAlias', { alias }).then(
      (result) => dispatch({ type: 'testDone', alias, result, at: Date.now() }),
      (e: Error) => dispatch({ type: 'testDone', alias, result: { ok: false, latencyMs: 0, error: e.message }, at: Date.now() }),
    );
  },
  dismissNotice: () => dispatch({ type: 'notice' }),
  setClaudeCodeEnabled: (enabled) => {
    if (enabled === state.snapshot?.claudeCode?.enabled) return;
    void act('setClaudeCodeEnabled', { enabled });
  },
  setClaudeCodeModel: (tier, alias) => {
    if (alias === state.snapshot?.claudeCode?.models[tier]) return;
    void act('setClaudeCodeModel', { tier, alias });
  },
  setChatgptPlan: (on) => {
    if (!on) {
      edit(setChatgptPlan(currentConfig(state), false));
      return;
    }
    void askPlanConsent().then((ok) => {
      if (ok) edit(setChatgptPlan(currentConfig(state), true));
    });
  },
};

window.addEventListener('message', (e: MessageEvent) => client.receive(e.data));
// The live view's window moves with time: refresh its numbers while it is shown.
setInterval(() => {
  if (state.tab === 'live' && document.visibilityState === 'visible') queueRender();
}, 5_000);
renderNow();
client.ready();
