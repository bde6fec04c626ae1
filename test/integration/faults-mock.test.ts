/**
 * The fault mock itself (test/helpers/fault-upstream.ts), seen from a raw HTTP client (node:http): each
 * fault, on each wire (chat, responses, messages), streamed and not, does on the wire what FAULTS says, and the exchange records
 * (who closed, when, what text went out) are right. The fault matrix (faults.test.ts) and the soak test
 * rely on this: a fault that quietly did something else would make their verdicts meaningless.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { fakeKey } from '../helpers/gateway';
import { CHATGPT_FAULT_MODEL, closedPortUrl, faultApplies, FAULT_NAMES, FaultUpstream, WIRES, type AnswerMode, type Exchange, type FaultName, type FaultWire } from '../helpers/fault-upstream';

/** The `ChatGPT-Account-Id` the chatgpt wire's self-tests send (not a secret). */
const ACCOUNT_ID = '7d1c0f52-0000-4000-8000-00000000c0de';

/** How long a client waits to call a reply "hanging". Longer than keepalive_only's 200 ms comment period. */
const OBSERVE_MS = 450;

/** What a raw client saw. */
interface Seen {
  status?: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body ended normally. */
  ended: boolean;
  /** Network error code or message (reset, hang-up, aborted response). */
  error?: string;
  /** Nothing ended within OBSERVE_MS (the client then closed the connection). */
  hung: boolean;
}

/**
 * The request headers carrying `key` the way `wire` sends it (Bearer; Anthropic's x-api-key and version;
 * the ChatGPT backend's bearer, account id, originator and User-Agent).
 */
function authHeaders(wire: FaultWire, key: string): Record<string, string> {
  if (wire === 'chatgpt') return { authorization: `Bearer ${key}`, 'chatgpt-account-id': ACCOUNT_ID, originator: 'codex_gateway', 'user-agent': 'codex-gateway/test' };
  return wire === 'messages' ? { 'x-api-key': key, 'anthropic-version': '2023-06-01' } : { authorization: `Bearer ${key}` };
}

/** A minimal valid request body of `wire`. */
function bodyFor(wire: FaultWire, mode: AnswerMode): Record<string, unknown> {
  const stream = mode === 'stream';
  if (wire === 'chat') return { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream };
  if (wire === 'messages') return { model: 'm', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], stream };
  if (wire === 'chatgpt') return { model: CHATGPT_FAULT_MODEL, instructions: 'Be brief.', input: [{ type: 'message', role: 'user', content: 'hi' }], stream, store: false };
  return { model: 'm', input: 'hi', stream };
}

function post(url: string, path: string, key: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${key}` }): Promise<Seen> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const seen: Seen = { headers: {}, body: '', ended: false, hung: false };
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(seen);
    };
    const req = httpRequest(
      { host: u.hostname, port: u.port, method: 'POST', path, headers: { ...headers, 'content-type': 'application/json' } },
      (res) => {
        seen.status = res.statusCode;
        seen.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (c: string) => (seen.body += c));
        res.on('end', () => {
          seen.ended = true;
          done();
        });
        res.on('aborted', () => {
          seen.error ??= 'aborted';
          done();
        });
        res.on('error', (e: NodeJS.ErrnoException) => {
          seen.error ??= e.code ?? e.message;
          done();
        });
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (seen.hung) return;
      seen.error ??= e.code ?? e.message;
      done();
    });
    const timer = setTimeout(() => {
      seen.hung = true;
      req.destroy();
      done();
    }, OBSERVE_MS);
    req.end(JSON.stringify(body));
  });
}

interface Parsed {
  events: (EventSourceMessage & { json?: any; bad?: boolean })[];
}

function sse(body: string): Parsed {
  const events: Parsed['events'] = [];
  const p = createParser({ onEvent: (e) => events.push(e) });
  p.feed(body);
  for (const e of events) {
    if (e.data === '[DONE]') continue;
    try {
      (e as any).json = JSON.parse(e.data);
    } catch {
      (e as any).bad = true;
    }
  }
  return { events };
}

/** Per wire: the text a parsed stream carries, whether it reached its terminal marker, what an in-stream error looks like. */
const RESPONSES_READ = {
  text: (p: Parsed) => p.events.map((e) => (e.json?.type === 'response.output_text.delta' ? e.json.delta : '')).join(''),
  terminal: (p: Parsed) => p.events.some((e) => e.json?.type === 'response.completed'),
  isError: (e: Parsed['events'][number]) => e.event === 'error' && e.json?.type === 'error',
  jsonText: (j: any) => j?.output?.[0]?.content?.[0]?.text,
};

const READ: Record<FaultWire, { text(p: Parsed): string; terminal(p: Parsed): boolean; isError(e: Parsed['events'][number]): boolean; jsonText(j: any): string }> = {
  chat: {
    text: (p) => p.events.map((e) => e.json?.choices?.[0]?.delta?.content ?? '').join(''),
    terminal: (p) => p.events.some((e) => e.data === '[DONE]' || e.json?.choices?.some((c: any) => c.finish_reason != null)),
    isError: (e) => e.json?.error !== undefined,
    jsonText: (j) => j?.choices?.[0]?.message?.content,
  },
  responses: RESPONSES_READ,
  chatgpt: RESPONSES_READ,
  messages: {
    text: (p) => p.events.map((e) => (e.json?.type === 'content_block_delta' && e.json.delta?.type === 'text_delta' ? e.json.delta.text : '')).join(''),
    // message_delta carries the stop reason and message_stop ends the message (Anthropic "Streaming Messages").
    terminal: (p) => p.events.some((e) => e.json?.type === 'message_stop' || e.json?.type === 'message_delta'),
    isError: (e) => e.event === 'error' && e.json?.type === 'error' && typeof e.json.error?.type === 'string',
    jsonText: (j) => (j?.type === 'message' ? j.content?.[0]?.text : undefined),
  },
};

/** Anthropic error type expected for each status the fault mock answers on the messages wire. */
const ANTHROPIC_TYPES: Record<number, string> = { 401: 'authentication_error', 429: 'rate_limit_error', 500: 'api_error', 502: 'api_error', 503: 'overloaded_error', 529: 'overloaded_error' };

/** The error body is in the wire's shape: OpenAI `{"error": {message, type, param, code}}`, or Anthropic's `{"type": "error", "error": {type, message}}`. */
function assertErrorShape(wire: FaultWire, j: any, status: number | null, ctx: string): void {
  if (wire === 'messages') {
    assert.deepEqual(Object.keys(j).sort(), ['error', 'type'], `Anthropic error body${ctx}`);
    assert.equal(j.type, 'error', ctx);
    assert.deepEqual(Object.keys(j.error).sort(), ['message', 'type'], ctx);
    assert.equal(j.error.type, status === null ? 'api_error' : ANTHROPIC_TYPES[status], ctx);
  } else {
    assert.deepEqual(Object.keys(j), ['error'], ctx);
    assert.deepEqual(Object.keys(j.error).sort(), ['code', 'message', 'param', 'type'], `OpenAI error body${ctx}`);
  }
  assert.equal(typeof j.error.message, 'string', ctx);
}

/** What a fault must look like on the wire, and who must have closed the exchange. */
function check(fault: FaultName, wire: FaultWire, mode: AnswerMode, s: Seen, x: Exchange, key: string, text: string): void {
  const r = READ[wire];
  const p = sse(s.body);
  const jsonOf = () => JSON.parse(s.body);
  const isJson = () => {
    try {
      JSON.parse(s.body);
      return true;
    } catch {
      return false;
    }
  };
  // Assertion messages must not carry the key (the run's key scan would flag them).
  const ctx = `\nseen: ${JSON.stringify({ ...s, body: s.body.slice(0, 400) })}\nexchange: ${JSON.stringify({ closedBy: x.closedBy, sentText: x.sentText })}`.split(key).join('<key>');
  const closedBy = (who: Exchange['closedBy']) => assert.equal(x.closedBy, who, `closedBy${ctx}`);
  const partialStream = () => {
    assert.equal(s.status, 200, ctx);
    assert.ok(p.events.length > 0 && p.events.every((e) => !e.bad), `complete JSON events first${ctx}`);
    assert.ok(!r.terminal(p), `no terminal marker${ctx}`);
    assert.ok(r.text(p).length > 0 && text.startsWith(r.text(p)) && r.text(p) !== text, `a proper prefix of the text${ctx}`);
    assert.equal(x.sentText, r.text(p), `sentText is the prefix's text${ctx}`);
  };
  const partialJson = () => {
    assert.equal(s.status, 200, ctx);
    assert.ok(s.body.length > 0 && !isJson(), `a partial JSON body${ctx}`);
  };
  const keyQuoted = () => assert.ok(s.body.includes(key), `the error text quotes the key${ctx}`);
  switch (fault) {
    case 'healthy':
    case 'healthy_fragmented':
    case 'healthy_keepalive':
    case 'healthy_no_done':
      assert.equal(s.status, 200, ctx);
      assert.ok(s.ended, ctx);
      if (mode === 'json') assert.equal(r.jsonText(jsonOf()), text, ctx);
      else {
        assert.ok(p.events.every((e) => !e.bad), ctx);
        assert.equal(r.text(p), text, ctx);
        assert.ok(r.terminal(p), ctx);
        if (fault === 'healthy_keepalive') assert.match(s.body, /^: keep-alive\n\n/, ctx);
        if (wire === 'messages') {
          // Anthropic "Streaming Messages": every event named as its data's type, message_start first, message_stop last.
          assert.ok(p.events.every((e) => e.event === e.json?.type), `event names equal data types${ctx}`);
          assert.equal(p.events[0]?.json?.type, 'message_start', ctx);
          assert.equal(p.events.at(-1)?.json?.type, 'message_stop', ctx);
        }
        assert.equal(p.events.some((e) => e.data === '[DONE]'), wire === 'chat' && fault !== 'healthy_no_done', `[DONE] only where the wire has it${ctx}`);
        if (wire === 'chatgpt') {
          // The ChatGPT backend's response.completed carries no output: clients rebuild it from the items.
          assert.deepEqual(p.events.find((e) => e.json?.type === 'response.completed')?.json?.response?.output, [], `empty completed output${ctx}`);
          assert.equal(p.events.find((e) => e.json?.type === 'response.output_item.done')?.json?.item?.content?.[0]?.text, text, ctx);
        }
      }
      assert.equal(x.sentText, text, ctx);
      if (fault === 'healthy_fragmented') assert.ok(x.writes.length >= (mode === 'json' ? 3 : 2 * p.events.length), `written in pieces${ctx}`);
      return closedBy('mock-end');
    case 'rate_limit_retry_after':
    case 'rate_limit':
      assert.equal(s.status, 429, ctx);
      assert.equal(s.headers['retry-after'], fault === 'rate_limit' ? undefined : '1', ctx);
      assertErrorShape(wire, jsonOf(), 429, ctx);
      keyQuoted();
      return closedBy('mock-end');
    case 'http_500':
    case 'http_502':
    case 'http_503':
    case 'http_529':
      assert.equal(s.status, Number(fault.slice(5)), ctx);
      assertErrorShape(wire, jsonOf(), Number(fault.slice(5)), ctx);
      keyQuoted();
      return closedBy('mock-end');
    case 'usage_limit': {
      assert.equal(s.status, 429, ctx);
      const e = jsonOf().error;
      assert.equal(e?.type, 'usage_limit_reached', ctx);
      assert.equal(e.resets_in_seconds, 60, ctx);
      assert.ok(Math.abs(e.resets_at - (Math.floor(Date.now() / 1000) + 60)) <= 2, `resets_at is about now + resets_in_seconds${ctx}`);
      keyQuoted();
      return closedBy('mock-end');
    }
    case 'unauthorized':
      assert.equal(s.status, 401, ctx);
      assertErrorShape(wire, jsonOf(), 401, ctx);
      assert.equal(jsonOf().error.code, 'token_expired', ctx);
      keyQuoted();
      return closedBy('mock-end');
    case 'reset_before_headers':
      assert.equal(s.status, undefined, ctx);
      assert.ok(s.error === 'ECONNRESET' || /socket hang up/.test(s.error ?? ''), ctx);
      return closedBy('mock-reset');
    case 'no_headers':
      assert.equal(s.status, undefined, ctx);
      assert.ok(s.hung, ctx);
      return closedBy('peer');
    case 'headers_no_body':
      assert.equal(s.status, 200, ctx);
      assert.match(String(s.headers['content-type']), mode === 'json' ? /application\/json/ : /text\/event-stream/, ctx);
      assert.ok(s.hung && s.body === '', ctx);
      return closedBy('peer');
    case 'keepalive_only':
      assert.equal(s.status, 200, ctx);
      assert.ok(s.hung && p.events.length === 0 && s.body.includes(': keep-alive'), ctx);
      return closedBy('peer');
    case 'stall_mid_body':
      assert.ok(s.hung, ctx);
      if (mode === 'json') partialJson();
      else partialStream();
      return closedBy('peer');
    case 'reset_mid_body':
      assert.ok(!s.ended && s.error !== undefined, `the body is cut by a reset${ctx}`);
      if (mode === 'json') partialJson();
      else partialStream();
      return closedBy('mock-reset');
    case 'cut_mid_line':
      assert.ok(s.ended && !s.body.endsWith('\n'), `a clean end in the middle of a line${ctx}`);
      partialStream();
      return closedBy('mock-end');
    case 'malformed_sse': {
      assert.ok(s.ended, ctx);
      const bad = p.events.findIndex((e) => e.bad);
      assert.ok(bad > 0, `a non-JSON event after some good ones${ctx}`);
      assert.ok(r.text({ events: p.events.slice(0, bad) }).length > 0, ctx);
      assert.ok(r.terminal({ events: p.events.slice(bad) }), `the stream goes on to its end${ctx}`);
      assert.equal(x.sentText, r.text({ events: p.events.slice(0, bad) }), ctx);
      return closedBy('mock-end');
    }
    case 'invalid_json':
      assert.equal(s.status, 200, ctx);
      assert.ok(s.ended, ctx);
      if (mode === 'json') assert.ok(s.body.length > 0 && !isJson(), ctx);
      else assert.ok(p.events[0]?.bad && r.terminal(p), `first event not JSON, the rest healthy${ctx}`);
      return closedBy('mock-end');
    case 'truncated_json':
      assert.equal(s.status, 200, ctx);
      assert.ok(s.ended && s.body.length > 0, ctx);
      if (mode === 'json') assert.ok(!isJson(), ctx);
      else assert.ok(p.events.length === 0 && !s.body.endsWith('\n'), `half a first frame${ctx}`);
      return closedBy('mock-end');
    case 'html_200':
      assert.equal(s.status, 200, ctx);
      assert.match(String(s.headers['content-type']), /text\/html/, ctx);
      assert.match(s.body, /^<!DOCTYPE html>/, ctx);
      return closedBy('mock-end');
    case 'error_object_200':
      assert.equal(s.status, 200, ctx);
      assert.match(String(s.headers['content-type']), /application\/json/, ctx);
      assertErrorShape(wire, jsonOf(), null, ctx);
      keyQuoted();
      return closedBy('mock-end');
    case 'in_stream_error':
    case 'error_first_event': {
      assert.ok(s.ended, ctx);
      const at = p.events.findIndex((e) => r.isError(e));
      assert.ok(at >= 0, `an error event${ctx}`);
      assert.equal(at === 0, fault === 'error_first_event', ctx);
      assert.ok(p.events[at]!.data.includes(key), `the error quotes the key${ctx}`);
      assert.ok(!r.terminal({ events: p.events.filter((e) => e.data !== '[DONE]') }), ctx);
      if (fault === 'in_stream_error') assert.ok(r.text(p).length > 0, ctx);
      return closedBy('mock-end');
    }
    case 'endless_stream': {
      assert.ok(s.hung, `still open when the client gave up${ctx}`);
      assert.equal(s.status, 200, ctx);
      assert.ok(p.events.length > 0 && p.events.every((e) => !e.bad), ctx);
      assert.ok(!r.terminal(p), ctx);
      // The prefix, then the first delta again and again (OBSERVE_MS / 100 ms times, give or take).
      const deltas = p.events.filter((e) => r.text({ events: [e] }) !== '').length;
      assert.ok(deltas >= 4, `text deltas keep coming (${deltas})${ctx}`);
      return closedBy('peer');
    }
    case 'no_terminal':
      assert.ok(s.ended && s.body.endsWith('\n\n'), ctx);
      partialStream();
      return closedBy('mock-end');
    case 'empty_body':
      assert.equal(s.status, 200, ctx);
      assert.ok(s.ended && s.body === '', ctx);
      return closedBy('mock-end');
    case 'json_wrong_shape': {
      assert.equal(s.status, 200, ctx);
      const j = jsonOf();
      assert.ok(typeof j === 'object' && typeof j.id === 'string' && !('choices' in j) && !('output' in j) && !('content' in j), ctx);
      if (wire === 'messages') assert.equal(j.type, 'message', `a message shell without content${ctx}`);
      return closedBy('mock-end');
    }
  }
}

describe('fault mock (test/helpers/fault-upstream.ts) as a raw client sees it', () => {
  for (const wire of Object.keys(WIRES) as FaultWire[]) {
    for (const mode of ['json', 'stream'] as const) {
      describe(`${wire} wire, ${mode === 'json' ? 'not streamed' : 'streamed'}`, () => {
        for (const fault of FAULT_NAMES) {
          if (!faultApplies(fault, mode, wire)) continue;
          it(fault, async () => {
            const key = fakeKey('mock-selftest');
            const up = await FaultUpstream.start({ name: 'selftest', apiKey: key, chatgptAccountId: ACCOUNT_ID, always: fault });
            try {
              const path = wire === 'chatgpt' ? WIRES.chatgpt.endpoint : `/v1${WIRES[wire].endpoint}`;
              const seen = await post(up.mock.origin, path, key, bodyFor(wire, mode), authHeaders(wire, key));
              assert.ok(await up.waitAllClosed(2_000), 'the exchange closes');
              assert.equal(up.exchanges.length, 1);
              const x = up.exchanges[0]!;
              assert.equal(x.wire, wire);
              assert.equal(x.mode, mode);
              assert.ok(x.closedAt! >= x.startedAt && x.startedAt >= x.request.receivedAt);
              check(fault, wire, mode, seen, x, key, 'Hello from selftest: all good.');
            } finally {
              await up.close();
            }
          });
        }
      });
    }
  }

  it('records when the peer gave up: closedAt about when the client closed', async () => {
    const up = await FaultUpstream.start({ always: 'no_headers' });
    try {
      const t0 = Date.now();
      const seen = await post(up.mock.origin, '/v1/chat/completions', 'k', { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      assert.ok(seen.hung);
      assert.ok(await up.waitAllClosed(2_000));
      const x = up.exchanges[0]!;
      assert.equal(x.closedBy, 'peer');
      assert.ok(x.closedAt! - t0 >= OBSERVE_MS * 0.9 && x.closedAt! - t0 <= OBSERVE_MS + 1_500, `closed ${x.closedAt! - t0} ms after the request`);
    } finally {
      await up.close();
    }
  });

  it('answers scripted faults first, then the standing one; a wrong key gets 401 without an exchange', async () => {
    const key = fakeKey('mock-selftest');
    const up = await FaultUpstream.start({ apiKey: key, always: 'http_503' });
    try {
      up.enqueue('healthy', { fault: 'rate_limit_retry_after', options: { retryAfter: '7' } });
      const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post(up.mock.origin, '/v1/chat/completions', key, body)).status);
      assert.deepEqual(statuses, [200, 429, 503]);
      assert.deepEqual(
        up.exchanges.map((x) => x.fault),
        ['healthy', 'rate_limit_retry_after', 'http_503'],
      );
      assert.equal((await post(up.mock.origin, '/v1/chat/completions', 'wrong-key', body)).status, 401);
      assert.equal(up.exchanges.length, 3);
    } finally {
      await up.close();
    }
  });

  it('checks the key the way each wire carries it; a rejected request records no exchange and uses no scripted reply', async () => {
    const key = fakeKey('mock-selftest');
    const up = await FaultUpstream.start({ apiKey: key, always: 'healthy' });
    try {
      up.enqueue('http_500');
      const path = `/v1${WIRES.messages.endpoint}`;
      const body = bodyFor('messages', 'json');
      const bearer = await post(up.mock.origin, path, key, body, { authorization: `Bearer ${key}`, 'anthropic-version': '2023-06-01' });
      assert.equal(bearer.status, 401, 'messages: the key belongs in x-api-key');
      assert.deepEqual(JSON.parse(bearer.body), { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
      const noVersion = await post(up.mock.origin, path, key, body, { 'x-api-key': key });
      assert.equal(noVersion.status, 400);
      assert.equal(JSON.parse(noVersion.body).error.type, 'invalid_request_error');
      const chatWithXKey = await post(up.mock.origin, '/v1/chat/completions', key, bodyFor('chat', 'json'), { 'x-api-key': key });
      assert.equal(chatWithXKey.status, 401);
      assert.equal(JSON.parse(chatWithXKey.body).error.code, 'invalid_api_key');
      assert.equal(up.exchanges.length, 0, 'no exchange for rejected requests');
      assert.equal(up.pending, 1, 'the scripted reply is still there');
      assert.equal((await post(up.mock.origin, path, key, body, authHeaders('messages', key))).status, 500);
      assert.equal((await post(up.mock.origin, path, key, body, authHeaders('messages', key))).status, 200);
      assert.deepEqual(
        up.exchanges.map((x) => [x.fault, x.wire]),
        [
          ['http_500', 'messages'],
          ['healthy', 'messages'],
        ],
      );
    } finally {
      await up.close();
    }
  });

  it('chatgpt wire: refuses what the ChatGPT backend refuses ({"detail"}), with no exchange; answers the same request when it follows the rules', async () => {
    const key = fakeKey('mock-selftest');
    const up = await FaultUpstream.start({ apiKey: key, chatgptAccountId: ACCOUNT_ID, always: 'healthy' });
    try {
      const path = WIRES.chatgpt.endpoint;
      const ok = bodyFor('chatgpt', 'stream');
      const headers = authHeaders('chatgpt', key);
      const cases: Array<[string, Record<string, unknown>, Record<string, string>, number]> = [
        ['wrong bearer', ok, { ...headers, authorization: 'Bearer nope' }, 401],
        ['no account id', ok, { ...headers, 'chatgpt-account-id': '' }, 403],
        ['no originator', ok, { ...headers, originator: '' }, 400],
        ['a cookie', ok, { ...headers, cookie: 'a=b' }, 400],
        ['not streamed', { ...ok, stream: false }, headers, 400],
        ['stored', { ...ok, store: true }, headers, 400],
        ['no instructions', { ...ok, instructions: undefined }, headers, 400],
        ['max_output_tokens', { ...ok, max_output_tokens: 10 }, headers, 400],
        ['a model the plan does not offer', { ...ok, model: 'gpt-4o' }, headers, 400],
      ];
      for (const [what, body, h, status] of cases) {
        const seen = await post(up.mock.origin, path, key, body, h);
        assert.equal(seen.status, status, what);
        assert.equal(typeof JSON.parse(seen.body).detail, 'string', what);
      }
      assert.equal(up.exchanges.length, 0, 'no exchange for refused requests');
      const seen = await post(up.mock.origin, path, key, ok, headers);
      assert.equal(seen.status, 200);
      assert.equal(READ.chatgpt.text(sse(seen.body)), `Hello from ${up.name}: all good.`);
      assert.deepEqual(up.exchanges.map((x) => [x.wire, x.mode]), [['chatgpt', 'stream']]);
    } finally {
      await up.close();
    }
  });

  it('closedPortUrl() names a port that refuses connections', async () => {
    const url = await closedPortUrl();
    const seen = await post(new URL(url).origin, '/v1/chat/completions', 'k', {});
    assert.equal(seen.error, 'ECONNREFUSED');
  });

  it('close() ends hung replies at once', async () => {
    const up = await FaultUpstream.start({ always: 'stall_mid_body' });
    const pending = post(up.mock.origin, '/v1/responses', 'k', { model: 'm', input: 'hi', stream: true });
    await up.waitForExchanges(1);
    const t0 = Date.now();
    await up.close();
    assert.ok(Date.now() - t0 < 1_000, 'close() did not wait for the hung reply');
    const seen = await pending;
    assert.equal(seen.hung, false, 'the client saw the connection end before its own timeout');
  });
});
