/** One turn of each recipe the frozen hand-off test covers, taken the same way by the holder (the test) and the waiter (its worker). */
import { readWriteLock, regionLeader, regionTimedLock, semaphore, type Session } from '../../../src/index.js';

/** The recipes: `short-lease` is a lock whose waiter asks for a 4 s lease. */
export type TurnRecipe = 'lock' | 'leader' | 'semaphore' | 'write' | 'short-lease';

/** A held turn, whatever the recipe. */
export interface Turn {
  signal: AbortSignal;
  held: () => boolean;
  release: () => Promise<void>;
  /** Our node; its parent is where the recipe's waiters queue. */
  path: string;
  /** Lease left by our clock (locks only). */
  leaseLeftMs: () => number | undefined;
}

/** Takes a turn of `recipe` on `id` (leaders wait without a limit; one permit for the semaphore; the write side). */
export async function takeTurn(recipe: TurnRecipe, id: string, session: Session, limits: { waitForMs: number; holdForMs: number }): Promise<Turn> {
  if (recipe === 'leader') {
    const leader = await regionLeader(id, { session });
    return { signal: leader.signal, held: () => leader.isLeader, release: () => leader.rescind(), path: leader.path, leaseLeftMs: () => undefined };
  }
  const lock =
    recipe === 'semaphore'
      ? await semaphore(id, { session, permits: 1 }).acquire(limits)
      : recipe === 'write'
        ? await readWriteLock(id, { session }).writeLock(limits)
        : await regionTimedLock(id, { session, ...limits });
  return { signal: lock.signal, held: () => lock.isHeld, release: () => lock.unlock(), path: lock.path, leaseLeftMs: () => lock.deadline - Date.now() };
}
