/**
 * Child processes of the bench: servers (mock upstream, reference pass-through, our gateway, the peer
 * gateway) and load generator runs. Every child is tracked so that {@link Procs.stopAll} (normal end) and
 * {@link Procs.killAllSync} (`exit`, SIGINT, uncaught error) leave nothing running. Children are
 * stopped by their own pid, never by name.
 *
 * Server output goes to a log file, not to a pipe, so the bench process spends no CPU draining it
 * while it measures; readiness is found by polling that file for a line such as `BENCH_LISTENING <port>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A server started by {@link Procs.startServer}. */
export interface Server {
  /** Short name used in messages (`upstream`, `gateway`, ...). */
  name: string;
  /** Process id of the server (node itself, not a shell). */
  pid: number;
  /** Port it listens on (127.0.0.1). */
  port: number;
  /** File that receives its stdout and stderr. */
  logFile: string;
  proc: ChildProcess;
}

/** Options of {@link Procs.startServer}. */
export interface StartOptions {
  /** Environment of the child (the parent's environment is NOT inherited unless spread in). */
  env: NodeJS.ProcessEnv;
  /** Regular expression on the log whose first capture group is the port. */
  ready: RegExp;
  /** Time allowed until `ready` matches, in ms. */
  timeoutMs: number;
  /** Working directory. */
  cwd: string;
}

/** Result of {@link Procs.run}. */
export interface RunResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the run was killed because it exceeded its time limit. */
  timedOut: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Tracks and controls every child process of one bench run. */
export class Procs {
  private readonly live = new Set<ChildProcess>();

  /**
   * Starts `node <args>` as a server and waits until its log matches `opts.ready`.
   * @param name short name for messages.
   * @param args arguments of the node binary (`process.execPath`).
   * @param logFile where its stdout and stderr go (truncated).
   * @throws Error naming the server and quoting the end of its log when it exits early or is not ready
   *   within `opts.timeoutMs` ms.
   */
  async startServer(name: string, args: string[], logFile: string, opts: StartOptions): Promise<Server> {
    const fd = openSync(logFile, 'w');
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.track(proc);
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const log = readFileSync(logFile, 'utf8');
      const m = opts.ready.exec(log);
      if (m) return { name, pid: proc.pid!, port: Number(m[1]), logFile, proc };
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`${name} exited before it was ready (code ${proc.exitCode ?? proc.signalCode}); its log ${logFile} ends with:\n${tail(log)}`);
      }
      if (Date.now() > deadline) {
        await this.stop(proc);
        throw new Error(`${name} was not ready within ${opts.timeoutMs} ms; its log ${logFile} ends with:\n${tail(log)}`);
      }
      await sleep(50);
    }
  }

  /**
   * Runs a command to completion, collecting its output (for short-lived tools such as wrk and npm).
   * @param timeoutMs the command is killed (SIGKILL) after this many ms and `timedOut` is set.
   */
  run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.track(proc);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        timedOut = true;
        proc.kill('SIGKILL');
      }, opts.timeoutMs);
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      proc.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, timedOut });
      });
    });
  }

  /** Stops one child: SIGTERM, then SIGKILL after `graceMs` ms. Resolves once it has exited. */
  async stop(proc: ChildProcess, graceMs = 3000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Stops every child still running (in parallel). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((p) => this.stop(p)));
  }

  /** Last-resort cleanup for `exit` handlers: SIGKILL to every child still running, synchronously. */
  killAllSync(): void {
    for (const p of this.live) {
      try {
        p.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private track(proc: ChildProcess): void {
    this.live.add(proc);
    proc.once('exit', () => this.live.delete(proc));
  }
}

/** Resident memory of a process from `/proc/<pid>/status`, in MiB (Linux only). */
export interface Memory {
  /** VmRSS: resident set size now, MiB (= anon + file + shmem). */
  rssMiB: number;
  /** RssAnon: private memory (JS heap, native allocations), MiB. */
  anonMiB: number;
  /** RssFile: pages mapped from files, mostly the node executable (shared between node processes), MiB. */
  fileMiB: number;
  /** VmHWM: peak resident set size since start, MiB. */
  peakMiB: number;
}

/**
 * Reads VmRSS, RssAnon, RssFile and VmHWM of `pid` (kB in /proc, returned in MiB).
 * @returns undefined when the process is gone or /proc is not available.
 */
export function memoryOf(pid: number): Memory | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssMiB: kb('VmRSS') / 1024, anonMiB: kb('RssAnon') / 1024, fileMiB: kb('RssFile') / 1024, peakMiB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * CPU time a process has used so far (user + system), in ms, from `/proc/<pid>/stat` fields 14 and 15
 * (clock ticks; `ticksPerSecond` is `getconf CLK_TCK`, 100 on Linux x86). Resolution: one tick (10 ms).
 * @returns undefined when the process is gone or /proc is not available.
 */
export function cpuMsOf(pid: number, ticksPerSecond = 100): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: fields are counted after its closing parenthesis.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * Open file descriptors of `pid` that are sockets (`socket:[inode]` links in /proc/PID/fd): TCP
 * connections, listening sockets, Unix sockets and pipes' socket pairs alike (Linux only).
 * @returns undefined when the process is gone or /proc is not available.
 */
export function socketsOf(pid: number): number | undefined {
  try {
    let n = 0;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        /* closed meanwhile */
      }
    }
    return n;
  } catch {
    return undefined;
  }
}

function tail(text: string, lines = 15): string {
  return text.split('\n').slice(-lines).join('\n');
}
