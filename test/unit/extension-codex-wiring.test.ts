/**
 * Codex config.toml wiring of the VS Code extension (src/extension/codex-wiring.ts) and its uninstall hook
 * (src/extension/uninstall.ts), on real files in a temp CODEX_HOME, through the engine's byte-preserving
 * writer. The TOML written is checked with a real TOML parser (smol-toml).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, stat, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCodexWiring, decideCodexAction, PROVIDER_ID, providerTable, readSelection, restoreCodexWiring } from '../../src/extension/codex-wiring';
import { runUninstall } from '../../src/extension/uninstall';
import { CodexConfigError } from '../../src/gateway/codex/config-toml';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const smol = require('smol-toml') as { parse(s: string): Record<string, any> };

const USER_CONFIG = [
  '# my Codex settings',
  'model = "gpt-5.5"   # the model I like',
  "model_provider = 'azure'",
  'approval_policy = "on-request"',
  '',
  '[model_providers.azure]',
  'name = "Azure"',
  'base_url = "https://example.invalid/openai"',
  'env_key = "AZURE_OPENAI_API_KEY"',
  '',
  '[mcp_servers.docs]',
  'command = "npx"',
  'args = ["-y", "some-mcp"]',
  '',
  '[projects."/home/me/work"]',
  'trust_level = "trusted"',
  '',
].join('\n');

describe('extension Codex wiring', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'cgw-ext-codex-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  describe('decideCodexAction', () => {
    const aliases = ['deepseek', 'qwen'];
    it('off never writes', () => {
      assert.deepEqual(decideCodexAction('off', {}, aliases), { kind: 'skip', reason: 'off' });
      assert.deepEqual(decideCodexAction('off', { model_provider: PROVIDER_ID }, aliases), { kind: 'skip', reason: 'off' });
    });
    it('already ours: refresh the table; keep a model that is an alias or "default"', () => {
      assert.deepEqual(decideCodexAction('auto', { model_provider: PROVIDER_ID, model: 'qwen' }, aliases), { kind: 'write' });
      assert.deepEqual(decideCodexAction('ask', { model_provider: PROVIDER_ID, model: 'default' }, aliases), { kind: 'write' });
      assert.deepEqual(decideCodexAction('auto', { model_provider: PROVIDER_ID, model: 'gpt-5.5' }, aliases), { kind: 'write', model: 'default' });
      assert.deepEqual(decideCodexAction('auto', { model_provider: PROVIDER_ID }, aliases), { kind: 'write', model: 'default' });
    });
    it('another provider (or none): auto takes over and names it; ask asks once per choice', () => {
      assert.deepEqual(decideCodexAction('auto', { model_provider: 'azure', model: 'x' }, aliases), { kind: 'write', model: 'default', replaces: 'azure' });
      assert.deepEqual(decideCodexAction('auto', {}, aliases), { kind: 'write', model: 'default' });
      assert.deepEqual(decideCodexAction('ask', { model_provider: 'azure' }, aliases), { kind: 'ask', current: 'azure' });
      assert.deepEqual(decideCodexAction('ask', {}, aliases), { kind: 'ask' });
      assert.deepEqual(decideCodexAction('ask', { model_provider: 'azure' }, aliases, 'azure'), { kind: 'skip', reason: 'declined' });
      assert.deepEqual(decideCodexAction('ask', {}, aliases, ''), { kind: 'skip', reason: 'declined' });
      assert.deepEqual(decideCodexAction('ask', { model_provider: 'other' }, aliases, 'azure'), { kind: 'ask', current: 'other' }, 'a new choice is asked about again');
    });
  });

  it('providerTable: the provider Codex needs (responses wire, catalog URL, token command)', () => {
    assert.deepEqual(providerTable(4141, '/t/master_key', 'linux'), {
      name: 'Codex Gateway',
      base_url: 'http://127.0.0.1:4141/v1',
      wire_api: 'responses',
      model_catalog_url: 'http://127.0.0.1:4141/v1/codex/models',
      request_max_retries: 1,
      stream_max_retries: 3,
      auth: { command: 'cat', args: ['/t/master_key'] },
    });
    assert.deepEqual((providerTable(4141, 'C:\\k', 'win32').auth as { command: string }).command, 'cmd.exe');
  });

  it('writes into an existing user config, keeping every other line, and restores it byte for byte', async () => {
    const file = join(home, 'config.toml');
    await writeFile(file, USER_CONFIG, { mode: 0o644 });
    assert.deepEqual(await readSelection(home), { model: 'gpt-5.5', model_provider: 'azure' });
    const action = decideCodexAction('auto', await readSelection(home), ['deepseek']);
    assert.equal(action.kind, 'write');
    const res = await applyCodexWiring({ codexHome: home, port: 4141, tokenFile: '/x/master_key', model: action.kind === 'write' ? action.model : undefined });
    assert.equal(res.changed, true);
    assert.deepEqual(res.previous, { model: 'gpt-5.5', model_provider: 'azure' });
    const text = await readFile(file, 'utf8');
    for (const line of USER_CONFIG.split('\n')) {
      if (line.startsWith('model = ') || line.startsWith('model_provider')) continue;
      assert.ok(text.includes(line), `kept: ${line}`);
    }
    assert.match(text, /^model = "default"   # the model I like$/m, 'value replaced in place, comment kept');
    const doc = smol.parse(text);
    assert.equal(doc.model_provider, PROVIDER_ID);
    assert.equal(doc.model, 'default');
    assert.deepEqual(JSON.parse(JSON.stringify(doc.model_providers[PROVIDER_ID])), providerTable(4141, '/x/master_key'));
    assert.equal(doc.model_providers.azure.env_key, 'AZURE_OPENAI_API_KEY');
    assert.equal(doc.mcp_servers.docs.command, 'npx');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await access(join(home, 'config.toml.codex-gateway.bak'));

    // Same wiring again: nothing to write.
    const again = await applyCodexWiring({ codexHome: home, port: 4141, tokenFile: '/x/master_key' });
    assert.equal(again.changed, false);
    // A port change rewrites only our table.
    await applyCodexWiring({ codexHome: home, port: 5151, tokenFile: '/x/master_key' });
    assert.equal(smol.parse(await readFile(file, 'utf8')).model_providers[PROVIDER_ID].base_url, 'http://127.0.0.1:5151/v1');

    const restored = await restoreCodexWiring(home);
    assert.equal(restored.restored, true);
    assert.equal(await readFile(file, 'utf8'), USER_CONFIG);
    assert.equal((await stat(file)).mode & 0o777, 0o644);
  });

  it('creates config.toml when there is none, and the uninstall hook removes it again', async () => {
    await applyCodexWiring({ codexHome: home, port: 4141, tokenFile: '/x/master_key', model: 'default' });
    const doc = smol.parse(await readFile(join(home, 'config.toml'), 'utf8'));
    assert.equal(doc.model_provider, PROVIDER_ID);
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await runUninstall({ CODEX_HOME: home, HOME: home });
    } finally {
      process.stdout.write = write;
    }
    assert.equal(code, 0);
    assert.match(out.join(''), /restored/);
    await assert.rejects(access(join(home, 'config.toml')), /ENOENT/);
  });

  it('refuses to touch a config.toml that is not valid TOML, and says how to fix it', async () => {
    const file = join(home, 'config.toml');
    const broken = 'model = "x"\n[model_providers\n';
    await writeFile(file, broken);
    await assert.rejects(readSelection(home), (e: unknown) => e instanceof CodexConfigError && e.code === 'invalid_toml');
    await assert.rejects(applyCodexWiring({ codexHome: home, port: 4141, tokenFile: '/x' }), (e: unknown) => e instanceof CodexConfigError && /Fix the file/.test((e as Error).message));
    assert.equal(await readFile(file, 'utf8'), broken);
  });
});
