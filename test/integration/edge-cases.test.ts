/** Regressions from review: interleavings that once leaked nodes, let two callers win, or ignored a limit. */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, test } from 'node:test';
import { globalTimedLock, InvalidArgumentError, LockTimeoutError, regionLeader, regionTimedLock, reservation, ReservedError, Session } from '../../src/index.js';
import { encodeGoTime } from '../../src/wire/go-time.js';
import { CreateMode } from '../../src/zk/requests.js';
import { listTree, sharedServer, stopAll, uniqueId } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const lockNodes = (paths: string[]): string[] => paths.filter((p) => /lock-\d+$/.test(p));

test('aborting while the create is in flight leaves no node, for a campaign and for an acquire', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    await s.connection();
    const leaderAbort = new AbortController();
    const campaign = regionLeader(uniqueId('abort-create'), { session: s, signal: leaderAbort.signal });
    setImmediate(() => leaderAbort.abort(new Error('stop campaign')));
    await assert.rejects(campaign, /stop campaign/);
    const lockAbort = new AbortController();
    const acquire = regionTimedLock(uniqueId('abort-create'), { session: s, signal: lockAbort.signal, waitForMs: 5000, holdForMs: 60_000 });
    setImmediate(() => lockAbort.abort(new Error('stop acquire')));
    await assert.rejects(acquire, /stop acquire/);
    // The abandoned creates' nodes are removed as soon as their replies arrive.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(lockNodes(await listTree(connectString, env.root)), []);
  } finally {
    await env.finish();
  }
});

test('two reserve calls that read the same expired reservation never both win', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session({ maxClockSkewMs: 0 });
    const b = env.session({ maxClockSkewMs: 0 });
    const ra = reservation('/res', 'item', { session: a });
    const rb = reservation('/res', 'item', { session: b });
    await ra.reserve(50);
    await new Promise((r) => setTimeout(r, 100)); // expired now
    // Hold A's takeover write until B has taken the item over completely.
    const conn = await a.connection();
    let releaseA: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (releaseA = resolve));
    const send = conn.request.bind(conn);
    conn.request = (async (op: Parameters<typeof send>[0]) => {
      if (op.op === 'setData') await gate;
      return send(op);
    }) as typeof conn.request;
    const first = ra.reserve(60_000).then(
      () => 'won',
      (e: unknown) => (e instanceof ReservedError ? 'reserved' : String(e)),
    );
    await new Promise((r) => setTimeout(r, 100));
    await rb.reserve(60_000);
    releaseA();
    assert.equal(await first, 'reserved', 'A overwrote the live reservation B had just taken');
    await rb.release();
  } finally {
    // A release leaves the reservation node (expired) and so its container parent.
    await env.finish({ allow: (p) => p === `${env.root}/res` || p === `${env.root}/res/reserve-item` });
  }
});

test('waits longer than a timer can hold are refused, and a Go holder with a far deadline is not reaped early', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    await assert.rejects(regionTimedLock('x', { session: s, waitForMs: Number.MAX_SAFE_INTEGER }), { name: 'InvalidArgumentError', argument: 'options.waitForMs' });
    await assert.rejects(regionTimedLock('x', { session: s, holdForMs: 2 ** 31 }), InvalidArgumentError);
    // A Go service holds the lock with a lease 30 days out: a waiter must wait, not delete it.
    const id = uniqueId('far');
    await s.request({ op: 'create', path: `/sync/regionlock/${id}`, mode: CreateMode.PERSISTENT }).catch(async () => {
      await s.request({ op: 'create', path: '/sync', mode: CreateMode.PERSISTENT }).catch(() => undefined);
      await s.request({ op: 'create', path: '/sync/regionlock', mode: CreateMode.PERSISTENT }).catch(() => undefined);
      await s.request({ op: 'create', path: `/sync/regionlock/${id}`, mode: CreateMode.PERSISTENT });
    });
    const goHolder = await s.request({
      op: 'create',
      path: `/sync/regionlock/${id}/_c_0123456789abcdef0123456789abcdef-lock-`,
      data: encodeGoTime(Date.now() + 30 * 24 * 3600 * 1000),
      mode: CreateMode.EPHEMERAL_SEQUENTIAL,
    });
    const waiter = env.session();
    await assert.rejects(regionTimedLock(id, { session: waiter, waitForMs: 300 }), LockTimeoutError);
    assert.notEqual(await s.request({ op: 'exists', path: goHolder.path }), null, 'the Go holder was deleted');
    await s.request({ op: 'delete', path: goHolder.path });
  } finally {
    await env.finish();
  }
});

test('waitForMs and the signal also bound connecting: a silent server does not hold an acquire past its limit', async () => {
  const blackhole = net.createServer(() => undefined); // accepts, never answers
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const s = new Session({ hosts: `127.0.0.1:${(blackhole.address() as net.AddressInfo).port}`, sessionTimeoutMs: 6000 });
  try {
    let t0 = performance.now();
    await assert.rejects(regionTimedLock('x', { session: s, waitForMs: 200 }), LockTimeoutError);
    assert.ok(performance.now() - t0 < 1500, `took ${performance.now() - t0} ms`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 100);
    t0 = performance.now();
    await assert.rejects(regionLeader('x', { session: s, signal: ac.signal }), /stop/);
    assert.ok(performance.now() - t0 < 1500, `campaign abort took ${performance.now() - t0} ms`);
  } finally {
    await s.close();
    blackhole.close();
  }
});

test('waiters that give up leave no watcher behind in the client', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const b = env.session();
    const held = await regionTimedLock('busy', { session: a, holdForMs: 60_000 });
    // Limits from 1 to 20 ms: some waits end while their predecessor's read (and its watch) is still in flight.
    for (let i = 0; i < 60; i++) await assert.rejects(regionTimedLock('busy', { session: b, waitForMs: 1 + (i % 20) }), LockTimeoutError);
    const conn = (await b.connection()) as unknown as { cm: { watcherManager: Record<string, Record<string, { listenerCount(e: string): number }>> } };
    let listeners = 0;
    for (const kind of ['dataWatchers', 'childWatchers', 'existenceWatchers']) {
      for (const emitter of Object.values(conn.cm.watcherManager[kind] ?? {})) listeners += emitter.listenerCount('notification');
    }
    assert.equal(listeners, 0, 'watchers of abandoned waits are still registered');
    await held.unlock();
  } finally {
    await env.finish();
  }
});

/** Runs an ES module script in a child process with the library's URL as LIB; resolves with its last JSON line. */
async function runScript(script: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const { spawn } = await import('node:child_process');
  const lib = new URL('../../src/index.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env, LIB: lib } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, out);
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

test('a Session listener that throws does not stop locks and leaders hearing of a suspension, nor the reconnect', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const result = await runScript(
      `
      const z = await import(process.env.LIB);
      const { startProxy } = await import(process.env.HARNESS);
      let uncaught = 0;
      process.on('uncaughtException', () => uncaught++);
      const proxy = await startProxy(process.env.SERVER);
      const s = new z.Session({ hosts: proxy.connectString + process.env.ROOT, sessionTimeoutMs: 6000 });
      s.on('suspended', () => { throw new Error('a user listener bug'); });
      const lock = await z.regionTimedLock('throwing', { session: s, holdForMs: 60000 });
      const leader = await z.regionLeader('throwing', { session: s });
      const reconnected = new Promise((r) => s.once('reconnected', r));
      const cutAt = performance.now();
      proxy.cut();
      setTimeout(() => proxy.pass(), 300);
      const rescinded = await leader.rescinded;
      const toldAfterMs = performance.now() - cutAt;
      await reconnected;
      const out = { lockHeld: lock.isHeld, lockReason: lock.signal.reason?.name, rescinded, toldAfterMs, uncaught, state: s.state };
      await s.close();
      await proxy.close();
      console.log(JSON.stringify(out));
      `,
      { SERVER: connectString, ROOT: env.root, HARNESS: new URL('../harness/index.js', import.meta.url).href },
    );
    t.diagnostic(JSON.stringify(result));
    assert.equal(result.lockHeld, false);
    assert.equal(result.lockReason, 'LockLostError');
    assert.equal(result.rescinded, 'session-suspended');
    assert.ok((result.toldAfterMs as number) < 1000, 'holders were told at once, not when the session was lost');
    assert.equal(result.uncaught, 1, 'the listener error is still reported');
    assert.equal(result.state, 'connected', 'the client reconnected');
  } finally {
    await env.finish();
  }
});

test('a global lock granted after a long wait is refreshed before its first deadline', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = await globalTimedLock('refresh-after-wait', { session: env.session(), holdForMs: 4000 });
    setTimeout(() => void a.unlock(), 1800);
    const b = await globalTimedLock('refresh-after-wait', { session: env.session(), holdForMs: 4000, waitForMs: 5000 });
    // b's lease was counted from its request, ~1.8 s ago: without an early refresh it ends in ~2.2 s.
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(b.isHeld, true, `lost: ${String(b.signal.reason)}`);
    await b.unlock();
  } finally {
    await env.finish();
  }
});

test('configure() calls add up rather than replace earlier session options', async () => {
  const result = await runScript(`
    const z = await import(process.env.LIB);
    const { defaultSession } = await import(process.env.DEFAULTS);
    z.configure({ hosts: '127.0.0.1:2999', sessionTimeoutMs: 30000 });
    z.configure({ namespace: 'billing' });
    const o = defaultSession().options;
    console.log(JSON.stringify({ hosts: o.hosts, timeout: o.sessionTimeoutMs }));
  `, { DEFAULTS: new URL('../../src/defaults.js', import.meta.url).href });
  assert.deepEqual(result, { hosts: '127.0.0.1:2999', timeout: 30000 });
});
