/**
 * The sequential-node engine every recipe stands on (Curator's `LockInternals`): create a
 * protected ephemeral-sequential node, hold when lowest, otherwise watch only the predecessor,
 * and always remove our own node when the wait ends without holding.
 */
import { channel } from 'node:diagnostics_channel';
import createDebug from 'debug';
import {
  BadVersionError,
  ConnectionLossError,
  ConnectTimeoutError,
  LockTimeoutError,
  NoAuthError,
  NoNodeError,
  SessionLostError,
  ZoosyncError,
} from '../errors.js';
import { guidOf, sortContenders } from '../wire/node-name.js';
import type { Connection } from '../zk/connection.js';
import type { WatchEvent } from '../zk/requests.js';
import { createProtectedSequential, deleteUntilGone, type CreatedNode } from '../zk/protected-create.js';
import type { ResolvedAclEntry } from '../zk/security.js';
import type { Session } from '../zk/session.js';
import { NodeGuard, type GuardEnd } from './node-guard.js';
import { waitFirst } from './wait.js';

/** A `debug` logger, typed structurally so the published .d.ts files need no `@types/debug`. */
type Debugger = (formatter: unknown, ...args: unknown[]) => void;

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
  /** Keep retrying (with `retryDelayMs`) while ZooKeeper cannot be reached at all (leaders do). */
  retryUnreachable?: boolean;
  /** Create missing parents as container nodes, which the server removes once empty (leaders do). */
  containerParents?: boolean;
  /** Where to log (the recipe's own `debug` namespace); default `zoosync:lock`. */
  log?: Debugger;
  /** The ACL of our node and of any parent made; default the session's. */
  acl?: readonly ResolvedAclEntry[] | undefined;
  /** Our node's data for recipes without a lease (a leader's published data). */
  data?: Buffer | undefined;
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

const isRetryable = (e: unknown): boolean =>
  e instanceof SessionLostError || e instanceof ConnectionLossError || e instanceof OwnNodeGone;

/** Waits until we hold the lowest node under `parent`; rejects on timeout or abort after removing our node. */
export async function contend(opts: ContendOptions): Promise<Position> {
  const log = opts.log ?? debug;
  // The wait limit also bounds getting a connection, except for a try (waitForMs 0), which
  // always gets its answer.
  const boundStart = opts.waitForMs !== 0;
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    let data = opts.lease?.initialData() ?? opts.data ?? Buffer.alloc(0);
    let conn: Connection | undefined;
    let created: { node: CreatedNode; children: string[] };
    let guard: NodeGuard;
    try {
      const live = opts.session.current;
      conn = live?.state === 'connected' ? live : await withDeadline(opts.session.connection(), opts, undefined, boundStart);
      guard = new NodeGuard(conn, data);
      const create = createProtectedSequential(conn, opts.parent, opts.prefix, data, {
        ...(opts.containerParents ? { parents: { container: true } } : {}),
        ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        acl: opts.acl,
      });
      const c = conn;
      // The wait limit bounds the create and any recovery of a lost reply; a node made after we
      // gave up is removed in the background.
      created = await withDeadline(create, opts, conn, boundStart, (made) => void deleteUntilGone(c, made.node.path));
    } catch (error) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const unreachable = opts.retryUnreachable === true && error instanceof ConnectTimeoutError;
      if ((isRetryable(error) || unreachable) && !expired(opts)) {
        log('creating a node under %s failed (%s); retrying', opts.parent, (error as Error).message);
        await pause(opts, attempt);
        continue;
      }
      if (isRetryable(error) && expired(opts)) throw timeoutError(opts, conn, error);
      throw error;
    }
    const { node } = created;
    guard.bind(node.path);
    // Every holder and waiter watches its own node at once: a change to its data (an operator, a
    // contender reaping an expired lease) must reach the handle, and a hand-off must never reach
    // a node someone deleted.
    guard.arm();
    const position: Position = { conn, node, data, guard };
    try {
      data = await waitTurn(opts, position, created.children, log);
      position.data = data;
      return position;
    } catch (error) {
      guard.stop();
      // Remove our node before reporting; if ZooKeeper is out of reach, keep trying in the
      // background (until the session ends) rather than hold the caller past its limit.
      const outcome = await waitFirst<string>({
        promise: deleteUntilGone(conn, node.path),
        timers: [{ at: performance.now() + conn.sessionTimeoutMs / 3, value: 'still trying' }],
      });
      log('gave up on %s (%s); node %s', node.path, (error as Error).message, outcome);
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (isRetryable(error) && !expired(opts)) {
        await pause(opts, attempt);
        continue;
      }
      if (error instanceof OwnNodeGone) throw timeoutError(opts, conn);
      if (isRetryable(error) && expired(opts)) throw timeoutError(opts, conn, error);
      throw error;
    }
  }
}

/** The wait limit passed: says whether ZooKeeper was out of reach, with what went wrong as the cause. */
function timeoutError(opts: ContendOptions, conn: Connection | undefined, cause?: unknown): LockTimeoutError {
  const waited = opts.waitForMs ?? 0;
  if (conn === undefined || conn.state !== 'connected') {
    const hosts = opts.session.options.hosts;
    const why = cause instanceof ZoosyncError ? cause : new ConnectTimeoutError(hosts, waited);
    return new LockTimeoutError(opts.parent, waited, { cause: why, unreachable: hosts });
  }
  return new LockTimeoutError(opts.parent, waited, cause === undefined ? undefined : { cause });
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
    const r = await waitFirst<T | typeof TIMEOUT>({
      promise: work,
      signal: opts.signal,
      lost: conn?.signal,
      timers: timed ? [{ at: opts.deadline!, value: TIMEOUT }] : [],
    });
    if (r === TIMEOUT) throw timeoutError(opts, conn);
    return r as T;
  } catch (error) {
    if (abandon) work.then(abandon, () => undefined);
    throw error;
  }
}

const TIMEOUT = Symbol('timeout');

/** Deletes nodes that carry our guid but are not ours: a create that was only delayed landed beside its retry. */
function removeTwins(conn: Connection, parent: string, node: CreatedNode, children: readonly string[], log: Debugger): void {
  for (const name of children) {
    if (name !== node.name && guidOf(name) === node.guid) {
      log('%s: deleting %s, a second node of our create', node.path, name);
      void deleteUntilGone(conn, `${parent}/${name}`);
    }
  }
}

async function waitTurn(opts: ContendOptions, pos: Position, initialChildren: string[], log: Debugger): Promise<Buffer> {
  const { conn, node, guard } = pos;
  const guardEnd = (): GuardEnd | undefined => guard.end;
  let data = pos.data;
  let children = initialChildren;
  /** Predecessors whose expired lease we may not reap (no permission): wait for them instead of spinning. */
  const unreapable = new Set<string>();
  const list = async (): Promise<string[]> => withDeadline(conn.request({ op: 'getChildren', path: opts.parent }), opts, conn);
  for (;;) {
    if (guardEnd()) throw new OwnNodeGone();
    removeTwins(conn, opts.parent, node, children, log);
    const sorted = sortContenders(children);
    const index = sorted.indexOf(node.name);
    if (index === -1) throw new OwnNodeGone();
    if (index === 0) return data;
    if (expired(opts)) throw timeoutError(opts, conn);
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
        children = await list();
        continue;
      }
      const predDeadline = unreapable.has(pred) ? undefined : opts.lease?.deadlineOf(got.data);
      for (;;) {
        const timers: Array<{ at: number; value: string }> = [];
        if (opts.deadline !== undefined) timers.push({ at: opts.deadline, value: 'timeout' });
        if (predDeadline !== undefined) timers.push({ at: performance.now() + (predDeadline - Date.now()), value: 'pred-expired' });
        const refresh = opts.lease?.refreshAt(data);
        if (refresh) timers.push({ at: performance.now() + (refresh.at - Date.now()), value: 'refresh' });
        const cause = await waitFirst<string>({ promises: [watchFired, guard.whenEnded()], signal: opts.signal, lost: conn.signal, timers });
        wakeChannel.publish({ path: node.path, predecessor: pred, cause });
        if (cause === 'timeout') throw timeoutError(opts, conn);
        if (cause === 'guard') throw new OwnNodeGone();
        if (cause === 'refresh' && refresh) {
          data = await refreshLease(opts, pos, refresh.data());
          continue;
        }
        if (cause === 'pred-expired') {
          log('%s: predecessor %s passed its lease deadline; deleting it', node.path, pred);
          try {
            await withDeadline(conn.request({ op: 'delete', path: pred, version: got.stat.version }), opts, conn);
          } catch (error) {
            if (error instanceof NoAuthError) {
              log('%s: may not delete %s (%s); waiting for it to go', node.path, pred, error.message);
              unreapable.add(pred);
            } else if (!(error instanceof NoNodeError || error instanceof BadVersionError)) throw error;
          }
          children = await list();
        } else if (cause === 'deleted' && predIsHolder) {
          // Our guard may be re-arming (after our own lease refresh): let its read answer first.
          await guard.settled();
          if (guardEnd()) throw new OwnNodeGone();
          return data;
        } else if (cause === 'deleted') {
          children = await list();
        }
        break;
      }
    } finally {
      // A wait that ended some other way must not leave its watcher in the client (and re-sent on every reconnect).
      if (!watchDone) conn.forgetWatch(pred, watcher);
    }
  }
}

/** Pushes a waiting node's own lease deadline; our node gone means we lost our place. */
async function refreshLease(opts: ContendOptions, pos: Position, next: Buffer): Promise<Buffer> {
  pos.guard.expect(next);
  try {
    await withDeadline(pos.conn.request({ op: 'setData', path: pos.node.path, data: next }), opts, pos.conn);
  } catch (error) {
    if (error instanceof NoNodeError) throw new OwnNodeGone();
    throw error;
  }
  return next;
}
