/**
 * One ZooKeeper session over one node-zookeeper-client: its liveness clock, its states, and its
 * requests as promises. A `Connection` never comes back once lost; `Session` replaces it.
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import createDebug from 'debug';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  AuthFailedError,
  ChrootMissingError,
  ConnectionLossError,
  NoAuthError,
  NoNodeError,
  SessionClosedError,
  SessionLostError,
  TlsError,
  ZoosyncError,
} from '../errors.js';
import {
  client as zkClient,
  CM_STATES,
  addAuth,
  coalesceWrites,
  connectTls,
  frameReplies,
  handshakeWithChunkedWatches,
  registerManager,
  setServers,
  type ConnectionManager,
  type ZkClient,
  wrapRequestCounter,
} from './client-internals.js';
import { parseServers } from './config.js';
import { describeTlsFailure, type ResolvedAclEntry } from './security.js';
import { PendingRequests } from './pending.js';
import { forgetWatcher, type Op, type OpResult, type Stat, type WatchEvent, type Watcher, requestFor } from './requests.js';

const debug = createDebug('zoosync:session');

/** Something held on a connection (a lock, a leadership) that must hear at once when it can no longer be trusted. */
export interface ConnectionHolder {
  /** `suspended`: no contact; `closing`: close() began; `ended`: the session is lost or closed. */
  connectionChanged(change: 'suspended' | 'closing' | 'ended'): void;
}

/** The states a connection moves through; `lost` and `closed` are final. */
export type ConnectionState = 'connecting' | 'connected' | 'suspended' | 'lost' | 'closed';

/** What a connection is built from. */
export interface ConnectionOptions {
  hosts: string;
  sessionTimeoutMs: number;
  /** Random wait before cycling through the server list again (the client's spinDelay). */
  spinDelayMs: number;
  /** Sent on every connection before any request. */
  auth?: ReadonlyArray<{ scheme: string; credentials: Buffer }>;
  /** The ACL of every node created without one of its own. */
  acl?: readonly ResolvedAclEntry[];
  /** TLS options: connect with TLS instead of plain TCP. */
  tls?: TlsConnectionOptions | undefined;
}

let nextConnectionId = 1;
const now = (): number => performance.now();

/**
 * A single ZooKeeper session. Emits `connected`, `suspended`, `reconnected`, `closing`, `lost` and `closed`.
 * Silence is detected by its own clock (the client has no read timeout); loss is declared by its
 * own clock once suspended for the session timeout.
 */
export class Connection extends EventEmitter {
  readonly id = nextConnectionId++;
  readonly hosts: string;
  private readonly client: ZkClient;
  private readonly cm: ConnectionManager;
  private readonly acl: readonly ResolvedAclEntry[] | undefined;
  private readonly authSchemes: string[];
  private readonly serverCount: number;
  /** Certificate failures in a row, over the servers: one per server means TLS cannot work. */
  private tlsFailures = 0;
  private readonly abort = new AbortController();
  private readonly pending = new PendingRequests();
  private connectedAt = 0;
  private readonly holders = new Set<ConnectionHolder>();
  private readonly checkTimer: NodeJS.Timeout;
  private stateValue: ConnectionState = 'connecting';
  private everConnected = false;
  private killed = false;
  private closing = false;
  private tcpConnectedAt = 0;
  private timeoutMs: number;
  /** A heartbeat request is in flight. */
  private heartbeating = false;
  /** A request was answered since the last handshake. */
  private answeredSinceConnect = false;
  /**
   * performance.now() at which the last answered request (or the handshake that created the
   * session) was sent: the server heard from us at or after it, so it cannot expire the session
   * before this plus the timeout. Bytes alone prove nothing (in a one-way partition notifications
   * still arrive), and neither does a reconnect handshake (a server may drop us right after it).
   */
  private contactAt = 0;
  /** performance.now() when the connection was last seen suspended, or undefined. */
  suspendedAt: number | undefined;

  constructor(options: ConnectionOptions) {
    super();
    // Every held lock and leader listens here: many listeners are normal, not a leak.
    this.setMaxListeners(0);
    setMaxListeners(0, this.abort.signal);
    this.hosts = options.hosts;
    this.timeoutMs = options.sessionTimeoutMs;
    this.client = zkClient.createClient(options.hosts, {
      sessionTimeout: options.sessionTimeoutMs,
      spinDelay: options.spinDelayMs,
      retries: 0,
    });
    this.cm = this.client.connectionManager;
    // The client's own parser splits on ':' and so cannot read `[::1]:2181`.
    const servers = parseServers(options.hosts);
    setServers(this.cm, servers);
    this.serverCount = servers.length;
    this.acl = options.acl;
    this.authSchemes = (options.auth ?? []).map((a) => a.scheme);
    for (const { scheme, credentials } of options.auth ?? []) addAuth(this.client, scheme, credentials);
    registerManager(this, this.cm);
    wrapRequestCounter(this.cm);
    coalesceWrites(this.cm);
    frameReplies(this.cm);
    this.hookClient(options.tls);
    const interval = Math.max(5, Math.min(200, Math.floor(options.sessionTimeoutMs / 30)));
    this.checkTimer = setInterval(() => this.checkLiveness(interval), interval);
    this.checkTimer.unref();
    debug('connection %d: connecting to %s (session timeout %d ms)', this.id, this.hosts, this.timeoutMs);
    this.client.connect();
  }

  /** Current state. */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Aborted, with a `SessionLostError` or `SessionClosedError`, when this session ends. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** The negotiated session timeout once connected, the requested one before. */
  get sessionTimeoutMs(): number {
    return this.timeoutMs;
  }

  /** The server-assigned session id as hex, or undefined before the first connect. */
  get sessionId(): string | undefined {
    return this.everConnected ? this.client.getSessionId().toString('hex') : undefined;
  }

  /** The host:port of the server the socket is connected to, if any. */
  get remoteAddress(): string | undefined {
    const socket = this.cm.socket;
    return socket?.remoteAddress === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort}`;
  }

  /** Connected, and a request sent within the read timeout was answered, by the clock now (not only by events). */
  get isTrusted(): boolean {
    return this.stateValue === 'connected' && now() - this.contactAt <= (this.timeoutMs * 2) / 3;
  }

  /** True once `close()` has begun. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Resolves once connected; rejects when lost/closed/closing or after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason);
    if (this.closing) return Promise.reject(new SessionClosedError());
    if (this.stateValue === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('connected', onUp);
        this.off('reconnected', onUp);
        this.signal.removeEventListener('abort', onDown);
      };
      const onUp = (): void => {
        cleanup();
        resolve();
      };
      const onDown = (): void => {
        cleanup();
        reject(this.signal.reason);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new ConnectionLossError(`not connected to ZooKeeper within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('connected', onUp);
      this.on('reconnected', onUp);
      this.signal.addEventListener('abort', onDown, { once: true });
    });
  }

  /** Sends one request; the promise settles with its result or a typed error. */
  request<T extends Op>(op: T): Promise<OpResult<T>> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason);
    if (this.closing) return Promise.reject(new SessionClosedError());
    return new Promise((resolve, reject) => {
      const settle = this.pending.add(resolve, reject);
      const { request, finish } = requestFor(op, this.cm, this.acl);
      const queuedAt = now();
      this.cm.queue(request, (error, response) => {
        // A reply (error replies too) proves the server heard from us; the client's own failures carry none.
        if (response) this.answered(queuedAt);
        settle(() => {
          try {
            return finish(error, response) as OpResult<T>;
          } catch (failure) {
            throw namingPermission(op, this.namingChroot(op, failure));
          }
        });
      });
    });
  }

  /** A NoNode on creating a top-level node under a chroot can only mean the chroot is missing: say so. */
  private namingChroot(op: Op, failure: unknown): unknown {
    const chroot = this.cm.chrootPath;
    if (!(failure instanceof NoNodeError) || chroot === undefined || op.op !== 'create' || op.path.lastIndexOf('/') !== 0) return failure;
    return new ChrootMissingError(chroot, op.path);
  }

  /** Moves the contact clock to the send time of a request just answered. */
  private answered(queuedAt: number): void {
    // Queued while disconnected, it left at the handshake.
    const sentAt = Math.max(queuedAt, this.connectedAt);
    if (sentAt > this.contactAt) this.contactAt = sentAt;
    this.answeredSinceConnect = true;
  }

  /** Sends a cheap read when nothing was answered for a third of the timeout: liveness rests on answers. */
  private heartbeat(t: number): void {
    // Right after a handshake too: until something is answered, the session's clock still runs down.
    if (this.heartbeating || (this.answeredSinceConnect && t - this.contactAt < this.timeoutMs / 3)) return;
    this.heartbeating = true;
    this.request({ op: 'exists', path: '/' })
      .catch(() => undefined)
      .finally(() => (this.heartbeating = false));
  }

  /** Drops a watcher that will no longer be waited on (see `forgetWatcher`). */
  forgetWatch(path: string, watch: Watcher): void {
    forgetWatcher(this.cm, path, watch);
  }

  /** Tells `holder` of suspension, closing and the end of the session, until `untrack`; at once if one already happened. */
  track(holder: ConnectionHolder): void {
    if (this.signal.aborted) holder.connectionChanged('ended');
    else if (this.closing) holder.connectionChanged('closing');
    else if (this.stateValue !== 'connected') holder.connectionChanged('suspended');
    else this.holders.add(holder);
  }

  /** Stops telling `holder`. */
  untrack(holder: ConnectionHolder): void {
    this.holders.delete(holder);
  }

  /**
   * Emits from inside the client's socket and state callbacks: a listener that throws must not
   * cut those callbacks short (no reconnect, no pings), so its error is rethrown on the next tick.
   */
  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  private tell(change: 'suspended' | 'closing' | 'ended'): void {
    // Every holder hears, whatever one of them (or a user's listener behind it) throws.
    for (const holder of [...this.holders]) {
      try {
        holder.connectionChanged(change);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }

  /**
   * Runs `fn`, which sends several requests, so that they leave in one socket write: every
   * request queued in one tick does (`coalesceWrites`), so this only says that `fn` relies on it.
   */
  batch<T>(fn: () => T): T {
    return fn();
  }

  /** Closes the session on the server (its ephemeral nodes go at once) and the socket. */
  async close(): Promise<void> {
    if (this.killed) return;
    this.closing = true;
    this.tell('closing');
    this.safeEmit('closing');
    if (this.stateValue === 'connected') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(2000, this.timeoutMs));
        this.client.on('disconnected', () => {
          clearTimeout(timer);
          resolve();
        });
        this.client.close();
      });
    }
    this.end('closed', new SessionClosedError());
  }

  /** Forces this connection into `lost` (used when its owner gives up on it). */
  destroy(reason: ZoosyncError): void {
    this.end('lost', reason);
  }

  private hookClient(tls: TlsConnectionOptions | undefined): void {
    const cm = this.cm;
    const proto = Object.getPrototypeOf(cm) as ConnectionManager;
    const withTimer = cm as ConnectionManager & { connectTimeoutHandler?: NodeJS.Timeout };
    cm.onSocketConnected = (): void => {
      if (this.killed) {
        if (withTimer.connectTimeoutHandler) clearTimeout(withTimer.connectTimeoutHandler);
        cm.socket?.destroy();
        return;
      }
      this.tcpConnectedAt = now();
      handshakeWithChunkedWatches(cm, () => proto.onSocketConnected.call(cm));
    };
    cm.connect = (): void => {
      if (this.killed) return;
      if (tls) connectTls(cm, tls, (error, server) => this.onSocketError(error, server));
      else proto.connect.call(cm);
    };
    // A server picked after we gave up must not open a socket (and its un-unref'd connect timer).
    const findNextServer = cm.findNextServer.bind(cm);
    cm.findNextServer = (callback: (server: unknown) => void): void =>
      findNextServer((server: unknown) => {
        if (!this.killed) callback(server);
      });
    this.client.on('connected', () => this.onConnected());
    this.client.on('disconnected', () => this.onDisconnected('connection closed'));
    this.client.on('expired', () => this.end('lost', new SessionLostError('ZooKeeper session expired')));
    this.client.on('authenticationFailed', () => this.end('lost', new AuthFailedError(this.authSchemes, this.remoteAddress ?? this.hosts)));
  }

  /** A certificate failure on every server in turn ends the connection: retrying cannot fix a certificate. */
  private onSocketError(error: Error & { code?: string }, server: string): void {
    const what = describeTlsFailure(error.code, error.message);
    if (what === undefined || this.killed) return;
    debug('connection %d: TLS to %s failed: %s (%s)', this.id, server, what, error.code);
    if (++this.tlsFailures >= this.serverCount) this.end('lost', new TlsError(server, error.code!, what, { cause: error }));
  }

  private onConnected(): void {
    if (this.killed) return;
    const first = !this.everConnected;
    this.tlsFailures = 0;
    // The handshake that creates the session starts its clock on the server; a reconnect's does not count.
    if (first) this.contactAt = this.tcpConnectedAt;
    this.tcpConnectedAt = 0;
    this.connectedAt = now();
    this.answeredSinceConnect = false;
    this.suspendedAt = undefined;
    this.timeoutMs = this.client.getSessionTimeout();
    this.everConnected = true;
    this.stateValue = 'connected';
    debug('connection %d: %s session 0x%s via %s', this.id, first ? 'connected' : 'reconnected', this.sessionId, this.remoteAddress);
    this.safeEmit(first ? 'connected' : 'reconnected');
  }

  private onDisconnected(why: string): void {
    if (this.killed || this.closing || this.stateValue !== 'connected') return;
    this.stateValue = 'suspended';
    this.suspendedAt = now();
    debug('connection %d: suspended (%s)', this.id, why);
    this.tell('suspended');
    this.safeEmit('suspended', why);
  }

  private checkLiveness(interval: number): void {
    if (this.killed) return;
    const t = now();
    const readTimeout = (this.timeoutMs * 2) / 3 - interval;
    // Since the last answer, or since this connection's handshake if it has not had one yet.
    const silentFor = t - Math.max(this.contactAt, this.connectedAt);
    const noContactFor = t - this.contactAt;
    const useless = this.stateValue === 'suspended' || (this.stateValue === 'connected' && !this.answeredSinceConnect);
    if (useless && this.everConnected && noContactFor >= this.timeoutMs - interval) {
      // Also a server that drops us right after every handshake: the session is of no use.
      this.end('lost', new SessionLostError(`ZooKeeper session lost: no request answered for ${Math.round(noContactFor)} ms`));
      return;
    }
    if (this.stateValue === 'connected' && this.failStuckRequests(t, readTimeout)) {
      this.onDisconnected('a request went unanswered while the server answered others');
      this.cm.socket?.destroy();
    } else if (this.stateValue === 'connected' && silentFor > readTimeout) {
      this.onDisconnected(`no reply from the server for ${Math.round(silentFor)} ms`);
      this.cm.socket?.destroy();
    } else if (this.stateValue === 'connected') {
      this.heartbeat(t);
    }
    if (this.tcpConnectedAt !== 0 && this.cm.state === CM_STATES.CONNECTING && t - this.tcpConnectedAt > this.timeoutMs / 3) {
      debug('connection %d: handshake unanswered, trying the next server', this.id);
      this.tcpConnectedAt = 0;
      this.cm.socket?.destroy();
    }
  }

  /** Fails requests left unanswered for the read timeout while connected; true if there were any. */
  private failStuckRequests(t: number, readTimeout: number): boolean {
    // Requests queued while disconnected count from the reconnect.
    return t - this.connectedAt > readTimeout && this.pending.failOlderThan(t - readTimeout);
  }

  private end(state: 'lost' | 'closed', reason: ZoosyncError): void {
    if (this.killed) return;
    this.killed = true;
    clearInterval(this.checkTimer);
    const cm = this.cm as ConnectionManager & { connectTimeoutHandler?: NodeJS.Timeout };
    if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler);
    cm.setState(CM_STATES.CLOSING);
    cm.socket?.destroy();
    this.client.removeAllListeners();
    this.stateValue = state;
    debug('connection %d: %s (%s)', this.id, state, reason.message);
    this.pending.failAll(reason);
    this.abort.abort(reason);
    this.tell('ended');
    this.safeEmit(state, reason);
  }
}

/** Which permission a refused request lacked, and on which node ZooKeeper checked it (CREATE and DELETE: the parent). */
function namingPermission(op: Op, failure: unknown): unknown {
  if (!(failure instanceof NoAuthError) || failure.permission !== undefined) return failure;
  const parent = op.path.lastIndexOf('/') > 0 ? op.path.slice(0, op.path.lastIndexOf('/')) : '/';
  switch (op.op) {
    case 'create':
      return new NoAuthError(op.path, 'CREATE', parent);
    case 'delete':
      return new NoAuthError(op.path, 'DELETE', parent);
    case 'setData':
      return new NoAuthError(op.path, 'WRITE', op.path);
    default:
      return new NoAuthError(op.path, 'READ', op.path);
  }
}

export type { Stat, WatchEvent, Watcher };
