/**
 * A TypeScript fixture run as a real child process (`node --import tsx <script> ...args`), for tests where two
 * processes race over the same file (locks, atomic writes). The child is killed after a bound so it never
 * outlives the test. Also the process-group spawning the e2e tests use for the agent CLIs ({@link spawnGroup}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** The repository root: the child's working directory (so `tsx` and the project's modules resolve). */
const ROOT = path.resolve(__dirname, '../..');

/** How a child ended, with everything it wrote (UTF-8 text). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running fixture child. */
export interface ChildRun {
  proc: ChildProcess;
  /** The first line the child prints on stdout (without the newline); rejects when it exits before printing one. */
  firstLine: Promise<string>;
  /** Resolves (never rejects) when the child exits, killed or not. */
  done: Promise<ChildExit>;
}

/**
 * Starts `script` under tsx with `args`; SIGKILLed after `timeoutMs` (milliseconds) when still running.
 * @param stdin 'pipe' when the test drives the child through its stdin (e.g. ends it to say "go"), else 'ignore'.
 */
export function runTsChild(script: string, args: string[], timeoutMs: number, stdin: 'pipe' | 'ignore' = 'ignore'): ChildRun {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: [stdin, 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let resolveLine: (l: string) => void = () => undefined;
  let rejectLine: (e: Error) => void = () => undefined;
  const firstLine = new Promise<string>((res, rej) => {
    resolveLine = res;
    rejectLine = rej;
  });
  firstLine.catch(() => undefined);
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const nl = stdout.indexOf('\n');
    if (nl >= 0) resolveLine(stdout.slice(0, nl));
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const done = new Promise<ChildExit>((res) => {
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      rejectLine(new Error(`child exited (${code ?? signal}) before printing: ${stderr}`));
      res({ code, signal, stdout, stderr });
    });
  });
  return { proc, firstLine, done };
}

/**
 * Signals a child's whole process group (it was spawned `detached`, so its pid is the group id); falls back to
 * the child alone. Ignored once the child has exited (its pid may belong to someone else by then).
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
  }
}

/** A CLI started by {@link spawnGroup}. */
export interface GroupRun {
  /** Process id (also its process group id); undefined if the spawn failed. */
  pid: number | undefined;
  /** Everything it wrote to stdout so far (UTF-8). */
  stdout(): string;
  /** Everything it wrote to stderr so far (UTF-8), plus a `spawn error:` line if the spawn failed. */
  stderr(): string;
  /** Signals the whole process group; ignored once the process is gone. */
  kill(signal: NodeJS.Signals): void;
  /**
   * Resolves (never rejects) when the process closed its output: the exit code (null when killed or not
   * spawned) and whether the `timeoutMs` bound killed it. By then every process left in its group is SIGKILLed.
   */
  exited: Promise<{ exitCode: number | null; timedOut: boolean }>;
}

/**
 * Spawns `bin args` as the leader of a new process group (stdin ignored, output collected), SIGKILLing the
 * group after `timeoutMs` (milliseconds) and again once the leader exits, so no command the CLI started
 * (shell tools) outlives the run. Used for the agent CLIs (Codex, Claude Code) the e2e tests drive.
 */
export function spawnGroup(bin: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): GroupRun {
  const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, opts.timeoutMs);
  const exited = (async () => {
    const exitCode = await new Promise<number | null>((resolve) => {
      child.once('error', (e) => {
        stderr += `\nspawn error: ${e.message}`;
        resolve(null);
      });
      child.once('close', (code) => resolve(code));
    });
    clearTimeout(timer);
    // The leader is gone; commands it started share its group and must not outlive the run.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is empty
      }
    }
    return { exitCode, timedOut };
  })();
  return { pid: child.pid, stdout: () => stdout, stderr: () => stderr, kill: (signal) => killGroup(child, signal), exited };
}
