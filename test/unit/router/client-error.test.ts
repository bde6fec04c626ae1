/**
 * toClientError: every FailureKind maps to the status / type / code / headers Codex reacts to, and no
 * message ever carries a key value (keys are generated at runtime here).
 */

import assert from 'node:assert/strict';
import { UpstreamError, type FailureKind } from '../../../src/gateway/errors';
import { CLIENT_ERROR_TABLE, redactSecrets, toClientError, unknownAliasError } from '../../../src/gateway/router';
import { dep, fakeKey } from './helpers';

const KINDS: FailureKind[] = ['rate_limit', 'server', 'bad_response', 'timeout', 'connection', 'auth', 'not_found', 'bad_request', 'context_window', 'not_implemented'];

describe('toClientError', () => {
  const expected: Record<FailureKind, { status: number; type: string; code: string | null }> = {
    rate_limit: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
    server: { status: 502, type: 'server_error', code: 'upstream_error' },
    bad_response: { status: 502, type: 'server_error', code: 'bad_upstream_response' },
    timeout: { status: 504, type: 'timeout_error', code: 'upstream_timeout' },
    connection: { status: 502, type: 'server_error', code: 'upstream_unreachable' },
    auth: { status: 400, type: 'authentication_error', code: 'invalid_api_key' },
    not_found: { status: 400, type: 'invalid_request_error', code: 'model_not_found' },
    bad_request: { status: 400, type: 'invalid_request_error', code: null },
    context_window: { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded' },
    not_implemented: { status: 501, type: 'server_error', code: 'not_implemented' },
  };

  it('has a table row for every failure kind', () => {
    assert.deepEqual(Object.keys(CLIENT_ERROR_TABLE).sort(), [...KINDS].sort());
  });

  for (const kind of KINDS) {
    it(`maps ${kind} to HTTP ${expected[kind].status} without leaking a key`, () => {
      const envKey = fakeKey();
      const literal = fakeKey();
      for (const d of [
        dep('coder', { id: 'c', provider: 'deepseek', model: 'deepseek-chat', apiKey: { kind: 'env', name: 'DEEPSEEK_API_KEY' } }),
        dep('coder', { id: 'c', provider: 'deepseek', model: 'deepseek-chat', apiKey: { kind: 'literal', value: literal }, index: 3 }),
      ]) {
        const e = new UpstreamError(kind, `upstream said: bad key ${envKey} / ${literal} Bearer ${envKey}`, kind === 'auth' ? 401 : 500);
        const ge = toClientError(e, { alias: 'coder', deployment: d });
        assert.equal(ge.status, expected[kind].status);
        assert.equal(ge.type, expected[kind].type);
        assert.equal(ge.code, expected[kind].code);
        assert.ok(!ge.message.includes(envKey), ge.message);
        assert.ok(!ge.message.includes(literal), ge.message);
        assert.ok(!JSON.stringify(ge.toBody()).includes(envKey));
        assert.ok(ge.message.includes("'coder'"), ge.message);
        assert.equal(ge.headers['Retry-After'] !== undefined, kind === 'rate_limit');
      }
    });
  }

  it('names the env var of the key and says what to do on auth failures', () => {
    const d = dep('coder', { provider: 'deepseek', apiKey: { kind: 'env', name: 'DEEPSEEK_API_KEY' } });
    const ge = toClientError(new UpstreamError('auth', 'Authentication Fails', 401), { alias: 'coder', deployment: d });
    assert.match(ge.message, /deepseek rejected the API key/);
    assert.match(ge.message, /DEEPSEEK_API_KEY/);
    assert.match(ge.message, /Codex Gateway: Set Provider Key/);
    assert.match(ge.message, /export DEEPSEEK_API_KEY/);
  });

  it('names model_list[i] for a literal key, never its value', () => {
    const key = fakeKey();
    const d = dep('coder', { provider: 'openai', apiKey: { kind: 'literal', value: key } });
    d.index = 4;
    const ge = toClientError(new UpstreamError('auth', `Incorrect API key provided: ${key}`, 401), { alias: 'coder', deployment: d });
    assert.match(ge.message, /the api_key in model_list\[4\]/);
    assert.ok(!ge.message.includes(key));
    assert.ok(!ge.message.includes(key.slice(3, 20)));
  });

  it('tells how to add a key when none is configured', () => {
    const d = dep('coder', { provider: 'groq', apiKey: { kind: 'none' } });
    const ge = toClientError(new UpstreamError('auth', 'missing key', 401), { alias: 'coder', deployment: d });
    assert.match(ge.message, /os\.environ\/GROQ_API_KEY/);
  });

  it("sends the upstream's Retry-After in whole seconds, else the cooldown estimate, else 5 s", () => {
    const d = dep('m');
    const rl = (ms?: number) => new UpstreamError('rate_limit', 'slow down', 429, ms);
    assert.equal(toClientError(rl(2_500), { alias: 'm', deployment: d }).headers['Retry-After'], '3');
    assert.equal(toClientError(rl(100), { alias: 'm', deployment: d }).headers['Retry-After'], '1');
    assert.equal(toClientError(rl(), { alias: 'm', deployment: d, retryAfterMs: 1_200 }).headers['Retry-After'], '2');
    assert.equal(toClientError(rl(), { alias: 'm', deployment: d }).headers['Retry-After'], '5');
  });

  it('turns insufficient_quota into a 429 insufficient_quota without Retry-After', () => {
    const ge = toClientError(new UpstreamError('rate_limit', 'You exceeded your current quota', 429, 1_000, 'insufficient_quota'), { alias: 'm', deployment: dep('m', { provider: 'openai' }) });
    assert.equal(ge.status, 429);
    assert.equal(ge.code, 'insufficient_quota');
    assert.deepEqual(ge.headers, {});
    assert.match(ge.message, /no quota left/);
  });

  it('names only the host of api_base on connection errors', () => {
    const d = dep('local', { apiBase: 'http://user:pw@10.0.0.5:11434/v1?key=abc123' });
    const ge = toClientError(new UpstreamError('connection', 'connect ECONNREFUSED 10.0.0.5:11434', 0), { alias: 'local', deployment: d });
    assert.match(ge.message, /^Could not reach 10\.0\.0\.5:11434 /);
    assert.ok(!ge.message.includes('abc123'));
    assert.ok(!ge.message.includes('pw@'));
  });

  it('names the upstream model on not_found, and passes the upstream message on bad_request', () => {
    const d = dep('coder', { provider: 'dashscope', model: 'qwen-maxx' });
    const nf = toClientError(new UpstreamError('not_found', 'model not found', 404), { alias: 'coder', deployment: d });
    assert.match(nf.message, /dashscope has no model 'qwen-maxx'/);
    assert.equal(nf.param, 'model');
    const br = toClientError(new UpstreamError('bad_request', 'temperature must be <= 1', 400, undefined, 'invalid_value'), { alias: 'coder', deployment: d });
    assert.match(br.message, /temperature must be <= 1/);
    assert.equal(br.code, 'invalid_value');
  });

  it('works without a deployment', () => {
    const ge = toClientError(new UpstreamError('rate_limit', 'all deployments cooling down', 429, 4_000), { alias: 'm' });
    assert.equal(ge.status, 429);
    assert.equal(ge.headers['Retry-After'], '4');
    assert.match(ge.message, /model 'm' is temporarily unavailable/);
  });
});

describe('unknownAliasError', () => {
  it('says there are no models when model_list is empty', () => {
    const e = unknownAliasError('x', []);
    assert.equal(e.status, 400);
    assert.match(e.message, /no models yet/);
  });

  it('shortens long lists of known aliases', () => {
    const known = Array.from({ length: 40 }, (_, i) => `model-${i}`);
    const e = unknownAliasError('other', known);
    assert.match(e.message, /and 10 more/);
  });
});

describe('redactSecrets', () => {
  it('removes key-shaped tokens, bearer tokens, key=value pairs and URL query strings', () => {
    const k = fakeKey();
    const out = redactSecrets(`key ${k}; Authorization: Bearer abc.def; api_key=hunter2; see https://x.test/v1/models?key=zzz&a=1 ok`);
    assert.ok(!out.includes(k));
    assert.ok(!out.includes('abc.def'));
    assert.ok(!out.includes('hunter2'));
    assert.ok(!out.includes('zzz'));
    assert.match(out, /https:\/\/x\.test\/v1\/models ok/);
  });

  it('removes a known literal secret verbatim', () => {
    assert.equal(redactSecrets('token plainvalue99 here', 'plainvalue99'), 'token [redacted] here');
  });
});
