// Shows the harness's TLS servers and test PKI working: node:tls plus a hand-built ZooKeeper handshake.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import type { ConnectionOptions } from 'node:tls';
import { after, test, type TestContext } from 'node:test';
import {
  connectRequestBytes,
  ensureZooKeeper,
  needsOwnServers,
  harnessResources,
  makeTestPki,
  startEnsemble,
  startStandalone,
  stopAll,
  withBareClient,
  zkTestRoot,
  zkTlsHandshake,
  type TestPki,
  type ZkServer,
} from '../harness/index.js';

after(() => stopAll());

/** The two classes of node-zookeeper-client's untyped `lib/jute` this file builds a ConnectRequest with. */
interface Jute {
  protocol: {
    ConnectRequest: new (protocolVersion: number, lastZxidSeen: Buffer, timeOut: number, sessionId: Buffer, passwd: Buffer) => object;
  };
  Request: new (header: null, payload: object) => { toBuffer(): Buffer };
}

/** TLS options for server's secure port, trusting `ca` (a PEM path). */
function to(server: ZkServer, ca: string, extra: ConnectionOptions = {}): ConnectionOptions {
  return { host: '127.0.0.1', port: server.securePort, ca: fs.readFileSync(ca), ...extra };
}

/** The client certificate and key of pki, as tls.connect options. */
function clientCert(pki: TestPki): ConnectionOptions {
  return { cert: fs.readFileSync(pki.client.cert), key: fs.readFileSync(pki.client.key) };
}

/** Resolves with the `code` of the error the handshake fails with; fails the test if it succeeds. */
async function failureCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? `no code: ${(err as Error).message}`;
  }
  assert.fail('handshake succeeded but should have failed');
}

/** Asserts a ConnectResponse for a new session came back over TLS. */
async function assertZkHandshake(t: TestContext, opts: ConnectionOptions): Promise<void> {
  const hs = await zkTlsHandshake(opts);
  assert.equal(hs.protocolVersion, 0);
  assert.ok(hs.timeOutMs > 0, `timeOut ${hs.timeOutMs}`);
  assert.notEqual(hs.sessionId, 0n);
  const session = `0x${hs.sessionId.toString(16)}`;
  t.diagnostic(`session ${session} over ${hs.tlsProtocol} ${hs.cipher}, timeout ${hs.timeOutMs} ms`);
}

test('makeTestPki: CAs, server and client certificates, keystores; cached per process', async (t) => {
  const pki = await makeTestPki();
  t.diagnostic(`PKI generated in ${pki.generatedInMs} ms`);
  assert.ok(pki.generatedInMs < 5000, `${pki.generatedInMs} ms`);
  assert.equal(await makeTestPki(), pki, 'cached');
  assert.ok(harnessResources().dirs.includes(pki.dir), 'PKI dir registered for cleanup');
  const cert = (f: string): X509Certificate => new X509Certificate(fs.readFileSync(f));
  const ca = cert(pki.ca);
  const other = cert(pki.otherCa);
  assert.equal(ca.ca, true);
  assert.equal(other.ca, true);
  const good = cert(pki.servers.good.cert);
  assert.equal(good.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost');
  assert.equal(cert(pki.servers['wrong-host'].cert).subjectAltName, 'DNS:wrong.example');
  const expired = cert(pki.servers.expired.cert);
  assert.ok(new Date(expired.validTo).getTime() < Date.now(), `expired validTo ${expired.validTo}`);
  const client = cert(pki.client.cert);
  assert.equal(client.subject, 'CN=zoosync-client');
  for (const c of [good, expired, client, cert(pki.servers['wrong-host'].cert)]) {
    assert.ok(c.verify(ca.publicKey), `${c.subject} signed by the CA`);
    assert.ok(!c.verify(other.publicKey), `${c.subject} not signed by the other CA`);
  }
  for (const v of ['good', 'wrong-host', 'expired'] as const) assert.ok(fs.statSync(pki.servers[v].keyStore).size > 0);
  const jute = createRequire(import.meta.url)('node-zookeeper-client/lib/jute') as Jute;
  const req = new jute.protocol.ConnectRequest(0, Buffer.alloc(8), 4000, Buffer.alloc(8), Buffer.alloc(16));
  assert.deepEqual(connectRequestBytes(4000), new jute.Request(null, req).toBuffer(), 'hand-built = jute bytes');

  await stopAll();
  assert.equal(fs.existsSync(pki.dir), false, 'stopAll removed the PKI dir');
  const again = await makeTestPki();
  assert.notEqual(again.dir, pki.dir, 'regenerated after stopAll');
  assert.ok(fs.existsSync(again.servers.good.keyStore));
});

test('TLS server: TLS + ZooKeeper handshake on the secure port, plain port serves, restart keeps ports', async (t) => {
  if (!needsOwnServers(t)) return;
  await ensureZooKeeper();
  const pki = await makeTestPki();
  const t0 = Date.now();
  const server = await startStandalone({ tls: { pki } });
  t.diagnostic(`TLS standalone server started in ${Date.now() - t0} ms`);
  try {
    assert.ok(server.securePort !== undefined && server.securePort !== server.port);
    assert.equal(server.secureConnectString, `127.0.0.1:${server.securePort}`);
    await assertZkHandshake(t, to(server, pki.ca));
    await assertZkHandshake(t, to(server, pki.ca, { servername: 'localhost' }));
    const unknownCa = await failureCode(zkTlsHandshake(to(server, pki.otherCa)));
    t.diagnostic(`client trusting only other-ca.pem: ${unknownCa}`);
    assert.equal(unknownCa, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');

    assert.equal(await server.mode(), 'standalone');
    const root = zkTestRoot(t);
    await withBareClient(server.connectString, async (c) => {
      await c.mkdirp(root);
      assert.equal(await c.exists(root), true);
    });

    const [port, securePort] = [server.port, server.securePort];
    const t1 = Date.now();
    await server.restart();
    t.diagnostic(`TLS server restarted in ${Date.now() - t1} ms`);
    assert.deepEqual([server.port, server.securePort], [port, securePort]);
    await assertZkHandshake(t, to(server, pki.ca));
  } finally {
    await server.stop();
  }
  assert.equal(fs.existsSync(server.dataDir), false);
});

test('a server without tls has no secure port', async (t) => {
  if (!needsOwnServers(t)) return;
  const server = await startStandalone();
  try {
    assert.equal(server.securePort, undefined);
    assert.throws(() => server.secureConnectString, /started without tls/);
    assert.doesNotMatch(fs.readFileSync(`${server.dataDir}/zoo.cfg`, 'utf8'), /ssl|secure|serverCnxnFactory/);
  } finally {
    await server.stop();
  }
});

test("clientAuth 'need' refuses a client without a certificate; 'need'/'want' accept the client cert", async (t) => {
  if (!needsOwnServers(t)) return;
  const pki = await makeTestPki();
  const [need, want] = await Promise.all([
    startStandalone({ tls: { pki, clientAuth: 'need' } }),
    startStandalone({ tls: { pki, clientAuth: 'want' } }),
  ]);
  try {
    const noCert = await failureCode(zkTlsHandshake(to(need, pki.ca)));
    t.diagnostic(`'need', no client certificate: ${noCert}`);
    assert.match(noCert, /^(ERR_SSL_\w+|ECONNRESET|ZK_TLS_CLOSED)$/);
    await assertZkHandshake(t, to(need, pki.ca, clientCert(pki)));
    await assertZkHandshake(t, to(want, pki.ca));
    await assertZkHandshake(t, to(want, pki.ca, clientCert(pki)));
  } finally {
    await Promise.all([need.stop(), want.stop()]);
  }
});

test("a 'wrong-host' certificate fails host name checks; an 'expired' one fails as expired", async (t) => {
  if (!needsOwnServers(t)) return;
  const pki = await makeTestPki();
  const [wrong, expired] = await Promise.all([
    startStandalone({ tls: { pki, serverCert: 'wrong-host' } }),
    startStandalone({ tls: { pki, serverCert: 'expired' } }),
  ]);
  try {
    for (const extra of [{}, { servername: 'localhost' }]) {
      const code = await failureCode(zkTlsHandshake(to(wrong, pki.ca, extra)));
      t.diagnostic(`wrong-host ${JSON.stringify(extra)}: ${code}`);
      assert.equal(code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      const exp = await failureCode(zkTlsHandshake(to(expired, pki.ca, extra)));
      t.diagnostic(`expired ${JSON.stringify(extra)}: ${exp}`);
      assert.equal(exp, 'CERT_HAS_EXPIRED');
    }
    await assertZkHandshake(t, to(wrong, pki.ca, { servername: 'wrong.example' }));
  } finally {
    await Promise.all([wrong.stop(), expired.stop()]);
  }
});

test('a 3-node TLS ensemble serves the ZooKeeper handshake on every secure port', async (t) => {
  if (!needsOwnServers(t)) return;
  const pki = await makeTestPki();
  const t0 = Date.now();
  const ens = await startEnsemble(3, { tls: { pki } });
  t.diagnostic(`3-node TLS ensemble started in ${Date.now() - t0} ms`);
  try {
    const ports = ens.servers.map((s) => s.securePort);
    assert.equal(new Set([...ports, ...ens.servers.map((s) => s.port)]).size, 6, 'distinct ports');
    assert.equal(ens.secureConnectString, ports.map((p) => `127.0.0.1:${p}`).join(','));
    await ens.leader();
    for (const s of ens.servers) await assertZkHandshake(t, to(s, pki.ca));
  } finally {
    await ens.stop();
  }
  for (const s of ens.servers) assert.equal(fs.existsSync(s.dataDir), false);
});
