/** zoosync: distributed locks and leader election on ZooKeeper; everything public comes from `sync.ts`. */
export {
  anonymousRelease,
  cleanupRegionLeaders,
  closeDefaultSessions,
  configure,
  GLOBAL_LOCK_DEFAULTS,
  globalLeader,
  globalLock,
  globalTimedLock,
  installShutdownHandlers,
  leaderSnapshot,
  observeLeader,
  REGION_LOCK_DEFAULTS,
  regionLeader,
  regionLock,
  regionTimedLock,
  reservation,
  Session,
  setRegionLockNamespace,
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
} from './sync.js';
export type {
  AclEntry,
  AclOption,
  AclPreset,
  AuthEntry,
  ChangeSource,
  ElectionSnapshot,
  GlobalLeaderOptions,
  Leader,
  LeaderOptions,
  Lock,
  LockOptions,
  Participant,
  Permission,
  RescindReason,
  Reservation,
  ObserveOptions,
  ReservationOptions,
  SessionOnlyOptions,
  SessionOptions,
  SessionState,
  TlsOptions,
  ZoosyncConfig,
  ZoosyncErrorOptions,
} from './sync.js';

// multi-lock (issue 11)
export { MAX_MULTI_LOCK_IDS, regionMultiLock } from './sync.js';
export type { MultiLock, MultiLockOptions } from './sync.js';

// withLock and lead (issue 11)
export { lead, LeaderWorkOverrunError, withLock } from './sync.js';
export type { LeadOptions, LockContext, WithLockOptions } from './sync.js';

// semaphore and read-write lock (issue 11)
export { MAX_SEMAPHORE_PERMITS, READ_WRITE_LOCK_ROOT, readWriteLock, semaphore, SEMAPHORE_ROOT } from './sync.js';
export type { AcquireOptions, ReadWriteLock, ReadWriteLockOptions, Semaphore, SemaphoreOptions } from './sync.js';
