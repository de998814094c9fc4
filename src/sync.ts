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
import { campaign, cleanupRegionLeaders, type Leader } from './recipes/leader.js';
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
}

const LEADER_OPTION_KEYS = keysOf<LeaderOptions>({ signal: true, session: true, acl: true });

function leaderArguments(id: string | Uint8Array, options: LeaderOptions | undefined, allowed: readonly string[]) {
  const o = optionsBag(options, allowed);
  const signal = optionalSignal(o.signal, 'options.signal');
  const session = optionalSession(o.session, 'options.session');
  const path = regionLeaderPath(id);
  return { id: idToString(id), path, signal, session, acl: o.acl };
}

/** Resolves once elected leader of `id` within the region (Go `RegionLeader`); see `Leader` for how it ends. */
export async function regionLeader(id: string | Uint8Array, options?: LeaderOptions): Promise<Leader> {
  const a = leaderArguments(id, options, LEADER_OPTION_KEYS);
  a.signal?.throwIfAborted();
  const session = a.session ?? defaultSession();
  return campaign(session, a.id, a.path, a.signal, optionalAcl(a.acl, 'options.acl', session));
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

const GLOBAL_LEADER_OPTION_KEYS = keysOf<GlobalLeaderOptions>({ isLeaderRegion: true, recheckMs: true, changes: true, signal: true, session: true, acl: true });

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
    campaign(session, a.id, a.path, signal, acl),
  );
}

/** Who leads `id` now and who waits, in order (Curator `getLeader`/`getParticipants`). */
export async function leaderSnapshot(id: string | Uint8Array, options?: SessionOnlyOptions): Promise<ElectionSnapshot> {
  const a = leaderArguments(id, options, SESSION_ONLY_KEYS);
  return snapshot(a.session ?? defaultSession(), a.path);
}

/** Options of `observeLeader`. */
export type ObserveOptions = Omit<LeaderOptions, 'acl'>;

const OBSERVE_OPTION_KEYS = keysOf<ObserveOptions>({ signal: true, session: true });

/** Yields the election of `id` now and after every change until `signal` aborts (etcd `Observe`). */
export function observeLeader(id: string | Uint8Array, options?: ObserveOptions): AsyncGenerator<ElectionSnapshot> {
  const a = leaderArguments(id, options, OBSERVE_OPTION_KEYS);
  return observe(a.session ?? defaultSession(), a.path, a.signal);
}
