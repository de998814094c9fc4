/**
 * Authentication and ACLs against a real ZooKeeper: creator-only nodes that a client without the
 * credentials can neither delete nor rewrite, parents included; typed, fast refusals; the
 * default (open) unchanged.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import {
  AuthFailedError,
  ConfigurationError,
  InvalidArgumentError,
  NoAuthError,
  regionLeader,
  regionTimedLock,
  reservation,
  type Session,
} from '../../src/index.js';
import { encodeGoTime } from '../../src/wire/go-time.js';
import { connectBare, sharedServer, sleep, startProxy, stopAll, uniqueId, within, zkCode } from '../harness/index.js';
import { removeTreeAs, testEnv, type TestEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const ALICE = [{ scheme: 'digest', credentials: 'alice:secret' }];
const NO_AUTH = -102;

/** Runs `fn` with a test env and an alice session using `acl`; cleans up as alice. */
async function withAlice(t: Parameters<typeof testEnv>[0], acl: 'creator-all' | 'creator-all-world-read', fn: (env: TestEnv, alice: Session, connectString: string) => Promise<void>): Promise<void> {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const alice = env.session({ auth: ALICE, acl });
  try {
    await fn(env, alice, connectString);
  } finally {
    await removeTreeAs(env.session({ auth: ALICE }), '/');
    await env.finish({ strict: true });
  }
}

test('creator-all: a held lock, its parents, a leader and a reservation resist a client without the credentials', async (t) => {
  await withAlice(t, 'creator-all', async (env, alice, connectString) => {
    const id = uniqueId('guarded');
    const lock = await regionTimedLock(id, { session: alice, holdForMs: 60_000 });
    const leader = await regionLeader(id, { session: alice });
    const item = reservation('/res', 'item', { session: alice });
    await item.reserve(60_000);
    const stranger = await connectBare(connectString);
    try {
      const refusals: string[] = [];
      const expectNoAuth = async (what: string, op: Promise<unknown>): Promise<void> => {
        const code = await op.then(() => 'allowed', (e: unknown) => zkCode(e));
        assert.equal(code, NO_AUTH, `${what}: refused with NoAuth (got ${String(code)})`);
        refusals.push(what);
      };
      const abs = (p: string): string => `${env.root}${p}`;
      await expectNoAuth('delete the lock node', stranger.remove(abs(lock.path)));
      await expectNoAuth('rewrite the lock node', stranger.setData(abs(lock.path), encodeGoTime(Date.now() - 1000)));
      await expectNoAuth('read the lock node', stranger.getData(abs(lock.path)));
      await expectNoAuth('plant a node in the lock parent', stranger.create(`${abs(`/sync/regionlock/${id}`)}/_c_${'0'.repeat(32)}-lock-0000000000`));
      await expectNoAuth('plant a node in the namespace', stranger.create(abs('/sync/regionlock/planted')));
      await expectNoAuth('plant a node under /sync', stranger.create(abs('/sync/planted')));
      await expectNoAuth('delete the leader node', stranger.remove(abs(leader.path)));
      await expectNoAuth('rewrite the leader node', stranger.setData(abs(leader.path), Buffer.from('x')));
      await expectNoAuth('delete the reservation', stranger.remove(abs(item.path)));
      await expectNoAuth('rewrite the reservation', stranger.setData(abs(item.path), encodeGoTime(0)));
      t.diagnostic(`refused: ${refusals.join('; ')}`);
      assert.equal(lock.isHeld, true, 'the lock is still held');
      assert.equal(leader.isLeader, true, 'still leading');
    } finally {
      stranger.close();
    }
    await lock.unlock();
    await leader.rescind();
    assert.equal(await item.release(), true);
  });
});

test('creator-all-world-read: anyone may read who holds what, nobody else may change it', async (t) => {
  await withAlice(t, 'creator-all-world-read', async (env, alice, connectString) => {
    const lock = await regionTimedLock(uniqueId('readable'), { session: alice, holdForMs: 60_000 });
    const stranger = await connectBare(connectString);
    try {
      const data = await stranger.getData(`${env.root}${lock.path}`);
      assert.equal(data?.length, 15, 'the lease deadline is readable');
      const code = await stranger.remove(`${env.root}${lock.path}`).then(() => 'allowed', (e: unknown) => zkCode(e));
      assert.equal(code, NO_AUTH);
    } finally {
      stranger.close();
    }
    await lock.unlock();
  });
});

test('a waiter with the right credentials takes over an expired lease under creator-all; one without is told which permission it lacks', async (t) => {
  await withAlice(t, 'creator-all', async (env, alice, connectString) => {
    const id = uniqueId('takeover');
    // The parent, made by alice, creator-only.
    await (await regionTimedLock(id, { session: alice })).unlock();
    // A holder (alice's identity, another process) whose lease passed long ago and which never deletes its node.
    const stale = await connectBare(connectString);
    try {
      stale.addAuth('digest', 'alice:secret');
      const parent = `${env.root}/sync/regionlock/${id}`;
      await stale.setAcl(parent, [{ perms: 31, scheme: 'digest', id: `alice:${digestOf('alice', 'secret')}` }]);
      const staleNode = await stale.create(`${parent}/_c_${'b'.repeat(32)}-lock-`, encodeGoTime(Date.now() - 60_000), 3);
      // Without credentials: refused at the create, on the parent, saying so.
      const open = env.session();
      const refused = await regionTimedLock(id, { session: open, waitForMs: 500 }).catch((e: unknown) => e);
      assert.ok(refused instanceof NoAuthError, String(refused));
      assert.equal(refused.permission, 'CREATE');
      assert.equal(refused.node, `/sync/regionlock/${id}`);
      assert.match((refused as Error).message, /no CREATE permission on \/sync\/regionlock\/\S+ \(the parent of/);
      // A wrong password is simply another identity: refused the same way, not an authentication failure.
      const wrong = env.session({ auth: [{ scheme: 'digest', credentials: 'alice:wrong' }] });
      const wrongRefused = await regionTimedLock(id, { session: wrong, waitForMs: 500 }).catch((e: unknown) => e);
      assert.ok(wrongRefused instanceof NoAuthError, String(wrongRefused));
      // Alice's waiter deletes the expired holder and takes the lock.
      const lock = await within(regionTimedLock(id, { session: alice, waitForMs: 3000 }), 4000, 'takeover');
      assert.equal(await stale.exists(staleNode), false, 'the expired holder was deleted');
      await lock.unlock();
    } finally {
      stale.close();
    }
  });
});

test('an authentication the server rejects fails the first operation fast, typed, naming the scheme and the host', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session({ auth: [{ scheme: 'nosuchscheme', credentials: 'whatever' }], connectTimeoutMs: 10_000 });
    const t0 = performance.now();
    const error = await regionTimedLock(uniqueId('authfail'), { session: s, waitForMs: 5000 }).catch((e: unknown) => e);
    const elapsed = performance.now() - t0;
    t.diagnostic(`rejected after ${Math.round(elapsed)} ms: ${(error as Error).message}`);
    assert.ok(error instanceof AuthFailedError, String(error));
    assert.deepEqual(error.schemes, ['nosuchscheme']);
    assert.match(error.host, /^127\.0\.0\.1:\d+$/);
    assert.ok(elapsed < 2000, `fast (${Math.round(elapsed)} ms), not the wait limit`);
  } finally {
    await env.finish({ strict: true });
  }
});

test('creator-only ACLs without an identity, and malformed security options, are refused before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    assert.throws(() => env.session({ acl: 'creator-all' }), (e: unknown) => e instanceof ConfigurationError && e.argument === 'acl');
    assert.throws(() => env.session({ acl: 'secret' as never }), (e: unknown) => e instanceof ConfigurationError && e.argument === 'acl');
    assert.throws(() => env.session({ auth: [{ scheme: 'digest', credentials: 'no-colon' }] }), (e: unknown) => e instanceof ConfigurationError && e.argument === 'auth[0].credentials');
    assert.throws(() => env.session({ auth: [{ scheme: 'digest', credential: 'a:b' } as never] }), /auth\[0\]\.credential: unknown option; did you mean credentials\?/);
    assert.throws(() => env.session({ tls: { cert: 'x' } }), (e: unknown) => e instanceof ConfigurationError && e.argument === 'tls.key');
    const open = env.session();
    await assert.rejects(regionTimedLock(uniqueId('x'), { session: open, acl: 'creator-all' }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.acl');
    await assert.rejects(regionLeader(uniqueId('x'), { session: open, acl: [{ scheme: 'world', id: 'anyone', perms: 'rwx' }] }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'options.acl[0].perms');
    assert.equal(open.state, 'idle', 'nothing was sent');
  } finally {
    await env.finish({ strict: true });
  }
});

test('a per-call ACL overrides the session\'s: a creator-all lock on an otherwise open session', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const s = env.session({ auth: ALICE });
  const stranger = await connectBare(connectString);
  try {
    const open = await regionTimedLock(uniqueId('open'), { session: s, holdForMs: 60_000 });
    assert.equal((await stranger.getData(`${env.root}${open.path}`))?.length, 15, 'the session default stays open');
    await open.unlock();
    const guarded = await regionTimedLock(uniqueId('guarded'), { session: s, holdForMs: 60_000, acl: 'creator-all' });
    const code = await stranger.remove(`${env.root}${guarded.path}`).then(() => 'allowed', (e: unknown) => zkCode(e));
    assert.equal(code, NO_AUTH, 'the per-call ACL applies');
    await guarded.unlock();
  } finally {
    stranger.close();
    await removeTreeAs(s, '/');
    await env.finish({ strict: true });
  }
});

/** ZooKeeper's digest id: base64(sha1("user:password")). */
function digestOf(user: string, password: string): string {
  return createHash('sha1').update(`${user}:${password}`).digest('base64');
}

test('authentication is sent again on every reconnect, before any request', async (t) => {
  const { connectString } = await sharedServer();
  const proxy = await startProxy(connectString.split('/')[0]!);
  try {
    await withAlice(t, 'creator-all', async (env, alice) => {
      const id = uniqueId('reauth');
      // The parent exists and is alice's only.
      await (await regionTimedLock(id, { session: alice })).unlock();
      const viaProxy = env.session({ hosts: proxy.connectString + env.root, auth: ALICE, acl: 'creator-all' });
      await (await regionTimedLock(id, { session: viaProxy })).unlock();
      const conn = await viaProxy.connection();
      const reconnected = new Promise((resolve) => viaProxy.once('reconnected', resolve));
      const suspended = new Promise((resolve) => viaProxy.once('suspended', resolve));
      proxy.cut();
      await within(suspended, 5000, 'suspended');
      // Queued while disconnected: it goes out right after the handshake, and must find alice's identity in place.
      const queued = conn.request({ op: 'create', path: `/sync/regionlock/${id}/queued`, mode: 0 });
      await sleep(50);
      proxy.pass();
      await within(reconnected, 8000, 'reconnect');
      await within(queued, 5000, 'the request queued while disconnected');
      await conn.request({ op: 'delete', path: `/sync/regionlock/${id}/queued` });
      // A create in alice's parent needs alice's identity on the new connection.
      const lock = await regionTimedLock(id, { session: viaProxy, waitForMs: 3000 });
      assert.equal(lock.isHeld, true);
      await lock.unlock();
    });
  } finally {
    await proxy.close();
  }
});
