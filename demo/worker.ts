/**
 * One demo worker process (forked by run.ts with argv [name, hosts]): campaigns for
 * `demo/scheduler`, runs short jobs under the `demo/jobs` lock (every ~150 ms while leader, now
 * and then otherwise), and reports every role change to the orchestrator over IPC.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LeadershipEndedError, LockReleasedError, regionLeader, regionTimedLock, Session, type Leader } from '../src/index.js';
import { now, type Command, type WorkerEvent } from './timeline.js';

const [, , , hosts] = process.argv; // argv[2] is the worker's name: run.ts labels the events with it
const session = new Session({ hosts, sessionTimeoutMs: 3000 });
const stop = new AbortController();
let leader: Leader | undefined;
let lockSeq = 0;
let termSeq = 0;

function send(ev: WorkerEvent): void {
  if (process.connected) process.send!(ev);
}

const hex = (b: bigint): string => `0x${b.toString(16)}`;
const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
/** Sleeps `ms`, returning early (without throwing) if `signal` aborts. */
const pause = (ms: number, signal: AbortSignal): Promise<void> => sleep(ms, undefined, { signal }).catch(() => undefined);

for (const state of ['connected', 'suspended', 'reconnected', 'lost'] as const) {
  // Session passes `suspended` a reason string and `lost` its ZoosyncError; the others nothing.
  session.on(state, (detail?: string | Error) => {
    const d = detail instanceof Error ? detail.message : detail;
    send({ kind: 'session', t: now(), state, ...(d ? { detail: d } : {}) });
  });
}

/** Takes the jobs lock, works 20–50 ms, releases it; reports the hold. */
async function job(asLeader: boolean): Promise<void> {
  let lock;
  try {
    lock = await regionTimedLock('demo/jobs', { session, waitForMs: 2000, holdForMs: 2000, signal: stop.signal });
  } catch (error) {
    if (!stop.signal.aborted) send({ kind: 'lock-failed', t: now(), error: describe(error) });
    await pause(100, stop.signal);
    return;
  }
  const n = ++lockSeq;
  send({ kind: 'lock-acquired', t: now(), n, token: hex(lock.fencingToken), asLeader });
  const held = lock;
  const onAbort = (): void => {
    const r: unknown = held.signal.reason;
    const reason = describe(r).replace(`lock ${held.path} lost: `, ''); // the path is long and the same for all
    send({ kind: 'lock-lost', t: now(), n, normal: r instanceof LockReleasedError, reason });
  };
  if (held.signal.aborted) onAbort();
  else held.signal.addEventListener('abort', onAbort, { once: true });
  await pause(20 + Math.random() * 30, held.signal);
  const t = now();
  await held.unlock();
  send({ kind: 'lock-released', t, n });
}

/** Campaign, lead (a job every ~150 ms) until leadership ends, repeat until stopped. */
async function leaderLoop(): Promise<void> {
  while (!stop.signal.aborted) {
    let l: Leader;
    try {
      l = await regionLeader('demo/scheduler', { session, signal: stop.signal });
    } catch (error) {
      if (stop.signal.aborted) return;
      send({ kind: 'error', t: now(), where: 'campaign', error: describe(error) });
      await pause(200, stop.signal);
      continue;
    }
    const term = ++termSeq;
    leader = l;
    send({ kind: 'elected', t: now(), term, token: hex(l.fencingToken) });
    const onLost = (): void => {
      const r: unknown = l.signal.reason;
      send({ kind: 'leader-lost', t: now(), term, reason: r instanceof LeadershipEndedError ? r.reason : describe(r) });
    };
    if (l.signal.aborted) onLost();
    else l.signal.addEventListener('abort', onLost, { once: true });
    void l.rescinded.then((reason) => send({ kind: 'rescinded', t: now(), term, reason }));
    const either = AbortSignal.any([l.signal, stop.signal]);
    while (!either.aborted) {
      await job(true);
      await pause(150, either);
    }
    leader = undefined;
    await l.rescind();
  }
}

/** Now and then, when not leading, run a job of our own so the lock is contended. */
async function helperLoop(): Promise<void> {
  while (!stop.signal.aborted) {
    await pause(200 + Math.random() * 300, stop.signal);
    if (!stop.signal.aborted && !leader?.isLeader) await job(false);
  }
}

const loops = Promise.allSettled([leaderLoop(), helperLoop()]);
let stopping = false;

/** Stops both loops, rescinds/unlocks (the loops do), closes the session, reports and exits. */
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  stop.abort();
  setTimeout(() => process.exit(1), 4000); // hard limit: never linger
  await loops;
  await session.close().catch(() => undefined);
  if (!process.connected) process.exit(0);
  process.send!({ kind: 'stopped', t: now() } satisfies WorkerEvent, () => process.exit(0));
}

process.on('message', (m: Command) => {
  if (m.kind === 'stop') void shutdown();
});
process.on('disconnect', () => void shutdown()); // the orchestrator is gone
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => undefined); // Ctrl-C reaches the whole group: the orchestrator decides
