/**
 * The soak's steady load on long-lived sessions: region locks, `withLock` with renewals,
 * multi-locks over the same ids, `lead` loops and one-off campaigns, each loop checked by the
 * referee. Runs until `stop()`, which waits for every loop to finish.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { lead, regionLeader, regionMultiLock, regionTimedLock, withLock, type Lock, type Session } from '../../src/index.js';
import type { Referee } from './invariants.js';

const lockParent = (lock: Lock): string => lock.path.slice(0, lock.path.lastIndexOf('/'));
const between = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo));

/** The lock ids and election ids the load uses. */
export const LOAD_IDS = { locks: ['soak-a', 'soak-b', 'soak-c'], leader: 'soak-leader', campaign: 'soak-campaign' } as const;

/** Runs the loops of the load on `sessions` until stopped. */
export class Load {
  private readonly stopper = new AbortController();
  private readonly loops: Promise<void>[] = [];

  /** Builds the load; `start()` begins it. */
  constructor(
    private readonly sessions: readonly Session[],
    private readonly referee: Referee,
  ) {}

  /** Starts every loop on every session. */
  start(): void {
    for (const session of this.sessions) {
      this.loop(() => this.lockOnce(session, LOAD_IDS.locks[0]));
      this.loop(() => this.lockOnce(session, LOAD_IDS.locks[1]));
      this.loop(() => this.withLockOnce(session, LOAD_IDS.locks[2]));
      this.loop(() => this.multiLockOnce(session));
      this.loop(() => this.campaignOnce(session));
      this.loops.push(this.leadLoop(session));
    }
  }

  /** Stops every loop and waits for them (a loop that does not end within `boundMs` is reported, not awaited). */
  async stop(boundMs: number): Promise<boolean> {
    this.stopper.abort(new Error('soak stopping'));
    const all = Promise.all(this.loops).then(() => true);
    return Promise.race([all, delay(boundMs, false, { ref: false })]);
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private loop(once: () => Promise<void>): void {
    this.loops.push(
      (async () => {
        while (!this.stopped) {
          await once();
          await delay(between(5, 50));
        }
      })(),
    );
  }

  private hold(lockOrLocks: Lock[]): { enter(): void; leave(): void } {
    const holdings = lockOrLocks.map((l) => ({ resource: lockParent(l), h: { token: l.fencingToken, live: () => l.isHeld } }));
    return {
      enter: () => holdings.forEach(({ resource, h }) => this.referee.enter(resource, h)),
      leave: () => holdings.forEach(({ resource, h }) => this.referee.leave(resource, h)),
    };
  }

  private async lockOnce(session: Session, id: string): Promise<void> {
    await this.referee.run('lock', async () => {
      const lock = await regionTimedLock(id, { session, waitForMs: 2000, holdForMs: 2000 });
      const h = this.hold([lock]);
      h.enter();
      try {
        await delay(between(20, 200));
      } finally {
        h.leave();
        await lock.unlock();
      }
    });
  }

  private async withLockOnce(session: Session, id: string): Promise<void> {
    await this.referee.run('withLock', () =>
      withLock(
        id,
        async ({ lock, signal }) => {
          const h = this.hold([lock]);
          h.enter();
          try {
            // Long enough for renewals of the 1 s lease; ends early if the lock is lost.
            await delay(between(200, 2500), undefined, { signal }).catch(() => undefined);
          } finally {
            h.leave();
          }
        },
        { session, waitForMs: 2000, holdForMs: 1000, maxHoldMs: 10_000 },
      ),
    );
  }

  private async multiLockOnce(session: Session): Promise<void> {
    await this.referee.run('multiLock', async () => {
      const multi = await regionMultiLock([LOAD_IDS.locks[0], LOAD_IDS.locks[2]], { session, waitForMs: 2000, holdForMs: 2000 });
      const h = this.hold([...multi.locks]);
      h.enter();
      try {
        await delay(between(20, 200));
      } finally {
        h.leave();
        await multi.unlock();
      }
    });
  }

  private async campaignOnce(session: Session): Promise<void> {
    await this.referee.run('campaign', async () => {
      const leader = await regionLeader(LOAD_IDS.campaign, { session, signal: AbortSignal.timeout(5000) });
      const h = { token: leader.fencingToken, live: () => leader.isLeader };
      this.referee.enter(`leader:${LOAD_IDS.campaign}`, h);
      try {
        await delay(between(50, 500), undefined, { signal: leader.signal }).catch(() => undefined);
      } finally {
        this.referee.leave(`leader:${LOAD_IDS.campaign}`, h);
        await leader.rescind();
      }
    });
  }

  private async leadLoop(session: Session): Promise<void> {
    // `lead` returns only when stopped or on an error that will not pass by itself: start it again.
    while (!this.stopped) await this.leadUntilStopped(session);
  }

  private async leadUntilStopped(session: Session): Promise<void> {
    await this.referee.run('lead', () =>
      lead(
        LOAD_IDS.leader,
        (leader) =>
          this.referee.run('lead term', async () => {
            const h = { token: leader.fencingToken, live: () => leader.isLeader };
            this.referee.enter(`leader:${LOAD_IDS.leader}`, h);
            try {
              await delay(between(300, 2000), undefined, { signal: leader.signal }).catch(() => undefined);
            } finally {
              this.referee.leave(`leader:${LOAD_IDS.leader}`, h);
            }
          }),
        { session, signal: this.stopper.signal, graceMs: 5000, onError: (e) => this.referee.count(`lead onError ${(e as Error).name}`) },
      ),
      true,
    );
  }
}
