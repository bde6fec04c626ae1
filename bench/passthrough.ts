/**
 * The reference the targets are stated against: a minimal Hono + @hono/node-server + undici
 * pass-through. No auth, no routing table, no logging, no usage accounting: read the body, POST it
 * upstream with undici's `request` on a keep-alive Agent, write the upstream status and content type,
 * and pipe the upstream body (streamed, never buffered) into Node's response.
 *
 * Of the minimal variants tried on this machine this is the fastest, so it is the strict reference:
 * returning a web `Response` instead (undici `fetch`, or `request` + a web ReadableStream) was 1.3x to 4x
 * slower, and `Readable.toWeb(body)` crashed Node 20 ("Controller is already closed") when wrk closed
 * its connections. Writing to `c.env.outgoing` and returning RESPONSE_ALREADY_SENT is @hono/node-server's
 * documented way to answer from Node directly; Codex Gateway's proxy does the same.
 *
 * Run with `BENCH_UPSTREAM` (base URL ending in `/v1`); bench/run.ts bundles it with esbuild like the
 * gateway and runs it on plain node (`node --import tsx bench/passthrough.ts` works too).
 * Listens on 127.0.0.1 on a free port and prints `BENCH_LISTENING <port>` on stdout when ready.
 */
import { serve, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { pipeline } from 'node:stream';
import { Agent, request } from 'undici';

const upstream = process.env.BENCH_UPSTREAM;
if (!upstream) {
  process.stderr.write('bench/passthrough.ts: set BENCH_UPSTREAM (e.g. http://127.0.0.1:PORT/v1).\n');
  process.exit(2);
}
const chatUrl = `${upstream}/chat/completions`;
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });

const app = new Hono<{ Bindings: HttpBindings }>();
app.post('/v1/chat/completions', async (c) => {
  const up = await request(chatUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: c.req.header('authorization') ?? '' },
    body: Buffer.from(await c.req.arrayBuffer()),
    dispatcher: agent,
  });
  const out = c.env.outgoing;
  out.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') });
  pipeline(up.body, out, () => {
    /* a client that went away: pipeline already destroyed both sides */
  });
  return RESPONSE_ALREADY_SENT;
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`BENCH_LISTENING ${info.port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
