/**
 * Golden tests: every JSON file in ./golden is one case (input -> expected), run through the real
 * translator and compared with deep equality. Cases whose names start with `codex-` use request bodies
 * captured from the real Codex CLI 0.169.0 (see golden/README.md for how they were captured).
 * `UPDATE_GOLDEN=1` rewrites `expected` from the current output (review the diff by hand).
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCase, type GoldenCase } from './golden-runner';

const dir = join(__dirname, 'golden');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('translate golden cases', () => {
  it('has the expected set of cases', () => {
    assert.ok(files.length >= 30, `only ${files.length} golden files found in ${dir}`);
    for (const prefix of ['request-', 'response-', 'stream-', 'codex-']) {
      assert.ok(files.some((f) => f.startsWith(prefix)), `no ${prefix}* golden case`);
    }
  });

  for (const file of files) {
    it(file.replace(/\.json$/, ''), () => {
      const path = join(dir, file);
      const c = JSON.parse(readFileSync(path, 'utf8')) as GoldenCase;
      const actual = runCase(c);
      if (process.env.UPDATE_GOLDEN === '1') {
        c.expected = actual;
        writeFileSync(path, JSON.stringify(c, null, 2) + '\n');
        return;
      }
      assert.ok(c.expected !== undefined, `${file} has no "expected" (run once with UPDATE_GOLDEN=1 and review it)`);
      assert.deepStrictEqual(actual, c.expected);
    });
  }
});
