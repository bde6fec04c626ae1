/**
 * The panel protocol end to end, without a browser: the webview's PanelClient (webview/rpc.ts) talks through a fake
 * `acquireVsCodeApi` (every postMessage / getState / setState recorded) to the real host side (PanelDispatcher),
 * which calls a LocalBackend: in-memory settings and secrets, the extension's real validation, and a real gateway on
 * 127.0.0.1 in front of mock upstreams. Also the page's CSP and the Test button's request helper.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { claudeExtensionSettingSet } from '../../src/extension/panel/backend';
import { PanelDispatcher } from '../../src/extension/panel/dispatch';
import { makeNonce, panelCsp, panelHtml } from '../../src/extension/panel/html';
import { firstWords, hintFor, responseText, testAliasThroughGateway } from '../../src/extension/panel/test-alias';
import type { HostToWebview, PanelSnapshot, TimedRequestRecord } from '../../src/shared/panel-protocol';
import { chatText, errorReply, MockUpstream } from '../helpers/mock-upstream';
import { LocalBackend } from '../vscode/panel/local-backend';
import { PanelClient, type VsCodeApiLike } from '../../webview/rpc';
import { setEntryField } from '../../webview/config-edit';

/** A fake of `acquireVsCodeApi()`: records calls; `postMessage` goes to `deliver` on a later tick. */
function fakeVsCodeApi(deliver: (m: unknown) => void) {
  const calls: Array<{ op: string; value?: unknown }> = [];
  let state: unknown;
  const api: VsCodeApiLike = {
    postMessage: (m) => {
      calls.push({ op: 'postMessage', value: m });
      setImmediate(() => deliver(JSON.parse(JSON.stringify(m))));
    },
    getState: () => {
      calls.push({ op: 'getState' });
      return state;
    },
    setState: (s) => {
      calls.push({ op: 'setState', value: s });
      state = s;
    },
  };
  return { api, calls };
}

const fakeKey = (label: string) => `test-${label}-${randomBytes(10).toString('hex')}`;

/** Resolves when `pred` holds (checked every 10 ms), or rejects after `ms`. */
async function until<T>(what: string, pred: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('webview protocol: PanelClient <-> PanelDispatcher <-> backend', function () {
  this.timeout(20_000);
  let up: MockUpstream;
  let backend: LocalBackend;
  let dispatcher: PanelDispatcher;
  let client: PanelClient;
  let hostMessages: HostToWebview[];
  let snapshots: PanelSnapshot[];
  let records: TimedRequestRecord[];
  let calls: Array<{ op: string; value?: unknown }>;
  const deepseekKey = fakeKey('deepseek');

  beforeEach(async () => {
    up = await MockUpstream.start({ name: 'panel-proto' });
    backend = await LocalBackend.start({
      config: {
        model_list: [
          { model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: up.baseUrl } },
          { model_name: 'beta', litellm_params: { model: 'deepseek/deepseek-chat', api_base: up.baseUrl, api_key: 'os.environ/DEEPSEEK_API_KEY' } },
        ],
        router_settings: { num_retries: 0 },
      },
      secrets: { DEEPSEEK_API_KEY: deepseekKey },
    });
    hostMessages = [];
    snapshots = [];
    records = [];
    const fake = fakeVsCodeApi((m) => void dispatcher.handle(m));
    calls = fake.calls;
    client = new PanelClient(fake.api, { snapshot: (s) => snapshots.push(s), request: (r) => records.push(r) });
    dispatcher = new PanelDispatcher(
      backend,
      (m) => {
        hostMessages.push(JSON.parse(JSON.stringify(m)));
        setImmediate(() => client.receive(JSON.parse(JSON.stringify(m))));
        return Promise.resolve(true);
      },
      { snapshotDelayMs: 5 },
    );
  });
  afterEach(async () => {
    dispatcher.dispose();
    await backend.close();
    await up.close();
  });

  it('answers the ready handshake with a snapshot that has key states and never key values', async () => {
    await dispatcher.handle({ kind: 'call', id: 1, method: 'keyStatus', params: { names: ['X'] } }).catch(() => undefined);
    assert.equal(hostMessages.filter((m) => m.kind === 'snapshot').length, 0, 'nothing pushed before ready');
    client.ready();
    const snap = await until('a snapshot', () => snapshots[0]);
    assert.deepEqual(snap.keys, { DEEPSEEK_API_KEY: 'set' });
    assert.equal(snap.gateway.phase, 'running');
    assert.deepEqual(
      (snap.config as { model_list: { model_name: string }[] }).model_list.map((e) => e.model_name),
      ['alpha', 'beta'],
    );
    assert.deepEqual(calls.map((c) => c.op), ['postMessage']);
    assert.deepEqual(calls[0]!.value, { kind: 'ready' });
    assert.ok(!JSON.stringify(hostMessages).includes(deepseekKey));
  });

  it('validate reports engine issues with paths; save refuses an invalid config and saves a valid one', async () => {
    client.ready();
    const snap = await until('a snapshot', () => snapshots[0]);
    const broken = setEntryField(snap.config, 1, 'provider', 'deepsek');
    const issues = await client.call('validate', { config: broken });
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.path, 'codexGateway.config.model_list[1].litellm_params.model');
    assert.match(issues[0]!.message, /did you mean "deepseek"/);
    const refused = await client.call('save', { config: broken });
    assert.equal(refused.saved, false);
    assert.equal(backend.calls.includes('saveConfig'), false, 'nothing written');

    const renamed = setEntryField(snap.config, 0, 'model_name', 'gamma');
    assert.deepEqual(await client.call('validate', { config: renamed }), []);
    assert.deepEqual(await client.call('save', { config: renamed }), { saved: true });
    // The backend's change event pushes a fresh snapshot with the saved settings.
    const next = await until('the new snapshot', () => snapshots.find((s) => JSON.stringify(s.config).includes('gamma')));
    assert.equal((next.config as { model_list: { model_name: string }[] }).model_list[0]!.model_name, 'gamma');
    // The gateway routes by the saved config: the mock upstream sees the request for the new alias.
    up.enqueue(chatText('routed'));
    const t = await client.call('testAlias', { alias: 'gamma' });
    assert.equal(t.ok, true, JSON.stringify(t));
    assert.equal(up.requests.at(-1)!.body.model, 'alpha-model');
  });

  it('setKey stores the key (the answer and every later message carry only its state); bad input is refused', async () => {
    client.ready();
    await until('a snapshot', () => snapshots[0]);
    const key = fakeKey('groq');
    assert.deepEqual(await client.call('keyStatus', { names: ['GROQ_API_KEY', 'bad name', 'DEEPSEEK_API_KEY'] }), { GROQ_API_KEY: 'missing', DEEPSEEK_API_KEY: 'set' });
    assert.deepEqual(await client.call('setKey', { name: 'GROQ_API_KEY', value: `  ${key}\n` }), { GROQ_API_KEY: 'set' });
    assert.equal(backend.secrets.get('GROQ_API_KEY'), key, 'trimmed and stored');
    await assert.rejects(client.call('setKey', { name: 'not valid', value: key }), /not a valid key name/);
    await assert.rejects(client.call('setKey', { name: 'GROQ_API_KEY', value: '   ' }), /is empty/);
    await assert.rejects(client.call('setKey', { name: 'GROQ_API_KEY', value: 'two words' }), /no spaces/);
    assert.deepEqual(await client.call('clearKey', { name: 'GROQ_API_KEY' }), { GROQ_API_KEY: 'missing' });
    backend.env.OTHER_KEY = fakeKey('env');
    assert.deepEqual(await client.call('keyStatus', { names: ['OTHER_KEY'] }), { OTHER_KEY: 'env' });
    await until('the snapshots after the key changes', () => snapshots.length >= 2);
    assert.ok(!JSON.stringify(hostMessages).includes(key), 'the key never travels back');
  });

  it('setDefaultModel, import and export reach the backend; the snapshot follows', async () => {
    client.ready();
    await until('a snapshot', () => snapshots[0]);
    assert.equal(snapshots[0]!.effectiveDefault, 'alpha');
    assert.equal(await client.call('setDefaultModel', { alias: 'beta' }), null);
    const s = await until('the default model in a snapshot', () => snapshots.find((x) => x.defaultModel === 'beta'));
    assert.equal(s.effectiveDefault, 'beta');
    await client.call('importLiteLLM', {});
    await client.call('exportLiteLLM', {});
    assert.deepEqual(backend.calls.filter((c) => /port/.test(c)), ['importLiteLLM', 'exportLiteLLM']);
  });

  it('Claude Code: the snapshot carries the wiring; enable/disable and the tier aliases reach the backend; bad params are refused', async () => {
    client.ready();
    const first = await until('a snapshot', () => snapshots[0]);
    assert.deepEqual(first.claudeCode, {
      enabled: false,
      state: 'off',
      settingsPath: '/home/you/.claude/settings.json',
      extensionInstalled: false,
      extensionSettingSet: false,
      models: { haiku: '', sonnet: '', opus: '' },
    });
    assert.equal(await client.call('setClaudeCodeEnabled', { enabled: true }), null);
    const on = await until('the wired snapshot', () => snapshots.find((x) => x.claudeCode?.state === 'wired'));
    assert.equal(on.claudeCode!.enabled, true);
    assert.equal(await client.call('setClaudeCodeModel', { tier: 'opus', alias: 'beta' }), null);
    const tiers = await until('the opus tier', () => snapshots.find((x) => x.claudeCode?.models.opus === 'beta'));
    assert.deepEqual(tiers.claudeCode!.models, { haiku: '', sonnet: '', opus: 'beta' }, 'the other tiers are kept');
    await client.call('setClaudeCodeModel', { tier: 'opus', alias: '' });
    assert.deepEqual(backend.claudeCode.models, { haiku: '', sonnet: '', opus: '' });
    await assert.rejects(client.call('setClaudeCodeModel', { tier: 'gpt' as 'opus', alias: 'beta' }), /not a Claude Code tier/);
    await assert.rejects(client.call('setClaudeCodeModel', { tier: 'haiku', alias: 3 as unknown as string }), /alias as a string/);
    await assert.rejects(client.call('setClaudeCodeModel', { tier: 'haiku', alias: ' beta' }), /alias as a string/);
    await assert.rejects(client.call('setClaudeCodeEnabled', { enabled: 'yes' as unknown as boolean }), /true or false/);
    assert.equal(await client.call('setClaudeCodeEnabled', { enabled: false }), null);
    await until('the restored snapshot', () => snapshots.find((x) => x.claudeCode?.state === 'restored'));
    assert.deepEqual(backend.calls.filter((c) => c.startsWith('setClaudeCode')), ['setClaudeCodeEnabled', 'setClaudeCodeModel', 'setClaudeCodeModel', 'setClaudeCodeEnabled']);
  });

  it('claudeExtensionSettingSet: only an ANTHROPIC_BASE_URL entry with the gateway URL counts', () => {
    const url = 'http://127.0.0.1:4141';
    assert.equal(claudeExtensionSettingSet(undefined, url), false);
    assert.equal(claudeExtensionSettingSet({ ANTHROPIC_BASE_URL: url }, url), false);
    assert.equal(claudeExtensionSettingSet([{ name: 'ANTHROPIC_BASE_URL', value: 'http://127.0.0.1:9999' }], url), false);
    assert.equal(claudeExtensionSettingSet([null, { name: 'OTHER', value: 'x' }, { name: 'ANTHROPIC_BASE_URL', value: url }], url), true);
  });

  it('Test: success with the first words and latency; failure with the error and what to do', async () => {
    client.ready();
    await until('a snapshot', () => snapshots[0]);
    up.enqueue(chatText('Hello there, this is the mock provider answering a connection test.'));
    const ok = await client.call('testAlias', { alias: 'beta' });
    assert.ok(ok.ok);
    if (ok.ok) {
      assert.match(ok.text, /^Hello there/);
      assert.equal(ok.deployment, 'beta#1');
      assert.ok(ok.latencyMs >= 0);
    }
    assert.equal(up.requests.at(-1)!.headers.authorization, `Bearer ${deepseekKey}`);
    up.enqueue(errorReply(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
    const bad = await client.call('testAlias', { alias: 'beta' });
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.match(bad.error, /Incorrect API key|401/);
      assert.match(bad.hint ?? '', /key/i);
    }
    // Both requests reached the live view as they finished.
    const live = await until('two request records', () => (records.length >= 2 ? records : undefined));
    assert.deepEqual(live.map((r) => r.alias), ['beta', 'beta']);
    assert.ok(live[1]!.status >= 400);
    assert.ok(live.every((r) => typeof r.at === 'number'));
  });

  it('ignores malformed messages and unknown methods; answers every call once; times out a silent host', async () => {
    await dispatcher.handle(null);
    await dispatcher.handle({ kind: 'call', id: 'x', method: 'save', params: {} });
    await dispatcher.handle({ kind: 'call', id: 7, method: 'rm -rf', params: {} });
    await dispatcher.handle({ kind: 'call', id: 8, method: 'save' });
    assert.equal(hostMessages.length, 0);
    client.receive({ kind: 'result', id: 999, ok: true, value: 1 }); // no such call: ignored
    client.receive('garbage');
    const silent = new PanelClient({ postMessage: () => undefined, getState: () => undefined, setState: () => undefined }, { snapshot: () => undefined, request: () => undefined }, { validate: 30 });
    await assert.rejects(silent.call('validate', { config: {} }), /did not answer "validate" within/);
    assert.equal(silent.inFlight, 0);
  });

  it('pushes request records only after ready, and stops after dispose', async () => {
    up.setFallback(chatText('ok'));
    await backend.testAlias('alpha');
    assert.equal(hostMessages.length, 0);
    client.ready();
    const snap = await until('a snapshot', () => snapshots[0]);
    assert.equal(snap.recent.length, 1, 'the earlier request is in the snapshot');
    await backend.testAlias('alpha');
    await until('the pushed record', () => records.length === 1);
    dispatcher.dispose();
    await backend.testAlias('alpha');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(records.length, 1);
  });
});

describe('settings panel HTML and Test helper', () => {
  it('has a strict CSP: nothing by default, the script by nonce, styles and fonts only from the webview origin', () => {
    const nonce = makeNonce();
    assert.equal(Buffer.from(nonce, 'base64').length, 16);
    assert.notEqual(nonce, makeNonce());
    const html = panelHtml({ cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce, scriptUri: 'https://x/dist/webview.js', styleUri: 'https://x/dist/webview.css' });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    assert.equal(csp, panelCsp('https://file+.vscode-resource.vscode-cdn.net', nonce));
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/=]/g, '\\$&')}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const scripts = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(scripts, [`<script nonce="${nonce}" src="https://x/dist/webview.js">`]);
    assert.doesNotMatch(html, /style=/);
    assert.match(html, /<link rel="stylesheet" id="vscode-codicon-stylesheet" href="https:\/\/x\/dist\/webview.css">/);
  });

  it('extracts the answer, cuts it at a word, and turns gateway errors into hints', () => {
    assert.equal(responseText({ output: [{ type: 'reasoning' }, { type: 'message', content: [{ type: 'output_text', text: 'Hi ' }, { type: 'output_text', text: 'there' }] }] }), 'Hi there');
    assert.equal(responseText({}), '');
    assert.equal(firstWords('a  b\n c'), 'a b c');
    assert.equal(firstWords('one two three four', 12), 'one two…');
    assert.match(hintFor(502, 'DEEPSEEK_API_KEY is not set: run "Codex Gateway: Set Provider Key"')!, /Set DEEPSEEK_API_KEY/);
    assert.match(hintFor(404, 'model_not_found')!, /model name/);
    assert.match(hintFor(429, 'slow down')!, /rate limiting/);
    assert.equal(hintFor(400, 'odd'), undefined);
  });

  it('reports an unreachable gateway as a result, not an exception', async () => {
    const r = await testAliasThroughGateway({ baseUrl: 'http://127.0.0.1:9', token: fakeKey('gw'), alias: 'x', timeoutMs: 3000 });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.error, /Could not reach the gateway|No answer/);
      assert.ok(r.hint);
    }
  });
});
