/** The session layer against real ZooKeeper: states, silence and loss by our own clock, typed errors, bounded connects. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import {
  BadVersionError,
  ConfigurationError,
  ConnectTimeoutError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  Session,
  SessionLostError,
} from '../../src/index.js';
import { CreateMode } from '../../src/zk/requests.js';
import { freePorts, sharedServer, startProxy, startStandalone, stopAll, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

/** Resolves with performance.now() when `session` emits `event`. */
const when = (session: Session, event: string): Promise<number> =>
  new Promise((resolve) => session.once(event, () => resolve(performance.now())));

test('connects lazily, reports connected, and closes cleanly', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    assert.equal(s.state, 'idle');
    const connected = when(s, 'connected');
    const conn = await s.connection();
    await connected;
    assert.equal(s.state, 'connected');
    assert.match(conn.sessionId ?? '', /^[0-9a-f]{16}$/);
    assert.equal(s.signal.aborted, false);
    await s.close();
    assert.equal(s.state, 'closed');
    assert.equal(s.signal.aborted, true);
    assert.equal((s.signal.reason as Error).name, 'SessionClosedError');
    await assert.rejects(s.connection(), { name: 'SessionClosedError' });
  } finally {
    await env.finish({ strict: true });
  }
});

test('server error codes map to typed errors', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    await assert.rejects(s.request({ op: 'delete', path: '/missing' }), NoNodeError);
    await s.request({ op: 'create', path: '/a', mode: CreateMode.PERSISTENT });
    await assert.rejects(s.request({ op: 'create', path: '/a', mode: CreateMode.PERSISTENT }), NodeExistsError);
    await s.request({ op: 'create', path: '/a/b', mode: CreateMode.PERSISTENT });
    await assert.rejects(s.request({ op: 'delete', path: '/a' }), NotEmptyError);
    await assert.rejects(s.request({ op: 'setData', path: '/a/b', data: Buffer.from('x'), version: 7 }), BadVersionError);
    const err = await s.request({ op: 'delete', path: '/nope' }).catch((e: unknown) => e);
    assert.ok(err instanceof NoNodeError);
    assert.equal(err.code, 'ZOOSYNC_ZK_NO_NODE');
    assert.equal(err.path, '/nope');
    await s.request({ op: 'delete', path: '/a/b' });
    await s.request({ op: 'delete', path: '/a' });
  } finally {
    await env.finish({ strict: true });
  }
});

test('bad configuration fails at once with a typed error naming the problem', () => {
  for (const hosts of ['', 'localhost', 'host:port', '127.0.0.1:99999', 'a:1,,b:2', 42]) {
    assert.throws(() => new Session({ hosts: hosts as string }), (e: unknown) => e instanceof ConfigurationError && /hosts/.test(e.message));
  }
  for (const sessionTimeoutMs of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new Session({ hosts: '127.0.0.1:2181', sessionTimeoutMs }), { name: 'ConfigurationError', argument: 'sessionTimeoutMs' });
  }
  assert.throws(() => new Session({ hosts: '127.0.0.1:2181', connectTimeoutMs: 0 }), { argument: 'connectTimeoutMs' });
});

test('an unreachable server fails the first operation after the connect timeout, and leaves nothing running', async () => {
  const [port] = await freePorts(1);
  const s = new Session({ hosts: `127.0.0.1:${port}`, connectTimeoutMs: 400 });
  const started = performance.now();
  await assert.rejects(s.connection(), ConnectTimeoutError);
  const waited = performance.now() - started;
  assert.ok(waited >= 390 && waited < 3000, `waited ${waited} ms`);
  assert.equal(s.current, undefined, 'the failed connection was dropped');
  await s.close();
});

test('silence is noticed within 2/3 of the session timeout; a reconnect keeps the session', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString);
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 3000 });
    const conn = await s.connection();
    const id = conn.sessionId;
    const timeout = conn.sessionTimeoutMs;
    await new Promise((r) => setTimeout(r, 200));
    const suspended = when(s, 'suspended');
    const silencedAt = performance.now();
    proxy.silence();
    const noticedAfter = (await suspended) - silencedAt;
    t.diagnostic(`silence noticed after ${noticedAfter.toFixed(0)} ms (session timeout ${timeout} ms)`);
    assert.ok(noticedAfter <= (timeout * 2) / 3 + 100, `noticed after ${noticedAfter} ms`);
    assert.equal(s.signal.aborted, false, 'suspended is not lost');
    const reconnected = when(s, 'reconnected');
    proxy.pass();
    await reconnected;
    assert.equal(s.current?.sessionId, id, 'same ZooKeeper session after reconnect');
    await s.request({ op: 'exists', path: '/' });
  } finally {
    await proxy.close();
    await env.finish({ strict: true });
  }
});

test('a paused server is noticed as silence, then the session is declared lost by our clock and replaced', async (t) => {
  const server = await startStandalone();
  const env = await testEnv(t, server.connectString);
  try {
    const s = env.session({ sessionTimeoutMs: 2000 });
    const old = await s.connection();
    const oldSignal = s.signal;
    const timeout = old.sessionTimeoutMs;
    const suspended = when(s, 'suspended');
    const lost = when(s, 'lost');
    const pausedAt = performance.now();
    server.pause();
    const suspendedAfter = (await suspended) - pausedAt;
    const lostAfter = (await lost) - pausedAt;
    t.diagnostic(`paused server: suspended after ${suspendedAfter.toFixed(0)} ms, lost after ${lostAfter.toFixed(0)} ms (timeout ${timeout} ms)`);
    assert.ok(suspendedAfter <= (timeout * 2) / 3 + 100, `suspended after ${suspendedAfter} ms`);
    assert.ok(lostAfter <= timeout + 100, `lost after ${lostAfter} ms`);
    assert.ok(oldSignal.aborted);
    assert.ok(oldSignal.reason instanceof SessionLostError);
    assert.equal(old.state, 'lost');
    await assert.rejects(old.request({ op: 'exists', path: '/' }), SessionLostError);
    server.resume();
    const fresh = await s.connection();
    assert.notEqual(fresh.sessionId, old.sessionId, 'a fresh ZooKeeper session');
    assert.equal(s.signal.aborted, false, 'the new session has a live signal');
    assert.notEqual(await s.request({ op: 'exists', path: '/' }), null);
  } finally {
    server.resume();
    await env.finish({ strict: true });
    await server.stop();
  }
});

test('closing the session lets the process exit: no timer or socket left', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const script = `
      import { Session, configure, regionLock, closeDefaultSessions } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};
      const s = new Session({ hosts: process.env.HOSTS, sessionTimeoutMs: 4000 });
      await s.request({ op: 'exists', path: '/' });
      await s.close();
      configure({ hosts: process.env.HOSTS });
      const lock = await regionLock('exit-test');
      await lock.unlock();
      await closeDefaultSessions();
      console.log('done');
    `;
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, HOSTS: env.hosts } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const tookMs = performance.now() - started;
    t.diagnostic(`child exited in ${tookMs.toFixed(0)} ms`);
    assert.equal(code, 0, out);
    assert.match(out, /done/);
    assert.ok(tookMs < 3000, `exit took ${tookMs} ms: something kept the process alive`);
  } finally {
    await env.finish();
  }
});

test('the default session reads ZK_HOSTS and ZK_SESSION_TIMEOUT_MS', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const script = `
      import { regionLock, closeDefaultSessions } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};
      import { defaultSession } from ${JSON.stringify(new URL('../../src/defaults.js', import.meta.url).href)};
      const lock = await regionLock('env-test');
      const s = defaultSession();
      console.log(JSON.stringify({ hosts: s.options.hosts, timeout: s.sessionTimeoutMs }));
      await lock.unlock();
      await closeDefaultSessions();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ZK_HOSTS: env.hosts, ZK_SESSION_TIMEOUT_MS: '3000' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 0, out);
    const seen = JSON.parse(out.trim().split('\n').pop()!) as { hosts: string; timeout: number };
    assert.equal(seen.hosts, env.hosts);
    assert.equal(seen.timeout, 3000);
  } finally {
    await env.finish();
  }
});

test('a cut connection is suspended then reconnected with the same session', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString);
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 4000 });
    const id = (await s.connection()).sessionId;
    const suspended = when(s, 'suspended');
    proxy.cut();
    await suspended;
    assert.equal(s.state, 'suspended');
    const reconnected = when(s, 'reconnected');
    proxy.pass();
    await reconnected;
    await waitFor(() => s.state === 'connected', { timeoutMs: 2000 });
    assert.equal(s.current?.sessionId, id);
  } finally {
    await proxy.close();
    await env.finish({ strict: true });
  }
});

test('a request whose bytes were lost settles: it fails as a connection loss within the read timeout, and is retried', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString);
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 3000 });
    const conn = await s.connection();
    await s.request({ op: 'create', path: '/n', mode: CreateMode.EPHEMERAL });
    proxy.silence();
    const sentAt = performance.now();
    const outcome = conn.request({ op: 'delete', path: '/n' }).then(
      () => 'deleted',
      (e: unknown) => (e as Error).name,
    );
    await new Promise((r) => setTimeout(r, 300));
    proxy.pass();
    const result = await outcome;
    const tookMs = performance.now() - sentAt;
    t.diagnostic(`lost request settled as ${result} after ${tookMs.toFixed(0)} ms (session timeout ${conn.sessionTimeoutMs} ms)`);
    assert.equal(result, 'ConnectionLossError');
    assert.ok(tookMs <= (conn.sessionTimeoutMs * 2) / 3 + 300, `settled after ${tookMs} ms`);
    await waitFor(() => s.state === 'connected', { timeoutMs: 3000 });
    assert.equal(s.current?.sessionId, conn.sessionId, 'the session survived');
    await s.request({ op: 'delete', path: '/n' });
  } finally {
    await proxy.close();
    await env.finish({ strict: true });
  }
});

test('a request lost while later ones are answered fails at once as a connection loss', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString);
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 4000 });
    const conn = await s.connection();
    await s.request({ op: 'create', path: '/n', mode: CreateMode.EPHEMERAL });
    // The delete's bytes are dropped; the reads after it get through once traffic passes again.
    proxy.silence('toServer');
    const lost = conn.request({ op: 'delete', path: '/n' }).then(() => 'deleted', (e: unknown) => (e as Error).name);
    await new Promise((r) => setTimeout(r, 100));
    proxy.pass();
    const t0 = performance.now();
    const later = await Promise.allSettled([1, 2, 3].map(() => conn.request({ op: 'exists', path: '/n' })));
    const result = await lost;
    const tookMs = performance.now() - t0;
    t.diagnostic(`lost delete settled as ${result} ${tookMs.toFixed(0)} ms after traffic resumed; later reads: ${later.map((r) => r.status).join(', ')}`);
    assert.equal(result, 'ConnectionLossError');
    assert.ok(tookMs < (conn.sessionTimeoutMs * 2) / 3, `took ${tookMs} ms: it waited for the read timeout`);
    await waitFor(
      async () => s.request({ op: 'delete', path: '/n' }).then(() => true, (e: unknown) => e instanceof NoNodeError),
      { timeoutMs: 6000, intervalMs: 100, message: 'the node deleted once reconnected' },
    );
  } finally {
    await proxy.close();
    await env.finish({ strict: true });
  }
});
