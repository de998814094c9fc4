/**
 * Protected sequential creates (Curator's protection mode, go-zookeeper's
 * `CreateProtectedEphemeralSequential`): the node name carries a guid, so a create whose reply was
 * lost is recovered by finding the guid among the parent's children instead of creating twice.
 */
import createDebug from 'debug';
import { BadVersionError, ConnectionLossError, NodeExistsError, NoNodeError, ReleaseFailedError, ZooKeeperError } from '../errors.js';
import { guidOf, newGuid, protectedPrefix } from '../wire/node-name.js';
import type { Connection } from './connection.js';
import { CreateMode } from './requests.js';
import type { ResolvedAclEntry } from './security.js';

const debug = createDebug('zoosync:session');

/** A node we created, with its protected-create guid and its czxid (the fencing token). */
export interface CreatedNode {
  path: string;
  name: string;
  guid: string;
  czxid: bigint;
}

/** How `mkdirp` creates missing nodes. */
export interface MkdirpOptions {
  /** Create them as ZooKeeper container nodes, which the server removes once empty (3.5+). */
  container?: boolean;
  /** Their ACL; default the session's. */
  acl?: readonly ResolvedAclEntry[] | undefined;
}

/** ZooKeeper's UNIMPLEMENTED: what a 3.4 server answers to createContainer (and then drops the connection). */
const UNIMPLEMENTED = -6;

/** The hosts (connect strings) whose servers refused createContainer: `mkdirp` creates persistent parents there. */
const hostsWithoutContainers = new Set<string>();

/**
 * Creates every missing ancestor of `path` and `path` itself (Curator `ZKPaths.mkdirs`, Go
 * `zk.CreateRecursive`): persistent nodes, or with `options.container` container nodes that the
 * server removes once empty (Curator's `creatingParentContainersIfNeeded`), falling back to
 * persistent ones, for good on that connect string, on a server that predates them (3.4).
 */
export async function mkdirp(conn: Connection, path: string, options: MkdirpOptions = {}): Promise<void> {
  const acl = options.acl;
  if (!options.container || hostsWithoutContainers.has(conn.hosts)) return createChain(conn, path, CreateMode.PERSISTENT, acl);
  try {
    await createChain(conn, path, CreateMode.CONTAINER, acl);
  } catch (error) {
    if (!(error instanceof ZooKeeperError && error.zkCode === UNIMPLEMENTED)) throw error;
    hostsWithoutContainers.add(conn.hosts);
    debug('%s has no container nodes (ZooKeeper 3.4?): creating persistent parents', conn.hosts);
    await createChainAfterUnimplemented(conn, path, acl);
  }
}

/** Creates the missing nodes of `path` in one pipelined round trip (answered in order); an UNIMPLEMENTED reply wins over later losses. */
async function createChain(conn: Connection, path: string, mode: number, acl?: readonly ResolvedAclEntry[]): Promise<void> {
  let at = '';
  const creates = path
    .split('/')
    .slice(1)
    .map((part) => {
      at += `/${part}`;
      return conn.request({ op: 'create', path: at, mode, ...(acl ? { acl } : {}) }).then(
        () => undefined,
        (error: unknown) => {
          if (!(error instanceof NodeExistsError)) throw error;
        },
      );
    });
  const failures = (await Promise.allSettled(creates)).flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const unimplemented = failures.find((e) => e instanceof ZooKeeperError && e.zkCode === UNIMPLEMENTED);
  if (failures.length > 0) throw unimplemented ?? failures[0];
}

/** The persistent retry after UNIMPLEMENTED: a 3.4 server closes the connection right after that reply, so ride out the loss. */
async function createChainAfterUnimplemented(conn: Connection, path: string, acl?: readonly ResolvedAclEntry[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createChain(conn, path, CreateMode.PERSISTENT, acl);
    } catch (error) {
      if (!(error instanceof ConnectionLossError) || attempt >= 3) throw error;
      await conn.waitConnected(conn.sessionTimeoutMs);
    }
  }
}

/** What `createProtectedSequential` may be told. */
export interface ProtectedCreateOptions {
  mode?: number;
  parents?: MkdirpOptions;
  /** performance.now() after which a create whose reply was lost is only recovered, never sent again. */
  deadline?: number;
  /** Once aborted, likewise: recover what may exist, create nothing new. */
  signal?: AbortSignal;
  /** The ACL of the node and of any parent made; default the session's. */
  acl?: readonly ResolvedAclEntry[] | undefined;
}

/**
 * Creates `<parent>/_c_<guid>-<prefix><seq>` and, in the same socket write, lists the parent's
 * children (a read sent right after a write in one session sees it). Creates missing parents.
 * Recovers a create whose reply was lost by looking for its guid once reconnected.
 */
export async function createProtectedSequential(
  conn: Connection,
  parent: string,
  prefix: string,
  data: Buffer,
  options: ProtectedCreateOptions = {},
): Promise<{ node: CreatedNode; children: string[] }> {
  const mode = options.mode ?? CreateMode.EPHEMERAL_SEQUENTIAL;
  const guid = newGuid();
  const base = `${parent}/${protectedPrefix(guid, prefix)}`;
  const gaveUp = (): boolean =>
    options.signal?.aborted === true || (options.deadline !== undefined && performance.now() >= options.deadline);
  for (let attempt = 0; ; attempt++) {
    const [created, listed] = conn.batch(() => [
      conn.request({ op: 'create', path: base, data, mode, ...(options.acl ? { acl: options.acl } : {}) }),
      conn.request({ op: 'getChildren', path: parent }),
    ] as const);
    listed.catch(() => undefined);
    try {
      const { path, zxid } = await created;
      const name = path.slice(parent.length + 1);
      return { node: { path, name, guid, czxid: zxid }, children: await listed };
    } catch (error) {
      if (error instanceof NoNodeError && attempt < 5) {
        await mkdirp(conn, parent, { ...options.parents, acl: options.acl });
        continue;
      }
      if (!(error instanceof ConnectionLossError)) throw error;
      debug('create under %s lost its reply; looking for guid %s', parent, guid);
      const found = await recover(conn, parent, guid);
      if (found) return found;
      // Sending it again after the caller gave up would only leave a node nobody waits on (and
      // one the server refuses, resent forever, takes the whole session down).
      if (gaveUp()) throw new ConnectionLossError(`a create under ${parent} lost its reply after the caller gave up: not sent again`);
    }
  }
}

async function recover(conn: Connection, parent: string, guid: string): Promise<{ node: CreatedNode; children: string[] } | undefined> {
  for (;;) {
    await conn.waitConnected(conn.sessionTimeoutMs);
    try {
      const children = await conn.request({ op: 'getChildren', path: parent });
      const name = children.find((child) => guidOf(child) === guid);
      if (name === undefined) return undefined;
      const path = `${parent}/${name}`;
      const stat = await conn.request({ op: 'exists', path });
      if (stat === null) return undefined;
      debug('recovered %s', path);
      return { node: { path, name, guid, czxid: stat.czxid }, children };
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      if (!(error instanceof ConnectionLossError)) throw error;
    }
  }
}

/** How a `deleteUntilGone` ended. */
export type DeleteOutcome = 'deleted' | 'absent' | 'session-ended' | 'changed' | 'failed';

/**
 * Deletes `path`, retrying through connection losses and the server's passing refusals
 * (throttled, session moved, timeouts), backing off, until it is gone or the session is over
 * (then the server removes our ephemeral nodes itself). Never rejects: a lasting refusal (no
 * permission) is `'failed'`, and `onFailed` hears the error.
 */
export async function deleteUntilGone(
  conn: Connection,
  path: string,
  version = -1,
  onFailed?: (error: unknown) => void,
): Promise<DeleteOutcome> {
  for (let attempt = 0; ; attempt++) {
    if (conn.signal.aborted || conn.isClosing) return 'session-ended';
    try {
      await conn.request({ op: 'delete', path, version });
      return 'deleted';
    } catch (error) {
      if (error instanceof NoNodeError) return 'absent';
      if (error instanceof BadVersionError) return 'changed';
      if (conn.signal.aborted || conn.isClosing) return 'session-ended';
      if (!(error instanceof ConnectionLossError || (error instanceof ZooKeeperError && error.retryable))) {
        debug('delete of %s failed for good: %s', path, (error as Error).message);
        onFailed?.(error);
        return 'failed';
      }
      debug('delete of %s failed (%s); retrying', path, (error as Error).message);
      await conn.waitConnected(conn.sessionTimeoutMs).catch(() => undefined);
      // A real pause, growing: never spin on microtasks, whatever the connection reports.
      await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** Math.min(attempt, 7))));
    }
  }
}

/** Deletes our own node as `deleteUntilGone` does, but rejects with `ReleaseFailedError` if ZooKeeper refuses for good: never resolves while the node stays. */
export async function releaseOwnNode(conn: Connection, path: string): Promise<DeleteOutcome> {
  let failure: unknown;
  const outcome = await deleteUntilGone(conn, path, -1, (error) => (failure = error));
  if (outcome === 'failed') throw new ReleaseFailedError(path, failure);
  return outcome;
}
