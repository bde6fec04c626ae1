/**
 * Entry of `dist/codex-auth.js`, the small bundle Codex runs as its auth command (config-block.ts
 * {@link codexAuthCommand}): `node dist/codex-auth.js codex-auth --host H --port N --token-file F [--config C]`.
 * Also answers the internal `__absent-notice` sub-command (the notice server's child process). Nothing else
 * is bundled in, so it starts fast; see auth-command.ts.
 */
import { ABSENT_NOTICE_COMMAND, absentNoticeMain, codexAuthMain } from './auth-command';

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'codex-auth') {
  codexAuthMain(rest, __filename).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`codex-gateway: ${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
} else if (cmd === ABSENT_NOTICE_COMMAND) {
  void absentNoticeMain(rest[0] ?? '127.0.0.1', rest[1] ?? '', rest[2] ?? '');
} else {
  process.stderr.write('codex-gateway: this script is the auth command Codex runs: codex-auth --port N --token-file FILE [--host H] [--config FILE].\n');
  process.exitCode = 2;
}
