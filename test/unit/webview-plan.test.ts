/**
 * The settings panel's ChatGPT plan part, without a browser: the config edit that turns the plan on or off, the view
 * model (on/off, aliases on the plan, usage in words), and the host's consent rule: the panel asks with
 * `confirmChatgptPlan`, and a save that turns the plan on is written only once the user agreed (asked again at save
 * time otherwise; declined, nothing is written). The host side is the real PanelDispatcher in front of a LocalBackend
 * (real validation, a real gateway on 127.0.0.1).
 */
import * as assert from 'node:assert/strict';
import { PanelDispatcher } from '../../src/extension/panel/dispatch';
import { chatgptPlanOn, type HostToWebview, type PanelSnapshot, type PlanUsage } from '../../src/shared/panel-protocol';
import { addEntry, setChatgptPlan, setEntryField } from '../../webview/config-edit';
import { presetFor } from '../../webview/presets';
import { initialState, reduce, viewModel } from '../../webview/state';
import { LocalBackend } from '../vscode/panel/local-backend';

const BASE = {
  model_list: [{ model_name: 'ds', litellm_params: { model: 'openai_compatible/ds-model', api_base: 'http://127.0.0.1:9/v1' } }],
  router_settings: { num_retries: 0 },
};

describe('webview ChatGPT plan: config edit and view', () => {
  it('turns the plan on and off in a copy, keeping every other key; off removes an emptied gateway_settings', () => {
    const withPort = { ...BASE, gateway_settings: { port: 4000 } };
    const on = setChatgptPlan(withPort, true);
    assert.deepEqual(on.gateway_settings, { port: 4000, chatgpt_plan: true });
    assert.deepEqual(withPort.gateway_settings, { port: 4000 }, 'the input is not changed');
    assert.ok(chatgptPlanOn(on));
    assert.deepEqual(setChatgptPlan(on, false).gateway_settings, { port: 4000 });
    const bare = setChatgptPlan(setChatgptPlan(BASE, true), false);
    assert.deepEqual(bare, BASE);
    assert.equal(chatgptPlanOn({ gateway_settings: { chatgpt_plan: 'true' } }), false, 'only the boolean the engine takes');
    assert.equal(chatgptPlanOn(undefined), false);
  });

  it('the preset entry is chatgpt/<model> with no key; the view lists the plan aliases, on or off, and the usage', () => {
    const preset = presetFor('chatgpt')!;
    assert.ok(preset.consent);
    const added = addEntry(BASE, preset);
    const cfg = setEntryField(setEntryField(added.config, added.index, 'model_name', 'plan'), added.index, 'model', 'gpt-5.5');
    assert.deepEqual(cfg.model_list, [...BASE.model_list, { model_name: 'plan', litellm_params: { model: 'chatgpt/gpt-5.5' } }]);

    const now = new Date(2030, 0, 7, 9, 0).getTime();
    const snapshot = (config: unknown, usage?: PlanUsage): PanelSnapshot => ({
      config,
      defaultModel: '',
      keys: {},
      gateway: { phase: 'running', port: 4000 },
      issues: [],
      recent: [],
      liveWindowMs: 900_000,
      ...(usage ? { chatgptPlanUsage: usage } : {}),
    });
    let s = reduce(initialState(undefined), { type: 'snapshot', snapshot: snapshot(BASE) });
    assert.equal(viewModel(s, now).chatgptPlan, undefined, 'no plan model, plan off, nothing known: no section');
    s = reduce(s, { type: 'edit', config: cfg });
    assert.deepEqual(viewModel(s, now).chatgptPlan, { on: false, savedOn: false, aliases: ['plan'] });
    s = reduce(s, { type: 'edit', config: setChatgptPlan(cfg, true) });
    assert.deepEqual(viewModel(s, now).chatgptPlan, { on: true, savedOn: false, aliases: ['plan'] }, 'on in the draft, not saved yet');
    const usage: PlanUsage = { observedAt: now, primary: { usedPercent: 25, windowMinutes: 300, resetsAt: new Date(2030, 0, 7, 13, 30).getTime() }, limitResetsAt: new Date(2030, 0, 7, 10, 0).getTime() };
    s = reduce(s, { type: 'snapshot', snapshot: snapshot(setChatgptPlan(cfg, true), usage) });
    assert.deepEqual(viewModel(s, now).chatgptPlan, { on: true, savedOn: true, aliases: ['plan'], usage: { limitUntil: '10:00', windows: ['5 h: 75% left, resets 13:30'] } });
  });
});

describe('panel host: consent before the ChatGPT plan is written', function () {
  this.timeout(20_000);
  let backend: LocalBackend;
  let dispatcher: PanelDispatcher;
  let results: Map<number, HostToWebview>;
  let nextId: number;

  beforeEach(async () => {
    backend = await LocalBackend.start({ config: BASE });
    results = new Map();
    nextId = 1;
    dispatcher = new PanelDispatcher(backend, (m) => {
      if (m.kind === 'result') results.set(m.id, JSON.parse(JSON.stringify(m)));
      return true;
    });
  });
  afterEach(async () => {
    dispatcher.dispose();
    await backend.close();
  });

  /** Calls a method through the dispatcher and returns its answer (`value`, or throws `error`). */
  async function call(method: string, params: unknown): Promise<unknown> {
    const id = nextId++;
    await dispatcher.handle({ kind: 'call', id, method, params });
    const r = results.get(id) as Extract<HostToWebview, { kind: 'result' }>;
    if (!r.ok) throw new Error(r.error);
    return r.value;
  }

  const planConfig = () => setChatgptPlan({ ...BASE, model_list: [...BASE.model_list, { model_name: 'plan', litellm_params: { model: 'chatgpt/gpt-5.5' } }] }, true);

  it('declined: the dialog answers false, and a save that turns the plan on writes nothing', async () => {
    backend.planConsent = false;
    assert.equal(await call('confirmChatgptPlan', {}), false);
    const r = (await call('save', { config: planConfig() })) as { saved: boolean; issues: Array<{ path: string; message: string }> };
    assert.equal(r.saved, false);
    assert.equal(r.issues[0]!.path, 'gateway_settings.chatgpt_plan');
    assert.match(r.issues[0]!.message, /did not agree/);
    assert.deepEqual(backend.config, BASE, 'nothing written');
    assert.deepEqual(backend.calls.filter((c) => c === 'confirmChatgptPlan' || c === 'saveConfig'), ['confirmChatgptPlan', 'confirmChatgptPlan']);
  });

  it('agreed in the panel: the save writes it without asking again; turning it off needs no consent', async () => {
    backend.planConsent = true;
    assert.equal(await call('confirmChatgptPlan', {}), true);
    backend.planConsent = false; // a second dialog would now decline
    assert.deepEqual(await call('save', { config: planConfig() }), { saved: true });
    assert.ok(chatgptPlanOn(backend.config));
    // Already on: later saves do not ask.
    const renamed = setEntryField(planConfig(), 0, 'model_name', 'ds2');
    assert.deepEqual(await call('save', { config: renamed }), { saved: true });
    // Off: written without a dialog.
    assert.deepEqual(await call('save', { config: setChatgptPlan(renamed, false) }), { saved: true });
    assert.equal(chatgptPlanOn(backend.config), false);
    assert.deepEqual(backend.calls.filter((c) => c === 'confirmChatgptPlan'), ['confirmChatgptPlan']);
    // On again: the earlier consent was used up by the save that turned it on, so the host asks (and is declined).
    const again = (await call('save', { config: planConfig() })) as { saved: boolean };
    assert.equal(again.saved, false);
    assert.deepEqual(backend.calls.filter((c) => c === 'confirmChatgptPlan'), ['confirmChatgptPlan', 'confirmChatgptPlan']);
  });

  it('the snapshot carries the plan usage when the extension knows it', async () => {
    assert.equal(dispatcher.snapshot().chatgptPlanUsage, undefined);
    const usage: PlanUsage = { observedAt: 1, primary: { usedPercent: 10 } };
    backend.setPlanUsage(usage);
    assert.deepEqual(dispatcher.snapshot().chatgptPlanUsage, usage);
  });
});
