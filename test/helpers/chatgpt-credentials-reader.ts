/**
 * Child process for the racing tests: one gateway-side {@link ChatgptCredentials} reading
 * `$CODEX_HOME/auth.json` over and over while other processes rewrite it.
 *
 * Usage: `node --import tsx test/helpers/chatgpt-credentials-reader.ts <codexHome> <maxMs>`.
 * Prints one JSON line per read: `{"ok":true,"fp":"<sha256 prefix of the access token>","acct":"..."}` or
 * `{"ok":false,"code":"expired"}`; never a token. Stops when stdin closes or after maxMs (bounded), then
 * prints `{"done":true,"reads":N}`.
 */
import { ChatgptCredentials } from '../../src/gateway/chatgpt/credentials';
import { fingerprint } from './chatgpt-auth-mock';

async function main(): Promise<void> {
  const [home, maxMsText] = process.argv.slice(2);
  const creds = new ChatgptCredentials({ codexHome: home, expirySkewMs: 0 });
  const deadline = Date.now() + Number(maxMsText || 20_000);
  let stop = false;
  process.stdin.on('end', () => (stop = true)).on('close', () => (stop = true)).resume();
  let reads = 0;
  const out: string[] = [];
  while (!stop && Date.now() < deadline) {
    try {
      const a = await creds.current();
      out.push(JSON.stringify({ ok: true, fp: fingerprint(a.accessToken), acct: a.accountId }));
    } catch (e) {
      out.push(JSON.stringify({ ok: false, code: (e as { code?: string }).code ?? 'thrown' }));
    }
    reads++;
    if (out.length >= 50) process.stdout.write(out.splice(0).join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 1));
  }
  out.push(JSON.stringify({ done: true, reads }));
  process.stdout.write(out.join('\n') + '\n');
}

void main();
