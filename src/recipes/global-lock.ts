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
  const refresher = setInterval(() => {
    lock.extend(opts.holdForMs).catch((error: unknown) => {
      debug('failed to refresh global lock %s: %s', lock.path, (error as Error).message);
    });
  }, opts.holdForMs * 0.75);
  refresher.unref();
  lock.signal.addEventListener('abort', () => clearInterval(refresher), { once: true });
  return lock;
}
