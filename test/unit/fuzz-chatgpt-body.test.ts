/**
 * Property test (fast-check, fixed seed printed at the start; `FUZZ_SEED=N` repeats another run) of the
 * ChatGPT plan's request building (src/gateway/chatgpt/backend.ts) on the path the proxy takes for a
 * `chatgpt/<model>` deployment: the door's request check, then the Responses relay (a Responses client) or
 * the hub translation (Chat and Messages clients), then `chatgptBody` and `chatgptHeaders`. For random,
 * partly hostile requests, either the gateway refuses the request with a 4xx GatewayError, or the built
 * request passes every rule of the ChatGPT backend as the mock enforces them (`chatgptRequestProblem` of
 * test/helpers/chatgpt-backend-mock.ts: streamed, not stored, instructions, a list input, only the fields
 * Codex sends, the bearer and account id, no cookie), whatever headers the deployment adds.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chatgptBody, chatgptHeaders } from '../../src/gateway/chatgpt/backend';
import { GatewayError } from '../../src/gateway/errors';
import { checkRequestBody, type CheckedRoute } from '../../src/gateway/request-check';
import { DOORS, UPSTREAMS } from '../../src/gateway/wires/registry';
import type { Wire } from '../../src/gateway/wires/types';
import { chatgptRequestProblem, PLAN_MODELS } from '../helpers/chatgpt-backend-mock';
import { chatRequest, fuzzSeed, messagesRequest, responsesRequest } from '../helpers/fuzz-arbitraries';
import type { RecordedRequest } from '../helpers/mock-upstream';

const AUTH = { accessToken: 'eyJhbGciOiJub25lIn0.eyJmdXp6Ijp0cnVlfQ.sig', accountId: '0b7e3c9a-0000-4000-8000-00000000f022' };
const MODEL = PLAN_MODELS[0]!;
const ROUTE: Record<Wire, CheckedRoute> = { responses: '/v1/responses', chat: '/v1/chat/completions', messages: '/v1/messages' };

/** Header names a deployment's `extra_headers` may try to set (the gateway's own ones must win). */
const headerName = fc.constantFrom('cookie', 'Cookie', 'Authorization', 'chatgpt-account-id', 'ChatGPT-Account-Id', 'originator', 'User-Agent', 'x-trace', 'OpenAI-Beta', 'Accept');

/**
 * The backend request the proxy would send for `body` from `door`, or the GatewayError that refused it.
 * Mirrors proxy.ts `attempt`: the relay on the door's own wire (`responses`), the hub for the others.
 */
function build(door: Wire, body: Record<string, unknown>): { body: Record<string, unknown> } | GatewayError {
  try {
    checkRequestBody(ROUTE[door], body);
    const opts = { model: MODEL, provider: 'chatgpt', dropParams: false, dropParamNames: new Set<string>(), stream: true };
    const dropped = new Set<string>();
    if (door === 'responses') {
      const relayed = UPSTREAMS.responses.relayBody({ ...body, model: MODEL }, { ...opts, alias: 'plan', providerName: 'ChatGPT plan' });
      return { body: chatgptBody(relayed, dropped) };
    }
    const built = UPSTREAMS.responses.build(DOORS[door].parse(body), opts);
    return { body: chatgptBody(built.body, dropped) };
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
}

/** The request as the mock backend would record it (JSON round trip, lower-case header names). */
function recorded(body: Record<string, unknown>, headers: Record<string, string>): RecordedRequest {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  return { method: 'POST', path: '/backend-api/codex/responses', query: {}, headers: h, body: JSON.parse(JSON.stringify(body)), aborted: false, upstream: 'fuzz', receivedAt: Date.now() };
}

describe('fuzz: ChatGPT plan request building (chatgpt/backend.ts)', function () {
  const seed = fuzzSeed();
  const text = fc.string({ maxLength: 30 });
  const tool = fc.record({ name: fc.stringMatching(/^[a-z_]{1,12}$/), description: text });
  /** Well-formed Chat requests (system / developer / user / assistant turns, optional tools and sampling). */
  const plainChat = fc
    .record({
      system: fc.option(fc.record({ role: fc.constantFrom('system', 'developer'), content: text }), { nil: undefined }),
      turns: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: text }), { minLength: 1, maxLength: 4 }),
      tools: fc.option(fc.array(tool.map((t) => ({ type: 'function', function: { ...t, parameters: { type: 'object', properties: {} } } })), { maxLength: 2 }), { nil: undefined }),
      max_tokens: fc.option(fc.integer({ min: 1, max: 4096 }), { nil: undefined }),
      temperature: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
      stream: fc.boolean(),
    })
    .map(({ system, turns, ...rest }) => JSON.parse(JSON.stringify({ model: 'plan', messages: [...(system ? [system] : []), ...turns, { role: 'user', content: 'go' }], ...rest })));
  /** Well-formed Messages requests (system as text or blocks, text turns, optional tools and sampling). */
  const plainMessages = fc
    .record({
      system: fc.option(fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 2 })), { nil: undefined }),
      turns: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: text.map((t) => t || 'x') }), { maxLength: 3 }),
      tools: fc.option(fc.array(tool.map((t) => ({ ...t, input_schema: { type: 'object', properties: {} } })), { maxLength: 2 }), { nil: undefined }),
      temperature: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
      stream: fc.boolean(),
    })
    .map(({ turns, ...rest }) => JSON.parse(JSON.stringify({ model: 'plan', max_tokens: 1024, messages: [...turns, { role: 'user', content: 'go' }], ...rest })));
  const requests: Record<Wire, fc.Arbitrary<Record<string, unknown>>> = {
    responses: fc.oneof(responsesRequest(0), responsesRequest(1)),
    chat: fc.oneof(plainChat, chatRequest(0), chatRequest(1)),
    messages: fc.oneof(plainMessages, messagesRequest(0), messagesRequest(1)),
  };

  for (const door of ['responses', 'chat', 'messages'] as const) {
    it(`${ROUTE[door]}: every request is refused with a 4xx or built into one the backend takes`, () => {
      let built = 0;
      let refused = 0;
      fc.assert(
        fc.property(requests[door], fc.dictionary(headerName, fc.string({ maxLength: 12 }), { maxKeys: 4 }), (body, extra) => {
          const r = build(door, body);
          if (r instanceof GatewayError) {
            assert.ok(r.status >= 400 && r.status < 500, `a ${r.status} refusal: ${r.message}`);
            refused++;
            return;
          }
          built++;
          const headers = chatgptHeaders({ extraHeaders: extra }, AUTH);
          const problem = chatgptRequestProblem(recorded(r.body, headers), AUTH);
          assert.equal(problem, undefined, `the backend would refuse it (${problem?.status} ${problem?.detail}): ${JSON.stringify(r.body).slice(0, 400)}`);
          // Not in the backend's rules but in ours: the gateway's own reasoning items never reach the backend.
          assert.ok(Array.isArray(r.body.include) && (r.body.include as unknown[]).includes('reasoning.encrypted_content'));
        }),
        { seed, numRuns: 1500 },
      );
      // The arbitraries are mostly well-formed: a run that built nothing would prove nothing.
      assert.ok(built > 200, `only ${built} requests were built (${refused} refused)`);
    });
  }
});
