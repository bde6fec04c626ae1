/**
 * The ChatGPT plan in the VS Code extension, without VS Code: the pure parts of plan-status.ts (clock times, usage in
 * words, which request shows a fallback serving instead of the plan, the once-per-window notice), and the worker ->
 * host path for real: the gateway worker bundled as for the extension, a fake Codex sign-in in a temp CODEX_HOME, the
 * ChatGPT backend mock (test/helpers/chatgpt-backend-mock.ts) behind an alias with a chat fallback. The host hears
 * `planUsage` after the plan answered, and after its 429 `usage_limit_reached` it hears the limit BEFORE the record
 * of the request the fallback served, so the notice can be decided from that record.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { PlanUsage } from '../../src/gateway/chatgpt/usage';
import { GatewayHost } from '../../src/extension/gateway-host';
import type { TimedRecord } from '../../src/extension/messages';
import { fallbackServedForPlan, fmtClock, planLimitNotice, planTargets, planUsageLines, planUsageView } from '../../src/extension/plan-status';
import { prepareRawConfig } from '../../src/extension/settings';
import { ChatgptBackendMock, writeAuthFixture, type AuthFixture } from '../helpers/chatgpt-backend-mock';
import { chatText, MockUpstream } from '../helpers/mock-upstream';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';

const at = (h: number, m: number, day = 7) => new Date(2030, 0, day, h, m).getTime();

describe('ChatGPT plan in VS Code: what the tooltip, the panel and the notice say', () => {
  it('clock times: same day HH:MM, later this week with the weekday, further away with the date', () => {
    const now = at(9, 0); // Monday 7 January 2030
    assert.equal(fmtClock(at(14, 5), now), '14:05');
    assert.equal(fmtClock(at(9, 30, 8), now), 'Tue 09:30');
    assert.equal(fmtClock(at(9, 30, 20), now), '2030-01-20 09:30');
    assert.equal(fmtClock(at(8, 0, 6), now), '2030-01-06 08:00');
  });

  it('usage in words: remaining share and reset per window; the limit until its reset, gone once it passed', () => {
    const now = at(9, 0);
    const u: PlanUsage = { observedAt: now, primary: { usedPercent: 12.5, windowMinutes: 300, resetsAt: at(14, 0) }, secondary: { usedPercent: 3, windowMinutes: 10_080, resetsAt: at(8, 0, 10) } };
    assert.deepEqual(planUsageView(u, now), { windows: ['5 h: 88% left, resets 14:00', 'weekly: 97% left, resets Thu 08:00'] });
    assert.equal(planUsageView(undefined, now), undefined);
    assert.equal(planUsageView({ observedAt: now }, now), undefined, 'nothing reported: nothing to show');
    const limited = { ...u, primary: { ...u.primary!, usedPercent: 100 }, limitResetsAt: at(10, 15) };
    assert.deepEqual(planUsageView(limited, now), { limitUntil: '10:15', windows: ['5 h: 0% left, resets 14:00', 'weekly: 97% left, resets Thu 08:00'] });
    assert.deepEqual(planUsageLines(limited, now), [
      '$(warning) ChatGPT plan: usage limit reached until 10:15; fallbacks serve until then',
      'ChatGPT plan: 5 h: 0% left, resets 14:00 · weekly: 97% left, resets Thu 08:00',
    ]);
    assert.equal(planUsageView(limited, at(10, 16))!.limitUntil, undefined, 'after the reset the limit line goes');
    // A window without a length or reset still shows its share.
    assert.deepEqual(planUsageView({ observedAt: now, primary: { usedPercent: 40 } }, now), { windows: ['short window: 60% left'] });
  });

  it('finds the request a fallback served instead of the plan: a fallback alias, or another deployment of a plan alias', () => {
    const plan = planTargets([
      { id: 'plan#0', alias: 'plan', provider: 'chatgpt' },
      { id: 'plan#1', alias: 'plan', provider: 'deepseek' },
      { id: 'ds#2', alias: 'ds', provider: 'deepseek' },
    ]);
    assert.deepEqual([...plan.aliases], ['plan']);
    assert.deepEqual([...plan.deployments], ['plan#0']);
    const rec = (r: Partial<TimedRecord>): TimedRecord => ({ route: '/v1/responses', alias: 'plan', status: 200, latencyMs: 5, retries: 0, stream: true, at: 0, ...r });
    assert.equal(fallbackServedForPlan([rec({ deployment: 'plan#0' })], plan), undefined, 'the plan itself served');
    assert.deepEqual(fallbackServedForPlan([rec({ alias: 'ds', deployment: 'ds#2', fallbackFrom: 'plan' })], plan), { alias: 'ds', fallbackFrom: 'plan' });
    assert.deepEqual(fallbackServedForPlan([rec({ deployment: 'plan#1' })], plan), { alias: 'plan#1', fallbackFrom: 'plan' }, 'another deployment of the alias');
    assert.equal(fallbackServedForPlan([rec({ alias: 'ds', deployment: 'ds#2', fallbackFrom: 'plan', status: 502, error: 'upstream' })], plan), undefined, 'a failed fallback serves nothing');
    assert.equal(fallbackServedForPlan([rec({ alias: 'ds', deployment: 'ds#2', fallbackFrom: 'other' })], plan), undefined, 'a fallback for an alias not on the plan');
  });

  it('the notice: only while the limit is reached, once per limit window, with the reset time and who serves', () => {
    const now = at(9, 0);
    const limited: PlanUsage = { observedAt: now, limitResetsAt: at(11, 30) };
    const served = { alias: 'ds', fallbackFrom: 'plan' };
    const n = planLimitNotice(limited, served, undefined, now)!;
    assert.equal(n.message, "Your ChatGPT plan's usage limit is reached until 11:30; 'ds' serves 'plan' until then.");
    assert.equal(n.window, at(11, 30));
    assert.equal(planLimitNotice(limited, served, n.window, now + 60_000), undefined, 'same window: once');
    assert.equal(planLimitNotice({ ...limited, limitResetsAt: at(11, 30) + 20_000 }, served, n.window, now), undefined, 'the same reset re-reported');
    assert.ok(planLimitNotice({ ...limited, limitResetsAt: at(16, 0) }, served, n.window, at(12, 0)), 'the next window notifies again');
    assert.equal(planLimitNotice(limited, undefined, undefined, now), undefined, 'no fallback served');
    assert.equal(planLimitNotice({ observedAt: now }, served, undefined, now), undefined, 'no limit');
    assert.equal(planLimitNotice(limited, served, undefined, at(11, 31)), undefined, 'the limit has reset');
  });
});

/** Polls `cond` every 20 ms until it returns a value, or fails after 5 s. */
const until = <T>(what: string, cond: () => T | undefined | false): Promise<T> => waitFor(what, cond, 5000, 20);

describe('ChatGPT plan usage from the gateway worker to the extension host', function () {
  this.timeout(30_000);
  let dir: string;
  let workerScript: string;
  let auth: AuthFixture;
  let backend: ChatgptBackendMock;
  let chat: MockUpstream;
  let host: GatewayHost | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cgw-ext-plan-'));
    workerScript = join(dir, 'gateway-worker.js');
    await build({ entryPoints: [join(__dirname, '../../src/extension/worker.ts')], outfile: workerScript, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
    auth = await writeAuthFixture();
    backend = await ChatgptBackendMock.start(auth);
    chat = await MockUpstream.start({ name: 'fallback-chat' });
  });
  after(async () => {
    await host?.stop();
    await backend?.close();
    await chat?.close();
    await auth?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('planUsage reaches the host after the plan answered; the limit arrives before the record of the fallback it caused', async () => {
    const port = await freePort();
    const events: Array<{ kind: 'usage'; usage: PlanUsage } | { kind: 'records'; records: TimedRecord[] }> = [];
    const logs: string[] = [];
    host = new GatewayHost({
      workerScript,
      tokenFile: join(dir, 'master_key'),
      port,
      pollMs: 150,
      stopGraceMs: 200,
      log: (level, line) => logs.push(`${level} ${line}`),
      onState: () => undefined,
      onRequests: (records) => events.push({ kind: 'records', records }),
      onPlanUsage: (usage) => events.push({ kind: 'usage', usage }),
      workerEnv: { PATH: process.env.PATH ?? '', CODEX_HOME: auth.codexHome },
    });
    host.setConfig(
      prepareRawConfig({
        model_list: [
          { model_name: 'plan', litellm_params: { model: 'chatgpt/gpt-5.5', api_base: backend.baseUrl } },
          { model_name: 'ds', litellm_params: { model: 'openai_compatible/ds-model', api_base: chat.baseUrl } },
        ],
        router_settings: { num_retries: 0, fallbacks: [{ plan: ['ds'] }] },
        gateway_settings: { chatgpt_plan: true },
      }).raw,
    );
    await host.start();
    assert.equal(host.current.phase, 'running', logs.join('\n'));
    assert.equal(host.planUsage, undefined, 'nothing known before the plan answered');
    const ask = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${host!.gatewayToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'plan', input: 'hi', stream: false }),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    const r1 = await ask();
    assert.equal(r1.status, 200, JSON.stringify(r1.json));
    assert.equal(backend.accepted.length, 1, JSON.stringify(backend.rejected.map((x) => x.detail)));
    const first = await until('the first planUsage', () => events.find((e) => e.kind === 'usage'));
    assert.equal(first.kind === 'usage' && first.usage.primary?.usedPercent, 12.5);
    assert.equal(first.kind === 'usage' && first.usage.primary?.windowMinutes, 300);
    assert.equal(first.kind === 'usage' && first.usage.limitResetsAt, undefined);

    backend.limitReached(3600);
    chat.enqueue(chatText('the fallback answers'));
    const before = Date.now();
    const r2 = await ask();
    assert.equal(r2.status, 200, JSON.stringify(r2.json));
    const recIdx = await until('the fallback record', () => {
      const i = events.findIndex((e) => e.kind === 'records' && e.records.some((r) => r.fallbackFrom === 'plan'));
      return i >= 0 ? i + 1 : undefined;
    }) - 1;
    const limitIdx = events.findIndex((e) => e.kind === 'usage' && e.usage.limitResetsAt !== undefined);
    assert.ok(limitIdx >= 0 && limitIdx < recIdx, 'the limit reached the host before the record of the request the fallback served');
    const usage = host.planUsage!;
    assert.ok(usage.limitResetsAt! >= before + 3_590_000 && usage.limitResetsAt! <= Date.now() + 3_600_000, JSON.stringify(usage));
    const batch = (events[recIdx] as { records: TimedRecord[] }).records;
    const served = fallbackServedForPlan(batch, planTargets([{ id: 'plan#0', alias: 'plan', provider: 'chatgpt' }, { id: 'ds#1', alias: 'ds', provider: 'openai_compatible' }]));
    assert.deepEqual(served, { alias: 'ds', fallbackFrom: 'plan' });
    const notice = planLimitNotice(usage, served, undefined, Date.now())!;
    assert.match(notice.message, new RegExp(`until ${fmtClock(usage.limitResetsAt!, Date.now())}; 'ds' serves 'plan' until then`));
    assert.ok(await auth.unchanged(), 'auth.json is untouched');
  });
});
