/**
 * The bench's cases, run on one peer at a time against one server, each returning its figures
 * (a Sample): rate and latency from the peer, client CPU from the peer's /proc, server CPU and
 * packets from the server's /proc and mntr, all divided by the operations the peer completed.
 */
import { sleep, type TcpProxy, type ZkServer } from '../../test/harness/index.js';
import { quantile } from '../stats.js';
import type { PeerProcess, Reply } from './peer.js';
import { perOp, snapshot, type ServerSnapshot } from './server-meter.js';

/** One case's figures for one peer in one round (NaN or absent when not measured). */
export type Sample = Record<string, number>;

/** What the cases need. */
export interface CaseEnv {
  server: ZkServer;
  proxy: TcpProxy;
  windowMs: number;
  failoverRuns: number;
  waiters: number;
  held: number;
}

interface Mark {
  cpu: number;
  server: ServerSnapshot;
}

async function mark(peer: PeerProcess, server: ZkServer): Promise<Mark> {
  return { cpu: peer.cpuMs(), server: await snapshot(server) };
}

/** Per-op costs between two marks: client and server CPU (µs), packets sent/received, notifications. */
function costs(a: Mark, b: Mark, ops: number): Sample {
  return { clientCpuUs: ((b.cpu - a.cpu) * 1000) / ops, ...perOp(a.server, b.server, ops) };
}

const n = (r: Reply, k: string): number => (r[k] === null || r[k] === undefined ? Number.NaN : Number(r[k]));

/** Case 1 (and 2 at n = 1): `count` locks on distinct ids in flight from one process, lock+unlock for a window. */
export async function locksInFlight(peer: PeerProcess, env: CaseEnv, count: number): Promise<Sample> {
  const a = await mark(peer, env.server);
  const r = await peer.request({ cmd: 'locks', n: count, ms: env.windowMs, tag: `l${count}` });
  const b = await mark(peer, env.server);
  return { rate: (n(r, 'ops') * 1000) / n(r, 'totalMs'), p50: n(r, 'p50'), p99: n(r, 'p99'), ...costs(a, b, n(r, 'ops')) };
}

/** Case 3: hand-offs per second, 8 sessions looping on one lock. */
export async function handoffs(peer: PeerProcess, env: CaseEnv): Promise<Sample> {
  const a = await mark(peer, env.server);
  const r = await peer.request({ cmd: 'handoff', sessions: 8, ms: env.windowMs });
  const b = await mark(peer, env.server);
  const ops = n(r, 'ops');
  return { rate: (ops * 1000) / n(r, 'totalMs'), ...costs(a, b, ops), ...(r.wakes === undefined ? {} : { wakes: n(r, 'wakes') / ops }) };
}

/** Case 4: graceful leader fail-over, two sessions taking turns; costs are per fail-over including the next campaign. */
export async function failover(peer: PeerProcess, env: CaseEnv): Promise<Sample> {
  const a = await mark(peer, env.server);
  const r = await peer.request({ cmd: 'failover', runs: env.failoverRuns });
  const b = await mark(peer, env.server);
  const ms = (r.ms as number[]) ?? [];
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), ...costs(a, b, ms.length) };
}

/** Case 5: `env.waiters` waiters queued on one lock, then the holder lets go; time and cost per hand-off. */
export async function waiters(peer: PeerProcess, env: CaseEnv): Promise<Sample> {
  const q = await peer.request({ cmd: 'queue', n: env.waiters }, 300_000);
  const a = await mark(peer, env.server);
  const r = await peer.request({ cmd: 'drain' }, 300_000);
  const b = await mark(peer, env.server);
  const ops = n(r, 'handoffs');
  return {
    perHandoffMs: n(r, 'totalMs') / ops,
    p50: n(r, 'p50'),
    p99: n(r, 'p99'),
    firstTenthMs: n(r, 'firstTenthMs'),
    lastTenthMs: n(r, 'lastTenthMs'),
    queueMs: n(q, 'queueMs'),
    ...costs(a, b, ops),
    ...(r.wakes === undefined ? {} : { wakes: n(r, 'wakes') / ops }),
  };
}

/**
 * Case 6: `env.held` locks held at once on distinct ids by one session through the proxy; heap per
 * held lock; then the proxy resets the connection and we time the reconnect (the peer's first
 * answered request) and, for a peer whose holders keep watches (guards), until the server has
 * every one of them registered again.
 */
export async function heldLocks(peer: PeerProcess, env: CaseEnv): Promise<Sample> {
  const base = await snapshot(env.server);
  const h = await peer.request({ cmd: 'hold', n: env.held, hosts: env.proxy.connectString, threads: peer.spec.holdThreads }, 1_200_000);
  const before = await snapshot(env.server);
  // Watches the holders keep (under a tenth of one per lock is other traffic, not guards).
  const guards = before.watches - base.watches >= env.held / 10 ? before.watches - base.watches : 0;
  const t0 = performance.now();
  env.proxy.cut();
  env.proxy.pass();
  let minWatches = before.watches;
  let probeDone = false;
  const probe = peer.request({ cmd: 'probe' }, 120_000).then(
    (r) => ((probeDone = true), r),
    (e: unknown) => ((probeDone = true), Promise.reject(e)),
  );
  probe.catch(() => undefined); // awaited below; the loop must not see it as unhandled
  // After the reconnect, give the guards 10 s to come back (a peer that re-registers them does so at once).
  let rearmMs = Number.NaN;
  let watchesBack = 0;
  let probeAt = Number.NaN;
  while (performance.now() - t0 < 130_000) {
    const w = (await snapshot(env.server)).watches;
    minWatches = Math.min(minWatches, w);
    if (probeDone) {
      if (Number.isNaN(probeAt)) probeAt = performance.now();
      watchesBack = Math.max(watchesBack, w - base.watches);
      if (guards > 0 && w >= before.watches) {
        rearmMs = performance.now() - t0;
        break;
      }
      if (guards <= 0 || performance.now() - probeAt > 10_000) break;
    }
    await sleep(10);
  }
  const p = await probe;
  const rel = await peer.request({ cmd: 'release' }, 1_200_000);
  const held = n(h, 'held');
  return {
    held,
    heapPerLock: n(h, 'heapBytes') / held,
    acquirePerSec: (held * 1000) / n(h, 'acquireMs'),
    guardWatches: guards,
    watchesAfterCut: minWatches - base.watches,
    guardsBack: watchesBack,
    rearmedShare: guards > 0 ? watchesBack / guards : Number.NaN,
    reconnectMs: n(p, 'ms'),
    rearmMs,
    ...(p.stillHeld === undefined ? {} : { stillHeld: n(p, 'stillHeld') }),
    releaseMs: n(rel, 'releaseMs'),
  };
}
