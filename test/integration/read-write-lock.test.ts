// The read-write lock (Curator's InterProcessReadWriteLock layout) against a real ZooKeeper:
// readers share, a writer excludes everyone, first come first served (a reader behind a waiting
// writer waits), readers wake only for the nearest earlier writer, no write lock beside a read
// lock even in the same session, timeout and abort leave no node, and 4 processes never tear a
// read or lose an update.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InvalidArgumentError, LeaseTooShortError, LockTimeoutError, readWriteLock, type Lock } from '../../src/index.js';
import { sharedServer, sleep, stopAll, waitFor } from '../harness/index.js';
import { childrenOf, recordWakes, testEnv, untilChildren } from '../harness/zoosync-fixture.js';
import { holdsOf, isReadWriteParent, mostAtOnce, writerOverlaps } from './family-history.js';
import { forkWorker, runTogether } from './workers/spawn.js';

after(() => stopAll());

const PATH = (id: string): string => `/sync/rwlock/${id}`;
const LONG = { waitForMs: 30_000, holdForMs: 30_000 } as const;

test('readers share; a writer waits for them, and a reader behind a waiting writer waits too', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const held: Lock[] = [];
  try {
    const s = env.session();
    const rw = readWriteLock('doc', { session: s });
    assert.equal(rw.path, PATH('doc'));
    const r1 = await rw.readLock(LONG);
    const r2 = await readWriteLock('doc', { session: env.session() }).readLock(LONG);
    held.push(r1, r2);
    const names = await childrenOf(s, PATH('doc'));
    assert.equal(names.length, 2);
    for (const n of names) assert.match(n, /^_c_[0-9a-f]{32}-__READ__\d{10}$/);

    const timedOut = await rw.writeLock({ waitForMs: 300 }).then(() => undefined, (e: unknown) => e);
    assert.ok(timedOut instanceof LockTimeoutError, String(timedOut));
    await untilChildren(s, PATH('doc'), 2);

    const order: string[] = [];
    const writer = rw.writeLock(LONG);
    writer.then((l) => (order.push('writer'), held.push(l)), () => undefined);
    await untilChildren(s, PATH('doc'), 3);
    assert.match((await childrenOf(s, PATH('doc'))).find((n) => n.includes('__WRIT__'))!, /^_c_[0-9a-f]{32}-__WRIT__\d{10}$/);
    const lateReader = rw.readLock(LONG);
    lateReader.then((l) => (order.push('late reader'), held.push(l)), () => undefined);
    await untilChildren(s, PATH('doc'), 4);
    await sleep(200);
    assert.deepEqual(order, [], 'someone entered beside the readers');
    await r1.unlock();
    await sleep(200);
    assert.deepEqual(order, [], 'the writer entered beside a reader');
    await r2.unlock();
    const w = await writer;
    await sleep(200);
    assert.deepEqual(order, ['writer'], 'the late reader entered beside the writer');
    assert.ok(w.fencingToken > r2.fencingToken);
    await w.unlock();
    await lateReader;
    assert.deepEqual(order, ['writer', 'late reader']);
  } finally {
    await Promise.allSettled(held.map((l) => l.unlock()));
    await env.finish({ allow: isReadWriteParent(env.root) });
  }
});

test('readers wake only for the nearest writer before them; a writer for its predecessor', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const held: Lock[] = [];
  const wakes = recordWakes(PATH('wakes'));
  try {
    const s = env.session();
    const rw = readWriteLock('wakes', { session: s });
    const w1 = await rw.writeLock(LONG);
    held.push(w1);
    const got: Record<string, Lock> = {};
    const queue = async (name: string, mode: 'read' | 'write'): Promise<void> => {
      const n = (await childrenOf(s, PATH('wakes'))).length;
      const p = mode === 'read' ? rw.readLock(LONG) : rw.writeLock(LONG);
      p.then((l) => ((got[name] = l), held.push(l)), () => undefined);
      await untilChildren(s, PATH('wakes'), n + 1);
    };
    for (const [name, mode] of [['r1', 'read'], ['r2', 'read'], ['r3', 'read'], ['w2', 'write'], ['r4', 'read']] as const) await queue(name, mode);
    const nodeOf = async (name: string): Promise<string> => {
      await waitFor(() => got[name] !== undefined, { timeoutMs: 10_000, message: `${name} to hold` });
      return got[name]!.path;
    };
    await w1.unlock();
    const readers = await Promise.all(['r1', 'r2', 'r3'].map(nodeOf));
    await sleep(200);
    assert.equal(got.w2, undefined, 'the second writer entered beside readers');
    assert.equal(got.r4, undefined, 'the reader behind the second writer entered');
    const w1Wakes = wakes.events.filter((e) => e.predecessor === w1.path);
    assert.equal(w1Wakes.length, 3, `wakes on the first writer: ${JSON.stringify(w1Wakes)}`);
    for (const l of ['r1', 'r2', 'r3']) await got[l]!.unlock();
    const w2 = await nodeOf('w2');
    await sleep(200);
    assert.equal(got.r4, undefined, 'the last reader entered beside the second writer');
    await got.w2!.unlock();
    const r4 = await nodeOf('r4');
    const byWaiter = (path: string): number => wakes.events.filter((e) => e.path === path).length;
    t.diagnostic(`wakes: r1..r3 ${readers.map(byWaiter).join(',')}, w2 ${byWaiter(w2)}, r4 ${byWaiter(r4)}; total ${wakes.events.length}`);
    for (const r of readers) assert.equal(byWaiter(r), 1, 'a reader woke more than once');
    assert.ok(byWaiter(w2) <= 1, `the second writer woke ${byWaiter(w2)} times for three readers`);
    assert.equal(byWaiter(r4), 1, 'the last reader woke for something other than the writer before it');
  } finally {
    wakes.stop();
    await Promise.allSettled(held.map((l) => l.unlock()));
    await env.finish({ allow: isReadWriteParent(env.root) });
  }
});

test('no write lock beside a read lock, even asked by the same session (no upgrade); aborts leave no node', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const held: Lock[] = [];
  try {
    const s = env.session();
    const rw = readWriteLock('upgrade', { session: s });
    const read = await rw.readLock(LONG);
    held.push(read);
    await assert.rejects(rw.writeLock({ waitForMs: 300 }), LockTimeoutError);
    assert.equal(read.isHeld, true);
    const ac = new AbortController();
    const pendingWrite = rw.writeLock({ ...LONG, signal: ac.signal });
    await untilChildren(s, PATH('upgrade'), 2);
    ac.abort(new Error('changed my mind'));
    await assert.rejects(pendingWrite, /changed my mind/);
    await untilChildren(s, PATH('upgrade'), 1);
    // Downgrade the only way there is: take the read side after the write side is released.
    await read.unlock();
    const w = await rw.writeLock(LONG);
    held.push(w);
    await assert.rejects(rw.readLock({ waitForMs: 300 }), LockTimeoutError);
    await untilChildren(s, PATH('upgrade'), 1);
  } finally {
    await Promise.allSettled(held.map((l) => l.unlock()));
    await env.finish({ allow: isReadWriteParent(env.root) });
  }
});

test('bad input is refused with a typed error naming the argument, before any I/O', async () => {
  assert.throws(() => readWriteLock(''), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'id');
  assert.throws(() => readWriteLock('x', { sesion: undefined } as never), (e: unknown) => e instanceof InvalidArgumentError && /session/.test(e.message));
  const rw = readWriteLock('x');
  await assert.rejects(rw.readLock({ holdForMs: 999 }), LeaseTooShortError);
  await assert.rejects(rw.writeLock({ holdFor: 5000 } as never), (e: unknown) => e instanceof InvalidArgumentError && /holdForMs/.test(e.message));
  await assert.rejects(rw.writeLock({ signal: 'no' } as never), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.signal');
});

test('4 processes reading and writing: never a writer beside anyone, no torn read, no lost update, readers side by side', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const dir = mkdtempSync(join(tmpdir(), 'zoosync-rw-'));
  try {
    const counterFile = join(dir, 'counter');
    const logFile = join(dir, 'log.jsonl');
    writeFileSync(counterFile, '0');
    writeFileSync(logFile, '');
    const workers = [0, 1, 2, 3].map((i) =>
      forkWorker<{ worker: number; acquisitions: number; failures: number; lostInside: number; tornReads: number }>(
        new URL('./workers/family-worker.js', import.meta.url),
        ['rwlock', env.hosts, 'procs', counterFile, logFile, '5000', String(i), '0.3'],
      ),
    );
    const reports = await runTogether(workers, 40_000);
    const holds = holdsOf(readFileSync(logFile, 'utf8'));
    const writes = holds.filter((h) => h.mode === 'write');
    const reads = holds.filter((h) => h.mode === 'read');
    const bad = writerOverlaps(holds);
    const counter = Number(readFileSync(counterFile, 'utf8'));
    t.diagnostic(`${writes.length} writes, ${reads.length} reads; most readers at once ${mostAtOnce(reads)}; counter ${counter}; writer overlaps ${bad.length}`);
    assert.ok(writes.length >= 10 && reads.length >= 10, 'too few holds of each kind to mean anything');
    assert.equal(reports.reduce((n, r) => n + r.failures, 0), 0, 'an acquire failed');
    assert.equal(reports.reduce((n, r) => n + r.lostInside, 0), 0, 'a holder lost the lock inside');
    assert.equal(bad.length, 0, `a writer overlapped another hold: ${JSON.stringify(bad[0], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    assert.equal(reports.reduce((n, r) => n + r.tornReads, 0), 0, 'a reader saw the counter change: a writer beside it');
    assert.equal(counter, writes.length, 'lost updates');
    assert.ok(mostAtOnce(reads) >= 2, 'readers never held side by side');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await env.finish({ allow: isReadWriteParent(env.root) });
  }
});
