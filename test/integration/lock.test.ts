// regionLock against a real ZooKeeper: acquire/release, FIFO, no herd, try-lock, timeouts,
// aborts, fencing tokens, and the holder's signal.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { after, test } from 'node:test';
import {
  LockLostError,
  LockReleasedError,
  LockTimeoutError,
  regionTimedLock,
  type Lock,
} from '../../src/index.js';
import { reaperFor } from '../../src/recipes/reaper.js';
import { sharedServer, stopAll, waitFor } from '../harness/index.js';
import { childrenOf, recordWakes, testEnv, untilChildren } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const PARENT = (id: string): string => `/sync/regionlock/${id}`;
const LONG = { waitForMs: 30_000, holdForMs: 30_000 } as const;

const children = childrenOf;


test('acquire and unlock on a real server', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session({ sessionTimeoutMs: 4000 });
    const lock = await regionTimedLock('basic', { session: s, ...LONG });
    assert.ok(lock.path.startsWith(`${PARENT('basic')}/_c_`), lock.path);
    assert.match(lock.path, /\/_c_[0-9a-f]{32}-lock-\d{10}$/);
    assert.deepEqual(await children(s, PARENT('basic')), [lock.path.slice(PARENT('basic').length + 1)]);
    assert.equal(typeof lock.fencingToken, 'bigint');
    assert.ok(lock.fencingToken > 0n);
    assert.equal(lock.signal.aborted, false);
    await lock.unlock();
    assert.deepEqual(await children(s, PARENT('basic')), []);
  } finally {
    await env.finish();
  }
});

test('unlock is idempotent: twice in a row and twice at once both resolve', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const lock = await regionTimedLock('idem', { session: s, ...LONG });
    await lock.unlock();
    await lock.unlock();
    const again = await regionTimedLock('idem', { session: s, ...LONG });
    await Promise.all([again.unlock(), again.unlock(), again[Symbol.asyncDispose]()]);
    assert.deepEqual(await children(s, PARENT('idem')), []);
    assert.ok(again.signal.reason instanceof LockReleasedError);
  } finally {
    await env.finish();
  }
});

test('`await using` releases the lock at the end of the block', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    let path: string;
    let signal: AbortSignal;
    {
      await using lock = await regionTimedLock('using', { session: s, ...LONG });
      path = lock.path;
      signal = lock.signal;
      assert.notEqual(await s.request({ op: 'exists', path }), null);
    }
    assert.equal(await s.request({ op: 'exists', path }), null, 'node still there after the using block');
    assert.ok(signal.reason instanceof LockReleasedError);
  } finally {
    await env.finish();
  }
});

test('waiters acquire in the order they queued (FIFO, 6 waiters)', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const N = 6;
  try {
    const parent = PARENT('fifo');
    const holderSession = env.session();
    const holder = await regionTimedLock('fifo', { session: holderSession, ...LONG });
    const order: number[] = [];
    const waiters: Array<Promise<void>> = [];
    for (let i = 0; i < N; i++) {
      const s = env.session();
      waiters.push(
        regionTimedLock('fifo', { session: s, ...LONG }).then(async (lock) => {
          order.push(i);
          await new Promise((r) => setTimeout(r, 20));
          await lock.unlock();
        }),
      );
      await untilChildren(holderSession, parent, i + 2); // queued before the next one starts
    }
    await holder.unlock();
    await Promise.all(waiters);
    t.diagnostic(`acquisition order: ${order.join(', ')}`);
    assert.deepEqual(order, Array.from({ length: N }, (_, i) => i));
    assert.deepEqual(await children(holderSession, parent), []);
  } finally {
    await env.finish();
  }
});

test('no herd: each unlock wakes exactly one of 6 queued waiters', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const N = 6;
  const parent = PARENT('herd');
  const wakes = recordWakes(parent);
  try {
    const s0 = env.session();
    let current: Lock = await regionTimedLock('herd', { session: s0, ...LONG });
    const next: Array<Promise<Lock>> = [];
    for (let i = 0; i < N; i++) {
      next.push(regionTimedLock('herd', { session: env.session(), ...LONG }));
      await untilChildren(s0, parent, i + 2);
    }
    assert.equal(wakes.events.length, 0, 'a waiter woke before any unlock');
    const perHandOff: number[] = [];
    for (let i = 0; i < N; i++) {
      const before = wakes.events.length;
      await current.unlock();
      current = await next[i]!;
      await new Promise((r) => setTimeout(r, 150)); // let any stray wake arrive
      const woke = wakes.events.slice(before);
      perHandOff.push(woke.length);
      assert.equal(woke.length, 1, `hand-off ${i} woke ${woke.length} waiters: ${JSON.stringify(woke)}`);
      assert.equal(woke[0]!.cause, 'deleted');
      assert.equal(woke[0]!.path, current.path, 'the woken waiter is the one that acquired');
    }
    t.diagnostic(`wakes per hand-off: ${perHandOff.join(', ')}`);
    await current.unlock();
    assert.equal(wakes.events.length, N);
  } finally {
    wakes.stop();
    await env.finish();
  }
});

test('waitForMs: 0 is a try-lock', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const b = env.session();
    const parent = PARENT('try');
    const held = await regionTimedLock('try', { session: a, ...LONG });
    await assert.rejects(regionTimedLock('try', { session: b, waitForMs: 0, holdForMs: 5000 }), LockTimeoutError);
    assert.deepEqual(await children(a, parent), [held.path.slice(parent.length + 1)], 'the failed try left a node');
    await held.unlock();
    const got = await regionTimedLock('try', { session: b, waitForMs: 0, holdForMs: 5000 });
    assert.equal(got.signal.aborted, false);
    await got.unlock();
  } finally {
    await env.finish();
  }
});

test('a wait that times out rejects with LockTimeoutError and leaves no node of ours', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const b = env.session();
    const parent = PARENT('timeout');
    const held = await regionTimedLock('timeout', { session: a, ...LONG });
    const t0 = performance.now();
    const error = await regionTimedLock('timeout', { session: b, waitForMs: 600, holdForMs: 5000 }).then(
      () => assert.fail('acquired a held lock'),
      (e: unknown) => e,
    );
    const waited = performance.now() - t0;
    t.diagnostic(`timed out after ${waited.toFixed(0)} ms (waitForMs 600)`);
    assert.ok(error instanceof LockTimeoutError, String(error));
    assert.equal(error.code, 'ZOOSYNC_LOCK_TIMEOUT');
    assert.ok(waited >= 590, `gave up early, after ${waited} ms`);
    assert.deepEqual(await children(a, parent), [held.path.slice(parent.length + 1)]);
    await held.unlock();
  } finally {
    await env.finish();
  }
});

test('aborting a pending acquire rejects with the signal reason and leaves no node', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const b = env.session();
    const parent = PARENT('abort');
    const held = await regionTimedLock('abort', { session: a, ...LONG });
    const controller = new AbortController();
    const pending = regionTimedLock('abort', { session: b, ...LONG, signal: controller.signal });
    pending.catch(() => undefined);
    await untilChildren(a, parent, 2);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.deepEqual(await children(a, parent), [held.path.slice(parent.length + 1)], 'the aborted waiter left its node');
    assert.equal(held.signal.aborted, false);
    await held.unlock();
  } finally {
    await env.finish();
  }
});

test('fencing tokens strictly increase over 1000 acquisitions on one session', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    let last = -1n;
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      const lock = await regionTimedLock('fence1', { session: s, waitForMs: 10_000, holdForMs: 10_000 });
      assert.ok(lock.fencingToken > last, `token ${lock.fencingToken} after ${last} at ${i}`);
      last = lock.fencingToken;
      await lock.unlock();
    }
    t.diagnostic(`1000 acquisitions in ${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    await env.finish();
  }
});

test('fencing tokens strictly increase over 1000 acquisitions alternating two sessions', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const sessions = [env.session(), env.session()];
    let last = -1n;
    for (let i = 0; i < 1000; i++) {
      const lock = await regionTimedLock('fence2', { session: sessions[i % 2]!, waitForMs: 10_000, holdForMs: 10_000 });
      assert.ok(lock.fencingToken > last, `token ${lock.fencingToken} after ${last} at ${i}`);
      last = lock.fencingToken;
      await lock.unlock();
    }
  } finally {
    await env.finish();
  }
});

test('fencing tokens keep increasing across a reaped parent', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const parent = PARENT('fence-reaped');
    const first = await regionTimedLock('fence-reaped', { session: s, ...LONG });
    const seqBefore = first.path.slice(-10);
    await first.unlock();
    const reaper = reaperFor(s);
    await reaper.sweep();
    await reaper.sweep();
    assert.equal(await s.request({ op: 'exists', path: parent }), null, 'the parent was not reaped');
    const second = await regionTimedLock('fence-reaped', { session: s, ...LONG });
    t.diagnostic(`tokens ${first.fencingToken} -> ${second.fencingToken}; sequences ${seqBefore} -> ${second.path.slice(-10)}`);
    assert.ok(second.fencingToken > first.fencingToken, `token went from ${first.fencingToken} to ${second.fencingToken}`);
    // The sequence restarted with the new parent: only the czxid can fence.
    assert.ok(second.path.slice(-10) <= seqBefore);
    await second.unlock();
  } finally {
    await env.finish();
  }
});

test("the fencing token is the lock node's czxid", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const other = env.session();
    for (let i = 0; i < 5; i++) {
      const lock = await regionTimedLock('czxid', { session: i % 2 ? s : other, ...LONG });
      const stat = await (await s.connection()).request({ op: 'exists', path: lock.path });
      assert.ok(stat);
      assert.equal(lock.fencingToken, stat.czxid);
      await lock.unlock();
    }
  } finally {
    await env.finish();
  }
});

test('the signal aborts with LockReleasedError on unlock', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const lock = await regionTimedLock('released', { session: env.session(), ...LONG });
    let seen: unknown;
    lock.signal.addEventListener('abort', () => { seen = lock.signal.reason; }, { once: true });
    const done = lock.unlock();
    assert.ok(seen instanceof LockReleasedError, 'the signal did not abort synchronously with unlock()');
    await done;
    assert.equal(lock.signal.reason, seen);
  } finally {
    await env.finish();
  }
});

test("the holder's signal aborts with LockLostError when someone else deletes its node", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const operator = env.session();
    const lock = await regionTimedLock('stolen', { session: s, ...LONG });
    await operator.request({ op: 'delete', path: lock.path });
    await waitFor(() => lock.signal.aborted, { timeoutMs: 10_000, message: 'holder signal to abort' });
    assert.ok(lock.signal.reason instanceof LockLostError, String(lock.signal.reason));
    await lock.unlock(); // resolves although the node is already gone
    const next = await regionTimedLock('stolen', { session: operator, waitForMs: 0, holdForMs: 5000 });
    await next.unlock();
  } finally {
    await env.finish();
  }
});

test('closing a Session while it holds a lock completes, and the node goes (child process)', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const worker = fork(new URL('./workers/lock-worker.js', import.meta.url), ['close-while-held', env.hosts, 'close-held'], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    worker.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const messages: Array<Record<string, unknown>> = [];
    worker.on('message', (m) => messages.push(m as Record<string, unknown>));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    const hung = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 20_000).unref())]);
    if (hung) {
      worker.kill('SIGKILL'); // our own child, by its handle
      await exited;
    }
    t.diagnostic(`worker messages: ${JSON.stringify(messages)}${stderr ? `; stderr: ${stderr.trim()}` : ''}`);
    assert.ok(messages.some((m) => typeof m.acquired === 'string'), 'the worker never acquired the lock');
    assert.equal(hung, false, 'session.close() with a held lock never completed: the worker spun for 20 s and was killed');
    assert.ok(messages.some((m) => m.closed === true && m.signalAborted === true), JSON.stringify(messages));
    const s = env.session();
    assert.deepEqual(await children(s, PARENT('close-held')), []);
  } finally {
    await env.finish();
  }
});
