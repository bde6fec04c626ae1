/**
 * Claude Code wiring of the VS Code extension (src/extension/claude-wiring.ts): tier aliases, the merge into
 * and removal from `claudeCode.environmentVariables`, the one-time offer, PATH lookup, the settings it reads,
 * and the uninstall hook restoring settings.json (real files in a temp CLAUDE_CONFIG_DIR).
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyClaudeSettings, extensionVariables, findOnPath, mergeEnvironmentVariables, removeEnvironmentVariables, restoreClaudeWiring, shouldOffer, tierModels, wiringFor } from '../../src/extension/claude-wiring';
import { readSettings } from '../../src/extension/settings';
import { claudeCodeLine, statusView } from '../../src/extension/status-model';
import { runUninstall } from '../../src/extension/uninstall';
import { CLAUDE_ENV_KEYS } from '../../src/gateway/claude/settings-json';

describe('extension Claude Code wiring', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cgw-ext-claude-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an empty tier is the virtual alias "default"; ANTHROPIC_MODEL is the sonnet tier', () => {
    assert.deepEqual(tierModels({ haiku: '', sonnet: ' qwen ', opus: 'ds' }), { main: 'qwen', haiku: 'default', sonnet: 'qwen', opus: 'ds' });
    const w = wiringFor(4141, '/k/master_key', { haiku: '', sonnet: '', opus: '' }, 'linux');
    assert.deepEqual(extensionVariables(w), [
      { name: 'ANTHROPIC_BASE_URL', value: 'http://127.0.0.1:4141' },
      { name: 'ANTHROPIC_MODEL', value: 'default' },
      { name: 'ANTHROPIC_DEFAULT_HAIKU_MODEL', value: 'default' },
      { name: 'ANTHROPIC_DEFAULT_SONNET_MODEL', value: 'default' },
      { name: 'ANTHROPIC_DEFAULT_OPUS_MODEL', value: 'default' },
    ]);
    assert.ok(!extensionVariables(w).some((e) => /KEY|TOKEN/.test(e.name)), 'no token variable');
  });

  it('claudeCode.environmentVariables: ours merged (others kept, displaced remembered), removed on restore', () => {
    const ours = extensionVariables(wiringFor(5000, '/k', { haiku: 'h', sonnet: 's', opus: 'o' }, 'linux'));
    const user = [{ name: 'HTTPS_PROXY', value: 'http://proxy' }, { name: 'ANTHROPIC_BASE_URL', value: 'https://corp' }];
    const m = mergeEnvironmentVariables(user, ours);
    assert.equal(m.changed, true);
    assert.deepEqual(m.displaced, [{ name: 'ANTHROPIC_BASE_URL', value: 'https://corp' }]);
    assert.deepEqual(m.next[0], user[0]);
    assert.deepEqual(m.next[1], { name: 'ANTHROPIC_BASE_URL', value: 'http://127.0.0.1:5000' });
    assert.equal(m.next.length, 6);
    assert.equal(mergeEnvironmentVariables(m.next, ours).changed, false, 'merging twice = once');
    const r = removeEnvironmentVariables(m.next, CLAUDE_ENV_KEYS, m.displaced);
    assert.deepEqual(r, { next: user, changed: true });
    assert.deepEqual(removeEnvironmentVariables(mergeEnvironmentVariables(undefined, ours).next, CLAUDE_ENV_KEYS, []), { next: undefined, changed: true });
    assert.deepEqual(removeEnvironmentVariables(undefined, CLAUDE_ENV_KEYS, []), { next: undefined, changed: false });
  });

  it('offers once: only when not enabled, never answered, and Claude Code is there', () => {
    assert.equal(shouldOffer({ enabled: false, answer: undefined, claudeOnPath: true, extensionInstalled: false }), true);
    assert.equal(shouldOffer({ enabled: false, answer: undefined, claudeOnPath: false, extensionInstalled: true }), true);
    assert.equal(shouldOffer({ enabled: false, answer: 'declined', claudeOnPath: true, extensionInstalled: true }), false);
    assert.equal(shouldOffer({ enabled: true, answer: undefined, claudeOnPath: true, extensionInstalled: true }), false);
    assert.equal(shouldOffer({ enabled: false, answer: undefined, claudeOnPath: false, extensionInstalled: false }), false);
  });

  it('findOnPath finds an executable claude and skips non-executables', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await mkdir(a);
    await mkdir(b);
    await writeFile(join(a, 'claude'), '#!/bin/sh\n');
    await writeFile(join(b, 'claude'), '#!/bin/sh\n');
    await chmod(join(b, 'claude'), 0o755);
    assert.equal(await findOnPath('claude', { PATH: `${a}:${b}` }, 'linux'), join(b, 'claude'));
    assert.equal(await findOnPath('claude', { PATH: a }, 'linux'), undefined);
    assert.equal(await findOnPath('claude', {}, 'linux'), undefined);
  });

  it('reads codexGateway.claudeCode.* (off by default, tiers trimmed, junk ignored)', () => {
    const vals: Record<string, unknown> = { 'claudeCode.enabled': true, 'claudeCode.models': { haiku: ' h ', sonnet: 3, opus: 'o' } };
    const s = readSettings(<T>(k: string, d: T): T => (k in vals ? (vals[k] as T) : d));
    assert.equal(s.claudeCodeEnabled, true);
    assert.deepEqual(s.claudeCodeModels, { haiku: 'h', sonnet: '', opus: 'o' });
    const def = readSettings(<T>(_k: string, d: T): T => d);
    assert.equal(def.claudeCodeEnabled, false);
    assert.deepEqual(def.claudeCodeModels, { haiku: '', sonnet: '', opus: '' });
  });

  it('the tooltip shows the state and the alias per tier', () => {
    const tiers = { haiku: 'default', sonnet: 'qwen', opus: 'ds' };
    assert.equal(claudeCodeLine({ state: 'wired', tiers }), 'Claude Code: wired to the gateway · haiku default · sonnet qwen · opus ds');
    assert.equal(claudeCodeLine({ state: 'restored', tiers }), 'Claude Code: restored to your settings');
    const base = { phase: 'running' as const, port: 4141, aliases: [] };
    assert.ok(statusView({ ...base, claudeCode: { state: 'wired', tiers } }).tooltip.includes('Claude Code: wired'));
    assert.ok(!statusView({ ...base, claudeCode: { state: 'off', tiers } }).tooltip.includes('Claude Code'));
  });

  it('apply, then the uninstall hook restores settings.json byte for byte (CLAUDE_CONFIG_DIR honoured)', async () => {
    const cc = join(dir, 'claude');
    await mkdir(cc);
    const original = '{\n  // mine\n  "theme": "dark",\n}\n';
    await writeFile(join(cc, 'settings.json'), original);
    const res = await applyClaudeSettings({ configDir: cc, port: 4141, tokenFile: join(dir, 'master_key'), models: { haiku: '', sonnet: '', opus: '' } });
    assert.equal(res.changed, true);
    assert.match(await readFile(join(cc, 'settings.json'), 'utf8'), /"apiKeyHelper": "cat /);
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    try {
      assert.equal(await runUninstall({ CODEX_HOME: join(dir, 'codex'), CLAUDE_CONFIG_DIR: cc, HOME: dir }), 0);
    } finally {
      process.stdout.write = write;
    }
    assert.equal(await readFile(join(cc, 'settings.json'), 'utf8'), original);
    assert.ok(out.some((l) => l.includes(join(cc, 'settings.json'))), out.join(''));
    assert.equal((await restoreClaudeWiring(cc)).how, 'none');
  });
});
