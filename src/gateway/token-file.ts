/**
 * The token file Codex's auth command reads when `general_settings.master_key` is set in the config
 * (`os.environ/NAME` as in LiteLLM's guides, or a literal): one 0600 file per port,
 * `<gatewayHome>/port-<PORT>.token`, holding the token the gateway on that port accepts.
 *
 * Why a file per port: `codex-gateway codex-config` must print a block that works with no manual step,
 * also in an IDE started from a desktop launcher (no shell environment, so `$LITELLM_MASTER_KEY` is not
 * there), and without the key in config.toml. `serve` has the key (from its environment or the YAML), so it
 * writes it here when it starts listening; `codex-config` derives the same path from the same port (and
 * writes the file too when it can resolve the key itself). Two gateways on different ports have different
 * files; a restart with another key rewrites the file and Codex re-reads it after the 401 it gets with the old
 * one. The file stays after `serve` exits: it is as secret as `master_key` (0600, folder 0700).
 *
 * Without `master_key` in the config the generated token file `<gatewayHome>/master_key` (auth.ts) is used
 * as before; `rotate-token` rewrites that one.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gatewayHome } from './auth';
import { writeFileAtomic } from './files';

/**
 * Path of the token file for the gateway on `port`: `<gatewayHome>/port-<port>.token`
 * (`gatewayHome` is `$CODEX_GATEWAY_HOME`, else `~/.codex-gateway`).
 * @throws RangeError when `port` is not an integer from 1 to 65535 (port 0 has no stable file).
 */
export function portTokenPath(port: number, env: NodeJS.ProcessEnv = process.env): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port ${port} has no token file: the gateway's port must be fixed (1-65535) for Codex to find it.`);
  }
  return join(gatewayHome(env), `port-${port}.token`);
}

/**
 * Writes `token` (plus a newline) to `path` atomically with mode 0600, creating the parent folder with
 * mode 0700 (the shared atomic writer of files.ts: temp file, fsync, rename), so a concurrent reader sees
 * the old or the new token, never a partial one. Never logs the token.
 * @throws the file-system error (EACCES, ENOSPC, ...) when the folder or the file cannot be written.
 */
export async function writeTokenFile(path: string, token: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${token}\n`, { mode: 0o600 });
}

// Reading lives in token-read.ts (no dependencies, so the auth command's bundle stays small).
export { readTokenFile } from './token-read';
