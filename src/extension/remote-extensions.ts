/**
 * Installing the extension in every dev container and SSH host, as pure decisions (no `vscode` import; the
 * service in `remote-offer.ts` makes the VS Code calls).
 *
 * Source (VS Code docs, "Always installed extensions" of Dev Containers and Remote-SSH): the user settings
 * `dev.containers.defaultExtensions` and `remote.SSH.defaultExtensions` are arrays of extension ids that VS Code
 * installs in every container it creates / every SSH host it connects to, in addition to those a repository's
 * devcontainer.json lists. They are contributed by the Dev Containers (`ms-vscode-remote.remote-containers`) and
 * Remote-SSH (`ms-vscode-remote.remote-ssh`) extensions, so VS Code accepts a write to one only while that
 * extension is installed on the local side.
 */

/** Our extension id, as the Marketplace knows it. */
export const EXTENSION_ID = 'codex-gateway.codex-gateway';

/** One "install this extension everywhere" user setting and the extension that contributes it. */
export interface DefaultExtensionsSetting {
  /** Configuration section (`getConfiguration(section)`). */
  section: string;
  /** Key within the section. */
  key: string;
  /** `section.key`, as written in settings.json. */
  id: string;
  /** What it covers, for messages ("every dev container"). */
  covers: string;
  /** Id of the extension that contributes the setting. */
  contributedBy: string;
  /** Its display name, for messages. */
  extensionName: string;
}

/** The settings the offer writes, in this order. */
export const DEFAULT_EXTENSIONS_SETTINGS: readonly DefaultExtensionsSetting[] = [
  { section: 'dev.containers', key: 'defaultExtensions', id: 'dev.containers.defaultExtensions', covers: 'every dev container', contributedBy: 'ms-vscode-remote.remote-containers', extensionName: 'Dev Containers' },
  { section: 'remote.SSH', key: 'defaultExtensions', id: 'remote.SSH.defaultExtensions', covers: 'every SSH host', contributedBy: 'ms-vscode-remote.remote-ssh', extensionName: 'Remote - SSH' },
];

/** globalState key: the user's answer to the one-time offer (`'installed'` / `'declined'`; absent = never asked). */
export const REMOTE_OFFER_KEY = 'codexGateway.remoteInstall.offer';

/** `env.remoteName` values of a container or an SSH host (VS Code's remote authority prefixes). */
const CONTAINER_OR_SSH = new Set(['dev-container', 'attached-container', 'ssh-remote']);

/**
 * Whether an entry of a `defaultExtensions` list installs `id`: the same id (ids are case-insensitive), also
 * pinned to a version (`id@1.2.3`) or `@prerelease`.
 */
function installs(entry: unknown, id: string): boolean {
  if (typeof entry !== 'string') return false;
  const e = entry.trim().toLowerCase();
  const want = id.toLowerCase();
  return e === want || e.startsWith(`${want}@`);
}

/** Whether a setting's current user value already installs `id`. */
export function listsExtension(current: unknown, id: string = EXTENSION_ID): boolean {
  return Array.isArray(current) && current.some((e) => installs(e, id));
}

/** Result of {@link withExtension}. */
export type MergeResult =
  /** `next` is the value to write: the current entries, in order, then `id`. */
  | { kind: 'add'; next: unknown[] }
  /** The list already installs `id`: nothing to write. */
  | { kind: 'present' }
  /** The current value is not a list (a hand edit): nothing is written, the user is told. */
  | { kind: 'invalid' };

/**
 * Adds `id` to a `defaultExtensions` value, keeping every entry (also entries that are not strings, which are
 * the user's business) and never adding a second copy.
 * @param current the setting's user (global) value; `undefined` or `null` when not set.
 */
export function withExtension(current: unknown, id: string = EXTENSION_ID): MergeResult {
  if (current === undefined || current === null) return { kind: 'add', next: [id] };
  if (!Array.isArray(current)) return { kind: 'invalid' };
  if (listsExtension(current, id)) return { kind: 'present' };
  return { kind: 'add', next: [...current, id] };
}

/** What decides whether to make the one-time offer. */
export interface RemoteOfferState {
  /** The stored answer ({@link REMOTE_OFFER_KEY}); undefined when never answered. */
  answer: string | undefined;
  /** `vscode.env.remoteName` (undefined in a local window). */
  remoteName: string | undefined;
  /** Ids of the contributing extensions visible to this extension host (`vscode.extensions.getExtension`). */
  installedExtensions: readonly string[];
  /** Current user value of each setting, by {@link DefaultExtensionsSetting.id}. */
  values: Readonly<Record<string, unknown>>;
}

/**
 * Whether to offer now: never answered, the user works with containers or SSH hosts (this window is one, or
 * Dev Containers / Remote-SSH is installed here), and some setting does not list the extension yet.
 *
 * In a local window the local extension host sees Dev Containers and Remote-SSH (UI extensions); in a container
 * or SSH window it does not (VS Code's `extensions.getExtension` sees only its own extension host's extensions),
 * so there the window's `remoteName` says it.
 */
export function shouldOfferRemoteInstall(s: RemoteOfferState): boolean {
  if (s.answer !== undefined) return false;
  const kindPrefix = s.remoteName?.split('+')[0];
  const usesRemotes = (kindPrefix !== undefined && CONTAINER_OR_SSH.has(kindPrefix)) || DEFAULT_EXTENSIONS_SETTINGS.some((d) => s.installedExtensions.includes(d.contributedBy));
  if (!usesRemotes) return false;
  return DEFAULT_EXTENSIONS_SETTINGS.some((d) => !listsExtension(s.values[d.id]));
}

/** Outcome of writing one setting. */
export interface SettingOutcome {
  setting: DefaultExtensionsSetting;
  /** `added`: written; `present`: already listed; `invalid`: not a list, left alone; `unavailable`: not registered (its extension is not installed); `failed`: the write failed. */
  result: 'added' | 'present' | 'invalid' | 'unavailable' | 'failed';
  /** The error message of `failed`. */
  error?: string;
}

/**
 * The message after an install (offer accepted or command run): what was written where, and what to do for the
 * settings that could not be written.
 */
export function installSummary(outcomes: readonly SettingOutcome[], id: string = EXTENSION_ID): { text: string; ok: boolean } {
  const done = outcomes.filter((o) => o.result === 'added' || o.result === 'present');
  const parts: string[] = [];
  if (done.length > 0) {
    const added = done.filter((o) => o.result === 'added').map((o) => o.setting.id);
    parts.push(
      `${id} is now installed in ${done.map((o) => o.setting.covers).join(' and ')} (${added.length > 0 ? `added to ${added.join(' and ')} in your user settings` : 'your user settings already list it'}). It applies to containers created and hosts connected from now on; rebuild a running container to get it there.`,
    );
  }
  for (const o of outcomes) {
    if (o.result === 'unavailable') parts.push(`${o.setting.id} was not written: install the ${o.setting.extensionName} extension (${o.setting.contributedBy}) first, then run "Codex Gateway: Install in Every Dev Container and SSH Host" again.`);
    else if (o.result === 'invalid') parts.push(`${o.setting.id} in your user settings is not a list; fix it (a list of extension ids) and run the command again.`);
    else if (o.result === 'failed') parts.push(`${o.setting.id} could not be written: ${(o.error ?? 'unknown error').replace(/\.$/, '')}. Run "Codex Gateway: Install in Every Dev Container and SSH Host" again, or add ${id} to it in your user settings (JSON).`);
  }
  return { text: parts.join(' '), ok: done.length > 0 && outcomes.every((o) => o.result === 'added' || o.result === 'present' || o.result === 'unavailable') };
}
