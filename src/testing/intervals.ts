/**
 * Derives from the raw history what the checker reasons about: each worker's belief intervals
 * (lock held, leadership), its SIGSTOP pauses, and when it died.
 */
import type { History, HistoryEvent, Recipe } from './history.js';

/** One span during which a worker believed it held a lock (or led, or had the reservation). */
export interface Belief {
  /** What was held: a lock id, `lock`, `leader`, `global-lock`, `global-leader`, `lead`, `reservation`. */
  key: string;
  recipe: Recipe;
  /** Lease deadline on the history's clock, for locks. */
  deadline?: number;
  /** For a semaphore: how many may hold at once. */
  permits?: number;
  worker: string;
  op: number;
  token: bigint;
  start: number;
  end: number;
  /** Why it ended: the worker's reported reason, `killed`, or `run-end`. */
  ended: string;
}

/** When each worker was SIGSTOPped or stalled (busy-waiting) and resumed, and when it was killed. */
export interface WorkerFacts {
  pauses: Map<string, Array<[number, number]>>;
  killedAt: Map<string, number>;
  /** Last moment each worker could have believed anything (kill, exit, or end of history). */
  goneAt: Map<string, number>;
}

/** Collects pauses, kills and exits per worker. */
export function workerFacts(h: History, endOfHistory: number): WorkerFacts {
  const pauses = new Map<string, Array<[number, number]>>();
  for (const f of h.faults) {
    if (f.kind !== 'worker-pause') continue;
    const list = pauses.get(f.target) ?? [];
    list.push([f.start, f.end ?? endOfHistory]);
    pauses.set(f.target, list);
  }
  const stalled = new Map<string, number>();
  for (const e of h.events) {
    if (e.kind === 'stall-start') stalled.set(e.worker, e.t);
    if (e.kind === 'stall-end' && stalled.has(e.worker)) {
      const list = pauses.get(e.worker) ?? [];
      list.push([stalled.get(e.worker)!, e.t]);
      pauses.set(e.worker, list);
      stalled.delete(e.worker);
    }
  }
  for (const [w, t] of stalled) pauses.set(w, [...(pauses.get(w) ?? []), [t, endOfHistory]]);
  const killedAt = new Map<string, number>();
  const goneAt = new Map<string, number>();
  for (const e of h.exits) {
    if (e.how === 'killed') killedAt.set(e.worker, e.t);
    if (!goneAt.has(e.worker)) goneAt.set(e.worker, e.t);
  }
  return { pauses, killedAt, goneAt };
}

/** Milliseconds of [from, to] a worker spent SIGSTOPped. */
export function pausedWithin(facts: WorkerFacts, worker: string, from: number, to: number): number {
  let ms = 0;
  for (const [a, b] of facts.pauses.get(worker) ?? []) ms += Math.max(0, Math.min(b, to) - Math.max(a, from));
  return ms;
}

const key = (e: HistoryEvent): string => `${e.worker}#${'op' in e ? e.op : ''}`;

/**
 * The belief intervals of every worker, for locks (acquired → released/lost), leadership (elected →
 * rescinded) and reservations (reserved → released, or its TTL from the reserve call).
 */
export function beliefs(h: History, facts: WorkerFacts, endOfHistory: number): Belief[] {
  const ends = new Map<string, HistoryEvent>();
  for (const e of h.events) {
    if ((e.kind === 'released' || e.kind === 'lost' || e.kind === 'rescinded') && !ends.has(key(e))) ends.set(key(e), e);
  }
  const out: Belief[] = [];
  for (const e of h.events) {
    if (e.kind !== 'acquired' && e.kind !== 'elected') continue;
    const end = ends.get(key(e));
    const gone = facts.goneAt.get(e.worker) ?? endOfHistory;
    let stop = gone;
    let ended = facts.killedAt.has(e.worker) ? 'killed' : 'run-end';
    if (end && end.t <= gone) {
      stop = end.t;
      ended = 'reason' in end ? `${end.kind}: ${end.reason}` : end.kind;
    }
    const ttlEnd = e.kind === 'acquired' && e.ttlMs !== undefined ? e.deadline : undefined;
    // A reservation whose reserve() came back after its TTL had run out (the worker was frozen) was never believed.
    if (ttlEnd !== undefined && ttlEnd <= e.t) continue;
    if (ttlEnd !== undefined && ttlEnd < stop) {
      stop = Math.max(e.t, ttlEnd);
      ended = 'ttl';
    }
    const deadline = e.kind === 'acquired' && e.ttlMs === undefined ? e.deadline : undefined;
    const permits = e.kind === 'acquired' ? e.permits : undefined;
    out.push({ key: e.key, recipe: e.recipe, ...(deadline === undefined ? {} : { deadline }), ...(permits === undefined ? {} : { permits }), worker: e.worker, op: e.op, token: BigInt(e.token), start: e.t, end: stop, ended });
  }
  return out.sort((a, b) => a.start - b.start);
}
