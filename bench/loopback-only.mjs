// Preload (`node --import ./bench/loopback-only.mjs peer.js`) for peer servers the bench runs that bind
// every interface by default (the Portkey gateway calls @hono/node-server's serve() without a hostname).
// It forces every TCP listen onto 127.0.0.1 and prints `BENCH_LISTENING <port>` on stderr once the
// first server is listening, so `--port=0` can be used and no port is guessed. Plain JS on purpose: the
// peer runs without any TypeScript loader, exactly as its users run it.
import net from 'node:net';

const listen = net.Server.prototype.listen;
let reported = false;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    const port = Number(args[0]);
    const cb = args.find((a) => typeof a === 'function');
    args = cb ? [port, '127.0.0.1', cb] : [port, '127.0.0.1'];
  } else if (args[0] && typeof args[0] === 'object' && !Array.isArray(args[0]) && 'port' in args[0]) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  this.once('listening', () => {
    if (reported) return;
    reported = true;
    const a = this.address();
    process.stderr.write(`BENCH_LISTENING ${a && typeof a === 'object' ? a.port : 0}\n`);
  });
  return listen.apply(this, args);
};
