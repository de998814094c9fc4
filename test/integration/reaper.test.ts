// The reaper of empty lock parents: a released lock's parent goes after two sweeps (or on its
// own with a short interval); a parent with a holder or a waiter is never deleted.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { regionTimedLock, type Lock, type Session } from '../../src/index.js';
import { DEFAULT_REAP_INTERVAL_MS, reaperFor, setReapInterval } from '../../src/recipes/reaper.js';
import { sharedServer, stopAll, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const PARENT = (id: string): string => `/sync/regionlock/${id}`;
const LONG = { waitForMs: 30_000, holdForMs: 60_000 } as const;

async function exists(session: Session, path: string): Promise<boolean> {
  return (await session.request({ op: 'exists', path })) !== null;
}

test('the parent of a released lock is deleted by the second sweep, not the first', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    for (const id of ['r1', 'r2', 'r3']) await (await regionTimedLock(id, { session: s, ...LONG })).unlock();
    const reaper = reaperFor(s);
    assert.deepEqual([...reaper.tracked.keys()].sort(), ['r1', 'r2', 'r3'].map(PARENT));
    await reaper.sweep();
    for (const id of ['r1', 'r2', 'r3']) assert.equal(await exists(s, PARENT(id)), true, `${id} reaped after one sweep`);
    await reaper.sweep();
    for (const id of ['r1', 'r2', 'r3']) assert.equal(await exists(s, PARENT(id)), false, `${id} not reaped after two sweeps`);
    assert.equal(reaper.tracked.size, 0, 'reaped parents are still tracked');
  } finally {
    await env.finish();
  }
});

test('with setReapInterval(100) the parent vanishes on its own', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    setReapInterval(100, s);
    await (await regionTimedLock('auto', { session: s, ...LONG })).unlock();
    const t0 = performance.now();
    await waitFor(async () => !(await exists(s, PARENT('auto'))), { timeoutMs: 15_000, intervalMs: 50, message: 'the parent to be reaped' });
    t.diagnostic(`parent reaped ${(performance.now() - t0).toFixed(0)} ms after unlock`);
  } finally {
    setReapInterval(DEFAULT_REAP_INTERVAL_MS);
    await env.finish();
  }
});

test('a parent whose lock is held is never deleted, whichever session sweeps', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const locks: Lock[] = [];
  try {
    const a = env.session();
    const b = env.session();
    await (await regionTimedLock('busy', { session: b, ...LONG })).unlock(); // b's reaper tracks the parent
    const held = await regionTimedLock('busy', { session: a, ...LONG });
    locks.push(held);
    for (let i = 0; i < 10; i++) {
      await reaperFor(b).sweep();
      await reaperFor(a).sweep();
    }
    assert.equal(await exists(a, PARENT('busy')), true);
    assert.equal(await exists(a, held.path), true);
    assert.equal(held.signal.aborted, false);
    await held.unlock();
    await reaperFor(a).sweep();
    await reaperFor(a).sweep();
    assert.equal(await exists(a, PARENT('busy')), false, 'not reaped once released');
  } finally {
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await env.finish();
  }
});

test('a parent with a waiter is kept through the hand-off', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const locks: Lock[] = [];
  try {
    const a = env.session();
    const b = env.session();
    await (await regionTimedLock('queued', { session: a, ...LONG })).unlock();
    const holder = await regionTimedLock('queued', { session: a, ...LONG });
    locks.push(holder);
    const waiting = regionTimedLock('queued', { session: b, ...LONG });
    waiting.then((l) => locks.push(l), () => undefined);
    await waitFor(async () => (await a.request({ op: 'getChildren', path: PARENT('queued') })).length === 2, { timeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) await reaperFor(a).sweep();
    await holder.unlock();
    const next = await waiting;
    for (let i = 0; i < 5; i++) await reaperFor(a).sweep();
    assert.equal(await exists(a, PARENT('queued')), true);
    assert.equal(await exists(a, next.path), true);
    assert.equal(next.signal.aborted, false);
    await next.unlock();
    await reaperFor(b).sweep();
    await reaperFor(b).sweep();
    assert.equal(await exists(a, PARENT('queued')), false);
  } finally {
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await env.finish();
  }
});
