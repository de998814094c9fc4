/**
 * The lock-shaped workload loops of a chaos worker: region lock, global lock, `withLock` (held past
 * its lease, so it renews), `regionMultiLock` over ids `withLock` also takes, and a reservation.
 */
import {
  globalTimedLock,
  LockReleasedError,
  regionMultiLock,
  regionTimedLock,
  reservation,
  withLock,
  ZoosyncError,
  type Lock,
  type Session,
} from '../../src/index.js';
import { now, type ErrorInfo, type Recipe } from './history.js';
import { between, cfg, fencedWrite, newOp, report, shutdown, sleep, stillborn, within } from './worker-kit.js';

/** The ids `withLock` and `regionMultiLock` share, so their exclusion is checked across recipes. */
export const SHARED_IDS = ['chaos/m1', 'chaos/m2', 'chaos/m3'];
/** Where the reservation lives (under the run's chroot), and its one item. */
export const RESERVATION = { path: '/chaos-res', id: 'item', ttlMs: 1500 };

/** An error as the history records it. */
export function info(error: unknown): ErrorInfo {
  const e = error as Error;
  return { name: e?.name ?? typeof error, message: String(e?.message ?? error).slice(0, 200), zoosync: error instanceof ZoosyncError };
}

/** Reports `released` or `lost` for `op` once `signal` aborts. */
export function reportEnd(op: number, signal: AbortSignal): void {
  const onEnd = (): void => {
    const r = signal.reason as Error;
    if (r instanceof LockReleasedError) report({ kind: 'released', op });
    else report({ kind: 'lost', op, reason: `${r?.name}: ${r?.message}` });
  };
  if (signal.aborted) onEnd();
  else signal.addEventListener('abort', onEnd, { once: true });
}

/** Writes `key` under `token` every 10-40 ms until `untilMs` has passed or `signal` aborts. */
async function writeWhile(op: number, key: string, token: bigint, signal: AbortSignal, untilMs: number, mayStall = true): Promise<void> {
  const until = performance.now() + untilMs;
  do {
    await fencedWrite(op, key, token, signal, mayStall);
    await sleep(between(10, 40));
  } while (performance.now() < until && !signal.aborted);
}

const deadlineOf = (lock: Lock): number => lock.deadline - cfg.clockOffsetMs;

/** Acquire, report, write for `holdMs`, unlock within the bound: the body of the plain and global lock loops. */
async function lockLoop(recipe: Recipe, key: string, acquire: () => Promise<Lock>, holdMs: () => number): Promise<void> {
  while (!shutdown.signal.aborted) {
    const op = newOp();
    report({ kind: 'acquire-start', op, boundMs: cfg.waitForMs, recipe });
    let lock: Lock;
    try {
      lock = await acquire();
    } catch (error) {
      report({ kind: 'acquire-failed', op, error: info(error) });
      await sleep(between(10, 60));
      continue;
    }
    if (stillborn(op, key, recipe, lock.signal)) {
      await within(lock.unlock(), cfg.releaseBoundMs).catch(() => undefined);
      continue;
    }
    report({ kind: 'acquired', op, key, recipe, token: String(lock.fencingToken), deadline: deadlineOf(lock) });
    reportEnd(op, lock.signal);
    try {
      await writeWhile(op, key, lock.fencingToken, lock.signal, holdMs());
    } catch (error) {
      report({ kind: 'error', op, where: `${recipe}-work`, error: info(error) });
    }
    report({ kind: 'unlock-start', op, boundMs: cfg.releaseBoundMs });
    const done = await within(lock.unlock(), cfg.releaseBoundMs).catch((e: unknown) => e);
    if (done === 'timeout') report({ kind: 'error', op, where: 'unlock-unsettled', error: info(new Error('unlock() did not settle')) });
    else report({ kind: 'unlock-done', op });
    await sleep(between(0, 60));
  }
}

/** The region lock everyone contends for, held for a few writes, or now and then until its lease runs out (where clock skew bites). */
export function regionLockLoop(session: Session): Promise<void> {
  const opts = { waitForMs: cfg.waitForMs, holdForMs: cfg.holdForMs, signal: shutdown.signal, session };
  return lockLoop('region-lock', 'lock', () => regionTimedLock(cfg.lockId, opts), () => (Math.random() < 0.15 ? cfg.holdForMs + 1000 : between(30, 120)));
}

/** The deprecated global lock (2 s lease, refreshed at 1.5 s), sometimes held past its refresh. */
export function globalLockLoop(session: Session): Promise<void> {
  const opts = { waitForMs: cfg.waitForMs, holdForMs: 2000, signal: shutdown.signal, session };
  return lockLoop('global-lock', 'global-lock', () => globalTimedLock('chaos-global', opts), () => (Math.random() < 0.3 ? between(1600, 2600) : between(30, 200)));
}

/** `withLock` on one shared id, its function running up to twice the lease (renewals keep it). */
export async function withLockLoop(session: Session): Promise<void> {
  while (!shutdown.signal.aborted) {
    const op = newOp();
    const id = SHARED_IDS[Math.floor(Math.random() * SHARED_IDS.length)]!;
    report({ kind: 'acquire-start', op, boundMs: cfg.waitForMs, recipe: 'with-lock' });
    let entered = false;
    const run = withLock(
      id,
      async (ctx) => {
        entered = true;
        if (stillborn(op, id, 'with-lock', ctx.signal)) return;
        report({ kind: 'acquired', op, key: id, recipe: 'with-lock', token: String(ctx.fencingToken), deadline: deadlineOf(ctx.lock) });
        reportEnd(op, ctx.signal);
        await writeWhile(op, id, ctx.fencingToken, ctx.signal, Math.random() < 0.4 ? between(cfg.holdForMs, 2 * cfg.holdForMs) : between(30, 200), false);
        report({ kind: 'unlock-start', op, boundMs: cfg.releaseBoundMs });
      },
      { waitForMs: cfg.waitForMs, holdForMs: cfg.holdForMs, signal: shutdown.signal, session },
    );
    const done = await within(run, cfg.waitForMs + 2 * cfg.holdForMs + cfg.releaseBoundMs).catch((e: unknown) => ({ error: e }));
    if (!entered) report({ kind: 'acquire-failed', op, error: info(done === 'timeout' ? new Error('withLock did not settle') : (done as { error?: unknown })?.error) });
    else if (done === 'timeout') report({ kind: 'error', op, where: 'unlock-unsettled', error: info(new Error('withLock did not settle')) });
    else report({ kind: 'unlock-done', op });
    await sleep(between(10, 80));
  }
}

/** `regionMultiLock` on two or three of the shared ids: all held or none, each id fenced with its own token. */
export async function multiLockLoop(session: Session): Promise<void> {
  while (!shutdown.signal.aborted) {
    const ids = SHARED_IDS.filter(() => Math.random() < 0.7);
    if (ids.length < 2) continue;
    const op = newOp();
    report({ kind: 'acquire-start', op, boundMs: cfg.waitForMs, recipe: 'multi-lock' });
    let multi;
    try {
      multi = await regionMultiLock(ids, { waitForMs: cfg.waitForMs, holdForMs: cfg.holdForMs, signal: shutdown.signal, session });
    } catch (error) {
      report({ kind: 'acquire-failed', op, error: info(error) });
      await sleep(between(20, 100));
      continue;
    }
    // One op per id (the locks come in their paths' order, which is the ids' order), so each id's belief ends on its own lock's signal.
    if (stillborn(op, ids.join('+'), 'multi-lock', multi.signal)) {
      await within(multi.unlock(), cfg.releaseBoundMs).catch(() => undefined);
      continue;
    }
    const sorted = [...ids].sort();
    const parts = multi.locks.map((lock, i) => ({ lock, op: i === 0 ? op : newOp(), id: sorted[i]! }));
    for (const p of parts) {
      report({ kind: 'acquired', op: p.op, key: p.id, recipe: 'multi-lock', token: String(p.lock.fencingToken), deadline: deadlineOf(p.lock) });
      reportEnd(p.op, p.lock.signal);
    }
    try {
      for (let round = 0; round < 3 && !multi.signal.aborted; round++) {
        for (const p of parts) await fencedWrite(p.op, p.id, p.lock.fencingToken, multi.signal, false);
        await sleep(between(10, 40));
      }
    } catch (error) {
      report({ kind: 'error', op, where: 'multi-lock-work', error: info(error) });
    }
    report({ kind: 'unlock-start', op, boundMs: cfg.releaseBoundMs });
    const done = await within(multi.unlock(), cfg.releaseBoundMs).catch((e: unknown) => e);
    if (done === 'timeout') report({ kind: 'error', op, where: 'unlock-unsettled', error: info(new Error('unlock() did not settle')) });
    else report({ kind: 'unlock-done', op });
    await sleep(between(20, 100));
  }
}

/** Reserves the one item for 1.5 s, holds it for a while, releases it only while its TTL surely runs. */
export async function reservationLoop(session: Session): Promise<void> {
  const item = reservation(RESERVATION.path, RESERVATION.id, { session });
  while (!shutdown.signal.aborted) {
    const op = newOp();
    const started = performance.now();
    const startedAt = now();
    report({ kind: 'acquire-start', op, boundMs: cfg.waitForMs, recipe: 'reservation' });
    const got = await within(item.reserve(RESERVATION.ttlMs), cfg.waitForMs + cfg.releaseBoundMs).catch((e: unknown) => ({ error: e }));
    if (got !== undefined) {
      report({ kind: 'acquire-failed', op, error: info(got === 'timeout' ? new Error('reserve() did not settle') : got.error) });
      await sleep(between(50, 300));
      continue;
    }
    report({ kind: 'acquired', op, key: 'reservation', recipe: 'reservation', token: '0', ttlMs: RESERVATION.ttlMs, deadline: startedAt + RESERVATION.ttlMs });
    await sleep(between(50, 1800));
    // Release only well inside the TTL: release() ends whoever's reservation is there, even a newer one.
    if (performance.now() - started < RESERVATION.ttlMs / 2) {
      report({ kind: 'released', op });
      report({ kind: 'unlock-start', op, boundMs: cfg.releaseBoundMs });
      const done = await within(item.release(), cfg.releaseBoundMs).catch((e: unknown) => e);
      if (done === 'timeout') report({ kind: 'error', op, where: 'unlock-unsettled', error: info(new Error('release() did not settle')) });
      else report({ kind: 'unlock-done', op });
    } else report({ kind: 'lost', op, reason: 'ttl' });
    await sleep(between(50, 300));
  }
}
