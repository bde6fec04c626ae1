/**
 * Many concurrent streams held open through a server, for the open-streams memory rows: the client side.
 * Each stream is one node:http request on its own connection; it counts as open once its first token (the
 * mock upstream's `BENCH0`) has arrived, i.e. once the whole path client -> gateway -> upstream -> gateway
 * -> client is established. The upstream holds the streams until it is told to release them.
 */
import { Agent, request, type ClientRequest } from 'node:http';

/** Options of {@link openStreams}. */
export interface OpenStreamsOptions {
  /** `http://127.0.0.1:PORT/path`. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Streams to open. */
  n: number;
  /** Streams being set up at once (not yet at their first token); keeps the server's accept backlog short [64]. */
  window?: number;
  /** Text whose arrival marks a stream as open. */
  firstTokenMarker: string;
  /** Text a completed stream must contain. */
  endMarker: string;
  /** Time allowed for all `n` to open, ms; streams not open by then are left pending. */
  openTimeoutMs: number;
}

/** State of one stream. */
interface One {
  req: ClientRequest;
  text: string;
  open: boolean;
  ended: boolean;
  error?: string;
  status?: number;
}

/** Streams opened by {@link openStreams}. */
export interface OpenedStreams {
  /** Streams that reached their first token within the time allowed. */
  opened: number;
  /** Time until the last of them opened (or the timeout), ms. */
  openMs: number;
  /** Resolves once every stream has ended (or `timeoutMs` passed): how many completed with the end marker, and how many did not. */
  finish(timeoutMs: number): Promise<{ completed: number; failed: number; pending: number; firstError?: string }>;
  /** Destroys every stream still open. */
  destroy(): void;
}

/**
 * Opens `o.n` concurrent streams, at most `o.window` in set-up at a time, and waits until all are open
 * (first token received) or `o.openTimeoutMs` has passed.
 */
export async function openStreams(o: OpenStreamsOptions): Promise<OpenedStreams> {
  const u = new URL(o.url);
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const body = Buffer.from(o.body);
  const all: One[] = [];
  const window = o.window ?? 64;
  const t0 = Date.now();
  let settling = 0;
  let openCount = 0;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const endWaiters: Array<() => void> = [];
  const startOne = () => {
    const one: One = { req: undefined as never, text: '', open: false, ended: false };
    settling++;
    const settle = () => {
      if (!one.open) {
        one.open = true;
        settling--;
        poke();
      }
    };
    const finish = (err?: string) => {
      if (one.ended) return;
      one.ended = true;
      if (err) one.error = err;
      if (!one.open) {
        settling--;
        one.open = false;
        poke();
      }
      for (const w of endWaiters.splice(0)) w();
    };
    one.req = request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { ...o.headers, 'content-type': 'application/json', 'content-length': body.length } });
    one.req.once('error', (e) => finish(e.message));
    one.req.once('response', (res) => {
      one.status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        // Keep only what the markers need: the first token, then the tail for the end marker.
        one.text = one.open ? (one.text + d).slice(-4096) : one.text + d;
        if (!one.open && one.text.includes(o.firstTokenMarker)) {
          openCount++;
          settle();
        }
      });
      res.once('end', () => finish(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}: ${one.text.slice(0, 200)}`));
      res.once('error', (e) => finish(e.message));
    });
    one.req.end(body);
    all.push(one);
  };
  const deadline = t0 + o.openTimeoutMs;
  while (all.length < o.n && Date.now() < deadline) {
    while (all.length < o.n && settling < window) startOne();
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 200).unref();
    });
  }
  while (openCount < o.n && Date.now() < deadline && all.some((s) => !s.open && !s.ended)) {
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 200).unref();
    });
  }
  const openMs = Date.now() - t0;
  return {
    opened: openCount,
    openMs,
    async finish(timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (all.some((s) => !s.ended) && Date.now() < end) {
        await new Promise<void>((r) => {
          endWaiters.push(r);
          setTimeout(r, 200).unref();
        });
      }
      const completed = all.filter((s) => s.ended && !s.error && s.text.includes(o.endMarker)).length;
      const pending = all.filter((s) => !s.ended).length;
      const firstError = all.find((s) => s.ended && (s.error || !s.text.includes(o.endMarker)));
      return { completed, failed: all.length - completed - pending, pending, firstError: firstError ? (firstError.error ?? `ended without "${o.endMarker}"`) : undefined };
    },
    destroy() {
      for (const s of all) if (!s.ended) s.req.destroy();
      agent.destroy();
    },
  };
}
