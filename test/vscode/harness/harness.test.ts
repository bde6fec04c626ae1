/**
 * Tests of the harness's own failure handling (the fixture extension's tests cover the success paths): a
 * missing install fails fast with what to do, and a suite that never settles hits the time bound, after which
 * no code-server process, port or temp folder of the session is left behind.
 * Needs `scripts/setup-vscode-test.sh` first. Run: `npm run test:vscode -- test/vscode/harness`.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVsCodeTests, VsCodeHarnessError } from './run';

/** Resolves true when something accepts a TCP connection on 127.0.0.1:port within 2 s. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Pids of live processes whose command line or environment mentions `text` (Linux /proc). Every process a
 * session starts inherits its environment (TMPDIR points into the session folder), so this finds them all.
 */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const seen = readFileSync(`/proc/${entry}/cmdline`, 'utf8') + readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (seen.includes(text)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

describe('VS Code harness failure handling', function () {
  this.timeout(120_000);
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'harness-self-test-'));
  });

  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('fails fast, saying to run the setup script, when code-server is not installed', async () => {
    const tests = join(scratch, 'unused.js');
    await writeFile(tests, 'exports.run = () => Promise.resolve();\n');
    await assert.rejects(
      runVsCodeTests({ codeServerDir: join(scratch, 'no-code-server'), extensionTestsPath: tests, workspaceFolder: scratch }),
      (e: unknown) => e instanceof VsCodeHarnessError && /run scripts\/setup-vscode-test\.sh/.test(e.message),
    );
  });

  it('stops a suite that never settles at timeoutMs and leaves no process, port or temp folder behind', async () => {
    const tests = join(scratch, 'never-settles.js');
    await writeFile(tests, 'exports.run = () => new Promise(() => {});\n');
    const started = Date.now();
    let logs: string[] = [];
    // While the session runs, the same probe used below must see its processes (or it would prove nothing).
    let liveDir = '';
    let liveDuringSession: number[] = [];
    const onLog = (line: string): void => {
      const m = /Using user-data-dir (\S+)\/user-data$/.exec(line);
      if (m) liveDir = m[1];
      if (line.startsWith('[harness] workbench ready') && liveDir) liveDuringSession = processesMentioning(liveDir);
    };
    await assert.rejects(
      runVsCodeTests({ extensionTestsPath: tests, workspaceFolder: scratch, timeoutMs: 20_000, onLog }),
      (e: unknown) => {
        assert.ok(e instanceof VsCodeHarnessError, String(e));
        assert.match(e.message, /did not finish within 20000 ms/);
        logs = e.logs;
        return true;
      },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 20_000 && elapsed < 45_000, `gave up after ${elapsed} ms`);
    assert.ok(!logs.some((l) => l.includes('codeAutomationExit')), 'the never-settling suite cannot have reported an exit');

    const listening = logs.map((l) => /^\[harness\] code-server listening on 127\.0\.0\.1:(\d+)/.exec(l)).find(Boolean);
    assert.ok(listening, 'code-server had started');
    assert.equal(await isListening(Number(listening[1])), false, 'code-server port closed');

    const userDataLine = logs.map((l) => /Using user-data-dir (\S+)\/user-data$/.exec(l)).find(Boolean);
    assert.ok(userDataLine, 'code-server logged its user-data-dir');
    const sessionDir = userDataLine[1];
    assert.equal(sessionDir, liveDir);
    assert.ok(liveDuringSession.length >= 2, `saw ${liveDuringSession.length} session processes while it ran`);
    assert.equal(existsSync(sessionDir), false, `${sessionDir} removed`);
    assert.deepEqual(processesMentioning(sessionDir), [], 'no process of the session survives');
  });
});
