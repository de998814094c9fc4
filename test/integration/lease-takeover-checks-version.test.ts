/**
 * Reaping an expired lease is conditional on the version read: a holder that extended its lease
 * after a contender read the old deadline, but before that contender's timer fired, keeps the
 * lock. The contender's replies reach it late (a delaying proxy), so it acts on the old deadline
 * before it hears of the change, and only the delete's version check stops it. Real ZooKeeper.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LockTimeoutError, regionTimedLock } from '../../src/index.js';
import { connectBare, sharedServer, sleep, startProxy, stopAll, uniqueId, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

/** How late the contender hears everything from the server. */
const LAG_MS = 2500;
const HOLD_MS = 5000;

test('a lease extended after a contender read the old deadline is not reaped by that contender', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  const bare = await connectBare(connectString);
  try {
    const id = uniqueId('reap-version');
    const parent = `${env.root}/sync/regionlock/${id}`;
    // The contender's session: a long timeout, so the lag stays far inside its read timeout.
    const cs = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 12_000 });
    await cs.connection();
    const holder = await regionTimedLock(id, { session: env.session(), holdForMs: HOLD_MS });
    const firstDeadline = holder.deadline;
    proxy.delay(LAG_MS, 'toClient');
    // Its own lease is long, so it refreshes nothing of its own during the test; it gives up at D + 1 s.
    const waiting = regionTimedLock(id, { session: cs, waitForMs: firstDeadline - Date.now() + 1000, holdForMs: 20_000 });
    waiting.catch(() => undefined);
    await waitFor(async () => (await bare.getChildren(parent)).length === 2, { timeoutMs: 3000, message: 'contender queued' });
    // Its read of the holder's node reaches the server one lag after its create did; extend after that,
    // and late enough that the change notification reaches it only after the old deadline.
    await sleep(Math.max(0, firstDeadline - LAG_MS / 2 - Date.now()));
    assert.equal(holder.isHeld, true, 'the holder must still hold when it extends');
    await holder.extend(HOLD_MS * 2);
    t.diagnostic(`extended ${firstDeadline - Date.now()} ms before the old deadline`);
    const error = await waiting.then(
      () => new Error('the contender acquired while the holder held a live lease'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof LockTimeoutError, `the contender times out, got ${String(error)}`);
    assert.ok(Date.now() > firstDeadline, 'the old deadline passed while the contender waited');
    assert.equal(holder.isHeld, true, 'the holder lost a lock whose lease it had extended');
    assert.equal(holder.signal.aborted, false);
    assert.equal(await bare.exists(`${env.root}${holder.path}`), true, "the holder's node was deleted");
    proxy.delay(0);
    await holder.unlock();
  } finally {
    proxy.delay(0);
    bare.close();
    await proxy.close();
    await env.finish();
  }
});
