/**
 * Tests of src/gateway/codex/config-toml.ts: byte-preserving edits of Codex's config.toml (fixture corpus and
 * fast-check properties), refusals, and the file-level writer (backup, state, atomic rename, mode 0600, lock,
 * concurrent writers in one process and in child processes, crash mid-write). Files only under os.tmpdir().
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  BACKUP_FILE,
  CodexConfigError,
  LOCK_FILE,
  STATE_FILE,
  applyCodexWiring,
  captureCodexPrevious,
  codexHome,
  readCodexSelection,
  removeCodexWiring,
  restoreCodexConfig,
  writeCodexConfig,
  type CodexConfigErrorCode,
  type CodexWiring,
} from '../../src/gateway/codex/config-toml';
import { runTsChild } from '../helpers/child';

// smol-toml's types are ESM-only; this CommonJS test loads its CJS build (see config-toml.ts).
const toml = require('smol-toml') as typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/codex-config');
const CHILD = path.join(FIXTURES, 'writer-child.ts');
const ID = 'codex-gateway';
const HEADER = `[model_providers.${ID}]`;
const POSIX = process.platform !== 'win32';

const WIRING: CodexWiring = {
  providerId: ID,
  provider: {
    name: 'Codex Gateway',
    base_url: 'http://127.0.0.1:4000/v1',
    wire_api: 'responses',
    model_catalog_url: 'http://127.0.0.1:4000/v1/codex/models',
    auth: { command: '/usr/bin/node', args: ['/home/dev/.codex-gateway/token.js'] },
    stream_idle_timeout_ms: 600000,
  },
  model: 'fast',
  setModelProvider: true,
};
const APPLIED = { model: 'fast', model_provider: ID };

/** Plain-object copy of a parsed document (smol-toml returns null-prototype tables). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function parse(text: string): Record<string, unknown> {
  return plain(toml.parse(text.replace(/^\uFEFF/, ''))) as Record<string, unknown>;
}

/** A parsed document without the keys a wiring owns. */
function rest(doc: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out = { ...doc };
  for (const k of keys) delete out[k];
  const mp = out.model_providers as Record<string, unknown> | undefined;
  if (mp) {
    const copy = { ...mp };
    delete copy[ID];
    if (Object.keys(copy).length === 0) delete out.model_providers;
    else out.model_providers = copy;
  }
  return out;
}

function ownedKeys(w: CodexWiring): string[] {
  return [...(w.model !== undefined ? ['model'] : []), ...(w.setModelProvider ? ['model_provider'] : [])];
}

/** Asserts our keys hold the wiring's values and every other key/value equals the original's. */
function assertWired(original: string, applied: string, w: CodexWiring): void {
  const before = parse(original);
  const after = parse(applied);
  if (w.model !== undefined) assert.equal(after.model, w.model);
  else assert.deepEqual(after.model, before.model);
  if (w.setModelProvider) assert.equal(after.model_provider, w.providerId);
  else assert.deepEqual(after.model_provider, before.model_provider);
  assert.deepEqual((after.model_providers as Record<string, unknown>)[w.providerId], plain(w.provider));
  assert.deepEqual(rest(after, ownedKeys(w)), rest(before, ownedKeys(w)));
}

function expectCode(code: CodexConfigErrorCode): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CodexConfigError, `expected CodexConfigError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

const countOf = (text: string, needle: string): number => text.split(needle).length - 1;

const tmpDirs: string[] = [];
function tmpHome(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-codex-'));
  tmpDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------

describe('config-toml: fixture corpus', () => {
  const valid = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.toml') && f !== 'syntax-error.toml' && f !== 'unterminated.toml');
  /** Fixtures that already hold our provider: apply then remove cannot give them back. */
  const preOwned = new Set(['stale-ours.toml', 'providers-table-inline-entry.toml']);

  it('has the corpus the task names', () => {
    for (const f of ['full.toml', 'crlf.toml', 'no-trailing-newline.toml', 'empty.toml', 'other-provider.toml', 'stale-ours.toml', 'tables-only.toml', 'literal-strings.toml', 'bom.toml']) {
      assert.ok(valid.includes(f), f);
    }
  });

  for (const name of valid) {
    it(`${name}: apply sets our keys, keeps everything else, is idempotent${preOwned.has(name) ? '' : ' and reverses byte for byte'}`, () => {
      const original = fixture(name);
      const applied = applyCodexWiring(original, WIRING);
      assertWired(original, applied, WIRING);
      assert.equal(countOf(applied, HEADER), 1);
      assert.equal(applyCodexWiring(applied, WIRING), applied, 'second apply changes nothing');
      const eol = original.includes('\r\n') ? '\r\n' : '\n';
      // Every comment line of the user's file survives, in order.
      const comments = original.split(eol).filter((l) => l.trimStart().startsWith('#'));
      const outComments = applied.split(eol).filter((l) => l.trimStart().startsWith('#'));
      assert.deepEqual(outComments, comments);
      if (!preOwned.has(name)) {
        const back = removeCodexWiring(applied, ID, { ...captureCodexPrevious(original, ID), applied: APPLIED });
        assert.equal(back, original);
      } else {
        const back = removeCodexWiring(applied, ID, { model: null, model_provider: null, applied: APPLIED });
        const doc = parse(back);
        assert.equal((doc.model_providers as Record<string, unknown> | undefined)?.[ID], undefined);
        assert.deepEqual(rest(doc, ['model', 'model_provider']), rest(parse(original), ['model', 'model_provider']));
      }
    });
  }

  it('empty file: writes the top-level keys, then our table after an empty line', () => {
    assert.equal(
      applyCodexWiring('', { providerId: ID, provider: { name: 'Codex Gateway', base_url: 'http://127.0.0.1:4000/v1' }, model: 'fast', setModelProvider: true }),
      'model = "fast"\nmodel_provider = "codex-gateway"\n\n[model_providers.codex-gateway]\nname = "Codex Gateway"\nbase_url = "http://127.0.0.1:4000/v1"\n',
    );
  });

  it('full.toml: replaces model in place keeping its comment, inserts model_provider after the last top-level key', () => {
    const out = applyCodexWiring(fixture('full.toml'), WIRING);
    assert.ok(out.includes('\nmodel = "fast"            # default model for new chats\n'));
    assert.ok(out.includes('tui = { theme = "dark", animations = false }\nmodel_provider = "codex-gateway"\n\n[sandbox_workspace_write]'));
    assert.ok(out.includes('# model_provider = "openrouter"   (disabled for now)\n'));
    assert.ok(out.startsWith('# ~/.codex/config.toml — personal Codex settings\n'));
    assert.ok(out.includes('[otel]\nexporter = "none"\n# end of file\n\n[model_providers.codex-gateway]\n'));
    assert.ok(out.includes('auth = { command = "/usr/bin/node", args = ["/home/dev/.codex-gateway/token.js"] }'));
  });

  it('crlf.toml: every line we add ends in CRLF', () => {
    const out = applyCodexWiring(fixture('crlf.toml'), WIRING);
    assert.equal(countOf(out, '\n'), countOf(out, '\r\n'));
    assert.ok(out.length > fixture('crlf.toml').length);
  });

  it('no-trailing-newline.toml: the result still has no final newline', () => {
    const original = fixture('no-trailing-newline.toml');
    const out = applyCodexWiring(original, WIRING);
    assert.ok(!out.endsWith('\n'));
    assert.ok(out.startsWith('# no final newline here\nmodel_reasoning_effort = "medium"\nmodel = "fast"\nmodel_provider = "codex-gateway"\n\n[mcp_servers.local]\ncommand = "./run.sh"  # trailing comment, no newline after\n\n[model_providers.codex-gateway]\n'));
  });

  it('tables-only.toml: top-level keys go before the first header and its comment block', () => {
    const out = applyCodexWiring(fixture('tables-only.toml'), WIRING);
    assert.ok(out.startsWith('# Only tables in this file, no top-level keys.\n\nmodel = "fast"\nmodel_provider = "codex-gateway"\n\n# Trusted projects\n[projects."/srv/repo"]\n'));
  });

  it('other-provider.toml: reports the user\'s provider, switches to ours, keeps theirs defined', () => {
    const original = fixture('other-provider.toml');
    assert.deepEqual(readCodexSelection(original), { model: 'deepseek-chat', model_provider: 'deepseek' });
    const out = applyCodexWiring(original, WIRING);
    assert.deepEqual(readCodexSelection(out), { model: 'fast', model_provider: ID });
    assert.ok(out.includes('[model_providers.deepseek]\nname = "DeepSeek"\n'));
    assert.ok(out.includes('\n[model_providers.other]\n'));
  });

  it('stale-ours.toml: replaces our stale table in place and drops its stale sub-table', () => {
    const out = applyCodexWiring(fixture('stale-ours.toml'), WIRING);
    assert.ok(!out.includes('[model_providers.codex-gateway.auth]'));
    assert.ok(!out.includes('3999'));
    assert.ok(out.includes('stream_idle_timeout_ms = 600000\n\n# user\'s table after ours\n[history]\npersistence = "save-all"\n'));
    assert.ok(out.indexOf(HEADER) < out.indexOf('[history]'), 'replaced in place, not appended');
  });

  it('literal-strings.toml: restores the literal-quoted previous values exactly', () => {
    const original = fixture('literal-strings.toml');
    const prev = captureCodexPrevious(original, ID);
    assert.deepEqual(prev, { model: 'gpt-5.5', model_provider: 'azure', raw: { model: "'gpt-5.5'", model_provider: "'azure'" } });
    const out = applyCodexWiring(original, WIRING);
    assert.ok(out.startsWith('model = "fast"   # literal string on purpose\nmodel_provider = "codex-gateway"\n'));
  });

  it('re-applies over a file that ends in a one-digit number without a final newline', () => {
    // Found by the idempotence property: the AST parser used to end such a number's range one byte early.
    const wiring: CodexWiring = { ...WIRING, provider: { ...WIRING.provider, request_max_retries: 0 } };
    const once = applyCodexWiring('[t_a]', wiring);
    assert.ok(once.endsWith('request_max_retries = 0'), once);
    assert.equal(applyCodexWiring(once, wiring), once);
  });

  it('bom.toml: keeps the byte order mark', () => {
    const out = applyCodexWiring(fixture('bom.toml'), WIRING);
    assert.ok(out.startsWith('\uFEFF# saved by an editor'));
    assert.equal(countOf(out, '\uFEFF'), 1);
  });

  it('providers-table-inline-entry.toml: moves our entry out of [model_providers], keeps the others', () => {
    const out = applyCodexWiring(fixture('providers-table-inline-entry.toml'), WIRING);
    assert.ok(!out.includes('Hand written'));
    assert.ok(out.includes('[model_providers]\nlocal = { name = "Local", base_url = "http://127.0.0.1:11434/v1" }\n'));
  });

  for (const [name, line] of [
    ['syntax-error.toml', 6],
    ['unterminated.toml', 1],
  ] as const) {
    it(`${name}: refuses with line:column and what to do`, () => {
      assert.throws(
        () => applyCodexWiring(fixture(name), WIRING),
        (e: unknown) => {
          expectCode('invalid_toml')(e);
          const err = e as CodexConfigError;
          assert.equal(err.line, line);
          assert.ok(typeof err.column === 'number' && err.column >= 1);
          assert.match(err.message, new RegExp(`line ${line}, column \\d+`));
          assert.match(err.message, /Fix the file .* or restore the backup config\.toml\.codex-gateway\.bak/);
          return true;
        },
      );
      assert.throws(() => removeCodexWiring(fixture(name), ID, {}), expectCode('invalid_toml'));
      assert.throws(() => readCodexSelection(fixture(name)), expectCode('invalid_toml'));
    });
  }
});

describe('config-toml: refusals and restore rules', () => {
  it('never quotes the file in an error message (it may hold tokens)', () => {
    const token = randomBytes(16).toString('hex');
    const text = `[model_providers.x]\nname = "X"\nexperimental_bearer_token = "${token}"\nname = "dup"\n`;
    assert.throws(
      () => applyCodexWiring(text, WIRING),
      (e: unknown) => {
        expectCode('invalid_toml')(e);
        assert.ok(!(e as Error).message.includes(token));
        return true;
      },
    );
  });

  it('refuses reserved ids, an OpenAI name, wire_api = "chat", auth with env_key, an empty name', () => {
    const p = WIRING.provider;
    for (const providerId of ['openai', 'Ollama', 'lmstudio', 'amazon-bedrock', '']) {
      assert.throws(() => applyCodexWiring('', { ...WIRING, providerId }), expectCode('invalid_wiring'));
    }
    assert.throws(() => applyCodexWiring('', { ...WIRING, provider: { ...p, name: 'OpenAI' } }), expectCode('invalid_wiring'));
    assert.throws(() => applyCodexWiring('', { ...WIRING, provider: { ...p, name: '' } }), expectCode('invalid_wiring'));
    assert.throws(() => applyCodexWiring('', { ...WIRING, provider: { ...p, wire_api: 'chat' } }), expectCode('invalid_wiring'));
    assert.throws(() => applyCodexWiring('', { ...WIRING, provider: { ...p, env_key: 'X' } }), expectCode('invalid_wiring'));
  });

  it('refuses shapes it cannot extend without rewriting the user\'s text', () => {
    assert.throws(() => applyCodexWiring('model_providers = { x = { name = "X" } }\n', WIRING), expectCode('conflict'));
    assert.throws(() => applyCodexWiring('[[model_providers]]\nname = "X"\n', WIRING), expectCode('conflict'));
    assert.throws(() => applyCodexWiring('[model]\nslug = "x"\n', WIRING), expectCode('conflict'));
    assert.throws(() => applyCodexWiring('model_provider = 3\n', WIRING), expectCode('conflict'));
    // Not owning `model`, a table named model is none of our business.
    assert.doesNotThrow(() => applyCodexWiring('[model]\nslug = "x"\n', { ...WIRING, model: undefined }));
  });

  it('leaves model and model_provider alone when the wiring does not own them', () => {
    const original = 'model = "o3"\nmodel_provider = "openrouter"\n';
    const w: CodexWiring = { ...WIRING, model: undefined, setModelProvider: false };
    const out = applyCodexWiring(original, w);
    assert.ok(out.startsWith(original));
    assert.equal(removeCodexWiring(out, ID, { ...captureCodexPrevious(original, ID), applied: {} }), original);
  });

  it('restore keeps a selection the user made after apply', () => {
    const original = 'model = "o3"\n';
    const out = applyCodexWiring(original, WIRING).replace('model_provider = "codex-gateway"', 'model_provider = "openrouter"').replace('model = "fast"', 'model = "x-ai/grok"');
    const back = removeCodexWiring(out, ID, { ...captureCodexPrevious(original, ID), applied: APPLIED });
    assert.deepEqual(readCodexSelection(back), { model: 'x-ai/grok', model_provider: 'openrouter' });
    assert.ok(!back.includes(HEADER));
  });

  it('without `applied`, restores only while model_provider still names us', () => {
    const original = 'model = "o3"\n# note\n';
    const out = applyCodexWiring(original, WIRING);
    assert.equal(removeCodexWiring(out, ID, { model: 'o3', model_provider: null }), original);
    const switched = out.replace('model_provider = "codex-gateway"', 'model_provider = "groq"');
    assert.deepEqual(readCodexSelection(removeCodexWiring(switched, ID, { model: 'o3', model_provider: null })), { model: 'fast', model_provider: 'groq' });
  });

  it('a previous model_provider equal to ours counts as absent', () => {
    const captured = captureCodexPrevious(fixture('stale-ours.toml'), ID);
    assert.deepEqual(captured, { model: null, model_provider: null, raw: {} });
  });

  it('readCodexSelection returns only string values', () => {
    assert.deepEqual(readCodexSelection(''), {});
    assert.deepEqual(readCodexSelection('model = "a"\n[profiles.p]\nmodel_provider = "b"\n'), { model: 'a' });
  });

  it('codexHome: CODEX_HOME wins, else ~/.codex', () => {
    assert.equal(codexHome({ CODEX_HOME: '/opt/codex-home' }), path.resolve('/opt/codex-home'));
    assert.equal(codexHome({ HOME: '/home/someone' }), path.join('/home/someone', '.codex'));
    assert.equal(codexHome({ CODEX_HOME: '', HOME: '/home/someone' }), path.join('/home/someone', '.codex'));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property tests over generated config files
// ---------------------------------------------------------------------------------------------------------

const keyUnit = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-'.split(''));
const bareName = fc.string({ unit: keyUnit, minLength: 1, maxLength: 8 }).filter((k) => !k.startsWith('model') && !k.startsWith('_'));
const textUnit = fc.constantFrom(...'aZ09 #=[]{}./:,_-é✓'.split(''));
const text = fc.string({ unit: textUnit, maxLength: 12 });
const comment = text.map((s) => `#${s}`);
const value = fc.oneof(
  fc.integer({ min: -1000, max: 100000 }).map(String),
  text.map((s) => `"${s}"`),
  text.map((s) => `'${s}'`),
  fc.boolean().map(String),
  fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 4 }).map((a) => `[${a.join(', ')}]`),
  fc.tuple(text, fc.integer({ min: 0, max: 9 })).map(([s, n]) => `{ k = "${s}", n = ${n} }`),
  fc.constantFrom('1979-05-27', '3.25', '[\n  1,\n  2, # two\n]', '"""\n[in.string]\n# not a comment\n"""', "'''\nmodel = \"no\"\n'''"),
);
const filler = fc.array(fc.oneof(comment, fc.constant('')), { maxLength: 2 });
const kvLines = (k: string): fc.Arbitrary<string[]> =>
  fc
    .tuple(fc.boolean(), value, fc.option(comment, { nil: undefined }), filler)
    .map(([quoted, v, c, pre]) => [...pre, `${quoted ? `"${k}"` : k} = ${v}${c !== undefined ? ` ${c}` : ''}`]);
const sectionWithout = (taken: readonly string[]): fc.Arbitrary<string[]> =>
  fc
    .uniqueArray(bareName.filter((k) => !taken.includes(k)), { maxLength: 4 })
    .chain((keys) => (keys.length === 0 ? fc.constant([] as string[][]) : fc.tuple(...keys.map(kvLines))).map((parts) => parts.flat()));
const section: fc.Arbitrary<string[]> = fc
  .uniqueArray(bareName, { maxLength: 4 })
  .chain((keys) => (keys.length === 0 ? fc.constant([] as string[][]) : fc.tuple(...keys.map(kvLines))).map((parts) => parts.flat()));
const aliasUnit = fc.constantFrom(...'abz09-_./: "\'é'.split(''));
const alias = fc.string({ unit: aliasUnit, minLength: 1, maxLength: 12 });
const quotedAlias = fc.tuple(alias, fc.boolean()).map(([a, literal]) => (literal && !a.includes("'") ? `'${a}'` : JSON.stringify(a)));

/** Table bodies never reuse the keys the table kinds below write themselves. */
const tableBody = sectionWithout(['command', 'env', 'trust_level', 'name']);
const table = (name: string): fc.Arbitrary<string[]> =>
  fc.tuple(fc.constantFrom('t', 'profile', 'mcp', 'project', 'provider', 'array'), filler, tableBody, tableBody).map(([kind, pre, body, body2]) => {
    switch (kind) {
      case 't':
        return [...pre, `[t_${name}]`, ...body];
      case 'profile':
        return [...pre, `[profiles.${name}]`, ...body];
      case 'mcp':
        return [...pre, `[mcp_servers.${name}]`, 'command = "npx"', ...body, `[mcp_servers.${name}.env]`, ...body2];
      case 'project':
        return [...pre, `[projects."/home/u/${name} dir"]`, 'trust_level = "trusted"', ...body];
      case 'provider':
        return [...pre, `[model_providers.${name}]`, `name = "${name}"`, ...body];
      default:
        return [...pre, `[[arr_${name}]]`, ...body, `[[arr_${name}]]`, ...body2];
    }
  });

interface GenDoc {
  text: string;
  hasOurs: boolean;
}

function genDoc(withOurs: boolean): fc.Arbitrary<GenDoc> {
  return fc
    .record({
      lead: filler,
      top: section,
      model: fc.option(quotedAlias, { nil: undefined }),
      provider: fc.option(quotedAlias, { nil: undefined }),
      pos: fc.nat(),
      tables: fc.uniqueArray(bareName, { maxLength: 4 }).chain((names) => (names.length === 0 ? fc.constant([] as string[][]) : fc.tuple(...names.map(table)))),
      ours: withOurs ? fc.tuple(fc.nat(), sectionWithout(['name', 'base_url'])) : fc.constant(undefined),
      crlf: fc.boolean(),
      trailing: fc.boolean(),
    })
    .map((g) => {
      const top = [...g.top];
      const extra = [...(g.model !== undefined ? [`model = ${g.model}`] : []), ...(g.provider !== undefined ? [`model_provider = ${g.provider}`] : [])];
      // Insert at a line boundary that is not inside a multi-line value: before a key line or at the end.
      const slots = [top.length, ...top.map((l, i) => (/^("?[a-z0-9_-]+"?) = /.test(l) ? i : -1)).filter((i) => i >= 0)];
      top.splice(slots[g.pos % slots.length], 0, ...extra);
      const tables = [...g.tables];
      if (g.ours) tables.splice(g.ours[0] % (tables.length + 1), 0, [HEADER, 'name = "stale"', 'base_url = "http://127.0.0.1:1/v1"', ...g.ours[1]]);
      const lines = [...g.lead, ...top, ...tables.flat()];
      const eol = g.crlf ? '\r\n' : '\n';
      const joined = lines.join(eol).replace(/\n/g, eol === '\n' ? '\n' : '\r\n').replace(/\r\r\n/g, '\r\n');
      return { text: lines.length > 0 && g.trailing ? joined + eol : joined, hasOurs: withOurs };
    });
}

const reservedProviderKeys = new Set(['name', 'wire_api', 'auth', 'env_key', 'base_url']);
const wiringArb: fc.Arbitrary<CodexWiring> = fc
  .record({
    model: fc.option(alias, { nil: undefined }),
    setModelProvider: fc.boolean(),
    port: fc.integer({ min: 1024, max: 65535 }),
    extra: fc.dictionary(
      bareName.filter((k) => !reservedProviderKeys.has(k)),
      fc.oneof(fc.integer(), alias, fc.boolean(), fc.array(alias, { maxLength: 3 }), fc.record({ command: alias, args: fc.array(alias, { maxLength: 2 }) })),
      { maxKeys: 3 },
    ),
  })
  .map((r) => ({
    providerId: ID,
    provider: { name: 'Codex Gateway', base_url: `http://127.0.0.1:${r.port}/v1`, wire_api: 'responses', ...r.extra },
    model: r.model,
    setModelProvider: r.setModelProvider,
  }));

describe('config-toml: properties of generated files', function () {
  this.timeout(60_000);
  it('generated files are valid TOML (generator check)', () => {
    fc.assert(
      fc.property(genDoc(false), (d) => {
        parse(d.text);
      }),
      { numRuns: 200 },
    );
  });

  it('apply: our keys have our values, every other key/value is unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(genDoc(false), genDoc(true)), wiringArb, (d, w) => {
        assertWired(d.text, applyCodexWiring(d.text, w), w);
      }),
      { numRuns: 300 },
    );
  });

  it('apply then remove gives back the original bytes', () => {
    fc.assert(
      fc.property(genDoc(false), wiringArb, (d, w) => {
        const applied = applyCodexWiring(d.text, w);
        const previous = { ...captureCodexPrevious(d.text, ID), applied: { model: w.model, model_provider: w.setModelProvider ? ID : undefined } };
        assert.equal(removeCodexWiring(applied, ID, previous), d.text);
      }),
      { numRuns: 300 },
    );
  });

  it('apply is idempotent, also over a stale table of ours', () => {
    fc.assert(
      fc.property(fc.oneof(genDoc(false), genDoc(true)), wiringArb, (d, w) => {
        const once = applyCodexWiring(d.text, w);
        assert.equal(applyCodexWiring(once, w), once);
        assert.equal(countOf(once, HEADER), 1);
      }),
      { numRuns: 300 },
    );
  });

  it('file level: a second write reports changed: false, restore gives back the bytes', async function () {
    this.timeout(60_000);
    await fc.assert(
      fc.asyncProperty(genDoc(false), wiringArb, async (d, w) => {
        const home = tmpHome();
        const file = path.join(home, 'config.toml');
        fs.writeFileSync(file, d.text);
        const first = await writeCodexConfig({ codexHome: home, wiring: w });
        assert.equal(first.changed, true);
        const second = await writeCodexConfig({ codexHome: home, wiring: w });
        assert.equal(second.changed, false);
        assert.equal((await restoreCodexConfig({ codexHome: home, providerId: ID })).restored, true);
        assert.equal(fs.readFileSync(file, 'utf8'), d.text);
        fs.rmSync(home, { recursive: true, force: true });
      }),
      { numRuns: 25 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// File level
// ---------------------------------------------------------------------------------------------------------

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

describe('config-toml: writeCodexConfig / restoreCodexConfig', () => {
  it('missing CODEX_HOME and file: creates them (0600), no backup; restore deletes the file again', async () => {
    const home = path.join(tmpHome(), 'nested', '.codex');
    const res = await writeCodexConfig({ codexHome: home, wiring: WIRING });
    const file = path.join(home, 'config.toml');
    assert.deepEqual(res, { path: file, changed: true, previous: {} });
    assert.equal(fs.readFileSync(file, 'utf8'), applyCodexWiring('', WIRING));
    if (POSIX) {
      assert.equal(mode(file), 0o600);
      assert.equal(mode(path.join(home, STATE_FILE)), 0o600);
    }
    assert.ok(!fs.existsSync(path.join(home, BACKUP_FILE)));
    const state = JSON.parse(fs.readFileSync(path.join(home, STATE_FILE), 'utf8')) as Record<string, unknown>;
    assert.equal(state.providerId, ID);
    assert.equal(state.originalExisted, false);
    assert.deepEqual(await restoreCodexConfig({ codexHome: home, providerId: ID }), { restored: true, path: file });
    assert.ok(!fs.existsSync(file));
    assert.ok(!fs.existsSync(path.join(home, STATE_FILE)));
    assert.deepEqual(fs.readdirSync(home), []);
  });

  it('existing file: backs up the original bytes once (0600), keeps the first previous selection, restores bytes and mode', async () => {
    const home = tmpHome();
    const file = path.join(home, 'config.toml');
    const original = fixture('full.toml');
    fs.writeFileSync(file, original, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const first = await writeCodexConfig({ codexHome: home, wiring: WIRING });
    const backup = path.join(home, BACKUP_FILE);
    assert.deepEqual(first, { path: file, changed: true, backupPath: backup, previous: { model: 'gpt-5.5' } });
    assert.equal(fs.readFileSync(backup, 'utf8'), original);
    if (POSIX) {
      assert.equal(mode(file), 0o600);
      assert.equal(mode(backup), 0o600);
    }
    const again = await writeCodexConfig({ codexHome: home, wiring: WIRING });
    assert.equal(again.changed, false);
    const other: CodexWiring = { ...WIRING, model: 'smart', provider: { ...WIRING.provider, base_url: 'http://127.0.0.1:4555/v1' } };
    const third = await writeCodexConfig({ codexHome: home, wiring: other });
    assert.equal(third.changed, true);
    assert.deepEqual(third.previous, { model: 'gpt-5.5' }, 'previous is still the user\'s, not our earlier value');
    assert.equal(fs.readFileSync(backup, 'utf8'), original, 'backup never overwritten');
    assertWired(original, fs.readFileSync(file, 'utf8'), other);
    const res = await restoreCodexConfig({ codexHome: home, providerId: ID });
    assert.equal(res.restored, true);
    assert.equal(fs.readFileSync(file, 'utf8'), original);
    if (POSIX) assert.equal(mode(file), 0o644);
    assert.ok(fs.existsSync(backup), 'backup kept after restore');
    assert.deepEqual(fs.readdirSync(home).sort(), ['config.toml', BACKUP_FILE].sort());
    assert.equal((await restoreCodexConfig({ codexHome: home, providerId: ID })).restored, false);
  });

  it('restore after a "restart" uses only the state file, and keeps user edits made in between', async () => {
    const home = tmpHome();
    const file = path.join(home, 'config.toml');
    fs.writeFileSync(file, fixture('other-provider.toml'));
    await writeCodexConfig({ codexHome: home, wiring: WIRING });
    fs.appendFileSync(file, '\n[projects."/new/project"]\ntrust_level = "trusted"\n');
    await restoreCodexConfig({ codexHome: home, providerId: ID });
    const out = fs.readFileSync(file, 'utf8');
    assert.deepEqual(readCodexSelection(out), { model: 'deepseek-chat', model_provider: 'deepseek' });
    assert.ok(!out.includes(HEADER));
    assert.ok(out.includes('[projects."/new/project"]\ntrust_level = "trusted"\n'));
    assert.deepEqual(rest(parse(out), []), rest(parse(fixture('other-provider.toml') + '\n[projects."/new/project"]\ntrust_level = "trusted"\n'), []));
  });

  it('writes through a symlinked config.toml, keeping the link', async function () {
    if (!POSIX) this.skip();
    const root = tmpHome();
    const home = path.join(root, '.codex');
    fs.mkdirSync(home);
    fs.mkdirSync(path.join(root, 'dotfiles'));
    const real = path.join(root, 'dotfiles', 'codex.toml');
    fs.writeFileSync(real, fixture('tables-only.toml'));
    fs.symlinkSync(real, path.join(home, 'config.toml'));
    await writeCodexConfig({ codexHome: home, wiring: WIRING });
    assert.ok(fs.lstatSync(path.join(home, 'config.toml')).isSymbolicLink());
    assertWired(fixture('tables-only.toml'), fs.readFileSync(real, 'utf8'), WIRING);
    await restoreCodexConfig({ codexHome: home, providerId: ID });
    assert.equal(fs.readFileSync(real, 'utf8'), fixture('tables-only.toml'));
  });

  it('a file with a syntax error is refused and left untouched (no backup, no state, no lock, no temp)', async () => {
    const home = tmpHome();
    const file = path.join(home, 'config.toml');
    const bytes = fs.readFileSync(path.join(FIXTURES, 'syntax-error.toml'));
    fs.writeFileSync(file, bytes);
    await assert.rejects(writeCodexConfig({ codexHome: home, wiring: WIRING }), (e: unknown) => {
      expectCode('invalid_toml')(e);
      assert.ok((e as Error).message.includes(file), 'names the file');
      return true;
    });
    assert.deepEqual(fs.readFileSync(file), bytes);
    assert.deepEqual(fs.readdirSync(home), ['config.toml']);
  });

  it('a file that is not UTF-8 is refused and left untouched', async () => {
    const home = tmpHome();
    const file = path.join(home, 'config.toml');
    const bytes = Buffer.from([0x61, 0x20, 0x3d, 0x20, 0x22, 0xff, 0xfe, 0x22, 0x0a]);
    fs.writeFileSync(file, bytes);
    await assert.rejects(writeCodexConfig({ codexHome: home, wiring: WIRING }), expectCode('invalid_toml'));
    assert.deepEqual(fs.readFileSync(file), bytes);
  });

  it('two writers in parallel (Promise.all) both succeed; our table is written once', async () => {
    const home = tmpHome();
    fs.writeFileSync(path.join(home, 'config.toml'), fixture('full.toml'));
    const results = await Promise.all([writeCodexConfig({ codexHome: home, wiring: WIRING }), writeCodexConfig({ codexHome: home, wiring: WIRING })]);
    assert.deepEqual(results.map((r) => r.changed).sort(), [false, true]);
    const out = fs.readFileSync(path.join(home, 'config.toml'), 'utf8');
    assertWired(fixture('full.toml'), out, WIRING);
    assert.equal(countOf(out, HEADER), 1);
    assert.ok(!fs.existsSync(path.join(home, LOCK_FILE)));
  });

  it('many writers with different wirings in parallel: the file is valid and holds one of them', async () => {
    const home = tmpHome();
    const wirings = [4001, 4002, 4003, 4004, 4005].map((port) => ({ ...WIRING, provider: { ...WIRING.provider, base_url: `http://127.0.0.1:${port}/v1` } }));
    await Promise.all(wirings.map((wiring) => writeCodexConfig({ codexHome: home, wiring })));
    const out = fs.readFileSync(path.join(home, 'config.toml'), 'utf8');
    assert.equal(countOf(out, HEADER), 1);
    const base = ((parse(out).model_providers as Record<string, Record<string, unknown>>)[ID]).base_url;
    assert.ok(wirings.some((w) => w.provider.base_url === base));
    assert.deepEqual(fs.readdirSync(home).sort(), ['config.toml', STATE_FILE].sort());
  });

  it('two child processes writing in parallel both succeed; the file is valid with our table once', async function () {
    this.timeout(60_000);
    const home = tmpHome();
    const original = fixture('crlf.toml');
    fs.writeFileSync(path.join(home, 'config.toml'), original);
    const runs = [runChild([home, 'write', '6'], 45_000), runChild([home, 'write', '6'], 45_000)];
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const out = fs.readFileSync(path.join(home, 'config.toml'), 'utf8');
    assert.equal(countOf(out, HEADER), 1);
    const doc = parse(out);
    assert.equal(doc.model_provider, ID);
    assert.deepEqual(rest(doc, ['model', 'model_provider']), rest(parse(original), ['model', 'model_provider']));
    assert.equal(fs.readFileSync(path.join(home, BACKUP_FILE), 'utf8'), original);
    assert.deepEqual(fs.readdirSync(home).sort(), ['config.toml', BACKUP_FILE, STATE_FILE].sort());
  });

  it('the temp file is created in the same directory, 0600, and renamed over config.toml', async () => {
    const home = tmpHome();
    const file = path.join(home, 'config.toml');
    const original = fixture('full.toml');
    fs.writeFileSync(file, original);
    let seen: { tmp: string; target: string } | undefined;
    await writeCodexConfig({
      codexHome: home,
      wiring: WIRING,
      onTempFile: (tmp, target) => {
        seen = { tmp, target };
        assert.equal(path.dirname(tmp), path.dirname(target));
        assert.equal(target, file);
        assert.ok(fs.existsSync(tmp), 'temp file created before the write and rename');
        if (POSIX) assert.equal(mode(tmp), 0o600);
        assert.equal(fs.readFileSync(file, 'utf8'), original, 'config.toml untouched until the rename');
      },
    });
    assert.ok(seen);
    assert.ok(!fs.existsSync(seen.tmp), 'temp file renamed away');
    assert.equal(fs.readFileSync(file, 'utf8'), applyCodexWiring(original, WIRING));
  });

  it('a failure before the rename leaves config.toml as it was and no temp file', async () => {
    const home = tmpHome();
    const file = path.join(home, 'config.toml');
    fs.writeFileSync(file, fixture('crlf.toml'));
    let tmp = '';
    await assert.rejects(
      writeCodexConfig({
        codexHome: home,
        wiring: WIRING,
        onTempFile: (t) => {
          tmp = t;
          throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), fixture('crlf.toml'));
    assert.ok(tmp !== '' && !fs.existsSync(tmp), 'temp file removed');
    assert.deepEqual(fs.readdirSync(home).sort(), ['config.toml', BACKUP_FILE].sort());
    assert.ok(!fs.existsSync(path.join(home, LOCK_FILE)), 'lock released');
    assert.equal((await writeCodexConfig({ codexHome: home, wiring: WIRING })).changed, true);
  });

  it('a writer killed mid-write (SIGKILL) never leaves a partial file; the next writer breaks its stale lock', async function () {
    // proper-lockfile detects an abandoned lock by its mtime (refreshed by a live holder every staleMs / 2).
    this.timeout(60_000);
    const home = tmpHome();
    const file = path.join(home, 'config.toml');
    const original = fixture('full.toml');
    fs.writeFileSync(file, original);
    const child = runChild([home, 'hang'], 40_000);
    const line = await child.firstLine;
    const { tmp, target } = JSON.parse(line) as { tmp: string; target: string };
    assert.equal(path.dirname(tmp), path.dirname(target));
    assert.ok(fs.existsSync(tmp), 'temp file created');
    child.proc.kill('SIGKILL');
    const exit = await child.done;
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(fs.readFileSync(file, 'utf8'), original, 'config.toml intact after the crash');
    assert.ok(fs.existsSync(path.join(home, LOCK_FILE)), 'the dead writer left its lock');
    const started = Date.now();
    const res = await writeCodexConfig({ codexHome: home, wiring: WIRING, lockTimeoutMs: 5_000, staleLockMs: 2_000 });
    assert.ok(Date.now() - started < 4_000, 'stale lock of a dead writer broken without waiting for the timeout');
    assert.equal(res.changed, true);
    assertWired(original, fs.readFileSync(file, 'utf8'), WIRING);
    // A SIGKILL cannot be caught, so write-file-atomic's temp file of the dead writer stays (Codex ignores it).
    assert.deepEqual(fs.readdirSync(home).sort(), ['config.toml', BACKUP_FILE, STATE_FILE, path.basename(tmp)].sort());
  });

  it('waits for a live lock and gives up with a clear "locked" error', async () => {
    const home = tmpHome();
    const lock = path.join(home, LOCK_FILE);
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'other-window', at: Date.now() }));
    const started = Date.now();
    await assert.rejects(writeCodexConfig({ codexHome: home, wiring: WIRING, lockTimeoutMs: 300 }), (e: unknown) => {
      expectCode('locked')(e);
      assert.match((e as Error).message, /Try again in a moment; if no other window is open, delete /);
      return true;
    });
    assert.ok(Date.now() - started >= 300);
    assert.ok(!fs.existsSync(path.join(home, 'config.toml')));
    assert.equal(JSON.parse(fs.readFileSync(lock, 'utf8')).token, 'other-window', 'a live lock is not broken');
  });

  it('breaks a lock older than staleLockMs whose owner cannot be checked', async () => {
    const home = tmpHome();
    const lock = path.join(home, LOCK_FILE);
    fs.mkdirSync(lock); // proper-lockfile's lock is a directory
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    const res = await writeCodexConfig({ codexHome: home, wiring: WIRING, staleLockMs: 1_000, lockTimeoutMs: 3_000 });
    assert.equal(res.changed, true);
    assert.ok(!fs.existsSync(lock));
  });
});

// ---------------------------------------------------------------------------------------------------------

/** Runs writer-child.ts under tsx; killed after `timeoutMs` so it never outlives the test. */
const runChild = (args: string[], timeoutMs: number) => runTsChild(CHILD, args, timeoutMs);
