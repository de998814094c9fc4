/**
 * A chaos worker (a child process): one Session through its own proxies, a leader loop and a lock
 * loop running side by side, each write fenced through the orchestrator's store, and every event
 * reported over IPC with a timestamp from the shared clock.
 */
import { LeadershipEndedError, LockReleasedError, regionLeader, regionTimedLock, Session, ZoosyncError } from '../../src/index.js';
import type { ErrorInfo, WorkerEvent } from './history.js';
import { now } from './history.js';

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
}

/** Messages the orchestrator sends a worker. */
export type ToWorker = { type: 'write-reply'; id: number; accepted: boolean } | { type: 'stop' };
/** Messages a worker sends the orchestrator. */
export type FromWorker =
  | { type: 'event'; ev: WorkerEvent & { t: number } }
  | { type: 'write'; id: number; key: string; token: string; value: number };

const cfg = JSON.parse(process.env.CHAOS_WORKER ?? '{}') as WorkerConfig;
const shutdown = new AbortController();
const pending = new Map<number, (accepted: boolean) => void>();
let nextOp = 0;
let nextWrite = 0;

function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg, undefined, {}, () => undefined);
}

function report(ev: WorkerEvent): void {
  send({ type: 'event', ev: { ...ev, t: now() } });
}

function info(error: unknown): ErrorInfo {
  const e = error as Error;
  return { name: e?.name ?? typeof error, message: String(e?.message ?? error).slice(0, 200), zoosync: error instanceof ZoosyncError };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const between = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

/** Resolves with `p`'s outcome, or 'timeout' after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Sends one fenced write unless `signal` says we no longer hold; reports the store's answer. */
async function fencedWrite(op: number, key: string, token: bigint, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const id = ++nextWrite;
  const accepted = await new Promise<boolean>((resolve) => {
    pending.set(id, resolve);
    send({ type: 'write', id, key, token: String(token), value: id });
  });
  report({ kind: accepted ? 'write-ok' : 'write-rejected', op, key, token: String(token) });
}

async function leaderLoop(session: Session): Promise<void> {
  while (!shutdown.signal.aborted) {
    const op = ++nextOp;
    report({ kind: 'campaign-start', op, boundMs: cfg.campaignMs });
    let leader;
    try {
      const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(cfg.campaignMs)]);
      leader = await regionLeader(cfg.leaderId, { signal, session });
    } catch (error) {
      report({ kind: 'campaign-failed', op, error: info(error) });
      await sleep(between(20, 100));
      continue;
    }
    report({ kind: 'elected', op, token: String(leader.fencingToken) });
    const onEnd = (): void => {
      const r = leader.signal.reason;
      report({ kind: 'rescinded', op, reason: r instanceof LeadershipEndedError ? r.reason : String(r) });
    };
    if (leader.signal.aborted) onEnd();
    else leader.signal.addEventListener('abort', onEnd, { once: true });
    try {
      const until = performance.now() + between(50, 200);
      while (performance.now() < until && !leader.signal.aborted) {
        await fencedWrite(op, 'leader', leader.fencingToken, leader.signal);
        await sleep(between(15, 40));
      }
    } catch (error) {
      report({ kind: 'error', op, where: 'leader-work', error: info(error) });
    }
    report({ kind: 'rescind-start', op, boundMs: cfg.releaseBoundMs });
    const done = await within(leader.rescind().then(() => leader.rescinded), cfg.releaseBoundMs).catch((e: unknown) => e);
    if (done === 'timeout') report({ kind: 'error', op, where: 'rescind-unsettled', error: info(new Error('rescind() did not settle')) });
    else report({ kind: 'rescind-done', op });
    await sleep(between(0, 80));
  }
}

async function lockLoop(session: Session): Promise<void> {
  while (!shutdown.signal.aborted) {
    const op = ++nextOp;
    report({ kind: 'acquire-start', op, boundMs: cfg.waitForMs });
    let lock;
    try {
      lock = await regionTimedLock(cfg.lockId, { waitForMs: cfg.waitForMs, holdForMs: cfg.holdForMs, signal: shutdown.signal, session });
    } catch (error) {
      report({ kind: 'acquire-failed', op, error: info(error) });
      await sleep(between(10, 60));
      continue;
    }
    report({ kind: 'acquired', op, token: String(lock.fencingToken) });
    const onEnd = (): void => {
      const r = lock.signal.reason as Error;
      if (r instanceof LockReleasedError) report({ kind: 'released', op });
      else report({ kind: 'lost', op, reason: `${r?.name}: ${r?.message}` });
    };
    if (lock.signal.aborted) onEnd();
    else lock.signal.addEventListener('abort', onEnd, { once: true });
    try {
      const writes = 2 + Math.floor(Math.random() * 3);
      for (let i = 0; i < writes && !lock.signal.aborted; i++) {
        await fencedWrite(op, 'lock', lock.fencingToken, lock.signal);
        await sleep(between(10, 40));
      }
    } catch (error) {
      report({ kind: 'error', op, where: 'lock-work', error: info(error) });
    }
    report({ kind: 'unlock-start', op, boundMs: cfg.releaseBoundMs });
    const done = await within(lock.unlock(), cfg.releaseBoundMs).catch((e: unknown) => e);
    if (done === 'timeout') report({ kind: 'error', op, where: 'unlock-unsettled', error: info(new Error('unlock() did not settle')) });
    else report({ kind: 'unlock-done', op });
    await sleep(between(0, 60));
  }
}

/** Reports event-loop stalls (a SIGSTOP shows up here too), which explain late notices. */
function watchLag(): NodeJS.Timeout {
  let last = performance.now();
  const timer = setInterval(() => {
    const lag = performance.now() - last - 100;
    last = performance.now();
    if (lag > 250) report({ kind: 'lag', ms: Math.round(lag) });
  }, 100);
  timer.unref();
  return timer;
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(3)); // orchestrator gone: do not linger
  process.on('message', (m: ToWorker) => {
    if (m.type === 'write-reply') {
      pending.get(m.id)?.(m.accepted);
      pending.delete(m.id);
    } else if (m.type === 'stop') shutdown.abort(Object.assign(new Error('chaos run over'), { name: 'ChaosStop' }));
  });
  const session = new Session({ hosts: cfg.hosts, sessionTimeoutMs: cfg.sessionTimeoutMs });
  const lag = watchLag();
  report({ kind: 'ready' });
  const loops = [leaderLoop(session), lockLoop(session)].map((p) =>
    p.catch((error: unknown) => report({ kind: 'error', where: 'loop', error: info(error) })),
  );
  await Promise.all(loops);
  await within(session.close(), cfg.releaseBoundMs).catch(() => undefined);
  clearInterval(lag);
  await new Promise<void>((resolve) => process.send!({ type: 'event', ev: { kind: 'stopped', t: now() } } satisfies FromWorker, undefined, {}, () => resolve()));
  process.exit(0);
}

void main();
