/** zoosync: distributed locks and leader election on ZooKeeper, re-exported by name from `sync.ts`. */
export {
  anonymousRelease,
  closeDefaultSessions,
  configure,
  GLOBAL_LOCK_DEFAULTS,
  globalLock,
  globalTimedLock,
  REGION_LOCK_DEFAULTS,
  regionLock,
  regionTimedLock,
  reservation,
  setRegionLockNamespace,
} from './sync.js';
export type { LockOptions, Reservation } from './sync.js';
export type { ZoosyncConfig } from './defaults.js';
export { Session } from './zk/session.js';
export type { SessionState } from './zk/session.js';
export type { SessionOptions } from './zk/config.js';
export { Lock } from './recipes/lock.js';
export {
  BadVersionError,
  ConfigurationError,
  ConnectionLossError,
  ConnectTimeoutError,
  InvalidArgumentError,
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
  ReservedError,
  SessionClosedError,
  SessionLostError,
  ZooKeeperError,
  ZoosyncError,
} from './errors.js';
