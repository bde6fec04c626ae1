/**
 * Tests of src/gateway/files.ts: the atomic write (write-file-atomic), the inter-process lock
 * (proper-lockfile) and the one-time backup, on real files under os.tmpdir() and with real child processes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileLockError, createOnce, lockPathFor, readFileIfExists, realTarget, withFileLock, writeFileAtomic } from '../../src/gateway/files';
import { runTsChild } from '../helpers/child';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(ROOT, 'test/fixtures/files/lock-child.ts');
const POSIX = process.platform !== 'win32';

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-files-'));
  tmpDirs.push(dir);
  return dir;
}
const mode = (f: string): number => fs.statSync(f).mode & 0o777;

afterEach(() => {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('files: writeFileAtomic', () => {
  it('writes text and bytes, and leaves nothing but the target in the directory', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.txt');
    assert.equal(await writeFileAtomic(file, 'héllo\n'), file);
    assert.equal(fs.readFileSync(file, 'utf8'), 'héllo\n');
    await writeFileAtomic(file, Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]));
    assert.deepEqual([...fs.readFileSync(file)], [0xef, 0xbb, 0xbf, 0x61]);
    assert.deepEqual(fs.readdirSync(dir), ['a.txt']);
  });

  it('keeps the existing mode when none is given, and sets the given one', async function () {
    if (!POSIX) this.skip();
    const dir = tmpDir();
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'old');
    fs.chmodSync(file, 0o640);
    await writeFileAtomic(file, 'new');
    assert.equal(mode(file), 0o640);
    await writeFileAtomic(file, 'newer', { mode: 0o600 });
    assert.equal(mode(file), 0o600);
    assert.equal(fs.readFileSync(file, 'utf8'), 'newer');
    const fresh = path.join(dir, 'b.txt');
    await writeFileAtomic(fresh, 'x', { mode: 0o600 });
    assert.equal(mode(fresh), 0o600);
  });

  it('follows a symlink: the real file gets the bytes, the link stays a link', async function () {
    if (!POSIX) this.skip();
    const dir = tmpDir();
    const real = path.join(dir, 'dotfiles', 'config.toml');
    fs.mkdirSync(path.dirname(real));
    fs.writeFileSync(real, 'old');
    const link = path.join(dir, 'config.toml');
    fs.symlinkSync(real, link);
    assert.equal(await realTarget(link), fs.realpathSync(real));
    assert.equal(await writeFileAtomic(link, 'new'), fs.realpathSync(real));
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(real, 'utf8'), 'new');
    assert.deepEqual(fs.readdirSync(path.dirname(real)), ['config.toml']);
  });

  it('a failure before the rename leaves the target unchanged and no temp file', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'old');
    let seen = '';
    await assert.rejects(
      writeFileAtomic(file, 'new', {
        onTempFile: (tmp, target) => {
          seen = tmp;
          assert.equal(target, file);
          assert.equal(path.dirname(tmp), dir);
          assert.ok(fs.existsSync(tmp));
          throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    assert.ok(seen !== '' && !fs.existsSync(seen));
    assert.equal(fs.readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(fs.readdirSync(dir), ['a.txt']);
  });

  it('a failing rename (the target is a directory) leaves no temp file and throws the file-system error', async () => {
    const dir = tmpDir();
    const target = path.join(dir, 'taken');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'kept');
    await assert.rejects(writeFileAtomic(target, 'new'), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
    assert.deepEqual(fs.readdirSync(dir), ['taken']);
    assert.equal(fs.readFileSync(path.join(target, 'inside'), 'utf8'), 'kept');
  });

  it('a missing directory is an ENOENT error and creates nothing', async () => {
    const dir = tmpDir();
    await assert.rejects(writeFileAtomic(path.join(dir, 'no', 'a.txt'), 'x'), { code: 'ENOENT' });
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

describe('files: createOnce and readFileIfExists', () => {
  it('creates a backup once and never overwrites it', async () => {
    const dir = tmpDir();
    const bak = path.join(dir, 'x.bak');
    assert.equal(await createOnce(bak, Buffer.from('first'), 0o600), true);
    assert.equal(await createOnce(bak, Buffer.from('second'), 0o600), false);
    assert.equal(fs.readFileSync(bak, 'utf8'), 'first');
    if (POSIX) assert.equal(mode(bak), 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['x.bak']);
    const read = await readFileIfExists(bak);
    assert.equal(read?.bytes.toString(), 'first');
    if (POSIX) assert.equal(read?.mode, 0o600);
    assert.equal(await readFileIfExists(path.join(dir, 'none')), null);
  });
});

describe('files: withFileLock', () => {
  it('holds <file>.lock while fn runs, returns its value and removes the lock', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'settings.json');
    const lock = lockPathFor(file);
    assert.equal(lock, `${file}.lock`);
    const out = await withFileLock(file, async () => {
      assert.ok(fs.statSync(lock).isDirectory(), 'lock held during fn');
      return 42;
    });
    assert.equal(out, 42);
    assert.ok(!fs.existsSync(lock));
    await assert.rejects(
      withFileLock(file, async () => {
        throw new Error('inner');
      }),
      /inner/,
    );
    assert.ok(!fs.existsSync(lock), 'released after a throw too');
  });

  it('in one process, overlapping holders run one after the other', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'f');
    const events: string[] = [];
    const run = (id: string): Promise<void> =>
      withFileLock(file, async () => {
        events.push(`enter ${id}`);
        await fs.promises.readdir(dir);
        events.push(`exit ${id}`);
      });
    await Promise.all(['a', 'b', 'c'].map(run));
    assertSerial(events, 3);
  });

  it('two processes contending for the lock serialise: no interleaving, no lost update', async function () {
    this.timeout(90_000);
    const dir = tmpDir();
    const file = path.join(dir, 'counter');
    const runs = [runChild([file, 'count', '20'], 80_000), runChild([file, 'count', '20'], 80_000)];
    for (const r of runs) assert.equal(await r.firstLine, 'ready');
    for (const r of runs) r.proc.stdin?.end(); // both start now
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const spans = results.map((r) => JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { start: number; end: number });
    assert.ok(Math.max(...spans.map((x) => x.start)) < Math.min(...spans.map((x) => x.end)), 'the two processes contended (their runs overlap)');
    assert.equal(fs.readFileSync(file, 'utf8'), '40\n', 'every read-modify-write saw the previous one');
    const log = fs.readFileSync(`${file}.log`, 'utf8').trim().split('\n');
    assertSerial(log, 40);
    assert.equal(new Set(log.map((l) => l.split(' ')[1])).size, 2, 'both processes took the lock');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['counter', 'counter.log']);
  });

  it('waits at most timeoutMs for a lock another process holds, then fails with `locked`', async function () {
    this.timeout(60_000);
    const dir = tmpDir();
    const file = path.join(dir, 'f');
    const holder = runChild([file, 'hold'], 50_000);
    assert.equal(await holder.firstLine, 'locked');
    const started = Date.now();
    await assert.rejects(
      withFileLock(file, async () => 1, { timeoutMs: 300 }),
      (e: unknown) => {
        assert.ok(e instanceof FileLockError);
        assert.equal(e.code, 'locked');
        assert.equal(e.lockPath, `${file}.lock`);
        assert.match(e.message, /Try again in a moment; if no other program is writing it, delete /);
        return true;
      },
    );
    const waited = Date.now() - started;
    assert.ok(waited >= 300 && waited < 5_000, `waited ${waited} ms`);
    holder.proc.stdin?.end();
    assert.equal((await holder.done).code, 0);
    assert.equal(await withFileLock(file, async () => 'mine', { timeoutMs: 5_000 }), 'mine');
  });

  it('removes a lock whose mtime is older than staleMs (its holder died)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'f');
    fs.mkdirSync(lockPathFor(file));
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPathFor(file), old, old);
    assert.equal(await withFileLock(file, async () => 'taken', { staleMs: 2_000, timeoutMs: 0 }), 'taken');
    assert.ok(!fs.existsSync(lockPathFor(file)));
  });
});

/** `events` is `enter X` / `exit X` pairs, each exit right after its own enter, `pairs` times. */
function assertSerial(events: string[], pairs: number): void {
  assert.equal(events.length, pairs * 2);
  for (let i = 0; i < events.length; i += 2) {
    const [a, idA] = events[i].split(' ');
    const [b, idB] = events[i + 1].split(' ');
    assert.deepEqual([a, b, idA], ['enter', 'exit', idB], `interleaved at ${i}: ${events.slice(i, i + 2).join(', ')}`);
  }
}

/** Runs lock-child.ts under tsx; killed after `timeoutMs` so it never outlives the test. */
const runChild = (args: string[], timeoutMs: number) => runTsChild(CHILD, args, timeoutMs, 'pipe');
