/**
 * Claude Code's settings.json wiring (src/gateway/claude/settings-json.ts) on real files in a temp
 * CLAUDE_CONFIG_DIR: JSONC edited in place (comments, order, trailing commas, odd formatting kept), idempotent
 * writes, byte-for-byte restore, key-wise restore after a user edit, no token in any file, mode 0600.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, access, readdir, symlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'jsonc-parser';
import {
  apiKeyHelperCommand,
  applyClaudeWiring,
  BACKUP_FILE,
  claudeConfigDir,
  ClaudeSettingsError,
  claudeWiring,
  isClaudeWired,
  readClaudeWiring,
  restoreClaudeSettings,
  STATE_FILE,
  writeClaudeSettings,
} from '../../src/gateway/claude/settings-json';

const TOKEN = 'cgw-secret-token-never-in-files-0123456789';

const USER_SETTINGS = [
  '{',
  '    // my Claude Code settings',
  '    "permissions": { "allow": ["Bash(npm test)"], },   /* inline */',
  '    "env": {',
  '        "MY_VAR": "1", // keep me',
  '    },',
  '    "theme":"dark" ,',
  '}',
  '',
].join('\r\n');

const models = { main: 'default', haiku: 'fast', sonnet: 'default', opus: 'smart' };

describe('Claude Code settings.json wiring', () => {
  let dir: string;
  let tokenFile: string;
  const wiring = (port = 4141) => claudeWiring({ baseUrl: `http://127.0.0.1:${port}`, models, tokenFile, platform: 'linux' });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cgw-claude-'));
    tokenFile = join(dir, 'gw home', 'master_key');
    await mkdir(join(dir, 'gw home'));
    await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('claudeConfigDir honours CLAUDE_CONFIG_DIR, else HOME/.claude', () => {
    assert.equal(claudeConfigDir({ CLAUDE_CONFIG_DIR: '/tmp/cc', HOME: '/home/me' }), '/tmp/cc');
    assert.equal(claudeConfigDir({ CLAUDE_CONFIG_DIR: '  ', HOME: '/home/me' }), join('/home/me', '.claude'));
    assert.equal(claudeConfigDir({ HOME: '/home/me' }), join('/home/me', '.claude'));
  });

  it('apiKeyHelper prints the token file (shell-quoted), and the base URL has no /v1', async () => {
    assert.equal(apiKeyHelperCommand('/home/me/.codex-gateway/master_key', 'linux'), 'cat /home/me/.codex-gateway/master_key');
    assert.equal(apiKeyHelperCommand("/a b/it's", 'linux'), `cat '/a b/it'\\''s'`);
    assert.equal(apiKeyHelperCommand('C:\\Users\\me\\key', 'win32'), 'type "C:\\Users\\me\\key"');
    assert.throws(() => apiKeyHelperCommand('', 'linux'), ClaudeSettingsError);
    assert.equal(claudeWiring({ baseUrl: 'http://127.0.0.1:1/v1/', models, tokenFile: '/k', platform: 'linux' }).env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:1');
    assert.throws(() => claudeWiring({ baseUrl: 'ftp://x', models, tokenFile: '/k' }), /not an http/);
    // The command really prints the token through a shell (Claude Code runs it that way).
    const { execSync } = await import('node:child_process');
    assert.equal(execSync(wiring().apiKeyHelper, { encoding: 'utf8' }), TOKEN);
  });

  it('edits JSONC in place: comments, order, CRLF, trailing commas and formatting kept; writing twice = once', () => {
    const once = applyClaudeWiring(USER_SETTINGS, wiring());
    assert.equal(applyClaudeWiring(once, wiring()), once);
    // Everything the user wrote is still there, in order.
    let pos = 0;
    for (const piece of ['// my Claude Code settings', '"permissions": { "allow": ["Bash(npm test)"], },   /* inline */', '"MY_VAR": "1", // keep me', '"theme":"dark" ,']) {
      const at = once.indexOf(piece, pos);
      assert.ok(at >= pos, `kept in order: ${piece}\n${once}`);
      pos = at;
    }
    assert.ok(!/[^\r]\n/.test(once), 'CRLF line endings kept');
    const v = parse(once, [], { allowTrailingComma: true });
    assert.equal(v.env.MY_VAR, '1');
    assert.equal(v.env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:4141');
    assert.equal(v.env.ANTHROPIC_DEFAULT_HAIKU_MODEL, 'fast');
    assert.equal(v.env.ANTHROPIC_DEFAULT_OPUS_MODEL, 'smart');
    assert.equal(v.apiKeyHelper, wiring().apiKeyHelper);
    assert.match(once, /\r\n {8}"ANTHROPIC_BASE_URL"/, 'the file\'s 4-space indentation is used');
    assert.deepEqual(readClaudeWiring(once).env.ANTHROPIC_MODEL, 'default');
  });

  it('refuses a file that is not JSONC or whose env is not an object, and leaves it untouched', async () => {
    assert.throws(() => applyClaudeWiring('{ "a": ', wiring()), (e: unknown) => e instanceof ClaudeSettingsError && e.code === 'invalid_json' && /:1:\d+/.test(e.message));
    assert.throws(() => applyClaudeWiring('[1]', wiring()), /not a JSON object/);
    assert.throws(() => applyClaudeWiring('{"env": "x"}', wiring()), /"env" is not an object/);
    await writeFile(join(dir, 'settings.json'), '{ oops');
    await assert.rejects(writeClaudeSettings({ configDir: dir, wiring: wiring() }), ClaudeSettingsError);
    assert.equal(await readFile(join(dir, 'settings.json'), 'utf8'), '{ oops');
  });

  it('write + restore round-trips byte for byte, mode 0600 while wired, original mode back, idempotent', async () => {
    const file = join(dir, 'settings.json');
    await writeFile(file, USER_SETTINGS, { mode: 0o644 });
    const r1 = await writeClaudeSettings({ configDir: dir, wiring: wiring() });
    assert.equal(r1.changed, true);
    assert.equal(r1.backupPath, join(dir, BACKUP_FILE));
    const wired = await readFile(file);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await readFile(join(dir, BACKUP_FILE), 'utf8'), USER_SETTINGS);
    assert.equal((await stat(join(dir, BACKUP_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, STATE_FILE))).mode & 0o777, 0o600);
    assert.equal(await isClaudeWired(dir), true);

    const r2 = await writeClaudeSettings({ configDir: dir, wiring: wiring() });
    assert.equal(r2.changed, false);
    assert.deepEqual(await readFile(file), wired);
    assert.equal(await readFile(join(dir, BACKUP_FILE), 'utf8'), USER_SETTINGS, 'the backup is written once');

    // A port change rewrites our value only; the backup still holds the original.
    await writeClaudeSettings({ configDir: dir, wiring: wiring(5000) });
    assert.equal(parse(await readFile(file, 'utf8'), [], { allowTrailingComma: true }).env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:5000');
    assert.equal(await readFile(join(dir, BACKUP_FILE), 'utf8'), USER_SETTINGS);

    for (const f of await readdir(dir)) {
      if (f === 'gw home') continue;
      assert.ok(!(await readFile(join(dir, f), 'utf8')).includes(TOKEN), `no token in ${f}`);
    }

    const back = await restoreClaudeSettings({ configDir: dir });
    assert.deepEqual(back, { path: file, restored: true, how: 'exact' });
    assert.equal(await readFile(file, 'utf8'), USER_SETTINGS);
    assert.equal((await stat(file)).mode & 0o777, 0o644);
    await assert.rejects(access(join(dir, STATE_FILE)));
    await assert.rejects(access(join(dir, BACKUP_FILE)));
    assert.equal(await isClaudeWired(dir), false);
    assert.deepEqual(await restoreClaudeSettings({ configDir: dir }), { path: file, restored: false, how: 'none' });
    assert.equal(await readFile(file, 'utf8'), USER_SETTINGS);
  });

  it('no settings.json before: created 0600, and restore removes it', async () => {
    const sub = join(dir, 'fresh');
    const r = await writeClaudeSettings({ configDir: sub, wiring: wiring() });
    assert.equal(r.backupPath, undefined);
    const file = join(sub, 'settings.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    assert.ok(text.startsWith('{\n  "env": {\n    "ANTHROPIC_BASE_URL"'), text);
    assert.ok(text.endsWith('}\n'));
    assert.equal((await restoreClaudeSettings({ configDir: sub })).how, 'exact');
    await assert.rejects(access(file));
    assert.deepEqual(await readdir(sub), []);
  });

  it('after a user edit, restore undoes only our keys (a key the user changed stays theirs)', async () => {
    const file = join(dir, 'settings.json');
    const original = '{\n  // mine\n  "env": { "ANTHROPIC_MODEL": "claude-x" },\n  "model": "opus"\n}\n';
    await writeFile(file, original);
    await writeClaudeSettings({ configDir: dir, wiring: wiring() });
    let text = await readFile(file, 'utf8');
    // The user adds a setting and changes one of our values by hand.
    text = text.replace('"model": "opus"', '"model": "opus",\n  "verbose": true').replace('"ANTHROPIC_DEFAULT_OPUS_MODEL": "smart"', '"ANTHROPIC_DEFAULT_OPUS_MODEL": "mine"');
    await writeFile(file, text);
    const r = await restoreClaudeSettings({ configDir: dir });
    assert.equal(r.how, 'keys');
    const after = await readFile(file, 'utf8');
    const v = parse(after);
    assert.deepEqual(v.env, { ANTHROPIC_MODEL: 'claude-x', ANTHROPIC_DEFAULT_OPUS_MODEL: 'mine' });
    assert.equal(v.verbose, true);
    assert.equal(v.apiKeyHelper, undefined);
    assert.ok(after.includes('// mine'));
    assert.equal(await readFile(join(dir, BACKUP_FILE), 'utf8'), original, 'the backup stays after a partial restore');
    assert.equal((await restoreClaudeSettings({ configDir: dir })).how, 'none');
  });

  it('an env object we created is removed on a key-wise restore; a symlinked settings.json stays a link', async () => {
    const real = join(dir, 'dotfiles-settings.json');
    await writeFile(real, '{ "theme": "light" }');
    await symlink(real, join(dir, 'settings.json'));
    await writeClaudeSettings({ configDir: dir, wiring: wiring() });
    assert.ok(readClaudeWiring(await readFile(real, 'utf8')).env.ANTHROPIC_BASE_URL);
    await writeFile(real, (await readFile(real, 'utf8')).replace('"light"', '"dark"'));
    assert.equal((await restoreClaudeSettings({ configDir: dir })).how, 'keys');
    assert.deepEqual(parse(await readFile(real, 'utf8')), { theme: 'dark' });
    assert.equal((await stat(join(dir, 'settings.json'))).isFile(), true);
    const { lstat } = await import('node:fs/promises');
    assert.equal((await lstat(join(dir, 'settings.json'))).isSymbolicLink(), true);
  });
});
