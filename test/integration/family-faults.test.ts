// The semaphore and the read-write lock under faults: a holder behind a silenced or cut network
// is told (signal aborts) before a waiter gets in; a 3-node ensemble that loses its leader keeps
// serving both.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readWriteLock, semaphore, type Session } from '../../src/index.js';
import { sleep, startEnsemble, startStandalone, stopAll, waitFor, type TcpProxy, type ZkServer } from '../harness/index.js';
import { childrenOf, testEnv } from '../harness/zoosync-fixture.js';
import { holderBehindFault, type HoldAndWait } from './fault-scenarios.js';
import { isReadWriteParent, isSemaphoreContainer } from './family-history.js';

after(() => stopAll());

const SESSION_TIMEOUT_MS = 3000;
const LONG = { waitForMs: 30_000, holdForMs: 60_000 } as const;

let standalone: Promise<ZkServer> | undefined;
function server(): Promise<ZkServer> {
  standalone ??= startStandalone();
  return standalone;
}

const onePermit = (id: string): HoldAndWait => ({
  hold: (session) => semaphore(id, { permits: 1, session }).acquire(LONG),
  wait: (session) => semaphore(id, { permits: 1, session }).acquire(LONG),
  queued: async (session) => (await childrenOf(session, `/sync/semaphore/${id}/leases`)).length === 2,
  allow: isSemaphoreContainer,
});

const writerThenReader = (id: string): HoldAndWait => ({
  hold: (session) => readWriteLock(id, { session }).writeLock(LONG),
  wait: (session) => readWriteLock(id, { session }).readLock(LONG),
  queued: async (session) => (await childrenOf(session, `/sync/rwlock/${id}`)).length === 2,
  allow: isReadWriteParent,
});

const faults: Array<[string, (p: TcpProxy) => void]> = [
  ['silenced', (p) => p.silence()],
  ['cut', (p) => p.cut()],
];

for (const [name, fault] of faults) {
  test(`semaphore: a permit holder behind a ${name} network is told before a waiter gets the permit`, async (t) => {
    await holderBehindFault(t, await server(), SESSION_TIMEOUT_MS, onePermit(`sem-${name}`), fault);
  });
  test(`read-write lock: a writer behind a ${name} network is told before a reader gets in`, async (t) => {
    await holderBehindFault(t, await server(), SESSION_TIMEOUT_MS, writerThenReader(`rw-${name}`), fault);
  });
}

test('a 3-node ensemble keeps serving semaphore permits and read-write locks when its leader is killed', async (t) => {
  const ensemble = await startEnsemble(3);
  const env = await testEnv(t, ensemble.connectString);
  let stop = false;
  try {
    const successes: Record<string, number[]> = { permit: [], read: [], write: [] };
    const errors: string[] = [];
    const loop = async (kind: 'permit' | 'read' | 'write', session: Session): Promise<void> => {
      while (!stop) {
        try {
          const l =
            kind === 'permit'
              ? await semaphore('ens', { permits: 2, session }).acquire({ waitForMs: 5000, holdForMs: 10_000 })
              : await readWriteLock('ens', { session })[kind === 'read' ? 'readLock' : 'writeLock']({ waitForMs: 5000, holdForMs: 10_000 });
          successes[kind]!.push(performance.now());
          await l.unlock();
        } catch (error) {
          errors.push(`${kind}: ${(error as Error).name}`);
          await sleep(50);
        }
      }
    };
    const sessions = [0, 1, 2].map(() => env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS, connectTimeoutMs: 20_000 }));
    const loops = [loop('permit', sessions[0]!), loop('read', sessions[1]!), loop('write', sessions[2]!)];
    const count = (after: number): number => Math.min(...Object.values(successes).map((s) => s.filter((x) => x > after).length));
    await waitFor(() => count(0) >= 10, { timeoutMs: 30_000, message: '10 of each before the kill' });
    const leader = await ensemble.leader();
    const killedAt = performance.now();
    await leader.kill();
    await waitFor(() => count(killedAt) >= 10, { timeoutMs: 45_000, message: '10 of each after the kill' });
    stop = true;
    await Promise.all(loops);
    const firsts = Object.entries(successes).map(([k, s]) => `${k} ${((s.find((x) => x > killedAt) ?? Number.NaN) - killedAt).toFixed(0)} ms`);
    t.diagnostic(`first success after the kill: ${firsts.join(', ')}; errors during fail-over: ${errors.length} (${[...new Set(errors)].join(', ')})`);
    assert.ok(count(killedAt) >= 10);
  } finally {
    stop = true;
    await env.finish({ allow: (p) => isSemaphoreContainer(env.root)(p) || isReadWriteParent(env.root)(p) });
    await ensemble.stop();
  }
});
