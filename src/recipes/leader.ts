/**
 * Leader election (Go `RegionLeader`): the engine with no lease and no wait limit, node creation
 * retried with jittered exponential backoff, and a handle whose `rescinded` promise, `'rescinded'`
 * event and `signal` all fire at once when leadership ends for any reason, on our side first.
 */
import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import { InvalidArgumentError, LeadershipEndedError, SessionClosedError, type RescindReason } from '../errors.js';
import type { Connection, ConnectionHolder } from '../zk/connection.js';
import { releaseOwnNode } from '../zk/protected-create.js';
import type { ResolvedAclEntry } from '../zk/security.js';
import type { Session } from '../zk/session.js';
import { contend, type Position } from './contender.js';
import type { NodeGuard } from './node-guard.js';

const debug = createDebug('zoosync:leader');

/** `sync.regionleader.elected`: `{ id, path, fencingToken }`. */
export const electedChannel = channel('zoosync:sync.regionleader.elected');
/** `sync.regionleader.rescinded`: `{ id, path, reason }` whenever leadership ends. */
export const rescindedChannel = channel('zoosync:sync.regionleader.rescinded');
/** `sync.regionleader.remotely-rescinded`: `{ id, path, reason }` when someone else took our node. */
export const remotelyRescindedChannel = channel('zoosync:sync.regionleader.remotely-rescinded');

/** Go's backoff: 50 ms initial interval; capped here at 5 s; full jitter on the upper half. */
export function backoffMs(attempt: number, initialMs = 50, capMs = 5000): number {
  const ceiling = Math.min(capMs, initialMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

const live = new Set<Leader>();

/** The most a leader may publish in its node: well under the server's 1 MiB packet limit. */
export const MAX_LEADER_DATA_BYTES = 16 * 1024;

/** Checks leader data (a string as UTF-8, or bytes) before any I/O. */
export function leaderData(value: unknown, argument: string): Buffer {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new InvalidArgumentError(argument, 'must be a string or bytes');
  const bytes = Buffer.from(value);
  if (bytes.length > MAX_LEADER_DATA_BYTES) {
    throw new InvalidArgumentError(argument, `must be at most ${MAX_LEADER_DATA_BYTES} bytes, got ${bytes.length} bytes`);
  }
  return bytes;
}

/** Campaigns under `parent` until elected; the signal aborts the campaign and removes our node. */
export async function campaign(
  session: Session,
  id: string,
  parent: string,
  signal?: AbortSignal,
  acl?: readonly ResolvedAclEntry[],
  data?: Buffer,
): Promise<Leader> {
  const pos = await contend({
    session,
    parent,
    prefix: 'lock-',
    signal,
    retryUnreachable: true,
    log: debug,
    containerParents: true,
    acl,
    data,
    retryDelayMs: (attempt) => backoffMs(attempt),
  });
  return new Leader(id, pos);
}

/** Rescinds every live leader of this process and waits for their nodes to go (Go `CleanupRegionLeaders`). */
export async function cleanupRegionLeaders(): Promise<void> {
  const results = await Promise.allSettled([...live].map((leader) => leader.rescind()));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length > 0) throw new AggregateError(failed, `${failed.length} leader node(s) could not be deleted`);
}

/** An elected leader. Port of Go's `Leader` with a reason, a signal and a fencing token. */
export class Leader extends EventEmitter implements AsyncDisposable, ConnectionHolder {
  /** The id campaigned for. */
  readonly id: string;
  /** Our election node. */
  readonly path: string;
  /** Strictly increases for every new leader of this id (the node's czxid). */
  readonly fencingToken: bigint;
  /** Resolves, never rejects, with the reason once leadership has ended. */
  readonly rescinded: Promise<RescindReason>;
  private readonly abort = new AbortController();
  private readonly conn: Connection;
  private readonly guard: NodeGuard;
  private resolveRescinded!: (reason: RescindReason) => void;
  private released: Promise<void> | undefined;
  /** @internal Built by `campaign`. */
  constructor(id: string, pos: Position) {
    super();
    this.id = id;
    this.guard = pos.guard;
    this.conn = pos.conn;
    this.path = pos.node.path;
    this.fencingToken = pos.node.czxid;
    this.rescinded = new Promise((resolve) => (this.resolveRescinded = resolve));
    live.add(this);
    debug('elected leader of %s (%s, token %s)', id, this.path, this.fencingToken);
    if (electedChannel.hasSubscribers) electedChannel.publish({ id, path: this.path, fencingToken: this.fencingToken });
    pos.guard.setHandler((why) => this.end(why === 'deleted' ? 'node-deleted' : 'node-changed'));
    if (!this.released) this.conn.track(this);
  }

  /** @internal Hears from the connection: leadership ends on our side as soon as the session is in doubt. */
  connectionChanged(change: 'suspended' | 'closing' | 'ended'): void {
    if (change === 'suspended') this.end('session-suspended');
    else if (change === 'closing') this.end('closed');
    else this.end(this.conn.signal.reason instanceof SessionClosedError ? 'closed' : 'session-lost');
  }

  /** Aborts, with a `LeadershipEndedError`, the moment leadership ends: pass it to the leader's work. */
  get signal(): AbortSignal {
    this.checkClock();
    return this.abort.signal;
  }

  /** True until leadership ends. */
  get isLeader(): boolean {
    this.checkClock();
    return !this.abort.signal.aborted;
  }

  /** Ends leadership now if the connection has been silent too long, even before our timers have run. */
  private checkClock(): void {
    if (!this.released && !this.conn.isTrusted) this.end('session-suspended');
  }

  /** Gives up leadership; resolves once our node is gone (or our session is), rejects with `ReleaseFailedError` if ZooKeeper refuses to delete it. Idempotent (Go `Rescind`). */
  rescind(): Promise<void> {
    this.end('resigned');
    return this.released!;
  }

  /**
   * Publishes `data` in our election node while we lead (etcd's `Proclaim`): where to reach the
   * leader, what it serves. Rejects with the signal's reason once leadership has ended.
   */
  async proclaim(data: string | Uint8Array): Promise<void> {
    const bytes = leaderData(data, 'data');
    if (!this.isLeader) throw this.abort.signal.reason;
    this.guard.expect(bytes);
    try {
      await this.conn.request({ op: 'setData', path: this.path, data: bytes });
    } catch (error) {
      throw this.released ? this.abort.signal.reason : error;
    }
    if (this.released) throw this.abort.signal.reason;
  }

  /** `await using leader = await regionLeader(...)` rescinds at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.rescind();
  }

  private end(reason: RescindReason): void {
    if (this.released) return;
    this.conn.untrack(this);
    this.guard.stop();
    this.abort.abort(new LeadershipEndedError(this.id, reason));
    this.released = releaseOwnNode(this.conn, this.path).then(
      (outcome) => {
        live.delete(this);
        debug('node %s of %s: %s', this.path, this.id, outcome);
      },
      (error: unknown) => {
        live.delete(this);
        debug('%s', (error as Error).message);
        throw error;
      },
    );
    // rescind() hands this promise out; an end nobody awaits must not become an unhandled rejection.
    this.released.catch(() => undefined);
    debug('leadership of %s ended: %s', this.id, reason);
    this.resolveRescinded(reason);
    if (rescindedChannel.hasSubscribers) rescindedChannel.publish({ id: this.id, path: this.path, reason });
    if ((reason === 'node-deleted' || reason === 'node-changed') && remotelyRescindedChannel.hasSubscribers) {
      remotelyRescindedChannel.publish({ id: this.id, path: this.path, reason });
    }
    try {
      this.emit('rescinded', reason);
    } catch (error) {
      // A throwing listener is the caller's bug: report it as EventEmitter would, after our bookkeeping.
      process.nextTick(() => {
        throw error;
      });
    }
  }
}
