/**
 * One chaos run: a 3-node ensemble, workers behind proxies, the fenced store, the nemesis for the
 * given duration, a graceful stop, the leak check once sessions have expired, and the checker.
 */
import { ensureZooKeeper, listTree, sleep, startEnsemble, stopAll, withBareClient, zkTestRoot } from '../harness/index.js';
import { isEmptyLockParent } from '../harness/zoosync-fixture.js';
import { check, type CheckResult } from './checker.js';
import { FencedStore } from './fenced-store.js';
import { History, now, type FaultKind } from './history.js';
import { Nemesis } from './nemesis.js';
import { WorkerPool } from './pool.js';

/** What a run can be told. */
export interface ChaosOptions {
  durationMs: number;
  workers?: number;
  sessionTimeoutMs?: number;
  /** Where to keep workers' debug logs (zoosync:*); none when unset. */
  logDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
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
}

/** The outcome of a run. */
export interface ChaosReport extends CheckResult {
  stats: ChaosStats;
  history: History;
  wallMs: number;
  chaosMs: number;
  infraNotes: string[];
}

/** Runs the whole scenario and checks it; cleans up everything on every path. */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => undefined);
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 2500;
  const started = now();
  await ensureZooKeeper();
  const history = new History();
  const store = new FencedStore(history);
  let pool: WorkerPool | undefined;
  let nemesis: Nemesis | undefined;
  try {
    const ensemble = await startEnsemble(3);
    const root = zkTestRoot('chaos');
    await withBareClient(ensemble.connectString, (c) => c.mkdirp(root));
    log(`ensemble up (${ensemble.connectString}), root ${root}, ${Math.round(now() - started)} ms`);
    pool = new WorkerPool(`${ensemble.connectString}${root}`, {
      sessionTimeoutMs,
      lockId: 'chaos/lock',
      leaderId: 'chaos-leader',
      waitForMs: 1500,
      holdForMs: 2000,
      campaignMs: 8000,
      releaseBoundMs: 4 * sessionTimeoutMs,
    }, history, store, opts.logDir);
    await pool.start(opts.workers ?? 5);
    const t0 = now();
    log(`${pool.slots.length} workers ready; chaos for ${opts.durationMs / 1000} s`);
    nemesis = new Nemesis(ensemble, pool, history, { sessionTimeoutMs, intervalMs: [2000, 4000] });
    nemesis.start();
    await sleep(opts.durationMs);
    await nemesis.stop();
    const chaosMs = now() - t0;
    log('nemesis stopped; stopping workers');
    await pool.stop(4 * sessionTimeoutMs + 5000);
    const tEnd = now();
    await sleep(sessionTimeoutMs + 2000); // SIGKILLed workers' sessions expire
    const allowed = isEmptyLockParent(root);
    const leftovers = (await listTree(ensemble.connectString, root)).filter((p) => !allowed(p));
    const result = check({ history, t0, tEnd, settleMarginMs: 2 * sessionTimeoutMs + 1500, leftovers });
    return { ...result, stats: stats(history), history, wallMs: now() - started, chaosMs, infraNotes: history.notes };
  } finally {
    await nemesis?.stop().catch(() => undefined);
    await pool?.destroy().catch(() => undefined);
    await stopAll();
  }
}

function stats(h: History): ChaosStats {
  const count = (kind: string): number => h.events.filter((e) => e.kind === kind).length;
  const faults: Partial<Record<FaultKind, number>> = {};
  for (const f of h.faults) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
  return {
    acquisitions: count('acquired'),
    acquireFailures: count('acquire-failed'),
    elections: count('elected'),
    campaignFailures: count('campaign-failed'),
    writesAccepted: h.writes.filter((w) => w.accepted).length,
    writesRejected: h.writes.filter((w) => !w.accepted).length,
    locksLost: count('lost'),
    faults,
    workerIncarnations: new Set(h.events.map((e) => e.worker)).size,
    maxLagMs: Math.max(0, ...h.events.map((e) => (e.kind === 'lag' ? e.ms : 0))),
  };
}

/** Renders the summary printed at the end of a run. */
export function formatSummary(r: ChaosReport): string {
  const s = r.stats;
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
    `            writes: ${s.writesAccepted} accepted, ${s.writesRejected} rejected by the fenced store`,
    `faults:     ${Object.entries(s.faults).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `worst event-loop lag seen by a worker: ${s.maxLagMs} ms (includes SIGSTOP pauses)`,
    `violations: ${r.violations.length === 0 ? '0' : [...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ];
  for (const v of r.violations.slice(0, 20)) lines.push(`  ! ${v.kind}: ${v.message}${v.excerpt ? `\n${v.excerpt}` : ''}`);
  for (const n of r.notes.slice(0, 10)) lines.push(`  note: ${n}`);
  for (const n of r.infraNotes) lines.push(`  infra: ${n}`);
  return lines.join('\n');
}
