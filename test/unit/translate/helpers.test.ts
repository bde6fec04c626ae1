/**
 * Unit tests of the translator's small public helpers: reasoning markers, ids, tool-name flattening,
 * SSE framing, the incremental custom-input decoder, and stream lifecycle edges.
 */
import { strict as assert } from 'node:assert';
import {
  ChatToResponsesStream,
  InputDecoder,
  decodeReasoning,
  encodeReasoning,
  encodeSse,
  flatToolName,
  isOwnReasoning,
  newResponseId,
  randomIds,
  responsesToChatRequest,
  sequentialIds,
  stripForeignReasoning,
  EMPTY_TOOL_NAME_MAP,
  type ResponsesInputItem,
} from '../../../src/gateway/translate';

/** A UTF-16 surrogate without its partner. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('translate helpers', () => {
  describe('own reasoning items', () => {
    it('round-trips reasoning text through encrypted_content (cgw1: + base64 UTF-8)', () => {
      const text = 'Étape 1 → 2 😀\nline';
      const enc = encodeReasoning(text);
      assert.ok(enc.startsWith('cgw1:'));
      assert.equal(Buffer.from(enc.slice(5), 'base64').toString('utf8'), text);
      assert.equal(decodeReasoning(enc), text);
      assert.equal(decodeReasoning('gAAAAABopaque'), undefined);
      assert.equal(decodeReasoning(null), undefined);
    });

    it('tells our reasoning items from foreign ones', () => {
      assert.equal(isOwnReasoning({ type: 'reasoning', summary: [], encrypted_content: encodeReasoning('x') }), true);
      assert.equal(isOwnReasoning({ type: 'reasoning', summary: [], encrypted_content: 'gAAAAAB' }), false);
      assert.equal(isOwnReasoning({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'x' }] }), false);
      assert.equal(isOwnReasoning({ type: 'message', role: 'user', content: 'cgw1:' }), false);
      assert.equal(isOwnReasoning(null), false);
    });

    it('stripForeignReasoning removes only our items and returns the same array when there are none', () => {
      const user: ResponsesInputItem = { type: 'message', role: 'user', content: 'hi' };
      const theirs: ResponsesInputItem = { type: 'reasoning', summary: [], encrypted_content: 'gAAAAAB' };
      const ours: ResponsesInputItem = { type: 'reasoning', summary: [], encrypted_content: encodeReasoning('mine') };
      const clean = [user, theirs];
      assert.equal(stripForeignReasoning(clean), clean, 'no copy when nothing to strip');
      const mixed = [ours, user, theirs, ours];
      const stripped = stripForeignReasoning(mixed);
      assert.deepEqual(stripped, [user, theirs]);
      assert.equal(mixed.length, 4, 'input not mutated');
    });
  });

  describe('ids', () => {
    it('mints unique prefixed random ids', () => {
      const r = newResponseId();
      assert.match(r, /^resp_[0-9a-f]{24}$/);
      const seen = new Set<string>();
      for (let i = 0; i < 2000; i++) seen.add(randomIds('fc'));
      assert.equal(seen.size, 2000);
    });

    it('sequentialIds counts per prefix', () => {
      const ids = sequentialIds();
      assert.deepEqual([ids('msg'), ids('fc'), ids('msg'), ids('rs')], ['msg_1', 'fc_1', 'msg_2', 'rs_1']);
    });
  });

  describe('flatToolName', () => {
    it('keeps valid names, joins namespaces with __, and stays within ^[a-zA-Z0-9_-]{1,64}$', () => {
      assert.equal(flatToolName('exec_command'), 'exec_command');
      assert.equal(flatToolName('close_agent', 'multi_agent_v1'), 'multi_agent_v1__close_agent');
      assert.equal(flatToolName('read file', 'mcp.fs'), 'mcp_fs__read_file');
      const long = flatToolName('t'.repeat(50), 'n'.repeat(50));
      assert.equal(long.length, 64);
      assert.match(long, /^[a-zA-Z0-9_-]{1,64}$/);
      assert.notEqual(long, flatToolName('t'.repeat(51), 'n'.repeat(49)), 'different long names stay distinct');
      assert.equal(flatToolName(''), 'tool');
    });
  });

  describe('encodeSse', () => {
    it('frames one event as event/data lines and a blank line', () => {
      const s = encodeSse({ type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'a\nb', logprobs: [] });
      assert.equal(s, 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"a\\nb","logprobs":[]}\n\n');
    });
  });

  describe('InputDecoder', () => {
    it('decodes the input string across fragments split inside escapes', () => {
      const d = new InputDecoder();
      const parts = ['  {', ' "inp', 'ut" :', ' "a\\', 'nb\\u00', 'e9\\ud83d', '\\ude00\\"', 'x"', ', "other": 1}'];
      const got = parts.map((p) => d.push(p));
      assert.equal(got.join(''), 'a\nbé😀"x');
      assert.equal(d.state, 'done');
      assert.ok(got.every((g) => !LONE_SURROGATE.test(g)), 'no fragment carries half a surrogate pair');
    });

    it('falls back when the arguments do not start with {"input":', () => {
      const d = new InputDecoder();
      assert.equal(d.push('{"patch": "x"}'), '');
      assert.equal(d.state, 'fallback');
    });
  });

  describe('ChatToResponsesStream lifecycle', () => {
    const ctx = () => ({ responseId: 'resp_x', alias: 'a', createdAt: 1, tools: EMPTY_TOOL_NAME_MAP, request: { model: 'a' }, ids: sequentialIds() });

    it('returns nothing after end() or fail(), and tracks usage', () => {
      const tr = new ChatToResponsesStream(ctx());
      tr.start();
      tr.push({ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } });
      assert.deepEqual(tr.usage, { input_tokens: 3, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 1, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 4 });
      const end = tr.end();
      assert.equal(end[end.length - 1].type, 'response.completed');
      assert.deepEqual(tr.push({ choices: [{ index: 0, delta: { content: 'late' } }] }), []);
      assert.deepEqual(tr.end(), []);
      assert.deepEqual(tr.fail('server_error', 'x'), []);
    });

    it('uses choice index 0 when the upstream returns several choices', () => {
      const tr = new ChatToResponsesStream(ctx());
      tr.start();
      tr.push({ choices: [{ index: 1, delta: { content: 'second' } }, { index: 0, delta: { content: 'first' } }] });
      const end = tr.end();
      const done = end[end.length - 1] as Extract<(typeof end)[number], { response: unknown }>;
      assert.deepEqual(done.response.output.map((o) => (o.type === 'message' ? (o.content[0] as { text: string }).text : '')), ['first']);
    });
  });

  describe('responsesToChatRequest input validation', () => {
    const opts = { model: 'm', provider: 'openai_compatible', dropParams: false, dropParamNames: new Set<string>(), stream: false };
    it('rejects malformed requests with 400 and the offending param', () => {
      const cases: Array<[unknown, string]> = [
        [null, 'body'],
        [{ model: 'a', input: 5 }, 'input'],
        [{ model: 'a', input: ['x'] }, 'input[0]'],
        [{ model: 'a', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id'],
        [{ model: 'a', input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: {} }] }, 'input[0].arguments'],
        [{ model: 'a', input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id'],
        [{ model: 'a', input: 'x', tools: {} }, 'tools'],
        [{ model: 'a', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name'],
        [{ model: 'a', input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
        [{ model: 'a', input: 'x', temperature: 'hot' }, 'temperature'],
        [{ model: 'a', input: 'x', text: { format: { type: 'xml' } } }, 'text.format.type'],
        [{ model: 'a', input: 'x', conversation: 'conv_1' }, 'conversation'],
      ];
      for (const [req, param] of cases) {
        assert.throws(
          () => responsesToChatRequest(req as never, opts),
          (e: { status?: number; param?: string; type?: string }) => e.status === 400 && e.param === param && e.type === 'invalid_request_error',
          `expected 400 on ${param} for ${JSON.stringify(req)}`,
        );
      }
    });
  });
});
