/**
 * A process's view of its own resources, for the soak's gateway sampler (bench/soak-gateway.ts):
 * memory (`process.memoryUsage()`), active handles by type (`process.getActiveResourcesInfo()`), and
 * file descriptors / sockets from /proc/self (Linux).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One sample of the gateway process. Memory in bytes (from `process.memoryUsage()`), time in ms since start. */
export interface Sample {
  t: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** `process.getActiveResourcesInfo()` counted by type (`TCPSocketWrap`, `TCPServerWrap`, `Timeout`, ...). */
  handles: Record<string, number>;
  /** Sum of `handles`. */
  handlesTotal: number;
  /** File descriptors that are sockets (/proc/self/fd), and all file descriptors. */
  sockets: number;
  fds: number;
  /** True when a full GC ran right before (SIGUSR2 with --expose-gc). */
  gc?: boolean;
  /**
   * On SIGUSR2 samples only: each socket fd described from /proc/net/{tcp,tcp6,unix} (`tcp LISTEN :4000`,
   * `tcp ESTABLISHED :4000 -> :51234`, `unix`, or `unknown` when the inode is in none of them).
   */
  socketKinds?: string[];
}

const TCP_STATES: Record<string, string> = { '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT', '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING' };

/** Describes every socket fd of this process (see {@link Sample.socketKinds}); Linux only, [] elsewhere. */
export function socketKinds(): string[] {
  try {
    const byInode = new Map<string, string>();
    for (const f of ['tcp', 'tcp6']) {
      let text = '';
      try {
        text = readFileSync(`/proc/self/net/${f}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const c = line.trim().split(/\s+/);
        if (c.length < 10) continue;
        const port = (hexAddr: string) => parseInt(hexAddr.split(':')[1], 16);
        byInode.set(c[9], `tcp ${TCP_STATES[c[3]] ?? c[3]} :${port(c[1])}${c[3] === '0A' ? '' : ` -> :${port(c[2])}`}`);
      }
    }
    try {
      for (const line of readFileSync('/proc/self/net/unix', 'utf8').split('\n').slice(1)) {
        const c = line.trim().split(/\s+/);
        if (c.length >= 7) byInode.set(c[6], `unix${c[7] ? ` ${c[7]}` : ''}`);
      }
    } catch {
      /* no unix table */
    }
    const out: string[] = [];
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m) out.push(byInode.get(m[1]) ?? 'unknown');
      } catch {
        /* closed meanwhile */
      }
    }
    return out.sort();
  } catch {
    return [];
  }
}

/** Counts of /proc/self/fd entries: all, and sockets among them (Linux; -1 elsewhere). */
function fdCounts(): { fds: number; sockets: number } {
  try {
    const fds = readdirSync('/proc/self/fd');
    let sockets = 0;
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
      } catch {
        /* closed meanwhile (the readdir's own fd) */
      }
    }
    return { fds: fds.length, sockets };
  } catch {
    return { fds: -1, sockets: -1 };
  }
}

/**
 * Takes one sample of this process (see {@link Sample}).
 * @param t0 start time, epoch ms (`t` is ms since then).
 * @param gc true for a sample taken right after a full GC (adds `socketKinds`).
 */
export function sample(t0: number, gc = false): Sample {
  const m = process.memoryUsage();
  const handles: Record<string, number> = {};
  let handlesTotal = 0;
  for (const h of process.getActiveResourcesInfo()) {
    handles[h] = (handles[h] ?? 0) + 1;
    handlesTotal++;
  }
  return { t: Date.now() - t0, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, handles, handlesTotal, ...fdCounts(), ...(gc ? { gc, socketKinds: socketKinds() } : {}) };
}
