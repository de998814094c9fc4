/**
 * The checker: reads a finished history and lists every violation of mutual exclusion, fencing,
 * settlement and cleanliness, with the history excerpt that shows it.
 */
import type { History } from './history.js';
import { fencingStats, type FencingStats } from './fencing.js';
import { beliefs, pausedWithin, workerFacts, type Belief, type WorkerFacts } from './intervals.js';

/** One thing that must never happen, and did. */
export interface Violation {
  kind: string;
  message: string;
  excerpt?: string;
  /** When it happened (history clock) and which workers it concerns, for the history visual. */
  at?: number;
  workers?: string[];
}

/** What the checker needs besides the history. */
export interface CheckInput {
  history: History;
  /** When the run started (for relative times in excerpts) and when the history ended. */
  t0: number;
  tEnd: number;
  /** Extra time an operation may take beyond its own bound (reconnects, cleanup), before pauses are added. */
  settleMarginMs: number;
  /** Our nodes still in ZooKeeper after the workers stopped and sessions expired. */
  leftovers: string[];
  /** Workers were told to stall inside critical sections: a run with no stale write then proves nothing about fencing. */
  stallsConfigured?: boolean;
}

/** The checker's verdict. */
export interface CheckResult {
  violations: Violation[];
  /** Accepted stale-token writes that reached the store before the newer holder's first write (fencing's inherent window). */
  notes: string[];
  beliefs: Belief[];
  fencing: FencingStats;
}

const EXPECTED_NON_ZOOSYNC = new Set(['AbortError', 'TimeoutError', 'ChaosStop']);

/** Runs every check. */
export function check(input: CheckInput): CheckResult {
  const { history: h, tEnd } = input;
  const facts = workerFacts(h, tEnd);
  const all = beliefs(h, facts, tEnd);
  const violations: Violation[] = [];
  const notes: string[] = [];
  checkExclusion(input, facts, all, violations, notes);
  checkTokens(all, violations);
  checkCapacity(input, facts, all, violations);
  checkStore(h, violations);
  checkSettled(input, facts, violations);
  for (const e of h.exits) {
    if (e.how !== 'stopped' && e.how !== 'killed') violations.push({ kind: 'worker-crashed', message: `${e.worker} ended ${e.how}: ${e.detail ?? ''}` });
  }
  for (const e of h.events) {
    if (e.kind === 'error' && (e.where.endsWith('unsettled') || (!e.error.zoosync && !EXPECTED_NON_ZOOSYNC.has(e.error.name)))) {
      violations.push({ kind: `error-${e.where}`, message: `${e.worker} op ${e.op ?? '-'}: ${e.error.name}: ${e.error.message}` });
    }
    if ((e.kind === 'acquire-failed' || e.kind === 'campaign-failed') && !e.error.zoosync && !EXPECTED_NON_ZOOSYNC.has(e.error.name)) {
      violations.push({ kind: 'unexpected-error', message: `${e.worker} op ${e.op} ${e.kind}: ${e.error.name}: ${e.error.message}` });
    }
  }
  for (const p of input.leftovers) violations.push({ kind: 'node-leaked', message: p });
  const fencing = fencingStats(h, all);
  if (input.stallsConfigured && fencing.stale === 0) {
    violations.push({ kind: 'no-stale-writes', message: `stalls were configured (${fencing.stalls} made) but no stale write reached the store: fencing was not exercised` });
  }
  return { violations, notes, beliefs: all, fencing };
}

/** (1) No two workers believe at once, unless the older one was SIGSTOPped and the store fenced it off. */
function checkExclusion(input: CheckInput, facts: WorkerFacts, all: Belief[], out: Violation[], notes: string[]): void {
  const h = input.history;
  for (let i = 0; i < all.length; i++) {
    const a = all[i]!;
    for (let j = i + 1; j < all.length; j++) {
      const b = all[j]!;
      if (b.start >= a.end) break; // sorted by start: no later belief overlaps a either
      if (b.key !== a.key || b.worker === a.worker) continue;
      if (a.permits !== undefined || (a.recipe === 'rw-read' && b.recipe === 'rw-read')) continue; // semaphores: checkCapacity; readers share
      if (a.recipe === 'reservation' && releasedBetween(h, a, b)) continue;
      const pausedBeforeTakeover = (facts.pauses.get(a.worker) ?? []).some(([ps]) => ps >= a.start && ps <= b.start);
      const excerpt = h.excerpt(a.start - 200, Math.max(a.end, b.start) + 200, [a.worker, b.worker], input.t0);
      const what = `${a.worker} (token ${a.token}, ${rel(a.start, input.t0)}-${rel(a.end, input.t0)}, ${a.ended}) and ${b.worker} (token ${b.token}, from ${rel(b.start, input.t0)})`;
      if (!pausedBeforeTakeover) {
        out.push({ kind: `${a.key}-overlap`, message: `both believed they held ${a.key}: ${what}`, excerpt, at: b.start, workers: [a.worker, b.worker] });
        continue;
      }
      // A stale belief from a SIGSTOP: every write a made after b acquired must have been fenced off.
      for (const w of h.writes) {
        if (w.key !== a.key || w.holder !== a.worker || w.token !== a.token || w.t < b.start || !w.accepted) continue;
        const newerSeen = h.writes.some((x) => x.key === a.key && x.accepted && x.token > a.token && x.t < w.t);
        const msg = `paused ${a.worker}'s write (token ${a.token}) at ${rel(w.t, input.t0)} accepted after ${b.worker} acquired: ${what}`;
        if (newerSeen) out.push({ kind: 'stale-write-accepted', message: msg, excerpt, at: w.t, workers: [a.worker] });
        else notes.push(`${msg} (before any newer token reached the store)`);
      }
    }
  }
}

/** A semaphore never has more than its permits held at once, not counting holders SIGSTOPped or stalled since they acquired. */
function checkCapacity(input: CheckInput, facts: WorkerFacts, all: Belief[], out: Violation[]): void {
  const sems = all.filter((b) => b.permits !== undefined);
  for (const b of sems) {
    const live = sems.filter(
      (a) => a.key === b.key && a.start <= b.start && a.end > b.start && !(facts.pauses.get(a.worker) ?? []).some(([ps]) => ps >= a.start && ps <= b.start),
    );
    if (live.length > b.permits!) {
      out.push({
        kind: `${b.key}-over-capacity`,
        message: `${live.length} held ${b.key} (permits ${b.permits}) at ${rel(b.start, input.t0)}: ${live.map((a) => `${a.worker} token ${a.token}`).join(', ')}`,
        excerpt: input.history.excerpt(b.start - 300, b.start + 200, live.map((a) => a.worker), input.t0),
        at: b.start,
        workers: live.map((a) => a.worker),
      });
    }
  }
}

/** A reservation is releasable by anyone: another worker's release() in flight during a's hold, before b reserved, ended it. */
function releasedBetween(h: History, a: Belief, b: Belief): boolean {
  const opKey = (e: { worker: string; op?: number }): string => `${e.worker}#${e.op ?? ''}`;
  const reservationOps = new Set(h.events.filter((e) => e.kind === 'acquire-start' && e.recipe === 'reservation').map((e) => opKey(e as { worker: string; op: number })));
  const done = new Map<string, number>();
  for (const e of h.events) if (e.kind === 'unlock-done') done.set(opKey(e), e.t);
  return h.events.some(
    (e) => e.kind === 'unlock-start' && e.worker !== a.worker && reservationOps.has(opKey(e)) && e.t <= b.start && (done.get(opKey(e)) ?? Number.POSITIVE_INFINITY) >= a.start,
  );
}

/** Fencing tokens strictly increase from each holder to every later, non-overlapping one (reservations have none). */
function checkTokens(all: Belief[], out: Violation[]): void {
  const fenced = all.filter((b) => b.recipe !== 'reservation' && b.recipe !== 'rw-read' && b.permits === undefined);
  for (const k of new Set(fenced.map((b) => b.key))) {
    const list = fenced.filter((b) => b.key === k);
    for (const b of list) {
      const earlier = list.filter((a) => a.end <= b.start && a.token >= b.token);
      for (const a of earlier) {
        out.push({ kind: 'token-not-increasing', message: `${k}: ${b.worker} got token ${b.token} after ${a.worker} held ${a.token}` });
      }
    }
  }
}

/** (2) Replaying the store: an accepted token is never older than one accepted before it for that key. */
function checkStore(h: History, out: Violation[]): void {
  const top = new Map<string, { token: bigint; holder: string }>();
  for (const w of h.writes) {
    const t = top.get(w.key);
    if (w.accepted && t && (w.token < t.token || (w.token === t.token && w.holder !== t.holder))) {
      out.push({ kind: 'stale-write-accepted', message: `${w.key}: ${w.holder} token ${w.token} accepted after ${t.holder} token ${t.token}`, at: w.t, workers: [w.holder] });
    }
    if (w.accepted && (!t || w.token > t.token)) top.set(w.key, { token: w.token, holder: w.holder });
  }
}

const SETTLES: Record<string, string[]> = {
  'acquire-start': ['acquired', 'acquire-failed', 'stillborn'],
  'campaign-start': ['elected', 'campaign-failed', 'stillborn'],
  'unlock-start': ['unlock-done'],
  'rescind-start': ['rescind-done'],
  'stop-start': ['stop-done'],
};

/** (3) Every acquire, campaign, unlock and rescind settled within its bound (plus margin and pauses), or its worker died. */
function checkSettled(input: CheckInput, facts: WorkerFacts, out: Violation[]): void {
  const h = input.history;
  const settled = new Map<string, number>();
  for (const e of h.events) {
    if ('op' in e && e.op !== undefined) {
      for (const [start, ends] of Object.entries(SETTLES)) if (ends.includes(e.kind)) settled.set(`${e.worker}#${e.op}#${start}`, e.t);
    }
  }
  for (const e of h.events) {
    if (!(e.kind in SETTLES) || !('op' in e) || !('boundMs' in e)) continue;
    const at = settled.get(`${e.worker}#${e.op}#${e.kind}`);
    const died = facts.killedAt.get(e.worker);
    const limit = (end: number): number => (e.boundMs ?? 0) + input.settleMarginMs + pausedWithin(facts, e.worker, e.t, end);
    if (at === undefined) {
      if (died !== undefined && died >= e.t) continue;
      out.push({
        kind: `unsettled-${e.kind.replace('-start', '')}`,
        message: `${e.worker} op ${e.op} ${e.kind} at ${rel(e.t, input.t0)} never settled`,
        excerpt: h.excerpt(e.t - 500, e.t + limit(input.tEnd), [e.worker], input.t0),
      });
    } else if (at - e.t > limit(at)) {
      out.push({
        kind: `slow-${e.kind.replace('-start', '')}`,
        message: `${e.worker} op ${e.op} ${e.kind} took ${Math.round(at - e.t)} ms (bound ${Math.round(limit(at))} ms)`,
        excerpt: h.excerpt(e.t - 100, at + 100, [e.worker], input.t0),
      });
    }
  }
}

function rel(t: number, t0: number): string {
  return `${((t - t0) / 1000).toFixed(3)}s`;
}
