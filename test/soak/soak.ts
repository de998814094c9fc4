/**
 * One soak: a standalone server, long-lived sessions behind proxies, the steady load, periodic
 * faults, a sample every `sampleMs`, and at the end the fitted growth per metric against its
 * bound, the violations and the operations that did not settle.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Session } from '../../src/index.js';
import { assertNoNodesLeft, ensureZooKeeper, startProxy, startStandalone, stopAll, withBareClient, zkTestRoot, type TcpProxy } from '../harness/index.js';
import { isEmptyLockParent } from '../harness/zoosync-fixture.js';
import { Faults, type FaultKind } from './faults.js';
import { Referee } from './invariants.js';
import { Load } from './load.js';
import { METRICS, takeSample, type Sample } from './sampler.js';
import { checkGrowth, type GrowthBound, type SlopeResult } from './slope.js';

/** What a soak is told. */
export interface SoakOptions {
  durationMs: number;
  sampleMs: number;
  faultEveryMs: number;
  sessions: number;
  sessionTimeoutMs: number;
  log: (line: string) => void;
}

/**
 * The growth each metric may show after warm-up: per hour, and at least `floor` over any window.
 * The counts swing by up to ~25 between samples with the faults (a lost session takes its watches
 * and nodes with it), so the floor is that swing; a leak of one per operation or per fault grows by
 * thousands or hundreds an hour.
 */
export const BOUNDS: Record<(typeof METRICS)[number], GrowthBound> = {
  heapMiB: { perHour: 1, floor: 1, unit: 'MiB' },
  handles: { perHour: 10, floor: 25, unit: 'handles' },
  listeners: { perHour: 5, floor: 25, unit: 'listeners' },
  clientWatches: { perHour: 5, floor: 25, unit: 'watches' },
  pendingRequests: { perHour: 5, floor: 25, unit: 'requests' },
  zkZnodes: { perHour: 5, floor: 25, unit: 'znodes' },
  zkWatches: { perHour: 5, floor: 25, unit: 'watches' },
  inFlightOps: { perHour: 5, floor: 25, unit: 'operations' },
};

/** An operation running for longer than this has not settled (the load's waits are 2 s, a campaign's 5 s, a term's 2 s plus grace). */
export const STUCK_AFTER_MS = 60_000;

/** The outcome of a soak. */
export interface SoakReport {
  samples: Sample[];
  slopes: SlopeResult[];
  violations: string[];
  stuck: string[];
  counts: Record<string, number>;
  faults: Partial<Record<FaultKind, number>>;
  warmupMs: number;
  ok: boolean;
}

/** Samples taken before this are left out of the fits: pools, JIT and caches settle first. */
export function warmupFor(durationMs: number): number {
  return Math.min(5 * 60_000, durationMs * 0.2);
}

/** Runs the soak and judges it; cleans up servers, proxies and nodes on every path. */
export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  await ensureZooKeeper();
  const referee = new Referee();
  const samples: Sample[] = [];
  const stuck: string[] = [];
  const sessions: Session[] = [];
  const proxies: TcpProxy[] = [];
  // An exception nobody caught (a dependency's socket handler throwing) is a failure of the soak,
  // reported with the rest instead of ending the process before any figure is printed.
  const onUncaught = (error: Error): void => {
    referee.violations.push(`${new Date().toISOString()} uncaught exception: ${error.stack ?? String(error)}`);
  };
  process.on('uncaughtException', onUncaught);
  try {
    const server = await startStandalone();
    const root = zkTestRoot('soak');
    await withBareClient(server.connectString, (c) => c.mkdirp(root));
    for (let i = 0; i < o.sessions; i++) {
      const proxy = await startProxy(server.connectString);
      proxies.push(proxy);
      sessions.push(new Session({ hosts: `${proxy.connectString}${root}`, sessionTimeoutMs: o.sessionTimeoutMs, connectTimeoutMs: 10_000 }));
    }
    const load = new Load(sessions, referee);
    const faults = new Faults(server, proxies, o.sessionTimeoutMs, o.faultEveryMs, o.log);
    const t0 = performance.now();
    load.start();
    faults.start();
    o.log(`server ${server.connectString}, root ${root}, ${o.sessions} sessions; soaking for ${o.durationMs / 1000} s, a sample every ${o.sampleMs / 1000} s`);
    for (let next = o.sampleMs; next <= o.durationMs; next += o.sampleMs) {
      await delay(Math.max(0, t0 + next - performance.now()));
      const s = await takeSample(performance.now() - t0, sessions, server, referee, STUCK_AFTER_MS);
      samples.push(s);
      stuck.push(...referee.unsettled(STUCK_AFTER_MS).stuck);
      o.log(formatSample(s, referee.violations.length));
    }
    await faults.stop();
    const settled = await load.stop(STUCK_AFTER_MS);
    if (!settled) stuck.push(...referee.unsettled(0).stuck.map((s) => `at stop: ${s}`));
    await Promise.all(sessions.map((s) => s.close()));
    await assertNoNodesLeft(server.connectString, root, isEmptyLockParent(root)).catch((error: Error) => {
      referee.violations.push(`after the soak: ${error.message}`);
    });
    const warmupMs = warmupFor(o.durationMs);
    const fitted = samples.filter((s) => s.t >= warmupMs);
    const slopes = METRICS.map((m) => checkGrowth(m, fitted.map((s) => s.t), fitted.map((s) => s[m]), BOUNDS[m]));
    return {
      samples,
      slopes,
      violations: referee.violations,
      stuck: [...new Set(stuck)],
      counts: Object.fromEntries([...referee.counts].sort()),
      faults: faults.counts,
      warmupMs,
      ok: referee.violations.length === 0 && stuck.length === 0 && slopes.every((s) => s.ok) && fitted.length >= 2,
    };
  } finally {
    process.off('uncaughtException', onUncaught);
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    await Promise.all(proxies.map((p) => p.close()));
    await stopAll();
  }
}

/** One progress line per sample. */
export function formatSample(s: Sample, violations: number): string {
  return (
    `t=${(s.t / 1000).toFixed(0)}s heap=${s.heapMiB.toFixed(2)}MiB handles=${s.handles} listeners=${s.listeners} ` +
    `watches(client)=${s.clientWatches} pending=${s.pendingRequests} znodes=${s.zkZnodes} watches(zk)=${s.zkWatches} ` +
    `ops=${s.inFlightOps} stuck=${s.stuckOps} violations=${violations}`
  );
}

/** The summary: one line per metric's fit, then outcomes, faults, violations and stuck operations. */
export function formatReport(r: SoakReport): string {
  const lines = [`fitted from t=${(r.warmupMs / 1000).toFixed(0)} s over ${r.samples.filter((s) => s.t >= r.warmupMs).length} samples:`];
  for (const s of r.slopes) {
    const b = BOUNDS[s.metric as keyof typeof BOUNDS];
    lines.push(
      `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.metric.padEnd(16)} ${s.perHour.toFixed(3).padStart(10)} ${b.unit}/hour ` +
        `(growth ${s.growth.toFixed(3)} over the window, allowed ${s.allowed.toFixed(3)}: ${b.perHour}/hour, at least ${b.floor})`,
    );
  }
  lines.push(`outcomes: ${Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push(`faults: ${Object.entries(r.faults).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push(`violations: ${r.violations.length}${r.violations.length ? '\n  ' + r.violations.slice(0, 20).join('\n  ') : ''}`);
  lines.push(`unsettled operations: ${r.stuck.length}${r.stuck.length ? '\n  ' + r.stuck.slice(0, 20).join('\n  ') : ''}`);
  lines.push(r.ok ? 'SOAK PASSED' : 'SOAK FAILED');
  return lines.join('\n');
}
