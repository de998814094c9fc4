// Shows every harness control working against real ZooKeeper servers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { after, test } from 'node:test';
import {
  assertNoNodesLeft,
  connectBare,
  ensureZooKeeper,
  needsOwnServers,
  fourLetter,
  freePorts,
  harnessResources,
  listTree,
  sharedServer,
  startEnsemble,
  startProxies,
  startProxy,
  startStandalone,
  stopAll,
  waitFor,
  withBareClient,
  zkTestRoot,
  type BareClient,
} from '../harness/index.js';

after(() => stopAll());

/** Retries op until it succeeds (a client may be reconnecting after a fail-over). */
async function eventually<T>(op: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Opens a raw TCP connection and resolves once it is connected. */
function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with the error code (or 'close') that ends a socket, bounded by 5 s. */
function socketEnd(s: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket still open after 5 s')), 5000);
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? 'error');
    });
    s.once('close', () => {
      clearTimeout(timer);
      resolve('close');
    });
  });
}

test('standalone server starts and serves a bare client', async (t) => {
  if (!needsOwnServers(t)) return;
  await ensureZooKeeper();
  const t0 = Date.now();
  const server = await startStandalone();
  t.diagnostic(`standalone server started in ${Date.now() - t0} ms`);
  assert.equal(server.connectString, `127.0.0.1:${server.port}`);
  assert.equal(await server.mode(), 'standalone');
  const root = zkTestRoot(t);
  await withBareClient(server.connectString, async (c) => {
    await c.mkdirp(root);
    await c.create(`${root}/n`, Buffer.from('hello'));
    assert.equal((await c.getData(`${root}/n`))?.toString(), 'hello');
  });
  assert.deepEqual(await listTree(server.connectString, root), [`${root}/n`]);
  await server.stop();
  assert.equal(server.pid, undefined);
  assert.equal(fs.existsSync(server.dataDir), false);
  assert.equal(await server.mode(), 'down');
});

test('ensemble elects one leader, fails over on kill -9, and takes the server back', async (t) => {
  if (!needsOwnServers(t)) return;
  const t0 = Date.now();
  const ens = await startEnsemble(3);
  t.diagnostic(`3-node ensemble started in ${Date.now() - t0} ms`);
  const modes = await Promise.all(ens.servers.map((s) => s.mode()));
  assert.equal(modes.filter((m) => m === 'leader').length, 1, `modes: ${modes.join(', ')}`);
  assert.equal(modes.filter((m) => m === 'follower').length, 2, `modes: ${modes.join(', ')}`);
  const old = await ens.leader();
  assert.equal((await ens.followers()).length, 2);

  const root = zkTestRoot(t);
  const client = await connectBare(ens.connectString, { opTimeoutMs: 2000 });
  try {
    await client.mkdirp(root);
    await client.create(`${root}/before`);
    const tKill = Date.now();
    await old.kill();
    assert.equal(old.pid, undefined);
    assert.equal(await old.mode(), 'down');
    const next = await ens.leader();
    t.diagnostic(`new leader elected ${Date.now() - tKill} ms after kill -9`);
    assert.notEqual(next, old);
    await eventually(() => client.create(`${root}/after`), 20_000);
    assert.equal(await client.exists(`${root}/before`), true);

    await old.restart();
    assert.equal(await old.mode(), 'follower');
    assert.equal(await ens.leader(), next);
    const onOld = await connectBare(old.connectString);
    try {
      assert.equal(await onOld.exists(`${root}/after`), true, 'restarted server has the writes it missed');
    } finally {
      onOld.close();
    }
    await assertNoNodesLeft(ens.connectString, root, (p) => p === `${root}/before` || p === `${root}/after`);
  } finally {
    client.close();
    await ens.stop();
  }
});

test('pause stops a server answering; resume brings it back; a paused server can be killed', async (t) => {
  if (!needsOwnServers(t)) return;
  const server = await startStandalone();
  assert.equal(await fourLetter(server.host, server.port, 'ruok'), 'imok');
  server.pause();
  await assert.rejects(fourLetter(server.host, server.port, 'ruok', 500), /no answer within 500 ms/);
  assert.equal(await server.mode(), 'down');
  server.resume();
  assert.equal(await fourLetter(server.host, server.port, 'ruok', 2000), 'imok');
  server.pause();
  const pid = server.pid!;
  await server.kill();
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  await server.stop();
});

test('proxy passes data, silences, passes again, cuts and retargets', async (t) => {
  const { connectString } = await sharedServer();
  const target = connectString.split(',')[0]!;
  const proxy = await startProxy(target);
  const root = zkTestRoot(t);
  let c1: BareClient | undefined;
  try {
    c1 = await connectBare(proxy.connectString, { opTimeoutMs: 500 });
    await c1.mkdirp(root);
    await c1.create(`${root}/p`, Buffer.from('through'));
    assert.equal((await c1.getData(`${root}/p`))?.toString(), 'through');
    assert.equal(proxy.connections, 1);

    proxy.silence();
    await assert.rejects(c1.getData(`${root}/p`), /no reply within 500 ms/);
    assert.equal(proxy.connections, 1, 'silenced socket stays open');
    proxy.silence('toClient');
    const [pHost, pPort] = ['127.0.0.1', proxy.port];
    await assert.rejects(fourLetter(pHost, pPort, 'ruok', 500), /no answer/);

    proxy.pass();
    c1.close();
    c1 = undefined;
    assert.equal(await fourLetter(pHost, pPort, 'ruok'), 'imok');
    await withBareClient(proxy.connectString, async (c2) => {
      assert.equal((await c2.getData(`${root}/p`))?.toString(), 'through');
    });

    const open = await rawConnect(proxy.port);
    await waitFor(() => proxy.connections >= 1, { timeoutMs: 2000, message: 'proxy saw the raw connection' });
    const ended = socketEnd(open);
    proxy.cut();
    assert.match(await ended, /ECONNRESET|close/);
    await assert.rejects(fourLetter(pHost, pPort, 'ruok', 1000), /ECONNRESET|no answer|EPIPE/);
    proxy.pass();
    assert.equal(await fourLetter(pHost, pPort, 'ruok'), 'imok');

    const [deadPort] = await freePorts(1);
    proxy.retarget({ host: '127.0.0.1', port: deadPort! });
    assert.notEqual(await fourLetter(pHost, pPort, 'ruok').catch(() => 'failed'), 'imok');
    proxy.retarget(target);
    assert.equal(await fourLetter(pHost, pPort, 'ruok'), 'imok');

    const group = await startProxies(connectString);
    assert.match(group.connectString, /^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*$/);
    const first = group.proxies[0]!;
    assert.equal(await fourLetter('127.0.0.1', first.port, 'ruok'), 'imok');
    group.cut();
    await assert.rejects(fourLetter('127.0.0.1', first.port, 'ruok', 1000));
    group.pass();
    assert.equal(await fourLetter('127.0.0.1', first.port, 'ruok'), 'imok');
    await group.close();
  } finally {
    c1?.close();
    await proxy.close();
  }
  assert.equal(proxy.connections, 0);
  await assertNoNodesLeft(connectString, root, (p) => p === `${root}/p`);
});

test('assertNoNodesLeft fails on a leftover node and passes after cleanup', async (t) => {
  const { connectString } = await sharedServer();
  const root = zkTestRoot(t);
  assert.match(root, /^\/zoosync-test\/[A-Za-z0-9_.-]+-[0-9a-f]{6}$/);
  await withBareClient(connectString, (c) => c.mkdirp(`${root}/a/b`));
  await assert.rejects(assertNoNodesLeft(connectString, root), (err: Error) => {
    assert.match(err.message, new RegExp(`${root}/a/b`));
    return true;
  });
  assert.deepEqual(await listTree(connectString, root), [], 'the failed assertion cleaned up');
  await assertNoNodesLeft(connectString, root);
  await withBareClient(connectString, (c) => c.mkdirp(`${root}/keep`));
  await assertNoNodesLeft(connectString, root, (p) => p.endsWith('/keep'));
  await withBareClient(connectString, async (c) => assert.equal(await c.exists(root), false));
});

test('stopAll leaves no server process and no data dir', async (t) => {
  if (!needsOwnServers(t)) return;
  await sharedServer();
  const paused = await startStandalone();
  paused.pause();
  const before = harnessResources();
  assert.ok(before.pids.length >= 2, `pids: ${before.pids.join(', ')}`);
  assert.ok(before.dirs.length >= 2, `dirs: ${before.dirs.join(', ')}`);
  await stopAll();
  for (const pid of before.pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid}`);
  for (const dir of before.dirs) assert.equal(fs.existsSync(dir), false, dir);
  assert.deepEqual(harnessResources(), { pids: [], dirs: [], stoppables: 0 });
});
