/**
 * TLS to ZooKeeper's secureClientPort against real servers with certificates made at test time:
 * recipes over TLS, typed certificate failures, mutual TLS with the x509 identity, an ensemble
 * over TLS losing its leader, and every recipe over TLS with auth and creator-only ACLs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, test } from 'node:test';
import {
  globalTimedLock,
  leaderSnapshot,
  observeLeader,
  regionLeader,
  regionTimedLock,
  reservation,
  Session,
  TlsError,
  type SessionOptions,
} from '../../src/index.js';
import { reaperFor } from '../../src/recipes/reaper.js';
import { connectBare, makeTestPki, needsOwnServers, startEnsemble, startStandalone, stopAll, uniqueId, waitFor, within, zkCode, type TestPki } from '../harness/index.js';
import { removeTreeAs, testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

process.emitWarning = (() => undefined); // the global lock's DeprecationWarning

const read = (file: string): Buffer => fs.readFileSync(file);

let pki: TestPki;
const tlsOf = (extra: SessionOptions['tls'] = {}): SessionOptions['tls'] => ({ ca: read(pki.ca), ...(extra as object) });

test('locks and elections over TLS, the server\'s certificate checked against our CA', async (t) => {
  if (!needsOwnServers(t)) return;
  pki = await makeTestPki();
  const server = await startStandalone({ tls: { pki } });
  const env = await testEnv(t, server.connectString);
  try {
    const s = env.session({ hosts: server.secureConnectString + env.root, tls: tlsOf() });
    const conn = await s.connection();
    assert.ok(conn.remoteAddress?.endsWith(`:${server.securePort}`), `connected to the secure port (${conn.remoteAddress})`);
    const id = uniqueId('tls');
    const lock = await regionTimedLock(id, { session: s });
    const leader = await regionLeader(id, { session: s });
    assert.equal(lock.isHeld, true);
    assert.equal(leader.isLeader, true);
    await lock.unlock();
    await leader.rescind();
  } finally {
    await env.finish();
    await server.stop();
  }
});

test('certificate failures are typed and fast: unknown CA, wrong host name, expired, a plain port', async (t) => {
  if (!needsOwnServers(t)) return;
  pki = await makeTestPki();
  const good = await startStandalone({ tls: { pki } });
  const wrongHost = await startStandalone({ tls: { pki, serverCert: 'wrong-host' } });
  const expired = await startStandalone({ tls: { pki, serverCert: 'expired' } });
  try {
    const cases: Array<[string, string, SessionOptions['tls'], string, RegExp]> = [
      ['unknown CA', good.secureConnectString, { ca: read(pki.otherCa) }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', /unknown CA/],
      ['wrong host name', wrongHost.secureConnectString, tlsOf(), 'ERR_TLS_CERT_ALTNAME_INVALID', /another host name/],
      ['expired', expired.secureConnectString, tlsOf(), 'CERT_HAS_EXPIRED', /expired/],
      ['plain port', good.connectString, tlsOf(), 'ECONNRESET', /plain clientPort/],
    ];
    for (const [what, hosts, tls, code, message] of cases) {
      const s = new Session({ hosts, tls, sessionTimeoutMs: 4000, connectTimeoutMs: 8000 });
      const t0 = performance.now();
      try {
        const error = await regionTimedLock(uniqueId('bad-tls'), { session: s, waitForMs: 6000 }).catch((e: unknown) => e);
        const elapsed = performance.now() - t0;
        t.diagnostic(`${what}: ${(error as Error).message} after ${Math.round(elapsed)} ms`);
        assert.ok(error instanceof TlsError, `${what}: TlsError, got ${String(error)}`);
        assert.equal(error.tlsCode, code, what);
        assert.match((error as Error).message, message, what);
        assert.ok(elapsed < 2000, `${what}: fast (${Math.round(elapsed)} ms), not a retry loop`);
      } finally {
        await s.close();
      }
    }
  } finally {
    await Promise.all([good.stop(), wrongHost.stop(), expired.stop()]);
  }
});

test('mutual TLS: a server that needs a client certificate refuses a session without one; with one, the x509 identity owns creator-all nodes', async (t) => {
  if (!needsOwnServers(t)) return;
  pki = await makeTestPki();
  const server = await startStandalone({ tls: { pki, clientAuth: 'need' } });
  const env = await testEnv(t, server.connectString);
  const stranger = await connectBare(server.connectString);
  const withCert = env.session({
    hosts: server.secureConnectString + env.root,
    tls: tlsOf({ cert: read(pki.client.cert), key: read(pki.client.key) }),
    acl: 'creator-all',
  });
  try {
    const bare = new Session({ hosts: server.secureConnectString + env.root, tls: tlsOf(), connectTimeoutMs: 8000 });
    try {
      const error = await regionTimedLock(uniqueId('no-cert'), { session: bare, waitForMs: 5000 }).catch((e: unknown) => e);
      t.diagnostic(`without a client certificate: ${(error as Error).message}`);
      assert.ok(error instanceof TlsError, String(error));
      assert.match((error as Error).message, /client certificate/);
    } finally {
      await bare.close();
    }
    const lock = await regionTimedLock(uniqueId('mtls'), { session: withCert, holdForMs: 60_000 });
    const code = await stranger.remove(`${env.root}${lock.path}`).then(() => 'allowed', (e: unknown) => zkCode(e));
    assert.equal(code, -102, 'a client without the certificate may not delete the x509-owned node');
    assert.equal(lock.isHeld, true);
    await lock.unlock();
  } finally {
    stranger.close();
    await removeTreeAs(withCert, '/');
    await env.finish({ strict: true });
    await server.stop();
  }
});

test('a 3-node ensemble over TLS loses its leader: held locks end, new ones are granted over TLS', async (t) => {
  if (!needsOwnServers(t)) return;
  pki = await makeTestPki();
  const ensemble = await startEnsemble(3, { tls: { pki } });
  const env = await testEnv(t, ensemble.connectString);
  try {
    const s = env.session({ hosts: ensemble.secureConnectString + env.root, tls: tlsOf(), sessionTimeoutMs: 4000 });
    const lock = await regionTimedLock(uniqueId('ens'), { session: s, holdForMs: 60_000 });
    const conn = await s.connection();
    const leaderServer = await ensemble.leader();
    const connectedTo = ensemble.servers.find((z) => conn.remoteAddress?.endsWith(`:${z.securePort}`));
    t.diagnostic(`client on ${connectedTo?.connectString}; killing ensemble leader ${leaderServer.connectString}`);
    await leaderServer.kill();
    await ensemble.leader(30_000);
    if (connectedTo === leaderServer) await waitFor(() => lock.signal.aborted, { timeoutMs: 5000, message: 'held lock ended with its server' });
    const next = await within(regionTimedLock(uniqueId('ens-after'), { session: s, waitForMs: 15_000 }), 20_000, 'a lock after the leader was killed');
    assert.equal(next.isHeld, true);
    await next.unlock();
    await lock.unlock().catch(() => undefined);
    await leaderServer.restart();
  } finally {
    await env.finish();
    await ensemble.stop();
  }
});

test('every recipe over TLS with digest auth and creator-all ACLs: lock, leader, global lock, reservation, observer, reaper', async (t) => {
  if (!needsOwnServers(t)) return;
  pki = await makeTestPki();
  const server = await startStandalone({ tls: { pki } });
  const env = await testEnv(t, server.connectString);
  const s = env.session({
    hosts: server.secureConnectString + env.root,
    tls: tlsOf(),
    auth: [{ scheme: 'digest', credentials: 'orders:s3cret' }],
    acl: 'creator-all',
  });
  const stranger = await connectBare(server.connectString);
  try {
    const id = uniqueId('all');
    const lock = await regionTimedLock(id, { session: s, holdForMs: 60_000 });
    const leader = await regionLeader(id, { session: s });
    const global = await globalTimedLock(id, { session: s });
    const item = reservation('/res', id, { session: s });
    await item.reserve(60_000);
    const view = await leaderSnapshot(id, { session: s });
    assert.equal(view.leader?.path, leader.path, 'the snapshot sees the leader');
    const stopObserving = new AbortController();
    const first = await observeLeader(id, { session: s, signal: stopObserving.signal }).next();
    stopObserving.abort();
    assert.equal(first.done, false, 'the observer yielded a view');
    assert.equal(first.value.leader?.path, leader.path, 'the observer sees the leader');
    for (const path of [lock.path, leader.path, global.path, item.path]) {
      const code = await stranger.remove(`${env.root}${path}`).then(() => 'allowed', (e: unknown) => zkCode(e));
      assert.equal(code, -102, `${path} is protected`);
    }
    await lock.unlock();
    await leader.rescind();
    await global.unlock();
    assert.equal(await item.release(), true);
    const reaper = reaperFor(s);
    await reaper.sweep();
    await reaper.sweep();
    const parent = `/sync/regionlock/${id}`;
    assert.equal(await s.request({ op: 'exists', path: parent }), null, 'the reaper removed the empty lock parent over TLS');
  } finally {
    stranger.close();
    await removeTreeAs(s, '/');
    await env.finish({ strict: true });
    await server.stop();
  }
});
