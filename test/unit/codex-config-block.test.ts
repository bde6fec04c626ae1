/**
 * The config.toml block `codex-gateway codex-config` prints (src/gateway/codex/config-block.ts) for configs
 * with only wildcard `model_name` entries: no alias to put in `model`, so the block leaves it unset and its
 * comment says which names Codex may pick. The text is checked with a real TOML parser (smol-toml).
 */
import assert from 'node:assert/strict';
import { codexConfigBlock, patternHint, pickModelHint } from '../../src/gateway/codex/config-block';

const toml = require('smol-toml') as typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });

const base = { baseUrl: 'http://127.0.0.1:4000/v1', tokenFile: '/t/master_key', platform: 'linux' as const };

describe('codexConfigBlock with wildcard-only configs', () => {
  it('patternHint / pickModelHint: each * reads <name>; a bare * is any model name; long lists are cut', () => {
    assert.equal(patternHint('openai/*'), 'openai/<name>');
    assert.equal(patternHint('anthropic/claude-*-latest'), 'anthropic/claude-<name>-latest');
    assert.equal(pickModelHint(['openai/*']), 'pick a model: any openai/<name>');
    assert.equal(pickModelHint(['openai/*', 'groq/*']), 'pick a model: any openai/<name> or groq/<name>');
    assert.equal(pickModelHint(['a/*', 'b/*', 'c/*', 'd/*']), 'pick a model: any a/<name>, b/<name> or c/<name>, ...');
    assert.equal(pickModelHint(['openai/*', '*']), 'pick a model: any model name');
  });

  it('leaves model unset and names the patterns in the comment', () => {
    const text = codexConfigBlock({ ...base, modelPatterns: ['openai/*'] });
    assert.match(text, /^# model = "openai\/<name>"  # pick a model: any openai\/<name> \(config\.yaml has only wildcard model_name entries\)$/m);
    const doc = toml.parse(text) as Record<string, unknown>;
    assert.equal(doc.model, undefined);
    assert.equal(doc.model_provider, 'codex-gateway');
  });

  it('an explicit model (--model) or a plain alias wins over the hint; no patterns keeps the alias comment', () => {
    assert.equal((toml.parse(codexConfigBlock({ ...base, model: 'openai/gpt-5.5', modelPatterns: ['openai/*'] })) as Record<string, unknown>).model, 'openai/gpt-5.5');
    assert.match(codexConfigBlock({ ...base, modelPatterns: [] }), /^# model = "<alias>"  # one of the gateway aliases/m);
    assert.match(codexConfigBlock(base), /^# model = "<alias>"/m);
  });
});
