/**
 * Holding ends the moment the session is suspended, not only when it is lost: by the time the
 * Session reports `suspended`, a lock holder's signal and a leader's signal have already aborted,
 * without anyone reading `isHeld` or `isLeader` (whose clock check would end them too). Real
 * ZooKeeper behind a proxy whose connection is cut.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LeadershipEndedError, LockLostError, regionLeader, regionTimedLock } from '../../src/index.js';
import { sharedServer, startProxy, stopAll, uniqueId, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

/** Holds something through a proxy, cuts it, and says whether `signal` had aborted when the Session said suspended. */
async function toldBySuspension(
  t: import('node:test').TestContext,
  hold: (session: import('../../src/index.js').Session) => Promise<{ signal: AbortSignal; release: () => Promise<void> }>,
): Promise<{ abortedWhenSuspended: boolean; reason: unknown }> {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 6000 });
    const held = await hold(s);
    // Read once, before the fault: `.aborted` on the signal itself runs no clock check.
    const signal = held.signal;
    let abortedWhenSuspended: boolean | undefined;
    s.once('suspended', () => (abortedWhenSuspended = signal.aborted));
    proxy.cut();
    await waitFor(() => abortedWhenSuspended !== undefined, { timeoutMs: 5000, message: 'the session to report suspended' });
    proxy.pass();
    await waitFor(() => s.state === 'connected', { timeoutMs: 10_000, message: 'reconnected with the same session' });
    await held.release();
    return { abortedWhenSuspended: abortedWhenSuspended!, reason: signal.reason };
  } finally {
    proxy.pass();
    await proxy.close();
    await env.finish();
  }
}

test("a lock holder's signal aborts by the time its session reports suspended", async (t) => {
  const r = await toldBySuspension(t, async (session) => {
    const lock = await regionTimedLock(uniqueId('suspended-lock'), { session, holdForMs: 60_000 });
    return { signal: lock.signal, release: () => lock.unlock() };
  });
  assert.equal(r.abortedWhenSuspended, true, 'the lock signal was still live when the session said suspended');
  assert.ok(r.reason instanceof LockLostError, String(r.reason));
});

test("a leader's signal aborts by the time its session reports suspended", async (t) => {
  const r = await toldBySuspension(t, async (session) => {
    const leader = await regionLeader(uniqueId('suspended-leader'), { session });
    return { signal: leader.signal, release: () => leader.rescind() };
  });
  assert.equal(r.abortedWhenSuspended, true, 'the leader signal was still live when the session said suspended');
  assert.ok(r.reason instanceof LeadershipEndedError, String(r.reason));
  assert.equal((r.reason).reason, 'session-suspended');
});
