// zoosync and Apache Curator 5 (Debian's libcurator-recipes-java) on the same paths exclude each
// other: the mutex (InterProcessMutex), the semaphore (InterProcessSemaphoreV2, same permits) and
// the read-write lock (InterProcessReadWriteLock), each way round, against a real ZooKeeper.
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { LockTimeoutError, readWriteLock, regionTimedLock, semaphore, type Lock } from '../../src/index.js';
import { sharedServer, stopAll } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';
import { isReadWriteParent, isSemaphoreContainer } from './family-history.js';
import { curatorJars, startCurator, type CuratorPeer } from './peers/curator.js';

after(() => stopAll());

const LONG = { waitForMs: 20_000, holdForMs: 30_000 } as const;

/** Runs `body` with a Curator peer on the test's root; without Curator installed it skips, except in CI, where it fails. */
async function withCurator(t: TestContext, body: (curator: CuratorPeer, env: Awaited<ReturnType<typeof testEnv>>) => Promise<void>): Promise<void> {
  if (!curatorJars()) {
    assert.ok(!process.env.CI, 'CI must install Curator (apt-get install libcurator-recipes-java)');
    t.skip('Curator not installed: apt-get install libcurator-recipes-java');
    return;
  }
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const curator = await startCurator(env.hosts);
  try {
    await body(curator, env);
  } finally {
    await curator.close();
    await env.finish({ allow: (p) => isSemaphoreContainer(env.root)(p) || isReadWriteParent(env.root)(p) || /^\/sync\/regionlock\/[^/]+$/.test(p.slice(env.root.length)) });
  }
}

test('mutex: regionLock and Curator’s InterProcessMutex on one path exclude each other, both ways', async (t) => {
  await withCurator(t, async (curator, env) => {
    const s = env.session();
    const path = '/sync/regionlock/shared';
    const ours = await regionTimedLock('shared', { session: s, ...LONG });
    assert.equal(await curator.acquire('c1', 'mutex', path, 500), 'timeout');
    const theirs = curator.acquire('c2', 'mutex', path, 20_000);
    await ours.unlock();
    assert.equal(await theirs, 'held');
    await assert.rejects(regionTimedLock('shared', { session: s, waitForMs: 500, holdForMs: 30_000 }), LockTimeoutError);
    const next = regionTimedLock('shared', { session: s, ...LONG });
    await curator.release('c2');
    await (await next).unlock();
  });
});

test('semaphore: zoosync and Curator’s InterProcessSemaphoreV2 share 2 permits', async (t) => {
  await withCurator(t, async (curator, env) => {
    const sem = semaphore('pool', { permits: 2, session: env.session() });
    const path = sem.path;
    const held: Lock[] = [await sem.acquire(LONG)];
    try {
      assert.equal(await curator.acquire('c1', 'semaphore', path, 5000, 2), 'held');
      await assert.rejects(sem.acquire({ waitForMs: 500 }), LockTimeoutError);
      assert.equal(await curator.acquire('c2', 'semaphore', path, 500, 2), 'timeout');
      const theirs = curator.acquire('c3', 'semaphore', path, 20_000, 2);
      await held[0]!.unlock();
      assert.equal(await theirs, 'held');
      await assert.rejects(sem.acquire({ waitForMs: 500 }), LockTimeoutError);
      const ours = sem.acquire(LONG);
      await curator.release('c1');
      held.push(await ours);
      await curator.release('c3');
    } finally {
      await Promise.allSettled(held.map((l) => l.unlock()));
    }
  });
});

test('read-write lock: readers of both share, a writer of either excludes the other’s readers and writers', async (t) => {
  await withCurator(t, async (curator, env) => {
    const rw = readWriteLock('doc', { session: env.session() });
    const path = rw.path;
    assert.equal(await curator.acquire('w1', 'write', path, 5000), 'held');
    await assert.rejects(rw.readLock({ waitForMs: 500 }), LockTimeoutError);
    const ourRead = rw.readLock(LONG);
    await curator.release('w1');
    const read = await ourRead;
    assert.equal(await curator.acquire('r1', 'read', path, 5000), 'held', 'a Curator reader beside our reader');
    assert.equal(await curator.acquire('w2', 'write', path, 500), 'timeout', 'a Curator writer beside readers');
    await read.unlock();
    await curator.release('r1');
    const write = await rw.writeLock(LONG);
    assert.equal(await curator.acquire('r2', 'read', path, 500), 'timeout', 'a Curator reader beside our writer');
    assert.equal(await curator.acquire('w3', 'write', path, 500), 'timeout', 'a Curator writer beside our writer');
    await write.unlock();
    assert.equal(await curator.acquire('w4', 'write', path, 5000), 'held');
    await curator.release('w4');
  });
});
