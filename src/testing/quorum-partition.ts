/**
 * A 3-node (or n-node) ensemble whose servers reach each other only through proxies, one per
 * (from, to) pair on the quorum and election ports, so one server can be cut from the others
 * while its clients stay connected to it (a minority partition), then healed.
 */
import { freePorts } from './net-util.js';
import { startProxy, type TcpProxy } from './proxy.js';
import { ZkEnsemble } from './zk-server.js';
import { ZkServer } from './zk-instance.js';
import { jvmFlags, prepareDataDir, type Peer } from './zk-process.js';

/** An ensemble with partitionable links between its servers. */
export class PartitionableEnsemble extends ZkEnsemble {
  /** Builds it; use startPartitionableEnsemble(). */
  constructor(
    servers: ZkServer[],
    /** links[i][j]: the proxies server i uses to reach server j's quorum and election ports. */
    private readonly links: TcpProxy[][][],
  ) {
    super(servers);
  }

  /** Cuts (TCP RST, and every reconnect) each link to and from `server`; its client port stays open. */
  isolate(server: ZkServer): void {
    const k = this.servers.indexOf(server);
    if (k < 0) throw new Error(`not a server of this ensemble: ${server.connectString}`);
    this.links.forEach((row, i) => row.forEach((pair, j) => (i === k || j === k) && pair.forEach((p) => p.cut())));
  }

  /** Lets every link through again. */
  heal(): void {
    for (const row of this.links) for (const pair of row) for (const p of pair) p.pass();
  }

  /** Stops the servers and closes the links. */
  override async stop(): Promise<void> {
    await super.stop();
    await Promise.all(this.links.flat(2).map((p) => p.close()));
  }
}

/** Starts an n-server ensemble whose servers talk through partitionable proxies; resolves once all serve and one leads. */
export async function startPartitionableEnsemble(n = 3, timeoutMs = 60_000): Promise<PartitionableEnsemble> {
  const ports = await freePorts(3 * n);
  const real: Peer[] = Array.from({ length: n }, (_, i) => ({ id: i + 1, peerPort: ports[3 * i + 1]!, electionPort: ports[3 * i + 2]! }));
  const links: TcpProxy[][][] = [];
  for (let i = 0; i < n; i++) {
    links.push(await Promise.all(real.map(async (p, j) => (i === j ? [] : Promise.all([startProxy(`127.0.0.1:${p.peerPort}`), startProxy(`127.0.0.1:${p.electionPort}`)])))));
  }
  // Each server sees itself at its real ports and every other server through its own proxies.
  const servers = real.map((self, i) => {
    const view = real.map((p, j) => (i === j ? p : { id: p.id, peerPort: links[i]![j]![0]!.port, electionPort: links[i]![j]![1]!.port }));
    const { dataDir, cfgPath } = prepareDataDir(ports[3 * i]!, false, view, self.id);
    return new ZkServer(ports[3 * i]!, dataDir, cfgPath, jvmFlags());
  });
  const ensemble = new PartitionableEnsemble(servers, links);
  try {
    for (const s of servers) s.spawn();
    await Promise.all(servers.map((s) => s.waitServing(timeoutMs)));
    await ensemble.leader(timeoutMs);
    return ensemble;
  } catch (err) {
    await ensemble.stop();
    throw err;
  }
}
