/**
 * Status bar and model picker content (src/extension/status-model.ts), computed from configs resolved by
 * the real engine loader.
 */
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/gateway/config';
import { aliasInfos, aliasPickItems, asksPickTarget, asPickTarget, commandLink, escapeMarkdown, gatewayLocation, locationLine, missingKeys, PICK_TARGETS, planModelPick, resolvedTiers, statusView, targetPickItems, type ClaudeTierSettings, type StatusInput } from '../../src/extension/status-model';

const config = resolveConfig({
  model_list: [
    { model_name: 'deepseek', litellm_params: { model: 'deepseek/deepseek-chat', api_key: 'os.environ/DEEPSEEK_API_KEY' } },
    { model_name: 'qwen', litellm_params: { model: 'dashscope/qwen3-coder-plus', api_key: 'os.environ/DASHSCOPE_API_KEY' } },
    { model_name: 'qwen', litellm_params: { model: 'openrouter/qwen/qwen3-coder', api_key: 'os.environ/OPENROUTER_API_KEY' } },
    { model_name: 'local', litellm_params: { model: 'ollama/qwen3', api_base: 'http://127.0.0.1:11434' } },
    { model_name: 'nokey', litellm_params: { model: 'openai/gpt-5' } },
  ],
  router_settings: { fallbacks: [{ deepseek: ['qwen', 'local'] }] },
});
const setNames = new Set(['DASHSCOPE_API_KEY']);
const infos = aliasInfos(config, (n) => setNames.has(n));
const base: StatusInput = { phase: 'running', port: 4141, defaultAlias: 'qwen', aliases: infos };

describe('extension status bar model', () => {
  it('aliasInfos: targets, key states and fallbacks per alias', () => {
    const by = Object.fromEntries(infos.map((i) => [i.alias, i]));
    assert.deepEqual(by.deepseek.targets, ['deepseek/deepseek-chat']);
    assert.deepEqual(by.deepseek.keys, [{ name: 'DEEPSEEK_API_KEY', state: 'missing' }]);
    assert.deepEqual(by.deepseek.fallbacks, ['qwen', 'local']);
    assert.deepEqual(by.qwen.targets, ['dashscope/qwen3-coder-plus', 'openrouter/qwen/qwen3-coder']);
    assert.deepEqual(by.qwen.keys, [
      { name: 'DASHSCOPE_API_KEY', state: 'set' },
      { name: 'OPENROUTER_API_KEY', state: 'missing' },
    ]);
    assert.deepEqual(by.local.keys, [{ state: 'none' }]);
    // No api_key: the engine uses the provider's default variable (LiteLLM's OPENAI_API_KEY).
    assert.deepEqual(by.nokey.keys, [{ name: 'OPENAI_API_KEY', state: 'missing' }]);
    assert.deepEqual(missingKeys(by.local), []);
    assert.deepEqual(missingKeys(by.nokey), ['OPENAI_API_KEY']);
  });

  it('running with every key set: server icon and alias, no background', () => {
    const v = statusView({ ...base, defaultAlias: 'local' });
    assert.equal(v.text, '$(server-process) local');
    assert.equal(v.background, undefined);
    assert.equal(v.ariaLabel, 'Codex Gateway running, default model local');
    assert.match(v.tooltip, /running on port 4141/);
    assert.match(v.tooltip, /Default model: `local` → ollama\/qwen3/);
  });

  it('a missing key: key icon, warning background, a "Set it" link with the name as argument', () => {
    const v = statusView(base);
    assert.equal(v.text, '$(key) qwen');
    assert.equal(v.background, 'statusBarItem.warningBackground');
    assert.match(v.ariaLabel, /key OPENROUTER_API_KEY missing/);
    assert.ok(v.tooltip.includes(`[Set it](${commandLink('codexGateway.setProviderKey', ['OPENROUTER_API_KEY'])})`));
    assert.ok(v.tooltip.includes('command:codexGateway.setProviderKey?%5B%22OPENROUTER_API_KEY%22%5D'));
  });

  it('attached, starting, error and stopped phases', () => {
    assert.equal(statusView({ ...base, phase: 'attached', defaultAlias: 'local' }).text, '$(link) local');
    assert.match(statusView({ ...base, phase: 'attached', defaultAlias: 'local' }).tooltip, /served by another VS Code window/);
    assert.equal(statusView({ ...base, phase: 'starting' }).text, '$(loading~spin) Codex Gateway');
    const err = statusView({ ...base, phase: 'error', lastError: 'Port 4141 is used by another program' });
    assert.equal(err.text, '$(error) qwen');
    assert.equal(err.background, 'statusBarItem.errorBackground');
    assert.match(err.tooltip, /Last error: Port 4141 is used by another program/);
    assert.equal(statusView({ ...base, phase: 'stopped' }).text, '$(circle-slash) qwen');
  });

  it('where the gateway runs: local, dev container, SSH, WSL, Codespaces, tunnel, other remotes (env.remoteName)', () => {
    assert.deepEqual(gatewayLocation(undefined, 'laptop'), { kind: 'local', label: 'this computer' });
    assert.deepEqual(gatewayLocation('dev-container', '3f2a9c1b'), { kind: 'dev-container', label: 'a dev container', host: '3f2a9c1b' });
    assert.deepEqual(gatewayLocation('attached-container'), { kind: 'dev-container', label: 'a dev container' });
    assert.deepEqual(gatewayLocation('ssh-remote', 'build-box'), { kind: 'ssh', label: 'an SSH host', host: 'build-box' });
    assert.equal(gatewayLocation('wsl').kind, 'wsl');
    assert.equal(gatewayLocation('codespaces').kind, 'codespaces');
    assert.equal(gatewayLocation('tunnel').kind, 'tunnel');
    // code-server names its remote by HOST:PORT.
    assert.deepEqual(gatewayLocation('127.0.0.1:8080'), { kind: 'remote', label: 'the remote 127.0.0.1:8080' });
    assert.equal(locationLine(gatewayLocation(undefined)), 'Runs on this computer (local)');
    assert.equal(locationLine(gatewayLocation('dev-container', '3f2a9c1b')), 'Runs in a dev container (`3f2a9c1b`): its own 127.0.0.1 and ~/.codex/config.toml, next to Codex there');
    assert.match(locationLine(gatewayLocation('ssh-remote', 'a`b')), /^Runs in an SSH host \(`ab`\)/);
    // In the tooltip, with an icon; absent when the caller does not know it.
    assert.match(statusView({ ...base, where: gatewayLocation('ssh-remote', 'build-box') }).tooltip, /^\$\(remote\) Runs in an SSH host \(`build-box`\)/m);
    assert.match(statusView({ ...base, where: gatewayLocation(undefined) }).tooltip, /^\$\(device-desktop\) Runs on this computer \(local\)$/m);
    assert.doesNotMatch(statusView(base).tooltip, /Runs (in|on) /);
  });

  it('a missing key in a container says where it was looked for and that a key set locally is used there', () => {
    const remote = statusView({ ...base, where: gatewayLocation('dev-container', 'c0ffee') }).tooltip;
    const line = remote.split('\n').find((l) => l.includes('OPENROUTER'))!;
    assert.ok(line.startsWith('$(warning) Key OPENROUTER\\_API\\_KEY is missing (not in VS Code\'s secret storage, and not in the environment of a dev container;'), line);
    assert.ok(line.includes('used in every container and SSH host'), line);
    assert.ok(line.endsWith(`[Set it](${commandLink('codexGateway.setProviderKey', ['OPENROUTER_API_KEY'])})`), line);
    // Locally the line stays short.
    const local = statusView({ ...base, where: gatewayLocation(undefined) }).tooltip;
    assert.ok(local.includes(`$(warning) Key OPENROUTER\\_API\\_KEY is missing: [Set it](`), local);
  });

  it('tooltip: fallbacks, config issues (max 5), and command links', () => {
    const v = statusView({ ...base, defaultAlias: 'deepseek', configIssues: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
    assert.match(v.tooltip, /Fallbacks: qwen → local/);
    assert.match(v.tooltip, /last good config keeps running/);
    assert.match(v.tooltip, /… 2 more/);
    for (const c of ['codexGateway.selectModel', 'codexGateway.showLog', 'codexGateway.setProviderKey', 'workbench.action.openSettings']) {
      assert.ok(v.tooltip.includes(`command:${c}`), c);
    }
    assert.match(statusView({ ...base, aliases: [], defaultAlias: undefined }).tooltip, /No model is configured/);
  });

  it('a config with only wildcard model_name entries: "pick a model" with the names it serves; a picked name shows its pattern', () => {
    const wild = resolveConfig({ model_list: [{ model_name: 'openai/*', litellm_params: { model: 'openai/*', api_key: 'os.environ/OPENAI_API_KEY' } }] });
    const rows = aliasInfos(wild, () => true);
    const none = statusView({ phase: 'running', port: 4141, aliases: rows });
    assert.equal(none.text, '$(server-process) pick a model');
    assert.match(none.tooltip, /No default model: pick a model: any openai\/\\<name\\> \(\[Select Model\]\(command:codexGateway\.selectModel\)\)/);
    assert.doesNotMatch(none.tooltip, /No model is configured/);
    const picked = statusView({ phase: 'running', port: 4141, aliases: rows, defaultAlias: 'openai/gpt-5.5' });
    assert.equal(picked.text, '$(server-process) openai/gpt-5.5');
    assert.match(picked.tooltip, /Default model: `openai\/gpt-5\.5` through `openai\/\*` → openai\/\\\* \\\(any model\\\)/);
    assert.match(picked.tooltip, /Key OPENAI\\_API\\_KEY is set/);
    const missing = statusView({ phase: 'running', port: 4141, aliases: aliasInfos(wild, () => false), defaultAlias: 'openai/gpt-5.5' });
    assert.equal(missing.text, '$(key) openai/gpt-5.5', "the pattern's missing key is the default's missing key");
  });

  it('escapes Markdown in user text', () => {
    assert.equal(escapeMarkdown('a*b_[c](d)'), 'a\\*b\\_\\[c\\]\\(d\\)');
    const v = statusView({ ...base, lastError: '[click](command:evil)' });
    assert.ok(!v.tooltip.includes('[click](command:evil)'));
  });

  it('picker rows: current marked, provider/model as description, key status and fallbacks as detail', () => {
    const items = aliasPickItems(infos, 'local');
    assert.deepEqual(items.map((i) => i.alias), ['deepseek', 'qwen', 'local', 'nokey']);
    const local = items.find((i) => i.alias === 'local')!;
    assert.equal(local.label, '$(check) local');
    assert.equal(local.description, 'ollama/qwen3 (current)');
    assert.equal(local.detail, '$(check) no key needed');
    const ds = items.find((i) => i.alias === 'deepseek')!;
    assert.equal(ds.label, 'deepseek');
    assert.equal(ds.detail, '$(warning) DEEPSEEK_API_KEY missing · fallbacks: qwen → local — pick it to set the key');
    assert.deepEqual(ds.missing, ['DEEPSEEK_API_KEY']);
    assert.equal(items.find((i) => i.alias === 'qwen')!.detail, '$(check) DASHSCOPE_API_KEY set, $(warning) OPENROUTER_API_KEY missing — pick it to set the key');
  });
});

describe('model picker target: Codex, Claude Code or both', () => {
  const tiers = (haiku: string, sonnet: string, opus: string): ClaudeTierSettings => ({ haiku, sonnet, opus });
  const wired = { state: 'wired' as const, tiers: tiers('default', 'default', 'default') };

  it('asks only while Claude Code is wired; a remembered target is read back only when valid', () => {
    assert.equal(asksPickTarget(undefined), false);
    for (const state of ['off', 'restored', 'error'] as const) assert.equal(asksPickTarget({ ...wired, state }), false, state);
    assert.equal(asksPickTarget(wired), true);
    assert.equal(asPickTarget('both'), 'both');
    assert.equal(asPickTarget('claude'), 'claude');
    for (const v of [undefined, '', 'Codex', 1, {}]) assert.equal(asPickTarget(v), undefined);
  });

  it('rows: the last choice first and marked, with what each target changes', () => {
    const first = targetPickItems('qwen', undefined, 'deepseek', tiers('deepseek', 'deepseek', 'deepseek'));
    assert.deepEqual(first.map((r) => r.target), ['codex', 'claude', 'both']);
    assert.equal(first[0]!.description, 'default model → qwen');
    assert.match(first[0]!.detail, /now deepseek\. Claude Code keeps its models/);
    assert.equal(first[1]!.description, 'haiku, sonnet, opus → qwen');
    assert.match(first[1]!.detail, /now deepseek\. Codex keeps its model/);
    const again = targetPickItems('qwen', 'claude', 'deepseek', tiers('local', 'deepseek', 'deepseek'));
    assert.deepEqual(again.map((r) => r.target), ['claude', 'codex', 'both']);
    assert.equal(again[0]!.description, 'haiku, sonnet, opus → qwen (last used)');
    assert.match(again[0]!.detail, /now haiku local, sonnet deepseek, opus deepseek/);
    assert.ok(!again[1]!.description.includes('last used'));
  });

  it('plans: Codex only pins tiers that follow the default; Claude Code sets every tier; both does both', () => {
    // Out of the box every tier follows the default model: moving only Codex pins them to the old default.
    assert.deepEqual(planModelPick('qwen', 'codex', 'deepseek', tiers('', '', '')), { defaultModel: 'qwen', claudeModels: tiers('deepseek', 'deepseek', 'deepseek') });
    assert.deepEqual(planModelPick('qwen', 'codex', 'deepseek', tiers('local', '', 'qwen')), { defaultModel: 'qwen', claudeModels: tiers('local', 'deepseek', 'qwen') });
    // Picking the model Codex already uses changes no tier (the default is still written, as before).
    assert.deepEqual(planModelPick('deepseek', 'codex', 'deepseek', tiers('', '', '')), { defaultModel: 'deepseek' });
    // No config running: nothing to pin to.
    assert.deepEqual(planModelPick('qwen', 'codex', undefined, tiers('', 'local', '')), { defaultModel: 'qwen' });
    assert.deepEqual(planModelPick('qwen', 'claude', 'deepseek', tiers('', 'local', '')), { claudeModels: tiers('qwen', 'qwen', 'qwen') });
    assert.deepEqual(planModelPick('qwen', 'claude', 'deepseek', tiers('qwen', 'qwen', 'qwen')), {});
    assert.deepEqual(planModelPick('qwen', 'both', 'deepseek', tiers('', 'local', '')), { defaultModel: 'qwen', claudeModels: tiers('qwen', 'qwen', 'qwen') });
  });

  it('every plan keeps what was not picked and moves what was (all tiers, defaults, targets)', () => {
    const values = ['', 'a', 'b', 'c'];
    let cases = 0;
    for (const target of PICK_TARGETS)
      for (const alias of ['a', 'b'])
        for (const current of ['a', 'b', undefined])
          for (const haiku of values)
            for (const sonnet of values)
              for (const opus of values) {
                const before = tiers(haiku, sonnet, opus);
                const plan = planModelPick(alias, target, current, before);
                const nextDefault = plan.defaultModel ?? current;
                const after = resolvedTiers(plan.claudeModels ?? before, nextDefault);
                const was = resolvedTiers(before, current);
                const what = JSON.stringify({ target, alias, current, before, plan });
                if (target === 'claude') assert.equal(nextDefault, current, what);
                else assert.equal(nextDefault, alias, what);
                if (target === 'codex') {
                  // Claude Code keeps every tier it reached (unless no config ran: `default` then still follows).
                  if (current !== undefined) assert.deepEqual(after, was, what);
                } else assert.deepEqual(after, tiers(alias, alias, alias), what);
                cases++;
              }
    assert.equal(cases, 3 * 2 * 3 * 64);
  });
});
