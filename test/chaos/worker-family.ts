/**
 * The semaphore and read-write lock loops of a chaos worker: a 2-permit semaphore (never more than
 * 2 inside) and a read-write lock taken for reading 70% of the time (never a writer beside anyone;
 * writers fence their writes).
 */
import { readWriteLock, semaphore, type Lock, type Session } from '../../src/index.js';
import type { Recipe } from './history.js';
import { between, cfg, fencedWrite, newOp, report, shutdown, sleep, stillborn, within } from './worker-kit.js';
import { info, reportEnd } from './worker-locks.js';

/** The semaphore's permits. */
export const SEMAPHORE_PERMITS = 2;

/** Acquire, hold (writing if `fenced`), unlock within the bound. */
async function holdLoop(recipe: () => Recipe, key: string, acquire: (recipe: Recipe) => Promise<Lock>, extra: { permits?: number } = {}): Promise<void> {
  while (!shutdown.signal.aborted) {
    const op = newOp();
    const r = recipe();
    report({ kind: 'acquire-start', op, boundMs: cfg.waitForMs, recipe: r });
    let lock: Lock;
    try {
      lock = await acquire(r);
    } catch (error) {
      report({ kind: 'acquire-failed', op, error: info(error) });
      await sleep(between(20, 100));
      continue;
    }
    if (stillborn(op, key, r, lock.signal)) {
      await within(lock.unlock(), cfg.releaseBoundMs).catch(() => undefined);
      continue;
    }
    report({ kind: 'acquired', op, key, recipe: r, token: String(lock.fencingToken), deadline: lock.deadline - cfg.clockOffsetMs, ...extra });
    reportEnd(op, lock.signal);
    try {
      const until = performance.now() + between(30, 300);
      while (performance.now() < until && !lock.signal.aborted) {
        if (r === 'rw-write') await fencedWrite(op, key, lock.fencingToken, lock.signal, false);
        await sleep(between(10, 40));
      }
    } catch (error) {
      report({ kind: 'error', op, where: `${r}-work`, error: info(error) });
    }
    report({ kind: 'unlock-start', op, boundMs: cfg.releaseBoundMs });
    const done = await within(lock.unlock(), cfg.releaseBoundMs).catch((e: unknown) => e);
    if (done === 'timeout') report({ kind: 'error', op, where: 'unlock-unsettled', error: info(new Error('unlock() did not settle')) });
    else report({ kind: 'unlock-done', op });
    await sleep(between(10, 80));
  }
}

/** Takes one of the semaphore's 2 permits, holds it briefly, returns it. */
export function semaphoreLoop(session: Session): Promise<void> {
  const sem = semaphore('chaos-sem', { permits: SEMAPHORE_PERMITS, session });
  const opts = { waitForMs: cfg.waitForMs, holdForMs: cfg.holdForMs, signal: shutdown.signal };
  return holdLoop(() => 'semaphore', 'semaphore', () => sem.acquire(opts), { permits: SEMAPHORE_PERMITS });
}

/** Reads (70%) or writes the read-write lock. */
export function readWriteLoop(session: Session): Promise<void> {
  const rw = readWriteLock('chaos-rw', { session });
  const opts = { waitForMs: cfg.waitForMs, holdForMs: cfg.holdForMs, signal: shutdown.signal };
  return holdLoop(() => (Math.random() < 0.7 ? 'rw-read' : 'rw-write'), 'rw', (r) => (r === 'rw-read' ? rw.readLock(opts) : rw.writeLock(opts)));
}
