// Bad input to the lock and reservation functions is rejected with a typed error naming the
// argument, before any I/O: no connection is opened and nothing is created on the server.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  anonymousRelease,
  configure,
  ConnectTimeoutError,
  globalTimedLock,
  InvalidArgumentError,
  LeaseTooShortError,
  regionLock,
  regionTimedLock,
  reservation,
  Session,
  setRegionLockNamespace,
  type LockOptions,
} from '../../src/index.js';
import { freePorts, listTree, sharedServer, stopAll } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

type AnyId = Parameters<typeof regionTimedLock>[0];
const asId = (v: unknown): AnyId => v as AnyId;

/** Bad ids, with why each is bad. */
const BAD_IDS: Array<[string, unknown]> = [
  ['empty id', ''],
  ['blank id', '   '],
  ['blank bytes id', new TextEncoder().encode(' \t')],
  ['number id', 42],
  ['object id', { id: 'x' }],
  ['null id', null],
  ['undefined id', undefined],
  ['NUL in id', 'a\u0000b'],
  ['control character U+0001 in id', 'a\u0001b'],
  ['lone surrogate U+D800 in id', 'a\ud800b'],
  ['U+FFF0 in id', 'a\ufff0b'],
  ['id "."', '.'],
  ['id ".."', '..'],
  ['bytes id that is not UTF-8', new Uint8Array([0x61, 0xff, 0x62])],
];

/** Bad options of regionTimedLock, with the argument the error must name. */
const BAD_OPTIONS: Array<[string, unknown, string, (new (...a: never[]) => Error)?]> = [
  ['negative waitForMs', { waitForMs: -1 }, 'options.waitForMs'],
  ['NaN waitForMs', { waitForMs: Number.NaN }, 'options.waitForMs'],
  ['non-integer waitForMs', { waitForMs: 1.5 }, 'options.waitForMs'],
  ['Infinity waitForMs', { waitForMs: Number.POSITIVE_INFINITY }, 'options.waitForMs'],
  ['string waitForMs', { waitForMs: '100' }, 'options.waitForMs'],
  ['holdForMs 999', { holdForMs: 999 }, 'options.holdForMs', LeaseTooShortError],
  ['holdForMs 0', { holdForMs: 0 }, 'options.holdForMs', LeaseTooShortError],
  ['negative holdForMs', { holdForMs: -5000 }, 'options.holdForMs', LeaseTooShortError],
  ['NaN holdForMs', { holdForMs: Number.NaN }, 'options.holdForMs'],
  ['Infinity holdForMs', { holdForMs: Number.POSITIVE_INFINITY }, 'options.holdForMs'],
  ['non-AbortSignal signal', { signal: { aborted: false, addEventListener() {} } }, 'options.signal'],
  ['non-Session session', { session: { request() {} } }, 'options.session'],
  ['null options', null, 'options'],
  ['string options', 'fast', 'options'],
];

/** A session whose hosts point at a port nothing listens on: any I/O would end in ConnectTimeoutError. */
async function deadSession(): Promise<Session> {
  const [port] = await freePorts(1);
  return new Session({ hosts: `127.0.0.1:${port}`, sessionTimeoutMs: 2000, connectTimeoutMs: 1500 });
}

/** Asserts `call` rejects (or throws) InvalidArgumentError naming `argument`, and fast. */
async function rejectsNaming(call: () => Promise<unknown>, argument: string, type: new (...a: never[]) => Error = InvalidArgumentError): Promise<void> {
  const t0 = performance.now();
  let error: unknown;
  let threwSynchronously = false;
  try {
    const p = call();
    try {
      await p;
    } catch (e) {
      error = e;
    }
  } catch (e) {
    threwSynchronously = true;
    error = e;
  }
  const took = performance.now() - t0;
  assert.ok(error !== undefined, `expected a rejection naming ${argument}`);
  assert.ok(!(error instanceof ConnectTimeoutError), `I/O was attempted: ${String(error)}`);
  assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
  assert.ok(error instanceof InvalidArgumentError);
  assert.equal(error.argument, argument, error.message);
  assert.equal(error.code, 'ZOOSYNC_INVALID_ARGUMENT');
  assert.ok(error.message.startsWith(`${argument}:`), error.message);
  assert.equal(threwSynchronously, false, 'an async function threw synchronously instead of rejecting');
  assert.ok(took < 1000, `took ${took} ms: looks like it waited for a connection`);
}

test('bad ids reject with InvalidArgumentError("id") before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const live = env.session();
    const dead = await deadSession();
    try {
      for (const [what, id] of BAD_IDS) {
        await t.test(what, async () => {
          await rejectsNaming(() => regionTimedLock(asId(id), { session: live }), 'id');
          await rejectsNaming(() => regionLock(asId(id), { session: dead }), 'id');
          await rejectsNaming(() => globalTimedLock(asId(id), { session: dead }), 'id');
        });
      }
      assert.equal(live.state, 'idle', 'the live session was connected by a bad call');
      assert.equal(dead.state, 'idle', 'a connection to the dead host was attempted');
      assert.deepEqual(await listTree(connectString, env.root), []);
    } finally {
      await dead.close();
    }
  } finally {
    await env.finish({ strict: true });
  }
});

test('bad options reject naming the option before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const live = env.session();
    const dead = await deadSession();
    try {
      for (const [what, options, argument, type] of BAD_OPTIONS) {
        await t.test(what, async () => {
          const withLive = (options !== null && typeof options === 'object' && !('session' in options) ? { session: live, ...options } : options) as LockOptions;
          const withDead = (options !== null && typeof options === 'object' && !('session' in options) ? { session: dead, ...options } : options) as LockOptions;
          await rejectsNaming(() => regionTimedLock('fine', withLive), argument, type);
          await rejectsNaming(() => regionTimedLock('fine', withDead), argument, type);
        });
      }
      assert.equal(live.state, 'idle');
      assert.equal(dead.state, 'idle');
      assert.deepEqual(await listTree(connectString, env.root), []);
    } finally {
      await dead.close();
    }
  } finally {
    await env.finish({ strict: true });
  }
});

test('the lease minimum is 1000 ms for region locks and 2000 ms for global locks', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const dead = await deadSession();
    try {
      await rejectsNaming(() => regionTimedLock('fine', { session: dead, holdForMs: 999 }), 'options.holdForMs', LeaseTooShortError);
      await rejectsNaming(() => globalTimedLock('fine', { session: dead, holdForMs: 1999 }), 'options.holdForMs', LeaseTooShortError);
      await rejectsNaming(() => globalTimedLock('fine', { session: dead, holdForMs: Number.NaN }), 'options.holdForMs');
      await rejectsNaming(() => globalTimedLock('fine', { session: dead, waitForMs: -1 }), 'options.waitForMs');
      assert.equal(dead.state, 'idle');
    } finally {
      await dead.close();
    }
    // The minimums themselves are accepted.
    const live = env.session();
    const region = await regionTimedLock('min', { session: live, holdForMs: 1000 });
    await region.unlock();
    const global = await globalTimedLock('min', { session: live, holdForMs: 2000 });
    await global.unlock();
  } finally {
    await env.finish();
  }
});

test('an already aborted signal rejects with its reason and creates nothing', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const live = env.session();
    const reason = new Error('shutting down');
    await assert.rejects(regionTimedLock('aborted', { session: live, signal: AbortSignal.abort(reason) }), (e) => e === reason);
    await assert.rejects(globalTimedLock('aborted', { session: live, signal: AbortSignal.abort(reason) }), (e) => e === reason);
    const dead = await deadSession();
    try {
      const t0 = performance.now();
      await assert.rejects(regionLock('aborted', { session: dead, signal: AbortSignal.abort(reason) }), (e) => e === reason);
      assert.ok(performance.now() - t0 < 1000);
      assert.equal(dead.state, 'idle');
    } finally {
      await dead.close();
    }
    assert.equal(live.state, 'idle');
    assert.deepEqual(await listTree(connectString, env.root), []);
  } finally {
    await env.finish({ strict: true });
  }
});

test('bad namespaces are refused and leave the namespace in force unchanged', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const cases: Array<[string, unknown]> = [
      ['empty', ''],
      ['blank', '   '],
      ['only slashes', '///'],
      ['empty segment', 'a//b'],
      ['reserved /zookeeper', 'zookeeper'],
      ['under /zookeeper', 'zookeeper/quota'],
      ['relative segment', 'a/../b'],
      ['NUL', 'a\u0000b'],
      ['forbidden character', 'a\u0001b'],
      ['not a string', 7],
    ];
    for (const [what, ns] of cases) {
      await t.test(what, () => {
        assert.throws(
          () => setRegionLockNamespace(ns as string),
          (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'namespace',
        );
        assert.throws(
          () => configure({ namespace: ns as string }),
          (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'namespace',
        );
      });
    }
    // The documented default is still in force: a lock lands under /sync/regionlock.
    const live = env.session();
    const lock = await regionTimedLock('still-default', { session: live });
    assert.ok(lock.path.startsWith('/sync/regionlock/still-default/'), lock.path);
    await lock.unlock();
    // A good namespace is used, with "/" in the id escaped as "#".
    setRegionLockNamespace('/svc/orders/');
    try {
      const nsLock = await regionTimedLock('a/b', { session: live });
      assert.ok(nsLock.path.startsWith('/svc/orders/a#b/_c_'), nsLock.path);
      await nsLock.unlock();
    } finally {
      setRegionLockNamespace('sync/regionlock');
    }
  } finally {
    await env.finish({ allow: (p) => /\/svc(\/orders(\/a#b)?)?$/.test(p) });
  }
});

test('bad reservation arguments are refused before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const live = env.session();
    const dead = await deadSession();
    try {
      const cases: Array<[string, unknown, unknown, string]> = [
        ['blank path', '', 'item', 'path'],
        ['relative path', 'items', 'item', 'path'],
        ['path ending in /', '/items/', 'item', 'path'],
        ['path with //', '/a//b', 'item', 'path'],
        ['path under /zookeeper', '/zookeeper/x', 'item', 'path'],
        ['non-string path', 5, 'item', 'path'],
        ['blank id', '/items', '', 'id'],
        ['whitespace id', '/items', '  ', 'id'],
        ['id with /', '/items', 'a/b', 'id'],
        ['id with NUL', '/items', 'a\u0000b', 'id'],
        ['number id', '/items', 3, 'id'],
      ];
      for (const [what, path, id, argument] of cases) {
        await t.test(what, async () => {
          // reservation() checks its arguments at once, synchronously.
          assert.throws(
            () => reservation(path as string, id as string, { session: live }),
            (e: unknown) => e instanceof InvalidArgumentError && e.argument === argument,
          );
          await rejectsNaming(() => anonymousRelease(path as string, id as string, { session: dead }), argument);
          await rejectsNaming(() => anonymousRelease(path as string, id as string, { session: live }), argument);
        });
      }
      const r = reservation('/items', 'ok', { session: dead });
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await rejectsNaming(() => r.reserve(ttl), 'ttlMs');
      }
      assert.equal(live.state, 'idle');
      assert.equal(dead.state, 'idle');
      assert.deepEqual(await listTree(connectString, env.root), []);
    } finally {
      await dead.close();
    }
  } finally {
    await env.finish({ strict: true });
  }
});

test('a good call on the dead host does attempt I/O (the checks above are meaningful)', async (t) => {
  const dead = await deadSession();
  try {
    const t0 = performance.now();
    await assert.rejects(regionTimedLock('fine', { session: dead, waitForMs: 0 }), ConnectTimeoutError);
    t.diagnostic(`ConnectTimeoutError after ${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    await dead.close();
  }
});
