/**
 * The VS Code manifest parts of package.json, checked against the code: the config setting's schema equals
 * the engine's schema (scripts/gen-manifest-schema.mjs regenerates it), every command the extension
 * registers is contributed (and the other way round), every setting the extension reads exists with the
 * same default, and the files the manifest names exist (icon 128x128 PNG, walkthrough media).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSettingSchema } from '../../src/extension/manifest';
import { DEFAULT_CONFIG, DEFAULT_PORT, readSettings } from '../../src/extension/settings';

const ROOT = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const props: Record<string, any> = pkg.contributes.configuration.properties;
// The command ids registered in src/extension/commands.ts (read from source: that module imports vscode).
const commandsSource = readFileSync(join(ROOT, 'src/extension/commands.ts'), 'utf8');
// Services that register their own command export its id as `..._COMMAND = 'codexGateway.x'`.
const serviceSource = readFileSync(join(ROOT, 'src/extension/remote-offer.ts'), 'utf8');
const registered = [
  ...[...commandsSource.matchAll(/^\s+\w+: '(codexGateway\.\w+)',$/gm)].map((m) => m[1]),
  ...[...serviceSource.matchAll(/^export const \w+_COMMAND = '(codexGateway\.\w+)';$/gm)].map((m) => m[1]),
].sort();

describe('extension manifest (package.json)', () => {
  it('codexGateway.config has exactly the engine schema (run scripts/gen-manifest-schema.mjs when this fails)', () => {
    assert.deepEqual(props['codexGateway.config'], configSettingSchema(props['codexGateway.config']));
    assert.deepEqual(props['codexGateway.config'].default, DEFAULT_CONFIG);
    assert.equal(props['codexGateway.config'].$schema, undefined);
  });

  it('every setting read by the extension is contributed with the same default', () => {
    const seen: Record<string, unknown> = {};
    readSettings(<T>(key: string, def: T): T => {
      seen[key] = def;
      return def;
    });
    assert.deepEqual(Object.keys(props).sort(), Object.keys(seen).map((k) => `codexGateway.${k}`).sort());
    for (const [k, def] of Object.entries(seen)) assert.deepEqual(props[`codexGateway.${k}`].default, def, k);
    assert.equal(props['codexGateway.port'].default, DEFAULT_PORT);
    for (const [k, p] of Object.entries(props)) assert.ok(p.markdownDescription || p.description, `${k} has a description`);
    // Settings that decide where keys go cannot come from a workspace (a cloned repo must not redirect keys).
    for (const k of ['codexGateway.config', 'codexGateway.port', 'codexGateway.defaultModel', 'codexGateway.codexConfig']) assert.equal(props[k].scope, 'application', k);
  });

  it('every registered command is contributed under the "Codex Gateway" category, and nothing else', () => {
    assert.ok(registered.length >= 10, `found ${registered.length} command ids in commands.ts`);
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, registered);
    for (const c of pkg.contributes.commands) {
      assert.equal(c.category, 'Codex Gateway');
      assert.ok(c.title.length > 3);
    }
  });

  it('runs in the workspace extension host on startup, on VS Code 1.100+', () => {
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    // On startup; and to restore the settings panel after a reload.
    assert.deepEqual(pkg.activationEvents, ['onStartupFinished', 'onWebviewPanel:codexGateway.settings']);
    assert.equal(pkg.engines.vscode, '^1.100.0');
    assert.ok(pkg.categories.includes('AI'));
    assert.equal(pkg.main, './dist/extension.js');
    assert.equal(pkg.scripts['vscode:uninstall'], 'node ./dist/uninstall.js');
    assert.match(pkg.scripts.package, /vsce package --no-dependencies/);
  });

  it('the icon is a 128x128 PNG and every walkthrough step has its media', () => {
    const png = readFileSync(join(ROOT, pkg.icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 128);
    assert.equal(png.readUInt32BE(20), 128);
    const steps = pkg.contributes.walkthroughs[0].steps;
    assert.ok(steps.length >= 3);
    for (const s of steps) {
      assert.ok(existsSync(join(ROOT, s.media.markdown)), s.media.markdown);
      for (const m of s.description.matchAll(/\(command:([\w.]+)\)/g)) {
        assert.ok(registered.includes(m[1]) || m[1].startsWith('workbench.'), `walkthrough links a known command: ${m[1]}`);
      }
    }
  });

  it('.vscodeignore ships only the bundles, the icon, the walkthrough media and the package documents', () => {
    const lines = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    assert.equal(lines[0], '**', 'everything is excluded first');
    for (const f of ['extension.js', 'gateway-worker.js', 'uninstall.js', 'webview.js', 'webview.css', 'codicon.ttf']) assert.ok(lines.includes(`!dist/${f}`), f);
    assert.ok(lines.includes('!media/icon.png') && lines.includes('!media/walkthrough/**'));
  });
});
