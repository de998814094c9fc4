/**
 * Only the lowest node holds: when a waiter that is not the holder leaves the queue (it aborted),
 * the waiter behind it moves up and waits on, for the lock and for an election; it holds only
 * once the holder is gone. Real ZooKeeper.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { regionLeader, regionTimedLock } from '../../src/index.js';
import { sharedServer, sleep, stopAll, uniqueId } from '../harness/index.js';
import { testEnv, untilChildren } from '../harness/zoosync-fixture.js';

after(() => stopAll());

/** Settles to 'pending' if `p` has not settled within `ms`. */
async function stateAfter(p: Promise<unknown>, ms: number): Promise<'pending' | 'resolved' | 'rejected'> {
  return Promise.race([p.then(() => 'resolved' as const, () => 'rejected' as const), sleep(ms).then(() => 'pending' as const)]);
}

test('a lock waiter whose predecessor is a waiter that gave up does not take the lock from the holder', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('lowest-lock');
    const s = env.session();
    const holder = await regionTimedLock(id, { session: s, holdForMs: 60_000 });
    const giveUp = new AbortController();
    const first = regionTimedLock(id, { session: env.session(), waitForMs: 30_000, holdForMs: 60_000, signal: giveUp.signal });
    first.catch(() => undefined);
    await untilChildren(s, `/sync/regionlock/${id}`, 2);
    const second = regionTimedLock(id, { session: env.session(), waitForMs: 30_000, holdForMs: 60_000 });
    second.catch(() => undefined);
    await untilChildren(s, `/sync/regionlock/${id}`, 3);
    giveUp.abort(new Error('gave up'));
    await assert.rejects(first, /gave up/);
    assert.equal(await stateAfter(second, 1500), 'pending', 'the second waiter took the lock while the holder held it');
    assert.equal(holder.isHeld, true);
    await holder.unlock();
    const next = await second;
    assert.ok(next.fencingToken > holder.fencingToken);
    await next.unlock();
  } finally {
    await env.finish();
  }
});

test('a candidate whose predecessor is a candidate that gave up is not elected beside the leader', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('lowest-leader');
    const s = env.session();
    const leader = await regionLeader(id, { session: s });
    const giveUp = new AbortController();
    const first = regionLeader(id, { session: env.session(), signal: giveUp.signal });
    first.catch(() => undefined);
    await untilChildren(s, `/sync/regionleader/${id}`, 2);
    const second = regionLeader(id, { session: env.session() });
    second.catch(() => undefined);
    await untilChildren(s, `/sync/regionleader/${id}`, 3);
    giveUp.abort(new Error('gave up'));
    await assert.rejects(first, /gave up/);
    assert.equal(await stateAfter(second, 1500), 'pending', 'a second leader was elected while the first led');
    assert.equal(leader.isLeader, true);
    await leader.rescind();
    const next = await second;
    assert.ok(next.fencingToken > leader.fencingToken);
    await next.rescind();
  } finally {
    await env.finish();
  }
});
