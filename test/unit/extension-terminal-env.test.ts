/**
 * Terminal environment of the VS Code extension (src/extension/terminal-env.ts): the desired variables and
 * the minimal diff against what the environment variable collection holds. The collection is modelled by a
 * Map with the same semantics as VS Code's (`replace` sets a Replace mutator, `delete` removes it).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { desiredTerminalEnv, diffTerminalEnv, TERMINAL_VARS, type CurrentEntry, type TerminalVar } from '../../src/extension/terminal-env';

/** A stand-in for GlobalEnvironmentVariableCollection: name -> {value, replace?}. Counts writes. */
class FakeCollection {
  readonly map = new Map<TerminalVar, { value: string; replace: boolean }>();
  writes = 0;
  get = (n: TerminalVar): CurrentEntry => this.map.get(n);
  apply(port: number, token: string, exp: boolean): number {
    const d = diffTerminalEnv(this.get, desiredTerminalEnv(port, token, exp));
    for (const [n, v] of d.replace) this.map.set(n, { value: v, replace: true });
    for (const n of d.remove) this.map.delete(n);
    const changes = d.replace.length + d.remove.length;
    this.writes += changes;
    return changes;
  }
}

describe('extension terminal environment', () => {
  it('always sets CODEX_GATEWAY_URL; OPENAI_* only when exporting', () => {
    assert.deepEqual(desiredTerminalEnv(4141, 'tok', false), { CODEX_GATEWAY_URL: 'http://127.0.0.1:4141/v1' });
    assert.deepEqual(desiredTerminalEnv(4141, 'tok', true), {
      CODEX_GATEWAY_URL: 'http://127.0.0.1:4141/v1',
      OPENAI_BASE_URL: 'http://127.0.0.1:4141/v1',
      OPENAI_API_KEY: 'tok',
    });
  });

  it('writes nothing when nothing changed (no relaunch prompts on reload)', () => {
    const c = new FakeCollection();
    assert.equal(c.apply(4141, 't1', true), 3);
    assert.equal(c.apply(4141, 't1', true), 0);
    assert.equal(c.apply(4141, 't2', true), 1, 'token rotation changes only OPENAI_API_KEY');
    assert.deepEqual(c.map.get('OPENAI_API_KEY'), { value: 't2', replace: true });
    assert.equal(c.apply(4141, 't2', false), 2, 'turning export off removes the two OPENAI_ variables');
    assert.deepEqual([...c.map.keys()], ['CODEX_GATEWAY_URL']);
    assert.equal(c.apply(4242, 't2', false), 1);
    assert.equal(c.map.get('CODEX_GATEWAY_URL')!.value, 'http://127.0.0.1:4242/v1');
  });

  it('replaces a variable held by another mutator type (append/prepend) even with the same value', () => {
    const d = diffTerminalEnv((n) => (n === 'CODEX_GATEWAY_URL' ? { value: 'http://127.0.0.1:1/v1', replace: false } : undefined), desiredTerminalEnv(1, 'x', false));
    assert.deepEqual(d, { replace: [['CODEX_GATEWAY_URL', 'http://127.0.0.1:1/v1']], remove: [] });
  });

  it('property: after applying the diff the collection equals the desired env, and a second diff is empty', () => {
    const entry = fc.option(fc.record({ value: fc.string(), replace: fc.boolean() }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.tuple(entry, entry, entry),
        fc.integer({ min: 1024, max: 65535 }),
        fc.string({ minLength: 1 }),
        fc.boolean(),
        (initial, port, token, exp) => {
          const c = new FakeCollection();
          TERMINAL_VARS.forEach((n, i) => {
            if (initial[i]) c.map.set(n, initial[i]!);
          });
          c.apply(port, token, exp);
          const want = desiredTerminalEnv(port, token, exp);
          for (const n of TERMINAL_VARS) {
            assert.deepEqual(c.map.get(n), want[n] === undefined ? undefined : { value: want[n], replace: true });
          }
          assert.equal(c.apply(port, token, exp), 0);
        },
      ),
    );
  });
});
