/**
 * Several region locks taken all or none (Curator's `InterProcessMultiLock`, redlock's array of
 * resources): a composition of `acquireLock`, not a wait loop of its own. The locks are taken one
 * by one in one global order (the lock paths' byte order), so two callers whose sets overlap can
 * never each hold what the other waits for; a failure part way releases what was taken.
 */
import createDebug from 'debug';
import { InvalidArgumentError, LockTimeoutError } from '../errors.js';
import { leaseMs } from '../validate.js';
import { idToString, regionLockPath } from '../wire/paths.js';
import type { ResolvedAclEntry } from '../zk/security.js';
import type { Session } from '../zk/session.js';
import { acquireLock, type Lock } from './lock.js';
import { reaperFor } from './reaper.js';
import { linkSignals } from './wait.js';

const debug = createDebug('zoosync:lock');

/** Most ids one multi-lock takes (Curator's InterProcessMultiLock has no limit; each lock costs a node and a watch). */
export const MAX_MULTI_LOCK_IDS = 64;

/** The lock paths of `ids`, checked before any I/O: 1 to `MAX_MULTI_LOCK_IDS` valid ids, no two naming one lock (for Curator's InterProcessMultiLock port). */
export function multiLockPaths(ids: unknown, namespace: string): string[] {
  if (!Array.isArray(ids)) throw new InvalidArgumentError('ids', `must be an array of lock ids, got ${ids === null ? 'null' : typeof ids}`);
  if (ids.length === 0) throw new InvalidArgumentError('ids', 'must name at least one lock, got an empty array');
  if (ids.length > MAX_MULTI_LOCK_IDS) throw new InvalidArgumentError('ids', `must name at most ${MAX_MULTI_LOCK_IDS} locks, got ${ids.length}`);
  const seen = new Map<string, number>();
  const paths: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const argument = `ids[${i}]`;
    const path = asArgument(argument, () => regionLockPath(namespace, idToString(ids[i] as string | Uint8Array, argument)));
    const first = seen.get(path);
    // Refused rather than merged: "a/b" and "a#b" both map to one node, and a caller who passes both most likely has a bug.
    if (first !== undefined) throw new InvalidArgumentError(argument, `names the same lock as ids[${first}] (${path}; "/" in an id becomes "#"): pass each lock once`);
    seen.set(path, i);
    paths.push(path);
  }
  return paths;
}

/** Runs `make`, renaming the argument of an `InvalidArgumentError('id')` from `regionLockPath` to `argument`. */
function asArgument<T>(argument: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof InvalidArgumentError && error.argument === 'id') {
      throw new InvalidArgumentError(argument, error.message.slice('id: '.length), { cause: error });
    }
    throw error;
  }
}

/** The one global order of acquisition: the lock paths' UTF-8 bytes (for valid paths, the same as code point order). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** What `acquireMultiLock` needs; `regionMultiLock` fills in the Go defaults (Curator's InterProcessMultiLock). */
export interface MultiAcquireOptions {
  session: Session;
  /** The lock paths, as `multiLockPaths` returns them, in any order. */
  paths: readonly string[];
  /** One limit for the whole set: each acquire gets the time left. */
  waitForMs: number;
  holdForMs: number;
  minHoldForMs: number;
  signal?: AbortSignal | undefined;
  acl?: readonly ResolvedAclEntry[] | undefined;
}

/** Takes every lock of `opts.paths` in byte order, or none: a failure releases (and awaits) the ones taken, then rejects with it (Curator's InterProcessMultiLock). */
export async function acquireMultiLock(opts: MultiAcquireOptions): Promise<MultiLock> {
  const order = [...opts.paths].sort(byteOrder);
  const started = performance.now();
  const deadline = started + opts.waitForMs;
  const held: Lock[] = [];
  const keeper = new LeaseKeeper(held, opts.holdForMs);
  try {
    for (const path of order) {
      // Stop waiting as soon as the caller aborts, or a lock already taken is lost or cannot be kept.
      const linked = linkSignals([opts.signal, keeper.signal, ...held.map((l) => l.signal)]);
      try {
        const waitForMs = Math.max(0, Math.ceil(deadline - performance.now()));
        held.push(await acquireLock({ ...opts, path, waitForMs, signal: linked.signal }));
      } catch (error) {
        if (error instanceof LockTimeoutError) {
          // Name the whole wait, not the part of it this lock had left.
          throw new LockTimeoutError(path, opts.waitForMs, { cause: error, unreachable: error.unreachable });
        }
        throw error;
      } finally {
        linked.dispose();
        reaperFor(opts.session).add(path);
      }
      keeper.arm();
    }
    await keeper.stop();
    debug('multi-lock of %d acquired in %d ms', held.length, (performance.now() - started).toFixed(2));
    return new MultiLock(held, order, opts.minHoldForMs);
  } catch (error) {
    await keeper.stop();
    debug('multi-lock of %d failed after taking %d (%s); releasing them', order.length, held.length, (error as Error).message);
    const released = await Promise.allSettled(held.map((l) => l.unlock()));
    for (const r of released) if (r.status === 'rejected') debug('%s', (r.reason as Error).message);
    throw error;
  }
}

/**
 * Keeps the leases of the locks taken first from running out while the rest are awaited: each is
 * extended once half its lease is gone, as the engine refreshes a waiting node's own lease.
 */
class LeaseKeeper {
  private readonly failed = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly locks: readonly Lock[],
    private readonly holdForMs: number,
  ) {}

  /** Aborts, with the error, if a lease could not be extended. */
  get signal(): AbortSignal {
    return this.failed.signal;
  }

  /** (Re-)arms the timer for the earliest lease half gone. */
  arm(): void {
    if (this.stopped || this.locks.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const due = Math.min(...this.locks.map((l) => this.dueAt(l)));
    this.timer = setTimeout(() => this.refresh(), Math.max(0, due - Date.now()));
    this.timer.unref();
  }

  /** Stops extending and waits for an extension in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }

  private dueAt(lock: Lock): number {
    return lock.deadline - this.holdForMs / 2;
  }

  private refresh(): void {
    const now = Date.now();
    const due = this.locks.filter((l) => this.dueAt(l) <= now);
    this.inFlight = Promise.all(due.map((l) => l.extend(this.holdForMs))).then(
      () => this.arm(),
      (error: unknown) => this.failed.abort(error),
    );
  }
}

/** Several held region locks, released together (ports Curator's InterProcessMultiLock). */
export class MultiLock implements AsyncDisposable {
  /** The locks, in acquisition order (their paths' byte order). */
  readonly locks: readonly Lock[];
  /** The lock paths (`/<namespace>/<id>`), in acquisition order: `locks[i].path` is our node under `paths[i]`. */
  readonly paths: readonly string[];
  /** Each lock's fencing token, in acquisition order. */
  readonly fencingTokens: readonly bigint[];
  private readonly minHoldForMs: number;
  private linked: AbortSignal | undefined;
  private released: Promise<void> | undefined;

  /** @internal Built by `acquireMultiLock`. */
  constructor(locks: Lock[], paths: string[], minHoldForMs: number) {
    this.locks = Object.freeze(locks);
    this.paths = Object.freeze(paths);
    this.fencingTokens = Object.freeze(locks.map((l) => l.fencingToken));
    this.minHoldForMs = minHoldForMs;
  }

  /** Aborts as soon as any lock is no longer held, with that lock's reason; the others stay held until `unlock()`, so the caller can stop before anyone else gets in. */
  get signal(): AbortSignal {
    // Reading every lock's signal lets each check its own clock first, as `Lock.signal` does.
    const signals = this.locks.map((l) => l.signal);
    this.linked ??= linkSignals(signals).signal;
    return this.linked;
  }

  /** True while every lock is held (until `signal` aborts). */
  get isHeld(): boolean {
    return this.locks.every((l) => l.isHeld);
  }

  /** Releases every lock, trying all; resolves once all are gone, rejects with an `AggregateError` of the failures if any failed. Idempotent. */
  unlock(): Promise<void> {
    const settled = Promise.allSettled(this.locks.map((l) => l.unlock()));
    // Built once: later calls only hurry locks still keeping an expired lease's node (see `Lock.unlock`).
    this.released ??= settled.then((results) => {
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${this.locks.length} locks could not be released`);
    });
    return this.released;
  }

  /** Pushes every lock's lease to now + `holdForMs`; rejects with the first failure (in acquisition order) unless all were extended. */
  async extend(holdForMs: number): Promise<void> {
    leaseMs(holdForMs, 'holdForMs', this.minHoldForMs);
    const lost = this.locks.find((l) => !l.isHeld);
    if (lost) throw lost.signal.reason;
    const results = await Promise.allSettled(this.locks.map((l) => l.extend(holdForMs)));
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  /** `await using locks = await regionMultiLock(...)` unlocks them all at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.unlock();
  }
}
