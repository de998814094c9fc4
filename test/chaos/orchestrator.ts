/**
 * One chaos run: a 3-node ensemble with partitionable quorum links, workers behind proxies (their
 * clocks skewed), every recipe in the workload, the fenced store, the nemesis for the given
 * duration, a graceful stop, the leak check once sessions have expired, and the checker.
 */
import { startPartitionableEnsemble } from '../../src/testing/quorum-partition.js';
import { ensureZooKeeper, listTree, sleep, stopAll, withBareClient, zkTestRoot } from '../harness/index.js';
import { isEmptyLockParent } from '../harness/zoosync-fixture.js';
import { isReadWriteParent, isSemaphoreContainer } from '../integration/family-history.js';
import { check, type CheckResult } from './checker.js';
import { FencedStore } from './fenced-store.js';
import { History, now, type FaultKind, type Recipe } from './history.js';
import { Nemesis } from './nemesis.js';
import { WorkerPool } from './pool.js';
import type { LoopName } from './worker-kit.js';
import { RESERVATION } from './worker-locks.js';

/** Every recipe loop the workload knows, each run once per worker. */
export const ALL_LOOPS: LoopName[] = ['region-lock', 'region-leader', 'global-lock', 'global-leader', 'with-lock', 'lead', 'multi-lock', 'reservation', 'semaphore', 'read-write'];

/** What a run can be told. */
export interface ChaosOptions {
  durationMs: number;
  workers?: number;
  sessionTimeoutMs?: number;
  /** Where to keep workers' debug logs (zoosync:*); none when unset. */
  logDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Recipe loops in the workload (default: all). */
  recipes?: LoopName[];
  /** Chance a holder stalls past its lease before a write (default 0.04; 0 turns stalls and the stale-write requirement off). */
  stallChance?: number;
  /** Each worker's wall clock is offset by a uniform amount in ±this (default 0). */
  clockSkewMs?: number;
  /** The Session's `maxClockSkewMs`, when the library has it. */
  maxClockSkewMs?: number;
  /** Run without the nemesis (to measure one effect, such as clock skew, alone). */
  noFaults?: boolean;
}

/** Counts for the summary. */
export interface ChaosStats {
  acquisitions: number;
  acquireFailures: number;
  elections: number;
  campaignFailures: number;
  writesAccepted: number;
  writesRejected: number;
  locksLost: number;
  faults: Partial<Record<FaultKind, number>>;
  workerIncarnations: number;
  maxLagMs: number;
  /** Holds (or terms) per recipe. */
  byRecipe: Partial<Record<Recipe, number>>;
  /** `withLock` holds that outlived their first lease without losing it: renewals worked. */
  renewedHolds: number;
  /** The largest clock offset between two workers of the run. */
  maxRelativeSkewMs: number;
}

/** The outcome of a run. */
export interface ChaosReport extends CheckResult {
  stats: ChaosStats;
  history: History;
  wallMs: number;
  chaosMs: number;
  /** When the faults began and the history ended. */
  t0: number;
  tEnd: number;
  infraNotes: string[];
  options: ChaosOptions;
}

/** Runs the whole scenario and checks it; cleans up everything on every path. */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => undefined);
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 2500;
  const stallChance = opts.stallChance ?? 0.04;
  const holdForMs = 2000;
  const started = now();
  await ensureZooKeeper();
  const history = new History();
  const store = new FencedStore(history);
  let pool: WorkerPool | undefined;
  let nemesis: Nemesis | undefined;
  try {
    const ensemble = await startPartitionableEnsemble(3);
    const root = zkTestRoot('chaos');
    await withBareClient(ensemble.connectString, (c) => c.mkdirp(root));
    log(`ensemble up (${ensemble.connectString}), root ${root}, ${Math.round(now() - started)} ms`);
    pool = new WorkerPool(`${ensemble.connectString}${root}`, {
      sessionTimeoutMs,
      lockId: 'chaos/lock',
      leaderId: 'chaos-leader',
      waitForMs: 1500,
      holdForMs,
      campaignMs: 8000,
      releaseBoundMs: 4 * sessionTimeoutMs,
      recipes: opts.recipes ?? ALL_LOOPS,
      stallChance,
      // Past the lease and the session timeout, so a newer holder has written by the time the stalled one does.
      stallMs: [Math.max(holdForMs, sessionTimeoutMs) + 300, Math.max(holdForMs, sessionTimeoutMs) + 1500],
      clockSkewMs: opts.clockSkewMs ?? 0,
      ...(opts.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: opts.maxClockSkewMs }),
    }, history, store, opts.logDir);
    await pool.start(opts.workers ?? 5);
    const t0 = now();
    log(`${pool.slots.length} workers ready; chaos for ${opts.durationMs / 1000} s`);
    nemesis = new Nemesis(ensemble, pool, history, { sessionTimeoutMs, intervalMs: [2000, 4000] });
    if (!opts.noFaults) nemesis.start();
    await sleep(opts.durationMs);
    await nemesis.stop();
    const chaosMs = now() - t0;
    log('nemesis stopped; stopping workers');
    await pool.stop(4 * sessionTimeoutMs + 5000);
    const tEnd = now();
    await sleep(sessionTimeoutMs + 2000); // SIGKILLed workers' sessions expire
    // A released reservation keeps its node (release writes an expired time), by design.
    const parents = [isEmptyLockParent(root), isSemaphoreContainer(root), isReadWriteParent(root)];
    const allowed = (p: string): boolean => parents.some((ok) => ok(p)) || p.startsWith(`${root}${RESERVATION.path}`);
    const leftovers = (await listTree(ensemble.connectString, root)).filter((p) => !allowed(p));
    const result = check({ history, t0, tEnd, settleMarginMs: 2 * sessionTimeoutMs + 1500, leftovers, stallsConfigured: stallChance > 0 });
    return { ...result, stats: stats(history, result, holdForMs), history, t0, tEnd, wallMs: now() - started, chaosMs, infraNotes: history.notes, options: { ...opts, stallChance } };
  } finally {
    await nemesis?.stop().catch(() => undefined);
    await pool?.destroy().catch(() => undefined);
    await stopAll();
  }
}

function stats(h: History, r: CheckResult, holdForMs: number): ChaosStats {
  const byRecipe: Partial<Record<Recipe, number>> = {};
  for (const b of r.beliefs) byRecipe[b.recipe] = (byRecipe[b.recipe] ?? 0) + 1;
  const renewedHolds = r.beliefs.filter((b) => b.recipe === 'with-lock' && b.end - b.start > holdForMs && !b.ended.startsWith('lost')).length;
  const offsets = h.events.flatMap((e) => (e.kind === 'ready' ? [e.clockOffsetMs] : []));
  const count = (kind: string): number => h.events.filter((e) => e.kind === kind).length;
  const faults: Partial<Record<FaultKind, number>> = {};
  for (const f of h.faults) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
  return {
    acquisitions: count('acquired'),
    acquireFailures: count('acquire-failed'),
    elections: count('elected'),
    campaignFailures: count('campaign-failed'),
    writesAccepted: r.fencing.accepted,
    writesRejected: r.fencing.rejected,
    locksLost: count('lost'),
    faults,
    workerIncarnations: new Set(h.events.map((e) => e.worker)).size,
    maxLagMs: Math.max(0, ...h.events.map((e) => (e.kind === 'lag' ? e.ms : 0))),
    byRecipe,
    renewedHolds,
    maxRelativeSkewMs: offsets.length ? Math.max(...offsets) - Math.min(...offsets) : 0,
  };
}

/** Renders the summary printed at the end of a run. */
export function formatSummary(r: ChaosReport): string {
  const s = r.stats;
  const f = r.fencing;
  const byKind = new Map<string, number>();
  for (const v of r.violations) byKind.set(v.kind, (byKind.get(v.kind) ?? 0) + 1);
  const failures = (kind: string): string => {
    const m = new Map<string, number>();
    for (const e of r.history.events) if (e.kind === kind && 'error' in e) m.set(e.error.name, (m.get(e.error.name) ?? 0) + 1);
    return [...m].map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  };
  const rescinds = new Map<string, number>();
  for (const e of r.history.events) if (e.kind === 'rescinded') rescinds.set(e.reason, (rescinds.get(e.reason) ?? 0) + 1);
  const lines = [
    `chaos: ${(r.chaosMs / 1000).toFixed(1)} s of faults, ${(r.wallMs / 1000).toFixed(1)} s wall, ${s.workerIncarnations} worker incarnations`,
    `operations: ${s.acquisitions} lock acquisitions (${s.acquireFailures} failed: ${failures('acquire-failed')}), ${s.locksLost} locks lost`,
    `            ${s.elections} elections (${s.campaignFailures} campaigns failed: ${failures('campaign-failed')})`,
    `            rescinded: ${[...rescinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `            stillborn (resolved with signal already aborted, after a freeze; never acted on): ${r.history.events.filter((e) => e.kind === 'stillborn').length}`,
    `            by recipe: ${Object.entries(s.byRecipe).map(([k, n]) => `${k} ${n}`).join(', ')}; withLock holds renewed past the lease: ${s.renewedHolds}`,
    `writes:     ${f.accepted} accepted, ${f.rejected} rejected by the fenced store; ${f.stalls} stalls inside critical sections`,
    `            late writes ${f.late} (sent after the writer's hold had ended), stale ${f.stale} (a newer holder had written), ${f.staleRejected} of them rejected, ${f.staleAccepted} accepted; accepted out of token order: ${f.acceptedOutOfOrder}`,
    `faults:     ${Object.entries(s.faults).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `clock skew: offsets within ±${r.options.clockSkewMs ?? 0} ms, largest between two workers ${s.maxRelativeSkewMs} ms${r.options.maxClockSkewMs === undefined ? '' : `, maxClockSkewMs ${r.options.maxClockSkewMs}`}`,
    `worst event-loop lag seen by a worker: ${s.maxLagMs} ms (includes SIGSTOP pauses)`,
    `violations: ${r.violations.length === 0 ? '0' : [...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ];
  for (const v of r.violations.slice(0, 20)) lines.push(`  ! ${v.kind}: ${v.message}${v.excerpt ? `\n${v.excerpt}` : ''}`);
  for (const n of r.notes.slice(0, 10)) lines.push(`  note: ${n}`);
  for (const n of r.infraNotes) lines.push(`  infra: ${n}`);
  return lines.join('\n');
}
