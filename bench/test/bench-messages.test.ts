/**
 * Tests of the bench's Anthropic Messages parts (not of the gateway): the mock upstream's `/v1/messages`
 * (streamed and JSON, judged by the gateway's own SSE reader and decoder), the synthetic Messages streams
 * and their micro-benchmark harness, the Messages request rows, and the report sections they feed.
 *
 *   npx mocha --node-option import=tsx bench/test/bench-messages.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { judgeJson, SseReader } from '../../src/gateway/upstream-answer';
import { MessagesDecoder, messagesJsonToEvents } from '../../src/gateway/wires/messages/decode';
import type { HubEvent } from '../../src/gateway/hub/types';
import { argumentsJson, prose } from '../lib/chat-stream';
import { readCapture } from '../lib/codex-scale';
import { BENCH_SIGNATURE, MESSAGES_DELTA_KINDS, messagesStreamFrames } from '../lib/messages-stream';
import { Procs, type Server } from '../lib/procs';
import { microVerdicts, renderMicro } from '../lib/report';
import { measureMessagesStreamCosts, measureRequestCosts, translateMessagesStream, type MicroResult, type StreamCost } from '../lib/translate-cost';
import { newResponseId } from '../../src/gateway/translate';
import { parseResponsesRequest } from '../../src/gateway/wires/responses/door-request';
import { costCell } from './helpers';

const ROOT = resolve(__dirname, '../..');
const GOLDEN = join(ROOT, 'test/unit/translate/golden');

/** POSTs `body` and returns status, headers and the whole body text. */
function post(port: number, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; type: string; text: string }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    req.once('error', rej);
    req.once('response', (r) => {
      let text = '';
      r.setEncoding('utf8').on('data', (d: string) => (text += d));
      r.once('end', () => res({ status: r.statusCode ?? 0, type: String(r.headers['content-type'] ?? ''), text }));
    });
    req.end(body);
  });
}

/** Reads SSE text through the gateway's own reader (wire `messages`) and decoder; returns the hub events. */
async function decodeLikeTheGateway(text: string): Promise<{ events: HubEvent[]; complete: boolean }> {
  const reader = new SseReader('messages', Readable.from([Buffer.from(text)]), undefined, { firstEventDeadline: Date.now() + 5000, firstEventLabel: 'test', idleMs: 5000 }, new AbortController().signal);
  await reader.first();
  const dec = new MessagesDecoder();
  const events: HubEvent[] = [];
  for await (const b of reader.batches()) for (const ev of b.events) if (ev.json) events.push(...dec.push(ev.json, ev.event));
  return { events, complete: reader.complete };
}

const textOf = (events: HubEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('');

describe('bench: mock upstream, Anthropic Messages wire', function () {
  this.timeout(30_000);
  const procs = new Procs();
  const key = 'bench-test-upstream-token';
  let up: Server;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-msg-'));
    up = await procs.startServer('upstream', ['--import', 'tsx', 'bench/upstream.ts'], join(dir, 'upstream.log'), {
      env: { PATH: process.env.PATH, BENCH_UPSTREAM_KEY: key },
      ready: /BENCH_LISTENING (\d+)/,
      timeoutMs: 25_000,
      cwd: ROOT,
    });
  });
  after(async () => {
    await procs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });
  const auth = { 'x-api-key': key, 'anthropic-version': '2023-06-01' };

  it('streams message_start .. message_stop per the contract, first token BENCH0 in the first write; the gateway reader judges it complete', async () => {
    const r = await post(up.port, '/v1/messages', auth, '{"model":"bench-model","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}');
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/event-stream/);
    const frames = r.text.split('\n\n').filter(Boolean);
    const types = frames.map((f) => {
      const [ev, data] = f.split('\n');
      const json = JSON.parse(data.slice('data: '.length)) as { type: string };
      assert.equal(ev, `event: ${json.type}`, 'event name equals the data type');
      return json.type;
    });
    assert.deepEqual(types, ['message_start', 'ping', 'content_block_start', ...Array(11).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
    const { events, complete } = await decodeLikeTheGateway(r.text);
    assert.ok(complete);
    assert.equal(textOf(events), 'BENCH0 hello from the mock upstream, a short streamed answer.');
    assert.deepEqual(events.at(-1), { type: 'finish', reason: 'stop' });
    assert.deepEqual(events.filter((e) => e.type === 'usage').at(-1), { type: 'usage', usage: { input: 12, output: 11, cachedInput: 0, cacheCreationInput: 0 } });
  });

  it('answers a message JSON when not streamed, records the body, counts it, and refuses a wrong key or a missing version as Anthropic does', async () => {
    const body = '{"model":"bench-model","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}';
    const r = await post(up.port, '/v1/messages', auth, body);
    assert.equal(r.status, 200);
    const json = judgeJson('messages', r.text, r.type, undefined);
    assert.equal(textOf(messagesJsonToEvents(json)), 'BENCH0 hello from the mock upstream, a short answer.');
    const last = await new Promise<string>((res) => request({ host: '127.0.0.1', port: up.port, path: '/last-request' }, (x) => {
      let t = '';
      x.setEncoding('utf8').on('data', (d: string) => (t += d)).once('end', () => res(t));
    }).end());
    assert.equal(last, body);
    const bad = await post(up.port, '/v1/messages', { ...auth, 'x-api-key': 'wrong' }, body);
    assert.equal(bad.status, 401);
    assert.equal(JSON.parse(bad.text).error.type, 'authentication_error');
    const noVersion = await post(up.port, '/v1/messages', { 'x-api-key': key }, body);
    assert.equal(noVersion.status, 400);
    assert.equal(JSON.parse(noVersion.text).error.type, 'invalid_request_error');
    // The chat wire still answers with its own key header.
    const chat = await post(up.port, '/v1/chat/completions', { authorization: `Bearer ${key}` }, '{"model":"m","messages":[]}');
    assert.equal(chat.status, 200);
    assert.equal(JSON.parse(chat.text).object, 'chat.completion');
  });
});

describe('bench: synthetic Anthropic Messages streams', () => {
  it('frames every kind per the contract; the payload reassembles to the prose or input JSON', async () => {
    for (const kind of MESSAGES_DELTA_KINDS) {
      const frames = messagesStreamFrames({ kind, deltaChars: 10, events: 20 }).map((b) => b.toString('utf8'));
      const extra = kind === 'text' ? 0 : 1; // tool kinds: empty first input_json_delta; thinking: signature_delta
      assert.equal(frames.length, 20 + 6 + extra, kind);
      const data = frames.map((f) => {
        const [ev, d] = f.split('\n');
        const j = JSON.parse(d.slice('data: '.length)) as any;
        assert.equal(ev, `event: ${j.type}`);
        return j;
      });
      assert.deepEqual(
        data.map((d) => d.type).filter((t) => t !== 'content_block_delta'),
        ['message_start', 'ping', 'content_block_start', 'content_block_stop', 'message_delta', 'message_stop'],
      );
      const deltas = data.filter((d) => d.type === 'content_block_delta').map((d) => d.delta);
      if (kind === 'text') assert.equal(deltas.map((d) => d.text).join(''), prose(200));
      if (kind === 'thinking') {
        assert.equal(deltas.slice(0, -1).map((d) => d.thinking).join(''), prose(200));
        assert.deepEqual(deltas.at(-1), { type: 'signature_delta', signature: BENCH_SIGNATURE });
      }
      if (kind === 'tool_input' || kind === 'custom_input') {
        assert.equal(deltas[0].partial_json, '');
        const json = deltas.map((d) => d.partial_json).join('');
        assert.equal(json, argumentsJson(kind === 'tool_input' ? 'cmd' : 'input', 200, kind === 'custom_input' ? '*** Begin Patch\n*** Update File: src/app.ts\n@@\n' : ''));
        assert.equal(data.at(-2).delta.stop_reason, 'tool_use');
      }
      // The gateway's reader and decoder accept the stream.
      const { complete, events } = await decodeLikeTheGateway(frames.join(''));
      assert.ok(complete, kind);
      assert.ok(events.some((e) => e.type === 'finish'), kind);
    }
  });

  it('translates each kind to Responses events ending with response.completed; apply_patch input arrives decoded', () => {
    const request = { model: 'm', input: 'x', tools: [{ type: 'custom', name: 'apply_patch', description: 'd' }] };
    const hub = parseResponsesRequest(request as never);
    const frames = messagesStreamFrames({ kind: 'custom_input', deltaChars: 3, events: 40 });
    const out = translateMessagesStream(frames, { responseId: newResponseId(), alias: 'a', createdAt: 1, tools: hub.toolMap, request: request as never });
    assert.equal(out.last, 'response.completed');
    assert.ok(out.events > 40, String(out.events));
    for (const kind of MESSAGES_DELTA_KINDS) {
      const [c] = measureMessagesStreamCosts([{ kind, deltaChars: 7, events: 30 }], { samples: 1, minSampleMs: 1 });
      assert.equal(c.frames, 30 + 6 + (kind === 'text' ? 0 : 1));
      assert.ok(c.usPerEvent > 0 && Number.isFinite(c.usPerEvent), `${kind}: ${c.usPerEvent}`);
      assert.ok(c.parseUs > 0 && c.translateUs >= 0 && c.encodeUs >= 0);
      assert.ok(c.outEvents > 30, `${kind}: ${c.outEvents} events out`);
    }
  });

  it('measures the request path for a Messages upstream', () => {
    const cap = readCapture(join(GOLDEN, 'codex-gpt55-turn2-groq.json'));
    const rows = measureRequestCosts(cap, [50_000], { plain: {} }, { samples: 1, minSampleMs: 1 }, ['chat', 'messages']);
    assert.deepEqual(
      rows.map((r) => r.wire),
      ['chat', 'messages'],
    );
    for (const r of rows) assert.ok(r.upstreamBytes > 10_000 && r.translateMs > 0 && r.totalMs > 0);
  });
});

describe('bench: Messages micro-benchmark report', () => {
  const cell = (kind: StreamCost['kind'], deltaChars: number, events: number, us: number) => costCell(kind, deltaChars, events, us, 6);
  const micro: MicroResult = {
    capture: 'test/unit/translate/golden/codex-x.json',
    captureProvider: 'groq/m',
    streams: [cell('text', 10, 100, 1.5), cell('text', 10, 10_000, 1.6)],
    messagesStreams: [cell('text', 10, 100, 1.7), cell('thinking', 10, 10_000, 2.5), cell('custom_input', 1000, 100, 12), cell('custom_input', 1000, 10_000, 20)],
    requests: [
      { shape: 'turns', wire: 'chat', targetBytes: 1_000_000, bytes: 1_010_000, items: 5000, upstreamBytes: 650_000, parseMs: 4, translateMs: 1, stringifyMs: 1, totalMs: 6.2, totalMaxMs: 7, totalWallMs: 8 },
      { shape: 'turns', wire: 'messages', targetBytes: 1_000_000, bytes: 1_010_000, items: 5000, upstreamBytes: 680_000, parseMs: 4, translateMs: 4, stringifyMs: 1.2, totalMs: 10.4, totalMaxMs: 12, totalWallMs: 12 },
    ],
    durationS: 20,
    loadBefore: 1,
    loadAfter: 1.5,
    cores: 2,
  };

  it('judges the Messages rows per delta size and the 1 MB request per upstream wire', () => {
    const v = microVerdicts(micro);
    const goals = v.map((x) => [x.goal.replace(/ \(.*$/, ''), x.met]);
    assert.deepEqual(goals, [
      ['<= 5 µs CPU per translated stream event, 10-character deltas', true],
      ['<= 5 µs CPU per translated Anthropic Messages stream event, 10-character deltas', true],
      ['<= 5 µs CPU per translated Anthropic Messages stream event, 1000-character deltas', false],
      ['a 1 MB Codex request is parsed, translated', true],
      ['a 1 MB Codex request is parsed, translated', false],
    ]);
    assert.match(v[2].measured, /^20\.00 µs \(custom_input, 10000 events\); best 12\.00 µs$/);
    assert.match(v[4].goal, /for an Anthropic Messages upstream/);
    assert.match(v[3].goal, /for a Chat Completions upstream/);
  });

  it('renders the Messages stream table and the upstream column of the request table', () => {
    const md = renderMicro(micro).join('\n');
    assert.match(md, /### Streamed Anthropic Messages -> hub -> Responses events/);
    assert.match(md, /\| thinking \(`thinking_delta`, then a `signature_delta`\) \| 10 \| - \| 2\.50 \|/);
    assert.match(md, /\| custom tool input \(apply_patch: `input_json_delta` of `\{"input":"\.\.\."\}`, decoded as it streams\) \| 1000 \| \*\*12\.00\*\* \| \*\*20\.00\*\* \| 20\.0 \| 1\.00 \/ 0\.50 \/ 0\.50 \| 108 \|/);
    assert.match(md, /\| messages \| turns \| 1\.01 MB \| 5000 \| 680 kB \| 4\.00 \| 4\.00 \| 1\.20 \| \*\*10\.40\*\* \| 12\.00 \|/);
  });
});
