/**
 * Leader fail-over: (a) from `rescind()` to the next contender's election, two Sessions in this
 * process; (b) from SIGKILL of a leader process to the election of our waiting contender.
 */
import { leaderSnapshot, regionLeader, Session, type Leader } from '../src/index.js';
import { startWorker } from './child.js';
import { within } from './stats.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `id` has `n` participants (a waiter's node is in), then a little longer for its watch to be set. */
async function waitParticipants(session: Session, id: string, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await leaderSnapshot(id, { session })).participants.length < n) {
    if (performance.now() > deadline) throw new Error(`election ${id}: fewer than ${n} participants after ${timeoutMs} ms`);
    await sleep(2);
  }
  await sleep(5);
}

/** Two sessions alternating as leader and waiter for `id`; each fail-over is timed from rescind() to election. */
export class RescindFailover {
  private leader: Leader | undefined;
  private leaderIndex = 0;

  private constructor(
    private readonly sessions: [Session, Session],
    private readonly id: string,
  ) {}

  /** Opens both sessions and elects the first. */
  static async open(hosts: string, id: string): Promise<RescindFailover> {
    const f = new RescindFailover([new Session({ hosts }), new Session({ hosts })], id);
    f.leader = await regionLeader(id, { session: f.sessions[0] });
    return f;
  }

  /** Runs `n` fail-overs; returns each one's ms from rescind() to the next leader's election. */
  async run(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const next = this.sessions[1 - this.leaderIndex]!;
      const campaign = regionLeader(this.id, { session: next });
      campaign.catch(() => undefined);
      await waitParticipants(next, this.id, 2);
      const t0 = performance.now();
      void this.leader!.rescind();
      this.leader = await within(campaign, 30_000, 'election after rescind()');
      out.push(performance.now() - t0);
      this.leaderIndex = 1 - this.leaderIndex;
    }
    return out;
  }

  /** Rescinds and closes both sessions. */
  async close(): Promise<void> {
    await this.leader?.rescind();
    await Promise.all(this.sessions.map((s) => s.close()));
  }
}

/** One SIGKILL fail-over's figures. */
export interface KillFailover {
  ms: number;
  /** The leader process's negotiated session timeout. */
  sessionTimeoutMs: number;
}

/** Forks a leader (session timeout `sessionTimeoutMs`), campaigns behind it, SIGKILLs it and times our election. */
export async function killFailover(hosts: string, id: string, sessionTimeoutMs: number): Promise<KillFailover> {
  const session = new Session({ hosts });
  const worker = startWorker('leader', { hosts, id, sessionTimeoutMs });
  try {
    const elected = await worker.next('elected', 30_000);
    const campaign = regionLeader(id, { session });
    campaign.catch(() => undefined);
    await waitParticipants(session, id, 2);
    const t0 = performance.now();
    worker.child.kill('SIGKILL');
    const leader = await within(campaign, 60_000, 'election after SIGKILL of the leader');
    const ms = performance.now() - t0;
    await leader.rescind();
    return { ms, sessionTimeoutMs: Number(elected.sessionTimeoutMs) };
  } finally {
    await worker.kill();
    await session.close();
  }
}
