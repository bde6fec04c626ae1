/**
 * The request log line (`Logger.request`, src/gateway/log.ts) with hostile text in the fields a request
 * controls (the alias is the client's `model`) or an upstream error quotes: one request writes exactly one
 * line, with no control, line-separator or bidi characters, and the fields parse back to what was logged
 * (no field can be forged by a value that contains ` deployment=...` or a newline). Property-based
 * (fast-check, fixed seed printed at the start; `FUZZ_SEED=N` repeats another run).
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { Logger, type RequestLogRecord } from '../../src/gateway/log';
import { fuzzSeed, ODD_STRINGS } from '../helpers/fuzz-arbitraries';

/** Logs one record synchronously (flush) and returns the lines the sink got. */
function logLines(r: RequestLogRecord): string[] {
  const lines: string[] = [];
  const logger = new Logger('debug', (_level, line) => lines.push(line));
  logger.request(r);
  logger.flush();
  return lines;
}

/** Characters that must never appear raw in a log line. */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Parses a request line back into its route and `key=value` fields; a value is a bare token or a JSON string.
 * @throws AssertionError when the line does not have that shape.
 */
function parseLine(line: string): { route: string; fields: Array<[string, string]> } {
  const token = /("(?:[^"\\]|\\.)*"|[^\s"]+)/y;
  const field = / ([a-z_]+)=("(?:[^"\\]|\\.)*"|[^\s"]+)/y;
  const decode = (t: string) => (t.startsWith('"') ? (JSON.parse(t) as string) : t);
  const m = token.exec(line);
  assert.ok(m, line);
  const fields: Array<[string, string]> = [];
  let pos = token.lastIndex;
  while (pos < line.length) {
    field.lastIndex = pos;
    const f = field.exec(line);
    assert.ok(f, `unparsable log line at ${pos}: ${line}`);
    fields.push([f[1], decode(f[2])]);
    pos = field.lastIndex;
  }
  return { route: decode(m[1]), fields };
}

const KEYS = ['alias', 'deployment', 'wire', 'status', 'latency_ms', 'ttfb_ms', 'tokens_in', 'tokens_out', 'retries', 'fallback', 'stream', 'error'];

describe('request log line: hostile field text', function () {
  this.timeout(30_000);
  const seed = fuzzSeed();

  it('a model name with a newline cannot forge a second line or a field', () => {
    const lines = logLines({ route: '/v1/responses', alias: 'x\nWARN /v1/responses alias=admin status=200', deployment: 'd deployment=forged', status: 400, latencyMs: 1, retries: 0, stream: false, error: 'bad\r\nINFO forged' });
    assert.equal(lines.length, 1);
    assert.ok(!/[\r\n]/.test(lines[0]), lines[0]);
    assert.match(lines[0], /^\/v1\/responses alias="x\\nWARN \/v1\/responses alias=admin status=200" deployment="d deployment=forged" wire=- status=400 /);
    assert.match(lines[0], / error="bad\\r\\nINFO forged"$/);
  });

  it('keeps ordinary values bare and readable', () => {
    const [line] = logLines({ route: '/v1/chat/completions', alias: 'ds', deployment: 'ds#0', wire: 'chat', status: 200, latencyMs: 12.34, ttfbMs: 3, inputTokens: 5, outputTokens: 7, retries: 1, fallbackFrom: 'gpt', stream: true });
    assert.equal(line, '/v1/chat/completions alias=ds deployment=ds#0 wire=chat status=200 latency_ms=12.3 ttfb_ms=3.0 tokens_in=5 tokens_out=7 retries=1 fallback=gpt->ds stream=true');
  });

  it('caps a huge alias and error text, saying how much was cut', () => {
    const [line] = logLines({ route: '/v1/responses', alias: 'a'.repeat(100_000), status: 400, latencyMs: 1, retries: 0, stream: false, error: 'e'.repeat(100_000) });
    assert.ok(line.length < 3000, `${line.length} characters`);
    const { fields } = parseLine(line);
    assert.match(fields.find(([k]) => k === 'alias')![1], /…\[99744 more characters\]$/);
    assert.match(fields.find(([k]) => k === 'error')![1], /…\[98000 more characters\]$/);
  });

  it('any text in alias, deployment, wire, fallback and error: one line, no raw control/bidi characters, fields parse back', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
      fc.constantFrom(...ODD_STRINGS),
      fc.string({ maxLength: 10 }).map((s) => `${s} error="x" status=200`),
    );
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), (alias, deployment, wire, fallbackFrom, error) => {
        const r: RequestLogRecord = { route: '/v1/responses', alias, deployment, wire, status: 502, latencyMs: 2, retries: 0, fallbackFrom, stream: false, error };
        const lines = logLines(r);
        assert.equal(lines.length, 1);
        const line = lines[0];
        assert.ok(!FORBIDDEN.test(line), JSON.stringify(line));
        const { route, fields } = parseLine(line);
        assert.equal(route, '/v1/responses');
        const keys = fields.map(([k]) => k);
        assert.deepEqual(keys, KEYS.filter((k) => k !== 'ttfb_ms' && (k !== 'error' || error)), line);
        // Values come back exactly (lone surrogates round-trip as JSON escapes), or cut with a note past the cap.
        const expect = (k: string, original: string, cap = 256) => {
          const got = fields.find(([key]) => key === k)![1];
          if (original.length <= cap) assert.equal(got, original, k);
          else assert.equal(got, `${original.slice(0, cap)}…[${original.length - cap} more characters]`, k);
        };
        expect('alias', alias);
        expect('deployment', deployment ?? '-');
        expect('wire', wire ?? '-');
        expect('fallback', fallbackFrom ? `${fallbackFrom}->${alias}` : '-');
        if (error) expect('error', error, 2000);
      }),
      { seed, numRuns: 3000 },
    );
  });
});
