/**
 * Property tests (fast-check, fixed seed printed at the start; `FUZZ_SEED=N` repeats another run) for two
 * config readers that take text from outside:
 * - wildcard aliases (src/gateway/config/wildcard.ts): any requested name is matched without throwing and in
 *   bounded time (the matcher must not backtrack: an `(.*)` regex with k stars is O(n^k)); the captures are
 *   exactly those of LiteLLM's greedy regex; an exact alias beats every pattern and the most specific pattern
 *   wins; a substituted model never contains `*`;
 * - the YAML 1.1 reader (src/gateway/config/yaml11.ts via parseConfigText): random scalars never make it
 *   throw anything but a ConfigError; a text field keeps the string as written; a PyYAML boolean word in a
 *   boolean field reads as PyYAML reads it.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { isMap, isScalar, parseDocument } from 'yaml';
import { ConfigError, parseConfigText, resolveConfig } from '../../src/gateway/config';
import { acceptableName, compilePattern, matchPattern, MAX_WILDCARD_NAME, patternCaptures, sortBySpecificity, substituteModel } from '../../src/gateway/config/wildcard';
import { Router } from '../../src/gateway/router';
import { GatewayError } from '../../src/gateway/errors';
import { fuzzSeed, ODD_STRINGS } from '../helpers/fuzz-arbitraries';

/** A pattern over a small alphabet (so random names often match, partly match, or almost match). */
const smallPattern = fc.array(fc.constantFrom('a', 'b', '-', '/', '.', '*', '*'), { minLength: 1, maxLength: 8 }).map((cs) => cs.join(''));
/** A name over the same alphabet (no `*`). */
const smallName = fc.array(fc.constantFrom('a', 'b', '-', '/', '.'), { maxLength: 14 }).map((cs) => cs.join(''));
/** Any requested name: ASCII, full Unicode, control characters, odd strings, very long ones. */
const anyName = fc.oneof(
  smallName,
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(...ODD_STRINGS.filter((s): s is string => typeof s === 'string')),
  fc.integer({ min: 1, max: 5000 }).map((n) => 'a'.repeat(n)),
  fc.constantFrom('*', 'openai/*', '**', 'openai/gpt-*'),
);

describe('fuzz: wildcard aliases (config/wildcard.ts)', function () {
  const seed = fuzzSeed();

  it('any requested name against any patterns: no throw, captures one per * that rebuild the name', () => {
    fc.assert(
      fc.property(fc.array(smallPattern, { minLength: 1, maxLength: 6 }), anyName, (patterns, name) => {
        const sorted = sortBySpecificity(patterns.map(compilePattern));
        const m = matchPattern(sorted, name);
        if (!m) return;
        assert.ok(acceptableName(name), 'only acceptable names match');
        const pieces = m.route.pattern.split('*');
        assert.equal(m.captures.length, pieces.length - 1);
        // The pattern with each * replaced by its capture is the name again.
        assert.equal(pieces.map((p, i) => p + (m.captures[i] ?? '')).join(''), name);
        // The first matching pattern in specificity order (no more specific one matches).
        const first = sorted.find((p) => patternCaptures(p.pattern, name) !== undefined);
        assert.equal(m.route, first);
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('captures equal those of LiteLLM\'s greedy regex (^…(.*)…$) on short names', () => {
    fc.assert(
      fc.property(smallPattern, smallName, (pattern, name) => {
        const re = compilePattern(pattern).regex.exec(name);
        assert.deepEqual(patternCaptures(pattern, name), re ? re.slice(1) : undefined, `${pattern} vs ${name}`);
      }),
      { seed, numRuns: 5000 },
    );
  });

  it('an exact alias beats every pattern; among patterns the longest regex wins', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/), fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/), async (prefix, rest) => {
        const name = `${prefix}/${rest}`;
        const yaml = [
          'model_list:',
          `  - model_name: "*"`,
          `    litellm_params: { model: "openai/any-*", api_key: k }`,
          `  - model_name: "${prefix}/*"`,
          `    litellm_params: { model: "openai/pfx-*", api_key: k }`,
          `  - model_name: "${name}"`,
          `    litellm_params: { model: "openai/exact", api_key: k }`,
          '',
        ].join('\n');
        const config = resolveConfig(parseConfigText(yaml, 'w.yaml'), { warn: () => undefined, env: () => undefined });
        const router = new Router(config);
        const served = async (n: string) => {
          const r = await router.run(n, async (d) => d);
          r.release({ ok: true });
          return r.value.model;
        };
        assert.equal(await served(name), 'exact');
        assert.equal(await served(`${prefix}/${rest}x`), `pfx-${rest}x`);
        assert.equal(await served(`zz${prefix}`), `any-zz${prefix}`);
      }),
      { seed, numRuns: 150 },
    );
  });

  it('a substituted model never contains *', () => {
    fc.assert(
      fc.property(smallPattern, smallPattern, anyName, (pattern, model, name) => {
        const m = matchPattern([compilePattern(pattern)], name);
        if (!m) return;
        const out = substituteModel(model, m.captures, name);
        assert.ok(!out.includes('*') || (!model.includes('*') && out === model), `${pattern} + ${model} for ${name} gave ${out}`);
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('pathological names against many-star patterns stay fast (no backtracking)', function () {
    const patterns = ['*-*-*-*-*-x', '*a*a*a*a*a*a*a*a*b', `${'*a'.repeat(30)}*b`, '**********x', '*/*/*/*/*/*/*'].map(compilePattern);
    const names = ['-'.repeat(MAX_WILDCARD_NAME), 'a'.repeat(MAX_WILDCARD_NAME), 'a'.repeat(MAX_WILDCARD_NAME - 1) + 'c', '/'.repeat(MAX_WILDCARD_NAME), `${'-a'.repeat(127)}-`];
    const sorted = sortBySpecificity(patterns);
    const t0 = performance.now();
    for (const n of names) matchPattern(sorted, n);
    const ms = performance.now() - t0;
    // A backtracking regex needs over a minute for the first pair alone.
    assert.ok(ms < 200, `matching took ${ms.toFixed(1)} ms`);
    fc.assert(
      fc.property(fc.array(smallPattern, { minLength: 1, maxLength: 4 }), fc.string({ unit: fc.constantFrom('a', '-', '/'), minLength: 200, maxLength: MAX_WILDCARD_NAME }), (ps, name) => {
        const t = performance.now();
        matchPattern(sortBySpecificity(ps.map(compilePattern)), name);
        assert.ok(performance.now() - t < 50, `${ps.join(' ')} on a ${name.length}-character name`);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('a name with * or outside printable ASCII never goes through a wildcard', () => {
    for (const n of ['*', 'openai/*', 'a b', 'a\nb', '', 'é', 'x'.repeat(MAX_WILDCARD_NAME + 1)]) assert.equal(matchPattern([compilePattern('*')], n), undefined, JSON.stringify(n));
  });
});

/* ------------------------------------------------------------------ YAML 1.1 scalars */

/** Plain scalars YAML 1.1 (PyYAML) and YAML 1.2 read differently, and ones they agree on. */
const AMBIGUOUS = ['yes', 'No', 'ON', 'off', 'y', 'n', '0755', '0o755', '09', '1:30', '1:30.5', '20_000', '1_0.5', '1e3', '1.0e+3', '.5', '.inf', '-.inf', '.nan', '0x1F', '0b101', '2024-10-21', '2024-10-21T10:00:00Z', '~', 'null', 'Null', 'true', 'False', '+12', '-0', '007', '1.', '1e-5'];
const scalar = fc.oneof(fc.constantFrom(...AMBIGUOUS), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:+-]{0,15}$/), fc.string({ maxLength: 20 }));

/** Whether YAML 1.2 (the `yaml` library's core schema) reads `s`, written plain, as a string; undefined when it is not one plain scalar. */
function reads12AsString(s: string): boolean | undefined {
  const doc = parseDocument(`v: ${s}\n`, { logLevel: 'silent' });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
  const node = isMap(doc.contents) && doc.contents.items.length === 1 ? doc.contents.items[0]!.value : undefined;
  if (!isScalar(node) || node.type !== 'PLAIN') return undefined;
  return typeof node.value === 'string' && node.value === s;
}

/** Runs parse + resolve; returns the raw parsed value, or the ConfigError; anything else is thrown. */
function readConfig(text: string): { raw?: any; error?: ConfigError } {
  let raw: any;
  try {
    raw = parseConfigText(text, 'fuzz.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return { error: e };
    throw e;
  }
  try {
    resolveConfig(raw, { warn: () => undefined, env: () => undefined });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
  return { raw };
}

describe('fuzz: YAML 1.1 scalars (config/yaml11.ts)', function () {
  const seed = fuzzSeed();

  it('random plain scalars anywhere: parse and resolve throw nothing but a ConfigError', () => {
    fc.assert(
      fc.property(fc.array(scalar, { minLength: 8, maxLength: 8 }), (s) => {
        const text = [
          'model_list:',
          `  - model_name: ${s[0]}`,
          '    litellm_params:',
          `      model: openai/${s[1]}`,
          `      api_base: ${s[2]}`,
          `      api_version: ${s[3]}`,
          `      timeout: ${s[4]}`,
          `      temperature: ${s[5]}`,
          `      extra_headers: { x-a: ${s[6]} }`,
          'router_settings:',
          `  num_retries: ${s[7]}`,
          '',
        ].join('\n');
        readConfig(text);
      }),
      { seed, numRuns: 400 },
    );
  });

  it('a text field keeps the string as written (model_name, model, api_version, header values)', () => {
    fc.assert(
      fc.property(scalar, (s) => {
        const asString = reads12AsString(s);
        const text = [
          'model_list:',
          `  - model_name: ${s}`,
          '    litellm_params:',
          `      model: ${s}`,
          `      api_version: ${s}`,
          '      extra_headers:',
          `        x-a: ${s}`,
          '',
        ].join('\n');
        const { raw, error } = readConfig(text);
        if (asString === undefined) return; // not one plain scalar: a syntax error or another structure is fine
        if (!asString) return; // YAML 1.2 reads a number, a boolean or null: both readers agree or the schema judges it
        assert.ok(!error, `a plain string scalar ${JSON.stringify(s)} made the file unreadable: ${error?.message}`);
        const e = raw.model_list[0];
        assert.equal(e.model_name, s);
        assert.equal(e.litellm_params.model, s);
        assert.equal(e.litellm_params.api_version, s);
        assert.equal(e.litellm_params.extra_headers['x-a'], s);
      }),
      { seed, numRuns: 1500 },
    );
  });

  it('the same text quoted is always kept as written', () => {
    fc.assert(
      fc.property(scalar, (s) => {
        const q = JSON.stringify(s);
        const { raw, error } = readConfig(`model_list:\n  - model_name: ${q}\n    litellm_params:\n      model: ${q}\n`);
        assert.ok(!error, error?.message);
        assert.equal(raw.model_list[0].model_name, s);
        assert.equal(raw.model_list[0].litellm_params.model, s);
      }),
      { seed, numRuns: 800 },
    );
  });

  it("PyYAML's boolean words read as booleans in a boolean field, as LiteLLM reads them", () => {
    const truthy = ['yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE'];
    const falsy = ['no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE'];
    fc.assert(
      fc.property(fc.constantFrom(...truthy, ...falsy, 'y', 'n'), (w) => {
        const { raw } = readConfig(`litellm_settings:\n  drop_params: ${w}\n`);
        const expected = truthy.includes(w) ? true : falsy.includes(w) ? false : w; // PyYAML 6 has no y/n booleans
        assert.equal(raw.litellm_settings.drop_params, expected);
      }),
      { seed, numRuns: 100 },
    );
  });
});

describe('fuzz: wildcard names through the router', function () {
  it('an unknown name that matches nothing is a 4xx GatewayError, never another error', async () => {
    const config = resolveConfig(parseConfigText('model_list:\n  - model_name: "openai/*"\n    litellm_params: { model: "openai/*", api_key: k }\n', 'w.yaml'), { warn: () => undefined, env: () => undefined });
    const router = new Router(config);
    await fc.assert(
      fc.asyncProperty(anyName, async (name) => {
        try {
          const r = await router.run(name, async (d) => d);
          r.release({ ok: true });
          assert.ok(!r.value.model.includes('*'), `${JSON.stringify(name)} was served as ${r.value.model}`);
          assert.ok(name.startsWith('openai/'));
        } catch (e) {
          assert.ok(e instanceof GatewayError && e.status >= 400 && e.status < 500, `${JSON.stringify(name)}: ${String(e)}`);
        }
      }),
      { seed: fuzzSeed(), numRuns: 1500 },
    );
  });
});
