/**
 * A process frozen (SIGSTOP) while its turn comes resumes with the notification waiting and a
 * contact clock that says nothing was answered for longer than the read timeout: it must not be
 * handed a lock or a leadership whose signal is already aborted (a "stillborn" handle), but
 * confirm with a fresh read and hand out a live one. Real ZooKeeper, a real frozen process.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { sharedServer, sleep, stopAll, uniqueId } from '../harness/index.js';
import { testEnv, untilChildren } from '../harness/zoosync-fixture.js';
import { isReadWriteParent, isSemaphoreContainer } from './family-history.js';
import { forkWorker } from './workers/spawn.js';
import { takeTurn } from './workers/turns.js';

after(() => stopAll());

const TIMEOUT_MS = 3000;
/** Longer than the read timeout (2/3 of the session timeout), shorter than the session timeout. */
const FREEZE_MS = 2400;

interface TurnReport {
  handedOut?: number;
  aborted?: boolean;
  reason?: string;
  stillHeld?: boolean;
  leaseLeft?: number;
  error?: string;
}

for (const recipe of ['lock', 'leader', 'semaphore', 'write', 'short-lease'] as const) {
  test(`${recipe}: a waiter frozen while its turn comes is handed a live handle, not one already aborted`, async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    const id = uniqueId(`frozen-${recipe}`);
    const worker = forkWorker<TurnReport>(new URL('./workers/turn-worker.js', import.meta.url), [env.hosts, id, recipe, String(TIMEOUT_MS)]);
    try {
      const holderSession = env.session({ sessionTimeoutMs: 20_000 });
      // The first turn, on a lease that outlasts the test.
      const first = await takeTurn(recipe, id, holderSession, { waitForMs: 10_000, holdForMs: 60_000 });
      await worker.ready;
      await untilChildren(holderSession, first.path.slice(0, first.path.lastIndexOf('/')), 2);
      // ZooKeeper hears from the worker just before it freezes: its session outlives the freeze.
      worker.child.send({ fresh: true });
      await once(worker.child, 'message');
      worker.child.kill('SIGSTOP');
      const frozenAt = performance.now();
      await first.release();
      // The server's notification reaches the frozen worker's socket; it wakes after the read timeout.
      await sleep(FREEZE_MS - (performance.now() - frozenAt));
      worker.child.kill('SIGCONT');
      const got = await worker.done;
      t.diagnostic(`frozen ${Math.round(performance.now() - frozenAt)} ms at most; worker reported ${JSON.stringify(got)}`);
      assert.equal(got.error, undefined, `the worker's wait failed: ${got.error}`);
      assert.equal(got.aborted, false, `handed a handle already aborted: ${got.reason}`);
      assert.equal(got.stillHeld, true, 'the handle was still held 300 ms after it arrived');
      if (recipe === 'short-lease') {
        // The freeze took the waiting lease past its refresh point (or past its end): the handle
        // arrives with a lease pushed (or a new node's), not with what was left of the old one.
        assert.ok(got.leaseLeft! >= 2000, `handed out with ${Math.round(got.leaseLeft!)} ms of a 4000 ms lease`);
      }
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGCONT');
      await worker.done.catch(() => undefined);
      const allow = { semaphore: isSemaphoreContainer(env.root), write: isReadWriteParent(env.root) }[recipe as string];
      await env.finish(allow ? { allow } : undefined);
    }
  });
}
