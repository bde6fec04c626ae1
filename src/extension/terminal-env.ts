/**
 * What new integrated terminals get in their environment (through VS Code's
 * `ExtensionContext.environmentVariableCollection`), as pure data and a diff, so the collection is touched
 * only when a value really changes: every `replace` on the collection makes VS Code mark open terminals as
 * stale ("relaunch to apply"), which would be noise on every config reload.
 *
 * Variables:
 * - `CODEX_GATEWAY_URL`: the gateway's OpenAI base URL (`http://127.0.0.1:PORT/v1`), always.
 * - `OPENAI_BASE_URL` and `OPENAI_API_KEY` (the gateway token, never a provider key): only when
 *   `codexGateway.terminal.exportOpenAIEnv` is on, for OpenAI SDK scripts and tools run in the terminal.
 *   Off by default because it redirects every OpenAI client started from that terminal.
 */

/** Names this extension may set in the terminal environment. */
export const TERMINAL_VARS = ['CODEX_GATEWAY_URL', 'OPENAI_BASE_URL', 'OPENAI_API_KEY'] as const;

/** One of {@link TERMINAL_VARS}. */
export type TerminalVar = (typeof TERMINAL_VARS)[number];

/** The desired terminal environment: name -> value; absent names must not be set. */
export type TerminalEnv = Partial<Record<TerminalVar, string>>;

/**
 * The environment new terminals should get.
 * @param port the gateway port on 127.0.0.1.
 * @param token the gateway token (only used when `exportOpenAIEnv`).
 * @param exportOpenAIEnv `codexGateway.terminal.exportOpenAIEnv`.
 */
export function desiredTerminalEnv(port: number, token: string, exportOpenAIEnv: boolean): TerminalEnv {
  const url = `http://127.0.0.1:${port}/v1`;
  const env: TerminalEnv = { CODEX_GATEWAY_URL: url };
  if (exportOpenAIEnv) {
    env.OPENAI_BASE_URL = url;
    env.OPENAI_API_KEY = token;
  }
  return env;
}

/** What the collection currently holds for one name: a replace mutator's value, another mutator, or nothing. */
export type CurrentEntry = { value: string; replace: boolean } | undefined;

/** The minimal changes to apply to the collection. */
export interface TerminalEnvDiff {
  /** Names to `replace(name, value)`. */
  replace: Array<[TerminalVar, string]>;
  /** Names to `delete(name)`. */
  remove: TerminalVar[];
}

/**
 * Compares the collection with the desired environment.
 * @param current reads what the collection holds for a name (`collection.get(name)` mapped to {@link CurrentEntry}).
 * @param desired from {@link desiredTerminalEnv}.
 * @returns only the names whose value or mutator type differs; empty lists when nothing changes.
 */
export function diffTerminalEnv(current: (name: TerminalVar) => CurrentEntry, desired: TerminalEnv): TerminalEnvDiff {
  const diff: TerminalEnvDiff = { replace: [], remove: [] };
  for (const name of TERMINAL_VARS) {
    const want = desired[name];
    const have = current(name);
    if (want === undefined) {
      if (have !== undefined) diff.remove.push(name);
    } else if (have === undefined || !have.replace || have.value !== want) {
      diff.replace.push([name, want]);
    }
  }
  return diff;
}
