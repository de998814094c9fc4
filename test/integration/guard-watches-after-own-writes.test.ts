/**
 * A holder's guard keeps watching its node after the node's data changes by our own hand (an
 * `extend()`, a `proclaim()`): someone else's change after ours still ends the lock or the
 * leadership. Real ZooKeeper, the foreign write from a bare client.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LeadershipEndedError, LockLostError, regionLeader, regionTimedLock } from '../../src/index.js';
import { encodeGoTime } from '../../src/wire/go-time.js';
import { connectBare, sharedServer, sleep, stopAll, uniqueId, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

test('a lock holder is told of a foreign change to its node after its own extends', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(connectString);
  try {
    const lock = await regionTimedLock(uniqueId('guard-after-extend'), { session: env.session(), holdForMs: 60_000 });
    await lock.extend(60_000);
    await lock.extend(60_000);
    await sleep(200); // our own changes' notifications have come back and been read
    assert.equal(lock.signal.aborted, false, 'our own extends must not end the lock');
    await bare.setData(`${env.root}${lock.path}`, encodeGoTime(Date.now() + 1_000_000));
    await waitFor(() => lock.signal.aborted, { timeoutMs: 3000, message: 'signal aborted on a foreign change after our extends' });
    assert.ok(lock.signal.reason instanceof LockLostError, String(lock.signal.reason));
    await lock.unlock();
  } finally {
    bare.close();
    await env.finish();
  }
});

test('a leader is told of a foreign change to its node after its own proclaim', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(connectString);
  try {
    const leader = await regionLeader(uniqueId('guard-after-proclaim'), { session: env.session(), data: 'one' });
    await leader.proclaim('two');
    await sleep(200);
    assert.equal(leader.isLeader, true, 'our own proclaim must not end leadership');
    await bare.setData(`${env.root}${leader.path}`, Buffer.from('someone else'));
    await waitFor(() => leader.signal.aborted, { timeoutMs: 3000, message: 'signal aborted on a foreign change after our proclaim' });
    assert.ok(leader.signal.reason instanceof LeadershipEndedError, String(leader.signal.reason));
    assert.equal((leader.signal.reason).reason, 'node-changed');
    await leader.rescind();
  } finally {
    bare.close();
    await env.finish();
  }
});
