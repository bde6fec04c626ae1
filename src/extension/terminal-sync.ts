/**
 * Keeps `ExtensionContext.environmentVariableCollection` equal to the desired terminal environment
 * (`terminal-env.ts`), changing only the variables whose value differs so open terminals are not flagged
 * for relaunch on every reload.
 */
import * as vscode from 'vscode';
import { desiredTerminalEnv, diffTerminalEnv, type CurrentEntry, type TerminalVar } from './terminal-env';

const DESCRIPTION =
  'Codex Gateway: CODEX_GATEWAY_URL (the gateway address), plus OPENAI_BASE_URL and OPENAI_API_KEY (the gateway token, never a provider key) when codexGateway.terminal.exportOpenAIEnv is on.';

/** Applies the terminal environment for the gateway. */
export class TerminalEnvSync {
  /** @param collection the extension's environment variable collection (persistent across restarts). */
  constructor(private readonly collection: vscode.GlobalEnvironmentVariableCollection) {
    collection.persistent = true;
    if (collection.description !== DESCRIPTION) collection.description = DESCRIPTION;
  }

  /**
   * Brings the collection to the desired state.
   * @returns the names changed (empty when nothing changed).
   */
  update(port: number, token: string, exportOpenAIEnv: boolean): string[] {
    const current = (name: TerminalVar): CurrentEntry => {
      const m = this.collection.get(name);
      return m ? { value: m.value, replace: m.type === vscode.EnvironmentVariableMutatorType.Replace } : undefined;
    };
    const diff = diffTerminalEnv(current, desiredTerminalEnv(port, token, exportOpenAIEnv));
    for (const [name, value] of diff.replace) this.collection.replace(name, value);
    for (const name of diff.remove) this.collection.delete(name);
    return [...diff.replace.map(([n]) => n), ...diff.remove];
  }
}
