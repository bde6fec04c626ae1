/**
 * Translation micro-benchmarks of `npm run bench`, run in a node process of their own (bench/run.ts
 * bundles this file with esbuild, the gateway's build options, and runs it on plain node), so the
 * translator's code is compiled as in the gateway and no server shares the process:
 *
 * 1. CPU per translated stream event: Chat Completions chunks -> Responses events -> SSE text, for each
 *    delta kind x delta size x stream length (see bench/lib/translate-cost.ts); the same for Anthropic
 *    Messages events -> hub -> Responses events (the Codex path on a `messages` deployment).
 * 2. CPU to take a large Codex request through the gateway's request path (JSON.parse, translate,
 *    JSON.stringify), for bodies grown from a real captured Codex request (bench/lib/codex-scale.ts), for
 *    a Chat and a Messages upstream.
 *
 *   node micro.js --capture test/unit/translate/golden/codex-gpt55-turn2-groq.json [--quick]
 *
 * Prints progress on stderr and one line `BENCH_MICRO <json>` (`MicroResult` of bench/lib/translate-cost.ts) on stdout.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DELTA_KINDS } from './lib/chat-stream';
import { readCapture } from './lib/codex-scale';
import { MESSAGES_DELTA_KINDS } from './lib/messages-stream';
import { measureMessagesStreamCosts, measureRequestCosts, measureStreamCosts, streamMatrix, type MicroResult } from './lib/translate-cost';

/** Delta sizes (characters per upstream event) of the stream table. */
export const DELTA_SIZES = [10, 100, 1000] as const;
/** Stream lengths (upstream delta events) of the stream table. */
export const STREAM_LENGTHS = [100, 10_000] as const;
/** Request sizes (bytes) of the request table. */
export const REQUEST_SIZES = [40_000, 250_000, 1_000_000, 4_000_000] as const;
/** How the history grows: the captured turn as is (many small items), or with 8 KiB tool outputs. */
export const REQUEST_SHAPES = { 'captured turns repeated': {}, 'same, tool outputs grown to 8 KiB': { outputBytes: 8192 } } as const;

function main(): void {
  const { values } = parseArgs({ options: { capture: { type: 'string' }, quick: { type: 'boolean' } } });
  if (!values.capture) throw new Error('micro: --capture FILE (a golden codex-*.json) is required');
  const quick = values.quick === true;
  const t0 = Date.now();
  const loadBefore = loadavg()[0];
  const o = { samples: quick ? 3 : 5, minSampleMs: quick ? 15 : 25 };
  const log = (m: string) => process.stderr.write(`micro: ${m}\n`);
  log('stream events ...');
  const streams = measureStreamCosts(streamMatrix(DELTA_KINDS, DELTA_SIZES, quick ? [100, 1000] : STREAM_LENGTHS), {
    ...o,
    breakdownFor: (s) => s.events === 100,
  });
  log('Messages stream events ...');
  const messagesStreams = measureMessagesStreamCosts(streamMatrix(MESSAGES_DELTA_KINDS, DELTA_SIZES, quick ? [100, 1000] : STREAM_LENGTHS), {
    ...o,
    breakdownFor: (s) => s.events === 100,
  });
  log('request translation ...');
  const capture = readCapture(values.capture);
  const requests = measureRequestCosts(capture, REQUEST_SIZES, REQUEST_SHAPES, o, ['chat', 'messages']);
  const result: MicroResult = {
    capture: values.capture,
    captureProvider: `${capture.options.provider}/${capture.options.model}`,
    streams,
    messagesStreams,
    requests,
    durationS: (Date.now() - t0) / 1000,
    loadBefore,
    loadAfter: loadavg()[0],
    cores: cpus().length,
  };
  process.stdout.write(`BENCH_MICRO ${JSON.stringify(result)}\n`);
}

main();
