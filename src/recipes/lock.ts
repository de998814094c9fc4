/**
 * The leased mutex (Go `RegionTimedLock` over go-zookeeper's `Lock`): the engine with one holder,
 * a lease deadline in the node's data as Go's `time.Time.MarshalBinary`, and a handle whose
 * `signal` aborts the moment the lock is no longer safely held.
 */
import { channel } from 'node:diagnostics_channel';
import createDebug from 'debug';
import { LockExpiredError, LockLostError, LockReleasedError, withoutStack, type ZoosyncError } from '../errors.js';
import { encodeGoTime, tryDecodeGoTime } from '../wire/go-time.js';
import type { Connection, ConnectionHolder } from '../zk/connection.js';
import { releaseOwnNode } from '../zk/protected-create.js';
import type { ResolvedAclEntry } from '../zk/security.js';
import type { Session } from '../zk/session.js';
import { contend, leaseWarningMs, type LeasePolicy, type Position } from './contender.js';
import type { NodeGuard } from './node-guard.js';
import { leaseMs } from '../validate.js';

const debug = createDebug('zoosync:lock');

/** `sync.regionlock.acquire`: `{ path, success, durationMs, error? }` for every acquire. */
export const acquireChannel = channel('zoosync:sync.regionlock.acquire');

/** What `acquireLock` needs; the public functions fill in the Go defaults. */
export interface AcquireOptions {
  session: Session;
  /** The lock's parent node, e.g. `/sync/regionlock/orders#42`. */
  path: string;
  waitForMs: number;
  holdForMs: number;
  minHoldForMs: number;
  signal?: AbortSignal | undefined;
  /** The ACL of our node and of any parent made; default the session's. */
  acl?: readonly ResolvedAclEntry[] | undefined;
}

/** The lease policy: deadline = now + holdFor, refreshed while waiting once half of it is gone. */
export function leasePolicy(holdForMs: number): LeasePolicy {
  return {
    initialData: () => encodeGoTime(Date.now() + holdForMs),
    deadlineOf: (data) => tryDecodeGoTime(data),
    refreshAt: (ours) => {
      const deadline = tryDecodeGoTime(ours);
      if (deadline === undefined) return undefined;
      return { at: deadline - holdForMs / 2, data: () => encodeGoTime(Date.now() + holdForMs) };
    },
  };
}

/** Acquires the lock at `opts.path`, resolving with its handle. */
export async function acquireLock(opts: AcquireOptions): Promise<Lock> {
  const started = performance.now();
  try {
    const pos = await contend({
      session: opts.session,
      parent: opts.path,
      prefix: 'lock-',
      deadline: started + opts.waitForMs,
      waitForMs: opts.waitForMs,
      signal: opts.signal,
      lease: leasePolicy(opts.holdForMs),
      acl: opts.acl,
    });
    const lock = new Lock(pos, opts);
    const durationMs = performance.now() - started;
    debug('acquired %s (token %s) in %d ms', pos.node.path, lock.fencingToken, durationMs.toFixed(2));
    if (acquireChannel.hasSubscribers) acquireChannel.publish({ path: opts.path, success: true, durationMs });
    return lock;
  } catch (error) {
    const durationMs = performance.now() - started;
    debug('failed to acquire %s: %s', opts.path, (error as Error).message);
    if (acquireChannel.hasSubscribers) acquireChannel.publish({ path: opts.path, success: false, durationMs, error });
    throw error;
  }
}

/** A held lock. Port of Go's `Lock` interface, with a fencing token, a signal, and a lease that can be extended. */
export class Lock implements AsyncDisposable, ConnectionHolder {
  /** The full path of our lock node. */
  readonly path: string;
  /** Strictly increases for every new holder of this lock (the node's czxid). */
  readonly fencingToken: bigint;
  // Made on first use of `signal`: a caller that never reads it pays for no controller.
  private abort: AbortController | undefined;
  /** Why the lock stopped being held (a factory, so a routine unlock builds no error nobody reads). */
  private endReason: (() => ZoosyncError) | undefined;
  private readonly conn: Connection;
  private readonly guard: NodeGuard;
  private readonly minHoldForMs: number;
  private deadlineMs: number;
  /** Wall-clock ms at which the holder is told the lease is ending (a little before `deadlineMs`). */
  private warnAt = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private released: Promise<void> | undefined;
  private releaseNow: (() => void) | undefined;
  /** @internal Built by `acquireLock`. */
  constructor(pos: Position, opts: AcquireOptions) {
    this.guard = pos.guard;
    this.conn = pos.conn;
    this.path = pos.node.path;
    this.fencingToken = pos.node.czxid;
    this.minHoldForMs = opts.minHoldForMs;
    this.deadlineMs = tryDecodeGoTime(pos.data) ?? Date.now() + opts.holdForMs;
    this.armExpiry();
    pos.guard.setHandler((why) => this.lose(new LockLostError(this.path, `our node was ${why} by someone else`)));
    if (!this.released) this.conn.track(this);
  }

  /** @internal Hears from the connection: a suspended, closing or ended session means the lock is no longer safe. */
  connectionChanged(change: 'suspended' | 'closing' | 'ended'): void {
    if (change === 'suspended') this.lose(new LockLostError(this.path, 'connection to ZooKeeper suspended'));
    else if (change === 'closing') this.lose(new LockLostError(this.path, 'its session is closing'));
    else this.lose(new LockLostError(this.path, 'ZooKeeper session ended', { cause: this.conn.signal.reason }));
  }

  /** Aborts when the lock is released, its lease expires, its node is taken, or its session is suspended or lost. */
  get signal(): AbortSignal {
    this.checkClock();
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.endReason) this.abort.abort(this.endReason());
    }
    return this.abort.signal;
  }

  /** True until the lock stops being safely held (the moment `signal` aborts). */
  get isHeld(): boolean {
    this.checkClock();
    return this.endReason === undefined;
  }

  /** Ends the lock now if the clock says so, even if a stalled event loop has not run our timers yet. */
  private checkClock(): void {
    if (this.endReason) return;
    if (Date.now() >= this.warnAt) this.lose(new LockExpiredError(this.path), this.deadlineMs);
    else if (!this.conn.isTrusted) this.lose(new LockLostError(this.path, 'no recent contact with ZooKeeper'));
  }

  /** The lease deadline as published in the node (Unix ms). */
  get deadline(): number {
    return this.deadlineMs;
  }

  /** Releases the lock; resolves once our node is gone (or our session is, which removes it), rejects with `ReleaseFailedError` if ZooKeeper refuses to delete it. Idempotent. */
  unlock(): Promise<void> {
    if (!this.released) this.end(() => withoutStack(() => new LockReleasedError(this.path)));
    else this.releaseNow?.();
    return this.released!;
  }

  /** Pushes the lease deadline to now + `holdForMs`; rejects with the signal's reason if the lock is no longer held. */
  async extend(holdForMs: number): Promise<void> {
    leaseMs(holdForMs, 'holdForMs', this.minHoldForMs);
    // By the clock, not only by our timers: after an event-loop stall past the deadline, an
    // extend must not revive a lease a contender may already have reaped.
    this.checkClock();
    if (this.endReason) throw this.signal.reason;
    const deadline = Date.now() + holdForMs;
    const data = encodeGoTime(deadline);
    this.guard.expect(data);
    try {
      await this.conn.request({ op: 'setData', path: this.path, data });
    } catch (error) {
      throw this.endReason ? this.signal.reason : error;
    }
    if (this.endReason) throw this.signal.reason;
    this.deadlineMs = deadline;
    this.armExpiry();
  }

  /** `await using lock = await regionLock(...)` unlocks at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.unlock();
  }

  private armExpiry(): void {
    if (this.timer) clearTimeout(this.timer);
    // Tell the holder a little before the published deadline, so it stops before any contender's
    // clock says the lease passed; the node itself stays until the deadline (see `end`).
    const holdFor = this.deadlineMs - Date.now();
    const margin = leaseWarningMs(holdFor);
    this.warnAt = this.deadlineMs - margin;
    this.timer = setTimeout(() => this.lose(new LockExpiredError(this.path), this.deadlineMs), Math.max(0, holdFor - margin));
    this.timer.unref();
  }

  private lose(reason: ZoosyncError, keepUntil?: number): void {
    if (this.endReason) return;
    debug('lost %s: %s', this.path, reason.message);
    this.end(() => reason, keepUntil);
  }

  /** Aborts the signal now and deletes our node, at once or, for an expired lease, at its published deadline. */
  private end(reason: () => ZoosyncError, keepUntil?: number): void {
    if (this.released) return;
    if (this.timer) clearTimeout(this.timer);
    this.conn.untrack(this);
    this.guard.stop();
    if (!this.endReason) {
      let made: ZoosyncError | undefined;
      this.endReason = () => (made ??= reason());
      this.abort?.abort(this.endReason());
    }
    const kept =
      keepUntil === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, keepUntil - Date.now()));
            timer.unref();
            this.releaseNow = () => {
              clearTimeout(timer);
              resolve();
            };
          });
    this.released = kept
      .then(() => releaseOwnNode(this.conn, this.path))
      .then((outcome) => {
        debug('released %s (%s)', this.path, outcome);
      });
    // unlock() hands this promise out; an end nobody awaits must not become an unhandled rejection.
    this.released.catch((error: unknown) => debug('%s', (error as Error).message));
  }
}
