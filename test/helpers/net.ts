/**
 * Loopback port helpers shared by the tests (unit, integration, e2e, and the in-host VS Code suites, which
 * bundle this file): a free port to listen on, and whether anything still accepts connections on one.
 * Everything is on 127.0.0.1; nothing here sleeps except between bounded polls.
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';

/**
 * A port that was free on 127.0.0.1 a moment ago (the OS picks it; nothing else on this loopback is expected to
 * take it before the caller listens).
 * @throws the listen error when no port can be bound.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether nothing accepts connections on 127.0.0.1:`port` now (a connect attempt is refused). Never rejects. */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

/**
 * A loopback port on which nothing listens (a connect is refused), taken below the kernel's ephemeral range
 * (`/proc/sys/net/ipv4/ip_local_port_range`, 32768-60999 by default on Linux). A port that `listen(0)` handed
 * out and released can be handed to the next mock server of the same run, or of another process, before the
 * gateway connects to it; that turned "connection refused" cases into answers from another mock. Ports below
 * the range are never handed out that way.
 * @throws when 20 random ports in 10000..range start all accept connections.
 */
export async function refusingPort(): Promise<number> {
  let low = 32768;
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 12_000) low = first;
  } catch {
    // Not Linux: 32768 is below the IANA dynamic range (49152) other systems hand out.
  }
  for (let i = 0; i < 20; i++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await refused(port)) return port;
  }
  throw new Error('refusingPort: found no port that refuses connections');
}

/**
 * Polls every 100 ms until nothing accepts connections on 127.0.0.1:`port`.
 * @param ms the bound, in milliseconds.
 * @returns true once a connect is refused; false when `ms` passed first. Never rejects.
 */
export async function portFreed(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await refused(port)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
