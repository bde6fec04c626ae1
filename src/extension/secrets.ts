/**
 * Provider keys in VS Code's SecretStorage (OS keychain on desktop; browser storage in code-server), kept as
 * an in-memory map of the names the config references so that the gateway worker can resolve
 * `api_key: os.environ/NAME` without a round trip. Lookup order for a name: SecretStorage, then the extension
 * host's environment. Values never reach settings, logs, config.toml or terminals.
 */
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import type { SecretsMap } from './messages';

/** globalState key of the secret names this extension has stored (names only), for "Clear Provider Key". */
const KNOWN_NAMES_KEY = 'codexGateway.secretNames';

/** A key this window stored (`value`) or deleted (no `value`) through {@link SecretCache.store} / `delete`. */
export interface SecretWrite {
  name: string;
  value?: string;
}

/**
 * The cache of referenced secrets. `onChange` fires after the map changed (set, cleared, or names changed);
 * `onDidWrite` after this window itself stored or deleted a key (not for changes heard from other windows).
 */
export class SecretCache extends Disposable {
  private names: string[] = [];
  private values: SecretsMap = {};
  private readonly emitter = this.register(new vscode.EventEmitter<void>());
  private readonly writeEmitter = this.register(new vscode.EventEmitter<SecretWrite>());
  /** Fires when the map of values changed. */
  readonly onChange = this.emitter.event;
  /** Fires after {@link store} or {@link delete} (this window's own writes), with the name and new value. */
  readonly onDidWrite = this.writeEmitter.event;

  /**
   * @param secrets the extension's SecretStorage.
   * @param state globalState, for the list of names stored by this extension.
   */
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {
    super();
    this.register(
      secrets.onDidChange(async (e) => {
        if (!this.names.includes(e.key)) return;
        const v = await this.secrets.get(e.key);
        if ((this.values[e.key] ?? undefined) === (v || undefined)) return;
        if (v) this.values[e.key] = v;
        else delete this.values[e.key];
        this.emitter.fire();
      }),
    );
  }

  /** Sets the referenced names and loads their values. Fires `onChange` when the map differs. */
  async setNames(names: readonly string[]): Promise<void> {
    this.names = [...names];
    const next: SecretsMap = {};
    await Promise.all(
      this.names.map(async (n) => {
        const v = await this.secrets.get(n);
        if (v) next[n] = v;
      }),
    );
    const changed = JSON.stringify(Object.entries(next).sort()) !== JSON.stringify(Object.entries(this.values).sort());
    this.values = next;
    if (changed) this.emitter.fire();
  }

  /** A copy of the referenced secrets that have a value in SecretStorage. */
  map(): SecretsMap {
    return { ...this.values };
  }

  /** The value for a name: SecretStorage (cached), then the environment. */
  get(name: string): string | undefined {
    return this.values[name] || process.env[name] || undefined;
  }

  /**
   * Where a referenced name's value comes from: `set` (SecretStorage), `env` (only the environment), `missing`.
   * Synchronous (uses the cache), so only meaningful for names passed to {@link setNames}.
   */
  stateOf(name: string): 'set' | 'env' | 'missing' {
    if (this.values[name]) return 'set';
    return process.env[name] ? 'env' : 'missing';
  }

  /** Whether a name has a value (SecretStorage or environment). */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Whether a name is stored in SecretStorage (not just the environment). */
  async stored(name: string): Promise<boolean> {
    return Boolean(await this.secrets.get(name));
  }

  /** The value stored in SecretStorage for a name (not the environment), or undefined. */
  async storedValue(name: string): Promise<string | undefined> {
    return (await this.secrets.get(name)) || undefined;
  }

  /** Stores a key (trimmed) and remembers its name. */
  async store(name: string, value: string): Promise<void> {
    await this.secrets.store(name, value);
    if (this.names.includes(name)) this.values[name] = value;
    const known = new Set(this.state.get<string[]>(KNOWN_NAMES_KEY, []));
    if (!known.has(name)) {
      known.add(name);
      await this.state.update(KNOWN_NAMES_KEY, [...known].sort());
    }
    this.emitter.fire();
    this.writeEmitter.fire({ name, value });
  }

  /** Deletes a key from SecretStorage (the environment is not touched). */
  async delete(name: string): Promise<void> {
    await this.secrets.delete(name);
    delete this.values[name];
    const known = this.state.get<string[]>(KNOWN_NAMES_KEY, []).filter((n) => n !== name);
    await this.state.update(KNOWN_NAMES_KEY, known);
    this.emitter.fire();
    this.writeEmitter.fire({ name });
  }

  /** Names referenced by the config. */
  referenced(): readonly string[] {
    return this.names;
  }

  /** Names this extension stored at some point (names only), plus the referenced ones. */
  knownNames(): string[] {
    return [...new Set([...this.names, ...this.state.get<string[]>(KNOWN_NAMES_KEY, [])])].sort();
  }
}
