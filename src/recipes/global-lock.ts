/**
 * The global lock (Go `GlobalTimedLock`, there on Cassandra): the leased lock on the global
 * ensemble, its lease refreshed every 0.75 x holdFor while held, contention reported as
 * `LockContendedError`. Deprecated: a lock across regions almost always causes more problems
 * than it solves.
 */
import createDebug from 'debug';
import { LockContendedError, LockTimeoutError } from '../errors.js';
import { acquireLock, type AcquireOptions, type Lock } from './lock.js';

const debug = createDebug('zoosync:lock');
let warned = false;

/** Emits the one DeprecationWarning per process. */
export function warnGlobalLockDeprecated(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    'globalLock/globalTimedLock are deprecated: a lock across regions almost always causes more problems than it solves; use regionLock or regionLeader',
    { type: 'DeprecationWarning', code: 'ZOOSYNC_GLOBAL_LOCK' },
  );
}

/** Acquires the lock and keeps its lease fresh until it is released or lost. */
export async function acquireGlobalLock(opts: AcquireOptions): Promise<Lock> {
  let lock: Lock;
  try {
    lock = await acquireLock(opts);
  } catch (error) {
    if (error instanceof LockTimeoutError) throw new LockContendedError(opts.path, opts.waitForMs);
    throw error;
  }
  if (!lock.isHeld) return lock;
  // Refresh when a quarter of the lease is left: 0.75 x holdFor after each refresh, and sooner
  // after a long wait (the first deadline was set when the request was made).
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    timer = setTimeout(refresh, Math.max(0, lock.deadline - opts.holdForMs / 4 - Date.now()));
    timer.unref();
  };
  const refresh = (): void => {
    lock.extend(opts.holdForMs).then(
      () => schedule(),
      (error: unknown) => {
        debug('failed to refresh global lock %s: %s', lock.path, (error as Error).message);
        if (lock.isHeld) {
          timer = setTimeout(refresh, 100);
          timer.unref();
        }
      },
    );
  };
  schedule();
  lock.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return lock;
}
