/** Security option resolution and TLS failure classification: pure logic. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigurationError } from '../../src/index.js';
import { ACL_PRESETS, describeTlsFailure, needsIdentity, PERMS, resolveAcl, resolveAuth, resolveTls } from '../../src/zk/security.js';

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('auth: entries become bytes; ZK_AUTH is scheme:credentials; malformed entries are named', () => {
  assert.deepEqual(resolveAuth([{ scheme: 'digest', credentials: 'u:p' }]), [{ scheme: 'digest', credentials: Buffer.from('u:p') }]);
  assert.deepEqual(withEnv({ ZK_AUTH: 'digest:user:pa:ss' }, () => resolveAuth(undefined)), [{ scheme: 'digest', credentials: Buffer.from('user:pa:ss') }]);
  assert.deepEqual(withEnv({ ZK_AUTH: undefined }, () => resolveAuth(undefined)), []);
  assert.throws(() => withEnv({ ZK_AUTH: 'nocolon' }, () => resolveAuth(undefined)), (e: unknown) => e instanceof ConfigurationError && e.argument === 'ZK_AUTH');
  assert.throws(() => resolveAuth({}), (e: unknown) => e instanceof ConfigurationError && e.argument === 'auth');
  assert.throws(() => resolveAuth([{ scheme: 'bad scheme', credentials: 'x' }]), (e: unknown) => e instanceof ConfigurationError && e.argument === 'auth[0].scheme');
  assert.throws(() => resolveAuth([{ scheme: 'x509', credentials: 5 }]), (e: unknown) => e instanceof ConfigurationError && e.argument === 'auth[0].credentials');
  assert.throws(() => resolveAuth([{ scheme: 'ip', credentials: 'x'.repeat(4097) }]), /at most 4096 bytes/);
});

test('acl: presets, letters and bits; creator presets need an identity', () => {
  assert.equal(resolveAcl(undefined), ACL_PRESETS.open);
  assert.deepEqual(resolveAcl('creator-all-world-read'), [
    { scheme: 'auth', id: '', perms: PERMS.ALL },
    { scheme: 'world', id: 'anyone', perms: PERMS.READ },
  ]);
  assert.deepEqual(resolveAcl([{ scheme: 'digest', id: 'u:h', perms: 'rwc' }]), [{ scheme: 'digest', id: 'u:h', perms: 7 }]);
  assert.deepEqual(resolveAcl([{ scheme: 'ip', id: '10.0.0.1', perms: 31 }]), [{ scheme: 'ip', id: '10.0.0.1', perms: 31 }]);
  assert.throws(() => resolveAcl([]), /non-empty list/);
  assert.throws(() => resolveAcl([{ scheme: 'world', id: 'anyone', perms: 32 }]), (e: unknown) => e instanceof ConfigurationError && e.argument === 'acl[0].perms');
  assert.throws(() => resolveAcl([{ scheme: 'world', id: 'anyone', perm: 1 }]), /acl\[0\]\.perm: unknown option; did you mean perms\?/);
  assert.equal(needsIdentity(ACL_PRESETS.open), false);
  assert.equal(needsIdentity(ACL_PRESETS['creator-all']), true);
});

test('tls: options are checked; ZK_TLS_* files are read, and a missing one is named', () => {
  assert.equal(resolveTls(undefined), undefined);
  assert.deepEqual(resolveTls(true), {});
  assert.equal(resolveTls(false), undefined);
  assert.throws(() => resolveTls({ cafile: 'x' }), /tls\.cafile: unknown option/);
  assert.throws(() => resolveTls({ key: 'k' }), (e: unknown) => e instanceof ConfigurationError && e.argument === 'tls.cert');
  assert.throws(() => withEnv({ ZK_TLS_CA: '/nonexistent/ca.pem' }, () => resolveTls(undefined)), (e: unknown) => e instanceof ConfigurationError && e.argument === 'ZK_TLS_CA');
  const tls = withEnv({ ZK_TLS_CA: '/etc/hostname', ZK_TLS_CERT: undefined, ZK_TLS_KEY: undefined }, () => resolveTls(undefined));
  assert.ok(Buffer.isBuffer(tls?.ca));
});

test('TLS failures are told apart; other socket errors are not TLS failures', () => {
  assert.match(describeTlsFailure('UNABLE_TO_VERIFY_LEAF_SIGNATURE')!, /unknown CA/);
  assert.match(describeTlsFailure('SELF_SIGNED_CERT_IN_CHAIN')!, /unknown CA/);
  assert.match(describeTlsFailure('ERR_TLS_CERT_ALTNAME_INVALID')!, /another host name/);
  assert.match(describeTlsFailure('CERT_HAS_EXPIRED')!, /expired/);
  assert.match(describeTlsFailure('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')!, /client certificate/);
  assert.match(describeTlsFailure('ERR_SSL_WRONG_VERSION_NUMBER')!, /does not speak TLS/);
  assert.equal(describeTlsFailure('ECONNRESET'), undefined);
  assert.match(describeTlsFailure('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established')!, /plain clientPort/);
  assert.equal(describeTlsFailure('ECONNREFUSED'), undefined);
  assert.equal(describeTlsFailure(undefined), undefined);
});
