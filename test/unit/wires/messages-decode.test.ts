/**
 * Anthropic Messages upstream adapter, answer side: MessagesDecoder / messagesJsonToEvents
 * (src/gateway/wires/messages/decode.ts) and the `messages` judge of src/gateway/upstream-answer.ts
 * (judgeJson, SseReader, messagesErrorFailure). Streams come from the mock's frame builder, so they follow
 * the same contract the mock server sends.
 */
import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { UpstreamError } from '../../../src/gateway/errors';
import type { HubEvent } from '../../../src/gateway/hub/types';
import { judgeJson, messagesErrorFailure, SseReader } from '../../../src/gateway/upstream-answer';
import { mapStopReason, MessagesDecoder, messagesJsonToEvents, messagesUsage } from '../../../src/gateway/wires/messages/upstream';
import { messageStreamFrames, sseEvent, type MockBlock } from '../../helpers/anthropic-mock';
import { fakeKey } from '../../helpers/gateway';

/** Parses SSE frames and runs them through a fresh decoder. */
function decode(frames: string[]): HubEvent[] {
  const d = new MessagesDecoder();
  const out: HubEvent[] = [];
  const parser = createParser({ onEvent: (ev) => out.push(...d.push(JSON.parse(ev.data), ev.event)) });
  for (const f of frames) parser.feed(f);
  return out;
}

/** Merges adjacent text / reasoning / same-index call-argument events, for readable expectations. */
function folded(events: HubEvent[]): HubEvent[] {
  const out: HubEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && last.type === e.type && (e.type === 'text' || e.type === 'reasoning')) (last as { text: string }).text += e.text;
    else if (last?.type === 'call' && last.id === undefined && e.type === 'call' && e.index === last.index && e.id === undefined && e.arguments !== undefined) last.arguments = (last.arguments ?? '') + e.arguments;
    else out.push({ ...e });
  }
  return out;
}

const USAGE = { input_tokens: 20, output_tokens: 7, cache_creation_input_tokens: 100, cache_read_input_tokens: 3000 };

describe('messages upstream: answers', () => {
  describe('MessagesDecoder', () => {
    it('decodes thinking with its signature, text and parallel tool calls', () => {
      const blocks: MockBlock[] = [
        { type: 'thinking', thinking: 'Let me look at both files first.', signature: 'c2lnbmF0dXJlLTE=' },
        { type: 'text', text: 'Reading them now.' },
        { type: 'tool_use', id: 'toolu_A', name: 'read_file', input: { path: 'src/a.ts', lines: [1, 20] } },
        { type: 'tool_use', id: 'toolu_B', name: 'read_file', input: { path: 'src/b.ts' } },
      ];
      const events = decode(messageStreamFrames('claude-x', 'msg_1', blocks, USAGE, 'tool_use', 5));
      const usage = { input: 3120, output: 7, cachedInput: 3000, cacheCreationInput: 100 };
      assert.deepEqual(folded(events), [
        { type: 'usage', usage: { ...usage, output: 1 } },
        { type: 'reasoning', text: 'Let me look at both files first.' },
        { type: 'reasoning_signature', signature: 'c2lnbmF0dXJlLTE=' },
        { type: 'text', text: 'Reading them now.' },
        { type: 'call', index: 0, id: 'toolu_A', name: 'read_file' },
        { type: 'call', index: 0, arguments: '{"path":"src/a.ts","lines":[1,20]}' },
        { type: 'call', index: 1, id: 'toolu_B', name: 'read_file' },
        { type: 'call', index: 1, arguments: '{"path":"src/b.ts"}' },
        { type: 'usage', usage },
        { type: 'finish', reason: 'tool_calls' },
      ]);
      const argFragments = events.filter((e) => e.type === 'call' && e.index === 0 && e.arguments !== undefined);
      assert.ok(argFragments.length > 3, 'arguments arrive split across deltas');
      assert.ok(
        events.every((e) => !(e.type === 'call' && e.arguments === '')),
        'the empty first input_json_delta yields nothing',
      );
    });

    it('decodes a redacted thinking block as one event', () => {
      const events = decode(messageStreamFrames('m', 'msg_2', [{ type: 'redacted_thinking', data: 'b3BhcXVl' }, { type: 'text', text: 'ok' }], USAGE, 'end_turn'));
      assert.deepEqual(
        events.filter((e) => e.type !== 'usage'),
        [{ type: 'reasoning_redacted', data: 'b3BhcXVl' }, { type: 'text', text: 'ok' }, { type: 'finish', reason: 'stop' }],
      );
    });

    it('gives a tool call without input deltas "{}" arguments, and a whole start input once', () => {
      const d = new MessagesDecoder();
      const ev = (o: Record<string, unknown>) => d.push(o, String(o.type));
      assert.deepEqual(ev({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't0', name: 'now', input: {} } }), [{ type: 'call', index: 0, id: 't0', name: 'now' }]);
      assert.deepEqual(ev({ type: 'content_block_stop', index: 0 }), [{ type: 'call', index: 0, arguments: '{}' }]);
      assert.deepEqual(ev({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 't1', name: 'go', input: { a: 1 } } }), [
        { type: 'call', index: 1, id: 't1', name: 'go', arguments: '{"a":1}' },
      ]);
      assert.deepEqual(ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } }), [], 'no duplicate arguments');
      assert.deepEqual(ev({ type: 'content_block_stop', index: 1 }), []);
    });

    it('maps every stop reason', () => {
      const table: [string, string][] = [
        ['end_turn', 'stop'],
        ['stop_sequence', 'stop'],
        ['tool_use', 'tool_calls'],
        ['max_tokens', 'length'],
        ['model_context_window_exceeded', 'length'],
        ['refusal', 'refusal'],
        ['pause_turn', 'pause'],
        ['something_new', 'stop'],
      ];
      for (const [reason, want] of table) {
        assert.equal(mapStopReason(reason), want);
        const events = decode(messageStreamFrames('m', 'msg', [{ type: 'text', text: 'partial answ' }], USAGE, reason));
        assert.deepEqual(events.filter((e) => e.type === 'finish'), [{ type: 'finish', reason: want }], reason);
      }
    });

    it('keeps the text of a refusal and of an answer cut by max_tokens', () => {
      const refusal = folded(decode(messageStreamFrames('m', 'msg', [{ type: 'text', text: 'I can’t help with that.' }], USAGE, 'refusal')));
      assert.deepEqual(refusal.slice(1), [{ type: 'text', text: 'I can’t help with that.' }, { type: 'usage', usage: messagesUsage(USAGE) }, { type: 'finish', reason: 'refusal' }]);
      const cut = folded(decode(messageStreamFrames('m', 'msg', [{ type: 'text', text: 'The first half of' }], { input_tokens: 5, output_tokens: 64 }, 'max_tokens')));
      assert.deepEqual(cut.slice(-2), [{ type: 'usage', usage: { input: 5, output: 64, cachedInput: 0, cacheCreationInput: 0 } }, { type: 'finish', reason: 'length' }]);
    });

    it('ignores ping, unknown events, server tool blocks and citations; finishes once', () => {
      const d = new MessagesDecoder();
      assert.deepEqual(d.push({ type: 'ping' }, 'ping'), []);
      assert.deepEqual(d.push({ type: 'future_event', x: 1 }, 'future_event'), []);
      assert.deepEqual(d.push({ type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 's', name: 'web_search', input: {} } }, undefined), []);
      assert.deepEqual(d.push({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"q":' } }, undefined), []);
      assert.deepEqual(d.push({ type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: {} } }, undefined), []);
      assert.deepEqual(d.push({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } }, undefined), [
        { type: 'usage', usage: { input: 0, output: 3 } },
        { type: 'finish', reason: 'stop' },
      ]);
      assert.deepEqual(d.push({ type: 'message_stop' }, 'message_stop'), [], 'one finish only');
      const bare = new MessagesDecoder();
      assert.deepEqual(bare.push({ type: 'message_stop' }, 'message_stop'), [{ type: 'finish', reason: 'stop' }], 'a stream without message_delta still finishes');
    });

    it('records the message id and model, and throws the classified error of an error event', () => {
      const d = new MessagesDecoder();
      d.push({ type: 'message_start', message: { id: 'msg_abc', model: 'claude-opus-4-1', usage: { input_tokens: 1, output_tokens: 1 } } }, 'message_start');
      assert.equal(d.messageId, 'msg_abc');
      assert.equal(d.model, 'claude-opus-4-1');
      assert.throws(
        () => d.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error'),
        (e: unknown) => e instanceof UpstreamError && e.kind === 'server' && e.upstreamCode === 'overloaded_error',
      );
    });

    it('usage: input includes cache reads and writes', () => {
      assert.deepEqual(messagesUsage({ input_tokens: 10, output_tokens: 2, cache_read_input_tokens: 90, cache_creation_input_tokens: 5 }), { input: 105, output: 2, cachedInput: 90, cacheCreationInput: 5 });
      assert.deepEqual(messagesUsage({ input_tokens: 10, output_tokens: 2 }), { input: 10, output: 2 });
      assert.deepEqual(messagesUsage({ input_tokens: 10, output_tokens: 2, cache_read_input_tokens: null }), { input: 10, output: 2 });
    });
  });

  describe('messagesJsonToEvents', () => {
    it('gives the same events as the stream, each tool input folded into one call event', () => {
      const json = {
        id: 'msg_9',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'plan', signature: 'c2ln' },
          { type: 'redacted_thinking', data: 'cmVk' },
          { type: 'text', text: 'Calling.' },
          { type: 'tool_use', id: 'toolu_1', name: 'exec_command', input: { cmd: 'ls' } },
          { type: 'tool_use', id: 'toolu_2', name: 'exec_command', input: {} },
          { type: 'web_search_tool_result', content: [] },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: USAGE,
      };
      assert.deepEqual(messagesJsonToEvents(json), [
        { type: 'reasoning', text: 'plan' },
        { type: 'reasoning_signature', signature: 'c2ln' },
        { type: 'reasoning_redacted', data: 'cmVk' },
        { type: 'text', text: 'Calling.' },
        { type: 'call', index: 0, id: 'toolu_1', name: 'exec_command', arguments: '{"cmd":"ls"}' },
        { type: 'call', index: 1, id: 'toolu_2', name: 'exec_command', arguments: '{}' },
        { type: 'usage', usage: messagesUsage(USAGE) },
        { type: 'finish', reason: 'tool_calls' },
      ]);
      const streamed = folded(decode(messageStreamFrames('claude-x', 'msg_9', [{ type: 'text', text: 'Calling.' }], USAGE, 'max_tokens')));
      const whole = messagesJsonToEvents({ type: 'message', content: [{ type: 'text', text: 'Calling.' }], stop_reason: 'max_tokens', usage: USAGE });
      assert.deepEqual(streamed.slice(1), whole, 'stream and JSON agree (after the stream-only start usage)');
    });

    it('never throws on malformed content', () => {
      assert.deepEqual(messagesJsonToEvents({ type: 'message', content: [null, 3, { type: 'text' }, { type: 'tool_use', input: 'x' }] as unknown[] }), [
        { type: 'call', index: 0, arguments: '{}' },
        { type: 'finish', reason: 'stop' },
      ]);
    });
  });

  describe('judge (upstream-answer.ts, wire messages)', () => {
    it('judgeJson accepts a message and classifies error bodies', () => {
      const ok = judgeJson('messages', JSON.stringify({ type: 'message', content: [], stop_reason: 'end_turn' }), 'application/json', undefined);
      assert.equal(ok.type, 'message');
      const kind = (body: unknown) => {
        try {
          judgeJson('messages', JSON.stringify(body), 'application/json', undefined);
        } catch (e) {
          assert.ok(e instanceof UpstreamError);
          return `${e.kind}:${e.upstreamCode ?? ''}`;
        }
        return 'accepted';
      };
      assert.equal(kind({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), 'server:overloaded_error');
      assert.equal(kind({ type: 'message', content: 'text' }), 'bad_response:');
      assert.equal(kind({ choices: [] }), 'bad_response:');
      assert.equal(kind({ error: { type: 'rate_limit_error', message: 'slow down' } }), 'rate_limit:rate_limit_error');
    });

    it('messagesErrorFailure classifies by error.type and scrubs the key', () => {
      const table: [string, string, string][] = [
        ['overloaded_error', 'Overloaded', 'server'],
        ['api_error', 'Internal server error', 'server'],
        ['rate_limit_error', 'Number of requests has exceeded your rate limit', 'rate_limit'],
        ['invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum', 'context_window'],
        ['invalid_request_error', 'messages.1: roles must alternate', 'bad_request'],
        ['authentication_error', 'invalid x-api-key', 'auth'],
        ['permission_error', 'no access', 'auth'],
        ['not_found_error', 'model: claude-9', 'not_found'],
        ['request_too_large', 'Request exceeds the maximum size', 'bad_request'],
        ['timeout_error', 'Request timed out', 'timeout'],
        ['brand_new_error', 'x', 'server'],
      ];
      for (const [type, message, kind] of table) {
        const e = messagesErrorFailure({ type: 'error', error: { type, message } }, undefined, 'mid-stream');
        assert.equal(e.kind, kind, type);
        assert.equal(e.upstreamCode, type);
        assert.ok(e.message.includes(message));
      }
      const secret = fakeKey('anthropic');
      assert.equal(messagesErrorFailure({ type: 'api_error', message: `bad key ${secret}` }, secret, 'x').message.includes(secret), false);
    });

    const reader = (frames: string[]) =>
      new SseReader('messages', Readable.from(frames.map((f) => Buffer.from(f))), undefined, { firstEventDeadline: Date.now() + 5000, firstEventLabel: 'test', idleMs: 5000 }, new AbortController().signal);

    async function readAll(r: SseReader): Promise<{ text: string; events: string[] }> {
      await r.first();
      let text = '';
      const events: string[] = [];
      for await (const b of r.batches()) {
        text += b.text;
        for (const e of b.events) events.push(String(e.json?.type));
      }
      return { text, events };
    }

    it('SseReader: message_stop completes; pings are relayed but are not events', async () => {
      const frames = messageStreamFrames('m', 'msg', [{ type: 'text', text: 'hi' }], USAGE, 'end_turn', 8, 2);
      const r = reader(frames);
      const { text, events } = await readAll(r);
      assert.equal(r.complete, true);
      assert.equal(text, frames.join(''), 'every byte is relayed');
      assert.equal(events.includes('ping'), false);
      assert.deepEqual(events, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    });

    it('SseReader: an error event fails with its classified kind; a stream without message_stop is bad_response', async () => {
      const frames = messageStreamFrames('m', 'msg', [{ type: 'text', text: 'hello there' }], USAGE, 'end_turn', 4);
      const withError = [...frames.slice(0, 4), sseEvent({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })];
      await assert.rejects(readAll(reader(withError)), (e: unknown) => e instanceof UpstreamError && e.kind === 'server' && e.upstreamCode === 'overloaded_error');
      const rateLimited = [sseEvent({ type: 'error', error: { type: 'rate_limit_error', message: 'slow' } })];
      await assert.rejects(readAll(reader(rateLimited)), (e: unknown) => e instanceof UpstreamError && e.kind === 'rate_limit');
      await assert.rejects(readAll(reader(frames.slice(0, -1))), (e: unknown) => e instanceof UpstreamError && e.kind === 'bad_response' && /before message_stop/.test(e.message));
      await assert.rejects(readAll(reader(['event: message_start\ndata: {not json\n\n'])), (e: unknown) => e instanceof UpstreamError && e.kind === 'bad_response');
    });
  });
});
