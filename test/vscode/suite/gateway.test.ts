/**
 * Runs INSIDE the VS Code extension host (code-server's remote extension host) with the Codex Gateway
 * extension installed from its .vsix. The outer test (test/vscode/extension.test.ts) passes through the
 * environment: HOME, CODEX_HOME and CODEX_GATEWAY_HOME (temp folders), CGW_TEST_PORT (the gateway port, also
 * in user settings), CGW_TEST_WORKSPACE (the opened folder), CGW_TEST_CODEX_BIN (the real Codex CLI) and
 * CGW_TEST_USER_CONFIG (the config.toml text written into CODEX_HOME before VS Code started).
 *
 * The provider is a mock upstream (test/helpers/mock-upstream.ts, OpenAI Chat Completions wire format) started
 * here on 127.0.0.1; keys are generated per run. Tests run in file order and build on each other (one VS Code
 * session), the way a user would go: start, configure, set a key, switch models, use Codex, restore.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import type { CodexGatewayApi } from '../../../src/extension/extension';
import { chatText, MockUpstream } from '../../helpers/mock-upstream';
import { freePort, refused } from '../../helpers/net';
import { waitFor } from '../../helpers/wait';
import { codexGatewayApi as api, EXTENSION_ID } from '../host-api';

const PORT = Number(process.env.CGW_TEST_PORT);
const CODEX_HOME = process.env.CODEX_HOME!;
const WORKSPACE = process.env.CGW_TEST_WORKSPACE!;

/** A fake key per run (never shaped like a real provider key). */
const fake = (label: string) => `test-${label}-${randomBytes(10).toString('hex')}`;

function token(status: ReturnType<CodexGatewayApi['status']>): string {
  return readFileSync(status.tokenFile, 'utf8').trim();
}

async function responses(tok: string, model: string, input = 'hello'): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${PORT}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, input, stream: false }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, json: await res.json() };
}

const settings = () => vscode.workspace.getConfiguration('codexGateway');
// Bundled into the suite by esbuild (harness/build.ts), which turns this require of an ES module into its exports.
const { parse: parseToml } = require('smol-toml') as typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });

/** The `[model_providers.codex-gateway.auth]` command of a config.toml text. */
function authCommandOf(text: string): { command: string; args: string[] } {
  const doc = parseToml(text) as { model_providers: Record<string, { auth: { command: string; args: string[] } }> };
  const { command, args } = doc.model_providers['codex-gateway'].auth;
  return { command, args: [...args] };
}

/** Runs an auth command as Codex does (no shell, its own stdout/stderr), bounded to 20 s. */
function runAuth(cmd: { command: string; args: string[] }): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    execFile(cmd.command, cmd.args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      if (err && code === null) reject(err);
      else resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** A line in the suite's report (the harness prints mocha's console output as `[exthost]` lines; plain console.log is not). */
function report(line: string): void {
  (require('mocha') as typeof import('mocha')).reporters.Base.consoleLog(line);
}


describe('Codex Gateway inside VS Code', () => {
  let up: MockUpstream;
  let scratch: string;
  const keyA = fake('alpha');

  before(async () => {
    up = await MockUpstream.start({ name: 'provider' });
    scratch = await mkdtemp(join(tmpdir(), 'cgw-suite-'));
  });
  after(async () => {
    await up?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('activates on startup in the workspace extension host and answers on loopback', async () => {
    const gw = await api();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
    const s = gw.status();
    assert.equal(s.phase, 'running', JSON.stringify(s));
    assert.equal(s.port, PORT);
    assert.equal(s.codexHome, CODEX_HOME);
    assert.equal(s.defaultAlias, 'gpt-5-mini', 'the default config has one OpenAI alias');
    assert.deepEqual(s.aliases[0].keys, [{ name: 'OPENAI_API_KEY', state: 'missing' }], 'a missing key is a normal state');
    const live = await fetch(`http://127.0.0.1:${PORT}/health/liveliness`);
    assert.equal(live.status, 200);
    const health = await fetch(`http://127.0.0.1:${PORT}/v1/health`, { headers: { authorization: `Bearer ${token(s)}` } });
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { deployments: unknown[] }).deployments.length, 1);
    const noAuth = await fetch(`http://127.0.0.1:${PORT}/v1/models`);
    assert.equal(noAuth.status, 401);
  });

  it("wrote Codex's config.toml in CODEX_HOME, keeping the user's own file", async () => {
    const text = await readFile(join(CODEX_HOME, 'config.toml'), 'utf8');
    const user = process.env.CGW_TEST_USER_CONFIG!;
    for (const line of user.split('\n')) {
      if (/^model(_provider)? =/.test(line)) continue;
      assert.ok(text.includes(line), `kept line: ${line}\n--- file ---\n${text}`);
    }
    assert.match(text, /^model_provider = "codex-gateway"/m);
    assert.match(text, /^model = "default"/m);
    assert.ok(text.includes(`base_url = "http://127.0.0.1:${PORT}/v1"`), text);
    assert.ok(text.includes(`model_catalog_url = "http://127.0.0.1:${PORT}/v1/codex/models"`), text);
    // The auth command runs the extension's own small script with this extension host's executable (plain Node
    // in code-server, so no ELECTRON_RUN_AS_NODE wrapper): it prints the token, or explains that the gateway is down.
    const auth = authCommandOf(text);
    const script = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'codex-auth.js');
    assert.deepEqual(auth, {
      command: process.execPath,
      args: [script, 'codex-auth', '--host', '127.0.0.1', '--port', String(PORT), '--token-file', join(process.env.CODEX_GATEWAY_HOME!, 'master_key')],
    });
    assert.ok(existsSync(script), 'dist/codex-auth.js ships in the .vsix');
    assert.ok(existsSync(join(CODEX_HOME, 'config.toml.codex-gateway.bak')), 'original backed up');
    assert.equal(readFileSync(join(CODEX_HOME, 'config.toml.codex-gateway.bak'), 'utf8'), user);
  });

  it('hot-reloads a settings change; a key set through the command reaches the upstream', async () => {
    const gw = await api();
    await settings().update(
      'config',
      {
        model_list: [
          { model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: up.baseUrl, api_key: 'os.environ/CGW_ALPHA_KEY' } },
          { model_name: 'beta', litellm_params: { model: 'openai_compatible/beta-model', api_base: up.baseUrl } },
        ],
        router_settings: { num_retries: 0 },
      },
      vscode.ConfigurationTarget.Global,
    );
    await waitFor('the new config', () => gw.status().aliases.map((a) => a.alias).join() === 'alpha,beta');
    assert.equal(gw.status().defaultAlias, 'alpha');
    assert.deepEqual(gw.status().aliases[0].keys, [{ name: 'CGW_ALPHA_KEY', state: 'missing' }]);

    const missing = await responses(token(gw.status()), 'alpha');
    assert.notEqual(missing.status, 200);
    assert.match(JSON.stringify(missing.json), /CGW_ALPHA_KEY is not set: run \\"Codex Gateway: Set Provider Key\\"/);
    assert.equal(up.requests.length, 0, 'nothing reached the provider without a key');

    const stored = await vscode.commands.executeCommand('codexGateway.setProviderKey', 'CGW_ALPHA_KEY', keyA);
    assert.equal(stored, 'CGW_ALPHA_KEY');
    await waitFor('the key to be seen as set', () => gw.status().aliases[0].keys[0].state === 'set');
    up.enqueue(chatText('hello from alpha'));
    const ok = await responses(token(gw.status()), 'alpha');
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const req = up.requests.at(-1)!;
    assert.equal(req.body.model, 'alpha-model');
    assert.equal(req.headers.authorization, `Bearer ${keyA}`);
    assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('codexGateway').get('config')).includes(keyA), 'the key is not in settings');
  });

  it('Select Model switches the model behind `default` for the next request and saves it', async () => {
    const gw = await api();
    up.enqueue(chatText('one'), chatText('two'));
    await responses(token(gw.status()), 'default');
    assert.equal(up.requests.at(-1)!.body.model, 'alpha-model');
    assert.equal(await vscode.commands.executeCommand('codexGateway.selectModel', 'beta'), 'beta');
    assert.equal(gw.status().defaultAlias, 'beta');
    const r = await responses(token(gw.status()), 'default');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(up.requests.at(-1)!.body.model, 'beta-model');
    await waitFor('codexGateway.defaultModel to be saved', () => settings().get('defaultModel') === 'beta');
    // The Codex catalog lists `default` first, described as the selected model.
    const cat = (await (await fetch(`http://127.0.0.1:${PORT}/v1/codex/models`, { headers: { authorization: `Bearer ${token(gw.status())}` } })).json()) as { models: { slug: string; display_name: string }[] };
    assert.deepEqual(cat.models.map((m) => m.slug), ['default', 'alpha', 'beta']);
    assert.match(cat.models[0].display_name, /beta/);
  });

  it('invalid settings are reported with their paths and the last good config keeps serving', async () => {
    const gw = await api();
    const good = settings().get('config');
    await settings().update('config', { model_list: [{ model_name: 'broken', litellm_params: { model: '' } }] }, vscode.ConfigurationTarget.Global);
    const issues = await waitFor('config issues', () => (gw.status().configIssues.length > 0 ? gw.status().configIssues : undefined));
    assert.ok(issues.some((i) => i.startsWith('codexGateway.config.model_list[0].litellm_params.model')), issues.join('\n'));
    up.enqueue(chatText('still here'));
    const r = await responses(token(gw.status()), 'alpha');
    assert.equal(r.status, 200, `the last good config (and its keys) still serve: ${JSON.stringify(r.json)}`);
    await settings().update('config', good, vscode.ConfigurationTarget.Global);
    await waitFor('issues to clear', () => gw.status().configIssues.length === 0);
  });

  it('new terminals get CODEX_GATEWAY_URL', async () => {
    const out = join(scratch, 'env.txt');
    const term = vscode.window.createTerminal({ name: 'cgw-env', shellPath: '/bin/sh', shellArgs: ['-c', `printf %s "$CODEX_GATEWAY_URL|$OPENAI_API_KEY" > ${JSON.stringify(out)}`] });
    try {
      const text = await waitFor('the terminal to write its environment', () => (existsSync(out) ? readFileSync(out, 'utf8') : undefined));
      assert.equal(text, `http://127.0.0.1:${PORT}/v1|`, 'OPENAI_API_KEY is not exported by default');
    } finally {
      term.dispose();
    }
  });

  it('the real Codex CLI, run in a VS Code terminal, reaches the gateway through config.toml', async function () {
    this.timeout(150_000);
    const gw = await api();
    assert.equal(up.pending, 0, 'no scripted reply left over from earlier tests');
    const before = up.requests.length;
    up.setFallback(chatText('Hello from the mock provider through Codex Gateway.'));
    const out = join(scratch, 'codex.jsonl');
    const err = join(scratch, 'codex.err');
    const done = join(scratch, 'codex.done');
    const script = [
      `${JSON.stringify(process.env.CGW_TEST_CODEX_BIN!)} exec --json --skip-git-repo-check --strict-config --ephemeral`,
      `--dangerously-bypass-approvals-and-sandbox -C ${JSON.stringify(WORKSPACE)} "Say hello" > ${JSON.stringify(out)} 2> ${JSON.stringify(err)} < /dev/null;`,
      `echo $? > ${JSON.stringify(done)}`,
    ].join(' ');
    const term = vscode.window.createTerminal({ name: 'codex', shellPath: '/bin/sh', shellArgs: ['-c', script], cwd: WORKSPACE });
    try {
      const code = await waitFor('codex exec to finish', () => (existsSync(done) ? readFileSync(done, 'utf8').trim() : undefined), 120_000);
      const stdout = readFileSync(out, 'utf8');
      const detail = `exit ${code}\n--- stdout ---\n${stdout.slice(-3000)}\n--- stderr ---\n${readFileSync(err, 'utf8').slice(-3000)}`;
      assert.equal(code, '0', detail);
      const chats = up.requests.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions'));
      assert.ok(chats.length >= 1, `the provider saw Codex's request\n${detail}`);
      assert.equal(chats[0].body.model, 'beta-model', "Codex asked for `default`, which is the model selected in VS Code");
      assert.ok(stdout.includes('Hello from the mock provider through Codex Gateway.'), detail);
      assert.equal(gw.status().phase, 'running');
    } finally {
      up.setFallback(chatText('fallback'));
      term.dispose();
    }
  });

  it('Rotate Gateway Token: the old token stops working, the new one works at once', async () => {
    const gw = await api();
    const old = token(gw.status());
    await vscode.commands.executeCommand('codexGateway.rotateToken');
    const fresh = token(gw.status());
    assert.notEqual(fresh, old);
    const headers = (t: string) => ({ authorization: `Bearer ${t}` });
    assert.equal((await fetch(`http://127.0.0.1:${PORT}/v1/models`, { headers: headers(old) })).status, 401);
    assert.equal((await fetch(`http://127.0.0.1:${PORT}/v1/models`, { headers: headers(fresh) })).status, 200);
  });

  it("while the gateway runs, config.toml's auth command prints the token; once it is gone, the command shows the notice and frees the port, and the gateway takes its port back", async function () {
    this.timeout(90_000);
    const gw = await api();
    // An earlier test's settings change may still be restarting the gateway: start once it serves on PORT.
    await waitFor('the gateway to serve on its port', async () => gw.status().port === PORT && gw.status().phase === 'running' && !(await refused(PORT)));
    const cfgPath = join(CODEX_HOME, 'config.toml');
    const auth = authCommandOf(await readFile(cfgPath, 'utf8'));
    const up1 = await runAuth(auth);
    assert.equal(up1.code, 0, up1.stderr);
    assert.equal(up1.stdout, `${token(gw.status())}\n`);
    assert.equal(up1.stderr, '');
    report(`      (auth command with the gateway up: ${up1.ms} ms; extension host executable ${process.execPath}, Electron ${process.versions.electron ?? 'no'})`);

    // The gateway leaves PORT (as when VS Code closes or the extension is disabled: nothing listens there).
    const other = await freePort();
    await settings().update('port', other, vscode.ConfigurationTarget.Global);
    await waitFor('the gateway to run on the other port', () => gw.status().port === other && gw.status().phase === 'running');
    await waitFor('config.toml to follow the port', async () => (await readFile(cfgPath, 'utf8')).includes(`"--port", "${other}"`));
    assert.ok(await refused(PORT), `nothing listens on ${PORT} any more`);

    // The auth command written for PORT: exit 1, the explanation on stderr, no token, and a notice on PORT.
    const down = await runAuth(auth);
    assert.equal(down.code, 1, down.stderr);
    assert.equal(down.stdout, '');
    assert.ok(down.stderr.includes(`Codex Gateway is not running: nothing listens on 127.0.0.1:${PORT}`), down.stderr);
    assert.match(down.stderr, /Restore Codex Config/);
    report(`      (auth command with the gateway down: ${down.ms} ms)`);
    const res = await fetch(`http://127.0.0.1:${PORT}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', input: 'hi', stream: true }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-codex-gateway-notice'), 'gateway-not-running');
    const event = JSON.parse(/^data: (.*)$/m.exec(await res.text())![1]) as { type: string; response: { error: { code: string; message: string } } };
    assert.equal(event.type, 'response.failed');
    assert.equal(event.response.error.code, 'invalid_prompt');
    assert.match(event.response.error.message, /^Codex Gateway is not running/);
    await waitFor('the notice to free the port', () => refused(PORT), 10_000);

    // Codex runs the command again (a new notice holds PORT); the gateway comes back to PORT and asks the notice
    // to quit at once (its probes would otherwise keep the notice alive up to its 30 s limit).
    const again = await runAuth(auth);
    assert.equal(again.code, 1, again.stderr);
    assert.equal(await refused(PORT), false, 'the notice listens on PORT');
    await settings().update('port', PORT, vscode.ConfigurationTarget.Global);
    await waitFor('the gateway to take PORT back', () => gw.status().port === PORT && gw.status().phase === 'running', 15_000);
    const models = await fetch(`http://127.0.0.1:${PORT}/v1/models`, { headers: { authorization: `Bearer ${token(gw.status())}` } });
    assert.equal(models.status, 200);
    assert.equal(models.headers.get('x-codex-gateway-notice'), null);
    const up2 = await runAuth(authCommandOf(await readFile(cfgPath, 'utf8')));
    assert.equal(up2.code, 0, up2.stderr);
    assert.equal(up2.stdout, `${token(gw.status())}\n`);
  });

  it('exports settings to LiteLLM YAML and imports a config.yaml, moving its literal key to secret storage', async () => {
    const gw = await api();
    const exported = join(scratch, 'exported.yaml');
    assert.equal(await vscode.commands.executeCommand('codexGateway.exportConfig', exported), exported);
    const yaml = readFileSync(exported, 'utf8');
    assert.match(yaml, /model_name: alpha/);
    assert.match(yaml, /api_key: os\.environ\/CGW_ALPHA_KEY/);
    assert.ok(!yaml.includes(keyA), 'no key in the export');
    assert.match(yaml, new RegExp(`port: ${PORT}`));

    const literal = fake('imported');
    const file = join(scratch, 'config.yaml');
    await writeFile(
      file,
      ['model_list:', '  - model_name: imported', '    litellm_params:', '      model: groq/llama-3.3-70b', `      api_base: ${up.baseUrl}`, `      api_key: ${literal}`, ''].join('\n'),
    );
    assert.equal(await vscode.commands.executeCommand('codexGateway.importConfig', file), true);
    await waitFor('the imported config', () => gw.status().aliases.map((a) => a.alias).join() === 'imported');
    const cfg = JSON.stringify(settings().get('config'));
    assert.ok(cfg.includes('os.environ/GROQ_API_KEY') && !cfg.includes(literal), cfg);
    await waitFor('the moved key to be set', () => gw.status().aliases[0].keys[0].state === 'set');
    up.enqueue(chatText('imported ok'));
    const r = await responses(token(gw.status()), 'imported');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(up.requests.at(-1)!.headers.authorization, `Bearer ${literal}`);
    assert.equal(await vscode.commands.executeCommand('codexGateway.clearProviderKey', 'GROQ_API_KEY'), 'GROQ_API_KEY');
    await waitFor('the cleared key to be missing', () => gw.status().aliases[0].keys[0].state === 'missing');
  });

  it('Open Settings opens the settings panel (a webview tab)', async () => {
    await vscode.commands.executeCommand('codexGateway.openSettings');
    const tab = await waitFor('the settings panel tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.label === 'Codex Gateway Settings'),
    );
    assert.match((tab.input as vscode.TabInputWebview).viewType, /codexGateway\.settings$/);
    await vscode.window.tabGroups.close(tab);
  });

  it("Restore Codex Config puts the user's config.toml back and stops writing it", async () => {
    await vscode.commands.executeCommand('codexGateway.restoreCodexConfig');
    assert.equal(await readFile(join(CODEX_HOME, 'config.toml'), 'utf8'), process.env.CGW_TEST_USER_CONFIG);
    await waitFor('codexConfig to be off', () => settings().get('codexConfig') === 'off');
    // A later settings change does not write config.toml again.
    await settings().update('port', PORT, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('codexGateway.selectModel', 'imported');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await readFile(join(CODEX_HOME, 'config.toml'), 'utf8'), process.env.CGW_TEST_USER_CONFIG);
  });
});
