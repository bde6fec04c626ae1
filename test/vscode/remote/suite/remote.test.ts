/**
 * Runs INSIDE the VS Code extension host (code-server's remote extension host, the one devcontainers and
 * Remote-SSH use) with the Codex Gateway extension installed from its .vsix and a stub Dev Containers extension
 * (`ms-vscode-remote.remote-containers`, manifest only: it declares `dev.containers.defaultExtensions` and, standing
 * in for Remote-SSH too, `remote.SSH.defaultExtensions`). Driven by test/vscode/remote/remote.test.ts, which
 * passes CGW_TEST_PORT (the gateway port, also in user settings), CGW_TEST_USER_DEV_EXTENSIONS (JSON: the user's own
 * `dev.containers.defaultExtensions`, also in user settings), CGW_TEST_GO_FILE (a file the outer test creates once it
 * has checked settings.json after the offer), CGW_TEST_SCRATCH (a temp folder) and LITELLM_MASTER_KEY (the master
 * key of the user's environment, as in LiteLLM's guides).
 *
 * Issue 10: (1) the one-time offer, accepted in the UI by the outer test, lists the extension in both settings
 * after the user's entries, and running "Install in Every Dev Container and SSH Host" again adds no second copy;
 * (2) a config with `general_settings.master_key`, in settings or imported from a LiteLLM config.yaml (literal
 * or `os.environ/LITELLM_MASTER_KEY`), wires Codex with no extra step: config.toml points at the gateway, its
 * auth command prints the gateway token, and a request with that token goes through to the (mock) provider.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CodexGatewayApi } from '../../../../src/extension/extension';
import { chatText, MockUpstream } from '../../../helpers/mock-upstream';
import { waitUntil } from '../../../helpers/wait';
import { codexGatewayApi as api, EXTENSION_ID } from '../../host-api';

// smol-toml's types are ESM-only; this CommonJS bundle loads its CJS build (as src/gateway/codex/toml-splice.ts does).
const toml = require('smol-toml') as typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });

const PORT = Number(process.env.CGW_TEST_PORT);
const USER_DEV_EXTENSIONS = JSON.parse(process.env.CGW_TEST_USER_DEV_EXTENSIONS ?? '[]') as string[];
const GO_FILE = process.env.CGW_TEST_GO_FILE!;
const SCRATCH = process.env.CGW_TEST_SCRATCH!;
const MASTER_KEY = process.env.LITELLM_MASTER_KEY!;

/** The user (global) value of a setting. */
function userValue(section: string, key: string): unknown {
  return vscode.workspace.getConfiguration(section).inspect<unknown>(key)?.globalValue;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The gateway token file's content, as Codex's auth command prints it. */
function tokenOf(gw: CodexGatewayApi): string {
  return readFileSync(gw.status().tokenFile, 'utf8').trim();
}

/** Codex's provider table in config.toml, and the file's text. */
function codexProvider(gw: CodexGatewayApi): { text: string; modelProvider: unknown; model: unknown; provider: { base_url?: string; auth?: { command: string; args: string[] } } } {
  const text = readFileSync(join(gw.status().codexHome, 'config.toml'), 'utf8');
  const doc = toml.parse(text) as { model_provider?: unknown; model?: unknown; model_providers?: Record<string, { base_url?: string; auth?: { command: string; args: string[] } }> };
  return { text, modelProvider: doc.model_provider, model: doc.model, provider: doc.model_providers?.['codex-gateway'] ?? {} };
}

async function responses(bearer: string, model: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${PORT}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: 'hello', stream: false }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Checks the Codex wiring as Codex uses it: config.toml names our provider at this port, its auth command (run
 * as Codex runs it) prints the gateway token, the master key is nowhere in the file, and a `default` request
 * with the printed token reaches the provider as `upstreamModel`.
 */
async function assertCodexWired(gw: CodexGatewayApi, up: MockUpstream, upstreamModel: string): Promise<void> {
  const c = codexProvider(gw);
  assert.equal(c.modelProvider, 'codex-gateway', c.text);
  assert.equal(c.model, 'default', c.text);
  assert.equal(c.provider.base_url, `http://127.0.0.1:${PORT}/v1`, c.text);
  assert.ok(c.provider.auth, `no auth command in config.toml:\n${c.text}`);
  const printed = execFileSync(c.provider.auth.command, c.provider.auth.args, { encoding: 'utf8', timeout: 10_000 }).trim();
  assert.equal(printed, tokenOf(gw), "the auth command prints the gateway token");
  assert.ok(!c.text.includes(MASTER_KEY), 'the master key is in config.toml');
  const before = up.requests.length;
  up.enqueue(chatText(`hello from ${upstreamModel}`));
  const ok = await responses(printed, 'default');
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.text, new RegExp(`hello from ${upstreamModel}`));
  const seen = up.requests.slice(before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].body.model, upstreamModel);
}

describe('Codex Gateway in every dev container and SSH host', () => {
  let gw: CodexGatewayApi;

  before(async () => {
    assert.ok(PORT > 0 && GO_FILE && SCRATCH && MASTER_KEY, 'the outer test passes CGW_TEST_PORT, CGW_TEST_GO_FILE, CGW_TEST_SCRATCH and LITELLM_MASTER_KEY');
    gw = await api();
  });

  it('the offer, accepted in the UI, lists the extension in dev.containers.defaultExtensions (after the user entry) and remote.SSH.defaultExtensions', async () => {
    assert.ok(vscode.extensions.getExtension('ms-vscode-remote.remote-containers'), 'the stub Dev Containers extension is visible');
    await waitUntil(
      'the offer to be accepted (the outer test clicks it)',
      () => {
        const dev = userValue('dev.containers', 'defaultExtensions');
        const ssh = userValue('remote.SSH', 'defaultExtensions');
        return (same(dev, [...USER_DEV_EXTENSIONS, EXTENSION_ID]) && same(ssh, [EXTENSION_ID])) || `dev ${JSON.stringify(dev)}, ssh ${JSON.stringify(ssh)}`;
      },
      90_000,
    );
  });

  it('"Install in Every Dev Container and SSH Host" again finds both settings listing it and writes nothing', async () => {
    const outcomes = (await vscode.commands.executeCommand('codexGateway.installInRemotes')) as { setting: { id: string }; result: string }[];
    assert.deepEqual(
      outcomes.map((o) => `${o.setting.id} ${o.result}`),
      ['dev.containers.defaultExtensions present', 'remote.SSH.defaultExtensions present'],
    );
    assert.deepEqual(userValue('dev.containers', 'defaultExtensions'), [...USER_DEV_EXTENSIONS, EXTENSION_ID]);
    assert.deepEqual(userValue('remote.SSH', 'defaultExtensions'), [EXTENSION_ID]);
  });

  describe('a master key in the config wires Codex with no extra step', () => {
    let up: MockUpstream;

    before(async () => {
      // The outer test has compared settings.json around the offer; settings may change from here on.
      await waitUntil('the outer test to finish its settings.json checks', () => existsSync(GO_FILE) || `no ${GO_FILE}`, 90_000);
      up = await MockUpstream.start({ name: 'provider' });
    });
    after(async () => {
      await up?.close();
    });

    it('general_settings.master_key (literal) in codexGateway.config: config.toml, token file and a request with that token work', async () => {
      await vscode.workspace.getConfiguration('codexGateway').update(
        'config',
        {
          model_list: [{ model_name: 'mk', litellm_params: { model: 'openai_compatible/mk-model', api_base: up.baseUrl } }],
          general_settings: { master_key: MASTER_KEY },
          router_settings: { num_retries: 0 },
        },
        vscode.ConfigurationTarget.Global,
      );
      await waitUntil('the config with a master key to serve', () => (gw.status().aliases.map((a) => a.alias).join() === 'mk' && gw.status().defaultAlias === 'mk') || JSON.stringify(gw.status().aliases));
      assert.deepEqual(gw.status().configIssues, []);
      assert.equal(gw.status().phase, 'running');
      await assertCodexWired(gw, up, 'mk-model');
      // The gateway's token is the one Codex sends; the master key itself is not a gateway token in VS Code.
      assert.notEqual(tokenOf(gw), MASTER_KEY);
      const withMasterKey = await responses(MASTER_KEY, 'default');
      assert.equal(withMasterKey.status, 401, withMasterKey.text);
      assert.ok(!withMasterKey.text.includes(MASTER_KEY), 'the 401 echoes the key');
    });

    it('an imported LiteLLM config.yaml with master_key: os.environ/LITELLM_MASTER_KEY wires Codex too', async () => {
      const file = join(SCRATCH, 'litellm-env-master-key.yaml');
      await writeFile(
        file,
        [
          '# As in LiteLLM\'s proxy guides: the master key comes from the environment.',
          'model_list:',
          '  - model_name: imported',
          '    litellm_params:',
          '      model: openai_compatible/imported-model',
          `      api_base: ${up.baseUrl}`,
          'general_settings:',
          '  master_key: os.environ/LITELLM_MASTER_KEY',
          'router_settings:',
          '  num_retries: 0',
          '',
        ].join('\n'),
      );
      assert.equal(await vscode.commands.executeCommand('codexGateway.importConfig', file), true);
      await waitUntil('the imported config to serve', () => gw.status().aliases.map((a) => a.alias).join() === 'imported' || JSON.stringify(gw.status().aliases));
      assert.deepEqual(gw.status().configIssues, []);
      await assertCodexWired(gw, up, 'imported-model');
    });

    it('an imported config.yaml with a literal master key: the key stays out of settings, Codex still works', async () => {
      const file = join(SCRATCH, 'litellm-literal-master-key.yaml');
      await writeFile(
        file,
        ['model_list:', '  - model_name: literal', '    litellm_params:', '      model: openai_compatible/literal-model', `      api_base: ${up.baseUrl}`, 'general_settings:', `  master_key: ${MASTER_KEY}`, ''].join('\n'),
      );
      assert.equal(await vscode.commands.executeCommand('codexGateway.importConfig', file), true);
      await waitUntil('the imported config to serve', () => gw.status().aliases.map((a) => a.alias).join() === 'literal' || JSON.stringify(gw.status().aliases));
      const inSettings = JSON.stringify(vscode.workspace.getConfiguration('codexGateway').get('config'));
      assert.ok(!inSettings.includes(MASTER_KEY), `the literal master key was written to settings: ${inSettings}`);
      await assertCodexWired(gw, up, 'literal-model');
    });
  });
});
