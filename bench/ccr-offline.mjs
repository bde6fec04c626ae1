// Preload for claude-code-router (CCR) in the bench (`node --import ./bench/ccr-offline.mjs ccr.js serve ...`):
// - bench/loopback-only.mjs: every TCP listen on 127.0.0.1, `BENCH_LISTENING <port>` on stderr for the first one;
// - no traffic off this machine: a TCP connect to anything but a loopback address (127.0.0.0/8, ::1,
//   localhost) or a Unix socket fails at once with ECONNREFUSED and is reported on stderr as
//   `BENCH_BLOCKED <host>:<port>`, so the bench can show what CCR tried to reach (update checks, model lists)
//   and CCR cannot reach it.
// CCR forks its gateway and workers with child_process.fork, which passes node's --import on to them
// (execArgv), so they are covered too. Plain JS, as loopback-only.mjs.
import net from 'node:net';
import './loopback-only.mjs';

const loopback = (host) => host === undefined || host === 'localhost' || host === '::1' || /^127\./.test(host) || /^::ffff:127\./.test(host);
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  let host;
  let port;
  let path;
  if (first && typeof first === 'object') {
    ({ host, port, path } = first);
  } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
    path = first;
  } else {
    port = first;
    host = typeof args[1] === 'string' ? args[1] : undefined;
  }
  if (path === undefined && !loopback(host)) {
    process.stderr.write(`BENCH_BLOCKED ${host}:${port}\n`);
    const err = Object.assign(new Error(`bench/ccr-offline.mjs: connect to ${host}:${port} blocked (loopback only)`), { code: 'ECONNREFUSED' });
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return connect.apply(this, args);
};
