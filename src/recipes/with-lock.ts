/**
 * A lock held for the length of one function (redlock's `using`, async-mutex's `runExclusive`,
 * etcd3's `lock().do()`): acquire, run, renew the lease while the function runs, always unlock.
 * The renewer only calls `Lock.extend`, which refuses once the lock is no longer held; it also
 * asks `isHeld` first, so a lease that ran out by the clock while our timers were starved (a
 * paused process) is never pushed again.
 */
import createDebug from 'debug';
import { LockLostError } from '../errors.js';
import type { Lock } from './lock.js';
import { linkSignals } from './wait.js';

const debug = createDebug('zoosync:lock');

/** What `withLock` passes to its function. */
export interface LockContext {
  /** Aborts when the lock is no longer safely held (the lock's `signal`, with its reason), a renewal fails, or the caller's signal aborts. */
  readonly signal: AbortSignal;
  /** The lock's fencing token: send it with every write to the guarded resource. */
  readonly fencingToken: bigint;
  /** The held lock (its path and deadline); `withLock` unlocks it, the function need not. */
  readonly lock: Lock;
}

/** How `runWithLock` renews the lease. */
export interface RenewalOptions {
  /** The lease each renewal asks for. */
  holdForMs: number;
  /** The shortest lease `Lock.extend` accepts. */
  minHoldForMs: number;
  /** Renewals never push the deadline past this long after acquisition; undefined renews for as long as the function runs. */
  maxHoldMs: number | undefined;
  /** The caller's signal: aborting it during the function aborts the context's signal with its reason. */
  signal: AbortSignal | undefined;
}

/** Renewals start when this fraction of the lease is left. */
const RENEW_WHEN_LEFT = 1 / 3;

/**
 * Runs `fn` under the lock `acquire` resolves with, renewing its lease, and unlocks whatever
 * happens. Resolves with `fn`'s value; rejects with `fn`'s error, or an `AggregateError` of
 * `fn`'s error and the unlock's if both failed.
 */
export async function runWithLock<T>(acquire: () => Promise<Lock>, fn: (context: LockContext) => T | PromiseLike<T>, o: RenewalOptions): Promise<T> {
  const lock = await acquire();
  const link = linkSignals([lock.signal, o.signal]);
  const abort = link.abort;
  const renewer = new Renewer(lock, o, (error) => {
    // The lock is still held but its lease could not be pushed: it will run out under `fn`. Say so now and end it.
    abort(new LockLostError(lock.path, `lease renewal failed: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
    lock.unlock().catch((e: unknown) => debug('unlock of %s after a failed renewal: %s', lock.path, (e as Error).message));
  });
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn({ signal: link.signal, fencingToken: lock.fencingToken, lock }) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  await renewer.stop();
  let unlockError: { error: unknown } | undefined;
  try {
    await lock.unlock();
  } catch (error) {
    unlockError = { error };
  }
  // The lock's signal has aborted by now (released), and the context's with it; the caller's may never abort.
  link.dispose();
  if (!outcome.ok) {
    if (unlockError) throw new AggregateError([outcome.error, unlockError.error], `withLock on ${lock.path}: the function failed and so did the unlock`);
    throw outcome.error;
  }
  if (unlockError) throw unlockError.error;
  return outcome.value;
}

/** Pushes a lock's lease, each time from the deadline published in its node, until stopped, lost, or at the hold limit. */
class Renewer {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  /** Unix ms past which no renewal pushes the deadline. */
  private readonly limit: number;

  constructor(
    private readonly lock: Lock,
    private readonly o: RenewalOptions,
    private readonly failed: (error: unknown) => void,
  ) {
    this.limit = o.maxHoldMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + o.maxHoldMs;
    this.schedule();
  }

  /** Stops renewing; resolves once a renewal in flight has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private schedule(): void {
    if (this.stopped || !this.lock.isHeld) return;
    const at = this.lock.deadline - this.o.holdForMs * RENEW_WHEN_LEFT;
    this.timer = setTimeout(() => this.renew(), Math.max(0, at - Date.now()));
  }

  private renew(): void {
    this.timer = undefined;
    // `isHeld` checks the clock: after a pause longer than the lease it ends the lock here, before any request.
    if (this.stopped || !this.lock.isHeld) return;
    const now = Date.now();
    const ms = Math.min(this.o.holdForMs, this.limit - now);
    if (ms < this.o.minHoldForMs || now + ms <= this.lock.deadline) {
      debug('%s: hold limit reached; the lease runs out at %s', this.lock.path, new Date(this.lock.deadline).toISOString());
      return;
    }
    this.inFlight = this.lock.extend(ms).then(
      () => {
        this.inFlight = undefined;
        this.schedule();
      },
      (error: unknown) => {
        this.inFlight = undefined;
        debug('renewal of %s failed: %s', this.lock.path, (error as Error)?.message);
        // Refused because the lock is gone: its signal has the reason already.
        if (!this.stopped && this.lock.isHeld) this.failed(error);
      },
    );
  }
}
