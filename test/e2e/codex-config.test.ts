/**
 * The Codex wiring pieces: the model catalog (src/gateway/codex/catalog.ts) and the config.toml block
 * (src/gateway/codex/config-block.ts), checked as data and then with the REAL Codex CLI against the real
 * gateway process: `codex debug models` renders the catalog Codex actually decoded from the gateway.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { buildCodexCatalog, codexModelsResponse, isCodexModelsRequest, DEFAULT_BASE_INSTRUCTIONS } from '../../src/gateway/codex/catalog';
import { codexConfigBlock, tokenCommand, tomlString, RESERVED_CODEX_PROVIDER_IDS } from '../../src/gateway/codex/config-block';
import { parseConfigText, resolveConfig } from '../../src/gateway/config';
import { CODEX_BIN, REPO_ROOT, makeTempDirs, startGatewayProcess, testCodexConfig, testToken, type TempDirs } from '../helpers/codex';

const YAML = `
model_list:
  - model_name: ds-reasoner
    litellm_params: { model: deepseek/deepseek-reasoner, api_key: os.environ/DEEPSEEK_API_KEY }
    model_info: { max_input_tokens: 64000, supports_reasoning: true, display_name: "DeepSeek R", description: "Thinks first" }
  - model_name: qwen
    litellm_params: { model: dashscope/qwen-plus, api_key: os.environ/DASHSCOPE_API_KEY }
    model_info: { supports_vision: true, base_instructions: "Custom prompt for qwen." }
  - model_name: qwen
    litellm_params: { model: openrouter/qwen/qwen-plus, api_key: os.environ/OPENROUTER_API_KEY }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_key: os.environ/OPENAI_API_KEY }
`;

describe('Codex model catalog (buildCodexCatalog)', () => {
  const config = resolveConfig(parseConfigText(YAML, 'test.yaml'));
  const catalog = buildCodexCatalog(config);

  it('has one entry per concrete alias, in model_list order, without wildcard routes', () => {
    assert.deepEqual(catalog.models.map((m) => m.slug), ['ds-reasoner', 'qwen']);
    assert.deepEqual(catalog.models.map((m) => m.priority), [0, 1]);
  });

  it('maps model_info: reasoning levels, context window, modalities, names, base instructions', () => {
    const [ds, qwen] = catalog.models;
    assert.deepEqual(ds.supported_reasoning_levels.map((l) => l.effort), ['low', 'medium', 'high']);
    assert.equal(ds.default_reasoning_level, 'medium');
    assert.equal(ds.context_window, 64000);
    assert.equal(ds.display_name, 'DeepSeek R');
    assert.equal(ds.description, 'Thinks first');
    assert.deepEqual(ds.input_modalities, ['text']);
    assert.equal(ds.base_instructions, DEFAULT_BASE_INSTRUCTIONS);
    assert.deepEqual(qwen.supported_reasoning_levels, []);
    assert.equal(qwen.default_reasoning_level, undefined);
    assert.equal(qwen.context_window, undefined, 'no invented context window');
    assert.deepEqual(qwen.input_modalities, ['text', 'image']);
    assert.equal(qwen.base_instructions, 'Custom prompt for qwen.');
    assert.match(qwen.description, /dashscope\/qwen-plus, openrouter\/qwen\/qwen-plus/);
  });

  it('sets every field Codex 0.169 requires, and apply_patch as freeform', () => {
    for (const m of catalog.models) {
      for (const k of ['slug', 'display_name', 'supported_reasoning_levels', 'shell_type', 'visibility', 'supported_in_api', 'priority', 'support_verbosity', 'truncation_policy', 'experimental_supported_tools', 'base_instructions'] as const) {
        assert.notEqual(m[k], undefined, `${m.slug}.${k}`);
      }
      assert.equal(m.apply_patch_tool_type, 'freeform');
    }
  });

  it('builds a combined /models body that OpenAI clients and Codex both read', () => {
    const list = { object: 'list' as const, data: [{ id: 'ds-reasoner', object: 'model' as const, created: 1, owned_by: 'x' }] };
    const body = codexModelsResponse(catalog, list);
    assert.equal(body.object, 'list');
    assert.equal(body.data, list.data);
    assert.equal(body.models, catalog.models);
    assert.equal(isCodexModelsRequest(new URLSearchParams('client_version=0.169.0')), true);
    assert.equal(isCodexModelsRequest({}), false);
  });
});

describe('Codex config block (codexConfigBlock)', () => {
  // smol-toml is an ES module; this test file is compiled as CommonJS, hence the dynamic import.
  let parseToml: (text: string) => unknown;
  before(async () => {
    parseToml = (await import('smol-toml')).parse;
  });

  it('is valid TOML with the provider table, auth command and top-level keys first', () => {
    const text = codexConfigBlock({ baseUrl: 'http://127.0.0.1:4000/v1/', model: 'ds', tokenFile: '/home/u/.codex-gateway/master_key', catalogUrl: 'http://127.0.0.1:4000/v1/codex/models', platform: 'linux' });
    const t = parseToml(text) as any;
    assert.equal(t.model_provider, 'codex-gateway');
    assert.equal(t.model, 'ds');
    const p = t.model_providers['codex-gateway'];
    assert.equal(p.name, 'Codex Gateway');
    assert.equal(p.base_url, 'http://127.0.0.1:4000/v1');
    assert.equal(p.wire_api, 'responses');
    assert.equal(p.model_catalog_url, 'http://127.0.0.1:4000/v1/codex/models');
    assert.deepEqual({ ...p.auth }, { command: 'cat', args: ['/home/u/.codex-gateway/master_key'] });
    assert.ok(text.indexOf('model_provider =') < text.search(/^\[/m), 'top-level keys precede every table');
    assert.ok(!('experimental_bearer_token' in p) && !('env_key' in p), 'no token in the file, no env dependency');
  });

  it('leaves model as a comment when absent and quotes odd provider ids', () => {
    const t = parseToml(codexConfigBlock({ baseUrl: 'http://127.0.0.1:1/v1', providerId: 'my gw', tokenFile: '/t' })) as any;
    assert.equal(t.model, undefined);
    assert.equal(t.model_provider, 'my gw');
    assert.equal(t.model_providers['my gw'].model_catalog_url, undefined);
  });

  it('rejects reserved provider ids and bad URLs with a message saying what to use', () => {
    for (const id of RESERVED_CODEX_PROVIDER_IDS) {
      assert.throws(() => codexConfigBlock({ baseUrl: 'http://127.0.0.1:1/v1', providerId: id, tokenFile: '/t' }), /reserves.*use another id/);
    }
    assert.throws(() => codexConfigBlock({ baseUrl: '127.0.0.1:4000', tokenFile: '/t' }), /not an http\(s\) URL/);
    assert.throws(() => codexConfigBlock({ baseUrl: 'http://127.0.0.1:1/v1', tokenFile: '' }), /tokenFile is empty/);
  });

  it('reads the token with cmd.exe type on Windows', () => {
    assert.deepEqual(tokenCommand('C:\\Users\\A B\\.codex-gateway\\master_key', 'win32'), { command: 'cmd.exe', args: ['/d', '/c', 'type', 'C:\\Users\\A B\\.codex-gateway\\master_key'] });
    const t = parseToml(codexConfigBlock({ baseUrl: 'http://127.0.0.1:1/v1', tokenFile: 'C:\\Users\\A B\\tok', platform: 'win32' })) as any;
    assert.deepEqual(t.model_providers['codex-gateway'].auth.args, ['/d', '/c', 'type', 'C:\\Users\\A B\\tok']);
  });

  it('round-trips any string through tomlString', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        assert.equal((parseToml(`k = ${tomlString(s)}`) as any).k, s);
      }),
      { numRuns: 300 },
    );
  });
});

/** Runs `codex debug models` with the isolated HOME and returns the catalog Codex ended up with. */
async function codexDebugModels(dirs: TempDirs, configToml: string): Promise<{ slugs: string[]; models: any[]; stderr: string }> {
  await writeFile(join(dirs.codexHome, 'config.toml'), configToml, { mode: 0o600 });
  const child = spawn(process.execPath, [CODEX_BIN, 'debug', 'models'], {
    cwd: dirs.workspace,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dirs.home, CODEX_HOME: dirs.codexHome, TMPDIR: dirs.root },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, 60_000);
  await new Promise((r) => child.once('close', r));
  clearTimeout(timer);
  const models = (JSON.parse(out) as { models: any[] }).models;
  return { slugs: models.map((m) => m.slug), models, stderr: err };
}

describe('Codex CLI reads the gateway catalog (real codex debug models -> gateway process)', function () {
  this.timeout(120_000);
  let dirs: TempDirs;
  let stop: () => Promise<void> = async () => {};
  let baseUrl = '';
  let tokenFile = '';

  before(async function () {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" before the e2e tests.');
    dirs = await makeTempDirs();
    const token = testToken('gateway');
    const gw = await startGatewayProcess({ dirs, configYaml: `${YAML}\ngeneral_settings:\n  master_key: ${token}\n` });
    stop = async () => {
      await gw.stop();
      await dirs.cleanup();
    };
    baseUrl = gw.baseUrl;
    tokenFile = join(dirs.home, 'gateway-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  });
  after(() => stop());

  const expectGatewayModels = (r: { slugs: string[]; models: any[]; stderr: string }) => {
    const ds = r.models.find((m) => m.slug === 'ds-reasoner');
    const qwen = r.models.find((m) => m.slug === 'qwen');
    assert.ok(ds && qwen, `Codex did not decode the gateway catalog (got ${r.slugs.join(', ')}); stderr:\n${r.stderr}`);
    assert.equal(ds.context_window, 64000);
    assert.deepEqual(ds.supported_reasoning_levels.map((l: any) => l.effort), ['low', 'medium', 'high']);
    assert.equal(qwen.apply_patch_tool_type, 'freeform');
    assert.ok(!/failed to (decode|refresh)/.test(r.stderr), r.stderr);
  };

  it('via model_catalog_url, authenticated by the auth command: exactly the gateway aliases', async () => {
    const cfg = testCodexConfig(codexConfigBlock({ baseUrl, model: 'ds-reasoner', tokenFile, catalogUrl: `${baseUrl}/codex/models` }));
    const r = await codexDebugModels(dirs, cfg);
    expectGatewayModels(r);
    // model_catalog_url replaces Codex's bundled OpenAI models, so the picker lists only gateway aliases,
    // led by the virtual alias `default` (the model selected in the gateway, here the first alias).
    assert.deepEqual(r.slugs, ['default', 'ds-reasoner', 'qwen']);
    assert.equal(r.models[0].display_name, 'Default (ds-reasoner)');
  });

  it('via GET {base_url}/models?client_version=… when no model_catalog_url is set (merged with bundled models)', async () => {
    const cfg = testCodexConfig(codexConfigBlock({ baseUrl, model: 'ds-reasoner', tokenFile }));
    const r = await codexDebugModels(dirs, cfg);
    expectGatewayModels(r);
    // Observed with Codex 0.169: this path adds the fetched models to the bundled ones.
    assert.ok(r.slugs.length > 2, `expected bundled models too, got ${r.slugs.join(', ')}`);
  });

  it('gets no gateway models when the token file is missing (the gateway refuses the catalog request)', async () => {
    const cfg = testCodexConfig(codexConfigBlock({ baseUrl, model: 'ds-reasoner', tokenFile: join(dirs.home, 'no-such-token'), catalogUrl: `${baseUrl}/codex/models` }));
    const r = await codexDebugModels(dirs, cfg);
    assert.ok(!r.slugs.includes('ds-reasoner'), 'without a token the gateway must not serve its catalog');
  });
});
