/**
 * One sample of everything that could leak in a long-lived process: heap after GC, active
 * handles, listeners on the sessions and their connections, the client's registered watches and
 * in-flight requests, the server's node and watch counts, and operations not yet settled.
 */
import type { EventEmitter } from 'node:events';
import type { Session } from '../../src/index.js';
import { fourLetter, type ZkServer } from '../harness/index.js';
import type { Referee } from './invariants.js';

/** What one sample holds. */
export interface Sample {
  /** ms since the soak started. */
  t: number;
  heapMiB: number;
  handles: number;
  listeners: number;
  clientWatches: number;
  pendingRequests: number;
  zkZnodes: number;
  zkWatches: number;
  inFlightOps: number;
  stuckOps: number;
}

/** The metrics whose growth is fitted (all but `t`). */
export const METRICS = ['heapMiB', 'handles', 'listeners', 'clientWatches', 'pendingRequests', 'zkZnodes', 'zkWatches', 'inFlightOps'] as const;

/** The Connection's client-side members the sampler reads (private to `src/zk/`; read here only, never changed). */
interface ConnectionInsides extends EventEmitter {
  cm?: { watcherManager?: Record<'dataWatchers' | 'childWatchers' | 'existenceWatchers', Record<string, EventEmitter | undefined>> };
  pending?: { fails?: Map<unknown, number> };
}

function listenerTotal(emitter: EventEmitter | undefined): number {
  if (!emitter) return 0;
  return emitter.eventNames().reduce((n, name) => n + emitter.listenerCount(name), 0);
}

function watchTotal(conn: ConnectionInsides | undefined): number {
  const wm = conn?.cm?.watcherManager;
  if (!wm) return 0;
  let n = 0;
  for (const kind of ['dataWatchers', 'childWatchers', 'existenceWatchers'] as const) {
    for (const emitter of Object.values(wm[kind])) n += emitter?.listenerCount('notification') ?? 0;
  }
  return n;
}

/** `mntr` of the server, parsed: key → number. */
export async function mntr(server: ZkServer): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const text = await fourLetter(server.host, server.port, 'mntr', 2000).catch(() => '');
  for (const line of text.split('\n')) {
    const [k, v] = line.split('\t');
    if (k && v !== undefined && Number.isFinite(Number(v))) out.set(k.trim(), Number(v));
  }
  return out;
}

/** Takes one sample (calls `gc()` first when exposed); `stuckAfterMs` says when an operation counts as stuck. */
export async function takeSample(t: number, sessions: readonly Session[], server: ZkServer, referee: Referee, stuckAfterMs: number): Promise<Sample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  const conns = sessions.map((s) => s.current as unknown as ConnectionInsides | undefined);
  const stats = await mntr(server);
  const ops = referee.unsettled(stuckAfterMs);
  return {
    t,
    heapMiB,
    handles: process.getActiveResourcesInfo().length,
    listeners: sessions.reduce((n, s, i) => n + listenerTotal(s) + listenerTotal(conns[i]), 0),
    clientWatches: conns.reduce((n, c) => n + watchTotal(c), 0),
    pendingRequests: conns.reduce((n, c) => n + (c?.pending?.fails?.size ?? 0), 0),
    zkZnodes: stats.get('zk_znode_count') ?? Number.NaN,
    zkWatches: stats.get('zk_watch_count') ?? Number.NaN,
    inFlightOps: ops.inFlight,
    stuckOps: ops.stuck.length,
  };
}
