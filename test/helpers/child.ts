/**
 * A TypeScript fixture run as a real child process (`node --import tsx <script> ...args`), for tests where two
 * processes race over the same file (locks, atomic writes). The child is killed after a bound so it never
 * outlives the test.
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
