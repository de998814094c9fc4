/**
 * Leadership as a loop (Curator's `LeaderSelector` with `autoRequeue()`, kazoo's `Election.run`):
 * campaign, run the leader's function, rescind, campaign again, until the caller's signal aborts.
 * When a term ends under a running function, the function hears it through `leader.signal`, and
 * the loop waits for it to return, for at most `graceMs`.
 */
import createDebug from 'debug';
import { ZoosyncError } from '../errors.js';
import { backoffMs, type Leader } from './leader.js';
import { waitFirst } from './wait.js';

const debug = createDebug('zoosync:leader');

/** A leader's function was still running `graceMs` after its term ended; `lead` went on without it. */
export class LeaderWorkOverrunError extends ZoosyncError {
  /** The id led. */
  readonly id: string;

  constructor(id: string, graceMs: number) {
    super(`lead ${id}: the leader's function ignored the end of its term for ${graceMs} ms; it is left running, unled`, 'ZOOSYNC_LEADER_WORK_OVERRUN', false);
    this.id = id;
  }
}

/** What `runLead` needs; the public `lead` fills it in. */
export interface LeadLoopOptions {
  /** The id, for messages. */
  id: string;
  /** Campaigns once (`regionLeader`); rejects with `signal`'s reason if it aborts. */
  campaign: (signal: AbortSignal | undefined) => Promise<Leader>;
  signal: AbortSignal | undefined;
  /** Hears `fn`'s errors and overruns; throwing from it stops `lead`, which then rejects with what it threw. */
  onError: ((error: unknown) => void) | undefined;
  /** How long to wait after a term ends for `fn` to return. */
  graceMs: number;
}

type TermEnd = { ok: true } | { ok: false; error: unknown } | { overrun: true };

/** Runs terms of leadership until `o.signal` aborts; resolves once the last term is rescinded. */
export async function runLead(fn: (leader: Leader) => unknown, o: LeadLoopOptions): Promise<void> {
  const state: { fatal?: { error: unknown }; stopped: boolean } = { stopped: false };
  const report = (error: unknown): void => {
    if (!o.onError) {
      debug('lead %s: %s', o.id, (error as Error)?.stack ?? String(error));
      return;
    }
    try {
      o.onError(error);
    } catch (thrown) {
      if (state.stopped) debug('lead %s: onError threw after lead had stopped: %s', o.id, (thrown as Error)?.message);
      state.fatal ??= { error: thrown };
    }
  };
  try {
    for (let failures = 0; !o.signal?.aborted && !state.fatal; ) {
      let leader: Leader;
      try {
        leader = await o.campaign(o.signal);
      } catch (error) {
        if (o.signal?.aborted) break;
        // `regionLeader` retries whatever can pass by itself: what reaches here (a closed session, no permission) will not.
        throw error;
      }
      const end = await term(leader, fn, o, report);
      await leader.rescind();
      if ('overrun' in end || end.ok) {
        failures = 0;
        continue;
      }
      report(end.error);
      if (!state.fatal) await waitFirst({ signal: o.signal, timers: [{ at: performance.now() + backoffMs(failures++), value: 'go' }] }).catch(() => undefined);
    }
  } finally {
    state.stopped = true;
  }
  if (state.fatal) throw state.fatal.error;
}

/** One term: `fn(leader)` until it settles, or `graceMs` after leadership ended if it has not by then. */
function term(leader: Leader, fn: (leader: Leader) => unknown, o: LeadLoopOptions, report: (error: unknown) => void): Promise<TermEnd> {
  // The caller's abort ends the term on our side at once; `fn` hears it through `leader.signal`.
  const resign = (): void => void leader.rescind().catch(() => undefined);
  if (o.signal?.aborted) resign();
  else o.signal?.addEventListener('abort', resign, { once: true });
  // `fn` runs now; its throw, or its promise's rejection, becomes `work`'s `{ ok: false }`.
  const work: Promise<TermEnd> = new Promise<unknown>((resolve) => resolve(fn(leader))).then(
    () => ({ ok: true }),
    (error: unknown) => ({ ok: false, error }),
  );
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const overrun = new Promise<TermEnd>((resolve) => {
    void leader.rescinded.then(() => {
      if (!settled) timer = setTimeout(() => resolve({ overrun: true }), o.graceMs);
    });
  });
  return Promise.race([work, overrun]).then((end) => {
    settled = true;
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener('abort', resign);
    if ('overrun' in end) {
      report(new LeaderWorkOverrunError(o.id, o.graceMs));
      void work.then((late) => {
        if (!('overrun' in late) && !late.ok) report(late.error);
      });
    }
    return end;
  });
}
