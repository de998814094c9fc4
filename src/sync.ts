/**
 * The public front door: the Go `sync` package's functions with their defaults and limits,
 * argument checks before any I/O, and the default sessions. Each export names the Go function
 * it ports.
 */
import { closeDefaultSessions, configure, defaultSession, globalSession, regionLockNamespace, setRegionLockNamespace } from './defaults.js';
import { InvalidArgumentError } from './errors.js';
import { acquireGlobalLock, warnGlobalLockDeprecated } from './recipes/global-lock.js';
import { acquireLock, type Lock } from './recipes/lock.js';
import { reaperFor } from './recipes/reaper.js';
import { release, reservationPath, reserve } from './recipes/reservation.js';
import { keysOf, leaseMs, optionalAcl, optionalSession, optionalSignal, optionsBag, waitMs } from './validate.js';
import type { AclOption } from './zk/security.js';
import { checkBytes, idToString, MAX_PATH_BYTES, regionLeaderPath, regionLockPath, validatePath } from './wire/paths.js';
import { Session } from './zk/session.js';
import { campaign, cleanupRegionLeaders, leaderData, type Leader } from './recipes/leader.js';
import { gatedCampaign, type ChangeSource } from './recipes/global-leader.js';
import { observe, snapshot, type ElectionSnapshot } from './recipes/observe.js';
import { installShutdownHandlers } from './shutdown.js';

export { closeDefaultSessions, configure, setRegionLockNamespace, cleanupRegionLeaders, installShutdownHandlers, Session };
export {
  AuthFailedError,
  BadVersionError,
  ChrootMissingError,
  ConfigurationError,
  ConnectionLossError,
  ConnectTimeoutError,
  InvalidArgumentError,
  LeadershipEndedError,
  LeaseTooShortError,
  LockContendedError,
  LockExpiredError,
  LockLostError,
  LockReleasedError,
  LockTimeoutError,
  NoAuthError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  ReleaseFailedError,
  ReservedError,
  SessionClosedError,
  SessionLostError,
  TlsError,
  ZooKeeperError,
  ZoosyncError,
} from './errors.js';
export type { Permission, RescindReason, ZoosyncErrorOptions } from './errors.js';
export type { Lock } from './recipes/lock.js';
export type { Leader } from './recipes/leader.js';
export type { ElectionSnapshot, Participant } from './recipes/observe.js';
export type { ChangeSource } from './recipes/global-leader.js';
export type { SessionOptions } from './zk/config.js';
export type { AclEntry, AclOption, AclPreset, AuthEntry, TlsOptions } from './zk/security.js';
export type { SessionState } from './zk/session.js';
export type { ZoosyncConfig } from './defaults.js';

/** Options of the lock functions. */
export interface LockOptions {
  /** How long to wait for the lock; 0 tries once. Default 1000. */
  waitForMs?: number;
  /** The lease: the lock is released at the latest this long after the request. Default 2000 (region), 5000 (global). */
  holdForMs?: number;
  /** Aborts a pending acquire (rejecting with its reason, our node removed). */
  signal?: AbortSignal;
  /** The session to use instead of the default one. */
  session?: Session;
  /** The ACL of the lock's nodes (and any parent made) instead of the session's. */
  acl?: AclOption;
}

/** Go `minRegionHoldFor`, `defaultRegionWaitFor`, `defaultRegionHoldFor`. */
export const REGION_LOCK_DEFAULTS = { minHoldForMs: 1000, waitForMs: 1000, holdForMs: 2000 } as const;
/** Go `minHoldFor`, `defaultWaitFor`, `defaultHoldFor` of the global lock. */
export const GLOBAL_LOCK_DEFAULTS = { minHoldForMs: 2000, waitForMs: 1000, holdForMs: 5000 } as const;

const LOCK_OPTION_KEYS = keysOf<LockOptions>({ waitForMs: true, holdForMs: true, signal: true, session: true, acl: true });

function lockArguments(options: LockOptions | undefined, defaults: typeof REGION_LOCK_DEFAULTS | typeof GLOBAL_LOCK_DEFAULTS) {
  const o = optionsBag(options, LOCK_OPTION_KEYS);
  const signal = optionalSignal(o.signal, 'options.signal');
  return {
    waitForMs: waitMs(o.waitForMs ?? defaults.waitForMs, 'options.waitForMs'),
    holdForMs: leaseMs(o.holdForMs ?? defaults.holdForMs, 'options.holdForMs', defaults.minHoldForMs),
    minHoldForMs: defaults.minHoldForMs,
    signal,
    explicitSession: optionalSession(o.session, 'options.session'),
    acl: o.acl,
  };
}

/** Acquires the region lock on `id` with a 1 s wait and a 2 s lease (Go `RegionLock`). */
export function regionLock(id: string | Uint8Array, options?: LockOptions): Promise<Lock> {
  return regionTimedLock(id, options);
}

/** Acquires the region lock on `id`, waiting up to `waitForMs` and leasing it for `holdForMs` (Go `RegionTimedLock`). */
export async function regionTimedLock(id: string | Uint8Array, options?: LockOptions): Promise<Lock> {
  const args = lockArguments(options, REGION_LOCK_DEFAULTS);
  const path = regionLockPath(regionLockNamespace(), id);
  args.signal?.throwIfAborted();
  const session = args.explicitSession ?? defaultSession();
  try {
    return await acquireLock({ ...args, session, path, acl: optionalAcl(args.acl, 'options.acl', session) });
  } finally {
    reaperFor(session).add(path);
  }
}

/** @deprecated A lock across regions almost always causes more problems than it solves (Go `GlobalLock`: 1 s wait, 5 s lease). */
export function globalLock(id: string | Uint8Array, options?: LockOptions): Promise<Lock> {
  return globalTimedLock(id, options);
}

/** @deprecated A lock across regions almost always causes more problems than it solves (Go `GlobalTimedLock`). */
export async function globalTimedLock(id: string | Uint8Array, options?: LockOptions): Promise<Lock> {
  const args = lockArguments(options, GLOBAL_LOCK_DEFAULTS);
  const path = regionLockPath('sync/globallock', id);
  args.signal?.throwIfAborted();
  warnGlobalLockDeprecated();
  const session = args.explicitSession ?? globalSession();
  try {
    return await acquireGlobalLock({ ...args, session, path, acl: optionalAcl(args.acl, 'options.acl', session) });
  } finally {
    reaperFor(session).add(path);
  }
}

/** A reservation of one item (Go `Reservation`). */
export interface Reservation {
  /** The node that records the reservation. */
  readonly path: string;
  /** Reserves the item for `ttlMs`; rejects with `ReservedError` while someone else's reservation is live (Go `Reserve`). */
  reserve(ttlMs: number): Promise<void>;
  /** Ends the reservation, whoever made it, by writing an expired time (the node stays); resolves true if a live one was ended (Go `Release`). */
  release(): Promise<boolean>;
}

/** Options of `reservation`, `anonymousRelease` and `leaderSnapshot`. */
export interface SessionOnlyOptions {
  /** The session to use instead of the default one. */
  session?: Session;
}

const SESSION_ONLY_KEYS = keysOf<SessionOnlyOptions>({ session: true });

/** Options of `reservation`. */
export interface ReservationOptions extends SessionOnlyOptions {
  /** The ACL of the reservation node (and any parent made) instead of the session's. */
  acl?: AclOption;
}

const RESERVATION_OPTION_KEYS = keysOf<ReservationOptions>({ session: true, acl: true });

function reservationNode(path: string, id: string): string {
  validatePath(typeof path === 'string' ? checkBytes(path, MAX_PATH_BYTES, 'path') : path, 'path');
  const item = idToString(id, 'id');
  if (item.includes('/')) throw new InvalidArgumentError('id', `must not contain "/", got ${JSON.stringify(item)}`);
  return validatePath(reservationPath(path, item), 'id');
}

/** A reservation of `id` under `path` (Go `NewReservation`); checks its arguments at once. */
export function reservation(path: string, id: string, options?: ReservationOptions): Reservation {
  const node = reservationNode(path, id);
  const o = optionsBag(options, RESERVATION_OPTION_KEYS);
  const explicit = optionalSession(o.session, 'options.session');
  const session = (): Session => explicit ?? defaultSession();
  const acl = optionalAcl(o.acl, 'options.acl', session());
  return {
    path: node,
    reserve: async (ttlMs: number) => {
      if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
        throw new InvalidArgumentError('ttlMs', `must be a positive finite number of milliseconds, got ${String(ttlMs)}`);
      }
      await reserve(session(), path, node, ttlMs, acl);
    },
    release: async () => release(session(), node),
  };
}

/** Ends the reservation of `id` under `path`, whoever made it, as `release()` does (Go `AnonymousRelease`). */
export async function anonymousRelease(path: string, id: string, options?: SessionOnlyOptions): Promise<boolean> {
  const node = reservationNode(path, id);
  const explicit = optionalSession(optionsBag(options, SESSION_ONLY_KEYS).session, 'options.session');
  return release(explicit ?? defaultSession(), node);
}

/** Options of `regionLeader`. */
export interface LeaderOptions {
  /** Aborts the campaign: rejects with its reason and removes our node. */
  signal?: AbortSignal;
  /** The session to use instead of the default one. */
  session?: Session;
  /** The ACL of our election node (and any parent made) instead of the session's. */
  acl?: AclOption;
  /** What to publish in our election node (where to reach this leader): at most 16 KiB. Default empty, as Go's participants have. */
  data?: string | Uint8Array;
}

const LEADER_OPTION_KEYS = keysOf<LeaderOptions>({ signal: true, session: true, acl: true, data: true });

function leaderArguments(id: string | Uint8Array, options: LeaderOptions | undefined, allowed: readonly string[]) {
  const o = optionsBag(options, allowed);
  const signal = optionalSignal(o.signal, 'options.signal');
  const session = optionalSession(o.session, 'options.session');
  const path = regionLeaderPath(id);
  const data = o.data === undefined ? undefined : leaderData(o.data, 'options.data');
  return { id: idToString(id), path, signal, session, acl: o.acl, data };
}

/** Resolves once elected leader of `id` within the region (Go `RegionLeader`); see `Leader` for how it ends. */
export async function regionLeader(id: string | Uint8Array, options?: LeaderOptions): Promise<Leader> {
  const a = leaderArguments(id, options, LEADER_OPTION_KEYS);
  a.signal?.throwIfAborted();
  const session = a.session ?? defaultSession();
  return campaign(session, a.id, a.path, a.signal, optionalAcl(a.acl, 'options.acl', session), a.data);
}

/** Options of `globalLeader`. */
export interface GlobalLeaderOptions extends LeaderOptions {
  /** Whether this region is the one that leads (sync or async); re-checked every `recheckMs` and on `changes`. */
  isLeaderRegion: () => boolean | Promise<boolean>;
  /** How often to re-check `isLeaderRegion`, before and during leadership. Default 5000. */
  recheckMs?: number;
  /** Emits `'change'` when the leading region may have changed (an EventEmitter or EventTarget). */
  changes?: ChangeSource;
}

const GLOBAL_LEADER_OPTION_KEYS = keysOf<GlobalLeaderOptions>({
  isLeaderRegion: true,
  recheckMs: true,
  changes: true,
  signal: true,
  session: true,
  acl: true,
  data: true,
});

/** Campaigns for `id` only while `isLeaderRegion()` says this region leads; rescinds when it stops (Go `NewGlobalLeader`). */
export async function globalLeader(id: string | Uint8Array, options: GlobalLeaderOptions): Promise<Leader> {
  const o = optionsBag(options, GLOBAL_LEADER_OPTION_KEYS);
  if (typeof o.isLeaderRegion !== 'function') throw new InvalidArgumentError('options.isLeaderRegion', 'must be a function returning a boolean or a promise of one');
  const recheckMs = waitMs(o.recheckMs ?? 5000, 'options.recheckMs');
  if (recheckMs === 0) throw new InvalidArgumentError('options.recheckMs', 'must be positive');
  const changes = o.changes;
  if (changes !== undefined && (changes === null || typeof changes !== 'object')) throw new InvalidArgumentError('options.changes', 'must be an EventEmitter or EventTarget');
  const a = leaderArguments(id, options, GLOBAL_LEADER_OPTION_KEYS);
  a.signal?.throwIfAborted();
  const session = a.session ?? defaultSession();
  const acl = optionalAcl(a.acl, 'options.acl', session);
  return gatedCampaign({ isLeaderRegion: o.isLeaderRegion, recheckMs, changes, signal: a.signal }, (signal) =>
    campaign(session, a.id, a.path, signal, acl, a.data),
  );
}

/** Who leads `id` now and who waits, in order (Curator `getLeader`/`getParticipants`). */
export async function leaderSnapshot(id: string | Uint8Array, options?: SessionOnlyOptions): Promise<ElectionSnapshot> {
  const a = leaderArguments(id, options, SESSION_ONLY_KEYS);
  return snapshot(a.session ?? defaultSession(), a.path);
}

/** Options of `observeLeader`. */
export type ObserveOptions = Omit<LeaderOptions, 'acl' | 'data'>;

const OBSERVE_OPTION_KEYS = keysOf<ObserveOptions>({ signal: true, session: true });

/** Yields the election of `id` now and after every change until `signal` aborts (etcd `Observe`). */
export function observeLeader(id: string | Uint8Array, options?: ObserveOptions): AsyncGenerator<ElectionSnapshot> {
  const a = leaderArguments(id, options, OBSERVE_OPTION_KEYS);
  return observe(a.session ?? defaultSession(), a.path, a.signal);
}

// multi-lock (issue 11)
import { acquireMultiLock, multiLockPaths, type MultiLock } from './recipes/multi-lock.js';
export { MAX_MULTI_LOCK_IDS } from './recipes/multi-lock.js';
export type { MultiLock } from './recipes/multi-lock.js';

/** Options of `regionMultiLock`: `regionTimedLock`'s, with one `waitForMs` for the whole set (ports Curator's InterProcessMultiLock). */
export type MultiLockOptions = LockOptions;

/** Acquires the region locks on all of `ids` (1 to 64, no two naming one lock) or none, in one global order so overlapping sets never deadlock (ports Curator's InterProcessMultiLock). */
export async function regionMultiLock(ids: ReadonlyArray<string | Uint8Array>, options?: MultiLockOptions): Promise<MultiLock> {
  const args = lockArguments(options, REGION_LOCK_DEFAULTS);
  const paths = multiLockPaths(ids, regionLockNamespace());
  args.signal?.throwIfAborted();
  const session = args.explicitSession ?? defaultSession();
  return acquireMultiLock({ ...args, session, paths, acl: optionalAcl(args.acl, 'options.acl', session) });
}

// withLock and lead (issue 11)
import { LeaderWorkOverrunError, runLead } from './recipes/lead.js';
import { runWithLock, type LockContext } from './recipes/with-lock.js';
export { LeaderWorkOverrunError } from './recipes/lead.js';
export type { LockContext } from './recipes/with-lock.js';

/** Options of `withLock`: `regionTimedLock`'s, and a limit on renewals. */
export interface WithLockOptions extends LockOptions {
  /**
   * Renewals never push the lease past this long after acquisition: the lock then runs out and
   * `signal` aborts with `LockExpiredError`, between `maxHoldMs` minus the 1 s minimum lease and
   * `maxHoldMs` after acquisition. At least `holdForMs`. Default: renew for as long as `fn` runs.
   */
  maxHoldMs?: number;
}

const WITH_LOCK_OPTION_KEYS = keysOf<WithLockOptions>({ waitForMs: true, holdForMs: true, signal: true, session: true, acl: true, maxHoldMs: true });

/** Runs `fn` holding the region lock on `id`, renewing the lease while it runs, always unlocking; resolves with its value (kazoo `with Lock()`, etcd3 `lock().do()`). */
export async function withLock<T>(id: string | Uint8Array, fn: (context: LockContext) => T | PromiseLike<T>, options?: WithLockOptions): Promise<T> {
  const { maxHoldMs, ...lockOptions } = optionsBag(options, WITH_LOCK_OPTION_KEYS);
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', `must be a function, got ${fn === null ? 'null' : typeof fn}`);
  const args = lockArguments(lockOptions, REGION_LOCK_DEFAULTS);
  regionLockPath(regionLockNamespace(), id);
  const max = maxHoldMs === undefined ? undefined : waitMs(maxHoldMs, 'options.maxHoldMs');
  if (max !== undefined && max < args.holdForMs) {
    throw new InvalidArgumentError('options.maxHoldMs', `must be at least options.holdForMs (${args.holdForMs} ms), got ${max}`);
  }
  const renewal = { holdForMs: args.holdForMs, minHoldForMs: args.minHoldForMs, maxHoldMs: max, signal: args.signal };
  return runWithLock(() => regionTimedLock(id, lockOptions), fn, renewal);
}

/** Options of `lead`. */
export interface LeadOptions extends Pick<LeaderOptions, 'session' | 'acl' | 'data'> {
  /** Stops `lead`: a pending campaign is withdrawn, a term is rescinded at once. Without it, `lead` runs for as long as the process does. */
  signal?: AbortSignal;
  /** Hears what `fn` threw (and `LeaderWorkOverrunError`); `lead` campaigns again after a backoff. Throwing from it stops `lead`, which rejects with that. Default: log to `zoosync:leader`. */
  onError?: (error: unknown) => void;
  /** How long, after a term ends, to wait for `fn` to return before campaigning again (or resolving) without it. Default 10000. */
  graceMs?: number;
}

const LEAD_OPTION_KEYS = keysOf<LeadOptions>({ signal: true, session: true, acl: true, data: true, onError: true, graceMs: true });

/** Leads `id` term after term (campaign, `await fn(leader)`, rescind, again) until `options.signal` aborts (Curator `LeaderSelector` with `autoRequeue`, kazoo `Election.run`). */
export async function lead(id: string | Uint8Array, fn: (leader: Leader) => unknown, options?: LeadOptions): Promise<void> {
  const o = optionsBag(options, LEAD_OPTION_KEYS);
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', `must be a function, got ${fn === null ? 'null' : typeof fn}`);
  if (o.onError !== undefined && typeof o.onError !== 'function') throw new InvalidArgumentError('options.onError', 'must be a function');
  const graceMs = waitMs(o.graceMs ?? 10_000, 'options.graceMs');
  const signal = optionalSignal(o.signal, 'options.signal');
  const session = optionalSession(o.session, 'options.session');
  regionLeaderPath(id);
  optionalAcl(o.acl, 'options.acl', session ?? defaultSession());
  const data = o.data === undefined ? undefined : leaderData(o.data, 'options.data');
  return runLead(fn, {
    id: idToString(id),
    graceMs,
    onError: o.onError,
    signal,
    campaign: (s) => regionLeader(id, { session, acl: o.acl, signal: s, ...(data === undefined ? {} : { data }) }),
  });
}

// semaphore and read-write lock (issue 11)
import { acquirePermit, MAX_SEMAPHORE_PERMITS } from './recipes/semaphore.js';
import { acquireReadWrite, type LockMode } from './recipes/read-write-lock.js';
export { MAX_SEMAPHORE_PERMITS } from './recipes/semaphore.js';

/** The parents of every semaphore and read-write lock: `/sync/semaphore/<id>`, `/sync/rwlock/<id>` ("/" in the id as "#"). */
export const SEMAPHORE_ROOT = 'sync/semaphore';
export const READ_WRITE_LOCK_ROOT = 'sync/rwlock';

/** Options of one acquire of a semaphore permit or a read-write lock side. */
export type AcquireOptions = Pick<LockOptions, 'waitForMs' | 'holdForMs' | 'signal'>;

const ACQUIRE_OPTION_KEYS = keysOf<AcquireOptions>({ waitForMs: true, holdForMs: true, signal: true });

/** Options of `semaphore`. */
export interface SemaphoreOptions {
  /** How many holders at once, 1 to 10,000. Every participant must use the same number (as with Curator). */
  permits: number;
  /** The session to use instead of the default one. */
  session?: Session;
  /** The ACL of the semaphore's nodes (and any parent made) instead of the session's. */
  acl?: AclOption;
}

const SEMAPHORE_OPTION_KEYS = keysOf<SemaphoreOptions>({ permits: true, session: true, acl: true });

/** A counting semaphore: at most `permits` leases at once (Curator `InterProcessSemaphoreV2`, kazoo `Semaphore`). */
export interface Semaphore {
  /** The semaphore's node. */
  readonly path: string;
  readonly permits: number;
  /** Waits for a permit; resolves with its lease, a `Lock` on our lease node (deadline, signal, fencing token, `unlock()` returns the permit). */
  acquire(options?: AcquireOptions): Promise<Lock>;
}

/** Options of `readWriteLock`. */
export type ReadWriteLockOptions = Omit<SemaphoreOptions, 'permits'>;

const READ_WRITE_LOCK_OPTION_KEYS = keysOf<ReadWriteLockOptions>({ session: true, acl: true });

/** A read-write lock: many readers or one writer (Curator `InterProcessReadWriteLock`, kazoo `ReadLock`/`WriteLock`). */
export interface ReadWriteLock {
  /** The lock's node. */
  readonly path: string;
  /** Waits until no writer is ahead of us; resolves with a `Lock` held beside other readers. */
  readLock(options?: AcquireOptions): Promise<Lock>;
  /** Waits until we are first in line (no reader or writer ahead); resolves with an exclusive `Lock`. */
  writeLock(options?: AcquireOptions): Promise<Lock>;
}

function acquireArguments(options: AcquireOptions | undefined) {
  const o = optionsBag(options, ACQUIRE_OPTION_KEYS);
  return {
    waitForMs: waitMs(o.waitForMs ?? REGION_LOCK_DEFAULTS.waitForMs, 'options.waitForMs'),
    holdForMs: leaseMs(o.holdForMs ?? REGION_LOCK_DEFAULTS.holdForMs, 'options.holdForMs', REGION_LOCK_DEFAULTS.minHoldForMs),
    minHoldForMs: REGION_LOCK_DEFAULTS.minHoldForMs,
    signal: optionalSignal(o.signal, 'options.signal'),
  };
}

function familyHandle(options: ReadWriteLockOptions | undefined, allowed: readonly string[]) {
  const o = optionsBag(options, allowed);
  const explicit = optionalSession(o.session, 'options.session');
  const session = (): Session => explicit ?? defaultSession();
  const acl = o.acl === undefined ? undefined : optionalAcl(o.acl, 'options.acl', session());
  return { session, acl };
}

/** The semaphore `id` with `permits` holders at once; checks its arguments at once, connects on the first acquire (Curator `InterProcessSemaphoreV2`). */
export function semaphore(id: string | Uint8Array, options: SemaphoreOptions): Semaphore {
  const path = regionLockPath(SEMAPHORE_ROOT, id);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', 'must be an object with permits');
  const { session, acl } = familyHandle(options, SEMAPHORE_OPTION_KEYS);
  const permits = options.permits;
  if (typeof permits !== 'number' || !Number.isInteger(permits) || permits < 1 || permits > MAX_SEMAPHORE_PERMITS) {
    throw new InvalidArgumentError('options.permits', `must be an integer from 1 to ${MAX_SEMAPHORE_PERMITS}, got ${String(permits)}`);
  }
  return {
    path,
    permits,
    acquire: async (acquireOptions?: AcquireOptions) => {
      const a = acquireArguments(acquireOptions);
      a.signal?.throwIfAborted();
      return acquirePermit({ ...a, session: session(), path, permits, acl });
    },
  };
}

/** The read-write lock `id`; checks its arguments at once, connects on the first acquire (Curator `InterProcessReadWriteLock`). */
export function readWriteLock(id: string | Uint8Array, options?: ReadWriteLockOptions): ReadWriteLock {
  const path = regionLockPath(READ_WRITE_LOCK_ROOT, id);
  const { session, acl } = familyHandle(options, READ_WRITE_LOCK_OPTION_KEYS);
  const acquire = async (mode: LockMode, acquireOptions?: AcquireOptions): Promise<Lock> => {
    const a = acquireArguments(acquireOptions);
    a.signal?.throwIfAborted();
    const s = session();
    try {
      return await acquireReadWrite({ ...a, session: s, path, mode, acl });
    } finally {
      reaperFor(s).add(path);
    }
  };
  return { path, readLock: (o) => acquire('read', o), writeLock: (o) => acquire('write', o) };
}
