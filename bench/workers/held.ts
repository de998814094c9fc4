/**
 * Worker (run with --expose-gc): holds `count` locks on distinct ids at once on one Session, for
 * `rounds` rounds; reports the time to acquire them all (issued concurrently), heap per held lock,
 * release time, and how many of its lock parents are left after two reaper sweeps.
 */
import { regionTimedLock, Session, type Lock } from '../../src/index.js';
import { regionLockNamespace } from '../../src/defaults.js';
import { NoNodeError } from '../../src/errors.js';
import { reaperFor } from '../../src/recipes/reaper.js';
import { nextMessage, report, runWorker, workerConfig } from './common.js';

const cfg = workerConfig<{ hosts: string; count: number; rounds: number }>();
const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  if (gc) for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function leftUnder(session: Session, root: string, prefix: string): Promise<{ ours: number; total: number }> {
  try {
    const kids = await session.request({ op: 'getChildren', path: root });
    return { ours: kids.filter((k) => k.startsWith(prefix)).length, total: kids.length };
  } catch (error) {
    if (error instanceof NoNodeError) return { ours: 0, total: 0 };
    throw error;
  }
}

runWorker(async () => {
  const session = new Session({ hosts: cfg.hosts });
  const prefix = `bench-held-${process.pid}-`;
  const ids = Array.from({ length: cfg.count }, (_, i) => `${prefix}${i}`);
  const root = `/${regionLockNamespace()}`;
  try {
    await session.connection();
    // Warm up the code paths (and the namespace node) so the rounds measure the steady state.
    const warm = await Promise.all(ids.slice(0, 50).map((id) => regionTimedLock(id, { session, waitForMs: 30_000, holdForMs: 60_000 })));
    await Promise.all(warm.map((l) => l.unlock()));
    warm.length = 0;
    for (let round = 0; round < cfg.rounds; round++) {
      const reaper = reaperFor(session);
      await reaper.sweep();
      await reaper.sweep();
      let locks: Lock[] = [];
      const before = heapAfterGc();
      const t0 = performance.now();
      locks = await Promise.all(ids.map((id) => regionTimedLock(id, { session, waitForMs: 30_000, holdForMs: 60_000 })));
      const acquireMs = performance.now() - t0;
      // Replies come in order: once this one is in, every guard's exists reply is in too.
      await session.request({ op: 'exists', path: '/' });
      const after = heapAfterGc();
      const lost = locks.filter((l) => l.signal.aborted).length;
      const t1 = performance.now();
      await Promise.all(locks.map((l) => l.unlock()));
      const releaseMs = performance.now() - t1;
      locks = [];
      const heldBefore = await leftUnder(session, root, prefix);
      await reaper.sweep();
      await reaper.sweep();
      const left = await leftUnder(session, root, prefix);
      report({
        type: 'round',
        acquireMs,
        releaseMs,
        heapPerLock: (after - before) / cfg.count,
        gc: gc !== undefined,
        lost,
        parentsBeforeSweeps: heldBefore.ours,
        leftOurs: left.ours,
        leftTotal: left.total,
      });
    }
    report({ type: 'done' });
    await nextMessage('close');
  } finally {
    await session.close();
  }
});
