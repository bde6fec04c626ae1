/**
 * The temporary user a VS Code test runs as: a HOME with Codex's and the gateway's homes and a workspace folder,
 * all mode 0700 under the test's scratch folder (removed with it). Pass the paths as HOME / CODEX_HOME /
 * CODEX_GATEWAY_HOME in the session's `env` and open `workspace`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The folders of a temporary home (absolute paths). */
export interface TempHome {
  home: string;
  /** `<home>/.codex` (CODEX_HOME). */
  codexHome: string;
  /** `<home>/.codex-gateway` (CODEX_GATEWAY_HOME). */
  gatewayHome: string;
  /** `<home>/workspace`, holding a README.md so the folder opens with a file. */
  workspace: string;
}

/**
 * Creates `<root>/<name>` as a home with `.codex`, `.codex-gateway` and `workspace` (mode 0700), and writes
 * `workspace/README.md` with `readme`.
 */
export async function makeTempHome(root: string, name: string, readme: string): Promise<TempHome> {
  const home = join(root, name);
  const codexHome = join(home, '.codex');
  const gatewayHome = join(home, '.codex-gateway');
  const workspace = join(home, 'workspace');
  for (const d of [codexHome, gatewayHome, workspace]) await mkdir(d, { recursive: true, mode: 0o700 });
  await writeFile(join(workspace, 'README.md'), readme);
  return { home, codexHome, gatewayHome, workspace };
}
