/**
 * A test that fails on purpose, registered only when HARNESS_FIXTURE_INCLUDE_FAILING=1: fixture.test.ts uses it
 * to prove that a failing in-host test makes the harness report exit code 1 (and the failure's message).
 */
import * as assert from 'node:assert/strict';

if (process.env.HARNESS_FIXTURE_INCLUDE_FAILING === '1') {
  describe('deliberate failure', () => {
    it('fails with a recognisable message', () => {
      assert.equal(1 + 1, 3, 'deliberate failure to check the harness exit code');
    });
  });
}
