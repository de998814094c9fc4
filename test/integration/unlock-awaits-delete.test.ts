/**
 * `unlock()` and `rescind()` resolve only once ZooKeeper has acknowledged the delete of our node:
 * with the holder's bytes reaching the server late, another client reading right after the
 * promise resolved finds the node gone. Real ZooKeeper behind a delaying proxy.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { regionLeader, regionTimedLock } from '../../src/index.js';
import { connectBare, sharedServer, startProxy, stopAll, uniqueId } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const DELAY_MS = 400;

/** Holds through a proxy that delays our bytes to the server, releases, and says whether a bare client still saw the node right after. */
async function nodeAfterRelease(
  t: import('node:test').TestContext,
  hold: (session: import('../../src/index.js').Session) => Promise<{ path: string; release: () => Promise<void> }>,
): Promise<{ existedAfter: boolean; releaseMs: number }> {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  const bare = await connectBare(connectString);
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 8000 });
    const held = await hold(s);
    proxy.delay(DELAY_MS, 'toServer');
    const t0 = performance.now();
    await held.release();
    const releaseMs = performance.now() - t0;
    const existedAfter = await bare.exists(`${env.root}${held.path}`);
    proxy.delay(0);
    return { existedAfter, releaseMs };
  } finally {
    proxy.delay(0);
    bare.close();
    await proxy.close();
    await env.finish();
  }
}

test('unlock() resolves only after the delete of our node was acknowledged', async (t) => {
  const r = await nodeAfterRelease(t, async (session) => {
    const lock = await regionTimedLock(uniqueId('unlock-acked'), { session, holdForMs: 60_000 });
    return { path: lock.path, release: () => lock.unlock() };
  });
  t.diagnostic(`unlock took ${Math.round(r.releaseMs)} ms with ${DELAY_MS} ms of delay to the server`);
  assert.equal(r.existedAfter, false, 'the lock node was still there after unlock() resolved');
});

test('rescind() resolves only after the delete of our node was acknowledged', async (t) => {
  const r = await nodeAfterRelease(t, async (session) => {
    const leader = await regionLeader(uniqueId('rescind-acked'), { session });
    return { path: leader.path, release: () => leader.rescind() };
  });
  t.diagnostic(`rescind took ${Math.round(r.releaseMs)} ms with ${DELAY_MS} ms of delay to the server`);
  assert.equal(r.existedAfter, false, 'the election node was still there after rescind() resolved');
});
