// The semaphore (Curator's InterProcessSemaphoreV2 layout) against a real ZooKeeper: at most
// `permits` holders, Curator's nodes, first come first served with two wakes per hand-off at most,
// timeout and abort leave no node, an expired lease is reaped (after the clock-skew allowance),
// bad input refused before any I/O, and 4 processes never more than `permits` inside.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InvalidArgumentError, LeaseTooShortError, LockReleasedError, LockTimeoutError, MAX_SEMAPHORE_PERMITS, semaphore, type Lock } from '../../src/index.js';
import { CreateMode } from '../../src/zk/requests.js';
import { encodeGoTime } from '../../src/wire/go-time.js';
import { sharedServer, stopAll, waitFor } from '../harness/index.js';
import { childrenOf, recordWakes, testEnv, untilChildren } from '../harness/zoosync-fixture.js';
import { holdsOf, isSemaphoreContainer, mostAtOnce } from './family-history.js';
import { forkWorker, runTogether } from './workers/spawn.js';

after(() => stopAll());

const PATH = (id: string): string => `/sync/semaphore/${id}`;
const LONG = { waitForMs: 30_000, holdForMs: 30_000 } as const;

test('permits holders at once in Curator’s layout; the next times out leaving nothing, then gets the permit returned', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const held: Lock[] = [];
  try {
    const [s1, s2, s3] = [env.session(), env.session(), env.session()];
    const a = await semaphore('pool', { permits: 2, session: s1 }).acquire(LONG);
    const b = await semaphore('pool', { permits: 2, session: s2 }).acquire(LONG);
    held.push(a, b);
    assert.equal(semaphore('pool', { permits: 2 }).path, PATH('pool'));
    assert.ok(a.path.startsWith(`${PATH('pool')}/leases/_c_`), a.path);
    const leases = await childrenOf(s3, `${PATH('pool')}/leases`);
    assert.equal(leases.length, 2);
    for (const name of leases) assert.match(name, /^_c_[0-9a-f]{32}-lease-\d{10}$/);
    // The mutex a waiter holds only while it makes its lease is gone again.
    await untilChildren(s3, `${PATH('pool')}/locks`, 0);
    assert.ok(b.fencingToken > a.fencingToken);
    assert.equal(a.isHeld && b.isHeld, true);

    const third = semaphore('pool', { permits: 2, session: s3 });
    const started = performance.now();
    const timedOut = await third.acquire({ waitForMs: 300 }).then(() => undefined, (e: unknown) => e);
    assert.ok(timedOut instanceof LockTimeoutError, String(timedOut));
    assert.match(timedOut.message, /\/sync\/semaphore\/pool/);
    assert.ok(performance.now() - started < 5000);
    await untilChildren(s3, `${PATH('pool')}/leases`, 2);
    await untilChildren(s3, `${PATH('pool')}/locks`, 0);

    const waiting = third.acquire(LONG);
    waiting.then((l) => held.push(l), () => undefined);
    await untilChildren(s3, `${PATH('pool')}/leases`, 3);
    const signal = a.signal;
    await a.unlock();
    assert.ok(signal.reason instanceof LockReleasedError);
    const c = await waiting;
    assert.ok(c.fencingToken > b.fencingToken);
    assert.equal(b.signal.aborted, false);
    assert.deepEqual((await childrenOf(s3, `${PATH('pool')}/leases`)).sort(), [b.path, c.path].map((p) => p.slice(p.lastIndexOf('/') + 1)).sort());
  } finally {
    await Promise.allSettled(held.map((l) => l.unlock()));
    await env.finish({ allow: isSemaphoreContainer(env.root) });
  }
});

test('first come, first served, with at most two wakes per hand-off (the leases watcher, then the next in line)', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const held: Lock[] = [];
  const wakes = recordWakes(PATH('fifo'));
  try {
    const s = env.session();
    const sem = semaphore('fifo', { permits: 2, session: s });
    held.push(await sem.acquire(LONG), await sem.acquire(LONG));
    const WAITERS = 6;
    const order: number[] = [];
    const pending: Array<Promise<Lock>> = [];
    for (let i = 0; i < WAITERS; i++) {
      const p = sem.acquire(LONG);
      p.then((l) => {
        order.push(i);
        held.push(l);
      }, () => undefined);
      pending.push(p);
      // Queued in turn: the first waits on the leases, the rest in the mutex line.
      await untilChildren(s, `${PATH('fifo')}/locks`, i + 1);
    }
    const before = wakes.events.length;
    for (let i = 0; i < WAITERS; i++) {
      await held[i]!.unlock();
      await waitFor(() => order.length === i + 1, { timeoutMs: 10_000, message: `hand-off ${i + 1}` });
    }
    await Promise.all(pending);
    const during = wakes.events.length - before;
    t.diagnostic(`order ${order.join(',')}; ${during} wakes for ${WAITERS} hand-offs (${[...new Set(wakes.events.map((e) => e.cause))].join(', ')})`);
    assert.deepEqual(order, [...Array(WAITERS).keys()]);
    assert.ok(during <= 2 * WAITERS, `${during} wakes for ${WAITERS} hand-offs: a herd`);
    assert.ok(during >= WAITERS, `${during} wakes for ${WAITERS} hand-offs: who woke the waiters?`);
  } finally {
    wakes.stop();
    await Promise.allSettled(held.map((l) => l.unlock()));
    await env.finish({ allow: isSemaphoreContainer(env.root) });
  }
});

test('an abort in either line rejects with its reason and leaves no node; a try (waitForMs 0) answers at once', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const held: Lock[] = [];
  try {
    const s = env.session();
    const sem = semaphore('abort', { permits: 1, session: s });
    held.push(await sem.acquire(LONG));
    const tried = await sem.acquire({ waitForMs: 0 }).then(() => undefined, (e: unknown) => e);
    assert.ok(tried instanceof LockTimeoutError, String(tried));
    const head = new AbortController();
    const second = new AbortController();
    const headWait = sem.acquire({ ...LONG, signal: head.signal });
    await untilChildren(s, `${PATH('abort')}/leases`, 2);
    const lineWait = sem.acquire({ ...LONG, signal: second.signal });
    await untilChildren(s, `${PATH('abort')}/locks`, 2);
    second.abort(new Error('second gives up'));
    await assert.rejects(lineWait, /second gives up/);
    await untilChildren(s, `${PATH('abort')}/locks`, 1);
    head.abort(new Error('head gives up'));
    await assert.rejects(headWait, /head gives up/);
    await untilChildren(s, `${PATH('abort')}/leases`, 1);
    await untilChildren(s, `${PATH('abort')}/locks`, 0);
    assert.equal(held[0]!.isHeld, true);
  } finally {
    await Promise.allSettled(held.map((l) => l.unlock()));
    await env.finish({ allow: isSemaphoreContainer(env.root) });
  }
});

test('a lease past its deadline is reaped by the waiter, only after the clock-skew allowance', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const held: Lock[] = [];
  try {
    const stuck = env.session();
    const s = env.session({ maxClockSkewMs: 400 });
    // A holder that stopped renewing but whose session lives on (a frozen process, a Go holder).
    const sem = semaphore('stale', { permits: 1, session: s });
    held.push(await sem.acquire(LONG));
    await held[0]!.unlock();
    const deadline = Date.now() + 1200;
    const stale = await stuck.request({ op: 'create', path: `${PATH('stale')}/leases/lease-`, data: encodeGoTime(deadline), mode: CreateMode.EPHEMERAL_SEQUENTIAL });
    const got = await sem.acquire(LONG);
    held.push(got);
    const at = Date.now();
    t.diagnostic(`acquired ${at - deadline} ms after the stale lease's deadline`);
    assert.ok(at >= deadline + 400 - 20, `reaped ${at - deadline} ms after the deadline, before the 400 ms skew allowance`);
    assert.ok(at < deadline + 5000, 'the stale lease was not reaped in time');
    assert.equal((await childrenOf(s, `${PATH('stale')}/leases`)).includes(stale.path.slice(stale.path.lastIndexOf('/') + 1)), false);
  } finally {
    await Promise.allSettled(held.map((l) => l.unlock()));
    await env.finish({ allow: isSemaphoreContainer(env.root) });
  }
});

test('bad input is refused with a typed error naming the argument, before any I/O', async () => {
  for (const permits of [0, -1, 1.5, MAX_SEMAPHORE_PERMITS + 1, Number.NaN, '2']) {
    assert.throws(() => semaphore('x', { permits: permits as number }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.permits');
  }
  assert.throws(() => semaphore('x', { permit: 2 } as never), (e: unknown) => e instanceof InvalidArgumentError && /permits/.test(e.message));
  assert.throws(() => semaphore('x', undefined as never), InvalidArgumentError);
  assert.throws(() => semaphore('', { permits: 1 }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'id');
  const sem = semaphore('x', { permits: 1 });
  await assert.rejects(sem.acquire({ holdForMs: 10 }), LeaseTooShortError);
  await assert.rejects(sem.acquire({ waitForMs: -1 }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.waitForMs');
  await assert.rejects(sem.acquire({ waitFor: 10 } as never), (e: unknown) => e instanceof InvalidArgumentError && /waitForMs/.test(e.message));
  await assert.rejects(sem.acquire({ signal: AbortSignal.abort(new Error('already')) }), /already/);
});

test('4 processes on 3 permits: never more than 3 inside, and all 3 used', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const dir = mkdtempSync(join(tmpdir(), 'zoosync-sem-'));
  try {
    const logFile = join(dir, 'log.jsonl');
    writeFileSync(logFile, '');
    const workers = [0, 1, 2, 3].map((i) =>
      forkWorker<{ worker: number; acquisitions: number; failures: number; lostInside: number }>(new URL('./workers/family-worker.js', import.meta.url), [
        'semaphore',
        env.hosts,
        'procs',
        '3',
        logFile,
        '5000',
        String(i),
      ]),
    );
    const reports = await runTogether(workers, 40_000);
    const holds = holdsOf(readFileSync(logFile, 'utf8'));
    const most = mostAtOnce(holds);
    const total = reports.reduce((n, r) => n + r.acquisitions, 0);
    t.diagnostic(`acquisitions ${reports.map((r) => `${r.worker}=${r.acquisitions}`).join(' ')}; most inside at once ${most}`);
    assert.ok(total >= 40, `too few acquisitions to mean anything: ${total}`);
    assert.equal(holds.length, total);
    assert.equal(reports.reduce((n, r) => n + r.failures, 0), 0, 'an acquire failed');
    assert.equal(reports.reduce((n, r) => n + r.lostInside, 0), 0, 'a holder lost its permit inside');
    assert.ok(most <= 3, `${most} holders inside at once with 3 permits`);
    assert.equal(most, 3, 'the 3 permits were never all in use under load');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await env.finish({ allow: isSemaphoreContainer(env.root) });
  }
});
