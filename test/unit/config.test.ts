import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigurationError } from '../../src/errors.js';
import { client, setServers } from '../../src/zk/client-internals.js';
import { parseServers, resolveSessionOptions, SESSION_OPTION_KEYS, validateHosts } from '../../src/zk/config.js';
import { MAX_PATH_BYTES } from '../../src/wire/paths.js';

const isConfig = (argument: string, message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ConfigurationError, `not a ConfigurationError: ${String(e)}`);
  assert.equal(e.argument, argument);
  assert.match(e.message, message);
  assert.ok(e.message.startsWith(`${argument}: `), e.message);
  return true;
};

test('validateHosts returns the connect string with every entry trimmed, chroot kept', () => {
  assert.equal(validateHosts('a:1, b:2'), 'a:1,b:2');
  assert.equal(validateHosts('  a:1 ,\tb:2 ,c:3  '), 'a:1,b:2,c:3');
  assert.equal(validateHosts(' a:1 , b:2/app/x '), 'a:1,b:2/app/x');
  assert.equal(validateHosts('[::1]:2181, 127.0.0.1:2182'), '[::1]:2181,127.0.0.1:2182');
  assert.equal(validateHosts('a:1/'), 'a:1/', 'a chroot of "/" is no chroot, as in the Java client');
});

test('validateHosts checks the chroot as ZooKeeper checks a path, as a ConfigurationError', () => {
  const cases: Array<[string, RegExp]> = [
    ['a:1/app/../x', /invalid chroot: path "\/app\/\.\.\/x" has a relative segment "\.\."/],
    ['a:1/app/./x', /relative segment "\."/],
    ['a:1/..', /relative segment/],
    ['a:1/app/', /must not end with "\/"/],
    ['a:1/app//x', /empty segment/],
    ['a:1//', /empty segment|must not end/],
    ['a:1/app\u0001', /forbidden character U\+0001/],
    ['a:1/app\u0000', /NUL/],
    ['a:1/zookeeper', /reserves/],
    [`a:1/${'c'.repeat(MAX_PATH_BYTES)}`, new RegExp(`invalid chroot: must be at most ${MAX_PATH_BYTES} bytes of UTF-8, got ${MAX_PATH_BYTES + 1} bytes`)],
  ];
  for (const [hosts, message] of cases) {
    assert.throws(() => validateHosts(hosts), isConfig('hosts', message), JSON.stringify(hosts));
    assert.throws(() => validateHosts(hosts, 'globalHosts'), isConfig('globalHosts', message), JSON.stringify(hosts));
  }
});

test('validateHosts still refuses bad entries', () => {
  for (const hosts of ['', '  ', 'localhost', 'host:port', 'a:0', 'a:99999', 'a:1,,b:2', 'a:1, ', '::1:2181', '[zz]:1', '[]:1']) {
    assert.throws(() => validateHosts(hosts), isConfig('hosts', /./), JSON.stringify(hosts));
  }
  assert.throws(() => validateHosts(42), isConfig('hosts', /must be a string/));
});

test('parseServers gives host and port as net.connect takes them, IPv6 brackets stripped', () => {
  assert.deepEqual(parseServers('127.0.0.1:2181'), [{ host: '127.0.0.1', port: 2181 }]);
  assert.deepEqual(parseServers(' [::1]:2181 , zk-2.example:2182/app'), [
    { host: '::1', port: 2181 },
    { host: 'zk-2.example', port: 2182 },
  ]);
  assert.deepEqual(parseServers('[fe80::1:2]:1,[::ffff:127.0.0.1]:2'), [
    { host: 'fe80::1:2', port: 1 },
    { host: '::ffff:127.0.0.1', port: 2 },
  ]);
  assert.throws(() => parseServers('a:1/x/../y'), isConfig('hosts', /relative segment/));
  assert.throws(() => parseServers('nope', 'ZK_HOSTS'), isConfig('ZK_HOSTS', /not host:port/));
});

test('setServers replaces the list node-zookeeper-client parsed (it read "[::1]:2181" as host "[")', () => {
  const zk = client.createClient('[::1]:2181,[::1]:2182/app', { sessionTimeout: 9000, spinDelay: 100, retries: 0 });
  const cm = zk.connectionManager as unknown as { servers: Array<{ host: string; port: unknown }>; connectTimeout: number; chrootPath: string };
  assert.deepEqual(cm.servers.map((s) => s.host), ['[', '['], 'the client bug this works around');
  setServers(zk.connectionManager, parseServers('[::1]:2181,[::1]:2182,127.0.0.1:2183/app'));
  assert.deepEqual(
    [...cm.servers].sort((a, b) => Number(a.port) - Number(b.port)),
    [
      { host: '::1', port: 2181 },
      { host: '::1', port: 2182 },
      { host: '127.0.0.1', port: 2183 },
    ],
  );
  assert.equal(cm.connectTimeout, 3000, 'connectTimeout = sessionTimeout / servers.length');
  assert.equal(cm.chrootPath, '/app', 'the chroot is kept');
  assert.throws(() => setServers(zk.connectionManager, []), RangeError);
});

test('resolveSessionOptions refuses unknown keys with a ConfigurationError naming the key and the nearest', () => {
  assert.deepEqual([...SESSION_OPTION_KEYS].sort(), ['acl', 'auth', 'connectTimeoutMs', 'hosts', 'maxClockSkewMs', 'sessionTimeoutMs', 'spinDelayMs', 'tls']);
  assert.throws(
    () => resolveSessionOptions({ hosts: 'a:1', sesionTimeoutMs: 5000 } as never),
    isConfig('options.sesionTimeoutMs', /^options\.sesionTimeoutMs: unknown option; did you mean sessionTimeoutMs\?$/),
  );
  assert.throws(() => resolveSessionOptions({ hosts: 'a:1', host: undefined } as never), isConfig('options.host', /did you mean hosts\?/));
  assert.throws(() => resolveSessionOptions({ hosts: 'a:1', connectTimeout: 5 } as never), isConfig('options.connectTimeout', /did you mean connectTimeoutMs\?/));
  assert.throws(() => resolveSessionOptions({ hosts: 'a:1', retries: 3 } as never), isConfig('options.retries', /the known options are/));
  assert.equal(resolveSessionOptions({ hosts: ' a:1 , b:2 ', sessionTimeoutMs: 5000 }).hosts, 'a:1,b:2', 'the client is given the normalized string');
});

test('maxClockSkewMs: default 250, 0 allowed, integer ms up to 60 s, from ZK_MAX_CLOCK_SKEW_MS when not given', () => {
  const saved = process.env.ZK_MAX_CLOCK_SKEW_MS;
  try {
    delete process.env.ZK_MAX_CLOCK_SKEW_MS;
    assert.equal(resolveSessionOptions({ hosts: 'a:1' }).maxClockSkewMs, 250);
    assert.equal(resolveSessionOptions({ hosts: 'a:1', maxClockSkewMs: 0 }).maxClockSkewMs, 0);
    assert.equal(resolveSessionOptions({ hosts: 'a:1', maxClockSkewMs: 60_000 }).maxClockSkewMs, 60_000);
    for (const bad of [-1, 1.5, 60_001, Number.NaN, '100']) {
      assert.throws(() => resolveSessionOptions({ hosts: 'a:1', maxClockSkewMs: bad as number }), isConfig('maxClockSkewMs', /from 0 to 60000/));
    }
    process.env.ZK_MAX_CLOCK_SKEW_MS = '1000';
    assert.equal(resolveSessionOptions({ hosts: 'a:1' }).maxClockSkewMs, 1000);
    assert.equal(resolveSessionOptions({ hosts: 'a:1', maxClockSkewMs: 5 }).maxClockSkewMs, 5, 'the option wins over the environment');
    process.env.ZK_MAX_CLOCK_SKEW_MS = 'soon';
    assert.throws(() => resolveSessionOptions({ hosts: 'a:1' }), isConfig('ZK_MAX_CLOCK_SKEW_MS', /got "soon"/));
  } finally {
    if (saved === undefined) delete process.env.ZK_MAX_CLOCK_SKEW_MS;
    else process.env.ZK_MAX_CLOCK_SKEW_MS = saved;
  }
});
