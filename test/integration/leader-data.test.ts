/** Leader data (etcd's Proclaim): who leads and where to reach it, published and observed, against real ZooKeeper. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { InvalidArgumentError, LeadershipEndedError, leaderSnapshot, observeLeader, regionLeader } from '../../src/index.js';
import { connectBare, sharedServer, stopAll, uniqueId, waitFor, within } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

test('each participant publishes its data; a Go-style participant with none still counts', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(connectString);
  try {
    const id = uniqueId('data');
    const a = await regionLeader(id, { session: env.session(), data: 'http://a.internal:8080' });
    const b = regionLeader(id, { session: env.session(), data: Buffer.from('http://b.internal:8080') });
    b.catch(() => undefined);
    const parent = `${env.root}/sync/regionleader/${id}`;
    await waitFor(async () => (await bare.getChildren(parent)).length === 2, { timeoutMs: 5000, message: 'b queued' });
    // A Go participant: protected name, empty data.
    const go = await bare.create(`${parent}/_c_${'c'.repeat(32)}-lock-`, undefined, 3);
    const view = await leaderSnapshot(id, { session: env.session() });
    assert.equal(view.state, 'led');
    assert.deepEqual(view.participants.map((p) => p.data.toString()), ['http://a.internal:8080', 'http://b.internal:8080', '']);
    assert.equal(view.leader?.path, a.path);
    await bare.remove(go);
    await a.rescind();
    await (await b).rescind();
  } finally {
    bare.close();
    await env.finish();
  }
});

test('proclaim publishes new data, the observer yields it, and "no leader" is a state of its own', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('proclaim');
    const s = env.session();
    const leader = await regionLeader(id, { session: s, data: 'v1' });
    const stop = new AbortController();
    const views = observeLeader(id, { session: env.session(), signal: stop.signal });
    const next = async (what: string) => {
      const r = await within(views.next(), 5000, what);
      assert.equal(r.done, false, `observer ended early (${what})`);
      return r.value;
    };
    const first = await next('first view');
    assert.equal(first.state, 'led');
    assert.equal(first.leader?.data.toString(), 'v1');
    await leader.proclaim('v2 http://new:9090');
    const second = await next('view after proclaim');
    assert.equal(second.leader?.data.toString(), 'v2 http://new:9090');
    assert.equal(leader.isLeader, true, 'our own proclaim is not taken for someone else changing our node');
    await leader.rescind();
    const third = await next('view after rescind');
    assert.equal(third.state, 'no-leader');
    assert.equal(third.leader, undefined);
    stop.abort();
    await views.return(undefined);
    await assert.rejects(leader.proclaim('late'), (e: unknown) => e instanceof LeadershipEndedError);
  } finally {
    await env.finish();
  }
});

test('leader data over 16 KiB is refused before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    await assert.rejects(regionLeader(uniqueId('big'), { session: s, data: 'x'.repeat(16 * 1024 + 1) }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.data');
    await assert.rejects(regionLeader(uniqueId('bad'), { session: s, data: 42 as never }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.data');
    assert.equal(s.state, 'idle');
    const leader = await regionLeader(uniqueId('ok'), { session: s, data: 'x'.repeat(16 * 1024) });
    await assert.rejects(leader.proclaim(Buffer.alloc(16 * 1024 + 1)), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'data');
    await leader.rescind();
  } finally {
    await env.finish({ strict: false });
  }
});
