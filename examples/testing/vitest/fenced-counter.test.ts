// The node:test example (examples/testing/node-test/fenced-counter.test.ts) under vitest: the
// same critical section, the same faults, the same verdict. zoosync/testing is test-runner neutral.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
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

// The code under test: read, think, write back under the lock, the write fenced by the lock's token.
async function increment(session: Session, store: FencedStore, history: History, worker: string): Promise<void> {
  const lock = await regionTimedLock('counters/orders', { session, waitForMs: 10_000, holdForMs: 5_000 });
  const hold = recordHold(history, worker, lock);
  try {
    const seen = store.value('orders') ?? 0;
    await sleep(5, undefined, { signal: lock.signal });
    store.write(worker, { key: 'orders', token: lock.fencingToken, value: seen + 1 });
  } finally {
    hold.released();
    await lock.unlock();
  }
}

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
beforeAll(async () => {
  server = await startStandalone();
}, 60_000); // a JVM start: more than vitest's 10 s hook default on a busy machine
afterAll(() => stopAll());

test('three workers keep the counter exact through a silent network, a cut and a paused server', { timeout: 120_000 }, async ({ task }) => {
  const root = await testRoot(server.connectString, { name: task.name });
  const history = new History();
  const store = new FencedStore(history);
  const workers = ['w1', 'w2', 'w3'];
  const proxies = await Promise.all(workers.map(() => startFaultProxy(server.connectString)));
  const sessions = proxies.map((p) => new Session({ hosts: p.connectString + root.path, sessionTimeoutMs: 2000 }));
  onTestFinished(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await root.remove();
  });

  const stop = new AbortController();
  const running = workers.map((w, i) => work(sessions[i]!, store, history, w, stop.signal));

  await sleep(1000);
  const silence = history.fault('net-silence', 'w1');
  proxies[0]!.silence();
  await sleep(3000);
  proxies[0]!.pass();
  silence.end = now();

  const cut = history.fault('net-cut', 'w2');
  proxies[1]!.cut();
  await sleep(300);
  proxies[1]!.pass();
  cut.end = now();

  const pause = history.fault('zk-pause', 'zk1');
  server.pause();
  await sleep(500);
  server.resume();
  pause.end = now();

  await sleep(1500);
  stop.abort();
  await Promise.all(running);

  const verdict = checkHistory(history);
  expect(verdict.violations, verdict.report).toEqual([]);
  const accepted = history.writes.filter((w) => w.accepted).length;
  expect(accepted).toBeGreaterThanOrEqual(10);
  expect(store.value('orders')).toBe(accepted);
  for (const w of workers) {
    expect(history.writes.some((x) => x.holder === w && x.accepted && x.t > pause.end!), `${w} recovered`).toBe(true);
  }

  await Promise.all(sessions.map((s) => s.close()));
  await root.assertEmpty();
});
