/**
 * The zoosync peer of `npm run bench` (bench/compare.ts), through the public API only: regionTimedLock
 * and regionLeader. Serves the line protocol of serve.ts. Run with --expose-gc (heap per held lock).
 * Usage: node zoosync-peer.js <hosts> <root>
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { regionTimedLock, Session, setRegionLockNamespace, type Lock } from '../../src/index.js';
import { wakeChannel } from '../../src/recipes/contender.js';
import { regionLockPath } from '../../src/wire/paths.js';
import { RescindFailover } from '../leader.js';
import { gaps, serve, windowLoops, type Command } from './serve.js';

const [hosts, root] = process.argv.slice(2) as [string, string];
const namespace = root.slice(1);
setRegionLockNamespace(namespace);
const session = new Session({ hosts });
const lockOpts = { session, waitForMs: 60_000, holdForMs: 10_000 };
const gc = (globalThis as { gc?: () => void }).gc;

/** Counts `zoosync:contender.wake` events (waiters woken) under one lock parent until stopped. */
function countWakes(id: string): { count: () => number; stop: () => void } {
  const parent = `${regionLockPath(namespace, id)}/`;
  let n = 0;
  const on = (m: unknown): void => void ((m as { path: string }).path.startsWith(parent) && n++);
  subscribe(wakeChannel.name, on);
  return { count: () => n, stop: () => unsubscribe(wakeChannel.name, on) };
}

async function handoff(c: Command): Promise<Record<string, unknown>> {
  const sessions = Array.from({ length: Number(c.sessions) }, () => new Session({ hosts }));
  const wakes = countWakes('handoff');
  try {
    await Promise.all(sessions.map((s) => s.connection()));
    const r = await windowLoops(sessions.length, Number(c.ms), async (k) => {
      await (await regionTimedLock('handoff', { ...lockOpts, session: sessions[k]! })).unlock();
    });
    return { ...r, wakes: wakes.count() };
  } finally {
    wakes.stop();
    await Promise.all(sessions.map((s) => s.close()));
  }
}

async function failover(c: Command): Promise<Record<string, unknown>> {
  const f = await RescindFailover.open(hosts, `${namespace.replace(/\//g, '-')}-leader`);
  try {
    return { ms: await f.run(Number(c.runs)) };
  } finally {
    await f.close();
  }
}

let queued: { holder: Lock; waiters: Promise<void>[]; at: number[]; wakes: ReturnType<typeof countWakes> } | undefined;

async function queue(c: Command): Promise<Record<string, unknown>> {
  const n = Number(c.n);
  const opts = { session, waitForMs: 300_000, holdForMs: 600_000 };
  const holder = await regionTimedLock('waiters', opts);
  const t0 = performance.now();
  const at: number[] = [];
  const waiters = Array.from({ length: n }, async () => {
    const l = await regionTimedLock('waiters', opts);
    at.push(performance.now());
    await l.unlock();
  });
  const parent = regionLockPath(namespace, 'waiters');
  const until = performance.now() + 120_000;
  while ((await session.request({ op: 'getChildren', path: parent })).length < n + 1) {
    if (performance.now() > until) throw new Error('waiters never all queued');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 300)); // each waiter's watch on its predecessor is set just after its list
  queued = { holder, waiters, at, wakes: countWakes('waiters') };
  return { queued: n, queueMs: performance.now() - t0 };
}

async function drain(): Promise<Record<string, unknown>> {
  const q = queued!;
  queued = undefined;
  const t0 = performance.now();
  try {
    await q.holder.unlock();
    await Promise.all(q.waiters);
  } finally {
    q.wakes.stop();
  }
  return { handoffs: q.at.length, totalMs: q.at.at(-1)! - t0, wakes: q.wakes.count(), ...gaps(t0, q.at) };
}

function heapAfterGc(): number {
  if (gc) for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

let held: { session: Session; locks: Lock[] } | undefined;

async function hold(c: Command): Promise<Record<string, unknown>> {
  const s = new Session({ hosts: String(c.hosts) });
  await s.connection();
  const n = Number(c.n);
  const inFlight = Number(c.threads);
  const before = heapAfterGc();
  const locks = new Array<Lock>(n);
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let i = next++; i < n; i = next++) locks[i] = await regionTimedLock(`held-${i}`, { session: s, waitForMs: 120_000, holdForMs: 3_600_000 });
      }),
    );
  } catch (error) {
    await s.close(); // its nodes go with the session
    throw error;
  }
  const acquireMs = performance.now() - t0;
  await s.request({ op: 'exists', path: '/' }); // replies come in order: every guard's read is answered
  const after = heapAfterGc();
  held = { session: s, locks };
  return { held: n, acquireMs, heapBytes: after - before, heapKind: gc ? 'V8 heapUsed after gc()' : 'V8 heapUsed (no gc)', how: `${inFlight} acquires in flight` };
}

/** Times the first answered request after the bench cut our connection (a request caught by the cut is retried). */
async function probe(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  for (;;) {
    try {
      await held!.session.request({ op: 'exists', path: '/' });
      break;
    } catch (error) {
      if (performance.now() - t0 > 60_000) throw error;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return { ms: performance.now() - t0, stillHeld: held!.locks.filter((l) => l.isHeld).length };
}

async function release(): Promise<Record<string, unknown>> {
  const h = held!;
  held = undefined;
  const t0 = performance.now();
  await Promise.all(h.locks.map((l) => l.unlock()));
  const releaseMs = performance.now() - t0;
  await h.session.close();
  return { releaseMs };
}

await session.connection();
await serve(
  {
    hello: () => Promise.resolve({ version: `zoosync ${process.env.npm_package_version ?? ''}`.trim() }),
    locks: (c) => windowLoops(Number(c.n), Number(c.ms), async (k) => (await regionTimedLock(`${String(c.tag)}-${k}`, lockOpts)).unlock()),
    handoff,
    failover,
    queue,
    drain,
    hold,
    probe,
    release,
  },
  () => session.close(),
);
process.exit(0);
