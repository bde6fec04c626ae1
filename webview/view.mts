/**
 * The settings panel's templates (lit-html + `@vscode-elements/elements`): a pure function of the view model plus
 * callbacks, rendered by main.mts. No state lives here. Accessibility: every control has a visible label or an
 * `aria-label`; errors are linked to their fields and announced (`role="alert"`); tables have header cells; the
 * fallback lists are ordered lists whose items move with Alt+Up / Alt+Down, buttons, or drag and drop.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { ClaudeTier, KeyState } from '../src/shared/panel-protocol.js';
import type { EntryField, RouterField } from './config-edit.js';
import { entryFieldPath } from './config-edit.js';
import type { AliasStats } from './live-stats.js';
import { PRESETS } from './presets.js';
import type { ChainRow, ChatgptPlanView, ClaudeCodeView, EntryRow, Tab, TestState, ViewModel } from './state.js';

/** What the view can ask for. */
export interface ViewHandlers {
  tab(tab: Tab): void;
  save(): void;
  discard(): void;
  importConfig(): void;
  exportConfig(): void;
  setDefaultModel(alias: string): void;
  /** Adds an entry for the preset chosen in the "Add a model" picker. */
  addEntry(): void;
  editEntry(index: number | undefined): void;
  duplicateEntry(index: number): void;
  deleteEntry(index: number): void;
  setField(index: number, field: EntryField, value: string): void;
  openKey(index: number, name: string): void;
  closeKey(): void;
  saveKey(name: string, value: string): void;
  clearKey(name: string): void;
  setRouter(field: RouterField, value: string): void;
  moveFallback(alias: string, from: number, to: number): void;
  removeFallback(alias: string, index: number): void;
  addFallback(alias: string, target: string): void;
  test(alias: string): void;
  dismissNotice(): void;
  /** Turns `codexGateway.claudeCode.enabled` on or off. */
  setClaudeCodeEnabled(enabled: boolean): void;
  /** Sets the alias of one Claude Code tier (`''` = the default model). */
  setClaudeCodeModel(tier: ClaudeTier, alias: string): void;
  /** Turns the ChatGPT plan on (after the host's consent dialog) or off, in the draft. */
  setChatgptPlan(on: boolean): void;
}

/** Extra inputs of the view that are not part of the state (UI-only). */
export interface ViewExtras {
  /** Preset chosen in the "Add model" picker. */
  addPreset: string;
  setAddPreset(id: string): void;
  /** Aliases of the saved settings (the default model and tests use those). */
  savedAliases: string[];
  /** Row index + key name whose password field is open (`"2:DEEPSEEK_API_KEY"`). */
  keyEdit?: string;
}

/** A DOM id made from a config path or name (ids must not contain spaces or quotes). */
export function domId(prefix: string, s: string): string {
  return `${prefix}-${s.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

const KEY_TEXT: Record<KeyState | 'literal' | 'none' | 'unknown', string> = {
  set: 'Set',
  env: 'From environment',
  missing: 'Missing',
  literal: 'In settings',
  none: 'Not needed',
  unknown: 'Checking…',
};

const KEY_ICON: Record<KeyState | 'literal' | 'none' | 'unknown', string> = {
  set: 'pass',
  env: 'terminal',
  missing: 'warning',
  literal: 'warning',
  none: 'circle-slash',
  unknown: 'loading',
};

function keyKind(r: EntryRow): KeyState | 'literal' | 'none' | 'unknown' {
  if (r.keySource === 'literal') return 'literal';
  if (r.keySource === 'none') return 'none';
  return r.keyState ?? 'unknown';
}

function icon(name: string, label?: string): TemplateResult {
  return label ? html`<span class="codicon codicon-${name}" role="img" aria-label=${label}></span>` : html`<span class="codicon codicon-${name}" aria-hidden="true"></span>`;
}

/** Messages under a field, linked with aria-describedby through the id `err-<path>`. */
function fieldErrors(vm: ViewModel, path: string): TemplateResult | typeof nothing {
  const errs = vm.fieldErrors[path];
  if (!errs || errs.length === 0) return nothing;
  return html`<div class="field-error" id=${domId('err', path)} role="alert">${errs.map((e) => html`<div>${icon('error')} ${e}</div>`)}</div>`;
}

function hasError(vm: ViewModel, path: string): boolean {
  return (vm.fieldErrors[path]?.length ?? 0) > 0;
}

function gatewayChip(vm: ViewModel): TemplateResult {
  const g = vm.gateway;
  if (!g) return html``;
  const text: Record<typeof g.phase, string> = {
    starting: `Starting on port ${g.port}…`,
    running: `Running on 127.0.0.1:${g.port}`,
    attached: `Running on 127.0.0.1:${g.port} (served by another window)`,
    error: `Not running (port ${g.port})`,
    stopped: 'Stopped',
  };
  const ic = g.phase === 'error' ? 'error' : g.phase === 'starting' ? 'loading' : g.phase === 'stopped' ? 'circle-slash' : 'pass-filled';
  return html`<span class="chip chip-${g.phase}" role="status" title=${g.error ?? ''}>${icon(ic)} ${text[g.phase]}</span>`;
}

function header(vm: ViewModel, h: ViewHandlers, x: ViewExtras): TemplateResult {
  const firstSaved = x.savedAliases[0];
  return html`<header class="top">
    <div class="title">
      <h1>Codex Gateway</h1>
      ${gatewayChip(vm)}
    </div>
    <div class="top-controls">
      <div class="inline-field">
        <vscode-label for="default-model">Default model</vscode-label>
        <vscode-single-select
          id="default-model"
          label="Default model (the model behind default, as in the status bar)"
          .value=${vm.defaultModel}
          @change=${(e: Event) => h.setDefaultModel((e.target as HTMLInputElement).value)}
        >
          <vscode-option value="" ?selected=${vm.defaultModel === ''}>${firstSaved ? `First alias (${firstSaved})` : 'First alias'}</vscode-option>
          ${x.savedAliases.map((a) => html`<vscode-option value=${a} ?selected=${vm.defaultModel === a}>${a}</vscode-option>`)}
        </vscode-single-select>
      </div>
      <vscode-button secondary icon="cloud-download" @click=${h.importConfig} title="Replace these settings with a LiteLLM config.yaml (keys move to secret storage)">Import config.yaml…</vscode-button>
      <vscode-button secondary icon="cloud-upload" @click=${h.exportConfig} title="Write these settings as a LiteLLM config.yaml">Export…</vscode-button>
    </div>
  </header>`;
}

function saveBar(vm: ViewModel, h: ViewHandlers): TemplateResult | typeof nothing {
  if (!vm.dirty && !vm.notice && !vm.externalChange) return nothing;
  const problems = vm.validating ? 'checking…' : vm.issueCount === 0 ? 'no problems' : `${vm.issueCount} problem${vm.issueCount === 1 ? '' : 's'}`;
  return html`<section class="bars" aria-label="Status">
    ${vm.externalChange
      ? html`<div class="bar bar-warning" role="alert">
          ${icon('warning')} The settings were changed outside this panel (settings.json or another window). Your unsaved
          edits are kept; save to overwrite them, or discard to load the new settings.
        </div>`
      : nothing}
    ${vm.dirty
      ? html`<div class="bar bar-dirty" role="region" aria-label="Unsaved changes">
          <span>${icon('circle-filled')} Unsaved changes (${problems})</span>
          <span class="spacer"></span>
          <vscode-button secondary @click=${h.discard} ?disabled=${vm.saving}>Discard</vscode-button>
          <vscode-button id="save" @click=${h.save} ?disabled=${vm.saving}>${vm.saving ? 'Saving…' : 'Save'}</vscode-button>
        </div>`
      : nothing}
    ${vm.notice
      ? html`<div class="bar bar-${vm.notice.kind}" role=${vm.notice.kind === 'error' ? 'alert' : 'status'}>
          ${icon(vm.notice.kind === 'info' ? 'info' : vm.notice.kind)} <span class="grow">${vm.notice.text}</span>
          <vscode-button secondary icon="close" aria-label="Dismiss message" title="Dismiss" @click=${h.dismissNotice}></vscode-button>
        </div>`
      : nothing}
  </section>`;
}

function otherIssues(vm: ViewModel): TemplateResult | typeof nothing {
  if (vm.otherIssues.length === 0) return nothing;
  return html`<section class="issues" role="alert" aria-label="Problems in the config">
    <h2>${icon('error')} Problems in the config</h2>
    <ul>
      ${vm.otherIssues.map((i) => html`<li><code>${i.path}</code>: ${i.message}</li>`)}
    </ul>
  </section>`;
}

function keyCell(r: EntryRow, h: ViewHandlers, x: ViewExtras): TemplateResult {
  const kind = keyKind(r);
  const open = r.keyName !== undefined && x.keyEdit === `${r.index}:${r.keyName}`;
  if (open && r.keyName) {
    const id = domId('keyinput', `${r.index}`);
    const submit = () => {
      const el = document.getElementById(id) as HTMLInputElement | null;
      h.saveKey(r.keyName!, el?.value ?? '');
    };
    return html`<div class="key-edit">
      <vscode-textfield
        id=${id}
        type="password"
        placeholder=${r.keyName}
        label=${`Value of ${r.keyName}`}
        @keydown=${(e: KeyboardEvent) => {
          if (e.key === 'Enter') submit();
          else if (e.key === 'Escape') h.closeKey();
        }}
      ></vscode-textfield>
      <vscode-button @click=${submit}>Save key</vscode-button>
      <vscode-button secondary @click=${h.closeKey}>Cancel</vscode-button>
    </div>`;
  }
  const name = r.keyName ? html`<code class="key-name">${r.keyName}</code>` : nothing;
  return html`<div class="key">
    <span class="key-state key-${kind}">${icon(KEY_ICON[kind])} ${KEY_TEXT[kind]}</span>
    ${name}
    ${r.keyName
      ? html`<span class="row-actions">
          <vscode-button secondary class="small" aria-label=${`Set ${r.keyName}`} @click=${() => h.openKey(r.index, r.keyName!)}>${kind === 'set' ? 'Replace' : 'Set'}</vscode-button>
          ${kind === 'set' ? html`<vscode-button secondary class="small" aria-label=${`Clear ${r.keyName}`} @click=${() => h.clearKey(r.keyName!)}>Clear</vscode-button>` : nothing}
        </span>`
      : nothing}
  </div>`;
}

/** The plan's usage in words: the limit (when reached) and each window's remaining share and reset time. */
function planUsage(p: ChatgptPlanView): TemplateResult | typeof nothing {
  const u = p.usage;
  if (!u) return nothing;
  return html`<div class="plan-usage" id="chatgpt-plan-usage" role="status">
    ${u.limitUntil !== undefined ? html`<div class="plan-limit">${icon('warning')} Usage limit reached until ${u.limitUntil}; fallbacks serve until then.</div>` : nothing}
    ${u.windows.length > 0 ? html`<div>${icon('dashboard')} ChatGPT plan: ${u.windows.join(' · ')}</div>` : nothing}
  </div>`;
}

/** The ChatGPT plan's section of the Models tab: on or off (in the draft), a way to switch, and its usage. */
function planSection(p: ChatgptPlanView, h: ViewHandlers): TemplateResult {
  const aliases = p.aliases.length > 0 ? html` (${p.aliases.map((a, i) => html`${i > 0 ? ', ' : ''}<code>${a}</code>`)})` : nothing;
  const state = p.on
    ? html`${icon('pass-filled')} On${p.savedOn ? '' : ' after you save'}: requests for chatgpt/&lt;model&gt; models${aliases} go to your ChatGPT plan with your Codex sign-in, under OpenAI's terms, from this machine only.`
    : html`${icon('circle-slash')} Off${p.savedOn ? ' after you save' : ''}: chatgpt/&lt;model&gt; models${aliases} send nothing; their fallbacks serve.`;
  return html`<section class="plan" id="chatgpt-plan" aria-labelledby="chatgpt-plan-title">
    <h2 id="chatgpt-plan-title">ChatGPT plan</h2>
    <p id="chatgpt-plan-state" class=${p.on ? 'plan-on' : 'plan-off'}>${state}</p>
    ${p.on
      ? html`<vscode-button secondary id="chatgpt-plan-toggle" @click=${() => h.setChatgptPlan(false)}>Turn off</vscode-button>`
      : html`<vscode-button secondary id="chatgpt-plan-toggle" @click=${() => h.setChatgptPlan(true)}>Turn on…</vscode-button>`}
    ${planUsage(p)}
  </section>`;
}

function modelsTab(vm: ViewModel, h: ViewHandlers, x: ViewExtras): TemplateResult {
  return html`<div class="toolbar">
      <vscode-label for="add-preset">Add a model</vscode-label>
      <vscode-single-select id="add-preset" label="Provider of the new model" .value=${x.addPreset} @change=${(e: Event) => x.setAddPreset((e.target as HTMLInputElement).value)}>
        ${PRESETS.map((p) => html`<vscode-option value=${p.id} ?selected=${p.id === x.addPreset}>${p.label}</vscode-option>`)}
      </vscode-single-select>
      <vscode-button id="add-model" icon="add" @click=${() => h.addEntry()}>Add</vscode-button>
    </div>
    <table class="grid" aria-label="Model aliases (model_list)">
      <thead>
        <tr>
          <th scope="col">Alias</th>
          <th scope="col">Provider / model</th>
          <th scope="col">API base</th>
          <th scope="col">Key</th>
          <th scope="col" class="num">Weight</th>
          <th scope="col" class="num">Context</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${vm.rows.length === 0 ? html`<tr><td colspan="7" class="empty">No models yet: pick a provider above and press Add, or import a LiteLLM config.yaml.</td></tr>` : nothing}
        ${vm.rows.map((r) => row(vm, r, h, x))}
      </tbody>
    </table>
    ${vm.editing ? editor(vm, vm.editing, h) : nothing}
    ${vm.chatgptPlan ? planSection(vm.chatgptPlan, h) : nothing}`;
}

function row(vm: ViewModel, r: EntryRow, h: ViewHandlers, x: ViewExtras): TemplateResult {
  const selected = vm.editing?.index === r.index;
  const isDefault = (vm.effectiveDefault ?? '') === r.alias;
  return html`<tr class=${`${selected ? 'selected' : ''} ${r.issueCount > 0 ? 'has-error' : ''}`} data-index=${r.index}>
    <th scope="row" class="alias">
      ${r.issueCount > 0 ? icon('error', `${r.issueCount} problem${r.issueCount === 1 ? '' : 's'}`) : nothing}
      <span>${r.alias || html`<em class="muted">(no alias)</em>`}</span>
      ${isDefault ? html`<vscode-badge variant="counter" title="The model behind default">default</vscode-badge>` : nothing}
    </th>
    <td><span class="provider" title=${r.provider}>${r.providerLabel || html`<em class="muted">?</em>`}</span> <code>${r.model || '…'}</code></td>
    <td class="url">${r.apiBase ? html`<code>${r.apiBase}</code>` : html`<span class="muted">${r.apiBaseDefault ? `default (${r.apiBaseDefault})` : 'required'}</span>`}</td>
    <td>${keyCell(r, h, x)}</td>
    <td class="num">${r.weight || html`<span class="muted">1</span>`}</td>
    <td class="num">${r.contextWindow ? Number(r.contextWindow).toLocaleString('en-US') : html`<span class="muted">—</span>`}</td>
    <td class="actions">
      <vscode-button secondary class="small" aria-label=${`Edit ${r.alias}`} title="Edit" icon="edit" @click=${() => h.editEntry(selected ? undefined : r.index)}></vscode-button>
      <vscode-button secondary class="small" aria-label=${`Duplicate ${r.alias}`} title="Duplicate" icon="copy" @click=${() => h.duplicateEntry(r.index)}></vscode-button>
      <vscode-button secondary class="small" aria-label=${`Delete ${r.alias}`} title="Delete" icon="trash" @click=${() => h.deleteEntry(r.index)}></vscode-button>
    </td>
  </tr>`;
}

function textField(vm: ViewModel, h: ViewHandlers, r: EntryRow, field: EntryField, label: string, value: string, opts: { placeholder?: string; help?: string; type?: string } = {}): TemplateResult {
  const path = entryFieldPath(r.index, field);
  const id = domId('field', path);
  const err = hasError(vm, path);
  const describedBy = [err ? domId('err', path) : '', opts.help ? `${id}-help` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
    <vscode-label for=${id}>${label}</vscode-label>
    <vscode-textfield
      id=${id}
      type=${opts.type ?? 'text'}
      .value=${value}
      placeholder=${opts.placeholder ?? ''}
      label=${label}
      ?invalid=${err}
      aria-describedby=${describedBy || nothing}
      @input=${(e: Event) => h.setField(r.index, field, (e.target as HTMLInputElement).value)}
    ></vscode-textfield>
    ${opts.help ? html`<div class="help" id=${`${id}-help`}>${opts.help}</div>` : nothing}
    ${fieldErrors(vm, path)}
  </div>`;
}

function editor(vm: ViewModel, r: EntryRow, h: ViewHandlers): TemplateResult {
  const providerPath = entryFieldPath(r.index, 'provider');
  const known = PRESETS.some((p) => p.id === r.provider);
  const preset = PRESETS.find((p) => p.id === r.provider);
  return html`<section class="editor" aria-label=${`Edit model ${r.alias}`}>
    <h2>Edit <code>${r.alias || `model_list[${r.index}]`}</code></h2>
    <div class="form">
      <div class="field">
        <vscode-label for="field-provider">Provider</vscode-label>
        <vscode-single-select id="field-provider" label="Provider" .value=${r.provider} ?invalid=${hasError(vm, providerPath)} @change=${(e: Event) => h.setField(r.index, 'provider', (e.target as HTMLInputElement).value)}>
          ${known ? nothing : html`<vscode-option value=${r.provider} selected>${r.provider || '(none)'}</vscode-option>`}
          ${PRESETS.map((p) => html`<vscode-option value=${p.id} ?selected=${p.id === r.provider}>${p.label}</vscode-option>`)}
        </vscode-single-select>
        ${providerPath === entryFieldPath(r.index, 'model') ? nothing : fieldErrors(vm, providerPath)}
      </div>
      ${textField(vm, h, r, 'model_name', 'Alias (model_name)', r.alias, { help: 'The name Codex asks for. Entries with the same alias are load-balanced.' })}
      ${textField(vm, h, r, 'model', 'Model', r.model, { placeholder: preset?.exampleModel ?? 'model-name', help: `Sent upstream as the model; written as ${r.provider || 'provider'}/<model>.` })}
      ${textField(vm, h, r, 'api_base', 'API base', r.apiBase, { placeholder: r.apiBasePlaceholder, help: r.apiBaseDefault ? 'Empty: the provider default shown.' : 'Required for this provider.' })}
      ${textField(vm, h, r, 'key_name', 'Key name', r.keySource === 'reference' ? (r.keyName ?? '') : '', {
        placeholder: r.keySource === 'provider-default' ? (r.keyName ?? '') : r.keySource === 'literal' ? 'Key written in settings: type a name to move it to secret storage' : 'No key',
        help: 'Secret name, written as api_key: os.environ/NAME. Set its value in the Key column.',
      })}
      ${textField(vm, h, r, 'weight', 'Weight', r.weight, { placeholder: '1', help: 'Load-balancing weight (simple-shuffle).' })}
      ${textField(vm, h, r, 'context_window', 'Context window (tokens)', r.contextWindow, { placeholder: 'e.g. 128000' })}
    </div>
    <div class="editor-actions">
      <vscode-button secondary @click=${() => h.editEntry(undefined)}>Close editor</vscode-button>
    </div>
  </section>`;
}

function chainList(vm: ViewModel, c: ChainRow, h: ViewHandlers): TemplateResult {
  const listId = domId('chain', c.alias);
  const err = c.errors.length > 0;
  return html`<section class="chain ${err ? 'has-error' : ''}" aria-labelledby=${`${listId}-title`}>
    <h3 id=${`${listId}-title`}><code>${c.alias}</code> ${icon('arrow-right')} falls back to</h3>
    ${c.chain.length === 0
      ? html`<p class="muted">No fallbacks: when ${c.alias} fails after its retries, the request fails.</p>`
      : html`<ol class="chain-list" id=${listId} aria-describedby=${`${listId}-help`}>
          ${c.chain.map(
            (t, i) => html`<li
              class="chain-item"
              id=${domId('chain-item', `${c.alias}-${t}`)}
              tabindex="0"
              draggable="true"
              aria-label=${`${i + 1}. ${t}`}
              data-alias=${c.alias}
              data-index=${i}
              @keydown=${(e: KeyboardEvent) => {
                if (e.altKey && e.key === 'ArrowUp') {
                  e.preventDefault();
                  h.moveFallback(c.alias, i, i - 1);
                } else if (e.altKey && e.key === 'ArrowDown') {
                  e.preventDefault();
                  h.moveFallback(c.alias, i, i + 1);
                } else if (e.key === 'Delete') {
                  e.preventDefault();
                  h.removeFallback(c.alias, i);
                }
              }}
              @dragstart=${(e: DragEvent) => {
                e.dataTransfer?.setData('text/plain', `${c.alias}\n${i}`);
                if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
              }}
              @dragover=${(e: DragEvent) => e.preventDefault()}
              @drop=${(e: DragEvent) => {
                e.preventDefault();
                const [alias, from] = (e.dataTransfer?.getData('text/plain') ?? '').split('\n');
                if (alias === c.alias && from !== undefined) h.moveFallback(c.alias, Number(from), i);
              }}
            >
              <span class="grip" aria-hidden="true">${icon('gripper')}</span>
              <span class="pos" aria-hidden="true">${i + 1}.</span>
              <code class="grow">${t}</code>
              <vscode-button secondary class="small" icon="arrow-up" aria-label=${`Move ${t} up`} title="Move up (Alt+Up)" ?disabled=${i === 0} @click=${() => h.moveFallback(c.alias, i, i - 1)}></vscode-button>
              <vscode-button secondary class="small" icon="arrow-down" aria-label=${`Move ${t} down`} title="Move down (Alt+Down)" ?disabled=${i === c.chain.length - 1} @click=${() => h.moveFallback(c.alias, i, i + 1)}></vscode-button>
              <vscode-button secondary class="small" icon="close" aria-label=${`Remove ${t} from the fallbacks of ${c.alias}`} title="Remove (Delete)" @click=${() => h.removeFallback(c.alias, i)}></vscode-button>
            </li>`,
          )}
        </ol>
        <p class="help" id=${`${listId}-help`}>Tried in this order after ${c.alias}'s retries. Reorder with Alt+Up / Alt+Down, the arrows, or drag.</p>`}
    ${c.candidates.length > 0
      ? html`<div class="add-fallback">
          <vscode-single-select id=${`${listId}-add`} label=${`Fallback to add to ${c.alias}`} .value=${''}
            @change=${(e: Event) => {
              const v = (e.target as HTMLInputElement).value;
              if (v) h.addFallback(c.alias, v);
            }}>
            <vscode-option value="" selected>Add a fallback…</vscode-option>
            ${c.candidates.map((a) => html`<vscode-option value=${a}>${a}</vscode-option>`)}
          </vscode-single-select>
        </div>`
      : nothing}
    ${err ? html`<div class="field-error" role="alert">${c.errors.map((e) => html`<div>${icon('error')} ${e}</div>`)}</div>` : nothing}
  </section>`;
}

const ROUTER_LABELS: Record<RouterField, { label: string; help: string }> = {
  routing_strategy: { label: 'Routing strategy', help: 'How deployments of one alias share requests.' },
  num_retries: { label: 'Retries (num_retries)', help: 'Retries inside one alias before its fallbacks.' },
  timeout: { label: 'Timeout (s)', help: 'Per-request timeout in seconds.' },
  cooldown_time: { label: 'Cooldown (s, cooldown_time)', help: 'How long a failing deployment rests.' },
  allowed_fails: { label: 'Allowed fails per minute', help: 'Failures before a deployment cools down.' },
};

function fallbacksTab(vm: ViewModel, h: ViewHandlers): TemplateResult {
  return html`<div class="columns">
    <div class="chains">
      <h2>Fallbacks</h2>
      ${vm.chains.length === 0 ? html`<p class="muted">Add models first.</p>` : vm.chains.map((c) => chainList(vm, c, h))}
    </div>
    <div class="router">
      <h2>Router settings</h2>
      <div class="form narrow">
        ${vm.router.map((r) => {
          const path = `router_settings.${r.field}`;
          const id = domId('field', path);
          const meta = ROUTER_LABELS[r.field];
          const err = r.errors.length > 0;
          const control =
            r.field === 'routing_strategy'
              ? html`<vscode-single-select id=${id} label=${meta.label} .value=${r.value} @change=${(e: Event) => h.setRouter(r.field, (e.target as HTMLInputElement).value)}>
                  <vscode-option value="" ?selected=${r.value === ''}>Default (${r.placeholder})</vscode-option>
                  ${['simple-shuffle', 'least-busy', 'latency-based-routing'].map((s) => html`<vscode-option value=${s} ?selected=${r.value === s}>${s}</vscode-option>`)}
                </vscode-single-select>`
              : html`<vscode-textfield id=${id} .value=${r.value} placeholder=${`${r.placeholder} (default)`} label=${meta.label} ?invalid=${err}
                  aria-describedby=${err ? domId('err', path) : nothing}
                  @input=${(e: Event) => h.setRouter(r.field, (e.target as HTMLInputElement).value)}></vscode-textfield>`;
          return html`<div class="field">
            <vscode-label for=${id}>${meta.label}</vscode-label>
            ${control}
            <div class="help">${meta.help}</div>
            ${err ? html`<div class="field-error" id=${domId('err', path)} role="alert">${r.errors.map((e) => html`<div>${icon('error')} ${e}</div>`)}</div>` : nothing}
          </div>`;
        })}
      </div>
    </div>
  </div>`;
}

function testResult(t: TestState | undefined): TemplateResult | typeof nothing {
  if (!t) return nothing;
  if (t.running) return html`<span class="test-result" role="status">${icon('loading')} Testing…</span>`;
  const r = t.result;
  if (r.ok) {
    return html`<span class="test-result ok" role="status">${icon('pass')} ${r.latencyMs} ms${r.fallback ? ' (a fallback answered)' : ''}: “${r.text}”</span>`;
  }
  return html`<span class="test-result fail" role="alert">${icon('error')} ${r.error}${r.hint ? html` <strong>${r.hint}</strong>` : nothing} <span class="muted">(${r.latencyMs} ms)</span></span>`;
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function liveRow(s: AliasStats, vm: ViewModel, h: ViewHandlers, x: ViewExtras): TemplateResult {
  const saved = x.savedAliases.includes(s.alias);
  const t = vm.tests[s.alias];
  return html`<tr>
    <th scope="row"><code>${s.alias}</code></th>
    <td class="num">${s.requests}</td>
    <td class="num ${s.errors > 0 ? 'bad' : ''}">${s.errors}</td>
    <td class="num">${fmtMs(s.p50Ms)}</td>
    <td class="num">${s.tokensIn.toLocaleString('en-US')} / ${s.tokensOut.toLocaleString('en-US')}</td>
    <td>${s.servedBy.length === 0 ? html`<span class="muted">—</span>` : s.servedBy.map((b) => html`<span class=${b.fallback ? 'served fallback' : 'served'}>${b.label} ×${b.count}</span> `)}
      ${s.lastError ? html`<div class="last-error" title=${`Last error: ${s.lastError}`}>${icon('error')} ${s.lastError}</div>` : nothing}</td>
    <td class="test">
      <vscode-button secondary class="small" aria-label=${`Test ${s.alias}`} ?disabled=${!saved || t?.running === true} title=${saved ? 'Send a tiny request through the gateway' : 'Save first: tests use the saved settings'} @click=${() => h.test(s.alias)}>Test</vscode-button>
      ${testResult(t)}
    </td>
  </tr>`;
}

function liveTab(vm: ViewModel, h: ViewHandlers, x: ViewExtras): TemplateResult {
  const minutes = Math.round(vm.liveWindowMs / 60_000);
  return html`<p class="help">Requests through the gateway in the last ${minutes} minutes, per alias Codex asked for. The Test button sends a tiny request (a few tokens) with the saved settings.</p>
    ${vm.chatgptPlan ? planUsage(vm.chatgptPlan) : nothing}
    <table class="grid live" aria-label=${`Requests of the last ${minutes} minutes per alias`}>
      <colgroup>
        <col class="c-alias" /><col class="c-num" /><col class="c-num" /><col class="c-num" /><col class="c-num" /><col class="c-served" /><col class="c-test" />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">Alias</th>
          <th scope="col" class="num">Requests</th>
          <th scope="col" class="num">Errors</th>
          <th scope="col" class="num">p50 latency</th>
          <th scope="col" class="num">Tokens in / out</th>
          <th scope="col">Served by</th>
          <th scope="col">Test</th>
        </tr>
      </thead>
      <tbody>
        ${vm.stats.length === 0 ? html`<tr><td colspan="7" class="empty">No aliases.</td></tr>` : vm.stats.map((s) => liveRow(s, vm, h, x))}
      </tbody>
    </table>`;
}

const TIER_HELP: Record<ClaudeTier, string> = {
  haiku: 'Small, fast requests and background tasks (ANTHROPIC_DEFAULT_HAIKU_MODEL).',
  sonnet: 'The model Claude Code starts with (ANTHROPIC_MODEL, ANTHROPIC_DEFAULT_SONNET_MODEL).',
  opus: 'The largest tier, picked with /model opus (ANTHROPIC_DEFAULT_OPUS_MODEL).',
};

function claudeSection(cc: ClaudeCodeView, h: ViewHandlers): TemplateResult {
  return html`<section class="claude" id="claude-code" aria-labelledby="claude-title">
    <h2 id="claude-title">Claude Code</h2>
    <p class="help">
      Claude Code (the <code>claude</code> CLI and its VS Code extension) can use the same aliases through the gateway's
      Anthropic door. Turning this off puts your Claude Code settings back.
    </p>
    <div class="claude-toggle">
      <vscode-checkbox
        id="claude-enabled"
        toggle
        ?checked=${cc.enabled}
        label="Point Claude Code at the gateway"
        @change=${(e: Event) => h.setClaudeCodeEnabled((e.target as HTMLInputElement).checked)}
      ></vscode-checkbox>
    </div>
    <dl class="claude-state">
      <dt>State</dt>
      <dd id="claude-state" class=${`claude-${cc.state}`} role="status">${icon(cc.stateIcon)} ${cc.stateText}</dd>
      <dt>Settings file</dt>
      <dd id="claude-settings-path"><code>${cc.settingsPath}</code></dd>
      <dt>Claude Code extension</dt>
      <dd id="claude-extension" class=${`claude-ext-${cc.extension}`}>${icon(cc.extension === 'set' ? 'pass' : cc.extension === 'not-set' ? 'warning' : 'circle-slash')} ${cc.extensionText}</dd>
    </dl>
    <h3>Model per tier</h3>
    <p class="help">Which alias each of Claude Code's model tiers uses. "Default model" follows the model picked in the status bar.</p>
    <div class="form claude-tiers">
      ${cc.tiers.map(
        (t) => html`<div class="field">
          <vscode-label for=${`claude-tier-${t.tier}`}>${t.tier}</vscode-label>
          <vscode-single-select
            id=${`claude-tier-${t.tier}`}
            label=${`Alias for Claude Code's ${t.tier} tier`}
            .value=${t.value}
            ?invalid=${t.unknown}
            aria-describedby=${`claude-tier-${t.tier}-help`}
            @change=${(e: Event) => {
              const v = (e.target as HTMLInputElement).value;
              if (v !== t.value) h.setClaudeCodeModel(t.tier, v);
            }}
          >
            ${t.options.map((o) => html`<vscode-option value=${o.value} ?selected=${o.value === t.value}>${o.label}</vscode-option>`)}
          </vscode-single-select>
          <div class="help" id=${`claude-tier-${t.tier}-help`}>
            ${TIER_HELP[t.tier]}${t.resolved ? html` Now: <code>${t.resolved}</code>.` : nothing}
          </div>
          ${t.unknown ? html`<div class="field-error" role="alert">${icon('error')} ${t.value} is not an alias of the saved config: pick another.</div>` : nothing}
        </div>`,
      )}
    </div>
  </section>`;
}

function claudeTab(vm: ViewModel, h: ViewHandlers): TemplateResult {
  if (!vm.claudeCode) return html`<p class="muted">This version of the extension does not wire Claude Code.</p>`;
  return claudeSection(vm.claudeCode, h);
}

const TAB_ORDER: readonly Tab[] = ['models', 'fallbacks', 'live', 'claude'];

/** The whole panel. */
export function panelView(vm: ViewModel, h: ViewHandlers, x: ViewExtras): TemplateResult {
  if (!vm.ready) return html`<p class="loading" role="status">Loading Codex Gateway settings…</p>`;
  const errorCount = (tab: Tab) => (tab === 'models' ? vm.rows.reduce((n, r) => n + r.issueCount, 0) : tab === 'fallbacks' ? vm.chains.reduce((n, c) => n + c.errors.length, 0) + vm.router.reduce((n, r) => n + r.errors.length, 0) : 0);
  const label: Record<Tab, string> = { models: 'Models', fallbacks: 'Fallbacks & routing', live: 'Live', claude: 'Claude Code' };
  return html`${header(vm, h, x)} ${saveBar(vm, h)} ${otherIssues(vm)}
    <vscode-tabs
      selected-index=${TAB_ORDER.indexOf(vm.tab)}
      @vsc-tabs-select=${(e: CustomEvent<{ selectedIndex: number }>) => {
        const t = TAB_ORDER[e.detail.selectedIndex];
        if (t && t !== vm.tab) h.tab(t);
      }}
    >
      ${TAB_ORDER.map((t) => {
        const n = errorCount(t);
        return html`<vscode-tab-header slot="header" data-tab=${t}>${label[t]}${n > 0 ? html` <vscode-badge variant="counter" aria-label=${`${n} problems`}>${n}</vscode-badge>` : nothing}</vscode-tab-header>`;
      })}
      <vscode-tab-panel data-tab="models">${vm.tab === 'models' ? modelsTab(vm, h, x) : nothing}</vscode-tab-panel>
      <vscode-tab-panel data-tab="fallbacks">${vm.tab === 'fallbacks' ? fallbacksTab(vm, h) : nothing}</vscode-tab-panel>
      <vscode-tab-panel data-tab="live">${vm.tab === 'live' ? liveTab(vm, h, x) : nothing}</vscode-tab-panel>
      <vscode-tab-panel data-tab="claude">${vm.tab === 'claude' ? claudeTab(vm, h) : nothing}</vscode-tab-panel>
    </vscode-tabs>`;
}
