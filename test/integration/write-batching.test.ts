/**
 * The request layer's socket writes: every request queued in one tick leaves in one write (as
 * Java's client drains its queue), a queue larger than one write goes out in several, and the
 * replies, hundreds in one chunk, each reach their own request.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MAX_WRITE_BYTES, writeCounts } from '../../src/zk/client-internals.js';
import { CreateMode } from '../../src/zk/requests.js';
import { sharedServer, stopAll } from '../harness/index.js';
import { removeTreeAs, testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

test('requests of one tick leave in one write, and hundreds of replies in one chunk each settle their own request', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const conn = await env.session().connection();
    await conn.request({ op: 'create', path: '/batch', mode: CreateMode.PERSISTENT });
    const n = 400;
    const before = writeCounts(conn);
    const created = Array.from({ length: n }, (_, i) =>
      conn.request({ op: 'create', path: `/batch/n${i}`, data: Buffer.from(`data ${i}`), mode: CreateMode.PERSISTENT }),
    );
    const read = Array.from({ length: n }, (_, i) => conn.request({ op: 'getData', path: `/batch/n${i}` }));
    const missing = conn.request({ op: 'getData', path: '/batch/none' });
    const sent = writeCounts(conn);
    assert.equal(sent.writes, before.writes, 'nothing is written while the tick runs');
    const paths = await Promise.all(created);
    const datas = await Promise.all(read);
    await assert.rejects(missing, { name: 'NoNodeError' });
    const done = writeCounts(conn);
    t.diagnostic(`${done.requests - before.requests} requests in ${done.writes - before.writes} writes`);
    // The session's own heartbeat may be one more.
    const written = done.requests - before.requests;
    assert.ok(written === 2 * n + 1 || written === 2 * n + 2, `every request was written once (${written})`);
    // A heartbeat or ping may slip in after the tick: one write for the batch, maybe one more.
    assert.ok(done.writes > before.writes, 'the writes were counted');
    assert.ok(done.writes - before.writes <= 2, `${2 * n + 1} requests of one tick left in ${done.writes - before.writes} writes`);
    paths.forEach((p, i) => assert.equal(p.path, `/batch/n${i}`));
    datas.forEach((d, i) => assert.equal(d.data.toString(), `data ${i}`, `reply ${i} reached its own request`));
  } finally {
    await removeTreeAs(env.session(), '/').catch(() => undefined);
    await env.finish({ strict: true });
  }
});

test('a queue larger than one write goes out in several, in order, and every request settles', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const conn = await env.session().connection();
    await conn.request({ op: 'create', path: '/big', mode: CreateMode.PERSISTENT });
    const data = Buffer.alloc(4000, 'x');
    const n = 300; // about 1.2 MB of setData: several writes of at most MAX_WRITE_BYTES
    const before = writeCounts(conn);
    const writes = Array.from({ length: n }, (_, i) => conn.request({ op: 'setData', path: '/big', data: Buffer.concat([data, Buffer.from(String(i))]) }));
    const stats = await Promise.all(writes);
    const done = writeCounts(conn);
    const used = done.writes - before.writes;
    t.diagnostic(`${n} requests of ~4 KB in ${used} writes`);
    assert.ok(used >= Math.floor((n * data.length) / MAX_WRITE_BYTES), `split into writes of at most ${MAX_WRITE_BYTES} bytes (${used})`);
    assert.ok(used < n / 10, `still batched (${used} writes for ${n} requests)`);
    stats.forEach((s, i) => assert.equal(s.version, i + 1, `setData ${i} was applied in queue order`));
    const last = await conn.request({ op: 'getData', path: '/big' });
    assert.equal(last.data.subarray(data.length).toString(), String(n - 1));
  } finally {
    await removeTreeAs(env.session(), '/').catch(() => undefined);
    await env.finish({ strict: true });
  }
});
