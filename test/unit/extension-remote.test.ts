/**
 * Installing the extension in every dev container and SSH host (src/extension/remote-extensions.ts): the merge
 * into `dev.containers.defaultExtensions` / `remote.SSH.defaultExtensions`, when the one-time offer is made, and
 * the message after an install. The VS Code side (the real settings.json write) is test/vscode/remote/.
 */
import assert from 'node:assert/strict';
import { DEFAULT_EXTENSIONS_SETTINGS, EXTENSION_ID, installSummary, listsExtension, shouldOfferRemoteInstall, withExtension, type RemoteOfferState, type SettingOutcome } from '../../src/extension/remote-extensions';

describe('install in every dev container and SSH host', () => {
  it('names the two user settings and the extensions that contribute them', () => {
    assert.deepEqual(DEFAULT_EXTENSIONS_SETTINGS.map((s) => `${s.section}.${s.key}`), ['dev.containers.defaultExtensions', 'remote.SSH.defaultExtensions']);
    assert.deepEqual(DEFAULT_EXTENSIONS_SETTINGS.map((s) => s.id), ['dev.containers.defaultExtensions', 'remote.SSH.defaultExtensions']);
    assert.deepEqual(DEFAULT_EXTENSIONS_SETTINGS.map((s) => s.contributedBy), ['ms-vscode-remote.remote-containers', 'ms-vscode-remote.remote-ssh']);
    assert.equal(EXTENSION_ID, 'codex-gateway.codex-gateway');
  });

  it('merges: appends after the user entries, never twice (any case, pinned versions), leaves a non-list alone', () => {
    assert.deepEqual(withExtension(undefined), { kind: 'add', next: [EXTENSION_ID] });
    assert.deepEqual(withExtension(null), { kind: 'add', next: [EXTENSION_ID] });
    assert.deepEqual(withExtension([]), { kind: 'add', next: [EXTENSION_ID] });
    const user = ['ms-python.python', 42, 'eamodio.gitlens'];
    const r = withExtension(user);
    assert.deepEqual(r, { kind: 'add', next: ['ms-python.python', 42, 'eamodio.gitlens', EXTENSION_ID] });
    assert.deepEqual(user, ['ms-python.python', 42, 'eamodio.gitlens'], 'the input is not changed');
    for (const present of [[EXTENSION_ID], ['Codex-Gateway.Codex-Gateway'], ['a.b', `${EXTENSION_ID}@1.2.3`], [`${EXTENSION_ID}@prerelease`], [` ${EXTENSION_ID} `]]) {
      assert.deepEqual(withExtension(present), { kind: 'present' }, JSON.stringify(present));
      assert.equal(listsExtension(present), true);
    }
    // A longer id that starts with ours is another extension.
    assert.deepEqual(withExtension(['codex-gateway.codex-gateway-extra']), { kind: 'add', next: ['codex-gateway.codex-gateway-extra', EXTENSION_ID] });
    assert.deepEqual(withExtension('codex-gateway.codex-gateway'), { kind: 'invalid' });
    assert.deepEqual(withExtension({ a: 1 }), { kind: 'invalid' });
    assert.equal(listsExtension(undefined), false);
    // Merging the result again changes nothing (idempotent).
    const again = withExtension((r as { next: unknown[] }).next);
    assert.deepEqual(again, { kind: 'present' });
  });

  it('offers once, only to users of containers or SSH hosts, and only while a setting lacks the extension', () => {
    const none: RemoteOfferState = { answer: undefined, remoteName: undefined, installedExtensions: [], values: {} };
    assert.equal(shouldOfferRemoteInstall(none), false, 'a local window without Dev Containers or Remote-SSH');
    assert.equal(shouldOfferRemoteInstall({ ...none, installedExtensions: ['ms-vscode-remote.remote-containers'] }), true);
    assert.equal(shouldOfferRemoteInstall({ ...none, installedExtensions: ['ms-vscode-remote.remote-ssh'] }), true);
    for (const remoteName of ['dev-container', 'attached-container', 'ssh-remote']) assert.equal(shouldOfferRemoteInstall({ ...none, remoteName }), true, remoteName);
    for (const remoteName of ['wsl', 'codespaces', '127.0.0.1:8080']) assert.equal(shouldOfferRemoteInstall({ ...none, remoteName }), false, remoteName);
    const inContainer = { ...none, remoteName: 'dev-container' };
    assert.equal(shouldOfferRemoteInstall({ ...inContainer, answer: 'declined' }), false, 'declined: never again');
    assert.equal(shouldOfferRemoteInstall({ ...inContainer, answer: 'installed' }), false);
    const both = { 'dev.containers.defaultExtensions': ['x.y', EXTENSION_ID], 'remote.SSH.defaultExtensions': [EXTENSION_ID] };
    assert.equal(shouldOfferRemoteInstall({ ...inContainer, values: both }), false, 'already everywhere');
    assert.equal(shouldOfferRemoteInstall({ ...inContainer, values: { 'dev.containers.defaultExtensions': [EXTENSION_ID] } }), true, 'SSH still lacks it');
  });

  it('says what was written, and exactly what to do for a setting that could not be', () => {
    const [dev, ssh] = DEFAULT_EXTENSIONS_SETTINGS;
    const o = (setting: typeof dev, result: SettingOutcome['result'], error?: string): SettingOutcome => ({ setting, result, ...(error ? { error } : {}) });
    const both = installSummary([o(dev, 'added'), o(ssh, 'added')]);
    assert.equal(both.ok, true);
    assert.match(both.text, /^codex-gateway\.codex-gateway is now installed in every dev container and every SSH host \(added to dev\.containers\.defaultExtensions and remote\.SSH\.defaultExtensions in your user settings\)/);
    assert.match(both.text, /rebuild a running container/);
    const already = installSummary([o(dev, 'present'), o(ssh, 'present')]);
    assert.equal(already.ok, true);
    assert.match(already.text, /your user settings already list it/);
    const noSsh = installSummary([o(dev, 'added'), o(ssh, 'unavailable')]);
    assert.equal(noSsh.ok, true);
    assert.match(noSsh.text, /remote\.SSH\.defaultExtensions was not written: install the Remote - SSH extension \(ms-vscode-remote\.remote-ssh\) first, then run "Codex Gateway: Install in Every Dev Container and SSH Host" again\./);
    const broken = installSummary([o(dev, 'invalid'), o(ssh, 'failed', 'disk full.')]);
    assert.equal(broken.ok, false);
    assert.match(broken.text, /dev\.containers\.defaultExtensions in your user settings is not a list/);
    assert.match(broken.text, /remote\.SSH\.defaultExtensions could not be written: disk full\./);
    assert.equal(installSummary([o(dev, 'unavailable'), o(ssh, 'unavailable')]).ok, false, 'nothing written is not a success');
  });
});
