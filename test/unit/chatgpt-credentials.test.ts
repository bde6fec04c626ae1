/**
 * ChatgptCredentials (src/gateway/chatgpt/credentials.ts): reads the user's Codex ChatGPT sign-in from
 * `$CODEX_HOME/auth.json`, never refreshes, never writes. Every test checks auth.json is byte-identical
 * (sha256), same inode, same mtime and same mode afterwards, and that no error message carries a token.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatgptAuthError, ChatgptCredentials, type ChatgptAuthErrorCode } from '../../src/gateway/chatgpt/credentials';
import { AUTH_CLAIM, fakeJwt, type MintedTokens } from '../helpers/chatgpt-auth-mock';
import { registerSecret } from '../helpers/leak-registry';
import { codexAuthJson, writeAuthInPlace, writeAuthLikeCodex } from '../helpers/simulated-codex-auth';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const nowSec = Math.floor(NOW / 1000);

/** Tokens of a sign-in whose access token expires at `expSec`. */
function tokens(expSec: number, accountId = 'acct-unit-1'): MintedTokens {
  const auth = { chatgpt_account_id: accountId, chatgpt_plan_type: 'plus' };
  const t: MintedTokens = {
    id_token: fakeJwt({ email: 'u@example.com', exp: expSec, [AUTH_CLAIM]: auth }),
    access_token: fakeJwt({ exp: expSec, [AUTH_CLAIM]: auth }),
    refresh_token: `rt_unit_${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`,
    account_id: accountId,
  };
  for (const v of Object.values(t)) if (v !== accountId) registerSecret(v, 'unit ChatGPT token');
  return t;
}

/** Fingerprint of a file: content hash, inode, mtime, mode. */
async function snap(file: string): Promise<string> {
  const [bytes, st] = await Promise.all([fsp.readFile(file), fsp.stat(file)]);
  return `${createHash('sha256').update(bytes).digest('hex')} ino=${st.ino} mtime=${st.mtimeMs} mode=${(st.mode & 0o777).toString(8)}`;
}

/** Asserts `p` rejects with a ChatgptAuthError of `code` whose message names none of `secrets`. */
async function rejectsWith(p: Promise<unknown>, code: ChatgptAuthErrorCode, secrets: string[], mentions: RegExp[] = []): Promise<ChatgptAuthError> {
  let err: unknown;
  await p.then(
    () => assert.fail(`expected a ${code} error`),
    (e) => (err = e),
  );
  assert.ok(err instanceof ChatgptAuthError, `not a ChatgptAuthError: ${String(err)}`);
  assert.equal(err.code, code, err.userMessage);
  assert.equal(err.message, err.userMessage);
  for (const s of secrets) assert.ok(!err.userMessage.includes(s), 'the message carries a token');
  for (const m of mentions) assert.match(err.userMessage, m);
  return err;
}

describe('ChatgptCredentials (reads Codex auth.json, never refreshes, never writes)', () => {
  let home: string;
  let authFile: string;
  beforeEach(async () => {
    home = await fsp.mkdtemp(join(tmpdir(), 'cgw-chatgpt-creds-'));
    authFile = join(home, 'auth.json');
  });
  afterEach(async () => {
    await fsp.rm(home, { recursive: true, force: true });
  });

  const creds = (extra: Partial<ConstructorParameters<typeof ChatgptCredentials>[0]> = {}) => new ChatgptCredentials({ codexHome: home, now: () => NOW, ...extra });

  it('chatgpt mode: returns the access token and tokens.account_id; auth.json untouched', async () => {
    const t = tokens(nowSec + 3600);
    await fsp.writeFile(authFile, codexAuthJson(t), { mode: 0o600 });
    const before = await snap(authFile);
    const seen: string[] = [];
    const c = creds({ onSecret: (v) => seen.push(v) });
    assert.deepEqual(await c.current(), { accessToken: t.access_token, accountId: 'acct-unit-1' });
    assert.deepEqual(await c.current(), { accessToken: t.access_token, accountId: 'acct-unit-1' });
    assert.deepEqual(await c.afterUnauthorized(t.access_token), undefined, 'same token on disk: nothing newer to retry with');
    assert.deepEqual(seen.sort(), [t.access_token, t.refresh_token, t.id_token].sort(), 'every token handed to the scrubber once');
    const st = await c.status();
    assert.deepEqual(st, { ok: true, accountId: 'acct-unit-1', expiresAt: (nowSec + 3600) * 1000, authFile });
    assert.equal(await snap(authFile), before);
  });

  it('takes the account id from the id token claim when tokens.account_id is absent (old files)', async () => {
    const t = tokens(nowSec + 3600, 'acct-from-claim');
    const j = JSON.parse(codexAuthJson(t));
    delete j.tokens.account_id;
    delete j.auth_mode;
    await fsp.writeFile(authFile, JSON.stringify(j, null, 2));
    const before = await snap(authFile);
    assert.deepEqual(await creds().current(), { accessToken: t.access_token, accountId: 'acct-from-claim' });
    assert.equal(await snap(authFile), before);
  });

  it('api key mode (auth_mode "apikey", or a legacy file with only OPENAI_API_KEY) is a clear api_key_mode error', async () => {
    const key = 'sk-unit-' + 'a'.repeat(40);
    registerSecret(key, 'unit api key');
    for (const body of [{ auth_mode: 'apikey', OPENAI_API_KEY: key }, { OPENAI_API_KEY: key }]) {
      await fsp.writeFile(authFile, JSON.stringify(body, null, 2));
      const before = await snap(authFile);
      await rejectsWith(creds().current(), 'api_key_mode', [key], [/API key/, /codex login/, /Sign in with ChatGPT/]);
      assert.equal(await snap(authFile), before);
    }
  });

  it('missing auth.json: not_signed_in naming the file and `codex login`; nothing is created', async () => {
    await rejectsWith(creds().current(), 'not_signed_in', [], [new RegExp(authFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), /codex login/]);
    await assert.rejects(fsp.stat(authFile), /ENOENT/);
    assert.deepEqual(await fsp.readdir(home), []);
  });

  it('malformed auth.json (bad JSON, no tokens, no account) is reported, not guessed', async () => {
    const t = tokens(nowSec + 3600);
    const cases: Array<[string, ChatgptAuthErrorCode]> = [
      ['{"auth_mode": "chatgpt", "tokens": {"access_token": "', 'unreadable'],
      ['[1, 2]', 'unreadable'],
      [JSON.stringify({ auth_mode: 'chatgpt', OPENAI_API_KEY: null }), 'not_signed_in'],
      [JSON.stringify({ auth_mode: 'chatgpt', tokens: { access_token: t.access_token, refresh_token: t.refresh_token, id_token: 'not-a-jwt' } }), 'unreadable'],
      [JSON.stringify({ auth_mode: 'agentIdentity', agent_identity: 'x' }), 'not_signed_in'],
    ];
    for (const [text, code] of cases) {
      await fsp.writeFile(authFile, text);
      const before = await snap(authFile);
      await rejectsWith(creds().current(), code, [t.access_token, t.refresh_token]);
      assert.equal(await snap(authFile), before);
    }
  });

  it('keyring store: config "keyring" is a keyring error even with a stale auth.json; "auto" without auth.json too; "auto" with auth.json reads it', async () => {
    const t = tokens(nowSec + 3600);
    await fsp.writeFile(authFile, codexAuthJson(t), { mode: 0o600 });
    const cfg = join(home, 'config.toml');
    await fsp.writeFile(cfg, '# mine\ncli_auth_credentials_store = "keyring"\nmodel = "x"\n');
    const before = await snap(authFile);
    const c = creds();
    await rejectsWith(c.current(), 'keyring', [t.access_token], [/OS keyring/, /cli_auth_credentials_store = "file"/, /codex login/]);
    assert.equal(await snap(authFile), before);

    await fsp.writeFile(cfg, 'cli_auth_credentials_store = "auto"\n');
    assert.deepEqual(await c.current(), { accessToken: t.access_token, accountId: 'acct-unit-1' }, 'auto falls back to auth.json as Codex does');
    await fsp.rm(authFile);
    await rejectsWith(c.current(), 'keyring', [], [/"auto"/, /cli_auth_credentials_store = "file"/]);

    await fsp.writeFile(cfg, 'cli_auth_credentials_store = "ephemeral"\n');
    await rejectsWith(c.current(), 'not_signed_in', [], [/in memory only/]);
    await fsp.writeFile(cfg, 'cli_auth_credentials_store = "file"\n');
    await rejectsWith(c.current(), 'not_signed_in', [], [/codex login/]);
  });

  it('expired access token: the designed `expired` error (start Codex once), no network, auth.json untouched', async () => {
    const t = tokens(nowSec - 60);
    await fsp.writeFile(authFile, codexAuthJson(t), { mode: 0o600 });
    const before = await snap(authFile);
    const realFetch = globalThis.fetch;
    let fetched = 0;
    globalThis.fetch = (async () => {
      fetched++;
      throw new Error('no network in this test');
    }) as typeof fetch;
    try {
      const c = creds();
      await rejectsWith(c.current(), 'expired', [t.access_token, t.refresh_token, t.id_token], [/expired at 2026-11-30T11:59:00\.000Z/, /Start Codex once/, /never renews/]);
      assert.equal(await c.afterUnauthorized('something-else-entirely'), undefined, 'an expired token on disk is not offered for a retry');
      const st = await c.status();
      assert.equal(st.ok, false);
      assert.equal(!st.ok && st.code, 'expired');
      const rejected = c.rejectedError();
      assert.equal(rejected.code, 'expired');
      assert.match(rejected.userMessage, /HTTP 401/);
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.equal(fetched, 0, 'the credentials module never calls the network');
    assert.equal(await snap(authFile), before);
  });

  it('a token that expires within the skew counts as expired; exactly at the edge it does not', async () => {
    const t = tokens(nowSec + 20);
    await fsp.writeFile(authFile, codexAuthJson(t));
    await rejectsWith(creds().current(), 'expired', [t.access_token]);
    assert.equal((await creds({ expirySkewMs: 19_000 }).current()).accessToken, t.access_token);
  });

  it('picks up the token Codex wrote (rename) on the next call, without a restart; afterUnauthorized returns it', async () => {
    const old = tokens(nowSec - 10);
    await fsp.writeFile(authFile, codexAuthJson(old), { mode: 0o600 });
    const c = creds();
    await rejectsWith(c.current(), 'expired', [old.access_token]);
    const fresh = tokens(nowSec + 3600);
    await writeAuthLikeCodex(home, codexAuthJson(fresh));
    const written = await snap(authFile);
    assert.deepEqual(await c.current(), { accessToken: fresh.access_token, accountId: 'acct-unit-1' });
    assert.deepEqual(await c.afterUnauthorized(old.access_token), { accessToken: fresh.access_token, accountId: 'acct-unit-1' });
    assert.equal(await c.afterUnauthorized(fresh.access_token), undefined);
    assert.equal(await snap(authFile), written, 'reading never rewrites what Codex wrote');
  });

  it('in-place rewrites by older Codex versions never yield a torn or foreign token', async () => {
    const all = Array.from({ length: 6 }, () => tokens(nowSec + 3600));
    const known = new Set(all.map((t) => t.access_token));
    await fsp.writeFile(authFile, codexAuthJson(all[0]));
    const c = creds();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 60; i++) await writeAuthInPlace(home, codexAuthJson(all[i % all.length]));
      writing = false;
    })();
    let reads = 0;
    const codes = new Set<string>();
    while (writing) {
      try {
        const a = await c.current();
        assert.ok(known.has(a.accessToken), 'a token that was never written');
        reads++;
      } catch (e) {
        assert.ok(e instanceof ChatgptAuthError);
        codes.add(e.code);
      }
    }
    await writer;
    assert.ok(reads > 0, 'some reads succeeded');
    for (const code of codes) assert.ok(['unreadable', 'not_signed_in'].includes(code), `unexpected ${code}`);
    const last = all[59 % all.length];
    assert.equal((await c.current()).accessToken, last.access_token, 'after the writer stops, the last write is what is read');
  });
});
