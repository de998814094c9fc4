/** Reads the family workers' logs into hold intervals and checks them: how many at once, and who overlapped a writer. */
import assert from 'node:assert/strict';

/** One hold as a worker logged it (inside the real hold: logged after acquire resolved, before unlock). */
export interface Hold {
  worker: number;
  mode: string;
  start: number;
  end: number;
  token: bigint;
}

/** Pairs each worker's acquire/release records; every acquire must be closed by its release. */
export function holdsOf(log: string): Hold[] {
  const open = new Map<number, { t: number; token: string; mode: string }>();
  const out: Hold[] = [];
  for (const line of log.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as { worker: number; ev: string; t: number; token: string; mode: string };
    if (r.ev === 'acquire') {
      assert.equal(open.has(r.worker), false, `worker ${r.worker} acquired twice without a release`);
      open.set(r.worker, r);
    } else {
      const a = open.get(r.worker);
      assert.ok(a && a.token === r.token, `release without acquire in worker ${r.worker}`);
      out.push({ worker: r.worker, mode: r.mode, start: a.t, end: r.t, token: BigInt(r.token) });
      open.delete(r.worker);
    }
  }
  assert.equal(open.size, 0, 'a hold was never closed');
  return out.sort((x, y) => x.start - y.start);
}

/** The most holds open at one instant. */
export function mostAtOnce(holds: readonly Hold[]): number {
  const events = holds.flatMap((h) => [
    { t: h.start, d: 1 },
    { t: h.end, d: -1 },
  ]);
  // At equal instants, count the end first: a hand-off logged at the same ms is not an overlap.
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (open += e.d));
  return most;
}

/** Pairs of holds that overlap in time where at least one is a writer. */
export function writerOverlaps(holds: readonly Hold[]): Array<[Hold, Hold]> {
  const found: Array<[Hold, Hold]> = [];
  for (let i = 0; i < holds.length; i++) {
    for (let j = i + 1; j < holds.length && holds[j]!.start < holds[i]!.end; j++) {
      if (holds[i]!.mode === 'write' || holds[j]!.mode === 'write') found.push([holds[i]!, holds[j]!]);
    }
  }
  return found;
}

/** Semaphore parents are containers: the server removes them once empty, which may take a moment. */
export const isSemaphoreContainer = (root: string) => (path: string): boolean => /^\/sync\/semaphore(\/[^/]+(\/(locks|leases))?)?$/.test(path.slice(root.length));

/** Read-write lock parents are removed by the reaper, not on unlock. */
export const isReadWriteParent = (root: string) => (path: string): boolean => /^\/sync\/rwlock(\/[^/]+)?$/.test(path.slice(root.length));
