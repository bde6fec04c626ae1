/**
 * The Anthropic mock (test/helpers/anthropic-mock.ts): its validator rejects what Anthropic rejects (one
 * case per rule), and its server answers with Anthropic's headers, statuses, error shape and stream
 * contract.
 */
import { strict as assert } from 'node:assert';
import { createParser } from 'eventsource-parser';
import {
  AnthropicMock,
  MESSAGES_FAULT_CODEC,
  messageReply,
  overloadedReply,
  promptTooLongReply,
  rateLimitReply,
  textReply,
  toolUseReply,
  validateMessagesRequest,
} from '../../helpers/anthropic-mock';
import { fakeKey } from '../../helpers/gateway';
import type { RecordedRequest } from '../../helpers/mock-upstream';

const base = () => ({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] as any[] });
const toolTurn = (ids: string[]) => ({ role: 'assistant', content: ids.map((id) => ({ type: 'tool_use', id, name: 'exec', input: {} })) });
const results = (ids: string[], extra: any[] = []) => ({ role: 'user', content: [...ids.map((id) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' })), ...extra] });

/** The problems of `body` joined, for regex checks. */
const problems = (body: unknown, opts = {}) => validateMessagesRequest(body, opts).join('\n');

describe('anthropic mock', () => {
  describe('validator', () => {
    it('accepts a minimal valid request', () => {
      assert.deepEqual(validateMessagesRequest(base()), []);
    });

    it('rejects missing or invalid top-level fields and unknown ones', () => {
      assert.match(problems({ ...base(), model: '' }), /model: Field required/);
      assert.match(problems({ ...base(), max_tokens: undefined }), /max_tokens: Field required/);
      assert.match(problems({ ...base(), max_tokens: 0 }), /max_tokens/);
      assert.match(problems({ ...base(), max_tokens: 1.5 }), /max_tokens/);
      assert.match(problems({ ...base(), messages: [] }), /at least one message/);
      assert.match(problems({ ...base(), reasoning_effort: 'high' }), /reasoning_effort: Extra inputs are not permitted/);
      assert.match(problems({ ...base(), metadata: { user_id: 'u', session: 's' } }), /metadata.session: Extra inputs/);
      assert.match(problems({ ...base(), stop_sequences: [' '] }), /non-whitespace/);
      assert.match(problems({ ...base(), temperature: 1.5 }), /temperature/);
    });

    it('requires alternating roles starting with user, non-empty non-whitespace text', () => {
      assert.match(problems({ ...base(), messages: [{ role: 'assistant', content: 'x' }] }), /first message must use the "user" role/);
      assert.match(problems({ ...base(), messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }), /alternate/);
      assert.equal(problems({ ...base(), messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }, { strictAlternation: false }), '');
      assert.match(problems({ ...base(), messages: [{ role: 'user', content: [] }] }), /non-empty content/);
      assert.match(problems({ ...base(), messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }), /must be non-empty/);
      assert.match(problems({ ...base(), messages: [{ role: 'user', content: [{ type: 'text', text: ' \n' }] }] }), /non-whitespace/);
      assert.match(problems({ ...base(), messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a ' }] }), /trailing whitespace/);
      assert.match(problems({ ...base(), messages: [{ role: 'user', content: 'q', name: 'x' }] }), /messages.0.name: Extra inputs/);
    });

    it('pairs every tool_use with a tool_result in the next turn, results first', () => {
      const tools = [{ name: 'exec', input_schema: { type: 'object' } }];
      assert.equal(problems({ ...base(), tools, messages: [{ role: 'user', content: 'go' }, toolTurn(['t1', 't2']), results(['t2', 't1'])] }), '');
      assert.match(problems({ ...base(), tools, messages: [{ role: 'user', content: 'go' }, toolTurn(['t1', 't2']), results(['t1'])] }), /without `tool_result` blocks immediately after: t2/);
      assert.match(problems({ ...base(), tools, messages: [{ role: 'user', content: 'go' }, toolTurn(['t1'])] }), /without `tool_result`/);
      assert.match(problems({ ...base(), tools, messages: [{ role: 'user', content: 'go' }, toolTurn(['t1']), results(['t9'])] }), /unexpected `tool_use_id`.*t9/);
      assert.match(
        problems({ ...base(), tools, messages: [{ role: 'user', content: 'go' }, toolTurn(['t1']), { role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'tool_result', tool_use_id: 't1' }] }] }),
        /tool_result blocks must come first/,
      );
      assert.match(problems({ ...base(), tools, messages: [{ role: 'user', content: 'go' }, toolTurn(['t.1']), results(['t.1'])] }), /id: String should match pattern/);
      assert.match(
        problems({ ...base(), tools, messages: [{ role: 'user', content: 'go' }, toolTurn(['t1']), results(['t1']), toolTurn(['t1']), results(['t1'])] }),
        /ids must be unique/,
      );
    });

    it('checks tools and tool_choice', () => {
      assert.match(problems({ ...base(), tools: [{ name: 'bad name', input_schema: { type: 'object' } }] }), /name: String should match/);
      assert.match(problems({ ...base(), tools: [{ name: 'a', input_schema: { type: 'array' } }] }), /input_schema.type/);
      assert.match(problems({ ...base(), tools: [{ name: 'a' }] }), /input_schema: Field required/);
      assert.match(problems({ ...base(), tools: [{ name: 'a', input_schema: { type: 'object' }, strict: true }] }), /strict: Extra inputs/);
      assert.match(problems({ ...base(), tool_choice: { type: 'auto' } }), /only be specified while providing tools/);
      assert.match(problems({ ...base(), tools: [{ name: 'a', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'b' } }), /no tool named "b"/);
      assert.match(problems({ ...base(), tools: [{ name: 'a', input_schema: { type: 'object' } }], tool_choice: { type: 'none', disable_parallel_tool_use: true } }), /Extra inputs/);
    });

    it('checks thinking: budget, signatures, sampling, forced tools, the current tool loop', () => {
      const thinking = { type: 'enabled', budget_tokens: 1024 };
      assert.match(problems({ ...base(), thinking: { type: 'enabled', budget_tokens: 1000 } }), /greater than or equal to 1024/);
      assert.match(problems({ ...base(), max_tokens: 1024, thinking }), /`max_tokens` must be greater than `thinking.budget_tokens`/);
      assert.match(problems({ ...base(), max_tokens: 2000, thinking, temperature: 0.5 }), /temperature/);
      assert.match(problems({ ...base(), max_tokens: 2000, thinking, top_k: 5 }), /top_k/);
      const tools = [{ name: 'exec', input_schema: { type: 'object' } }];
      assert.match(problems({ ...base(), max_tokens: 2000, thinking, tools, tool_choice: { type: 'any' } }), /forces tool use/);
      const signed = { type: 'thinking', thinking: 't', signature: 'S1' };
      const loop = (first: any) => ({
        ...base(),
        max_tokens: 2000,
        thinking,
        tools,
        messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [...(first ? [first] : []), { type: 'tool_use', id: 't1', name: 'exec', input: {} }] }, results(['t1'])],
      });
      assert.equal(problems(loop(signed)), '');
      assert.match(problems(loop(undefined)), /must start with a thinking block/);
      const twoSteps = (first: any) => {
        const l = loop(first);
        l.messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: 't2', name: 'exec', input: {} }] }, results(['t2']));
        return l;
      };
      assert.equal(problems(twoSteps(signed)), '', 'later steps of a tool loop need no thinking block');
      assert.match(problems(twoSteps(undefined)), /messages.1.content.0.type: Expected `thinking`/);
      const newTurn = loop(undefined);
      newTurn.messages.push({ role: 'assistant', content: [{ type: 'text', text: 'done' }] }, { role: 'user', content: 'next question' });
      assert.equal(problems(newTurn), '', 'a new user turn starts a new assistant turn');
      assert.match(problems(loop(signed), { issued: new Set(['S2']) }), /Invalid `signature`/);
      assert.equal(problems(loop(signed), { issued: new Set(['S1']) }), '');
      assert.match(problems(loop({ type: 'thinking', thinking: 't' })), /signature: Field required/);
      assert.match(problems({ ...base(), messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [signed] }] }), /final block in an assistant message cannot be `thinking`/);
      assert.match(
        problems({ ...base(), messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [signed, { type: 'text', text: 'a' }] }] }),
        /When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`/,
      );
      assert.match(
        problems({ ...base(), messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }, { role: 'assistant', content: [{ ...signed, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'a' }] }, { role: 'user', content: 'q2' }] }),
        /cannot be set on thinking blocks/,
      );
    });

    it('allows at most 4 cache breakpoints and no 1h after 5m', () => {
      const cc = { type: 'ephemeral' };
      const five = {
        ...base(),
        system: [{ type: 'text', text: 's', cache_control: cc }],
        tools: [{ name: 'a', input_schema: { type: 'object' }, cache_control: cc }],
        messages: [{ role: 'user', content: [{ type: 'text', text: '1', cache_control: cc }, { type: 'text', text: '2', cache_control: cc }, { type: 'text', text: '3', cache_control: cc }] }],
      };
      assert.match(problems(five), /A maximum of 4 blocks with cache_control may be provided. Found 5./);
      const order = { ...base(), system: [{ type: 'text', text: 's', cache_control: cc }], messages: [{ role: 'user', content: [{ type: 'text', text: 'q', cache_control: { type: 'ephemeral', ttl: '1h' } }] }] };
      assert.match(problems(order), /ttl='1h'.*must not come after/);
      assert.match(problems({ ...base(), system: [{ type: 'text', text: 's', cache_control: { type: 'persistent' } }] }), /cache_control/);
    });

    it('checks image and document sources', () => {
      const msg = (block: unknown) => ({ ...base(), messages: [{ role: 'user', content: [block] }] });
      assert.match(problems(msg({ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'AAAA' } })), /media_type/);
      assert.match(problems(msg({ type: 'image', source: { type: 'url', url: 'ftp://x' } })), /http\(s\)/);
      assert.match(problems(msg({ type: 'document', source: { type: 'base64', media_type: 'application/msword', data: 'AAAA' } })), /application\/pdf/);
      assert.equal(problems(msg({ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' }, title: 'a.txt' })), '');
    });
  });

  describe('server', () => {
    let api: AnthropicMock;
    let key: string;
    beforeEach(async () => {
      key = fakeKey('anthropic');
      api = await AnthropicMock.start({ apiKey: key });
    });
    afterEach(() => api.close());

    const post = async (body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${api.origin}/v1/messages?beta=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };

    it('rejects a wrong key (401), a missing version (400) and an invalid body (400) in Anthropic shape, without using the script', async () => {
      api.enqueue(textReply('kept'));
      const badKey = await post(base(), { 'x-api-key': 'wrong' });
      assert.equal(badKey.status, 401);
      assert.deepEqual(JSON.parse(badKey.text), { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
      const noVersion = await post(base(), { 'anthropic-version': '' });
      assert.equal(noVersion.status, 400);
      assert.match(noVersion.text, /anthropic-version/);
      const invalid = await post({ ...base(), temperature: 3 });
      assert.equal(invalid.status, 400);
      assert.equal(JSON.parse(invalid.text).error.type, 'invalid_request_error');
      assert.equal(api.pending, 1, 'rejected requests do not consume replies');
      assert.equal((await post(base())).status, 200);
      assert.equal(api.requests.length, 4);
      assert.deepEqual(api.requests[2]!.problems, ['temperature: Input should be a number between 0 and 1']);
    });

    it('answers JSON messages and the error replies with their statuses', async () => {
      api.enqueue(messageReply([{ type: 'thinking', thinking: 'hm' }, { type: 'text', text: 'done' }]), rateLimitReply(3), overloadedReply(), promptTooLongReply());
      const ok = JSON.parse((await post(base())).text);
      assert.equal(ok.type, 'message');
      assert.equal(ok.stop_reason, 'end_turn');
      assert.equal(ok.content[0].type, 'thinking');
      assert.ok(api.issuedSignatures.has(ok.content[0].signature), 'the signature is recorded as issued');
      const limited = await post(base());
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '3');
      assert.equal(JSON.parse(limited.text).error.type, 'rate_limit_error');
      const over = await post(base());
      assert.equal(over.status, 529);
      assert.equal(JSON.parse(over.text).error.type, 'overloaded_error');
      const long = await post(base());
      assert.equal(long.status, 400);
      assert.match(JSON.parse(long.text).error.message, /^prompt is too long: 210000 tokens > 200000 maximum$/);
    });

    it('answers tool use with optional thinking and text first', async () => {
      api.enqueue(toolUseReply([{ name: 'exec', input: { cmd: 'pwd' } }], { thinking: 'check dir', text: 'Checking.' }));
      const out = JSON.parse((await post(base())).text);
      assert.deepEqual(
        out.content.map((b: { type: string }) => b.type),
        ['thinking', 'text', 'tool_use'],
      );
      assert.match(out.content[2].id, /^toolu_[a-zA-Z0-9]+$/);
      assert.equal(out.stop_reason, 'tool_use');
    });

    it('streams the contract: start, ping, blocks with deltas, message_delta, message_stop', async () => {
      api.enqueue(messageReply([{ type: 'thinking', thinking: 'abc' }, { type: 'tool_use', name: 'exec', input: { cmd: 'ls -la /tmp' } }], { chunkSize: 4 }));
      const res = await post({ ...base(), stream: true });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events: { event?: string; data: any }[] = [];
      const parser = createParser({ onEvent: (e) => events.push({ event: e.event, data: JSON.parse(e.data) }) });
      parser.feed(res.text);
      assert.ok(events.every((e) => e.event === e.data.type), 'event: names equal data types');
      const types = events.map((e) => (e.data.type === 'content_block_delta' ? `delta:${e.data.delta.type}` : e.data.type));
      assert.deepEqual(types.slice(0, 3), ['message_start', 'ping', 'content_block_start']);
      assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
      assert.ok(types.includes('delta:thinking_delta') && types.includes('delta:signature_delta'));
      const json = events.filter((e) => e.data.delta?.type === 'input_json_delta').map((e) => e.data.delta.partial_json);
      assert.equal(json[0], '', 'the first input_json_delta is empty, as Anthropic sends it');
      assert.ok(json.length > 2);
      assert.deepEqual(JSON.parse(json.join('')), { cmd: 'ls -la /tmp' });
      assert.equal(events.at(-2)!.data.delta.stop_reason, 'tool_use');
      assert.ok(events[0]!.data.message.usage.input_tokens > 0);
    });

    it('provides a fault-mock codec for the messages wire', () => {
      const req = { body: { model: 'claude-x', stream: true } } as unknown as RecordedRequest;
      const plan = MESSAGES_FAULT_CODEC.stream(req, 'Hello there', 4);
      assert.equal(plan.texts.join(''), 'Hello there');
      assert.match(plan.frames[plan.terminalFrom]!, /message_delta/);
      assert.match(plan.frames[plan.firstTextFrame]!, /text_delta/);
      assert.equal(MESSAGES_FAULT_CODEC.json(req, 'x').type, 'message');
      assert.match(MESSAGES_FAULT_CODEC.errorFrame('boom'), /^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"boom"\}\}\n\n$/);
    });
  });
});
