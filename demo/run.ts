/**
 * `npm run demo`: three workers elect a leader and share a lock on a 3-node ZooKeeper ensemble;
 * the demo SIGKILLs the leader worker, then kills the ZooKeeper leader, prints the timeline as it
 * happens, and ends with safety checks (exit 0 only if no two leaders or lock holders overlapped).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureZooKeeper, externalHosts, startEnsemble, stopAll, type ZkEnsemble } from '../test/harness/index.js';
import { describeSince, mark as markNow, printSummary, type Mark } from './checks.js';
import { now, Timeline, type Command, type WorkerEvent } from './timeline.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const t0 = now();
const tl = new Timeline(t0);
const workers = new Map<string, { child: ChildProcess; exited: Promise<void> }>();

/** Forks one worker process and wires its events into the timeline. */
function startWorker(name: string, hosts: string): void {
  const child = fork(WORKER, [name, hosts], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (m) => tl.onEvent(name, m as WorkerEvent));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      workers.delete(name);
      tl.onExit(name, now(), signal ?? `code ${code}`);
      resolve();
    });
  });
  workers.set(name, { child, exited });
  tl.line(name, `started (pid ${child.pid})`);
}

/** Asks every worker to stop, waits up to `timeoutMs`, then SIGKILLs whoever is left. */
async function stopWorkers(timeoutMs: number): Promise<void> {
  const all = [...workers.values()];
  for (const w of all) if (w.child.connected) w.child.send({ kind: 'stop' } satisfies Command);
  const timer = sleep(timeoutMs).then(() => 'timeout' as const);
  if ((await Promise.race([Promise.all(all.map((w) => w.exited)), timer])) === 'timeout') {
    for (const w of workers.values()) w.child.kill('SIGKILL');
    await Promise.all(all.map((w) => w.exited));
  }
}

/** Last resort on any exit path: no worker outlives the demo. */
function killWorkersSync(): void {
  for (const w of workers.values()) w.child.kill('SIGKILL');
}

async function phase(ms: number): Promise<void> {
  await sleep(ms);
}

async function main(): Promise<boolean> {
  const external = externalHosts();
  let ensemble: ZkEnsemble | undefined;
  let hosts: string;
  if (external) {
    hosts = external;
    tl.demo(`using ZK_HOSTS=${external}`);
  } else {
    tl.demo('starting a local 3-node ZooKeeper ensemble');
    await ensureZooKeeper();
    ensemble = await startEnsemble(3);
    hosts = ensemble.connectString;
    tl.demo(`ZooKeeper ensemble up: ${hosts} (leader ${(await ensemble.leader()).connectString})`);
  }

  const ticker = setInterval(() => tl.tick(), 1000);
  let mark: Mark | undefined;
  try {
    for (const n of [1, 2, 3]) startWorker(`worker-${n}`, hosts);
    const first = await tl.whenLeader(20_000);
    if (!first) throw new Error('no worker was elected within 20 s');
    await phase(6000);

    const victim = (await tl.whenLeader(10_000)) ?? first;
    tl.blame(`SIGKILL ${victim}`);
    const killedAt = now();
    tl.demo(`SIGKILL ${victim} (the leader); fail-over expected after ~3 s (its session timeout)`);
    const dead = workers.get(victim);
    dead?.child.kill('SIGKILL');
    await dead?.exited;
    startWorker('worker-4', hosts);
    const next = await tl.whenLeader(15_000);
    tl.demo(next ? `fail-over: ${next} leads ${((now() - killedAt) / 1000).toFixed(2)} s after the SIGKILL` : 'no new leader within 15 s');
    await phase(Math.max(0, killedAt + 6000 - now()));

    if (ensemble) {
      const zkLeader = await ensemble.leader();
      const index = ensemble.servers.indexOf(zkLeader) + 1;
      tl.blame(`ZooKeeper leader killed`);
      tl.demo(`killing the ZooKeeper leader: server ${index} of 3 (${zkLeader.connectString}, pid ${zkLeader.pid})`);
      mark = markNow(tl);
      await zkLeader.kill();
      tl.demo('ZooKeeper leader is gone; sessions must move to the two surviving servers');
      void ensemble.leader(8000).then(
        (s) => tl.demo(`ZooKeeper elected a new leader: server ${ensemble.servers.indexOf(s) + 1} (${s.connectString})`),
        () => tl.demo('ZooKeeper has no leader yet'),
      );
    } else {
      tl.demo('ZK_HOSTS is set: skipping the ZooKeeper leader kill (not our servers)');
    }
    await phase(8000);
    if (mark) tl.demo(describeSince(tl, mark, 'the ZooKeeper leader was killed'));

    tl.beginStop();
    tl.demo(`stopping: leader is ${tl.leader ?? 'nobody'}; asking workers to rescind, unlock, close their sessions`);
    await stopWorkers(6000);
  } finally {
    clearInterval(ticker);
    killWorkersSync();
  }
  return printSummary(tl, now());
}

let cleaning: Promise<void> | undefined;
/** Stops workers, then every ZooKeeper server and data dir the harness started; safe to call twice. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopWorkers(3000).catch(() => killWorkersSync());
    await stopAll().catch((e: unknown) => console.error(`demo: stopping ZooKeeper failed: ${String(e)}`));
  })();
  return cleaning;
}

process.on('exit', killWorkersSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    tl.demo(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  tl.demo(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanup();
  const zk = externalHosts() ? 'ZooKeeper at ZK_HOSTS left as it was' : 'no ZooKeeper, no data dirs';
  tl.demo(`cleaned up: no workers, ${zk}; exit ${ok ? 0 : 1}`);
}
process.exit(ok ? 0 : 1);
