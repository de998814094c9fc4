/**
 * A multi-lock waiting for its next lock gives up as soon as a lock it already took is lost,
 * not at that lock's next lease refresh (half its lease later) nor at the wait limit: the set's
 * wait listens to the taken locks' signals. Real ZooKeeper, the loss made by a bare client.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LockLostError, regionMultiLock, regionTimedLock } from '../../src/index.js';
import { connectBare, sharedServer, stopAll, uniqueId, within } from '../harness/index.js';
import { childrenOf, testEnv, untilChildren } from '../harness/zoosync-fixture.js';

after(() => stopAll());

/** Long enough that neither the first refresh (at half the lease) nor the wait limit comes within the bound below. */
const HOLD_MS = 120_000;
const BOUND_MS = 30_000;

test('a multi-lock whose first lock is lost while it waits for the next fails at once, long before a refresh', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(env.hosts);
  try {
    const s = env.session();
    const [a, b] = [uniqueId('first'), uniqueId('second')].sort();
    const holder = await regionTimedLock(b!, { session: s, holdForMs: HOLD_MS });
    const pending = regionMultiLock([a!, b!], { session: env.session(), waitForMs: HOLD_MS, holdForMs: HOLD_MS });
    pending.catch(() => undefined);
    await untilChildren(s, `/sync/regionlock/${a}`, 1);
    await untilChildren(s, `/sync/regionlock/${b}`, 2);
    const [ours] = await childrenOf(s, `/sync/regionlock/${a}`);
    const t0 = performance.now();
    await bare.remove(`/sync/regionlock/${a}/${ours}`);
    const error = await within(
      pending.then(
        () => new Error('acquired a set with a lost lock'),
        (e: unknown) => e,
      ),
      BOUND_MS,
      'the multi-lock after its first lock was lost',
    );
    t.diagnostic(`failed ${Math.round(performance.now() - t0)} ms after the loss`);
    assert.ok(error instanceof LockLostError, String(error));
    await holder.unlock();
  } finally {
    bare.close();
    await env.finish();
  }
});
