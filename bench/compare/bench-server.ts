/**
 * A standalone ZooKeeper for the comparison bench: the harness's server with the full JIT, a heap
 * for 100,000 held locks, and ZooKeeper's default 60 s container sweep (Curator's lock parents are
 * containers; the harness's 500 ms test sweep would make it re-create them).
 */
import { freePorts, ZkServer } from '../../test/harness/index.js';
import { jvmFlags, prepareDataDir } from '../../test/harness/zk-process.js';

const TUNED: Array<[RegExp, string]> = [
  [/^-Xmx/, '-Xmx2048m'],
  [/^-Dznode\.container\.checkIntervalMs=/, '-Dznode.container.checkIntervalMs=60000'],
];

/** Starts the bench's server (`forceSync` as given) on a free port; resolves once it serves. */
export async function startBenchServer(forceSync: boolean): Promise<ZkServer> {
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePorts(1);
    const { dataDir, cfgPath } = prepareDataDir(port!, forceSync, []);
    const flags = jvmFlags(true).map((f) => TUNED.find(([re]) => re.test(f))?.[1] ?? f);
    const server = new ZkServer(port!, dataDir, cfgPath, flags);
    try {
      server.spawn();
      await server.waitServing(30_000);
      return server;
    } catch (error) {
      const retry = attempt < 3 && /Address already in use|BindException/.test(server.logTail(200));
      await server.stop();
      if (!retry) throw error;
    }
  }
}
