/**
 * The chaos run's history: what every worker reported, every fault the nemesis injected and every
 * write the fenced store saw, all stamped with one clock (`performance.timeOrigin + performance.now()`).
 */

/** Milliseconds since the epoch on the machine-wide monotonic-ish clock every process shares. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** An error as a worker reports it. */
export interface ErrorInfo {
  name: string;
  message: string;
  /** True for zoosync's own error classes (expected under faults). */
  zoosync: boolean;
}

/** What a worker reports, before the orchestrator adds who said it. */
export type WorkerEvent =
  | { kind: 'ready'; clockOffsetMs: number }
  | { kind: 'stopped' }
  | { kind: 'acquire-start'; op: number; boundMs: number; recipe?: Recipe }
  /**
   * `key` names what is held (a lock id, `leader`, `reservation`...); `deadline` is the lease's end on
   * the history's clock (the worker's wall clock minus its skew); `ttlMs` caps a reservation's belief.
   */
  | { kind: 'acquired'; op: number; key: string; recipe: Recipe; token: string; deadline?: number; ttlMs?: number; permits?: number }
  | { kind: 'acquire-failed'; op: number; error: ErrorInfo }
  | { kind: 'released'; op: number }
  | { kind: 'lost'; op: number; reason: string }
  | { kind: 'campaign-start'; op: number; boundMs: number }
  | { kind: 'elected'; op: number; key: string; recipe: Recipe; token: string }
  /** An acquire or campaign that resolved with its `signal` already aborted (it completed while the worker was frozen): never a belief. */
  | { kind: 'stillborn'; op: number; key: string; recipe: Recipe; reason: string }
  | { kind: 'campaign-failed'; op: number; error: ErrorInfo }
  | { kind: 'rescinded'; op: number; reason: string }
  | { kind: 'unlock-start' | 'unlock-done' | 'rescind-start' | 'rescind-done' | 'stop-start' | 'stop-done'; op: number; boundMs?: number }
  /** A synchronous busy-wait inside a critical section, after checking `signal` and before a write. */
  | { kind: 'stall-start'; op: number; key: string; ms: number }
  | { kind: 'stall-end'; op: number; key: string }
  | { kind: 'write-ok' | 'write-rejected'; op: number; key: string; token: string }
  | { kind: 'error'; op?: number; where: string; error: ErrorInfo }
  | { kind: 'lag'; ms: number };

/** The recipes a worker runs; each holds one or more keys. */
export type Recipe =
  | 'region-lock'
  | 'region-leader'
  | 'global-lock'
  | 'global-leader'
  | 'with-lock'
  | 'lead'
  | 'multi-lock'
  | 'reservation'
  | 'semaphore'
  | 'rw-read'
  | 'rw-write';

/** A worker event as recorded: when, and by which worker incarnation. */
export type HistoryEvent = WorkerEvent & { t: number; worker: string };

/** The kinds of fault the nemesis injects. */
export type FaultKind =
  | 'zk-kill'
  | 'zk-kill-leader'
  | 'zk-pause'
  | 'zk-pause-leader'
  | 'net-silence'
  | 'net-cut'
  | 'worker-pause'
  | 'worker-kill'
  | 'net-oneway-to-server'
  | 'net-oneway-to-client'
  | 'net-slow'
  | 'zk-partition'
  | 'zk-partition-leader';

/** One injected fault: its target (a server like `zk2` or a worker like `w3.1`) and when it began and ended. */
export interface Fault {
  kind: FaultKind;
  target: string;
  start: number;
  end?: number;
  note?: string;
}

/** One write the fenced store received. */
export interface StoreWrite {
  t: number;
  /** When the worker sent it (history clock), and the worker's op that held the token. */
  sentAt: number;
  op: number;
  key: string;
  token: bigint;
  holder: string;
  value: number;
  accepted: boolean;
}

/** How a worker process ended: a graceful stop, a nemesis kill, or anything else (a crash). */
export interface WorkerExit {
  worker: string;
  t: number;
  how: 'stopped' | 'killed' | 'crashed' | 'killed-at-teardown';
  detail?: string;
}

/** Everything the checker reads. */
export class History {
  /** Worker events in arrival order. */
  readonly events: HistoryEvent[] = [];
  /** Faults in injection order. */
  readonly faults: Fault[] = [];
  /** Store writes in the order the store decided them. */
  readonly writes: StoreWrite[] = [];
  /** How each worker incarnation ended. */
  readonly exits: WorkerExit[] = [];
  /** Infrastructure trouble that is not a verdict on zoosync (a server that would not restart). */
  readonly notes: string[] = [];

  private readonly believing = new Map<string, string>();

  /** Records a worker's event. */
  event(worker: string, ev: WorkerEvent & { t: number }): void {
    this.events.push({ ...ev, worker });
    if (ev.kind === 'acquired' || ev.kind === 'elected') this.believing.set(`${worker}#${ev.op}`, worker);
    if (ev.kind === 'released' || ev.kind === 'lost' || ev.kind === 'rescinded') this.believing.delete(`${worker}#${ev.op}`);
  }

  /** Workers that last reported holding the lock or leading (the nemesis likes to hit them). */
  holders(): string[] {
    return [...new Set(this.believing.values())];
  }

  /** Records a fault starting now and returns it, to set `end` later. */
  fault(kind: FaultKind, target: string, note?: string): Fault {
    const f: Fault = { kind, target, start: now(), ...(note ? { note } : {}) };
    this.faults.push(f);
    return f;
  }

  /** Renders the events and faults between `from` and `to` (ms) for the given workers, for a violation report. */
  excerpt(from: number, to: number, workers: string[], t0: number): string {
    const rows: Array<[number, string]> = [];
    for (const e of this.events) {
      if (e.t < from || e.t > to || !workers.includes(e.worker)) continue;
      const { t, worker, kind, ...rest } = e;
      rows.push([t, `${worker} ${kind} ${JSON.stringify(rest, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`]);
    }
    for (const f of this.faults) {
      if ((f.end ?? Infinity) < from || f.start > to || !(f.target.startsWith('zk') || workers.includes(f.target))) continue;
      rows.push([f.start, `NEMESIS ${f.kind} ${f.target}${f.note ? ` (${f.note})` : ''} until ${f.end === undefined ? '?' : ((f.end - t0) / 1000).toFixed(3)}`]);
    }
    for (const w of this.writes) {
      if (w.t < from || w.t > to || !workers.includes(w.holder)) continue;
      rows.push([w.t, `STORE ${w.accepted ? 'accepted' : 'rejected'} ${w.key} token=${w.token} from ${w.holder}`]);
    }
    rows.sort((a, b) => a[0] - b[0]);
    return rows.map(([t, s]) => `    ${((t - t0) / 1000).toFixed(3)}s ${s}`).join('\n');
  }
}
