/**
 * Codex config.toml wiring of the VS Code extension (src/extension/codex-wiring.ts) and its uninstall hook
 * (src/extension/uninstall.ts), on real files in a temp CODEX_HOME, through the engine's byte-preserving
 * writer. The TOML written is checked with a real TOML parser (smol-toml).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, stat, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCodexWiring, decideCodexAction, extensionAuthCommand, PROVIDER_ID, providerTable, readSelection, restoreCodexWiring, type AuthRunner } from '../../src/extension/codex-wiring';
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
    it('wildcard patterns: a model a pattern serves is kept; with only patterns, `default` is still written (it follows the pick in VS Code)', () => {
      const wild = ['openai/*'];
      assert.deepEqual(decideCodexAction('auto', { model_provider: PROVIDER_ID, model: 'openai/gpt-5.5' }, wild), { kind: 'write' });
      assert.deepEqual(decideCodexAction('auto', { model_provider: PROVIDER_ID, model: 'gpt-5.5' }, wild), { kind: 'write', model: 'default' });
      assert.deepEqual(decideCodexAction('auto', { model_provider: PROVIDER_ID, model: 'openai/*' }, wild), { kind: 'write', model: 'default' }, 'the pattern itself names no model');
      assert.deepEqual(decideCodexAction('auto', {}, wild), { kind: 'write', model: 'default' });
    });
  });

  /** The runner of desktop VS Code on Linux (Electron) and of a remote / code-server host (Node). */
  const electronRunner: AuthRunner = { nodePath: '/usr/share/code/code', script: '/ext/codex-gateway-0.1.0/dist/codex-auth.js', electron: true };
  const nodeRunner: AuthRunner = { nodePath: '/home/me/.vscode-server/bin/abc123/node', script: '/home/me/.vscode-server/extensions/codex-gateway-0.1.0/dist/codex-auth.js', electron: false };
  const authArgs = (script: string, port: number, tokenFile: string) => [script, 'codex-auth', '--host', '127.0.0.1', '--port', String(port), '--token-file', tokenFile];

  it('extensionAuthCommand: Electron through /usr/bin/env ELECTRON_RUN_AS_NODE=1, Node directly, the token file on Windows Electron', () => {
    assert.deepEqual(extensionAuthCommand(electronRunner, 4141, '/t/master_key', 'linux'), {
      command: '/usr/bin/env',
      args: ['ELECTRON_RUN_AS_NODE=1', electronRunner.nodePath, ...authArgs(electronRunner.script, 4141, '/t/master_key')],
    });
    const mac: AuthRunner = { ...electronRunner, nodePath: '/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin).app/Contents/MacOS/Code Helper (Plugin)' };
    assert.deepEqual(extensionAuthCommand(mac, 4141, '/t/k', 'darwin').args.slice(0, 2), ['ELECTRON_RUN_AS_NODE=1', mac.nodePath], 'a path with spaces needs no quoting (no shell)');
    assert.deepEqual(extensionAuthCommand(nodeRunner, 4141, '/t/master_key', 'linux'), { command: nodeRunner.nodePath, args: authArgs(nodeRunner.script, 4141, '/t/master_key') });
    assert.deepEqual(extensionAuthCommand(electronRunner, 4141, 'C:\\k', 'win32'), { command: 'cmd.exe', args: ['/d', '/c', 'type', 'C:\\k'] });
    assert.deepEqual(extensionAuthCommand({ ...nodeRunner, nodePath: 'C:\\node.exe' }, 4141, 'C:\\k', 'win32').args.slice(1, 2), ['codex-auth'], 'a Node host on Windows runs the helper');
  });

  /** The provider table for port 4141 with the given auth command (every other key is the same). */
  const tableWith = (auth: { command: string; args: string[] }) => ({
    name: 'Codex Gateway',
    base_url: 'http://127.0.0.1:4141/v1',
    wire_api: 'responses',
    model_catalog_url: 'http://127.0.0.1:4141/v1/codex/models',
    request_max_retries: 1,
    stream_max_retries: 3,
    auth,
  });

  it('providerTable: the provider Codex needs (responses wire, catalog URL, auth command)', () => {
    assert.deepEqual(
      providerTable(4141, '/t/master_key', electronRunner, 'linux'),
      tableWith({ command: '/usr/bin/env', args: ['ELECTRON_RUN_AS_NODE=1', electronRunner.nodePath, ...authArgs(electronRunner.script, 4141, '/t/master_key')] }),
    );
  });

  it('providerTable without a runner: the plain token command', () => {
    assert.deepEqual(providerTable(4141, '/t/master_key', undefined, 'linux'), tableWith({ command: 'cat', args: ['/t/master_key'] }));
    assert.deepEqual((providerTable(4141, 'C:\\k', undefined, 'win32').auth as { command: string }).command, 'cmd.exe');
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

  it('an update that moves the executable or the extension: the next sync rewrites only our auth command, without asking; restore and uninstall still remove it', async () => {
    const file = join(home, 'config.toml');
    await writeFile(file, USER_CONFIG, { mode: 0o644 });
    await applyCodexWiring({ codexHome: home, port: 4141, tokenFile: '/x/master_key', runner: nodeRunner, model: 'default' });
    const before = await readFile(file, 'utf8');
    assert.deepEqual(smol.parse(before).model_providers[PROVIDER_ID].auth.args, authArgs(nodeRunner.script, 4141, '/x/master_key'));
    // VS Code Server updated (new commit folder) and the extension updated (new version folder).
    const moved: AuthRunner = { nodePath: '/home/me/.vscode-server/bin/def456/node', script: '/home/me/.vscode-server/extensions/codex-gateway-0.2.0/dist/codex-auth.js', electron: false };
    // On activation the sync decides: our provider is selected, so it writes (in "ask" mode too) with no question.
    const sel = await readSelection(home);
    for (const mode of ['auto', 'ask'] as const) assert.deepEqual(decideCodexAction(mode, sel, ['deepseek']), { kind: 'write' });
    const res = await applyCodexWiring({ codexHome: home, port: 4141, tokenFile: '/x/master_key', runner: moved });
    assert.equal(res.changed, true);
    const after = await readFile(file, 'utf8');
    const doc = smol.parse(after);
    assert.equal(doc.model_providers[PROVIDER_ID].auth.command, moved.nodePath);
    assert.deepEqual(doc.model_providers[PROVIDER_ID].auth.args, authArgs(moved.script, 4141, '/x/master_key'));
    // Only the lines of our table changed.
    const changedLines = after.split('\n').filter((l) => !before.split('\n').includes(l));
    assert.ok(changedLines.length > 0 && changedLines.every((l) => l.includes('def456') || l.includes('0.2.0')), changedLines.join('\n'));
    assert.equal(doc.model, 'default');
    // Same runner again: nothing to write.
    assert.equal((await applyCodexWiring({ codexHome: home, port: 4141, tokenFile: '/x/master_key', runner: moved })).changed, false);
    // Restore (the command) removes our table with the new auth command and puts the user's file back.
    assert.equal((await restoreCodexWiring(home)).restored, true);
    assert.equal(await readFile(file, 'utf8'), USER_CONFIG);
    // The uninstall hook does the same for a wired file.
    await applyCodexWiring({ codexHome: home, port: 4141, tokenFile: '/x/master_key', runner: electronRunner, model: 'default' });
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      assert.equal(await runUninstall({ CODEX_HOME: home, HOME: home }), 0);
    } finally {
      process.stdout.write = write;
    }
    assert.equal(await readFile(file, 'utf8'), USER_CONFIG);
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
