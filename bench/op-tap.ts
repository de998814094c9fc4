/**
 * Which requests a zoosync lock+unlock sends: N distinct locks in flight on one Session through a
 * loopback proxy that decodes the client's frames and counts them by ZooKeeper op code.
 * Usage: node .build/bench/op-tap.js [inFlight=512] [windowMs=8000]
 */
import * as net from 'node:net';
import { ensureZooKeeper, stopAll } from '../test/harness/index.js';
import { startBenchServer } from './compare/bench-server.js';
import { regionTimedLock, Session } from '../src/index.js';

const OP_NAMES: Record<number, string> = {
  1: 'create', 2: 'delete', 3: 'exists', 4: 'getData', 5: 'setData', 8: 'getChildren', 11: 'ping',
  12: 'getChildren2', 13: 'check', 14: 'multi', 15: 'create2', 17: 'sync', 101: 'setWatches', [-11]: 'closeSession',
};

/** A proxy to `port` counting the client's requests by op while `counting()` is true (the handshake frame is skipped). */
function countingProxy(port: number, counts: Map<string, number>, counting: () => boolean): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    let pending = Buffer.alloc(0);
    let handshake = true;
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const len = pending.readInt32BE(0);
        if (!handshake && counting()) {
          const op = OP_NAMES[pending.readInt32BE(8)] ?? String(pending.readInt32BE(8));
          counts.set(op, (counts.get(op) ?? 0) + 1);
        }
        handshake = false;
        pending = pending.subarray(4 + len);
      }
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main(): Promise<void> {
  const inFlight = Number(process.argv[2] ?? 512);
  const windowMs = Number(process.argv[3] ?? 8000);
  await ensureZooKeeper();
  const zk = await startBenchServer(false);
  const counts = new Map<string, number>();
  let on = false;
  const proxy = await countingProxy(zk.port, counts, () => on);
  const session = new Session({ hosts: `127.0.0.1:${(proxy.address() as net.AddressInfo).port}` });
  try {
    await session.connection();
    let ops = 0;
    const run = async (ms: number): Promise<void> => {
      const until = performance.now() + ms;
      await Promise.all(
        Array.from({ length: inFlight }, async (_, k) => {
          while (performance.now() < until) {
            await (await regionTimedLock(`tap-${k}`, { session, waitForMs: 60_000, holdForMs: 10_000 })).unlock();
            ops++;
          }
        }),
      );
    };
    await run(2000); // warm-up, and every parent created
    ops = 0;
    on = true;
    await run(windowMs);
    on = false;
    const perOp = Object.fromEntries([...counts].map(([k, v]) => [k, Number((v / ops).toFixed(3))]));
    process.stdout.write(`${JSON.stringify({ inFlight, windowMs, ops, requestsPerLockUnlock: perOp })}\n`);
  } finally {
    await session.close();
    proxy.close();
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`op-tap failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
