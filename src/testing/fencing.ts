/**
 * What the fenced store saw of late writes: sent after the writer's hold had ended (by the
 * history's clock), stale (a newer holder's write had already been accepted), and rejected.
 */
import type { History } from './history.js';
import type { Belief } from './intervals.js';

/** The counts the summary prints and the checker judges. */
export interface FencingStats {
  writes: number;
  accepted: number;
  rejected: number;
  /** Sent after the writer's lease deadline or after another worker had acquired the key. */
  late: number;
  /** A higher token for the key had been accepted before this write reached the store. */
  stale: number;
  staleRejected: number;
  staleAccepted: number;
  /** Accepted with a token lower than one accepted before for the key (must be 0). */
  acceptedOutOfOrder: number;
  /** Stalls the workers made inside a critical section. */
  stalls: number;
}

/** Recipes whose first lease deadline is the hold's end (no renewal or refresh). */
const FIXED_LEASE = new Set(['region-lock', 'multi-lock']);

/** Counts late, stale and rejected writes against the beliefs they were made under. */
export function fencingStats(h: History, all: Belief[]): FencingStats {
  // Each belief's hold ends at its fixed lease deadline or when another worker acquires the key, whichever is first.
  const holdEnds = new Map<string, number>();
  const byKey = new Map<string, Belief[]>();
  for (const b of all) byKey.set(b.key, [...(byKey.get(b.key) ?? []), b]);
  for (const list of byKey.values()) {
    list.sort((x, y) => x.start - y.start);
    list.forEach((b, i) => {
      let end = FIXED_LEASE.has(b.recipe) && b.deadline !== undefined ? b.deadline : Number.POSITIVE_INFINITY;
      const next = list.slice(i + 1).find((o) => o.worker !== b.worker && o.start > b.start);
      if (next && next.start < end) end = next.start;
      holdEnds.set(`${b.worker}#${b.op}`, end);
    });
  }
  const top = new Map<string, bigint>();
  const s: FencingStats = { writes: 0, accepted: 0, rejected: 0, late: 0, stale: 0, staleRejected: 0, staleAccepted: 0, acceptedOutOfOrder: 0, stalls: 0 };
  for (const w of h.writes) {
    s.writes++;
    if (w.accepted) s.accepted++;
    else s.rejected++;
    if (w.sentAt > (holdEnds.get(`${w.holder}#${w.op}`) ?? Number.POSITIVE_INFINITY)) s.late++;
    const highest = top.get(w.key);
    if (highest !== undefined && highest > w.token) {
      s.stale++;
      if (w.accepted) s.staleAccepted++;
      else s.staleRejected++;
    }
    if (w.accepted && highest !== undefined && w.token < highest) s.acceptedOutOfOrder++;
    if (w.accepted && (highest === undefined || w.token > highest)) top.set(w.key, w.token);
  }
  s.stalls = h.events.filter((e) => e.kind === 'stall-start').length;
  return s;
}
