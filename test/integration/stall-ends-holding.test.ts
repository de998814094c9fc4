/**
 * After an event-loop stall longer than the read timeout (2/3 of the session timeout), a holder
 * and a leader say at once, before any timer or reply has run, that they no longer hold: the
 * server may have expired the session meanwhile, though the lease has long to go. Real ZooKeeper.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { regionLeader, regionTimedLock } from '../../src/index.js';
import { sharedServer, sleep, stopAll, uniqueId } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const SESSION_TIMEOUT_MS = 4000;

/** Blocks the event loop for `ms`, as a long synchronous job (or a GC pause) would. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

test('a lock holder stalled past the read timeout is not held when the stall ends, lease or not', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const lock = await regionTimedLock(uniqueId('stalled-lock'), { session: env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }), holdForMs: 60_000 });
    await sleep(200);
    assert.equal(lock.isHeld, true);
    stall(SESSION_TIMEOUT_MS);
    const heldAfter = lock.isHeld; // the same tick: no timer, no reply has run
    assert.equal(heldAfter, false, 'still held after a stall past the read timeout, with 55 s of lease left');
    assert.ok(Date.now() < lock.deadline, 'the lease had not run out: the clock check on contact ended it');
    await lock.unlock();
  } finally {
    await env.finish();
  }
});

test('a leader stalled past the read timeout is not leading when the stall ends', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const leader = await regionLeader(uniqueId('stalled-leader'), { session: env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }) });
    await sleep(200);
    assert.equal(leader.isLeader, true);
    stall(SESSION_TIMEOUT_MS);
    assert.equal(leader.isLeader, false, 'still leading after a stall past the read timeout');
    await leader.rescind();
  } finally {
    await env.finish();
  }
});
