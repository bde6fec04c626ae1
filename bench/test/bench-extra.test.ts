/**
 * Tests of the bench's newer code (not of the gateway): the synthetic upstream streams and grown Codex
 * requests of the translation micro-benchmarks, the micro-benchmark harness itself (on tiny inputs), the
 * open-streams client against a real loopback server, the SVG charts, the soak's stream judging, the
 * process self-sampler, and the report sections and verdicts these feed.
 *
 *   npx mocha --node-option import=tsx bench/test/bench-extra.test.ts
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { responsesToChatRequest } from '../../src/gateway/translate';
import { argumentsJson, chatStreamFrames, DELTA_KINDS, prose } from '../lib/chat-stream';
import { readCapture, scaleCodexRequest } from '../lib/codex-scale';
import { openStreams } from '../lib/open-streams';
import { latencyThroughputSvg, microVerdicts, perStreamKiB, renderMarkdown, renderMicro, renderOpenStreams, verdicts, type BenchRun, type OpenStreamsRow } from '../lib/report';
import { sample, socketKinds } from '../lib/self-sample';
import { judgeStream, parseDuration, seededRandom } from '../lib/soak-check';
import { barChartSvg, lineChartSvg, niceTicks, xmlEscape } from '../lib/svg';
import { measureRequestCosts, measureStreamCosts, translateStream, type MicroResult } from '../lib/translate-cost';
import { costCell } from './helpers';

const GOLDEN = join(__dirname, '../../test/unit/translate/golden');

describe('bench: synthetic upstream streams', () => {
  it('builds argument JSON of exactly the asked length that stays valid wherever the cut falls', () => {
    for (let chars = 12; chars < 400; chars += 7) {
      const j = argumentsJson('cmd', chars);
      assert.equal(j.length, chars, `length for ${chars}`);
      assert.equal(typeof (JSON.parse(j) as { cmd: string }).cmd, 'string');
    }
    assert.equal(prose(57).length, 57);
  });

  it('frames every kind as valid chunks: deltas, finish, usage, [DONE]', () => {
    for (const kind of DELTA_KINDS) {
      const frames = chatStreamFrames({ kind, deltaChars: 10, events: 20 }).map((b) => b.toString('utf8'));
      assert.equal(frames.length, 23, kind);
      assert.equal(frames[22], 'data: [DONE]\n\n');
      const chunks = frames.slice(0, 22).map((f) => JSON.parse(f.slice('data: '.length)) as any);
      const deltas = chunks.slice(0, 20).map((c) => c.choices[0].delta);
      if (kind === 'text' || kind === 'reasoning') {
        const field = kind === 'text' ? 'content' : 'reasoning_content';
        assert.equal(deltas.map((d) => d[field]).join(''), prose(200));
        assert.equal(chunks[20].choices[0].finish_reason, 'stop');
      } else {
        const args = deltas.map((d) => d.tool_calls[0].function.arguments).join('');
        assert.equal(args.length, 200);
        assert.ok(JSON.parse(args));
        assert.equal(deltas[0].tool_calls[0].id, 'call_bench');
        assert.equal(chunks[20].choices[0].finish_reason, 'tool_calls');
      }
      assert.deepEqual(chunks[21].choices, []);
      assert.equal(chunks[21].usage.completion_tokens, 20);
    }
  });
});

describe('bench: translation micro-benchmark harness', () => {
  it('translates each kind of stream through the proxy pipeline to response.completed, and measures each part', () => {
    for (const kind of DELTA_KINDS) {
      // The check inside measureStreamCosts throws when a stream does not complete.
      const [c] = measureStreamCosts([{ kind, deltaChars: 7, events: 30 }], { samples: 1, minSampleMs: 1 });
      assert.equal(c.frames, 33);
      assert.ok(c.usPerEvent > 0 && Number.isFinite(c.usPerEvent), `${kind}: ${c.usPerEvent}`);
      assert.ok(c.parseUs > 0 && c.translateUs >= 0 && c.encodeUs >= 0);
      assert.ok(c.outEvents > 30, `${kind}: ${c.outEvents} events out`);
    }
    const [skip] = measureStreamCosts([{ kind: 'text', deltaChars: 5, events: 10 }], { samples: 1, minSampleMs: 1, breakdownFor: () => false });
    assert.ok(Number.isNaN(skip.parseUs));
  });

  it('translates a custom-tool stream (input decoded as it arrives) to response.completed', () => {
    const frames = chatStreamFrames({ kind: 'custom_input', deltaChars: 3, events: 40 });
    const plan = responsesToChatRequest(
      { model: 'm', input: 'x', tools: [{ type: 'custom', name: 'apply_patch', description: 'd' }] } as never,
      { model: 'm', provider: 'openai_compatible', dropParams: true, dropParamNames: new Set(), stream: true },
    );
    const out = translateStream(frames, { responseId: 'resp_1', alias: 'a', createdAt: 1, tools: plan.tools, request: {} as never });
    assert.equal(out.last, 'response.completed');
    assert.ok(out.chars > 1000);
  });

  it('does not report a cut stream as completed, and skips a frame of garbage', () => {
    const frames = chatStreamFrames({ kind: 'text', deltaChars: 5, events: 10 });
    const ctx = () => ({ responseId: 'resp_1', alias: 'a', createdAt: 1, tools: responsesToChatRequest({ model: 'm', input: 'x' } as never, { model: 'm', provider: 'openai_compatible', dropParams: true, dropParamNames: new Set(), stream: true }).tools, request: {} as never });
    const whole = translateStream(frames, ctx());
    const garbled = translateStream([...frames.slice(0, 5), Buffer.from('data: {not json\n\n'), ...frames.slice(5)], ctx());
    assert.deepEqual(garbled, whole);
    // Cut before `data: [DONE]`: the measurement's check (last event is response.completed) fails.
    const cut = translateStream(frames.slice(0, -1), ctx());
    assert.notEqual(cut.last, 'response.completed');
    assert.ok(cut.events < whole.events);
  });

  it('grows a real Codex capture to the asked size with fresh ids, and the translator accepts it', () => {
    const cap = readCapture(join(GOLDEN, 'codex-gpt55-turn2-groq.json'));
    const base = JSON.stringify(cap.request).length;
    assert.equal(scaleCodexRequest(cap.request, base - 10), cap.request);
    const big = scaleCodexRequest(cap.request, 200_000);
    const size = Buffer.byteLength(JSON.stringify(big));
    assert.ok(size >= 200_000 && size < 205_000, String(size));
    const calls = big.input.filter((i) => i.type === 'function_call').map((i) => i.call_id);
    assert.equal(new Set(calls).size, calls.length, 'call ids are unique');
    assert.deepEqual(big.input.slice(-10), cap.request.input.slice(-10), 'the captured turn comes last');
    const plan = responsesToChatRequest(big as never, { ...cap.options, dropParamNames: new Set(cap.options.dropParamNames) });
    const toolMsgs = plan.body.messages.filter((m) => m.role === 'tool').length;
    assert.equal(toolMsgs, big.input.filter((i) => /_call_output$/.test(i.type)).length);
    const fat = scaleCodexRequest(cap.request, 200_000, { outputBytes: 4096 });
    assert.ok(fat.input.filter((i) => i.type === 'function_call_output').some((i) => (i.output as string).length === 4096));
    assert.ok(fat.input.length < big.input.length);
    assert.throws(() => scaleCodexRequest(readCapture(join(GOLDEN, 'codex-gpt55-turn1-dashscope.json')).request, 1_000_000), /no history turn/);
  });

  it('measures the request path per size and shape', () => {
    const cap = readCapture(join(GOLDEN, 'codex-gpt55-turn2-groq.json'));
    const rows = measureRequestCosts(cap, [50_000, 100_000], { plain: {} }, { samples: 1, minSampleMs: 1 });
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.ok(r.bytes >= r.targetBytes && r.items > 14 && r.upstreamBytes > 10_000);
      assert.ok(r.parseMs > 0 && r.translateMs > 0 && r.stringifyMs > 0 && r.totalMs > 0);
    }
    assert.ok(rows[1].items > rows[0].items);
  });
});

describe('bench: open streams client', () => {
  it('opens streams held by a server, counts them open at the first token, and sees them complete', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: BENCH0\n\n');
        held.push(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const s = await openStreams({ url: `http://127.0.0.1:${port}/x`, headers: {}, body: '{}', n: 7, window: 3, firstTokenMarker: 'BENCH0', endMarker: '[DONE]', openTimeoutMs: 5000 });
      assert.equal(s.opened, 7);
      assert.equal(held.length, 7);
      for (const r of held.slice(0, 6)) r.end('data: [DONE]\n\n');
      held[6].end('data: cut\n\n');
      const f = await s.finish(5000);
      assert.deepEqual({ completed: f.completed, failed: f.failed, pending: f.pending }, { completed: 6, failed: 1, pending: 0 });
      assert.match(f.firstError ?? '', /without "\[DONE\]"/);
      s.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('bench: SVG charts', () => {
  it('picks nice ticks that cover the range', () => {
    assert.deepEqual(niceTicks(0.9, 4), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(niceTicks(47000, 4), [0, 20000, 40000, 60000]);
    assert.deepEqual(niceTicks(0), [0, 1]);
    assert.equal(xmlEscape('<a & "b">'), '&lt;a &amp; &quot;b&quot;&gt;');
  });

  it('draws bar and line panels as one well-formed SVG, with labels escaped and no NaN coordinates', () => {
    const bars = barChartSvg({
      title: 'T <1>',
      panels: [
        { title: 'p50', unit: 'ms', digits: 3, bars: [{ label: '(a) direct & co', value: 0.1, range: [0.08, 0.12] }, { label: '(e) skipped', value: NaN }] },
        { title: 'rps', unit: 'req/s', bars: [{ label: '(a) direct & co', value: 47000 }, { label: '(e) skipped', value: NaN }] },
      ],
    });
    const lines = lineChartSvg({ title: 'soak', xUnit: 's', panels: [{ title: 'rss', unit: 'MiB', markers: [[5, 'load']], series: [{ name: 'RSS', points: [[0, 60], [1, 61], [2, NaN], [3, 62]] }] }] });
    for (const svg of [bars, lines]) {
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
      assert.match(svg, /<\/svg>\n$/);
      assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
      assert.doesNotMatch(svg.replace(/<[^>]*>/g, ''), /[<>]/, 'no unescaped angle brackets in text');
    }
    assert.match(bars, /\(a\) direct &amp; co/);
  });
});

describe('bench: soak stream judging', () => {
  const TEXT = 'hello world';
  const ev = (type: string, data: Record<string, unknown>, seq: number) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...data })}\n\n`;
  const completed = (text: string) => ({ response: { output: [{ type: 'message', content: [{ type: 'output_text', text }] }] } });
  const okResponses = ev('response.created', {}, 0) + ev('response.output_text.delta', { delta: 'hello ' }, 1) + ev('response.output_text.delta', { delta: 'world' }, 2) + ev('response.completed', completed(TEXT), 3);

  it('accepts a complete Responses stream with the expected text, and a well-formed response.failed', () => {
    assert.deepEqual(judgeStream('responses', okResponses, TEXT).verdict, { kind: 'complete' });
    const failed = ev('response.created', {}, 0) + ev('response.output_text.delta', { delta: 'hel' }, 1) + ev('response.failed', { response: { error: { code: 'server_error', message: 'The upstream stream broke.' } } }, 0);
    const j = judgeStream('responses', failed, TEXT);
    assert.deepEqual(j.verdict, { kind: 'terminal_error', code: 'server_error', message: 'The upstream stream broke.' });
    assert.equal(j.remarks.sequenceNotIncreasing, 1);
  });

  it('calls broken what Codex could not use', () => {
    const why = (body: string) => {
      const v = judgeStream('responses', body, TEXT).verdict;
      return v.kind === 'broken' ? v.why : v.kind;
    };
    assert.match(why(okResponses.slice(0, -1)), /complete SSE frame/);
    assert.match(why(ev('response.created', {}, 0)), /no terminal event/);
    assert.match(why(okResponses + ev('response.output_text.delta', { delta: 'x' }, 4)), /after the terminal/);
    assert.match(why(okResponses.replace('world', 'w0rld')), /text deltas add up/);
    assert.match(why('event: response.created\ndata: {oops\n\n'), /non-JSON/);
    assert.match(why(ev('response.failed', { response: { error: null } }, 0)), /without error.code/);
    assert.match(why(''), /no SSE event/);
  });

  it('judges the Chat door: complete, error frame, broken', () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const ok = chunk({ role: 'assistant', content: 'hello ' }) + chunk({ content: 'world' }) + chunk({}, 'stop') + 'data: [DONE]\n\n';
    assert.deepEqual(judgeStream('chat', ok, TEXT).verdict, { kind: 'complete' });
    const err = chunk({ content: 'hel' }) + `data: ${JSON.stringify({ error: { message: 'broke', code: 'server_error' } })}\n\n`;
    assert.deepEqual(judgeStream('chat', err, TEXT).verdict, { kind: 'terminal_error', code: 'server_error', message: 'broke' });
    assert.equal(judgeStream('chat', chunk({ content: 'hello world' }) + chunk({}, 'stop'), TEXT).verdict.kind, 'broken');
    assert.equal(judgeStream('chat', ok + chunk({ content: 'x' }), TEXT).verdict.kind, 'broken');
  });

  it('parses durations and draws the same numbers for the same seed', () => {
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('3m'), 180);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.throws(() => parseDuration('soon'), /not a duration/);
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 5 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
  });
});

describe('bench: process self-sample', () => {
  it('counts handles by type and sees its own listening socket in /proc (Linux)', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const s = sample(Date.now() - 5, true);
      assert.ok(s.t >= 5 && s.rss > s.heapUsed && s.heapUsed > 0);
      assert.ok((s.handles.TCPServerWrap ?? 0) >= 1, JSON.stringify(s.handles));
      assert.equal(s.handlesTotal, Object.values(s.handles).reduce((a, b) => a + b, 0));
      assert.ok(s.sockets >= 1 && s.fds >= s.sockets);
      assert.ok(socketKinds().includes(`tcp LISTEN :${port}`), socketKinds().join(', '));
      assert.ok(s.socketKinds?.includes(`tcp LISTEN :${port}`));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('bench: micro-benchmark and open-streams report sections', () => {
  const mem = (rss: number) => ({ rssMiB: rss, anonMiB: rss - 40, fileMiB: 40, peakMiB: rss });
  const cell = (kind: 'text' | 'custom_input', deltaChars: number, events: number, us: number) => costCell(kind, deltaChars, events, us, 3);
  const micro: MicroResult = {
    capture: 'test/unit/translate/golden/codex-x.json',
    captureProvider: 'groq/m',
    streams: [cell('text', 10, 100, 1.5), cell('text', 10, 10_000, 1.6), cell('custom_input', 10, 100, 2), cell('custom_input', 10, 10_000, 2.1), cell('text', 1000, 100, 9), cell('text', 1000, 10_000, 12)],
    requests: [
      { shape: 'turns', targetBytes: 1_000_000, bytes: 1_010_000, items: 5000, upstreamBytes: 650_000, parseMs: 4, translateMs: 1, stringifyMs: 1, totalMs: 6.2, totalMaxMs: 7, totalWallMs: 8 },
      { shape: 'big outputs', targetBytes: 1_000_000, bytes: 1_005_000, items: 300, upstreamBytes: 990_000, parseMs: 2, translateMs: 0.1, stringifyMs: 1, totalMs: 3.3, totalMaxMs: 4, totalWallMs: 4 },
    ],
    durationS: 20,
    loadBefore: 1,
    loadAfter: 1.5,
    cores: 2,
  };
  const row = (id: string, before: number, open: number, opened = 1000): OpenStreamsRow => ({
    id,
    label: `${id} streams`,
    n: 1000,
    opened,
    openMs: 2000,
    completed: opened,
    failed: 0,
    origins: 16,
    before: mem(before),
    open: mem(open),
    after: mem(open + 5),
    sockets: 2001,
    upstreamBefore: mem(40),
    upstreamOpen: mem(60),
  });

  it('judges the event target per delta size and the 1 MB request target', () => {
    const v = microVerdicts(micro);
    assert.equal(v.length, 3);
    assert.deepEqual(
      v.map((x) => x.met),
      [true, false, true],
    );
    assert.match(v[0].measured, /^2\.10 µs \(custom_input, 10000 events\); best 1\.50 µs$/);
    assert.match(v[2].measured, /6\.20 ms \(turns/);
    assert.deepEqual(microVerdicts(undefined), []);
  });

  it('computes RSS per open stream and judges it against 30 kB, skipping the single-origin probe', () => {
    assert.equal(perStreamKiB(row('chat', 60, 80)), 20.48);
    assert.equal(perStreamKiB(row('chat', 60, 80), 'rssMiB', 'upstream'), 20.48);
    assert.ok(Number.isNaN(perStreamKiB({ ...row('chat', 60, 80), open: undefined })));
    const run = { load: [], streams: [], memory: [], notes: [], micro, openStreams: [row('chat', 60, 80), row('responses', 60, 120), row('single-origin', 60, 70, 128)], extra: [{ label: 'activation', value: 120, unit: 'ms', target: { goal: 'activates in <= 500 ms', met: true } }] } as unknown as BenchRun;
    const v = verdicts(run).filter((x) => /^(<= 5 µs|a 1 MB|< 30 KB)/.test(x.goal));
    assert.deepEqual(
      v.map((x) => [x.goal.slice(0, 30), x.met]),
      [
        ['<= 5 µs CPU per translated str', true],
        ['<= 5 µs CPU per translated str', false],
        ['a 1 MB Codex request is parsed', true],
        ['< 30 KB RSS per open stream: c', true],
        ['< 30 KB RSS per open stream: r', false],
      ],
    );
    assert.ok(verdicts(run).some((x) => x.goal === 'activates in <= 500 ms' && x.met === true && x.measured === '120 ms'));
  });

  it('renders the new sections and the chart link', () => {
    const md = renderMicro(micro).join('\n');
    assert.match(md, /\| text \(`delta\.content`\) \| 1000 \| \*\*9\.00\*\* \| \*\*12\.00\*\* \| 12\.0 \| 1\.00 \/ 0\.50 \/ 0\.50 \| 108 \|/);
    assert.match(md, /µs per event, 10,000 events/);
    assert.match(md, /\| turns \| 1\.01 MB \| 5000 \| 650 kB \| 4\.00 \| 1\.00 \| 1\.00 \| 6\.20 \| 7\.00 \|/);
    const os = renderOpenStreams([row('chat', 60, 80)]).join('\n');
    assert.match(os, /\| chat streams \| 1000 \/ 1000 \| 2\.0 s \| 60\.0 \| 80\.0 \| 85\.0 \| 20\.5 \(20\.5\) \| 2001 \| 1000 \| 20\.5 \|/);
    const run: BenchRun = {
      startedAt: '2026-01-01T00:00:00.000Z',
      durationS: 1,
      machine: { cpu: 'cpu', cores: 2, node: 'v20', wrk: 'wrk', loadBefore: [1, 1, 1], loadAfter: [1, 1, 1] },
      settings: { warmupS: 1, latencyCycles: 1, latencyS: 1, throughputCycles: 1, throughputS: 1, connections: 32, threads: 1, streamCycles: 1, streamN: 1, gatewayLogLevel: 'info', peer: 'none' },
      load: [{ id: 'a', label: '(a) direct', latency: [], throughput: [], skipped: 'x' }],
      streams: [],
      memory: [],
      micro,
      openStreams: [row('chat', 60, 80)],
      extra: [{ label: 'VS Code <host>', value: NaN, unit: 'ms', note: 'not run' }],
      notes: [],
    };
    const full = renderMarkdown(run);
    assert.match(full, /!\[Latency and throughput chart\]\(latency-throughput\.svg\)/);
    assert.match(full, /## Open streams/);
    assert.match(full, /## Translation CPU/);
    assert.match(full, /\| VS Code <host> \| - \| not run \|/);
    assert.match(latencyThroughputSvg(run), /<\/svg>/);
  });
});
