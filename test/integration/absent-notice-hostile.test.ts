/**
 * The notice server Codex's auth command starts when the gateway is absent (src/gateway/codex/absent-notice.ts)
 * under hostile input on loopback: malformed HTTP, bodies larger than its 16 MB read bound, bodies that never
 * end, connections that never send a byte, many connections at once. It listens without a token, so whatever
 * arrives, it must not crash (an uncaught error would fail this run) and must stop within its documented
 * bounds: after its answer to `POST …/responses`, after `idleMs` without a request, and never later than
 * `maxMs`, so the auth command process that awaits `closed` exits. Short bounds here (idle 300 ms, max 2 s).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { NOTICE_HEADER, serveAbsentNotice, type NoticeServer } from '../../src/gateway/codex/absent-notice';
import { freePort } from '../helpers/net';

const IDLE_MS = 300;
const MAX_MS = 2_000;
/** Slack on every bound (a shared 2-core machine). */
const MARGIN_MS = 1_500;
const MESSAGE = 'Codex Gateway is not running (test).';

/** Starts a notice server with the test bounds; `t0` is when it started listening. */
async function start(): Promise<{ n: NoticeServer; port: number; t0: number }> {
  const port = await freePort();
  const n = await serveAbsentNotice({ host: '127.0.0.1', port, message: MESSAGE, idleMs: IDLE_MS, maxMs: MAX_MS });
  assert.notEqual(n, 'busy');
  return { n: n as NoticeServer, port, t0: Date.now() };
}

/** Resolves with the ms until `closed` resolved, or rejects past `bound` ms (the process would hang). */
async function stopsWithin(n: NoticeServer, t0: number, bound: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([n.closed, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the notice server was still running ${bound} ms after it started`)), bound - (Date.now() - t0))))]);
  } finally {
    clearTimeout(timer);
  }
  return Date.now() - t0;
}

/** A raw connection that writes `bytes` (if any) and records what comes back; never ends by itself. */
function raw(port: number, bytes?: string | Buffer): { sock: Socket; got: () => string; ended: Promise<void> } {
  const sock = connect({ host: '127.0.0.1', port });
  let data = '';
  sock.on('data', (c) => (data += c.toString('latin1')));
  sock.on('error', () => undefined);
  const ended = new Promise<void>((r) => sock.once('close', () => r()));
  if (bytes !== undefined) sock.write(bytes);
  return { sock, got: () => data, ended };
}

/** One well-formed `POST /v1/responses`; resolves with status, notice header and body. */
async function post(port: number): Promise<{ status: number; notice: string | null; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', input: 'hi', stream: true }), signal: AbortSignal.timeout(5_000) });
  return { status: r.status, notice: r.headers.get(NOTICE_HEADER), body: await r.text() };
}

describe('the absent-gateway notice server under hostile input (bounded)', function () {
  this.timeout(20_000);
  const open: Socket[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.destroy();
  });

  it('malformed HTTP does not crash it; it still answers Codex, then stops', async () => {
    const { n, port, t0 } = await start();
    const junk = [
      'GARBAGE\r\n\r\n',
      '\x00\x01\x02\xff\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'POST /v1/responses HTTP/1.1\r\nContent-Length: -5\r\n\r\n',
      'POST /v1/responses HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'POST /v1/responses HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n\r\n',
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\n\r\n`,
      `GET / HTTP/1.1\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
      'GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n',
    ];
    const conns = junk.map((j) => raw(port, j));
    open.push(...conns.map((c) => c.sock));
    // Each malformed request gets an HTTP error or a closed connection, never a hang.
    await Promise.all(conns.map((c) => Promise.race([c.ended, new Promise((r) => setTimeout(r, 3_000))])));
    for (const [i, c] of conns.entries()) assert.ok(c.sock.destroyed || c.got().startsWith('HTTP/1.1 4') || c.got().startsWith('HTTP/1.1 5'), `junk #${i}: ${JSON.stringify(c.got().slice(0, 80))}`);
    const r = await post(port);
    assert.equal(r.status, 200);
    assert.equal(r.notice, 'gateway-not-running');
    assert.match(r.body, /^event: response\.failed\n/);
    assert.ok(r.body.includes(MESSAGE));
    await stopsWithin(n, t0, MAX_MS + MARGIN_MS);
  });

  it('a body over the 16 MB read bound is answered (not buffered whole), then it stops', async () => {
    const { n, port, t0 } = await start();
    const before = process.memoryUsage().rss;
    const big = Buffer.alloc(24 << 20, 0x61);
    const r = await fetch(`http://127.0.0.1:${port}/v1/responses`, { method: 'POST', body: big, signal: AbortSignal.timeout(10_000) });
    assert.equal(r.status, 200);
    assert.match(await r.text(), /response\.failed/);
    assert.ok(process.memoryUsage().rss - before < 200 << 20, 'memory stayed bounded');
    await stopsWithin(n, t0, MAX_MS + MARGIN_MS);
  });

  it('connections that send nothing, half a request, or a body that never ends do not keep it alive past its bounds', async () => {
    const { n, port, t0 } = await start();
    const silent = raw(port);
    const halfHead = raw(port, 'POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Ty');
    const endlessBody = raw(port, 'POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"model": "m", ');
    open.push(silent.sock, halfHead.sock, endlessBody.sock);
    const ms = await stopsWithin(n, t0, MAX_MS + MARGIN_MS);
    assert.ok(ms >= IDLE_MS * 0.8, `stopped after ${ms} ms, before anything bounded it`);
  });

  it('after answering Codex it stops even while other connections hang', async () => {
    const { n, port, t0 } = await start();
    const hangers = [raw(port), raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n'), raw(port, 'POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nab')];
    open.push(...hangers.map((h) => h.sock));
    const r = await post(port);
    assert.equal(r.status, 200);
    await stopsWithin(n, t0, MAX_MS + MARGIN_MS);
  });

  it('many connections at once: every one gets an answer or a close; it stops within its bounds', async () => {
    const { n, port, t0 } = await start();
    const many = Array.from({ length: 300 }, (_, i) => raw(port, i % 3 === 0 ? 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' : i % 3 === 1 ? 'junk\r\n\r\n' : undefined));
    open.push(...many.map((m) => m.sock));
    await stopsWithin(n, t0, MAX_MS + MARGIN_MS);
    // Once stopped, the port is free again (the gateway can take it).
    const again = await serveAbsentNotice({ host: '127.0.0.1', port, message: MESSAGE, idleMs: 50, maxMs: 500 });
    assert.notEqual(again, 'busy', 'the port is still held');
    if (again !== 'busy') {
      again.close();
      await again.closed;
    }
    const answered = many.filter((m, i) => i % 3 === 0 && m.got().startsWith('HTTP/1.1 503')).length;
    assert.ok(answered > 0, 'some GETs were answered with the 503 notice');
  });

  it('idle: with no request at all it stops after idleMs', async () => {
    const { n, t0 } = await start();
    const ms = await stopsWithin(n, t0, IDLE_MS + MARGIN_MS);
    assert.ok(ms >= IDLE_MS * 0.8, `stopped after ${ms} ms`);
  });
});
