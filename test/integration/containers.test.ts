// Parents zoosync creates for elections and reservations are ZooKeeper container nodes: the server
// removes them once empty (the harness runs its check every 500 ms), ancestors included, while a
// persistent node beside them stays. The createContainer request rides on the client's create.
// A container's Stat looks like a persistent node's (ZooKeeper 3.8 reports ephemeralOwner 0), so
// only the server removing it shows what it is.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { regionLeader, reservation, type Session } from '../../src/index.js';
import { CreateMode } from '../../src/zk/requests.js';
import { sharedServer, sleep, stopAll, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

/** Long enough for several of the server's container sweeps (500 ms apart in the harness). */
const SWEEPS_MS = 2_000;

async function exists(session: Session, path: string): Promise<boolean> {
  return (await session.request({ op: 'exists', path })) !== null;
}

/** Waits until the server has removed `path`. */
function gone(session: Session, path: string): Promise<void> {
  return waitFor(async () => !(await exists(session, path)), { timeoutMs: 15_000, intervalMs: 50, message: `${path} removed` });
}

test('an election parent is a container: removed once empty, its ancestors too, a persistent sibling stays', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const observer = env.session();
    const drops: string[] = [];
    for (const event of ['suspended', 'reconnected', 'lost'] as const) s.on(event, () => drops.push(event));
    const leader = await regionLeader('cont/a/b', { session: s });
    const parent = '/sync/regionleader/cont/a/b';
    assert.equal(await exists(observer, parent), true);
    assert.deepEqual(drops, [], 'a createContainer reply cost the connection');
    const sibling = '/sync/regionleader/cont/a/plain';
    await observer.request({ op: 'create', path: sibling, mode: CreateMode.PERSISTENT });
    await sleep(SWEEPS_MS);
    assert.equal(await exists(observer, parent), true, 'an election parent with a contender in it was removed');
    await leader.rescind();
    // No zoosync code of that session is left to remove anything: the server does it.
    await s.close();
    await gone(observer, parent);
    await sleep(SWEEPS_MS);
    assert.equal(await exists(observer, sibling), true, 'an empty persistent node was removed');
    assert.equal(await exists(observer, '/sync/regionleader/cont/a'), true, 'a container with a child was removed');
    // Every ancestor the election made is a container too: the chain goes up to /sync.
    await observer.request({ op: 'delete', path: sibling });
    await gone(observer, '/sync');
  } finally {
    await env.finish({ strict: true });
  }
});

test('a reservation parent is a container: it stays while the reservation node does, and goes after it', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const r = reservation('/res/deep', 'item', { session: s });
    await r.reserve(60_000);
    const sibling = '/res/plain';
    await s.request({ op: 'create', path: sibling, mode: CreateMode.PERSISTENT });
    // A release leaves the node (expired), so the parent stays.
    assert.equal(await r.release(), true);
    await sleep(SWEEPS_MS);
    assert.equal(await exists(s, r.path), true);
    assert.equal(await exists(s, '/res/deep'), true, 'the parent of a reservation node was removed');
    // Once the node is gone (by hand here; a Go service's Release deletes it), so is the parent.
    await s.request({ op: 'delete', path: r.path });
    await gone(s, '/res/deep');
    assert.equal(await exists(s, sibling), true, 'an empty persistent node was removed');
    // A reserve after the server removed the parent makes it again, as a container again.
    await r.reserve(60_000);
    await s.request({ op: 'delete', path: r.path });
    await gone(s, '/res/deep');
    await s.request({ op: 'delete', path: sibling });
    await gone(s, '/res');
  } finally {
    await env.finish({ strict: true });
  }
});
