/**
 * The sequential-node engine every recipe stands on (Curator's `LockInternals`): create a
 * protected ephemeral-sequential node, hold when lowest, otherwise watch only the predecessor,
 * and always remove our own node when the wait ends without holding.
 */
import { channel } from 'node:diagnostics_channel';
import createDebug from 'debug';
import { ConnectionLossError, ConnectTimeoutError, LockTimeoutError, NoNodeError, SessionLostError, ZoosyncError } from '../errors.js';
import { sortBySequence } from '../wire/node-name.js';
import type { Connection } from '../zk/connection.js';
import type { WatchEvent } from '../zk/requests.js';
import { createProtectedSequential, deleteUntilGone, type CreatedNode } from '../zk/protected-create.js';
import type { Session } from '../zk/session.js';
import { NodeGuard, type GuardEnd } from './node-guard.js';
import { waitFirst } from './wait.js';

const debug = createDebug('zoosync:lock');
/** Published each time a waiter wakes; `cause` says why (the herd check counts these). */
export const wakeChannel = channel('zoosync:contender.wake');

/** How a recipe reads and refreshes leases; absent for recipes without a lease (leaders). */
export interface LeasePolicy {
  /** The data to create our node with (the lease deadline). */
  initialData(): Buffer;
  /** The wall-clock ms deadline a node's data publishes, if any. */
  deadlineOf(data: Buffer): number | undefined;
  /** Wall-clock ms at which a waiting node should refresh its own deadline, and the new data. */
  refreshAt(ours: Buffer): { at: number; data: () => Buffer } | undefined;
}

/** What `contend` needs. */
export interface ContendOptions {
  session: Session;
  parent: string;
  prefix: string;
  /** performance.now() after which the wait gives up with `LockTimeoutError`; undefined waits forever. */
  deadline?: number;
  waitForMs?: number;
  signal?: AbortSignal;
  lease?: LeasePolicy;
  /** Delay before creating the node again after a connection failure (backoff for leaders). */
  retryDelayMs?: (attempt: number) => number;
  /**
   * Watch our own node from the start (leaders, to see it changed). Otherwise the parent's child
   * watch, set for free in the create's batch, stands guard until the first change under the
   * parent, and only then is our node's own watch set: an uncontended lock sends no extra request.
   */
  eagerGuard?: boolean;
  /** Keep retrying (with `retryDelayMs`) while ZooKeeper cannot be reached at all (leaders do). */
  retryUnreachable?: boolean;
}

/** A won position: the connection it lives on, our node, its data and the guard watching it. */
export interface Position {
  conn: Connection;
  node: CreatedNode;
  data: Buffer;
  guard: NodeGuard;
}

class OwnNodeGone extends ZoosyncError {
  constructor() {
    super('our node vanished while waiting', 'ZOOSYNC_INTERNAL_RETRY', true);
  }
}

/** Parents where our last create found others: there we expect to wait, so we guard our node at once. */
const contended = new Set<string>();

function noteContention(parent: string, seen: boolean): void {
  if (!seen) contended.delete(parent);
  else if (!contended.has(parent)) {
    if (contended.size >= 10_000) contended.clear();
    contended.add(parent);
  }
}

const isRetryable = (e: unknown): boolean =>
  e instanceof SessionLostError || e instanceof ConnectionLossError || e instanceof OwnNodeGone;

/** Waits until we hold the lowest node under `parent`; rejects on timeout or abort after removing our node. */
export async function contend(opts: ContendOptions): Promise<Position> {
  // The wait limit also bounds getting a connection, except for a try (waitForMs 0), which
  // always gets its answer.
  const boundStart = opts.waitForMs !== 0;
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    let data = opts.lease?.initialData() ?? Buffer.alloc(0);
    let conn: Connection;
    let created: { node: CreatedNode; children: string[]; childWatch: boolean };
    let guard: NodeGuard;
    try {
      const live = opts.session.current;
      conn = live?.state === 'connected' ? live : await withDeadline(opts.session.connection(), opts, undefined, boundStart);
      // Until our node's own watch is set, the child watch left by the create's batch guards it.
      const g = (guard = new NodeGuard(conn, data));
      const lazyGuard = !opts.eagerGuard && !contended.has(opts.parent);
      const create = createProtectedSequential(conn, opts.parent, opts.prefix, data, {
        ...(lazyGuard ? { onChildren: () => g.arm() } : {}),
      });
      const c = conn;
      // On a live connection the create answers within a round trip or fails at the read timeout:
      // only the signal is raced (a timer per acquire would cost more than it saves).
      created = await withDeadline(create, opts, conn, false, (made) => void deleteUntilGone(c, made.node.path));
      noteContention(opts.parent, created.children.length > 1);
    } catch (error) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const unreachable = opts.retryUnreachable === true && error instanceof ConnectTimeoutError;
      if ((isRetryable(error) || unreachable) && !expired(opts)) {
        debug('creating a node under %s failed (%s); retrying', opts.parent, (error as Error).message);
        await pause(opts, attempt);
        continue;
      }
      throw error;
    }
    const { node } = created;
    guard.bind(node.path);
    // A waiter watches its own node at once: a hand-off must never reach a node someone deleted.
    if (!created.childWatch || sortBySequence(created.children)[0] !== node.name) guard.arm();
    const position: Position = { conn, node, data, guard };
    try {
      data = await waitTurn(opts, position, created.children);
      position.data = data;
      return position;
    } catch (error) {
      guard.stop();
      // Remove our node before reporting; if ZooKeeper is out of reach, keep trying in the
      // background (until the session ends) rather than hold the caller past its limit.
      const gone = deleteUntilGone(conn, node.path);
      const outcome = await waitFirst<string>({
        promise: gone,
        timers: [{ at: performance.now() + conn.sessionTimeoutMs / 3, value: 'still trying' }],
      });
      debug('gave up on %s (%s); node %s', node.path, (error as Error).message, outcome);
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (isRetryable(error) && !expired(opts)) {
        await pause(opts, attempt);
        continue;
      }
      if (error instanceof OwnNodeGone) throw new LockTimeoutError(opts.parent, opts.waitForMs ?? 0);
      throw error;
    }
  }
}

function expired(opts: ContendOptions): boolean {
  return opts.deadline !== undefined && performance.now() >= opts.deadline;
}

async function pause(opts: ContendOptions, attempt: number): Promise<void> {
  const ms = opts.retryDelayMs?.(attempt) ?? 0;
  if (ms > 0) await waitFirst({ signal: opts.signal, timers: [{ at: performance.now() + ms, value: 'go' }] });
}

/**
 * Races work against the wait deadline (if `bounded`), the abort signal and, given a connection,
 * the session's end; when it loses, `abandon` undoes whatever the work still does (a create's node).
 */
async function withDeadline<T>(
  work: Promise<T>,
  opts: ContendOptions,
  conn: Connection | undefined,
  bounded = true,
  abandon?: (value: T) => void,
): Promise<T> {
  const timed = bounded && opts.deadline !== undefined;
  // Nothing to race: a request already settles when its session ends.
  if (!opts.signal && !timed) return work;
  work.catch(() => undefined);
  try {
    const r = await waitFirst<T | 'timeout'>({
      promise: work,
      signal: opts.signal,
      lost: conn?.signal,
      timers: timed ? [{ at: opts.deadline!, value: 'timeout' }] : [],
    });
    if (r === 'timeout') throw new LockTimeoutError(opts.parent, opts.waitForMs ?? 0);
    return r as T;
  } catch (error) {
    if (abandon) work.then(abandon, () => undefined);
    throw error;
  }
}

async function waitTurn(
  opts: ContendOptions,
  pos: Position,
  initialChildren: string[],
): Promise<Buffer> {
  const { conn, node, guard } = pos;
  const guardEnd = (): GuardEnd | undefined => guard.end;
  let data = pos.data;
  let children = initialChildren;
  const list = async (): Promise<string[]> => conn.request({ op: 'getChildren', path: opts.parent });
  for (;;) {
    if (guardEnd()) throw new OwnNodeGone();
    const sorted = sortBySequence(children);
    const index = sorted.indexOf(node.name);
    if (index === -1) throw new OwnNodeGone();
    if (index === 0) return data;
    if (expired(opts)) throw new LockTimeoutError(opts.parent, opts.waitForMs ?? 0);
    const predName = sorted[index - 1]!;
    const pred = `${opts.parent}/${predName}`;
    const predIsHolder = index === 1;
    let fired: ((cause: string) => void) | undefined;
    const watchFired = new Promise<string>((resolve) => (fired = resolve));
    let watchDone = false;
    const watcher = (e: WatchEvent): void => {
      watchDone = true;
      fired?.(e.type);
    };
    try {
      let got;
      try {
        got = await withDeadline(conn.request({ op: 'getData', path: pred, watch: watcher }), opts, conn);
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
        children = await withDeadline(list(), opts, conn);
        continue;
      }
      const predDeadline = opts.lease?.deadlineOf(got.data);
      for (;;) {
        const timers: Array<{ at: number; value: string }> = [];
        if (opts.deadline !== undefined) timers.push({ at: opts.deadline, value: 'timeout' });
        if (predDeadline !== undefined) timers.push({ at: performance.now() + (predDeadline - Date.now()), value: 'pred-expired' });
        const refresh = opts.lease?.refreshAt(data);
        if (refresh) timers.push({ at: performance.now() + (refresh.at - Date.now()), value: 'refresh' });
        const cause = await waitFirst<string>({ promises: [watchFired, guard.whenEnded()], signal: opts.signal, lost: conn.signal, timers });
        wakeChannel.publish({ path: node.path, predecessor: pred, cause });
        if (cause === 'timeout') throw new LockTimeoutError(opts.parent, opts.waitForMs ?? 0);
        if (cause === 'guard') throw new OwnNodeGone();
        if (cause === 'refresh' && refresh) {
          const next = refresh.data();
          pos.guard.expect(next);
          await withDeadline(conn.request({ op: 'setData', path: node.path, data: next }), opts, conn);
          data = next;
          continue;
        }
        if (cause === 'pred-expired') {
          debug('%s: predecessor %s passed its lease deadline; deleting it', node.path, pred);
          await conn.request({ op: 'delete', path: pred, version: got.stat.version }).catch(() => undefined);
          children = await withDeadline(list(), opts, conn);
        } else if (cause === 'deleted' && predIsHolder) {
          if (guardEnd()) throw new OwnNodeGone();
          return data;
        } else if (cause === 'deleted') {
          children = await withDeadline(list(), opts, conn);
        }
        break;
      }
    } finally {
      // A wait that ended some other way must not leave its watcher in the client (and re-sent on every reconnect).
      if (!watchDone) conn.forgetWatch(pred, watcher);
    }
  }
}
