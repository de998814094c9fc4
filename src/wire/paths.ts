/**
 * Lock and leader paths, built as the Go `sync` package builds them, and ZooKeeper's own path
 * rules (`org.apache.zookeeper.common.PathUtils.validatePath`) checked before any I/O.
 */

import { InvalidArgumentError } from '../errors.js';
import { isContenderName } from './node-name.js';

/** The region lock namespace used when none is set (Go left it blank, which failed every lock). */
export const DEFAULT_REGION_LOCK_NAMESPACE = 'sync/regionlock';

/** The parent of every region leader election (Go `regionLeaderPath` without its `/%v`). */
export const REGION_LEADER_ROOT = '/sync/regionleader';

/** Most UTF-8 bytes of a lock, leader or reservation id (the server drops any packet over 1 MiB, and the connection with it). */
export const MAX_ID_BYTES = 1024;

/** Most UTF-8 bytes of a region lock namespace (without its leading and trailing "/"). */
export const MAX_NAMESPACE_BYTES = 512;

/** Most UTF-8 bytes of a path given whole: a reservation path, a connect string's chroot. */
export const MAX_PATH_BYTES = 2048;

/** ZooKeeper keeps its own data (quotas, config) under this top-level node. */
const RESERVED_TOP = 'zookeeper';

function describeChar(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

function isForbiddenChar(c: number): boolean {
  return (
    (c > 0x0000 && c <= 0x001f) ||
    (c >= 0x007f && c <= 0x009f) ||
    (c >= 0xd800 && c <= 0xf8ff) ||
    (c >= 0xfff0 && c <= 0xffff)
  );
}

/**
 * Returns `path` if ZooKeeper would accept it (PathUtils.validatePath) and it is not under the
 * reserved `/zookeeper`; else throws `InvalidArgumentError(argument, …)` quoting the problem.
 */
export function validatePath(path: string, argument: string): string {
  if (typeof path !== 'string') {
    throw new InvalidArgumentError(argument, `path must be a string, got ${typeOf(path)}`);
  }
  const q = JSON.stringify(path);
  if (path.length === 0) throw new InvalidArgumentError(argument, 'path is empty');
  if (!path.startsWith('/')) throw new InvalidArgumentError(argument, `path ${q} must start with "/"`);
  if (path === '/') return path;
  if (path.endsWith('/')) throw new InvalidArgumentError(argument, `path ${q} must not end with "/"`);
  // Checked char by char (UTF-16 code units, as Java's `char`), like PathUtils.
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) {
      throw new InvalidArgumentError(argument, `path ${q} contains a NUL character at index ${i}`);
    }
    if (isForbiddenChar(c)) {
      throw new InvalidArgumentError(argument, `path ${q} contains the forbidden character ${describeChar(c)} at index ${i}`);
    }
  }
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') throw new InvalidArgumentError(argument, `path ${q} has an empty segment ("//")`);
    if (segment === '.' || segment === '..') {
      throw new InvalidArgumentError(argument, `path ${q} has a relative segment "${segment}"`);
    }
  }
  if (segments[0] === RESERVED_TOP) {
    throw new InvalidArgumentError(argument, `path ${q} is under "/${RESERVED_TOP}", which ZooKeeper reserves for itself`);
  }
  return path;
}

/**
 * Returns `value` if its UTF-8 encoding (what goes on the wire) is at most `limit` bytes; else
 * throws `InvalidArgumentError(argument, …)` naming the limit and the actual size.
 */
export function checkBytes(value: string, limit: number, argument: string): string {
  // Every UTF-16 unit is 1 to 3 UTF-8 bytes: short strings need no count.
  if (value.length * 3 <= limit) return value;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > limit) throw new InvalidArgumentError(argument, `must be at most ${limit} bytes of UTF-8, got ${bytes} bytes`);
  return value;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A lock or leader id as a string: strings as they are, bytes decoded as strict UTF-8 (Go's
 * `string(id)` of `RegionLock(id []byte)`); throws on another type, bad UTF-8, a blank id or
 * one over `MAX_ID_BYTES`.
 */
export function idToString(id: string | Uint8Array, argument = 'id'): string {
  let s: string;
  if (typeof id === 'string') {
    s = checkBytes(id, MAX_ID_BYTES, argument);
  } else if (id instanceof Uint8Array) {
    if (id.byteLength > MAX_ID_BYTES) {
      throw new InvalidArgumentError(argument, `must be at most ${MAX_ID_BYTES} bytes of UTF-8, got ${id.byteLength} bytes`);
    }
    try {
      s = utf8.decode(id);
    } catch (cause) {
      throw new InvalidArgumentError(argument, 'bytes are not valid UTF-8', { cause });
    }
  } else {
    throw new InvalidArgumentError(argument, `must be a string or Uint8Array, got ${typeOf(id)}`);
  }
  if (s.trim() === '') throw new InvalidArgumentError(argument, `must not be blank, got ${JSON.stringify(s)}`);
  return s;
}

/**
 * A region lock namespace with leading and trailing "/" stripped, checked to form a valid path
 * of at most `MAX_NAMESPACE_BYTES` (Go `SetRegionLockNamespace` took any string); throws
 * `InvalidArgumentError(argument)`.
 */
export function validateNamespace(ns: unknown, argument = 'namespace'): string {
  if (typeof ns !== 'string') {
    throw new InvalidArgumentError(argument, `must be a string, got ${typeOf(ns)}`);
  }
  const stripped = checkBytes(trimSlashes(ns), MAX_NAMESPACE_BYTES, argument);
  if (stripped.trim() === '') throw new InvalidArgumentError(argument, `must not be blank, got ${JSON.stringify(ns)}`);
  validatePath(`/${stripped}`, argument);
  return stripped;
}

/** `s` without leading and trailing "/", in linear time (a `/\/+$/` regex is quadratic on a long run of "/"). */
function trimSlashes(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === 0x2f) start++;
  while (end > start && s.charCodeAt(end - 1) === 0x2f) end--;
  return s.slice(start, end);
}

/**
 * The region lock path `/<namespace>/<id with every "/" replaced by "#">` (Go
 * `constructLockPath`), validated; a bad id throws `InvalidArgumentError('id')`.
 */
export function regionLockPath(namespace: string, id: string | Uint8Array): string {
  const ns = validateNamespace(namespace);
  const escaped = idToString(id, 'id').replaceAll('/', '#');
  return validatePath(`/${ns}/${escaped}`, 'id');
}

/**
 * The election path `/sync/regionleader/<id>` (Go `fmt.Sprintf(regionLeaderPath, id)`); "/"
 * in the id nests, as in Go. One leading "/" is dropped: Go built `/sync/regionleader//…` from
 * such ids (the seed's example), a path ZooKeeper rejects, so no Go service can be using it.
 * A segment after the first may not be named like a contender (`lock-<seq>`): its persistent
 * node would sit in the election of the id before it and block that election for good.
 */
export function regionLeaderPath(id: string | Uint8Array): string {
  const s = idToString(id, 'id');
  const rest = s.startsWith('/') ? s.slice(1) : s;
  if (rest.trim() === '') throw new InvalidArgumentError('id', `must not be blank, got ${JSON.stringify(s)}`);
  const path = validatePath(`${REGION_LEADER_ROOT}/${rest}`, 'id');
  refuseNestedContender(rest);
  return path;
}

function refuseNestedContender(id: string): void {
  const segments = id.split('/');
  for (let i = 1; i < segments.length; i++) {
    if (!isContenderName(segments[i]!)) continue;
    const election = segments.slice(0, i).join('/');
    throw new InvalidArgumentError(
      'id',
      `segment ${JSON.stringify(segments[i])} is named like an election contender (lock-<seq>); its node would block the election of ${JSON.stringify(election)}`,
    );
  }
}

/** `parent` + "/" + `child` without doubling the root's "/"; `child` must be a non-empty name without a leading "/". */
export function joinPath(parent: string, child: string): string {
  if (typeof parent !== 'string' || !parent.startsWith('/')) {
    throw new InvalidArgumentError('parent', `must be an absolute path, got ${JSON.stringify(parent)}`);
  }
  if (typeof child !== 'string' || child === '' || child.startsWith('/')) {
    throw new InvalidArgumentError('child', `must be a non-empty relative name, got ${JSON.stringify(child)}`);
  }
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The parent of an absolute path (`/a/b` → `/a`, `/a` → `/`); throws for the root, which has none. */
export function parentOf(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidArgumentError('path', `must be an absolute path, got ${JSON.stringify(path)}`);
  }
  if (path === '/') throw new InvalidArgumentError('path', 'the root "/" has no parent');
  const i = path.lastIndexOf('/');
  return i === 0 ? '/' : path.slice(0, i);
}

/** The last segment of a path (`/a/b` → `b`; `/` → ``; a bare name is returned as is). */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
