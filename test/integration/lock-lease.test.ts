// The lease of a region lock: a holder that never unlocks is overtaken after its published
// deadline and is told first; a waiter behind an expired holder wakes by its timer; extend()
// pushes the deadline; a Go-written expired node is deleted by a zoosync contender.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { LockExpiredError, LockTimeoutError, NodeExistsError, regionTimedLock, type Lock, type Session } from '../../src/index.js';
import { decodeGoTime, encodeGoTime } from '../../src/wire/go-time.js';
import { sharedServer, sleep, stopAll, waitFor } from '../harness/index.js';
import { recordWakes, testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const PARENT = (id: string): string => `/sync/regionlock/${id}`;


/** The deadline a lock node publishes, as Unix ms. */
async function publishedDeadline(session: Session, path: string): Promise<number> {
  const { data } = await session.request({ op: 'getData', path });
  assert.equal(data.length, 15, 'lease data is Go time.Time MarshalBinary v1 (15 bytes)');
  assert.equal(data[0], 1);
  return decodeGoTime(data);
}

/** Creates a lock node the way a Go service (go-zookeeper's protected create) would, with `deadline` as its data. */
async function goContender(session: Session, parent: string, deadline: number): Promise<string> {
  let at = '';
  for (const part of parent.split('/').slice(1)) {
    at += `/${part}`;
    await session.request({ op: 'create', path: at, mode: 0 }).catch((e: unknown) => {
      if (!(e instanceof NodeExistsError)) throw e;
    });
  }
  const guid = randomBytes(16).toString('hex');
  const { path } = await session.request({
    op: 'create',
    path: `${parent}/_c_${guid}-lock-`,
    data: encodeGoTime(deadline),
    mode: 3, // EPHEMERAL_SEQUENTIAL
  });
  return path;
}

test('a holder that never unlocks is overtaken after its published deadline, and is told first', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const locks: Lock[] = [];
  try {
    const a = env.session();
    const b = env.session();
    const holdForMs = 1500;
    const holder = await regionTimedLock('overtaken', { session: a, waitForMs: 5000, holdForMs });
    locks.push(holder);
    const acquiredAt = Date.now();
    const deadline = await publishedDeadline(a, holder.path);
    assert.equal(holder.deadline, deadline);
    assert.ok(deadline >= acquiredAt + holdForMs - 200 && deadline <= acquiredAt + holdForMs, `deadline ${deadline - acquiredAt} ms after acquire`);
    let holderToldAt: number | undefined;
    let holderToldWall: number | undefined;
    holder.signal.addEventListener('abort', () => {
      holderToldAt = performance.now();
      holderToldWall = Date.now();
    });
    const second = await regionTimedLock('overtaken', { session: b, waitForMs: 10_000, holdForMs: 5000 });
    locks.push(second);
    const secondAt = performance.now();
    const secondWall = Date.now();
    t.diagnostic(`holder told ${holderToldWall === undefined ? 'never' : `${deadline - holderToldWall} ms before its deadline`}; ` +
      `second acquired ${secondWall - deadline} ms after the deadline (${secondWall - acquiredAt} ms after the first acquire)`);
    assert.ok(holder.signal.reason instanceof LockExpiredError, `holder signal: ${String(holder.signal.reason)}`);
    assert.ok(holderToldAt !== undefined && holderToldAt < secondAt, 'the second client acquired before the holder was told');
    assert.ok(holderToldWall! <= deadline, `the holder was told ${holderToldWall! - deadline} ms after its deadline`);
    assert.ok(secondWall >= deadline, `the second client acquired ${deadline - secondWall} ms BEFORE the published deadline`);
    assert.ok(secondWall < deadline + 5000, 'the second client was not woken near the deadline');
    assert.ok(second.fencingToken > holder.fencingToken);
    await holder.unlock();
    assert.equal(second.signal.aborted, false, "the first holder's unlock took the second holder's lock");
    await second.unlock();
  } finally {
    // Unlock before the sessions close: closing a session under a held lock spins (see lock.test.ts).
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await env.finish();
  }
});

test('a waiter behind an expired (Go) holder is woken once, by its timer', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const parent = PARENT('timer-wake');
  const wakes = recordWakes(parent);
  try {
    const go = env.session();
    const b = env.session();
    const deadline = Date.now() + 1500;
    const goNode = await goContender(go, parent, deadline);
    const lock = await regionTimedLock('timer-wake', { session: b, waitForMs: 10_000, holdForMs: 10_000 });
    const acquiredWall = Date.now();
    t.diagnostic(`acquired ${acquiredWall - deadline} ms after the Go holder's deadline; wakes: ${JSON.stringify(wakes.events.map((e) => e.cause))}`);
    assert.deepEqual(wakes.events.map((e) => e.cause), ['pred-expired']);
    assert.equal(wakes.events[0]!.predecessor, goNode);
    assert.equal(wakes.events[0]!.path, lock.path);
    assert.ok(acquiredWall >= deadline, 'acquired before the Go holder expired');
    assert.equal(await b.request({ op: 'exists', path: goNode }), null, 'the expired Go node is still there');
    await lock.unlock();
  } finally {
    wakes.stop();
    await env.finish();
  }
});

test('extend() pushes the deadline: the holder survives past the original one', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const b = env.session();
    const lock = await regionTimedLock('extend', { session: a, waitForMs: 5000, holdForMs: 1500 });
    const original = lock.deadline;
    assert.equal(await publishedDeadline(b, lock.path), original);
    await sleep(500);
    const before = Date.now();
    await lock.extend(4000);
    const extended = lock.deadline;
    assert.ok(extended >= before + 4000 && extended <= Date.now() + 4000, `deadline now ${extended - before} ms after extend()`);
    assert.equal(await publishedDeadline(b, lock.path), extended, 'the node does not publish the extended deadline');
    await waitFor(() => Date.now() > original + 500, { timeoutMs: 10_000 });
    assert.equal(lock.signal.aborted, false, `holder lost the lock: ${String(lock.signal.reason)}`);
    // A contender reads the extended deadline and does not take over.
    await assert.rejects(regionTimedLock('extend', { session: b, waitForMs: 0, holdForMs: 5000 }), LockTimeoutError);
    assert.notEqual(await b.request({ op: 'exists', path: lock.path }), null);
    await assert.rejects(lock.extend(999), (e: unknown) => e instanceof Error && e.name === 'LeaseTooShortError');
    await lock.unlock();
    await assert.rejects(lock.extend(4000), (e: unknown) => e === lock.signal.reason);
  } finally {
    await env.finish();
  }
});

test('the lease expires at the extended deadline, not before', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const lock = await regionTimedLock('extend-expiry', { session: a, waitForMs: 5000, holdForMs: 1000 });
    await lock.extend(2500);
    const extended = lock.deadline;
    await waitFor(() => lock.signal.aborted, { timeoutMs: 10_000, message: 'the extended lease to expire' });
    const at = Date.now();
    t.diagnostic(`expired ${extended - at} ms before the extended deadline`);
    assert.ok(lock.signal.reason instanceof LockExpiredError);
    assert.ok(at <= extended + 50 && at >= extended - 1000, `expired ${extended - at} ms before the deadline`);
    await lock.unlock();
  } finally {
    await env.finish();
  }
});

test('a Go-written node whose lease passed is deleted by a zoosync contender', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const parent = PARENT('go-expired');
  const wakes = recordWakes(parent);
  try {
    const go = env.session();
    const b = env.session();
    const goNode = await goContender(go, parent, Date.now() - 60_000);
    const lock = await regionTimedLock('go-expired', { session: b, waitForMs: 5000, holdForMs: 5000 });
    assert.equal(await b.request({ op: 'exists', path: goNode }), null, 'the expired Go node was not deleted');
    assert.ok(lock.fencingToken > (await go.request({ op: 'exists', path: parent }))!.czxid);
    assert.deepEqual(wakes.events.map((e) => e.cause), ['pred-expired']);
    await lock.unlock();
    // A Go node with a live lease is respected.
    const liveGo = await goContender(go, parent, Date.now() + 60_000);
    await assert.rejects(regionTimedLock('go-expired', { session: b, waitForMs: 300, holdForMs: 5000 }), LockTimeoutError);
    assert.notEqual(await b.request({ op: 'exists', path: liveGo }), null);
    await go.request({ op: 'delete', path: liveGo });
  } finally {
    wakes.stop();
    await env.finish();
  }
});
