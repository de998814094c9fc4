/** Protected creates recover a lost reply; the create reply's zxid is the node's czxid on a 3-node ensemble. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { guidOf } from '../../src/wire/node-name.js';
import { createProtectedSequential } from '../../src/zk/protected-create.js';
import { CreateMode } from '../../src/zk/requests.js';
import { sharedServer, startEnsemble, startProxy, stopAll, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

test('a create whose reply is lost is recovered by its guid, not created twice', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString);
  try {
    const observer = env.session();
    await observer.request({ op: 'create', path: '/parent', mode: CreateMode.PERSISTENT });
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 6000 });
    const conn = await s.connection();
    proxy.silence('toClient');
    const pending = createProtectedSequential(conn, '/parent', 'lock-', Buffer.from('x'));
    // The server got the create: the node is there, but its reply was swallowed.
    await waitFor(async () => (await observer.request({ op: 'getChildren', path: '/parent' })).length === 1, { timeoutMs: 3000 });
    proxy.cut();
    await new Promise((r) => setTimeout(r, 100));
    proxy.pass();
    const { node, children } = await pending;
    const listed = await observer.request({ op: 'getChildren', path: '/parent' });
    assert.equal(listed.length, 1, `exactly one node: ${listed.join(', ')}`);
    assert.equal(listed[0], node.name);
    assert.ok(children.includes(node.name));
    assert.match(node.name, /^_c_[0-9a-f]{32}-lock-\d{10}$/);
    assert.equal(guidOf(node.name)?.length, 32);
    const stat = await observer.request({ op: 'exists', path: node.path });
    assert.equal(stat?.czxid, node.czxid, 'recovered czxid is the real one');
    assert.equal(s.current?.sessionId, conn.sessionId, 'the session survived the cut');
    await conn.request({ op: 'delete', path: node.path });
    await observer.request({ op: 'delete', path: '/parent' });
  } finally {
    await proxy.close();
    await env.finish({ strict: true });
  }
});

test('the create reply zxid equals the czxid under concurrent writes on a 3-node ensemble', async (t) => {
  const ensemble = await startEnsemble(3);
  const env = await testEnv(t, ensemble.connectString);
  try {
    // One session per server, so creates are forwarded by followers and by the leader alike.
    const sessions = ensemble.servers.map((server) => env.session({ hosts: server.connectString + env.root }));
    await sessions[0]!.request({ op: 'create', path: '/z', mode: CreateMode.PERSISTENT });
    const created = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        sessions[i % 3]!.request({ op: 'create', path: '/z/n-', data: Buffer.from(String(i)), mode: CreateMode.EPHEMERAL_SEQUENTIAL }),
      ),
    );
    let equal = 0;
    for (const [i, c] of created.entries()) {
      const s = await sessions[i % 3]!.request({ op: 'exists', path: c.path });
      assert.ok(s, `${c.path} exists`);
      if (s.czxid === c.zxid) equal++;
    }
    t.diagnostic(`${equal}/200 create reply zxids equal the czxid`);
    assert.equal(equal, 200);
    assert.equal(new Set(created.map((c) => c.zxid)).size, 200, 'every create got its own zxid');
    await Promise.all(created.map((c, i) => sessions[i % 3]!.request({ op: 'delete', path: c.path })));
    await sessions[0]!.request({ op: 'delete', path: '/z' });
  } finally {
    await env.finish({ strict: true });
    await ensemble.stop();
  }
});
