/**
 * What every workload loop of a chaos worker shares, without importing zoosync (the worker skews
 * its clock before zoosync loads): the IPC to the orchestrator, fenced writes, stalls, small timers.
 */
import type { Recipe, WorkerEvent } from './history.js';
import { now } from './history.js';

/** The workload loops a worker can run (the read-write loop covers both of its recipes). */
export type LoopName = 'region-lock' | 'region-leader' | 'global-lock' | 'global-leader' | 'with-lock' | 'lead' | 'multi-lock' | 'reservation' | 'semaphore' | 'read-write';

/** What the orchestrator passes a worker in the `CHAOS_WORKER` environment variable. */
export interface WorkerConfig {
  id: string;
  hosts: string;
  sessionTimeoutMs: number;
  lockId: string;
  leaderId: string;
  waitForMs: number;
  holdForMs: number;
  campaignMs: number;
  /** How long unlock()/rescind() may take before the worker reports it and moves on. */
  releaseBoundMs: number;
  /** The recipe loops this worker runs, one each. */
  recipes: LoopName[];
  /** Chance that a holder, after checking `signal`, busy-waits `stallMs` before its next write (0: never). */
  stallChance: number;
  /** How long a stall lasts: uniformly in [min, max] ms (past the lease and the session timeout). */
  stallMs: [number, number];
  /** This worker's wall clock runs this far ahead (negative: behind) of the machine's. */
  clockOffsetMs: number;
  /** Passed to the Session when set: how long a contender waits past a lease deadline before taking over. */
  maxClockSkewMs?: number;
}

/** Messages the orchestrator sends a worker. */
export type ToWorker = { type: 'write-reply'; id: number; accepted: boolean } | { type: 'stop' };
/** Messages a worker sends the orchestrator. */
export type FromWorker =
  | { type: 'event'; ev: WorkerEvent & { t: number } }
  | { type: 'write'; id: number; key: string; token: string; value: number; op: number; sentAt: number };

/** This worker's configuration. */
export const cfg = JSON.parse(process.env.CHAOS_WORKER ?? '{}') as WorkerConfig;
/** Aborted when the orchestrator asks the worker to stop. */
export const shutdown = new AbortController();
const pending = new Map<number, (accepted: boolean) => void>();
let nextOp = 0;
let nextWrite = 0;

/** A fresh operation number, unique within this worker incarnation. */
export function newOp(): number {
  return ++nextOp;
}

/** Sends one message to the orchestrator (dropped if it is gone). */
export function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg, undefined, {}, () => undefined);
}

/** Reports one event, stamped with the shared clock. */
export function report(ev: WorkerEvent): void {
  send({ type: 'event', ev: { ...ev, t: now() } });
}

/** Routes the orchestrator's messages: write replies to their writers, `stop` to `shutdown`. */
export function listen(): void {
  process.on('message', (m: ToWorker) => {
    if (m.type === 'write-reply') {
      pending.get(m.id)?.(m.accepted);
      pending.delete(m.id);
    } else if (m.type === 'stop') shutdown.abort(Object.assign(new Error('chaos run over'), { name: 'ChaosStop' }));
  });
}

/**
 * True (and reported) if a handle arrived with its `signal` already aborted: the acquire finished
 * while this process was frozen and the lease or session ran out meanwhile. A careful caller checks
 * `signal` before acting, so it never believes it holds; reading `signal` also checks the clock.
 */
export function stillborn(op: number, key: string, recipe: Recipe, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  const r = signal.reason as Error | undefined;
  report({ kind: 'stillborn', op, key, recipe, reason: `${r?.name}: ${r?.message ?? String(r)}`.slice(0, 200) });
  return true;
}

/** An AbortSignal that aborts after `ms` or with `parent`, and its cleanup (held strongly: no GC can lose the timer). */
export function deadlineSignal(parent: AbortSignal, ms: number): { signal: AbortSignal; clear: () => void } {
  const c = new AbortController();
  const onParent = (): void => c.abort(parent.reason);
  const timer = setTimeout(() => c.abort(Object.assign(new Error(`gave up after ${ms} ms`), { name: 'TimeoutError' })), ms);
  if (parent.aborted) onParent();
  else parent.addEventListener('abort', onParent, { once: true });
  return { signal: c.signal, clear: () => (clearTimeout(timer), parent.removeEventListener('abort', onParent)) };
}

/** Sleeps `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A uniform random number in [lo, hi). */
export const between = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

/** Resolves with `p`'s outcome, or 'timeout' after `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Blocks the event loop for `ms` (a long GC pause): no timer, socket or signal handler runs meanwhile. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* spin */
  }
}

/**
 * One fenced write of `key` with `token`, sent only if `signal` has not aborted. With the
 * configured chance (when `mayStall`), the check is followed by a stall past the lease and the
 * session timeout before the write goes out, unchecked: the write a paused holder makes.
 */
export async function fencedWrite(op: number, key: string, token: bigint, signal: AbortSignal, mayStall = true): Promise<void> {
  if (signal.aborted) return;
  if (mayStall && cfg.stallChance > 0 && Math.random() < cfg.stallChance) {
    const ms = Math.round(between(...cfg.stallMs));
    report({ kind: 'stall-start', op, key, ms });
    busyWait(ms);
    report({ kind: 'stall-end', op, key });
  }
  const id = ++nextWrite;
  const accepted = await new Promise<boolean>((resolve) => {
    pending.set(id, resolve);
    send({ type: 'write', id, key, token: String(token), value: id, op, sentAt: now() });
  });
  report({ kind: accepted ? 'write-ok' : 'write-rejected', op, key, token: String(token) });
}

/** Reports event-loop stalls (SIGSTOP and busy-waits show up here too), which explain late notices. */
export function watchLag(): NodeJS.Timeout {
  let last = performance.now();
  const timer = setInterval(() => {
    const lag = performance.now() - last - 100;
    last = performance.now();
    if (lag > 250) report({ kind: 'lag', ms: Math.round(lag) });
  }, 100);
  timer.unref();
  return timer;
}
