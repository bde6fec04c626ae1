/**
 * The ChatGPT sign-in is never broken by the gateway (issue 11, docs/chatgpt.md "Credentials and refresh").
 *
 * Against a mock token endpoint that enforces OpenAI's rules (single-use rotating refresh tokens; reuse →
 * 401 refresh_token_reused and the whole login invalidated):
 * - the mock really enforces them (two naive refreshers racing break the login: the hazard avoided);
 * - two gateway readers in separate processes race a simulated Codex that refreshes 8 times: no refresh
 *   token is ever reused, the readers only ever see tokens Codex wrote, and auth.json ends byte-for-byte as
 *   Codex last wrote it;
 * - the real Codex CLI 0.169 renews an expired sign-in (what the `expired` error asks the user to do) while
 *   two gateway readers poll: exactly one refresh, by Codex, and the readers switch to the new token.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ChatgptAuthError, ChatgptCredentials } from '../../src/gateway/chatgpt/credentials';
import { ChatgptAuthMock, CODEX_CLIENT_ID, fingerprint } from '../helpers/chatgpt-auth-mock';
import { makeTempDirs, REPO_ROOT, startCodexExec, testCodexConfig, type TempDirs } from '../helpers/codex';
import { codexAuthJson, simulatedCodexRefresh, writeAuthLikeCodex } from '../helpers/simulated-codex-auth';
import { waitFor } from '../helpers/wait';

const READER = join(REPO_ROOT, 'test', 'helpers', 'chatgpt-credentials-reader.ts');

/** sha256 of a file's bytes. */
async function hashOf(file: string): Promise<string> {
  return createHash('sha256').update(await fsp.readFile(file)).digest('hex');
}


/** A reader child (test/helpers/chatgpt-credentials-reader.ts) and its parsed output lines. */
interface Reader {
  child: ChildProcess;
  lines(): Array<{ ok?: boolean; fp?: string; code?: string; acct?: string; done?: boolean; reads?: number }>;
  stop(): Promise<void>;
}

function startReader(codexHome: string): Reader {
  const child = spawn(process.execPath, ['--import', 'tsx', READER, codexHome, '60000'], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: codexHome } });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    lines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l)),
    stop: async () => {
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      assert.equal(err.trim(), '', `reader stderr: ${err.slice(0, 500)}`);
    },
  };
}

describe('ChatGPT sign-in under concurrency (mock token endpoint, readers in separate processes, Codex)', function () {
  this.timeout(90_000);
  let mock: ChatgptAuthMock;
  let dirs: TempDirs;
  const readers: Reader[] = [];
  beforeEach(async () => {
    mock = await new ChatgptAuthMock().start();
    dirs = await makeTempDirs('cgw-chatgpt-');
  });
  afterEach(async () => {
    for (const r of readers.splice(0)) await r.stop().catch(() => undefined);
    await mock.stop();
    await dirs.cleanup();
  });

  it('the mock token endpoint enforces the real rules: JSON body, client id, grant type, single-use rotation, reuse kills the family', async () => {
    const t = mock.signIn();
    const post = (body: unknown, type = 'application/json') =>
      fetch(mock.tokenUrl, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    assert.equal((await post(`grant_type=refresh_token&client_id=${CODEX_CLIENT_ID}&refresh_token=${t.refresh_token}`, 'application/x-www-form-urlencoded')).status, 400);
    assert.equal((await post({ client_id: 'app_other', grant_type: 'refresh_token', refresh_token: t.refresh_token })).body.error.code, 'invalid_client');
    assert.equal((await post({ client_id: CODEX_CLIENT_ID, grant_type: 'password', refresh_token: t.refresh_token })).body.error.code, 'unsupported_grant_type');
    const ok = await post({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.equal(ok.status, 200);
    assert.notEqual(ok.body.refresh_token, t.refresh_token, 'the refresh token rotates');
    const reused = await post({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.deepEqual([reused.status, reused.body.error.code], [401, 'refresh_token_reused']);
    const successor = await post({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: ok.body.refresh_token });
    assert.deepEqual([successor.status, successor.body.error.code], [401, 'refresh_token_invalidated'], 'reuse invalidates the whole login');
    assert.equal(mock.family(1).invalidated, true);

    // The hazard the gateway avoids: two refreshers that read the same auth.json and both spend its token.
    const t2 = mock.signIn();
    const both = await Promise.all([1, 2].map(() => post({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: t2.refresh_token })));
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 401]);
    assert.ok(both.some((r) => r.body.error?.code === 'refresh_token_reused'));
    assert.equal(mock.family(2).invalidated, true, 'two racing refreshers broke the sign-in');
  });

  it('two gateway readers (separate processes) racing a simulated Codex that refreshes 8 times: no reuse, only Codex-written tokens, auth.json byte-identical to Codex’s last write', async () => {
    const expired = mock.signIn({ accountId: 'acct-race', accessExpSec: Math.floor(Date.now() / 1000) - 60 });
    await writeAuthLikeCodex(dirs.codexHome, codexAuthJson(expired));
    const authFile = join(dirs.codexHome, 'auth.json');
    readers.push(startReader(dirs.codexHome), startReader(dirs.codexHome));
    await waitFor('both readers to report the expired sign-in', () => readers.every((r) => r.lines().some((l) => l.code === 'expired')), 20_000, 20);

    const written = new Set<string>();
    let lastBytes = '';
    for (let i = 0; i < 8; i++) {
      assert.equal(await simulatedCodexRefresh(dirs.codexHome, mock.tokenUrl), 200);
      lastBytes = await fsp.readFile(authFile, 'utf8');
      written.add(fingerprint(JSON.parse(lastBytes).tokens.access_token));
      const fp = fingerprint(JSON.parse(lastBytes).tokens.access_token);
      await waitFor(`both readers to see refresh ${i + 1}`, () => readers.every((r) => r.lines().some((l) => l.fp === fp)), 20_000, 20);
    }
    for (const r of readers.splice(0)) {
      await r.stop();
      const lines = r.lines();
      const reads = lines.filter((l) => !l.done);
      assert.ok(reads.length > 8, 'the reader kept reading');
      for (const l of reads) {
        if (l.ok) {
          assert.ok(written.has(l.fp!), 'a reader saw a token Codex never wrote');
          assert.equal(l.acct, 'acct-race');
        } else assert.equal(l.code, 'expired', `unexpected reader error ${l.code}`);
      }
      assert.ok(lines.some((l) => l.done), 'the reader stopped cleanly');
    }
    assert.equal(mock.count('rotated'), 8, 'exactly the simulated Codex refreshes');
    assert.equal(mock.count('reused'), 0);
    assert.equal(mock.requests.length, 8, 'the readers never called the token endpoint');
    assert.equal(mock.family(1).invalidated, false, 'the sign-in still works');
    assert.equal(await fsp.readFile(authFile, 'utf8'), lastBytes, 'auth.json is byte-for-byte what Codex last wrote');
    assert.equal((await fsp.stat(authFile)).mode & 0o777, 0o600);
  });

  it('the real Codex CLI renews an expired sign-in (what the expired error asks); gateway readers switch to it; one refresh, no reuse', async () => {
    const expired = mock.signIn({ accountId: 'acct-codex', accessExpSec: Math.floor(Date.now() / 1000) - 60 });
    const authFile = join(dirs.codexHome, 'auth.json');
    await writeAuthLikeCodex(dirs.codexHome, codexAuthJson(expired));
    const before = await hashOf(authFile);

    const inProcess = new ChatgptCredentials({ codexHome: dirs.codexHome });
    await assert.rejects(inProcess.current(), (e: unknown) => e instanceof ChatgptAuthError && e.code === 'expired' && /Start Codex once/.test(e.userMessage));
    readers.push(startReader(dirs.codexHome), startReader(dirs.codexHome));
    await waitFor('both readers to report the expired sign-in', () => readers.every((r) => r.lines().some((l) => l.code === 'expired')), 20_000, 20);
    assert.equal(await hashOf(authFile), before, 'reading never wrote auth.json');
    assert.equal(mock.requests.length, 0, 'the gateway never refreshes');

    // The user "starts Codex once": Codex 0.169 refreshes proactively at start (JWT exp passed).
    const codex = await startCodexExec({
      dirs,
      configToml: testCodexConfig(`chatgpt_base_url = "${mock.url}/backend-api"`),
      prompt: 'hello',
      timeoutMs: 60_000,
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: mock.tokenUrl },
    });
    try {
      await waitFor('Codex to write the renewed sign-in', async () => (await hashOf(authFile)) !== before, 45_000, 20);
    } finally {
      codex.kill();
      await codex.done;
    }
    const renewed = JSON.parse(await fsp.readFile(authFile, 'utf8'));
    const fp = fingerprint(renewed.tokens.access_token);
    assert.equal(renewed.tokens.account_id, 'acct-codex');
    assert.equal(mock.requests.length, 1, 'exactly one refresh');
    assert.equal(mock.requests[0].outcome, 'rotated');
    assert.match(mock.requests[0].originator, /^codex_/, 'the refresh came from Codex');
    assert.equal(mock.requests[0].contentType, 'application/json');
    assert.equal(mock.family(1).invalidated, false);
    assert.equal(mock.family(1).currentFingerprint, fingerprint(renewed.tokens.refresh_token), 'auth.json holds the live refresh token');

    await waitFor('both readers to use the renewed token', () => readers.every((r) => r.lines().some((l) => l.fp === fp)), 20_000, 20);
    const now = await inProcess.current();
    assert.equal(fingerprint(now.accessToken), fp);
    assert.equal(now.accountId, 'acct-codex');
    const after = await hashOf(authFile);
    for (const r of readers.splice(0)) await r.stop();
    assert.equal(await hashOf(authFile), after, 'readers never rewrote Codex’s file');
    assert.equal(mock.requests.length, 1, 'still one refresh: the readers never refreshed');
  });
});
