/**
 * Read-only inspection of locks and elections (Curator `getParticipantNodes`, kazoo
 * `Lock.contenders`): who holds a region lock, its fencing token and lease deadline, who waits;
 * and every election under the region leader root. Nothing here writes.
 */
import { NoNodeError } from '../errors.js';
import { tryDecodeGoTime } from '../wire/go-time.js';
import { isContenderName } from '../wire/node-name.js';
import { basename, joinPath, REGION_LEADER_ROOT } from '../wire/paths.js';
import type { Session } from '../zk/session.js';
import { observe, snapshot, type ElectionSnapshot, type Participant } from './observe.js';

/** A contender for a lock: an election participant whose data is its lease deadline. */
export interface LockContender extends Participant {
  /** The lease deadline it published (Go's `time.Time` binary), in Unix ms by its own clock; undefined if its data is not a time. */
  deadlineMs: number | undefined;
}

/** A lock's state: `held` (lease running, or no lease), `expired` (the holder's deadline has passed), or `free`. */
export interface LockSnapshot {
  /** The lock id as read back from its node name (`#` shown as `/`, as `regionLockPath` escaped it). */
  id: string;
  /** The lock's parent node, e.g. `/sync/regionlock/orders#42`. */
  path: string;
  state: 'held' | 'expired' | 'free';
  /** The lowest contender; its czxid is the holder's fencing token. */
  holder: LockContender | undefined;
  /** Everyone else, in the order they will hold it. */
  waiters: LockContender[];
}

/** An election with the id it was campaigned for (its path under `/sync/regionleader`). */
export interface NamedElection extends ElectionSnapshot {
  id: string;
  path: string;
}

/** Most elections `listElections` returns by default: a tree walk that stays bounded. */
export const MAX_LISTED = 10_000;

/** A lock parent's basename back to the id it came from. */
export function lockIdOf(path: string): string {
  return basename(path).replaceAll('#', '/');
}

function lockView(path: string, view: ElectionSnapshot, nowMs: number): LockSnapshot {
  const contenders = view.participants.map((p) => ({ ...p, deadlineMs: tryDecodeGoTime(p.data) }));
  const holder = contenders[0];
  const expired = holder?.deadlineMs !== undefined && holder.deadlineMs <= nowMs;
  return { id: lockIdOf(path), path, state: holder === undefined ? 'free' : expired ? 'expired' : 'held', holder, waiters: contenders.slice(1) };
}

/** Reads the lock whose parent node is `path` once (a missing node is a free lock). */
export async function lockState(session: Session, path: string): Promise<LockSnapshot> {
  return lockView(path, await snapshot(session, path), Date.now());
}

/** Yields the lock at `path` now and after every change (a new holder or waiter, a lease pushed), until `signal` aborts. */
export async function* observeLockState(session: Session, path: string, signal?: AbortSignal): AsyncGenerator<LockSnapshot> {
  for await (const view of observe(session, path, signal)) yield lockView(path, view, Date.now());
}

async function childrenOrNone(session: Session, path: string): Promise<string[]> {
  try {
    return await session.request({ op: 'getChildren', path });
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

/** Every lock under the namespace node `root` (e.g. `/sync/regionlock`), by id, at most `max`. */
export async function listLockStates(session: Session, root: string, max = MAX_LISTED): Promise<LockSnapshot[]> {
  const names = (await childrenOrNone(session, root)).sort().slice(0, max);
  const out: LockSnapshot[] = [];
  // A few dozen reads in flight at a time: pipelined on the one session, bounded in memory.
  for (let i = 0; i < names.length; i += 32) {
    const batch = names.slice(i, i + 32).map((name) => lockState(session, joinPath(root, name)));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/**
 * Every election under `root` (default `/sync/regionleader`), ids nesting as "/" does: a node
 * with contender children, or with no children at all, is an election; the walk stops at `max`.
 */
export async function listElections(session: Session, root = REGION_LEADER_ROOT, max = MAX_LISTED): Promise<NamedElection[]> {
  const out: NamedElection[] = [];
  const queue = [root];
  while (queue.length > 0 && out.length < max) {
    const path = queue.shift()!;
    const children = (await childrenOrNone(session, path)).sort();
    const hasContenders = children.some(isContenderName);
    if (path !== root && (hasContenders || children.length === 0)) {
      out.push({ id: path.slice(root.length + 1), path, ...(await snapshot(session, path)) });
    }
    for (const child of children) if (!isContenderName(child)) queue.push(joinPath(path, child));
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
