// Chaos-testing a critical section with zoosync/testing and node:test: three workers increment
// one counter under a zoosync lock while the network and the server misbehave; the fenced store
// records every write and checkHistory() says whether two workers ever held the lock at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { regionTimedLock, Session, ZoosyncError } from 'zoosync';
import {
  checkHistory,
  FencedStore,
  History,
  now,
  recordHold,
  startFaultProxy,
  startStandalone,
  stopAll,
  testRoot,
  type ZkServer,
} from 'zoosync/testing';

// The code under test: read the counter, think, write it back, all under the lock, with the
// lock's fencing token on the write so that the store refuses a holder that lost the lock.
async function increment(session: Session, store: FencedStore, history: History, worker: string): Promise<void> {
  const lock = await regionTimedLock('counters/orders', { session, waitForMs: 10_000, holdForMs: 5_000 });
  const hold = recordHold(history, worker, lock); // "worker believes it holds the lock" from now
  try {
    const seen = store.value('orders') ?? 0;
    await sleep(5, undefined, { signal: lock.signal }); // stops the moment the lock is lost
    store.write(worker, { key: 'orders', token: lock.fencingToken, value: seen + 1 });
  } finally {
    hold.released(); // before unlock(): from here on the worker no longer acts as holder
    await lock.unlock();
  }
}

/** Increments until `stop` aborts; errors that zoosync expects under faults (lost lock, timeout) just go round again. */
async function work(session: Session, store: FencedStore, history: History, worker: string, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    try {
      await increment(session, store, history, worker);
    } catch (error) {
      if (!(error instanceof ZoosyncError) && (error as Error).name !== 'AbortError') throw error;
      await sleep(50);
    }
  }
}

let server: ZkServer;
before(async () => {
  server = await startStandalone(); // a real ZooKeeper on a free loopback port, from the local install
});
after(() => stopAll()); // every server and proxy started in this process, and their data dirs

test('three workers keep the counter exact through a silent network, a cut and a paused server', async (t) => {
  const root = await testRoot(server.connectString, { name: t.name });
  const history = new History();
  const store = new FencedStore(history);
  const workers = ['w1', 'w2', 'w3'];
  const proxies = await Promise.all(workers.map(() => startFaultProxy(server.connectString)));
  const sessions = proxies.map((p) => new Session({ hosts: p.connectString + root.path, sessionTimeoutMs: 2000 }));
  t.after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await root.remove(); // no-op once assertEmpty() below has run
  });

  const stop = new AbortController();
  const running = workers.map((w, i) => work(sessions[i]!, store, history, w, stop.signal));

  await sleep(1000);
  const silence = history.fault('net-silence', 'w1');
  proxies[0]!.silence(); // w1's packets vanish, its socket stays open: its lock must be lost, not shared
  await sleep(3000);
  proxies[0]!.pass();
  silence.end = now();

  const cut = history.fault('net-cut', 'w2');
  proxies[1]!.cut(); // w2's connection is reset
  await sleep(300);
  proxies[1]!.pass();
  cut.end = now();

  const pause = history.fault('zk-pause', 'zk1');
  server.pause(); // SIGSTOP: the server answers nobody for a while
  await sleep(500);
  server.resume();
  pause.end = now();

  await sleep(1500);
  stop.abort();
  await Promise.all(running);

  const verdict = checkHistory(history);
  assert.ok(verdict.ok, verdict.report);
  const accepted = history.writes.filter((w) => w.accepted).length;
  assert.ok(accepted >= 10, `only ${accepted} increments went through`);
  assert.equal(store.value('orders'), accepted, 'an increment was lost');
  for (const w of workers) {
    const recovered = history.writes.some((x) => x.holder === w && x.accepted && x.t > pause.end!);
    assert.ok(recovered, `${w} made no increment after the faults`);
  }

  await Promise.all(sessions.map((s) => s.close()));
  await root.assertEmpty(); // fails if the code under test left a node behind
});
