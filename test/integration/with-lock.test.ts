// withLock against a real ZooKeeper: a job far longer than the lease keeps the lock, the value and
// the error come back, aborts, the hold limit, a lost lock is never renewed, a refused renewal
// ends the lock, a failed unlock, bad input, and a frozen holder fenced off by its token.
// The 20 s job runs beside the other tests (concurrency 2) so the file stays near 25 s.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InvalidArgumentError,
  LeaseTooShortError,
  LockExpiredError,
  LockLostError,
  LockReleasedError,
  LockTimeoutError,
  NoAuthError,
  NoNodeError,
  ReleaseFailedError,
  regionTimedLock,
  Session,
  withLock,
  type Lock,
} from '../../src/index.js';
import { tryDecodeGoTime } from '../../src/wire/go-time.js';
import { FencedStore } from '../chaos/fenced-store.js';
import type { History } from '../chaos/history.js';
import { connectBare, sharedServer, stopAll, uniqueId, waitFor, within } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await stopAll();
});

const PARENT = (id: string): string => `/sync/regionlock/${id}`;
const now = (): number => performance.timeOrigin + performance.now();

async function childrenOf(session: Session, parent: string): Promise<string[]> {
  try {
    return await session.request({ op: 'getChildren', path: parent });
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

/** Counts the calls to `lock.extend` (the renewer calls it through the instance), with when they happened. */
function countExtends(lock: Lock): number[] {
  const calls: number[] = [];
  const extend = lock.extend.bind(lock);
  lock.extend = (ms: number) => {
    calls.push(Date.now());
    return extend(ms);
  };
  return calls;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with the signal's reason once it aborts; rejects after `ms`. */
function aborted(signal: AbortSignal, ms: number): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return within(once(signal, 'abort').then((): unknown => signal.reason), ms, 'signal abort');
}

describe('withLock', { concurrency: 2 }, () => {
  test('a 20 s job under a 1 s lease keeps the lock throughout; tries from another session all fail', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    try {
      const s = env.session();
      const other = env.session();
      const id = uniqueId('long');
      const JOB_MS = 20_000;
      let acquiredAt = 0;
      const result = await withLock(
        id,
        async ({ signal, fencingToken, lock }) => {
          acquiredAt = performance.now();
          const renewals = countExtends(lock);
          let samples = 0;
          let notHeld = 0;
          let lastSample = performance.now();
          let maxSampleGap = 0;
          const sampler = setInterval(() => {
            const at = performance.now();
            maxSampleGap = Math.max(maxSampleGap, at - lastSample);
            lastSample = at;
            samples++;
            if (!lock.isHeld) notHeld++;
          }, 50);
          let tries = 0;
          const tryOutcomes = new Map<string, number>();
          let minLeftMs = Number.POSITIVE_INFINITY;
          try {
            while (performance.now() - acquiredAt < JOB_MS) {
              const outcome = await regionTimedLock(id, { session: other, waitForMs: 0 }).then(
                async (l) => {
                  await l.unlock();
                  return 'acquired';
                },
                (error: unknown) => (error instanceof LockTimeoutError ? 'LockTimeoutError' : String(error)),
              );
              tries++;
              tryOutcomes.set(outcome, (tryOutcomes.get(outcome) ?? 0) + 1);
              const { data, stat } = await other.request({ op: 'getData', path: lock.path });
              assert.equal(stat.czxid, fencingToken, 'the node carries another czxid');
              minLeftMs = Math.min(minLeftMs, tryDecodeGoTime(data)! - Date.now());
              await sleep(400);
            }
          } finally {
            clearInterval(sampler);
          }
          return { samples, notHeld, maxSampleGap, tries, tryOutcomes, minLeftMs, renewals: renewals.length, token: fencingToken, lockToken: lock.fencingToken, aborted: signal.aborted, path: lock.path };
        },
        { session: s, holdForMs: 1000, waitForMs: 5000 },
      );
      const heldMs = performance.now() - acquiredAt;
      t.diagnostic(
        `held ${Math.round(heldMs)} ms under a 1000 ms lease: ${result.renewals} renewals, isHeld sampled ${result.samples}× (never false: ${result.notHeld === 0}, max gap ${Math.round(result.maxSampleGap)} ms), ` +
          `${result.tries} tries from another session: ${JSON.stringify(Object.fromEntries(result.tryOutcomes))}, least lease left in the node ${Math.round(result.minLeftMs)} ms`,
      );
      assert.ok(heldMs >= 20_000);
      assert.equal(result.notHeld, 0, 'isHeld was false during the job');
      assert.ok(result.samples >= 300, `only ${result.samples} samples`);
      assert.equal(result.aborted, false);
      assert.ok(result.tries >= 30, `only ${result.tries} tries`);
      assert.deepEqual([...result.tryOutcomes.keys()], ['LockTimeoutError']);
      assert.ok(result.minLeftMs > 0, 'the deadline in the node passed during the job');
      assert.ok(result.renewals >= 25, `only ${result.renewals} renewals in 20 s`);
      assert.equal(result.token, result.lockToken);
      assert.deepEqual(await childrenOf(s, PARENT(id)), [], 'unlocked');
    } finally {
      await env.finish();
    }
  });

  test('fn gets signal, token and lock; its value comes back and the lock is released', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    try {
      const s = env.session();
      const id = uniqueId('value');
      let seen: { signal: AbortSignal; lock: Lock } | undefined;
      const value = await withLock(
        id,
        async ({ signal, fencingToken, lock }) => {
          seen = { signal, lock };
          assert.equal(fencingToken, lock.fencingToken);
          assert.deepEqual(await childrenOf(s, PARENT(id)), [lock.path.slice(PARENT(id).length + 1)]);
          return { answer: 42 };
        },
        { session: s },
      );
      assert.deepEqual(value, { answer: 42 });
      assert.deepEqual(await childrenOf(s, PARENT(id)), []);
      assert.ok(seen!.signal.reason instanceof LockReleasedError, 'the context signal aborts once unlocked');
      assert.ok(seen!.lock.signal.reason instanceof LockReleasedError);
      assert.equal(await withLock(id, () => 'sync value', { session: s }), 'sync value');
    } finally {
      await env.finish();
    }
  });

  test('fn throwing: withLock rejects with that very error and unlocks', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    try {
      const s = env.session();
      const id = uniqueId('throws');
      const boom = new Error('boom');
      let path = '';
      await assert.rejects(
        withLock(id, async ({ lock }) => {
          path = lock.path;
          await sleep(10);
          throw boom;
        }, { session: s }),
        (e) => e === boom,
      );
      assert.equal(await s.request({ op: 'exists', path }), null);
      const sync = new TypeError('sync throw');
      await assert.rejects(withLock(id, () => { throw sync; }, { session: s }), (e) => e === sync);
      assert.deepEqual(await childrenOf(s, PARENT(id)), []);
    } finally {
      await env.finish();
    }
  });

  test('abort before acquire and while waiting rejects with the signal reason; fn never runs, no node left', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    try {
      const idle = env.session();
      const id = uniqueId('abort');
      const reason = new Error('caller gave up');
      let calls = 0;
      await assert.rejects(withLock(id, () => calls++, { session: idle, signal: AbortSignal.abort(reason) }), (e) => e === reason);
      assert.equal(idle.state, 'idle', 'an aborted call did I/O');

      const s = env.session();
      const holder = await regionTimedLock(id, { session: env.session(), waitForMs: 1000, holdForMs: 10_000 });
      const ac = new AbortController();
      const waiting = withLock(id, () => calls++, { session: s, waitForMs: 10_000, signal: ac.signal });
      await waitFor(async () => (await childrenOf(s, PARENT(id))).length === 2, { timeoutMs: 5000, message: 'waiter queued' });
      const abortAt = performance.now();
      ac.abort(reason);
      await assert.rejects(waiting, (e) => e === reason);
      t.diagnostic(`waiting withLock rejected ${Math.round(performance.now() - abortAt)} ms after abort`);
      assert.equal(calls, 0);
      assert.deepEqual(await childrenOf(s, PARENT(id)), [holder.path.slice(PARENT(id).length + 1)]);
      await holder.unlock();
    } finally {
      await env.finish();
    }
  });

  test('the caller aborting during fn aborts the context signal with its reason; the lock is released after', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    try {
      const s = env.session();
      const id = uniqueId('abort-in');
      const ac = new AbortController();
      const reason = new Error('shutdown');
      const got = await withLock(
        id,
        async ({ signal, lock }) => {
          setTimeout(() => ac.abort(reason), 100);
          const r = await aborted(signal, 5000);
          return { r, heldWhenAborted: lock.isHeld };
        },
        { session: s, signal: ac.signal },
      );
      assert.equal(got.r, reason);
      assert.equal(got.heldWhenAborted, true, 'the lock is released by withLock after fn returns, not before');
      assert.deepEqual(await childrenOf(s, PARENT(id)), []);
    } finally {
      await env.finish();
    }
  });

  test('renewal stops at maxHoldMs: the lease runs out and signal aborts with LockExpiredError', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    try {
      const s = env.session();
      const id = uniqueId('maxhold');
      const MAX = 2500;
      const out = await withLock(
        id,
        async ({ signal, lock }) => {
          const start = Date.now();
          const renewals = countExtends(lock);
          const reason = await aborted(signal, 10_000);
          const abortedAfter = Date.now() - start;
          const renewalsAtAbort = renewals.length;
          await sleep(1500); // no renewal after the limit either
          const gone = (await s.request({ op: 'exists', path: lock.path })) === null;
          return { reason, abortedAfter, renewalsAtAbort, renewalsLater: renewals.length, renewedAt: renewals.map((x) => x - start), gone, deadlineAfter: lock.deadline - start };
        },
        { session: s, holdForMs: 1000, maxHoldMs: MAX },
      );
      t.diagnostic(`maxHoldMs ${MAX}, holdForMs 1000: renewed at ${out.renewedAt.join(', ')} ms; last deadline +${out.deadlineAfter} ms; signal aborted after ${out.abortedAfter} ms`);
      assert.ok(out.reason instanceof LockExpiredError, `aborted with ${String(out.reason)}`);
      assert.ok(out.renewalsAtAbort >= 2, `only ${out.renewalsAtAbort} renewals before the limit`);
      assert.equal(out.renewalsLater, out.renewalsAtAbort, 'renewed after the lease ran out');
      assert.ok(out.deadlineAfter <= MAX, `deadline pushed to +${out.deadlineAfter} ms, past maxHoldMs`);
      assert.ok(out.abortedAfter >= MAX - 1000 && out.abortedAfter <= MAX, `aborted after ${out.abortedAfter} ms`);
      assert.equal(out.gone, true, 'the expired lock node is still there');
    } finally {
      await env.finish();
    }
  });

  test('a lost lock (node deleted by someone else) is never renewed: no write reaches the path again', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    const bare = await connectBare(env.hosts);
    let sentinel = '';
    try {
      const s = env.session();
      const id = uniqueId('lost');
      const out = await withLock(
        id,
        async ({ signal, lock }) => {
          const renewals = countExtends(lock);
          await waitFor(() => renewals.length >= 2, { timeoutMs: 5000, message: 'two renewals' });
          await bare.remove(lock.path);
          const reason = await aborted(signal, 5000);
          const renewalsAtLoss = renewals.length;
          await sleep(300);
          // Someone else's node at our old path: an unconditional setData from a stray renewal would land on it.
          sentinel = lock.path;
          await bare.create(lock.path, Buffer.from('sentinel'), 0);
          const before = (await s.request({ op: 'exists', path: lock.path }))!;
          await sleep(3000); // 4.5 renewal periods
          const renewalsLater = renewals.length;
          const direct = await lock.extend(1000).then(
            () => 'resolved',
            (error: unknown) => error,
          );
          const afterStat = await s.request({ op: 'getData', path: lock.path });
          return { reason, lockReason: lock.signal.reason as unknown, renewalsAtLoss, renewalsLater, direct, before, afterStat };
        },
        { session: s, holdForMs: 1000 },
      );
      t.diagnostic(`renewals before the loss ${out.renewalsAtLoss}, in the 3.3 s after ${out.renewalsLater - out.renewalsAtLoss}; sentinel mzxid ${out.before.mzxid} → ${out.afterStat.stat.mzxid}`);
      assert.ok(out.reason instanceof LockLostError, `context aborted with ${String(out.reason)}`);
      assert.ok(out.lockReason instanceof LockLostError);
      assert.equal(out.renewalsLater, out.renewalsAtLoss, 'the renewer called extend after the loss');
      assert.ok(out.direct instanceof LockLostError, `extend on a lost lock: ${String(out.direct)}`);
      assert.equal(out.afterStat.stat.mzxid, out.before.mzxid, 'a write reached the path after the loss');
      assert.equal(out.afterStat.data.toString(), 'sentinel');
      const still = await s.request({ op: 'getData', path: sentinel });
      assert.equal(still.stat.mzxid, out.before.mzxid, 'withLock’s unlock touched a node that is not ours');
    } finally {
      if (sentinel) await bare.remove(sentinel).catch(() => undefined);
      bare.close();
      await env.finish();
    }
  });

  test('a renewal refused for another reason (no WRITE on our node) aborts signal with LockLostError and ends the lock', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    const bare = await connectBare(env.hosts);
    try {
      const s = env.session();
      const id = uniqueId('refused');
      const out = await withLock(
        id,
        async ({ signal, lock }) => {
          await bare.setAcl(lock.path, [{ perms: 1, scheme: 'world', id: 'anyone' }]); // READ only
          const start = Date.now();
          const reason = await aborted(signal, 5000);
          const ms = Date.now() - start;
          await waitFor(async () => (await s.request({ op: 'exists', path: lock.path })) === null, { timeoutMs: 5000, message: 'node gone' });
          return { reason, ms, lockReason: lock.signal.reason as unknown, deadlineLeft: lock.deadline - Date.now() };
        },
        { session: s, holdForMs: 1500 },
      );
      t.diagnostic(`signal aborted ${out.ms} ms after the ACL change: ${(out.reason as Error).message}`);
      assert.ok(out.reason instanceof LockLostError, String(out.reason));
      assert.ok((out.reason as Error).cause instanceof NoAuthError, `cause ${String((out.reason as Error).cause)}`);
      assert.ok(out.ms < 1500, 'aborted only when the lease ran out');
      assert.ok(out.lockReason instanceof LockReleasedError, 'the lock was not ended');
    } finally {
      bare.close();
      await env.finish();
    }
  });

  test('fn throws and the unlock fails too: AggregateError of both', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    const bare = await connectBare(env.hosts);
    const id = uniqueId('both');
    try {
      const s = env.session();
      const boom = new Error('fn failed');
      await assert.rejects(
        withLock(id, async () => {
          await bare.setAcl(PARENT(id), [{ perms: 31 & ~8, scheme: 'world', id: 'anyone' }]); // no DELETE below the parent
          throw boom;
        }, { session: s }),
        (e) => {
          assert.ok(e instanceof AggregateError, String(e));
          assert.equal(e.errors.length, 2);
          assert.equal(e.errors[0], boom);
          assert.ok(e.errors[1] instanceof ReleaseFailedError, String(e.errors[1]));
          return true;
        },
      );
    } finally {
      await bare.setAcl(PARENT(id), [{ perms: 31, scheme: 'world', id: 'anyone' }]).catch(() => undefined);
      bare.close();
      await env.finish(); // closing the session removes the node the unlock could not
    }
  });

  test('bad input rejects with InvalidArgumentError before any I/O', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    try {
      const s = env.session();
      const fn = (): number => 1;
      const cases: Array<[string, () => Promise<unknown>, string]> = [
        ['fn not a function', () => withLock('x', 42 as never, { session: s }), 'fn'],
        ['fn missing', () => withLock('x', undefined as never, { session: s }), 'fn'],
        ['unknown key', () => withLock('x', fn, { session: s, maxHold: 5000 } as never), 'options.maxHold'],
        ['maxHoldMs negative', () => withLock('x', fn, { session: s, maxHoldMs: -1 }), 'options.maxHoldMs'],
        ['maxHoldMs fractional', () => withLock('x', fn, { session: s, maxHoldMs: 2500.5 }), 'options.maxHoldMs'],
        ['maxHoldMs NaN', () => withLock('x', fn, { session: s, maxHoldMs: Number.NaN }), 'options.maxHoldMs'],
        ['maxHoldMs a string', () => withLock('x', fn, { session: s, maxHoldMs: '5000' as never }), 'options.maxHoldMs'],
        ['maxHoldMs under holdForMs', () => withLock('x', fn, { session: s, holdForMs: 3000, maxHoldMs: 2000 }), 'options.maxHoldMs'],
        ['holdForMs too short', () => withLock('x', fn, { session: s, holdForMs: 500 }), 'options.holdForMs'],
        ['blank id', () => withLock('', fn, { session: s }), 'id'],
        ['options not an object', () => withLock('x', fn, 5 as never), 'options'],
      ];
      for (const [what, call, argument] of cases) {
        await assert.rejects(call(), (e) => {
          assert.ok(e instanceof InvalidArgumentError, `${what}: ${String(e)}`);
          assert.equal(e.argument, argument, `${what}: ${e.message}`);
          return true;
        });
      }
      await assert.rejects(withLock('x', fn, { session: s, holdForMs: 500 }), LeaseTooShortError);
      await assert.rejects(withLock('x', fn, { session: s, maxHold: 5000 } as never), /did you mean maxHoldMs/);
      assert.equal(s.state, 'idle', 'bad input led to I/O');
    } finally {
      await env.finish();
    }
  });

  test('frozen holder: SIGSTOP past lease and session; its late write is refused by the fenced store', async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    const history = { writes: [] } as unknown as History;
    const store = new FencedStore(history);
    const KEY = 'job-output';
    const id = uniqueId('frozen');
    const sessionTimeoutMs = 2000;
    const FREEZE_MS = 4000;
    const dir = mkdtempSync(join(tmpdir(), 'zoosync-frozen-'));
    const resumedFile = join(dir, 'resumed');
    const FREEZE_AT = 20; // ~2.3 s of writes first: the child renews a few times before it stops
    const child = fork(new URL('./workers/with-lock-worker.js', import.meta.url), [], {
      env: { ...process.env, WITH_LOCK_WORKER: JSON.stringify({ hosts: env.hosts, id, sessionTimeoutMs, holdForMs: 1000, freezeAt: FREEZE_AT, resumedFile }) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const messages: Array<Record<string, unknown>> = [];
    let stoppedAt = 0;
    let contAt = 0;
    const frozen = deferred<void>();
    const done = deferred<Record<string, unknown>>();
    done.promise.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    child.on('message', (raw) => {
      const m = raw as Record<string, unknown> & { ev: string };
      messages.push({ ...m, receivedAt: now() });
      if (m.ev === 'checked' && m.freeze) {
        child.kill('SIGSTOP');
        stoppedAt = now();
        frozen.resolve();
      } else if (m.ev === 'write') {
        const accepted = store.write('child', { key: KEY, token: m.token as string, value: m.i as number });
        child.send({ ev: 'ack', i: m.i, accepted });
      } else if (m.ev === 'done') done.resolve(m);
      else if (m.ev === 'error') done.reject(new Error(`worker failed: ${String(m.message)}`));
    });
    child.on('exit', (code, signal) => done.reject(new Error(`worker exited (${code}, ${signal}) before done; stderr: ${stderr}`)));
    try {
      await within(frozen.promise, 20_000, `the worker reaching its freeze; stderr: ${stderr}`);
      // While it is stopped: a waiter in this process gets the lock and writes with its newer token.
      const waiterSession = env.session();
      const waiter = await regionTimedLock(id, { session: waiterSession, waitForMs: 10_000, holdForMs: 10_000 });
      const waiterAcquiredAt = now();
      const waiterAccepted = store.write('waiter', { key: KEY, token: waiter.fencingToken.toString(), value: -1 });
      assert.ok(now() - stoppedAt < FREEZE_MS, 'the waiter got the lock only after the pause ended');
      await sleep(Math.max(0, stoppedAt + FREEZE_MS - now()));
      writeFileSync(resumedFile, '');
      child.kill('SIGCONT');
      contAt = now();
      const result = await within(done.promise, 20_000, 'the worker finishing');
      await waiter.unlock();

      const childWrites = history.writes.filter((w) => w.holder === 'child');
      const accepted = childWrites.filter((w) => w.accepted);
      const rejected = childWrites.filter((w) => !w.accepted);
      const acquired = messages.find((m) => m.ev === 'acquired')!;
      const late = messages.find((m) => m.ev === 'write' && m.i === FREEZE_AT)!;
      t.diagnostic(
        `child token ${String(acquired.token)}, waiter token ${waiter.fencingToken}; child renewed ${String(result.extendsAtFreeze)}× before the freeze and ${(result.extends as number) - (result.extendsAtFreeze as number)}× after; ` +
          `SIGSTOP for ${Math.round(contAt - stoppedAt)} ms (session timeout ${sessionTimeoutMs}); waiter acquired ${Math.round(waiterAcquiredAt - stoppedAt)} ms into it; ` +
          `child writes: ${accepted.length} accepted before, ${rejected.length} rejected after (the late one sent ${Math.round(late.sinceCheckMs as number)} ms after its isHeld check said true); child's fn ended with ${String(result.reason)}`,
      );
      assert.equal(waiterAccepted, true);
      assert.ok(BigInt(acquired.token as string) < waiter.fencingToken);
      assert.ok((late.sinceCheckMs as number) >= FREEZE_MS - 100, 'the stop did not land between the check and the write');
      assert.ok((late.t as number) > waiterAcquiredAt, 'the late write was sent before the waiter got the lock');
      assert.equal(accepted.length, FREEZE_AT, 'writes before the freeze');
      assert.ok(accepted.length >= 1);
      assert.equal(rejected.length, 1, 'exactly the late write is rejected');
      assert.equal(rejected[0]!.value, FREEZE_AT);
      assert.equal(rejected[0]!.token, BigInt(acquired.token as string));
      assert.equal(result.writes, FREEZE_AT + 1, 'the child wrote again after learning it lost the lock');
      assert.ok(result.reason === 'LockExpiredError' || result.reason === 'LockLostError', String(result.reason));
      assert.ok((result.extendsAtFreeze as number) >= 2, 'the child never renewed before the freeze');
      // After SIGCONT the renewal timer is the first due: it must see the lease is over by the clock and not call extend.
      assert.equal(result.extends, result.extendsAtFreeze, 'the child tried to renew after the pause');
      assert.equal(store.value(KEY), -1, 'the stale write overwrote the waiter’s');
      const code = child.exitCode ?? ((await Promise.race([once(child, 'exit'), sleep(10_000).then(() => [null])])) as [number | null])[0];
      assert.equal(code, 0, `worker exit ${String(code)}; stderr: ${stderr}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
      await env.finish();
    }
  });
});
