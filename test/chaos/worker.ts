/**
 * A chaos worker (a child process): its wall clock skewed as configured, then one Session through
 * its own proxies running one loop per recipe side by side, each write fenced through the
 * orchestrator's store, and every event reported over IPC with a timestamp from the shared clock.
 */
import { now } from './history.js';
import { cfg, listen, report, within, watchLag, type FromWorker } from './worker-kit.js';

export type { FromWorker, ToWorker, WorkerConfig } from './worker-kit.js';

/** Skews `Date.now` (what leases and reservations compare) by the configured offset; zoosync must load after this. */
function skewClock(offsetMs: number): void {
  if (offsetMs === 0) return;
  const real = Date.now.bind(Date);
  Date.now = () => real() + offsetMs;
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(3)); // orchestrator gone: do not linger
  listen();
  skewClock(cfg.clockOffsetMs);
  const { Session } = await import('../../src/index.js');
  const locks = await import('./worker-locks.js');
  const leaders = await import('./worker-leaders.js');
  const family = await import('./worker-family.js');
  const loops = {
    'region-lock': locks.regionLockLoop,
    'global-lock': locks.globalLockLoop,
    'with-lock': locks.withLockLoop,
    'multi-lock': locks.multiLockLoop,
    reservation: locks.reservationLoop,
    'region-leader': leaders.regionLeaderLoop,
    'global-leader': leaders.globalLeaderLoop,
    lead: leaders.leadLoop,
    semaphore: family.semaphoreLoop,
    'read-write': family.readWriteLoop,
  } as const;
  const session = new Session({
    hosts: cfg.hosts,
    sessionTimeoutMs: cfg.sessionTimeoutMs,
    ...(cfg.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: cfg.maxClockSkewMs }),
  });
  const lag = watchLag();
  report({ kind: 'ready', clockOffsetMs: cfg.clockOffsetMs });
  const running = cfg.recipes.map((r) =>
    loops[r](session).catch((error: unknown) => report({ kind: 'error', where: `loop-${r}`, error: locks.info(error) })),
  );
  await Promise.all(running);
  await within(session.close(), cfg.releaseBoundMs).catch(() => undefined);
  clearInterval(lag);
  await new Promise<void>((resolve) => process.send!({ type: 'event', ev: { kind: 'stopped', t: now() } } satisfies FromWorker, undefined, {}, () => resolve()));
  process.exit(0);
}

void main();
