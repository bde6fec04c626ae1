/**
 * Unit tests of the ChatGPT-plan pieces that need no server: the backend body rules, the usage headers and
 * limit answers, the router cooldown until the reset, the config rules (opt-in, no api_key), the Codex
 * catalog of an alias on the plan, and what VS Code shows (tooltip lines, the once-per-window notice).
 */
import assert from 'node:assert/strict';
import { chatgptBody, chatgptHeaders, DEFAULT_INSTRUCTIONS } from '../../src/gateway/chatgpt/backend';
import { ResponseCollector } from '../../src/gateway/chatgpt/collect';
import { planWindowsFromHeaders, PlanUsageState } from '../../src/gateway/chatgpt/usage';
import { buildCodexCatalog } from '../../src/gateway/codex/catalog';
import { ConfigError, resolveConfig } from '../../src/gateway/config';
import { UpstreamError } from '../../src/gateway/errors';
import { Router } from '../../src/gateway/router';
import { classifyHttpFailure } from '../../src/gateway/upstream';
import { planLimitNotice, planUsageLines } from '../../src/extension/plan-status';
import { presetFor } from '../../webview/presets';
import { ManualClock } from './router/helpers';

describe('chatgpt backend body', () => {
  it('keeps only the fields Codex sends the backend, forces stream/store, and lists what it left out', () => {
    const dropped = new Set<string>();
    const out = chatgptBody({ model: 'gpt-5.5', input: 'hi', stream: false, store: true, max_output_tokens: 9, metadata: { a: 1 }, client_metadata: { b: '2' }, temperature: 1, tools: [], include: ['x'] }, dropped);
    assert.deepEqual(Object.keys(out).sort(), ['include', 'input', 'instructions', 'model', 'store', 'stream', 'tools']);
    assert.equal(out.stream, true);
    assert.equal(out.store, false);
    assert.deepEqual(out.include, ['x', 'reasoning.encrypted_content']);
    assert.deepEqual(out.input, [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }]);
    assert.equal(out.instructions, DEFAULT_INSTRUCTIONS);
    for (const f of ['max_output_tokens', 'metadata', 'client_metadata', 'temperature']) assert.ok(dropped.has(`chatgpt:${f}`), f);
  });

  it('moves a leading developer message into instructions; keeps the client instructions when given', () => {
    const dev = { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Base prompt' }] };
    const user = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'q' }] };
    const a = chatgptBody({ model: 'm', input: [dev, user] }, new Set());
    assert.equal(a.instructions, 'Base prompt');
    assert.deepEqual(a.input, [user]);
    const b = chatgptBody({ model: 'm', instructions: 'Own', input: [dev, user] }, new Set());
    assert.equal(b.instructions, 'Own');
    assert.deepEqual(b.input, [dev, user]);
  });

  it('removes the gateway’s own reasoning items, keeps the backend’s', () => {
    const own = { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'cgw1:aGk=' };
    const theirs = { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: 'gAAAA-opaque' };
    const out = chatgptBody({ model: 'm', instructions: 'x', input: [own, theirs] }, new Set());
    assert.deepEqual(out.input, [theirs]);
  });

  it('sends honest identity headers; extra_headers cannot replace them or add a cookie', () => {
    const h = chatgptHeaders({ extraHeaders: { originator: 'codex_cli_rs', Cookie: 'a=b', 'x-team': 't' } }, { accessToken: 'tok', accountId: 'acc' });
    assert.equal(h.originator, 'codex_gateway');
    assert.match(h['user-agent']!, /^codex-gateway\/\d/);
    assert.equal(h.authorization, 'Bearer tok');
    assert.equal(h['chatgpt-account-id'], 'acc');
    assert.equal(h['x-team'], 't');
    assert.ok(!Object.keys(h).some((k) => k.toLowerCase() === 'cookie'));
  });

  it('collects a stream whose response.completed has no output from the output_item.done events', () => {
    const c = new ResponseCollector();
    c.see({ type: 'response.output_item.done', output_index: 1, item: { type: 'message', id: 'b' } }, undefined, undefined);
    c.see({ type: 'response.output_item.done', output_index: 0, item: { type: 'reasoning', id: 'a' } }, undefined, undefined);
    c.see({ type: 'response.completed', response: { id: 'r', status: 'completed', output: [] } }, undefined, undefined);
    assert.deepEqual((c.result().output as Array<{ id: string }>).map((i) => i.id), ['a', 'b']);
    const f = new ResponseCollector();
    assert.throws(() => f.see({ type: 'response.failed', response: { error: { type: 'usage_limit_reached', resets_in_seconds: 60 } } }, undefined, undefined), (e: UpstreamError) => e.kind === 'rate_limit' && e.retryAfterMs === 60_000);
  });
});

describe('chatgpt usage and limits', () => {
  it('reads the x-codex-* usage headers (reset-at in unix seconds, or reset-after-seconds)', () => {
    const w = planWindowsFromHeaders({ 'x-codex-primary-used-percent': '42.5', 'x-codex-primary-window-minutes': '300', 'x-codex-primary-reset-at': '1700000000', 'x-codex-secondary-used-percent': '7', 'x-codex-secondary-reset-after-seconds': '60' }, 1_000);
    assert.deepEqual(w, { primary: { usedPercent: 42.5, windowMinutes: 300, resetsAt: 1_700_000_000_000 }, secondary: { usedPercent: 7, resetsAt: 61_000 } });
    assert.equal(planWindowsFromHeaders({ 'content-type': 'x' }, 0), undefined);
  });

  it('a 429 usage_limit_reached takes its wait from the body reset, not the 5-minute rate-limit cap', () => {
    const e = classifyHttpFailure(429, { 'retry-after': '7' }, JSON.stringify({ error: { type: 'usage_limit_reached', resets_in_seconds: 7200 } }));
    assert.equal(e.kind, 'rate_limit');
    assert.equal(e.upstreamCode, 'usage_limit_reached');
    assert.equal(e.retryAfterMs, 7_200_000);
    const at = classifyHttpFailure(429, {}, JSON.stringify({ error: { type: 'usage_limit_reached', resets_at: Math.floor(Date.now() / 1000) + 100 } }));
    assert.ok(at.retryAfterMs! > 95_000 && at.retryAfterMs! <= 100_000);
  });

  it('the router cools a plan deployment down until the reset, with reason usage_limit', async () => {
    const config = resolveConfig({ model_list: [{ model_name: 'p', litellm_params: { model: 'chatgpt/gpt-5.5' } }], router_settings: { num_retries: 0 } });
    const clock = new ManualClock();
    const events: Array<{ type: string; reason?: string; durationMs?: number }> = [];
    const r = new Router(config, { clock, onEvent: (e) => events.push(e as never) });
    await assert.rejects(r.run('p', async () => { throw new UpstreamError('rate_limit', 'limit', 429, 5 * 3_600_000, 'usage_limit_reached'); }), (e: { status: number; type: string }) => e.status === 429 && e.type === 'usage_limit_reached');
    const cd = events.find((e) => e.type === 'cooldown')!;
    assert.equal(cd.reason, 'usage_limit');
    assert.equal(cd.durationMs, 5 * 3_600_000);
    // While it cools down the group is unavailable with the same code.
    await assert.rejects(r.run('p', async () => 'never'), (e: { type: string }) => e.type === 'usage_limit_reached');
  });

  it('the usage state clears the limit after the reset; a success clears it at once', () => {
    let now = 1_000;
    const s = new PlanUsageState(() => now);
    s.limitReached(10_000);
    assert.equal(s.get()!.limitResetsAt, 11_000);
    now = 12_000;
    assert.equal(s.get()!.limitResetsAt, undefined);
    s.limitReached(10_000);
    s.observeHeaders({ 'x-codex-primary-used-percent': '1' });
    assert.equal(s.get()!.limitResetsAt, undefined);
    assert.equal(s.get()!.primary!.usedPercent, 1);
  });

  it("the limit answer's own usage headers replace the last success's figures", () => {
    const s = new PlanUsageState(() => 1_000);
    s.observeHeaders({ 'x-codex-primary-used-percent': '12' });
    s.limitReached(60_000, { 'x-codex-primary-used-percent': '100', 'x-codex-primary-reset-after-seconds': '60' });
    assert.equal(s.get()!.primary!.usedPercent, 100);
    assert.equal(s.get()!.primary!.resetsAt, 61_000);
    assert.equal(s.get()!.limitResetsAt, 61_000);
    // A limit answer without headers keeps the figures it has.
    s.limitReached(30_000);
    assert.equal(s.get()!.primary!.usedPercent, 100);
  });
});

describe('chatgpt config, catalog and panel', () => {
  it('refuses api_key on a chatgpt deployment, and warns while the plan is off', () => {
    assert.throws(() => resolveConfig({ model_list: [{ model_name: 'p', litellm_params: { model: 'chatgpt/gpt-5.5', api_key: 'x' } }] }), (e: ConfigError) => /not used by provider chatgpt/.test(e.message));
    const warnings: string[] = [];
    const off = resolveConfig({ model_list: [{ model_name: 'p', litellm_params: { model: 'chatgpt/gpt-5.5' } }] }, { warn: (w) => warnings.push(w) });
    assert.equal(off.chatgptPlan, false);
    assert.ok(warnings.some((w) => /gateway_settings\.chatgpt_plan: true/.test(w)));
    const on = resolveConfig({ model_list: [{ model_name: 'p', litellm_params: { model: 'chatgpt/gpt-5.5' } }], gateway_settings: { chatgpt_plan: true } });
    assert.equal(on.chatgptPlan, true);
    assert.equal(on.deployments[0]!.apiBase, 'https://chatgpt.com/backend-api/codex');
    assert.equal(on.deployments[0]!.wire, 'responses');
  });

  it('Codex’s catalog lists the plan model under the user’s alias with its reasoning levels and context window', () => {
    const c = resolveConfig({ model_list: [{ model_name: 'my-plan', litellm_params: { model: 'chatgpt/gpt-6.1-terra' } }], gateway_settings: { chatgpt_plan: true } });
    const e = buildCodexCatalog(c).models.find((m) => m.slug === 'my-plan')!;
    assert.deepEqual(e.supported_reasoning_levels.map((l) => l.effort), ['low', 'medium', 'high', 'xhigh']);
    assert.equal(e.context_window, 500_000);
    assert.match(e.description, /ChatGPT plan/);
  });

  it('the panel preset asks for consent naming OpenAI’s terms and this machine; it writes no key', () => {
    const p = presetFor('chatgpt')!;
    assert.equal(p.label, 'ChatGPT plan');
    assert.equal(p.keyRequired, false);
    assert.equal(p.keyEnv, undefined);
    assert.match(p.consent!, /ChatGPT plan.*OpenAI's terms.*this machine only/);
  });

  it('the tooltip shows usage and reset; the limit notice shows once per limit window', () => {
    const now = new Date(2030, 0, 7, 9, 0).getTime();
    const u = { observedAt: now, primary: { usedPercent: 40, windowMinutes: 300, resetsAt: now + 2 * 3_600_000 }, secondary: { usedPercent: 9, windowMinutes: 10_080 } };
    assert.deepEqual(planUsageLines(u, now), ['ChatGPT plan: 5 h: 60% left, resets 11:00 · weekly: 91% left']);
    const limited = { ...u, limitResetsAt: now + 30 * 60_000 };
    assert.match(planUsageLines(limited, now)[0]!, /usage limit reached until 09:30; fallbacks serve until then/);
    const served = { alias: 'ds', fallbackFrom: 'plan' };
    const n = planLimitNotice(limited, served, undefined, now)!;
    assert.match(n.message, /limit is reached until 09:30; 'ds' serves 'plan' until then/);
    assert.equal(planLimitNotice(limited, served, n.window, now + 1000), undefined, 'once per window');
    assert.ok(planLimitNotice({ ...limited, limitResetsAt: now + 6 * 3_600_000 }, served, n.window, now), 'a new window notifies again');
    assert.equal(planLimitNotice(u, served, undefined, now), undefined, 'no limit, no notice');
  });
});
