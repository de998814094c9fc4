/**
 * `Session`: the long-lived handle recipes take. It connects lazily, owns the current
 * `Connection`, reports `connected`/`suspended`/`reconnected`/`lost`/`closed`, and opens a fresh
 * ZooKeeper session for later calls once the old one is lost (etcd's `concurrency.Session` role).
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { AuthFailedError, ConnectTimeoutError, SessionClosedError, SessionLostError, TlsError, type ZoosyncError } from '../errors.js';
import { resolveSessionOptions, type ResolvedSessionOptions, type SessionOptions } from './config.js';
import { Connection } from './connection.js';
import type { Op, OpResult } from './requests.js';

/** The states a Session reports. `idle`: nothing opened yet. */
export type SessionState = 'idle' | 'connecting' | 'connected' | 'suspended' | 'lost' | 'closed';

/** A ZooKeeper session that reconnects, and replaces itself once lost. Emits its state changes. */
export class Session extends EventEmitter {
  /** The validated options this session was built with. */
  readonly options: ResolvedSessionOptions;
  private conn: Connection | undefined;
  private epoch = new AbortController();
  private closed = false;

  /** Validates `options` (throwing `ConfigurationError` before any I/O); connects on first use. */
  constructor(options: SessionOptions = {}) {
    super();
    this.options = resolveSessionOptions(options);
    this.setMaxListeners(0);
    setMaxListeners(0, this.epoch.signal);
  }

  /** `idle` before first use, then the state of the current ZooKeeper session. */
  get state(): SessionState {
    if (this.closed) return 'closed';
    return this.conn?.state ?? 'idle';
  }

  /** Aborted when the current ZooKeeper session is lost or this Session is closed. */
  get signal(): AbortSignal {
    return this.epoch.signal;
  }

  /** The current connection, if one was opened and is not over. */
  get current(): Connection | undefined {
    const c = this.conn;
    return c && c.state !== 'lost' && c.state !== 'closed' ? c : undefined;
  }

  /** The negotiated session timeout of the current connection, else the requested one. */
  get sessionTimeoutMs(): number {
    return this.current?.sessionTimeoutMs ?? this.options.sessionTimeoutMs;
  }

  /**
   * A connected Connection: opens one if needed and waits up to `connectTimeoutMs` for it. A
   * session lost while waiting is replaced within the same wait.
   */
  async connection(): Promise<Connection> {
    const deadline = performance.now() + this.options.connectTimeoutMs;
    for (;;) {
      if (this.closed) throw new SessionClosedError();
      const c = this.current ?? this.open();
      if (c.state === 'connected') return c;
      const left = deadline - performance.now();
      try {
        await c.waitConnected(Math.max(1, left));
        return c;
      } catch (error) {
        if (error instanceof SessionLostError && deadline - performance.now() > 0) continue;
        // Neither a refused authentication nor a refused certificate gets better by waiting.
        if (error instanceof SessionLostError || error instanceof SessionClosedError || error instanceof AuthFailedError || error instanceof TlsError) throw error;
        if (c.sessionId === undefined) {
          c.destroy(new ConnectTimeoutError(this.options.hosts, this.options.connectTimeoutMs));
          throw new ConnectTimeoutError(this.options.hosts, this.options.connectTimeoutMs, { cause: error });
        }
        throw error;
      }
    }
  }

  /** Sends one request on a connected session. */
  async request<T extends Op>(op: T): Promise<OpResult<T>> {
    return (await this.connection()).request(op);
  }

  /** Closes the ZooKeeper session (its ephemeral nodes go at once); later calls reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const c = this.conn;
    this.conn = undefined;
    if (c) await c.close();
    if (!this.epoch.signal.aborted) this.epoch.abort(new SessionClosedError());
    try {
      this.emit('closed');
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  private open(): Connection {
    if (this.epoch.signal.aborted) this.epoch = new AbortController();
    setMaxListeners(0, this.epoch.signal);
    const epoch = this.epoch;
    const c = new Connection(this.options);
    this.conn = c;
    c.on('connected', () => this.emit('connected'));
    c.on('reconnected', () => this.emit('reconnected'));
    c.on('suspended', (why: string) => this.emit('suspended', why));
    c.on('lost', (reason: ZoosyncError) => {
      if (!epoch.signal.aborted) epoch.abort(reason);
      if (this.conn === c) this.conn = undefined;
      if (reason instanceof ConnectTimeoutError) return;
      this.emit('lost', reason);
    });
    c.on('closed', () => {
      if (!epoch.signal.aborted) epoch.abort(new SessionClosedError());
    });
    return c;
  }
}
