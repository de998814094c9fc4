/**
 * Protected sequential creates (Curator's protection mode, go-zookeeper's
 * `CreateProtectedEphemeralSequential`): the node name carries a guid, so a create whose reply was
 * lost is recovered by finding the guid among the parent's children instead of creating twice.
 */
import createDebug from 'debug';
import { BadVersionError, ConnectionLossError, NodeExistsError, NoNodeError } from '../errors.js';
import { guidOf, newGuid, protectedPrefix } from '../wire/node-name.js';
import type { Connection } from './connection.js';
import { CreateMode, type Watcher } from './requests.js';

const debug = createDebug('zoosync:session');

/** A node we created, with its czxid (the fencing token). */
export interface CreatedNode {
  path: string;
  name: string;
  czxid: bigint;
}

/** Creates every missing ancestor of `path` and `path` itself as persistent nodes. */
export async function mkdirp(conn: Connection, path: string): Promise<void> {
  let at = '';
  const parts = path.split('/').slice(1);
  // Pipelined: one round trip for the whole chain, answered in order.
  const creates = parts.map((part) => {
    at += `/${part}`;
    return conn.request({ op: 'create', path: at, mode: CreateMode.PERSISTENT }).then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof NodeExistsError)) throw error;
      },
    );
  });
  const results = await Promise.allSettled(creates);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/**
 * Creates `<parent>/_c_<guid>-<prefix><seq>` and, in the same socket write, lists the parent's
 * children (a read sent right after a write in one session sees it), optionally leaving a child
 * watch on the parent. Creates missing parents. Recovers a create whose reply was lost by looking
 * for its guid once reconnected; `childWatch` says whether the watch was left.
 */
export async function createProtectedSequential(
  conn: Connection,
  parent: string,
  prefix: string,
  data: Buffer,
  options: { mode?: number; onChildren?: Watcher } = {},
): Promise<{ node: CreatedNode; children: string[]; childWatch: boolean }> {
  const mode = options.mode ?? CreateMode.EPHEMERAL_SEQUENTIAL;
  const guid = newGuid();
  const base = `${parent}/${protectedPrefix(guid, prefix)}`;
  const watch = options.onChildren;
  for (let attempt = 0; ; attempt++) {
    const [created, listed] = conn.batch(() => [
      conn.request({ op: 'create', path: base, data, mode }),
      conn.request({ op: 'getChildren', path: parent, ...(watch ? { watch } : {}) }),
    ] as const);
    listed.catch(() => undefined);
    try {
      const { path, zxid } = await created;
      const name = path.slice(parent.length + 1);
      return { node: { path, name, czxid: zxid }, children: await listed, childWatch: watch !== undefined };
    } catch (error) {
      if (error instanceof NoNodeError && attempt < 5) {
        await mkdirp(conn, parent);
        continue;
      }
      if (!(error instanceof ConnectionLossError)) throw error;
      debug('create under %s lost its reply; looking for guid %s', parent, guid);
      const found = await recover(conn, parent, guid);
      if (found) return { ...found, childWatch: false };
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
      return { node: { path, name, czxid: stat.czxid }, children };
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      if (!(error instanceof ConnectionLossError)) throw error;
    }
  }
}

/**
 * Deletes `path`, retrying through connection losses until it is gone or the session is over
 * (then the server removes our ephemeral nodes itself). Resolves either way; never rejects.
 */
export async function deleteUntilGone(
  conn: Connection,
  path: string,
  version = -1,
): Promise<'deleted' | 'absent' | 'session-ended' | 'changed' | 'failed'> {
  for (;;) {
    if (conn.signal.aborted || conn.isClosing) return 'session-ended';
    try {
      await conn.request({ op: 'delete', path, version });
      return 'deleted';
    } catch (error) {
      if (error instanceof NoNodeError) return 'absent';
      if (error instanceof BadVersionError) return 'changed';
      if (conn.signal.aborted || conn.isClosing) return 'session-ended';
      if (!(error instanceof ConnectionLossError)) {
        debug('delete of %s failed for good: %s', path, (error as Error).message);
        return 'failed';
      }
      debug('delete of %s failed (%s); retrying', path, (error as Error).message);
      await conn.waitConnected(conn.sessionTimeoutMs).catch(() => undefined);
      // A real pause: never spin on microtasks, whatever the connection reports.
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
