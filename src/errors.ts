/**
 * The zoosync error hierarchy: one base class, one subclass per case, and the table that maps
 * ZooKeeper's numeric error codes to classes (kazoo's `exceptions.py` layout).
 */

/** Builds an error without capturing a stack: for abort reasons of routine ends (unlock, resign), made on every call. */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Options every zoosync error accepts. */
export interface ZoosyncErrorOptions {
  cause?: unknown;
}

/** Base class of every error zoosync throws or rejects with. */
export class ZoosyncError extends Error {
  /** A stable string code, e.g. `ZOOSYNC_LOCK_TIMEOUT`. */
  readonly code: string;
  /** True when the same call may succeed if tried again. */
  readonly retryable: boolean;

  constructor(message: string, code: string, retryable: boolean, options?: ZoosyncErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
  }
}

/** An argument was missing, malformed or out of range; raised before any I/O. */
export class InvalidArgumentError extends ZoosyncError {
  /** The name of the offending argument, e.g. `id` or `options.holdForMs`. */
  readonly argument: string;

  constructor(argument: string, problem: string, options?: ZoosyncErrorOptions) {
    super(`${argument}: ${problem}`, 'ZOOSYNC_INVALID_ARGUMENT', false, options);
    this.argument = argument;
  }
}

/** The lease asked for is shorter than the recipe allows (Go `ErrRegionHoldFor`, `ErrHoldFor`). */
export class LeaseTooShortError extends InvalidArgumentError {
  constructor(argument: string, minimumMs: number, gotMs: number) {
    super(argument, `must be at least ${minimumMs} ms (got ${gotMs})`);
  }
}

/** Session configuration (hosts, timeouts) is malformed. */
export class ConfigurationError extends InvalidArgumentError {}

/** No ZooKeeper server answered within the connect timeout. */
export class ConnectTimeoutError extends ZoosyncError {
  constructor(hosts: string, waitedMs: number, options?: ZoosyncErrorOptions) {
    super(
      `could not reach ZooKeeper at ${hosts} within ${waitedMs} ms`,
      'ZOOSYNC_CONNECT_TIMEOUT',
      true,
      options,
    );
  }
}

/** The connection dropped while a request was in flight; its outcome is unknown. */
export class ConnectionLossError extends ZoosyncError {
  constructor(message = 'connection to ZooKeeper lost while a request was in flight', options?: ZoosyncErrorOptions) {
    super(message, 'ZOOSYNC_CONNECTION_LOSS', true, options);
  }
}

/** The ZooKeeper session expired or was declared lost by our clock; its ephemeral nodes are gone. */
export class SessionLostError extends ZoosyncError {
  constructor(message = 'ZooKeeper session lost', options?: ZoosyncErrorOptions) {
    super(message, 'ZOOSYNC_SESSION_LOST', true, options);
  }
}

/** The session was closed by its owner. */
export class SessionClosedError extends ZoosyncError {
  constructor(message = 'session is closed', options?: ZoosyncErrorOptions) {
    super(message, 'ZOOSYNC_SESSION_CLOSED', false, options);
  }
}

/** A ZooKeeper server answered with an error code; `zkCode` is the server's number. */
export class ZooKeeperError extends ZoosyncError {
  readonly zkCode: number;
  readonly path: string | undefined;

  constructor(zkCode: number, name: string, path?: string, retryable = false, options?: ZoosyncErrorOptions) {
    super(
      `ZooKeeper error ${name} (${zkCode})${path === undefined ? '' : ` on ${path}`}`,
      `ZOOSYNC_ZK_${name}`,
      retryable,
      options,
    );
    this.zkCode = zkCode;
    this.path = path;
  }
}

/** The node does not exist (ZooKeeper `NONODE`). */
export class NoNodeError extends ZooKeeperError {
  constructor(path?: string) {
    super(-101, 'NO_NODE', path);
  }
}

/** A create at the top of a chrooted session failed: the chroot itself does not exist on the server. */
export class ChrootMissingError extends NoNodeError {
  /** The missing chroot. */
  readonly chroot: string;

  constructor(chroot: string, path: string) {
    super(path);
    this.message = `the chroot ${chroot} does not exist on the server (creating ${path} under it): create it first, or drop it from the hosts`;
    this.chroot = chroot;
  }
}

/** The node already exists (ZooKeeper `NODEEXISTS`). */
export class NodeExistsError extends ZooKeeperError {
  constructor(path?: string) {
    super(-110, 'NODE_EXISTS', path);
  }
}

/** The version given did not match the node's (ZooKeeper `BADVERSION`). */
export class BadVersionError extends ZooKeeperError {
  constructor(path?: string) {
    super(-103, 'BAD_VERSION', path);
  }
}

/** The node has children (ZooKeeper `NOTEMPTY`). */
export class NotEmptyError extends ZooKeeperError {
  constructor(path?: string) {
    super(-111, 'NOT_EMPTY', path);
  }
}

/** Ephemeral nodes may not have children (ZooKeeper `NOCHILDRENFOREPHEMERALS`). */
export class NoChildrenForEphemeralsError extends ZooKeeperError {
  constructor(path?: string) {
    super(-108, 'NO_CHILDREN_FOR_EPHEMERALS', path);
  }
}

/** ZooKeeper's permission bits, as `NoAuthError.permission` names them. */
export type Permission = 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ADMIN';

/**
 * The server refused for lack of permission (ZooKeeper `NOAUTH`). `permission` says which one the
 * request needed; CREATE and DELETE are checked on the parent, not on the node itself.
 */
export class NoAuthError extends ZooKeeperError {
  /** The permission that was missing, when the request says which (`node` is where it was checked). */
  readonly permission: Permission | undefined;
  /** The node whose ACL refused: the parent for CREATE and DELETE. */
  readonly node: string | undefined;

  constructor(path?: string, permission?: Permission, node?: string) {
    super(-102, 'NO_AUTH', path);
    this.permission = permission;
    this.node = node;
    if (permission !== undefined && path !== undefined) {
      const where = node !== undefined && node !== path ? `${node} (the parent of ${path})` : path;
      this.message = `ZooKeeper refused: no ${permission} permission on ${where} for this session's identity (NO_AUTH)`;
    }
  }
}

/** The server rejected an authentication we send on every connection (an unknown scheme, a failed handshake): retrying cannot help. */
export class AuthFailedError extends ZoosyncError {
  /** The schemes we authenticated with. */
  readonly schemes: string[];
  /** The server that refused. */
  readonly host: string;

  constructor(schemes: string[], host: string) {
    super(`ZooKeeper at ${host} rejected our authentication (scheme ${schemes.join(', ') || 'none'})`, 'ZOOSYNC_AUTH_FAILED', false);
    this.schemes = schemes;
    this.host = host;
  }
}

/** A TLS connection to ZooKeeper failed on certificates (unknown CA, wrong host name, expired, a client certificate refused) on every server tried. */
export class TlsError extends ZoosyncError {
  /** Node's error code, e.g. `CERT_HAS_EXPIRED`. */
  readonly tlsCode: string;
  /** The server whose certificate (or refusal) ended the attempt. */
  readonly host: string;

  constructor(host: string, tlsCode: string, what: string, options?: ZoosyncErrorOptions) {
    super(`TLS to ZooKeeper at ${host} failed: ${what} (${tlsCode})`, 'ZOOSYNC_TLS', false, options);
    this.tlsCode = tlsCode;
    this.host = host;
  }
}

const ZK_ERROR_NAMES: Record<number, string> = {
  [-1]: 'SYSTEM_ERROR',
  [-2]: 'RUNTIME_INCONSISTENCY',
  [-3]: 'DATA_INCONSISTENCY',
  [-5]: 'MARSHALLING_ERROR',
  [-6]: 'UNIMPLEMENTED',
  [-7]: 'OPERATION_TIMEOUT',
  [-8]: 'BAD_ARGUMENTS',
  [-100]: 'API_ERROR',
  [-113]: 'INVALID_CALLBACK',
  [-114]: 'INVALID_ACL',
  [-115]: 'AUTH_FAILED',
  [-118]: 'SESSION_MOVED',
  [-119]: 'NOT_READONLY',
  [-120]: 'EPHEMERAL_ON_LOCAL_SESSION',
  [-121]: 'NO_WATCHER',
  [-122]: 'REQUEST_TIMEOUT',
  [-123]: 'RECONFIG_DISABLED',
  [-124]: 'SESSION_CLOSED_REQUIRE_SASL',
  [-125]: 'QUOTA_EXCEEDED',
  [-127]: 'THROTTLED_OP',
};

/** Codes a server sends for a passing condition: the same request may succeed later on the same session. */
const RETRYABLE_ZK_CODES = new Set([-7, -118, -122, -127]);

/** Maps a ZooKeeper error code (and the path it concerned) to a typed error: the one table. */
export function errorFromZkCode(code: number, path?: string): ZoosyncError {
  switch (code) {
    case -4:
      return new ConnectionLossError(`connection lost${path === undefined ? '' : ` during a request on ${path}`}`);
    case -112:
      return new SessionLostError(`ZooKeeper session expired${path === undefined ? '' : ` during a request on ${path}`}`);
    case -101:
      return new NoNodeError(path);
    case -110:
      return new NodeExistsError(path);
    case -103:
      return new BadVersionError(path);
    case -111:
      return new NotEmptyError(path);
    case -108:
      return new NoChildrenForEphemeralsError(path);
    case -102:
      return new NoAuthError(path);
    default:
      return new ZooKeeperError(code, ZK_ERROR_NAMES[code] ?? 'UNKNOWN', path, RETRYABLE_ZK_CODES.has(code));
  }
}

/** An acquire gave up after `waitForMs` (Go `ErrLockTimeout`); its node was removed. */
export class LockTimeoutError extends ZoosyncError {
  /** Set when ZooKeeper could not be reached at all: the hosts tried (a reachable but contended lock leaves it undefined). */
  readonly unreachable: string | undefined;

  constructor(path: string, waitedMs: number, options?: ZoosyncErrorOptions & { unreachable?: string }) {
    const why = options?.unreachable === undefined ? '' : `: ZooKeeper at ${options.unreachable} was not reachable`;
    super(`lock ${path} not acquired within ${waitedMs} ms${why}`, 'ZOOSYNC_LOCK_TIMEOUT', true, options);
    this.unreachable = options?.unreachable;
  }
}

/** Our own node could not be deleted (ZooKeeper refused for good, e.g. no DELETE permission on its parent); it stays until our session ends. */
export class ReleaseFailedError extends ZoosyncError {
  /** The node that stays. */
  readonly path: string;

  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`could not delete ${path} (${why}): it stays until the session ends`, 'ZOOSYNC_RELEASE_FAILED', false, { cause });
    this.path = path;
  }
}

/** A held lock's lease deadline arrived before it was released; fired on the holder's `signal`. */
export class LockExpiredError extends ZoosyncError {
  constructor(path: string) {
    super(`lease on ${path} expired`, 'ZOOSYNC_LOCK_EXPIRED', false);
  }
}

/** A held lock's node was deleted by someone else, or its session was suspended or lost. */
export class LockLostError extends ZoosyncError {
  constructor(path: string, why: string, options?: ZoosyncErrorOptions) {
    super(`lock ${path} lost: ${why}`, 'ZOOSYNC_LOCK_LOST', false, options);
  }
}

/** The lock was released by its holder; the reason its `signal` aborts on `unlock()`. */
export class LockReleasedError extends ZoosyncError {
  constructor(path: string) {
    super(`lock ${path} released`, 'ZOOSYNC_LOCK_RELEASED', false);
  }
}

/** A global lock was contended past `waitForMs` (Go `ErrContended`). */
export class LockContendedError extends ZoosyncError {
  constructor(path: string, waitedMs: number) {
    super(`could not obtain global lock ${path} within ${waitedMs} ms due to contention`, 'ZOOSYNC_LOCK_CONTENDED', true);
  }
}

/** The item is reserved by someone else and the reservation has not expired (Go `ErrReserved`). */
export class ReservedError extends ZoosyncError {
  constructor(path: string) {
    super(`item ${path} already reserved`, 'ZOOSYNC_RESERVED', true);
  }
}

/** Why a leadership ended: the `rescinded` promise's value and this error's `reason`. */
export type RescindReason = 'resigned' | 'node-deleted' | 'node-changed' | 'session-suspended' | 'session-lost' | 'closed';

/** Leadership ended; the reason a leader's `signal` aborts with. */
export class LeadershipEndedError extends ZoosyncError {
  readonly reason: RescindReason;

  constructor(id: string, reason: RescindReason, options?: ZoosyncErrorOptions) {
    super(`leadership of ${id} ended: ${reason}`, 'ZOOSYNC_LEADERSHIP_ENDED', reason !== 'resigned', options);
    this.reason = reason;
  }
}
