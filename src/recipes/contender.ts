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
import { NodeGuard } from './node-guard.js';
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

/** A waiter's next step: hold, wait on the one node in its way, or wait for any change among the children. */
export type Turn = { hold: true } | { hold: false; watch: string; last: boolean } | { hold: false; watchChildren: true };

/** Who holds and whom a waiter watches (Curator's `LockInternalsDriver`): the one thing a recipe decides. */
export interface TurnPolicy {
  /** The contenders among `children`, in order (names of other shapes are left out, or counted last). */
  order(children: readonly string[]): string[];
  /**
   * Our next step from the ordered contenders and our place among them. `watch` names the node
   * whose deletion may let us in; `last` says its deletion surely does (no re-read needed).
   */
  turn(ordered: readonly string[], index: number): Turn;
}

/** The mutex (go-zookeeper's `Lock`, Curator's `StandardLockInternalsDriver`): the lowest holds, each waiter watches the one before it. */
export const MUTEX_POLICY: TurnPolicy = {
  order: sortContenders,
  turn: (ordered, index) => (index === 0 ? { hold: true } : { hold: false, watch: ordered[index - 1]!, last: index === 1 }),
};

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
  /** Who holds and whom to watch; default the mutex. */
  policy?: TurnPolicy;
  /**
   * Contend on this connection only (a second step under a mutex held on it): a lost session
   * or connection rejects instead of retrying on another.
   */
  connection?: Connection;
}

/** A won position: the connection it lives on, our node, its data and the guard watching it. */
export interface Position {
  conn: Connection;
  node: CreatedNode;
  data: Buffer;
  guard: NodeGuard;
}

class OwnNodeGone extends ZoosyncError {
  constructor(message = 'our node vanished while waiting') {
    super(message, 'ZOOSYNC_INTERNAL_RETRY', true);
  }
}

/**
 * How long before its published deadline a holder is told its lease is ending (shared by the
 * handle's expiry timer and the hand-out check): a twentieth of what is left, 10 to 100 ms.
 */
export function leaseWarningMs(remainingMs: number): number {
  return Math.min(100, Math.max(10, remainingMs / 20));
}

const isRetryable = (e: unknown): boolean =>
  e instanceof SessionLostError || e instanceof ConnectionLossError || e instanceof OwnNodeGone;

/** Retrying is for contenders free to start over; one bound to a connection reports instead. */
const mayRetry = (opts: ContendOptions, e: unknown): boolean => opts.connection === undefined && isRetryable(e);

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
    let create: Promise<{ node: CreatedNode; children: string[] }> | undefined;
    try {
      if (opts.connection && opts.connection.state !== 'connected') throw new ConnectionLossError('the connection this wait is bound to is not connected');
      const live = opts.connection ?? opts.session.current;
      conn = live?.state === 'connected' ? live : await withDeadline(opts.session.connection(), opts, undefined, boundStart);
      guard = new NodeGuard(conn, data);
      create = createProtectedSequential(conn, opts.parent, opts.prefix, data, {
        ...(opts.containerParents ? { parents: { container: true } } : {}),
        ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        acl: opts.acl,
      });
      // The wait limit bounds the create and any recovery of a lost reply.
      created = await withDeadline(create, opts, conn, boundStart);
    } catch (error) {
      // A node our create makes after we stopped waiting for it is removed; after an abort,
      // before we report (a timeout reports at its limit, the removal going on behind it).
      const removal = create && conn ? removeAbandoned(create, conn) : undefined;
      if (opts.signal?.aborted) {
        if (removal && conn) await waitFirst<string>({ promise: removal, timers: [{ at: performance.now() + conn.sessionTimeoutMs / 3, value: 'still trying' }] });
        throw opts.signal.reason;
      }
      const unreachable = opts.retryUnreachable === true && error instanceof ConnectTimeoutError;
      if ((mayRetry(opts, error) || unreachable) && !expired(opts)) {
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
      if (mayRetry(opts, error) && !expired(opts)) {
        await pause(opts, attempt);
        continue;
      }
      // A bound contender's caller starts over (its mutex is gone with the connection).
      if (opts.connection && isRetryable(error) && !expired(opts)) throw error;
      if (error instanceof OwnNodeGone) throw timeoutError(opts, conn);
      if (isRetryable(error) && expired(opts)) throw timeoutError(opts, conn, error);
      throw error;
    }
  }
}

/** A create we stopped waiting for (timeout, abort): once it answers, deletes the node it made. Never rejects. */
function removeAbandoned(create: Promise<{ node: CreatedNode }>, conn: Connection): Promise<string> {
  return create.then(
    (made) => deleteUntilGone(conn, made.node.path).then(() => 'removed', () => 'failed'),
    () => 'no node',
  );
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
 * the session's end. The work goes on when it loses: undoing it is the caller's (see `removeAbandoned`).
 */
async function withDeadline<T>(work: Promise<T>, opts: ContendOptions, conn: Connection | undefined, bounded = true): Promise<T> {
  const timed = bounded && opts.deadline !== undefined;
  // Nothing to race: a request already settles when its session ends.
  if (!opts.signal && !timed) return work;
  work.catch(() => undefined);
  const r = await waitFirst<T | typeof TIMEOUT>({
    promise: work,
    signal: opts.signal,
    lost: conn?.signal,
    timers: timed ? [{ at: opts.deadline!, value: TIMEOUT }] : [],
  });
  if (r === TIMEOUT) throw timeoutError(opts, conn);
  return r;
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

/** Where a waiter stands between wakes. */
interface TurnState {
  data: Buffer;
  children: string[];
  /** Nodes whose expired lease we may not reap (no permission): wait for them instead of spinning. */
  unreapable: Set<string>;
  /** Other nodes' lease deadlines and the version they were read at (children waits only). */
  leases: Map<string, { deadline: number | undefined; version: number }>;
}

async function waitTurn(opts: ContendOptions, pos: Position, initialChildren: string[], log: Debugger): Promise<Buffer> {
  const policy = opts.policy ?? MUTEX_POLICY;
  const state: TurnState = { data: pos.data, children: initialChildren, unreapable: new Set(), leases: new Map() };
  for (;;) {
    if (pos.guard.end) throw new OwnNodeGone();
    removeTwins(pos.conn, opts.parent, pos.node, state.children, log);
    const ordered = policy.order(state.children);
    const index = ordered.indexOf(pos.node.name);
    if (index === -1) throw new OwnNodeGone();
    const turn = policy.turn(ordered, index);
    if (turn.hold) return handOut(opts, pos, state);
    if (expired(opts)) throw timeoutError(opts, pos.conn);
    const next = 'watch' in turn ? await waitOnNode(opts, pos, state, turn, log) : await waitOnChildren(opts, pos, state, policy, log);
    if (next === 'hold') return handOut(opts, pos, state);
  }
}

/**
 * The last step before a turn becomes a hold: a handle is handed out only while it is safe by the
 * clock (etcd's `Mutex.Lock` re-reads its key for the same reason). A process frozen while its
 * turn came, or a connection with no recent answer, confirms our node with a fresh read first; a
 * lease that ran out meanwhile starts the wait over, one past its refresh point is pushed first.
 */
async function handOut(opts: ContendOptions, pos: Position, state: TurnState): Promise<Buffer> {
  if (!pos.conn.isTrusted) await confirmOwnNode(opts, pos, state, true);
  // A lease that ran out is not revived: a contender may already have acted on its deadline.
  if (leaseRanOut(opts, state)) throw new OwnNodeGone('our lease ran out before our turn came');
  const refresh = refreshTimer(opts, state);
  if (refresh && refresh.at <= performance.now()) {
    state.data = await refreshLease(opts, pos, refresh.data());
    // The new deadline was set when the write left: a reply slower than the lease leaves none.
    if (leaseRanOut(opts, state)) throw new OwnNodeGone('our lease ran out while it was being pushed');
  }
  if (!pos.conn.isTrusted) throw new ConnectionLossError('our turn came while the connection had no recent answer from ZooKeeper');
  return state.data;
}

/** Our lease is within the holder's warning margin of its deadline (or past it): a handle would arrive expired. */
function leaseRanOut(opts: ContendOptions, state: TurnState): boolean {
  const deadline = opts.lease?.deadlineOf(state.data);
  if (deadline === undefined) return false;
  const remaining = deadline - Date.now();
  return remaining <= leaseWarningMs(remaining);
}

/** The wall-clock instant a lease deadline may be acted on: past it by the skew the session allows. */
function reapAt(opts: ContendOptions, deadline: number): number {
  return performance.now() + (deadline + opts.session.options.maxClockSkewMs - Date.now());
}

/** Our lease refresh timer, if the policy has one. */
function refreshTimer(opts: ContendOptions, state: TurnState): { at: number; value: string; data: () => Buffer } | undefined {
  const refresh = opts.lease?.refreshAt(state.data);
  return refresh && { at: performance.now() + (refresh.at - Date.now()), value: 'refresh', data: refresh.data };
}

function listChildren(opts: ContendOptions, conn: Connection): Promise<string[]> {
  return withDeadline(conn.request({ op: 'getChildren', path: opts.parent }), opts, conn);
}

/** Deletes a node whose lease passed, if it is still the version we read; says nothing if it is gone or changed. */
async function reap(opts: ContendOptions, pos: Position, state: TurnState, path: string, version: number, log: Debugger): Promise<void> {
  log('%s: %s passed its lease deadline; deleting it', pos.node.path, path);
  try {
    await withDeadline(pos.conn.request({ op: 'delete', path, version }), opts, pos.conn);
  } catch (error) {
    if (error instanceof NoAuthError) {
      log('%s: may not delete %s (%s); waiting for it to go', pos.node.path, path, error.message);
      state.unreapable.add(path);
    } else if (!(error instanceof NoNodeError || error instanceof BadVersionError)) throw error;
  }
}

/**
 * Before a hand-off: our node must still be ours. The guard's watch says so when it is armed;
 * after a re-arming read failed (a connection that dropped our bytes while our lease refresh was
 * pending, and a contender reaped us meanwhile), or when asked for a `fresh` read, only a read can.
 */
async function confirmOwnNode(opts: ContendOptions, pos: Position, state: TurnState, fresh = false): Promise<void> {
  // Our guard may be re-arming (after our own lease refresh): let its read answer first.
  await pos.guard.settled();
  if (pos.guard.end) throw new OwnNodeGone();
  if (pos.guard.vouches && !fresh) return;
  try {
    const got = await withDeadline(pos.conn.request({ op: 'getData', path: pos.node.path }), opts, pos.conn);
    if (!got.data.equals(state.data)) throw new OwnNodeGone();
  } catch (error) {
    if (error instanceof NoNodeError) throw new OwnNodeGone();
    throw error;
  }
  if (pos.guard.end) throw new OwnNodeGone();
}

/** A watcher and a promise of its event's type; `hasFired` says whether the client still holds it. */
function oneShotWatch(): { watcher: (e: WatchEvent) => void; watchFired: Promise<string>; hasFired: () => boolean } {
  let fired: ((cause: string) => void) | undefined;
  let done = false;
  const watchFired = new Promise<string>((resolve) => (fired = resolve));
  const watcher = (e: WatchEvent): void => {
    done = true;
    fired?.(e.type);
  };
  return { watcher, watchFired, hasFired: () => done };
}

/** Waits on the one node in our way (the mutex's predecessor, a reader's nearest writer). */
async function waitOnNode(
  opts: ContendOptions,
  pos: Position,
  state: TurnState,
  turn: { watch: string; last: boolean },
  log: Debugger,
): Promise<'hold' | 'again'> {
  const { conn, node, guard } = pos;
  const pred = `${opts.parent}/${turn.watch}`;
  const { watcher, watchFired, hasFired } = oneShotWatch();
  try {
    let got;
    try {
      got = await withDeadline(conn.request({ op: 'getData', path: pred, watch: watcher }), opts, conn);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      state.children = await listChildren(opts, conn);
      return 'again';
    }
    const predDeadline = state.unreapable.has(pred) ? undefined : opts.lease?.deadlineOf(got.data);
    for (;;) {
      const timers: Array<{ at: number; value: string }> = [];
      if (opts.deadline !== undefined) timers.push({ at: opts.deadline, value: 'timeout' });
      if (predDeadline !== undefined) timers.push({ at: reapAt(opts, predDeadline), value: 'pred-expired' });
      const refresh = refreshTimer(opts, state);
      if (refresh) timers.push(refresh);
      const cause = await waitFirst<string>({ promises: [watchFired, guard.whenEnded()], signal: opts.signal, lost: conn.signal, timers });
      wakeChannel.publish({ path: node.path, predecessor: pred, cause });
      if (cause === 'timeout') throw timeoutError(opts, conn);
      if (cause === 'guard') throw new OwnNodeGone();
      if (cause === 'refresh' && refresh) {
        state.data = await refreshLease(opts, pos, refresh.data());
        continue;
      }
      if (cause === 'pred-expired') {
        await reap(opts, pos, state, pred, got.stat.version, log);
        state.children = await listChildren(opts, conn);
      } else if (cause === 'deleted' && turn.last) {
        await confirmOwnNode(opts, pos, state);
        return 'hold';
      } else if (cause === 'deleted') {
        state.children = await listChildren(opts, conn);
      }
      return 'again';
    }
  } finally {
    // A wait that ended some other way must not leave its watcher in the client (and re-sent on every reconnect).
    if (!hasFired()) conn.forgetWatch(pred, watcher);
  }
}

/**
 * Waits for any change among the children (count-based recipes: the semaphore's lease holder,
 * which is alone in waiting here because leases are only made under its mutex), reaping leases
 * that passed their deadline.
 */
async function waitOnChildren(opts: ContendOptions, pos: Position, state: TurnState, policy: TurnPolicy, log: Debugger): Promise<'hold' | 'again'> {
  const { conn, node, guard } = pos;
  const { watcher, watchFired, hasFired } = oneShotWatch();
  try {
    state.children = await withDeadline(conn.request({ op: 'getChildren', path: opts.parent, watch: watcher }), opts, conn);
    const ordered = policy.order(state.children);
    const index = ordered.indexOf(node.name);
    if (index === -1) throw new OwnNodeGone();
    if (policy.turn(ordered, index).hold) {
      await confirmOwnNode(opts, pos, state);
      return 'hold';
    }
    const expiry = opts.lease ? await earliestLease(opts, pos, state) : undefined;
    for (;;) {
      const timers: Array<{ at: number; value: string }> = [];
      if (opts.deadline !== undefined) timers.push({ at: opts.deadline, value: 'timeout' });
      if (expiry) timers.push({ at: reapAt(opts, expiry.deadline), value: 'lease-expired' });
      const refresh = refreshTimer(opts, state);
      if (refresh) timers.push(refresh);
      const cause = await waitFirst<string>({ promises: [watchFired, guard.whenEnded()], signal: opts.signal, lost: conn.signal, timers });
      wakeChannel.publish({ path: node.path, predecessor: opts.parent, cause });
      if (cause === 'timeout') throw timeoutError(opts, conn);
      if (cause === 'guard') throw new OwnNodeGone();
      if (cause === 'refresh' && refresh) {
        state.data = await refreshLease(opts, pos, refresh.data());
        continue;
      }
      if (cause === 'lease-expired' && expiry) {
        await reap(opts, pos, state, `${opts.parent}/${expiry.name}`, expiry.version, log);
        state.leases.delete(expiry.name);
      }
      // Read without a watch first: a wake usually lets us in, and a watch left behind would
      // bring the server's notification of the next lease made.
      state.children = await listChildren(opts, conn);
      return 'again';
    }
  } finally {
    if (!hasFired()) conn.forgetWatch(opts.parent, watcher);
  }
}

/** The other node whose lease ends first (reading each node's deadline once per version seen). */
async function earliestLease(
  opts: ContendOptions,
  pos: Position,
  state: TurnState,
): Promise<{ name: string; deadline: number; version: number } | undefined> {
  const present = new Set(state.children);
  for (const name of state.leases.keys()) if (!present.has(name)) state.leases.delete(name);
  const unread = state.children.filter((name) => name !== pos.node.name && !state.leases.has(name));
  await Promise.all(
    unread.map(async (name) => {
      try {
        const got = await withDeadline(pos.conn.request({ op: 'getData', path: `${opts.parent}/${name}` }), opts, pos.conn);
        state.leases.set(name, { deadline: opts.lease?.deadlineOf(got.data), version: got.stat.version });
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
    }),
  );
  let first: { name: string; deadline: number; version: number } | undefined;
  for (const [name, lease] of state.leases) {
    if (lease.deadline === undefined || state.unreapable.has(`${opts.parent}/${name}`)) continue;
    if (!first || lease.deadline < first.deadline) first = { name, deadline: lease.deadline, version: lease.version };
  }
  return first;
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
