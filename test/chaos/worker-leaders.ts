/**
 * The election-shaped workload loops of a chaos worker: a region leader that rescinds after a short
 * term, a global leader whose region check flips now and then, and a `lead` loop.
 */
import { globalLeader, lead, LeadershipEndedError, regionLeader, type Leader, type Session } from '../../src/index.js';
import type { Recipe } from './history.js';
import { between, cfg, deadlineSignal, fencedWrite, newOp, report, shutdown, sleep, stillborn, within } from './worker-kit.js';
import { info } from './worker-locks.js';

/** Reports `rescinded` for `op` once the leader's signal aborts. */
function reportRescind(op: number, leader: Leader): void {
  const onEnd = (): void => {
    const r: unknown = leader.signal.reason;
    report({ kind: 'rescinded', op, reason: r instanceof LeadershipEndedError ? r.reason : String(r) });
  };
  if (leader.signal.aborted) onEnd();
  else leader.signal.addEventListener('abort', onEnd, { once: true });
}

/** Writes `key` as leader every 15-40 ms for `termMs` or until leadership ends. */
async function term(op: number, key: string, leader: Leader, termMs: number, mayStall: boolean): Promise<void> {
  const until = performance.now() + termMs;
  while (performance.now() < until && !leader.signal.aborted) {
    await fencedWrite(op, key, leader.fencingToken, leader.signal, mayStall);
    await sleep(between(15, 40));
  }
}

/** Campaign (bounded), lead a short term, rescind (bounded), again. */
async function campaignLoop(recipe: Recipe, key: string, campaign: (signal: AbortSignal) => Promise<Leader>): Promise<void> {
  while (!shutdown.signal.aborted) {
    const op = newOp();
    report({ kind: 'campaign-start', op, boundMs: cfg.campaignMs });
    let leader: Leader;
    const bound = deadlineSignal(shutdown.signal, cfg.campaignMs);
    try {
      leader = await campaign(bound.signal);
    } catch (error) {
      report({ kind: 'campaign-failed', op, error: info(error) });
      await sleep(between(20, 100));
      continue;
    } finally {
      bound.clear();
    }
    if (stillborn(op, key, recipe, leader.signal)) {
      await within(leader.rescind(), cfg.releaseBoundMs).catch(() => undefined);
      continue;
    }
    report({ kind: 'elected', op, key, recipe, token: String(leader.fencingToken) });
    reportRescind(op, leader);
    try {
      await term(op, key, leader, between(50, 200), recipe === 'region-leader');
    } catch (error) {
      report({ kind: 'error', op, where: 'leader-work', error: info(error) });
    }
    report({ kind: 'rescind-start', op, boundMs: cfg.releaseBoundMs });
    const done = await within(leader.rescind().then(() => leader.rescinded), cfg.releaseBoundMs).catch((e: unknown) => e);
    if (done === 'timeout') report({ kind: 'error', op, where: 'rescind-unsettled', error: info(new Error('rescind() did not settle')) });
    else report({ kind: 'rescind-done', op });
    await sleep(between(0, 80));
  }
}

/** `regionLeader` on the shared leader id; its writes may stall past the session timeout. */
export function regionLeaderLoop(session: Session): Promise<void> {
  return campaignLoop('region-leader', 'leader', (signal) => regionLeader(cfg.leaderId, { signal, session }));
}

/** `globalLeader` gated on a region check that says "not us" about a fifth of the time, re-checked every 300 ms. */
export function globalLeaderLoop(session: Session): Promise<void> {
  let leads = true;
  const flip = setInterval(() => (leads = Math.random() > 0.2), 1500);
  flip.unref();
  return campaignLoop('global-leader', 'global-leader', (signal) =>
    globalLeader('chaos-global-leader', { isLeaderRegion: () => leads, recheckMs: 300, signal, session }),
  ).finally(() => clearInterval(flip));
}

/** `lead`: one term after another until shutdown; each term writes until it returns or its leadership ends. */
export async function leadLoop(session: Session): Promise<void> {
  const running = lead(
    'chaos-lead',
    async (leader) => {
      const op = newOp();
      if (stillborn(op, 'lead', 'lead', leader.signal)) return;
      report({ kind: 'elected', op, key: 'lead', recipe: 'lead', token: String(leader.fencingToken) });
      reportRescind(op, leader);
      await term(op, 'lead', leader, between(50, 300), false);
      if (!leader.signal.aborted) report({ kind: 'rescinded', op, reason: 'term-over' });
    },
    { session, signal: shutdown.signal, graceMs: 2000, onError: (error) => report({ kind: 'error', where: 'lead-fn', error: info(error) }) },
  );
  await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
  const op = newOp();
  report({ kind: 'stop-start', op, boundMs: cfg.releaseBoundMs });
  const done = await within(running, cfg.releaseBoundMs).catch((e: unknown) => e);
  if (done === 'timeout') report({ kind: 'error', op, where: 'lead-unsettled', error: info(new Error('lead() did not settle after its signal aborted')) });
  else report({ kind: 'stop-done', op });
}
