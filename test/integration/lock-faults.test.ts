// Locks under faults: a holder behind a silenced or cut network is told (signal aborts) before
// anyone else acquires; a 3-node ensemble keeps serving locks when its leader is killed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LockLostError, regionTimedLock, type Lock, type Session } from '../../src/index.js';
import { sleep, startEnsemble, startStandalone, stopAll, waitFor, type TcpProxy, type ZkServer } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';
import { holderBehindFault as holderBehind, type HoldAndWait } from './fault-scenarios.js';

after(() => stopAll());

const SESSION_TIMEOUT_MS = 3000;
const PARENT = (id: string): string => `/sync/regionlock/${id}`;

let standalone: Promise<ZkServer> | undefined;
/** One server of this file's own for the proxy tests (the fault is in the network, not the server). */
function server(): Promise<ZkServer> {
  standalone ??= startStandalone();
  return standalone;
}

async function children(session: Session, parent: string): Promise<string[]> {
  return session.request({ op: 'getChildren', path: parent }).catch(() => []);
}

const mutex = (id: string): HoldAndWait => ({
  hold: (session) => regionTimedLock(id, { session, waitForMs: 10_000, holdForMs: 60_000 }),
  wait: (session) => regionTimedLock(id, { session, waitForMs: 30_000, holdForMs: 60_000 }),
  queued: async (session) => (await children(session, PARENT(id))).length === 2,
});

/** Holder through a proxy, waiter direct; `fault` breaks the proxy; returns when the waiter acquired. */
async function holderBehindFault(t: import('node:test').TestContext, id: string, fault: (p: TcpProxy) => void): Promise<void> {
  await holderBehind(t, await server(), SESSION_TIMEOUT_MS, mutex(id), fault);
}

test('a holder behind a silenced network is told before a waiter acquires', async (t) => {
  await holderBehindFault(t, 'silenced', (p) => p.silence());
});

test('a holder whose connection is cut is told before a waiter acquires', async (t) => {
  await holderBehindFault(t, 'cut', (p) => p.cut());
});

test('a 3-node ensemble keeps serving locks when its leader is killed', async (t) => {
  const ensemble = await startEnsemble(3);
  const env = await testEnv(t, ensemble.connectString);
  const locks: Lock[] = [];
  let stopLoop = false;
  try {
    // Holders, one per session, spread over the servers by the client's random host choice.
    const holders: Array<{ session: Session; lock: Lock; server: string | undefined; suspended: boolean; abortedWhenSuspended: boolean | undefined }> = [];
    for (let i = 0; i < 6; i++) {
      const session = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS, connectTimeoutMs: 20_000 });
      const lock = await regionTimedLock(`held-${i}`, { session, waitForMs: 10_000, holdForMs: 60_000 });
      locks.push(lock);
      const h = { session, lock, server: (await session.connection()).remoteAddress, suspended: false, abortedWhenSuspended: undefined as boolean | undefined };
      session.once('suspended', () => {
        h.suspended = true;
        setImmediate(() => (h.abortedWhenSuspended = lock.signal.aborted));
      });
      holders.push(h);
    }
    // The acquire/unlock loop.
    const loopSession = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS, connectTimeoutMs: 20_000 });
    const successes: number[] = [];
    const errors: string[] = [];
    const loop = (async () => {
      while (!stopLoop) {
        try {
          const l = await regionTimedLock('loop', { session: loopSession, waitForMs: 5000, holdForMs: 10_000 });
          successes.push(performance.now());
          await l.unlock();
        } catch (error) {
          errors.push((error as Error).name);
          await sleep(50);
        }
      }
    })();
    await waitFor(() => successes.length >= 20, { timeoutMs: 30_000, message: '20 acquisitions before the kill' });
    const leader = await ensemble.leader();
    const killedAt = performance.now();
    await leader.kill();
    await waitFor(() => successes.filter((s) => s > killedAt).length >= 20, { timeoutMs: 45_000, message: '20 acquisitions after the kill' });
    stopLoop = true;
    await loop;
    const after = successes.filter((s) => s > killedAt);
    let maxGap = 0;
    for (let i = 1; i < successes.length; i++) maxGap = Math.max(maxGap, successes[i]! - successes[i - 1]!);
    const onLeader = holders.filter((h) => h.server === leader.connectString);
    t.diagnostic(
      `first acquisition ${(after[0]! - killedAt).toFixed(0)} ms after the kill; longest pause ${maxGap.toFixed(0)} ms; ` +
        `errors during fail-over: ${errors.length} (${[...new Set(errors)].join(', ')}); ` +
        `holders on the leader: ${onLeader.length}/${holders.length}; suspended: ${holders.filter((h) => h.suspended).length}`,
    );
    assert.ok(maxGap < 30_000, `locks stopped for ${maxGap} ms`);
    // A holder whose connection was suspended must have been told at that moment.
    await sleep(50);
    for (const [i, h] of holders.entries()) {
      if (h.server === leader.connectString) assert.ok(h.suspended, `holder ${i} on the killed leader was never suspended`);
      if (h.suspended) {
        assert.equal(h.abortedWhenSuspended, true, `holder ${i} (${h.server}) was suspended but its signal had not aborted`);
        assert.ok(h.lock.signal.reason instanceof LockLostError, `holder ${i}: ${String(h.lock.signal.reason)}`);
      }
    }
    assert.ok(holders.some((h) => h.suspended), 'no holder saw the fail-over');
  } finally {
    stopLoop = true;
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await env.finish();
    await ensemble.stop();
  }
});
