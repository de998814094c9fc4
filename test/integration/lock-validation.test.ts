// Bad input to the lock and reservation functions is rejected with a typed error naming the
// argument, before any I/O: no connection is opened and nothing is created on the server.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  anonymousRelease,
  ConfigurationError,
  configure,
  ConnectTimeoutError,
  globalLock,
  globalTimedLock,
  InvalidArgumentError,
  LeaseTooShortError,
  regionLock,
  regionTimedLock,
  reservation,
  Session,
  setRegionLockNamespace,
  type LockOptions,
  type SessionOptions,
  type ZoosyncConfig,
} from '../../src/index.js';
import { MAX_ID_BYTES, MAX_NAMESPACE_BYTES, MAX_PATH_BYTES } from '../../src/wire/paths.js';
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
  ['id of 1025 bytes', 'x'.repeat(MAX_ID_BYTES + 1)],
  ['id of 342 three-byte characters (1026 bytes)', '日'.repeat(342)],
  ['bytes id of 1025 bytes', new Uint8Array(MAX_ID_BYTES + 1).fill(0x61)],
  ['id over the server packet limit (2 MiB)', 'x'.repeat(2 * 1024 * 1024)],
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

/** Asserts `call` rejects (or throws) InvalidArgumentError naming `argument` (with a message matching `message`), and fast. */
async function rejectsNaming(
  call: () => Promise<unknown>,
  argument: string,
  type: new (...a: never[]) => Error = InvalidArgumentError,
  message?: RegExp,
): Promise<void> {
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
  const got = String(error);
  assert.ok(error !== undefined, `expected a rejection naming ${argument}`);
  assert.ok(!(error instanceof ConnectTimeoutError), `I/O was attempted: ${got}`);
  assert.ok(error instanceof type, `expected ${type.name}, got ${got}`);
  assert.ok(error instanceof InvalidArgumentError);
  assert.equal(error.argument, argument, error.message);
  assert.equal(error.code, 'ZOOSYNC_INVALID_ARGUMENT');
  assert.ok(error.message.startsWith(`${argument}:`), error.message);
  if (message !== undefined) assert.match(error.message, message);
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

/** Every lock function, by name. */
const LOCK_FUNCTIONS: Array<[string, (id: AnyId, options?: LockOptions) => Promise<unknown>]> = [
  ['regionLock', regionLock],
  ['regionTimedLock', regionTimedLock],
  ['globalLock', globalLock],
  ['globalTimedLock', globalTimedLock],
];

test('unknown lock option keys are refused, naming the key and the nearest known one, before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const live = env.session();
    const dead = await deadSession();
    try {
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        // Today's silent defaults: a 1 s wait instead of 5 s, a 2 s lease instead of 30 s.
        [{ waitFor: 5000 }, 'options.waitFor', /^options\.waitFor: unknown option; did you mean waitForMs\?$/],
        [{ holdFor: 30_000 }, 'options.holdFor', /did you mean holdForMs\?$/],
        [{ waitForMS: undefined }, 'options.waitForMS', /did you mean waitForMs\?$/],
        [{ signl: new AbortController().signal }, 'options.signl', /did you mean signal\?$/],
        [{ retries: 3 }, 'options.retries', /the known options are waitForMs, holdForMs, signal, session, acl$/],
      ];
      for (const [name, lock] of LOCK_FUNCTIONS) {
        await t.test(name, async () => {
          for (const [extra, argument, message] of cases) {
            for (const session of [live, dead]) {
              await rejectsNaming(() => lock('fine', { session, ...extra }), argument, InvalidArgumentError, message);
            }
          }
          // A misspelt session would have fallen back to the default session.
          await rejectsNaming(() => lock('fine', { sesion: dead } as LockOptions), 'options.sesion', InvalidArgumentError, /did you mean session\?$/);
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

test('unknown reservation option keys are refused before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const live = env.session();
    const dead = await deadSession();
    try {
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ sesion: live }, 'options.sesion', /did you mean session\?$/],
        [{ session: live, ttlMs: 1000 }, 'options.ttlMs', /the known options are session$/],
        [{ session: live, signal: undefined }, 'options.signal', /the known options are session$/],
      ];
      for (const [options, argument, message] of cases) {
        // reservation() also takes an acl; anonymousRelease() only a session.
        assert.throws(
          () => reservation('/items', 'ok', options),
          (e: unknown) => e instanceof InvalidArgumentError && e.argument === argument && new RegExp(message.source.replace('are session$', 'are session, acl$')).test(e.message),
        );
        await rejectsNaming(() => anonymousRelease('/items', 'ok', options), argument, InvalidArgumentError, message);
        await rejectsNaming(() => anonymousRelease('/items', 'ok', { ...options, session: dead }), argument, InvalidArgumentError, message);
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

test('unknown Session and configure() keys are refused with a ConfigurationError, and configure() changes nothing', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const isConfig = (argument: string, message: RegExp) => (e: unknown) =>
      e instanceof ConfigurationError && e.argument === argument && e.message.startsWith(`${argument}: `) && message.test(e.message);
    // Today this silently keeps the 10 s default.
    assert.throws(() => new Session({ hosts: env.hosts, sesionTimeoutMs: 5000 } as SessionOptions), isConfig('options.sesionTimeoutMs', /did you mean sessionTimeoutMs\?$/));
    assert.throws(() => new Session({ host: env.hosts } as SessionOptions), isConfig('options.host', /did you mean hosts\?$/));
    assert.throws(() => new Session({ hosts: env.hosts, spinDelay: undefined } as SessionOptions), isConfig('options.spinDelay', /did you mean spinDelayMs\?$/));
    const configCases: Array<[ZoosyncConfig, string, RegExp]> = [
      [{ namespce: 'billing' } as ZoosyncConfig, 'config.namespce', /did you mean namespace\?$/],
      [{ globalHost: env.hosts } as ZoosyncConfig, 'config.globalHost', /did you mean globalHosts\?$/],
      [{ reapInterval: 5000 } as ZoosyncConfig, 'config.reapInterval', /did you mean reapIntervalMs\?$/],
      [{ namespace: 'changed', sesionTimeoutMs: 5000 } as ZoosyncConfig, 'config.sesionTimeoutMs', /did you mean sessionTimeoutMs\?$/],
      [{ namespace: 'changed', retries: undefined } as ZoosyncConfig, 'config.retries', /the known options are hosts, /],
    ];
    for (const [config, argument, message] of configCases) assert.throws(() => configure(config), isConfig(argument, message));
    // The refused calls changed nothing: the namespace in force is still the default.
    const lock = await regionTimedLock('configure-refused', { session: env.session() });
    assert.ok(lock.path.startsWith('/sync/regionlock/configure-refused/'), lock.path);
    await lock.unlock();
  } finally {
    await env.finish();
  }
});

test('over-long namespaces and reservation arguments are refused before any I/O, naming the limit and the size', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const live = env.session();
    const dead = await deadSession();
    try {
      const longNs = 'n'.repeat(MAX_NAMESPACE_BYTES + 1);
      const isNs = (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'namespace' && /at most 512 bytes of UTF-8, got 513 bytes/.test(e.message);
      assert.throws(() => setRegionLockNamespace(longNs), isNs);
      assert.throws(() => configure({ namespace: longNs }), isNs);
      assert.throws(() => setRegionLockNamespace('n'.repeat(2 * 1024 * 1024)), (e: unknown) => e instanceof InvalidArgumentError && /got 2097152 bytes/.test(e.message));

      const longPath = `/${'p'.repeat(MAX_PATH_BYTES)}`;
      const longId = 'i'.repeat(MAX_ID_BYTES + 1);
      const cases: Array<[string, string, string, RegExp]> = [
        [longPath, 'ok', 'path', /at most 2048 bytes of UTF-8, got 2049 bytes/],
        [`/${'p'.repeat(2 * 1024 * 1024)}`, 'ok', 'path', /got 2097153 bytes/],
        ['/items', longId, 'id', /at most 1024 bytes of UTF-8, got 1025 bytes/],
        ['/items', 'ü'.repeat(513), 'id', /got 1026 bytes/],
      ];
      for (const [path, id, argument, message] of cases) {
        assert.throws(
          () => reservation(path, id, { session: live }),
          (e: unknown) => e instanceof InvalidArgumentError && e.argument === argument && message.test(e.message),
        );
        await rejectsNaming(() => anonymousRelease(path, id, { session: live }), argument, InvalidArgumentError, message);
        await rejectsNaming(() => anonymousRelease(path, id, { session: dead }), argument, InvalidArgumentError, message);
      }
      for (const [name, lock] of LOCK_FUNCTIONS) {
        await rejectsNaming(() => lock(longId, { session: live }), 'id', InvalidArgumentError, /at most 1024 bytes of UTF-8, got 1025 bytes/).catch((e: Error) => {
          throw new Error(`${name}: ${e.message}`);
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

test('ids and reservation paths at the limits are accepted', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const live = env.session();
    const lock = await regionTimedLock('x'.repeat(MAX_ID_BYTES), { session: live, waitForMs: 0 });
    await lock.unlock();
    const global = await globalTimedLock(new Uint8Array(MAX_ID_BYTES).fill(0x79), { session: live, waitForMs: 0 });
    await global.unlock();
    assert.equal(await anonymousRelease(`/${'p'.repeat(MAX_PATH_BYTES - 1)}`, 'r'.repeat(MAX_ID_BYTES), { session: live }), false);
  } finally {
    await env.finish();
  }
});

test('an over-long or bad ZOOSYNC_NAMESPACE is refused naming ZOOSYNC_NAMESPACE, before any I/O', async () => {
  const [port] = await freePorts(1);
  const script = `
    const z = await import(process.env.LIB);
    const s = new z.Session({ hosts: process.env.DEAD, sessionTimeoutMs: 2000, connectTimeoutMs: 1500 });
    const out = [];
    for (const ns of [process.env.LONG_NS, 'a//b']) {
      process.env.ZOOSYNC_NAMESPACE = ns;
      const t0 = performance.now();
      const e = await z.regionLock('x', { session: s }).then(() => undefined, (error) => error);
      out.push({ name: e?.name, argument: e?.argument, message: e?.message, ms: performance.now() - t0, state: s.state });
    }
    await s.close();
    console.log(JSON.stringify(out));
  `;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, LIB: new URL('../../src/index.js', import.meta.url).href, DEAD: `127.0.0.1:${port}`, LONG_NS: 'n'.repeat(600) },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, out);
  const [long, bad] = JSON.parse(out.trim().split('\n').pop()!) as Array<{ name: string; argument: string; message: string; ms: number; state: string }>;
  for (const r of [long!, bad!]) {
    assert.equal(r.name, 'InvalidArgumentError', r.message);
    assert.equal(r.argument, 'ZOOSYNC_NAMESPACE');
    assert.ok(r.ms < 1000, `took ${r.ms} ms: looks like I/O happened first`);
    assert.equal(r.state, 'idle');
  }
  assert.match(long!.message, /^ZOOSYNC_NAMESPACE: must be at most 512 bytes of UTF-8, got 600 bytes$/);
  assert.match(bad!.message, /empty segment/);
});
