/**
 * Watches a node we own and reports, once, when anyone else deletes or changes it: the way a
 * holder or leader learns that an operator (or a Go contender reaping an expired lease) took
 * its node away.
 */
import { ConnectionLossError, NoNodeError, SessionClosedError, SessionLostError } from '../errors.js';
import type { Connection } from '../zk/connection.js';
import type { WatchEvent } from '../zk/requests.js';

/** Why a guarded node was taken away. */
export type GuardEnd = 'deleted' | 'changed';

/** One-shot watcher of our own node; its handler fires at most once. */
export class NodeGuard {
  /** Our node's path, known once the create has answered (`bind`). */
  path = '';
  private armWhenBound = false;
  private ended: GuardEnd | undefined;
  private stopped = false;
  private armed = false;
  private readOk = false;
  private readonly ours: Buffer[];
  private handler: ((why: GuardEnd) => void) | undefined;
  private endedPromise: Promise<'guard'> | undefined;
  /** The read that (re-)sets our watch, while it is in flight. */
  private reading: Promise<void> | undefined;
  private resolveEnded: ((v: 'guard') => void) | undefined;

  constructor(
    private readonly conn: Connection,
    data: Buffer,
  ) {
    this.ours = [data];
  }

  /** Why the node was taken away, if it was. */
  get end(): GuardEnd | undefined {
    return this.ended;
  }

  /** Sets who is told when the node is taken (at once if it already was). */
  setHandler(handler: (why: GuardEnd) => void): void {
    this.handler = handler;
    if (this.ended) handler(this.ended);
  }

  /** Resolves with 'guard' once the node is taken. */
  whenEnded(): Promise<'guard'> {
    this.endedPromise ??= this.ended ? Promise.resolve('guard') : new Promise((resolve) => (this.resolveEnded = resolve));
    return this.endedPromise;
  }

  /**
   * True when the guard's last read of our node answered and set its watch, and no read is in
   * flight: until the watch fires, the node is ours. False after a failed read (a connection
   * loss while re-arming), when only a fresh read can tell.
   */
  get vouches(): boolean {
    return this.armed && this.readOk && this.reading === undefined && this.ended === undefined && !this.stopped;
  }

  /** Resolves once no read of our node is in flight: what the guard knows is then current up to its reply. */
  async settled(): Promise<void> {
    while (this.reading) await this.reading;
  }

  /** Sets the watch on our node (once; later calls do nothing); reports at once if it is already gone. */
  arm(): void {
    if (this.stopped || this.ended || this.armed) return;
    // A notification can arrive in the same read as the create's reply, before we know our path.
    if (this.path === '') {
      this.armWhenBound = true;
      return;
    }
    this.armed = true;
    this.watchData();
  }

  /** Sets our node's path, arming the watch if that was asked for before the path was known. */
  bind(path: string): void {
    this.path = path;
    if (this.armWhenBound) this.arm();
  }

  /** Records data we are about to write ourselves, so our own change is not taken for someone else's. */
  expect(data: Buffer): void {
    // Our own last writes only: a write still in flight and the one before it.
    this.ours.push(data);
    if (this.ours.length > 3) this.ours.shift();
  }

  /** Stops reporting. */
  stop(): void {
    this.stopped = true;
  }

  private onEvent(event: WatchEvent): void {
    if (this.stopped || this.ended) return;
    if (event.type === 'deleted') this.fire('deleted');
    else this.watchData();
  }

  /** Reads our node with a watch: gone means deleted, data not ours means changed (also before the watch was set). */
  private watchData(): void {
    const reading: Promise<void> = this.conn.request({ op: 'getData', path: this.path, watch: (e) => this.onEvent(e) }).then(
      ({ data }) => {
        if (this.reading === reading) this.reading = undefined;
        this.readOk = true;
        if (!this.ours.some((mine) => mine.equals(data))) this.fire('changed');
      },
      (error: unknown) => {
        if (this.reading === reading) this.reading = undefined;
        this.readOk = false;
        this.onReadError(error);
      },
    );
    this.reading = reading;
  }

  private onReadError(error: unknown): void {
    if (error instanceof NoNodeError) this.fire('deleted');
    else if (error instanceof ConnectionLossError) {
      if (!this.stopped) setTimeout(() => this.retry(), 20).unref();
    } else if (!(error instanceof SessionLostError || error instanceof SessionClosedError)) {
      // We can no longer vouch for the node: fail safe. (Session loss is the owner's to handle.)
      this.fire('changed');
    }
  }

  private retry(): void {
    if (this.stopped || this.ended || this.conn.signal.aborted) return;
    this.armed = false;
    this.arm();
  }

  private fire(why: GuardEnd): void {
    if (this.stopped || this.ended) return;
    this.ended = why;
    this.resolveEnded?.('guard');
    this.handler?.(why);
  }
}
