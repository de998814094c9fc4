/**
 * The sequential-node engine where review found cliffs: lost create replies past the wait limit,
 * twin nodes of one create, planted names, deletes the server refuses, guards that miss a change,
 * refreshes of a node already gone, missing chroots, and an unreachable server. Real ZooKeeper.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import createDebug from 'debug';
import {
  ChrootMissingError,
  ConnectTimeoutError,
  LockExpiredError,
  LockLostError,
  LockTimeoutError,
  regionLeader,
  regionTimedLock,
  ReleaseFailedError,
  Session,
  type Lock,
} from '../../src/index.js';
import { leaderSnapshot } from '../../src/sync.js';
import { decodeGoTime, encodeGoTime } from '../../src/wire/go-time.js';
import { requestCounter } from '../../src/zk/client-internals.js';
import { connectBare, freePorts, sharedServer, sleep, startProxy, stopAll, uniqueId, waitFor, within } from '../harness/index.js';
import { recordWakes, testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const lockParent = (root: string, id: string): string => `${root}/sync/regionlock/${id}`;
const leaderParent = (root: string, id: string): string => `${root}/sync/regionleader/${id}`;
/** world may read, write, create and administer, but not delete children. */
const NO_DELETE = [{ perms: 1 | 2 | 4 | 16, scheme: 'world', id: 'anyone' }];
const OPEN = [{ perms: 31, scheme: 'world', id: 'anyone' }];

test('a create whose reply is lost is given up at the wait limit and not sent again', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  const bare = await connectBare(connectString);
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 4000 });
    const id = uniqueId('lost-reply');
    await (await regionTimedLock(id, { session: s })).unlock();
    proxy.silence('both');
    const t0 = performance.now();
    const error = await regionTimedLock(id, { session: s, waitForMs: 300 }).catch((e: unknown) => e);
    const elapsed = performance.now() - t0;
    t.diagnostic(`rejected after ${Math.round(elapsed)} ms with ${(error as Error).name}`);
    assert.ok(error instanceof LockTimeoutError, `LockTimeoutError, got ${String(error)}`);
    assert.ok(elapsed < 300 + 250, `within the wait limit (${Math.round(elapsed)} ms)`);
    // Traffic resumes before the session is lost: recovery finds nothing and must not create again.
    await sleep(1000);
    proxy.pass();
    await waitFor(() => s.state === 'connected' || s.state === 'idle', { timeoutMs: 8000, message: 'reconnected' });
    await sleep(1000);
    assert.deepEqual(await bare.getChildren(lockParent(env.root, id)), [], 'no node was created after the caller gave up');
  } finally {
    proxy.pass();
    bare.close();
    await env.finish();
    await proxy.close();
  }
});

test('an abort while the create is answered late: the rejection waits for that node to be deleted', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  const bare = await connectBare(connectString);
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 6000 });
    const id = uniqueId('late-reply');
    await (await regionTimedLock(id, { session: s })).unlock();
    proxy.delay(400, 'toClient');
    const controller = new AbortController();
    const pending = regionTimedLock(id, { session: s, waitForMs: 5000, signal: controller.signal });
    pending.catch(() => undefined);
    // The node exists on the server while its create's reply is still held back.
    await waitFor(async () => (await bare.getChildren(lockParent(env.root, id))).length === 1, { timeoutMs: 5000, message: 'node made' });
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.deepEqual(await bare.getChildren(lockParent(env.root, id)), [], 'the aborted create left its node behind the rejection');
  } finally {
    proxy.delay(0);
    bare.close();
    await env.finish();
    await proxy.close();
  }
});

test('an unreachable ZooKeeper is named in the LockTimeoutError, with the cause', async () => {
  const [port] = await freePorts(1);
  const hosts = `127.0.0.1:${port}`;
  const s = new Session({ hosts, connectTimeoutMs: 5000 });
  try {
    const error = await regionTimedLock(uniqueId('unreachable'), { session: s, waitForMs: 300 }).catch((e: unknown) => e);
    assert.ok(error instanceof LockTimeoutError, String(error));
    assert.match(error.message, /not reachable/);
    assert.ok(error.message.includes(hosts), error.message);
    assert.equal(error.unreachable, hosts);
    assert.ok(error.cause instanceof ConnectTimeoutError, `cause: ${String(error.cause)}`);
  } finally {
    await s.close();
  }
});

test('a second node carrying our guid (a delayed create that landed beside its retry) is deleted on the next listing', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(connectString);
  try {
    const [s1, s2, s3] = [env.session(), env.session(), env.session()];
    const id = uniqueId('twins');
    const parent = lockParent(env.root, id);
    const holder = await regionTimedLock(id, { session: s1, holdForMs: 60_000 });
    const second = new AbortController();
    const secondWait = regionTimedLock(id, { session: s2, waitForMs: 30_000, signal: second.signal }).catch((e: unknown) => e);
    await waitFor(async () => (await bare.getChildren(parent)).length === 2, { timeoutMs: 5000, message: 'second queued' });
    const third = regionTimedLock(id, { session: s3, waitForMs: 30_000, holdForMs: 60_000 });
    third.catch(() => undefined);
    await waitFor(async () => (await bare.getChildren(parent)).length === 3, { timeoutMs: 5000, message: 'third queued' });
    const names = (await bare.getChildren(parent)).sort((a, b) => a.slice(-10).localeCompare(b.slice(-10)));
    const ours = names[2]!;
    const guid = /^_c_([0-9a-f]{32})-/.exec(ours)![1]!;
    const twin = (await bare.create(`${parent}/_c_${guid}-lock-`, undefined, 3)).slice(parent.length + 1);
    second.abort(new Error('make the third re-list'));
    await secondWait;
    await waitFor(async () => !(await bare.getChildren(parent)).includes(twin), { timeoutMs: 3000, message: `twin ${twin} deleted` });
    await holder.unlock();
    const lock = await third;
    assert.equal(`${env.root}${lock.path}`, `${parent}/${ours}`);
    await lock.unlock();
    assert.deepEqual(await bare.getChildren(parent), []);
  } finally {
    bare.close();
    await env.finish();
  }
});

test('planted names of another shape neither hold a lock nor block an election', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(connectString);
  const planted: string[] = [];
  try {
    const s = env.session();
    const id = uniqueId('planted');
    for (const parent of [lockParent(env.root, id), leaderParent(env.root, id)]) {
      await bare.mkdirp(`${parent}/x-0000000000`);
      await bare.create(`${parent}/_c_${'f'.repeat(32)}-foo-0000000001`);
      planted.push(`${parent}/x-0000000000`, `${parent}/_c_${'f'.repeat(32)}-foo-0000000001`);
    }
    const lock = await regionTimedLock(id, { session: s, waitForMs: 2000 });
    await lock.unlock();
    const leader = await within(regionLeader(id, { session: s }), 3000, 'elected despite planted names');
    const view = await leaderSnapshot(id, { session: s });
    assert.equal(view.participants.length, 1, 'only our node counts as a participant');
    assert.equal(view.leader?.path, leader.path);
    await leader.rescind();
  } finally {
    for (const p of planted) await bare.remove(p).catch(() => undefined);
    bare.close();
    await env.finish();
  }
});

test('unlock() and rescind() reject with ReleaseFailedError while the server refuses to delete our node', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(connectString);
  const restore: string[] = [];
  try {
    const s = env.session();
    const id = uniqueId('refused');
    const lock = await regionTimedLock(id, { session: s, holdForMs: 60_000 });
    const leader = await regionLeader(id, { session: s });
    for (const parent of [lockParent(env.root, id), leaderParent(env.root, id)]) {
      await bare.setAcl(parent, NO_DELETE);
      restore.push(parent);
    }
    await assert.rejects(lock.unlock(), (e: unknown) => e instanceof ReleaseFailedError && e.path === lock.path);
    await assert.rejects(leader.rescind(), (e: unknown) => e instanceof ReleaseFailedError && e.path === leader.path);
    assert.equal(await bare.exists(`${env.root}${lock.path}`), true, 'the lock node is still there, as the error says');
    assert.equal(await bare.exists(`${env.root}${leader.path}`), true, 'the leader node is still there, as the error says');
    assert.equal(lock.isHeld, false);
    assert.equal(leader.isLeader, false);
  } finally {
    for (const parent of restore) await bare.setAcl(parent, OPEN);
    bare.close();
    await env.finish();
  }
});

test('an uncontended holder is told when someone changes its node\'s data', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(connectString);
  try {
    const s = env.session();
    const lock = await regionTimedLock(uniqueId('changed'), { session: s, holdForMs: 60_000 });
    await sleep(100);
    await bare.setData(`${env.root}${lock.path}`, encodeGoTime(Date.now() + 1_000_000));
    await waitFor(() => lock.signal.aborted, { timeoutMs: 2000, message: 'signal aborted on a change to our node' });
    assert.ok(lock.signal.reason instanceof LockLostError, String(lock.signal.reason));
    await lock.unlock();
  } finally {
    bare.close();
    await env.finish();
  }
});

/**
 * A holder on a direct session and a waiter queued behind it whose bytes reach the server
 * `delayMs` late; the waiter's 1 s lease makes it rewrite its own node every half second.
 */
async function delayedWaiter(
  env: Awaited<ReturnType<typeof testEnv>>,
  proxy: Awaited<ReturnType<typeof startProxy>>,
  bare: Awaited<ReturnType<typeof connectBare>>,
  name: string,
  delayMs: number,
): Promise<{ holder: Lock; waiting: Promise<Lock>; waiterPath: string }> {
  const id = uniqueId(name);
  const parent = lockParent(env.root, id);
  const holder = await regionTimedLock(id, { session: env.session(), holdForMs: 60_000 });
  const ws = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 8000 });
  await ws.connection();
  proxy.delay(delayMs, 'toServer');
  const waiting = regionTimedLock(id, { session: ws, waitForMs: 10_000, holdForMs: 1000 });
  waiting.catch(() => undefined);
  await waitFor(async () => (await bare.getChildren(parent)).length === 2, { timeoutMs: 5000, message: 'waiter queued' });
  const waiterName = (await bare.getChildren(parent)).find((n) => `${parent}/${n}` !== `${env.root}${holder.path}`)!;
  return { holder, waiting, waiterPath: `${parent}/${waiterName}` };
}

test('a hand-off waits for the guard re-armed after our own lease refresh: a node deleted meanwhile is not taken', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  const bare = await connectBare(connectString);
  try {
    const { holder, waiting, waiterPath } = await delayedWaiter(env, proxy, bare, 'rearm', 200);
    const first = (await bare.getData(waiterPath))!;
    // The moment its refresh lands, the change notification reaches the waiter, which re-arms its
    // guard with a read still 200 ms away from the server: delete its node and the holder's now.
    await waitFor(async () => !(await bare.getData(waiterPath))!.equals(first), { timeoutMs: 3000, intervalMs: 2, message: 'refresh landed' });
    await bare.remove(waiterPath);
    await bare.remove(`${env.root}${holder.path}`);
    const lock = await waiting;
    assert.notEqual(`${env.root}${lock.path}`, waiterPath, 'the deleted node was not handed the lock');
    assert.equal(await bare.exists(`${env.root}${lock.path}`), true, 'the lock it holds has a node');
    await sleep(300);
    assert.equal(lock.isHeld, true);
    proxy.delay(0);
    await lock.unlock();
    await holder.unlock();
  } finally {
    proxy.delay(0);
    bare.close();
    await env.finish();
    await proxy.close();
  }
});

test('a waiter whose node is deleted while its lease refresh is in flight queues again (no raw NoNodeError)', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  const bare = await connectBare(connectString);
  try {
    const delayMs = 300;
    const { holder, waiting, waiterPath } = await delayedWaiter(env, proxy, bare, 'refresh-gone', delayMs);
    // Its refresh leaves at deadline - 500 ms and reaches the server 300 ms later: delete in between.
    const refreshAt = decodeGoTime((await bare.getData(waiterPath))!) - 500;
    await sleep(Math.max(0, refreshAt + delayMs / 2 - Date.now()));
    await bare.remove(waiterPath);
    await sleep(2 * delayMs);
    proxy.delay(0);
    await holder.unlock();
    const lock = await within(waiting, 8000, 'waiter acquired after queueing again');
    assert.notEqual(`${env.root}${lock.path}`, waiterPath);
    await lock.unlock();
  } finally {
    proxy.delay(0);
    bare.close();
    await env.finish();
    await proxy.close();
  }
});

test('an expired predecessor we may not delete is waited on, within the wait limit, without spinning', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(connectString);
  const id = uniqueId('noauth-reap');
  const parent = lockParent(env.root, id);
  try {
    const s = env.session();
    await bare.mkdirp(parent);
    // A Go holder whose lease passed long ago, on a session that stays alive.
    await bare.create(`${parent}/_c_${'a'.repeat(32)}-lock-`, encodeGoTime(Date.now() - 60_000), 3);
    await bare.setAcl(parent, NO_DELETE);
    const wakes = recordWakes(`/sync/regionlock/${id}`);
    const t0 = performance.now();
    const error = await regionTimedLock(id, { session: s, waitForMs: 500 }).catch((e: unknown) => e);
    const elapsed = performance.now() - t0;
    wakes.stop();
    const reaps = wakes.events.filter((e) => e.cause === 'pred-expired').length;
    t.diagnostic(`rejected after ${Math.round(elapsed)} ms; ${reaps} attempts to reap the expired predecessor`);
    assert.ok(error instanceof LockTimeoutError, String(error));
    assert.ok(elapsed < 500 + 300, `within the wait limit (${Math.round(elapsed)} ms)`);
    assert.ok(reaps >= 1 && reaps <= 2, `tried to reap once, then waited (${reaps} attempts)`);
  } finally {
    await bare.setAcl(parent, OPEN).catch(() => undefined);
    bare.close();
    await env.finish();
  }
});

test('a missing chroot is named in the error', async (t) => {
  const { connectString } = await sharedServer();
  const chroot = `/zoosync-test/no-such-chroot-${uniqueId('x')}`;
  const s = new Session({ hosts: `${connectString.split('/')[0]}${chroot}`, sessionTimeoutMs: 4000 });
  try {
    const error = await regionTimedLock(uniqueId('chroot'), { session: s }).catch((e: unknown) => e);
    assert.ok(error instanceof ChrootMissingError, String(error));
    const missing = error;
    assert.equal(missing.chroot, chroot);
    assert.ok(missing.message.includes(chroot), missing.message);
  } finally {
    await s.close();
  }
  t.diagnostic('no node was created: the chroot itself is absent');
});

test('the leader recipe logs under zoosync:leader, not zoosync:lock', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const lines: string[] = [];
  const previousLog = createDebug.log;
  const previous = createDebug.disable();
  createDebug.enable('zoosync:lock,zoosync:leader');
  createDebug.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    const s = env.session();
    const id = uniqueId('logs');
    const leader = await regionLeader(id, { session: s });
    const stop = new AbortController();
    const second = regionLeader(id, { session: s, signal: stop.signal }).catch((e: unknown) => e);
    await sleep(200);
    stop.abort(new Error('stop campaigning'));
    await second;
    await leader.rescind();
    const ours = lines.filter((l) => l.includes(id));
    assert.ok(ours.some((l) => l.includes('zoosync:leader') && l.includes('gave up')), `the campaign's own log lines:\n${ours.join('\n')}`);
    assert.deepEqual(ours.filter((l) => l.includes('zoosync:lock ')), [], 'nothing of the election under zoosync:lock');
  } finally {
    createDebug.log = previousLog;
    createDebug.disable();
    if (previous) createDebug.enable(previous);
    await env.finish();
  }
});

test('extend() after an event-loop stall past the lease refuses by the clock and writes nothing', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const lock = await regionTimedLock(uniqueId('stalled'), { session: s, holdForMs: 1000 });
    const conn = await s.connection();
    // Requests leave at the end of the tick, so the node itself must tell whether a write was made:
    // its first change after this must be its deletion (the expired lock's own cleanup), never new data.
    const observer = await env.session().connection();
    let firstChange!: (type: string) => void;
    const changed = new Promise<string>((resolve) => (firstChange = resolve));
    await observer.request({ op: 'getData', path: lock.path, watch: (e) => firstChange(e.type) });
    // A synchronous stall: no timer of ours runs until it ends.
    const until = Date.now() + 1100;
    while (Date.now() < until) {
      /* stall */
    }
    const sentBefore = requestCounter(conn);
    const extending = lock.extend(5000);
    extending.catch(() => undefined);
    assert.equal(requestCounter(conn), sentBefore, 'extend sent no write for a lease already past');
    await assert.rejects(extending, (e: unknown) => e instanceof LockExpiredError);
    await lock.unlock();
    assert.equal(await within(changed, 5000, 'a change to the lock node'), 'deleted', 'extend wrote a new deadline into a lease already past');
  } finally {
    await env.finish();
  }
});
