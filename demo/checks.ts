/** The demo's safety checks over recorded intervals, and the summary it prints at the end. */
import type { Interval, Timeline } from './timeline.js';

/** Pairs of intervals that overlap in time (any two holders at once), with a few described. */
export function overlaps(intervals: Interval[], endOfRun: number): { count: number; examples: string[] } {
  const sorted = intervals
    .map((iv) => ({ ...iv, end: iv.end ?? endOfRun }))
    .sort((a, b) => a.start - b.start);
  let count = 0;
  const examples: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length && sorted[j]!.start < a.end; j++) {
      const b = sorted[j]!;
      count++;
      if (examples.length < 3) {
        examples.push(`${a.who} (token 0x${a.token.toString(16)}) and ${b.who} (token 0x${b.token.toString(16)}) overlapped ${(a.end - b.start).toFixed(3)} ms`);
      }
    }
  }
  return { count, examples };
}

/** Whether fencing tokens strictly increase from each holder to the next, in order of acquisition. */
export function tokensIncrease(intervals: Interval[]): { ok: boolean; detail: string } {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const next = sorted[i]!;
    if (next.token <= prev.token) {
      return { ok: false, detail: `${next.who} got 0x${next.token.toString(16)} after ${prev.who} had 0x${prev.token.toString(16)}` };
    }
  }
  return { ok: true, detail: `${sorted.length} holders` };
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A point in the run to report changes since (see `describeSince`). */
export interface Mark {
  leader: string | undefined;
  terms: number;
  holds: number;
}

/** Remembers who leads now and how much happened so far. */
export function mark(tl: Timeline): Mark {
  return { leader: tl.leader, terms: tl.terms.length, holds: tl.holds.length };
}

/** One sentence on what happened to leadership and locks since `m`. */
export function describeSince(tl: Timeline, m: Mark, event: string): string {
  const at = (t: number): string => `+${((t - tl.t0) / 1000).toFixed(3)}s`;
  const later = tl.terms.slice(m.terms);
  const before = tl.terms[m.terms - 1];
  let lead: string;
  if (m.leader !== undefined && later.length === 0 && tl.leader === m.leader) lead = `${m.leader} kept leadership throughout`;
  else {
    lead = `${m.leader ?? 'nobody'} lost leadership${before?.end !== undefined ? ` at ${at(before.end)} (${before.why})` : ''}`;
    lead += later.length ? `; elected since: ${later.map((t) => `${t.who} at ${at(t.start)}`).join(', ')}` : '; nobody elected since';
  }
  return `since ${event}: ${lead}; ${tl.holds.length - m.holds} locks taken`;
}

/** Prints the summary; returns true if every safety check held. */
export function printSummary(tl: Timeline, endOfRun: number): boolean {
  const leaderOverlap = overlaps(tl.terms, endOfRun);
  const lockOverlap = overlaps(tl.holds, endOfRun);
  const lockTokens = tokensIncrease(tl.holds);
  const leaderTokens = tokensIncrease(tl.terms);
  const perWorker = new Map<string, number>();
  for (const h of tl.holds) perWorker.set(h.who, (perWorker.get(h.who) ?? 0) + 1);
  const longest = tl.gaps.reduce((m, g) => Math.max(m, g.ms), 0);
  const yes = (ok: boolean): string => (ok ? 'yes' : 'NO');
  const rows: Array<[string, string]> = [
    ['leaders elected', `${tl.terms.length} (${tl.terms.map((t) => t.who).join(' -> ')})`],
    ['fail-over times', tl.gaps.length ? tl.gaps.map((g) => `${secs(g.ms)} (${g.cause})`).join('; ') : 'none'],
    ['longest time with no leader', tl.gaps.length ? secs(longest) : '0 s (after the first election)'],
    ['locks taken', `${tl.holds.length} (${[...perWorker].sort().map(([w, c]) => `${w} ${c}`).join(', ')}); ${tl.lockFailures} attempts failed`],
    ['overlapping leaders seen', String(leaderOverlap.count)],
    ['overlapping lock holders seen', String(lockOverlap.count)],
    ['lock tokens strictly increasing', `${yes(lockTokens.ok)} (${lockTokens.detail})`],
    ['leader tokens strictly increasing', `${yes(leaderTokens.ok)} (${leaderTokens.detail})`],
  ];
  console.log('\nSummary');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(34)} ${v}`);
  for (const e of [...leaderOverlap.examples, ...lockOverlap.examples]) console.log(`  overlap: ${e}`);
  const ok = leaderOverlap.count === 0 && lockOverlap.count === 0 && lockTokens.ok && leaderTokens.ok;
  console.log(`  ${'safety'.padEnd(34)} ${ok ? 'held' : 'VIOLATED'}`);
  return ok;
}
