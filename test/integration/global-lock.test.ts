// The deprecated global lock: works on the session given or on configure({ globalHosts }),
// reports contention as LockContendedError, refreshes its lease while held, warns once.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  closeDefaultSessions,
  configure,
  globalLock,
  globalTimedLock,
  LockContendedError,
  type Lock,
  type Session,
} from '../../src/index.js';
import { decodeGoTime } from '../../src/wire/go-time.js';
import { freePorts, sharedServer, sleep, stopAll, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

// Every warning of this process, from its first line on: the warning is once per process.
const warnings: Error[] = [];
process.on('warning', (w) => warnings.push(w));
const ours = (): Array<Error & { code?: string }> => warnings.filter((w) => (w as { code?: string }).code === 'ZOOSYNC_GLOBAL_LOCK');

after(() => stopAll());

const PARENT = (id: string): string => `/sync/globallock/${id}`;

async function deadline(session: Session, path: string): Promise<number> {
  return decodeGoTime((await session.request({ op: 'getData', path })).data);
}

test('globalLock works on the session given', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const locks: Lock[] = [];
  try {
    const s = env.session();
    const lock = await globalLock('given', { session: s });
    locks.push(lock);
    assert.ok(lock.path.startsWith(`${PARENT('given')}/_c_`), lock.path);
    const stat = await s.request({ op: 'exists', path: lock.path });
    assert.equal(stat?.czxid, lock.fencingToken);
    const d = await deadline(s, lock.path);
    assert.ok(d > Date.now() + 3000 && d <= Date.now() + 5000, `default lease is 5 s, deadline in ${d - Date.now()} ms`);
    await lock.unlock();
    assert.equal(await s.request({ op: 'exists', path: lock.path }), null);
  } finally {
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await env.finish();
  }
});

test('globalLock without a session runs on configure({ globalHosts })', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const locks: Lock[] = [];
  try {
    // The region hosts point nowhere: only the global hosts can serve this lock.
    const [port] = await freePorts(1);
    configure({ hosts: `127.0.0.1:${port}`, globalHosts: env.hosts, sessionTimeoutMs: 3000, connectTimeoutMs: 1000 });
    const lock = await globalLock('configured');
    locks.push(lock);
    const s = env.session();
    assert.notEqual(await s.request({ op: 'exists', path: lock.path }), null, 'the lock node is not on the global hosts');
    await lock.unlock();
  } finally {
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await closeDefaultSessions();
    await env.finish();
  }
});

test('contention past waitForMs rejects with LockContendedError and leaves no node', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const locks: Lock[] = [];
  try {
    const a = env.session();
    const b = env.session();
    const held = await globalTimedLock('contended', { session: a, waitForMs: 1000, holdForMs: 10_000 });
    locks.push(held);
    const error = await globalTimedLock('contended', { session: b, waitForMs: 300, holdForMs: 10_000 }).then(
      (l) => (locks.push(l), assert.fail('acquired a held global lock')),
      (e: unknown) => e,
    );
    assert.ok(error instanceof LockContendedError, String(error));
    assert.equal(error.code, 'ZOOSYNC_LOCK_CONTENDED');
    assert.deepEqual(await a.request({ op: 'getChildren', path: PARENT('contended') }), [held.path.split('/').pop()]);
    await held.unlock();
  } finally {
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await env.finish();
  }
});

test('while held, the lease is refreshed past holdFor', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const locks: Lock[] = [];
  try {
    const s = env.session();
    const other = env.session();
    const holdForMs = 2000;
    const lock = await globalTimedLock('refreshed', { session: s, waitForMs: 1000, holdForMs });
    locks.push(lock);
    const first = await deadline(other, lock.path);
    await sleep(holdForMs + 700);
    const later = await deadline(other, lock.path);
    t.diagnostic(`deadline moved ${later - first} ms; ${later - Date.now()} ms left`);
    assert.equal(lock.signal.aborted, false, `the holder lost the lock: ${String(lock.signal.reason)}`);
    assert.ok(later > first, 'the published deadline never moved');
    assert.ok(later > Date.now(), 'the published deadline has passed');
    assert.equal(lock.deadline, later);
    await assert.rejects(globalTimedLock('refreshed', { session: other, waitForMs: 0, holdForMs }), LockContendedError);
    await lock.unlock();
    // Once released, the refresher stops: nothing writes to the (gone) node.
    await sleep(holdForMs);
    assert.equal(await other.request({ op: 'exists', path: lock.path }), null);
  } finally {
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await env.finish();
  }
});

test('one DeprecationWarning per process', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    await (await globalLock('warned', { session: s })).unlock();
    await (await globalLock('warned', { session: s })).unlock();
    await waitFor(() => ours().length > 0, { timeoutMs: 2000, message: 'the DeprecationWarning' });
    await sleep(50);
    assert.equal(ours().length, 1, `${ours().length} warnings`);
    const w = ours()[0]!;
    assert.equal(w.name, 'DeprecationWarning');
    assert.match(w.message, /more problems than it solves/);
  } finally {
    await env.finish();
  }
});
