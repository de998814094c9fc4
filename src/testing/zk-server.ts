/** Real ZooKeeper servers on loopback for tests: standalone and ensembles, with kill/pause/restart. */
import { freePorts, sleep } from './net-util.js';
import { ZkServer } from './zk-instance.js';
import { tlsExtraJars } from './zk-install.js';
import { jvmFlags, prepareDataDir, type Peer } from './zk-process.js';
import { tlsCfgLines, type ZkTlsOptions } from './zk-tls.js';

export { ZkServer, type ZkMode } from './zk-instance.js';
export { ensureZooKeeper, externalHosts, zkServerAvailable } from './zk-install.js';
export { stopAll } from './registry.js';
export type { ZkTlsOptions } from './zk-tls.js';

/** Options for starting servers. */
export interface ZkStartOptions {
  /** fsync the transaction log (off by default: tests are about protocol, not durability). */
  forceSync?: boolean;
  /** How long to wait for the server(s) to serve (default 30 s standalone, 60 s ensemble). */
  startTimeoutMs?: number;
  /** Run the server's JVM with its full JIT instead of the quick-start C1 tier (benchmarks). */
  fullJit?: boolean;
  /** Also serve TLS on a secureClientPort of its own (the plain clientPort stays, for the harness's checks). */
  tls?: ZkTlsOptions;
}

function makeServer(
  clientPort: number,
  opts: ZkStartOptions,
  peers: Peer[],
  id?: number,
  securePort?: number,
): ZkServer {
  if (!opts.tls || securePort === undefined) {
    const { dataDir, cfgPath } = prepareDataDir(clientPort, opts.forceSync ?? false, peers, id);
    return new ZkServer(clientPort, dataDir, cfgPath, jvmFlags(opts.fullJit));
  }
  const extra = tlsCfgLines(opts.tls, securePort);
  const { dataDir, cfgPath } = prepareDataDir(clientPort, opts.forceSync ?? false, peers, id, extra);
  return new ZkServer(clientPort, dataDir, cfgPath, jvmFlags(opts.fullJit), securePort, tlsExtraJars());
}

const isBindClash = (s: ZkServer): boolean => /Address already in use|BindException/.test(s.logTail(200));

/** Starts a standalone server on a free port (and a free secure port with `tls`); resolves once it serves. */
export async function startStandalone(opts: ZkStartOptions = {}): Promise<ZkServer> {
  for (let attempt = 1; ; attempt++) {
    const [port, securePort] = await freePorts(opts.tls ? 2 : 1);
    const server = makeServer(port!, opts, [], undefined, securePort);
    try {
      server.spawn();
      await server.waitServing(opts.startTimeoutMs ?? 30_000);
      return server;
    } catch (err) {
      const retry = attempt < 3 && isBindClash(server);
      await server.stop();
      if (!retry) throw err;
    }
  }
}

/** A ZooKeeper ensemble the harness started. */
export class ZkEnsemble {
  /** Builds the ensemble view; use startEnsemble(). */
  constructor(readonly servers: ZkServer[]) {}

  /** All servers, comma-separated, for a client of the whole ensemble. */
  get connectString(): string {
    return this.servers.map((s) => s.connectString).join(',');
  }

  /** All servers' secure ports, comma-separated, for a TLS client; throws if started without `tls`. */
  get secureConnectString(): string {
    return this.servers.map((s) => s.secureConnectString).join(',');
  }

  /** The one server whose `srvr` says leader; waits (bounded) until exactly one does. */
  async leader(timeoutMs = 30_000): Promise<ZkServer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const modes = await Promise.all(this.servers.map((s) => s.mode()));
      const leaders = this.servers.filter((_, i) => modes[i] === 'leader');
      if (leaders.length === 1) return leaders[0]!;
      if (Date.now() > deadline) {
        throw new Error(`no single leader after ${timeoutMs} ms (modes: ${modes.join(', ')})`);
      }
      await sleep(50);
    }
  }

  /** The servers currently following (after waiting for a leader). */
  async followers(timeoutMs = 30_000): Promise<ZkServer[]> {
    await this.leader(timeoutMs);
    const modes = await Promise.all(this.servers.map((s) => s.mode()));
    return this.servers.filter((_, i) => modes[i] === 'follower');
  }

  /** Kills every server and removes their data dirs. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

/** Starts an n-server ensemble on free ports (a secure port each with `tls`); resolves once all serve and one leads. */
export async function startEnsemble(n = 3, opts: ZkStartOptions = {}): Promise<ZkEnsemble> {
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    const per = opts.tls ? 4 : 3; // client, peer, election (and secure client) port per server
    const ports = await freePorts(per * n);
    const peers: Peer[] = Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      peerPort: ports[per * i + 1]!,
      electionPort: ports[per * i + 2]!,
    }));
    const servers = peers.map((p, i) => {
      const [clientPort, , , securePort] = ports.slice(per * i, per * (i + 1));
      return makeServer(clientPort!, opts, peers, p.id, securePort);
    });
    const ensemble = new ZkEnsemble(servers);
    try {
      for (const s of servers) s.spawn();
      await Promise.all(servers.map((s) => s.waitServing(timeoutMs)));
      await ensemble.leader(timeoutMs);
      return ensemble;
    } catch (err) {
      const retry = attempt < 3 && servers.some(isBindClash);
      await ensemble.stop();
      if (!retry) throw err;
    }
  }
}
