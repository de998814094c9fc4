/** A loopback TCP proxy between one client and ZooKeeper, to silence or cut the network on purpose. */
import * as net from 'node:net';
import { parseHostPort, type HostPort } from './net-util.js';
import { registerStoppable, unregisterStoppable, type Stoppable } from './registry.js';

/** Which way bytes are dropped by `silence()`. */
export type SilenceDirection = 'both' | 'toServer' | 'toClient';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** One side ended or closed while silenced: the other learns of it only at pass(). */
  broken: boolean;
}

function reset(sock: net.Socket): void {
  try {
    sock.resetAndDestroy();
  } catch {
    sock.destroy();
  }
}

/** One listening proxy on 127.0.0.1 forwarding each accepted connection to a target. */
export class TcpProxy implements Stoppable {
  private target: HostPort;
  private dropToServer = false;
  private dropToClient = false;
  private cutting = false;
  private handshakeOnly = false;
  private delayToServerMs = 0;
  private delayToClientMs = 0;
  private readonly pairs = new Set<Pair>();

  /** Use startProxy() instead. */
  constructor(
    private readonly server: net.Server,
    target: HostPort,
  ) {
    this.target = target;
    server.on('connection', (c) => this.accept(c));
    registerStoppable(this);
  }

  /** The proxy's listening port on 127.0.0.1. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** "127.0.0.1:port", to give a client instead of the server's address. */
  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Number of client connections currently open through the proxy. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Forward both ways (the default); connections that ended while silenced are closed now. */
  pass(): void {
    this.cutting = false;
    this.handshakeOnly = false;
    this.dropToServer = this.dropToClient = false;
    for (const p of this.pairs) {
      if (p.broken) {
        p.client.destroy();
        p.upstream.destroy();
      }
    }
  }

  /** Keep sockets open but silently drop bytes (and FINs) in the given direction. */
  silence(direction: SilenceDirection = 'both'): void {
    this.cutting = false;
    this.handshakeOnly = false;
    this.dropToServer = direction !== 'toClient';
    this.dropToClient = direction !== 'toServer';
  }

  /** Reset (TCP RST) every open connection, and every new one until pass(). */
  cut(): void {
    this.cutting = true;
    for (const p of this.pairs) {
      reset(p.client);
      reset(p.upstream);
    }
  }

  /** Holds every chunk in the given direction for `ms` before forwarding it (order kept); 0 forwards at once. */
  delay(ms: number, direction: SilenceDirection = 'both'): void {
    if (direction !== 'toClient') this.delayToServerMs = ms;
    if (direction !== 'toServer') this.delayToClientMs = ms;
  }

  /**
   * Resets every open connection, then lets each new one through only until the server's first
   * reply (the handshake's) has reached the client: later bytes to the server are dropped and the
   * connection is reset right after. A server that drops us after every handshake, as one does
   * when the first packet after it is over its limit. Until pass().
   */
  dropAfterHandshake(): void {
    this.cut();
    this.cutting = false;
    this.handshakeOnly = true;
  }

  /** Sends new connections to another server (open ones stay where they are). */
  retarget(target: HostPort | string): void {
    this.target = parseHostPort(target);
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    unregisterStoppable(this);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await closed;
  }

  /** Same as close(), for the harness registry. */
  stop(): Promise<void> {
    return this.close();
  }

  private accept(client: net.Socket): void {
    client.unref();
    if (this.cutting) {
      client.on('error', () => {});
      reset(client);
      return;
    }
    const upstream = net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true });
    upstream.unref();
    const pair: Pair = { client, upstream, broken: false };
    this.pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let handshaken = false;
    this.wire(pair, client, upstream, () => this.dropToServer || handshaken, undefined, () => this.delayToServerMs);
    this.wire(pair, upstream, client, () => this.dropToClient, () => {
      if (!this.handshakeOnly) return;
      // The server takes nothing after its handshake reply, then the connection drops.
      handshaken = true;
      setTimeout(() => {
        reset(client);
        reset(upstream);
      }, 5).unref();
    }, () => this.delayToClientMs);
    client.once('close', () => this.pairs.delete(pair));
  }

  /** Forwards from → to unless dropped; ends and closes propagate only when not dropped. */
  private wire(
    pair: Pair,
    from: net.Socket,
    to: net.Socket,
    dropped: () => boolean,
    onFirst?: () => void,
    delayMs: () => number = () => 0,
  ): void {
    let first = true;
    // Delayed chunks wait in one queue, drained in order: a chunk that comes after the delay was
    // lowered (or removed) must not overtake one still held, or the stream is corrupted.
    const held: Array<{ at: number; chunk: Buffer }> = [];
    let drainTimer: NodeJS.Timeout | undefined;
    const drain = (): void => {
      drainTimer = undefined;
      const t = performance.now();
      while (held.length > 0 && held[0]!.at <= t) {
        const { chunk } = held.shift()!;
        if (!dropped() && !to.destroyed) to.write(chunk);
      }
      if (held.length > 0) drainTimer = setTimeout(drain, Math.max(1, Math.ceil(held[0]!.at - t))).unref();
    };
    from.on('data', (chunk: Buffer) => {
      if (dropped() || to.destroyed) return;
      if (first) {
        first = false;
        onFirst?.();
      }
      const ms = delayMs();
      if (ms > 0 || held.length > 0) {
        const at = Math.max(performance.now() + ms, held.length > 0 ? held[held.length - 1]!.at : 0);
        held.push({ at, chunk });
        drainTimer ??= setTimeout(drain, Math.max(1, Math.ceil(held[0]!.at - performance.now()))).unref();
        return;
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => {
      if (dropped()) pair.broken = true;
      else if (!to.destroyed) to.end();
    });
    from.on('error', () => {});
    from.on('close', () => {
      if (dropped()) pair.broken = true;
      else to.destroy();
    });
  }
}

/** Starts a proxy on a free loopback port forwarding to target ("host:port" or {host, port}). */
export async function startProxy(target: HostPort | string): Promise<TcpProxy> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  return new TcpProxy(server, parseHostPort(target));
}

/** One proxy per server of a connect string, controlled together. */
export class ProxyGroup {
  /** Builds the group; use startProxies(). */
  constructor(
    readonly proxies: TcpProxy[],
    private readonly chroot: string,
  ) {}

  /** The proxies' addresses (plus the original chroot suffix, if any). */
  get connectString(): string {
    return this.proxies.map((p) => p.connectString).join(',') + this.chroot;
  }

  /** Open connections summed over every proxy. */
  get connections(): number {
    return this.proxies.reduce((n, p) => n + p.connections, 0);
  }

  /** pass() on every proxy. */
  pass(): void {
    for (const p of this.proxies) p.pass();
  }

  /** silence() on every proxy. */
  silence(direction: SilenceDirection = 'both'): void {
    for (const p of this.proxies) p.silence(direction);
  }

  /** cut() on every proxy. */
  cut(): void {
    for (const p of this.proxies) p.cut();
  }

  /** close() on every proxy. */
  async close(): Promise<void> {
    await Promise.all(this.proxies.map((p) => p.close()));
  }
}

/** Starts one proxy per "host:port" of a ZooKeeper connect string (an optional /chroot is kept). */
export async function startProxies(connectString: string): Promise<ProxyGroup> {
  const slash = connectString.indexOf('/');
  const hosts = slash < 0 ? connectString : connectString.slice(0, slash);
  const chroot = slash < 0 ? '' : connectString.slice(slash);
  const proxies = await Promise.all(hosts.split(',').map((h) => startProxy(h.trim())));
  return new ProxyGroup(proxies, chroot);
}
