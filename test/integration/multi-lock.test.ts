// regionMultiLock (Curator's InterProcessMultiLock) against a real ZooKeeper: one global order
// (no deadlock between reversed sets), all or nothing, one wait limit for the set, aborts and
// losses release what was taken, the handle's signal, bad input refused before any I/O, and
// mutual exclusion across processes.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  InvalidArgumentError,
  LeaseTooShortError,
  LockLostError,
  LockReleasedError,
  LockTimeoutError,
  MAX_MULTI_LOCK_IDS,
  regionMultiLock,
  regionTimedLock,
  type MultiLock,
  type Session,
} from '../../src/index.js';
import { connectBare, sharedServer, sleep, stopAll, waitFor } from '../harness/index.js';
import { childrenOf, testEnv, untilChildren } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const PARENT = (id: string): string => `/sync/regionlock/${id}`;
const LONG = { waitForMs: 30_000, holdForMs: 30_000 } as const;

const children = childrenOf;

const nodeName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

interface Interval {
  who: string;
  start: number;
  end: number;
  tokens: bigint[];
}

/** Pairs of intervals that overlap in time (sorted by start). */
function overlaps(ivs: Interval[]): Array<[Interval, Interval]> {
  const sorted = [...ivs].sort((x, y) => x.start - y.start);
  const found: Array<[Interval, Interval]> = [];
  let latest: Interval | undefined;
  for (const iv of sorted) {
    if (latest && iv.start < latest.end) found.push([latest, iv]);
    if (!latest || iv.end > latest.end) latest = iv;
  }
  return found;
}

test('the handle: locks in byte order of their paths, a token per lock, extend, unlock twice, await using', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const m = await regionMultiLock(['m/2', 'b', new TextEncoder().encode('z'), 'a', 'é'], { session: s, ...LONG });
    assert.deepEqual(m.paths, ['a', 'b', 'm#2', 'z', 'é'].map(PARENT));
    assert.equal(m.locks.length, 5);
    for (let i = 0; i < m.locks.length; i++) {
      assert.ok(m.locks[i]!.path.startsWith(`${m.paths[i]}/_c_`), m.locks[i]!.path);
      assert.equal(m.fencingTokens[i], m.locks[i]!.fencingToken);
      assert.deepEqual(await children(s, m.paths[i]!), [nodeName(m.locks[i]!.path)]);
    }
    // Taken one after the other in that order: the czxids increase along it.
    for (let i = 1; i < m.fencingTokens.length; i++) assert.ok(m.fencingTokens[i]! > m.fencingTokens[i - 1]!);
    assert.equal(m.isHeld, true);
    assert.equal(m.signal.aborted, false);

    const before = m.locks.map((l) => l.deadline);
    await m.extend(60_000);
    m.locks.forEach((l, i) => assert.ok(l.deadline > before[i]!, `lock ${i} not extended`));
    await assert.rejects(m.extend(500), LeaseTooShortError);

    const signal = m.signal;
    await m.unlock();
    await m.unlock();
    assert.ok(signal.reason instanceof LockReleasedError, String(signal.reason));
    assert.equal(m.isHeld, false);
    await assert.rejects(m.extend(5000), LockReleasedError);
    for (const p of m.paths) assert.deepEqual(await children(s, p), [], `${p} still has a node`);

    const again = await regionMultiLock(['a', 'b'], { session: s, ...LONG });
    await Promise.all([again.unlock(), again.unlock(), again[Symbol.asyncDispose]()]);
    for (const p of again.paths) assert.deepEqual(await children(s, p), []);

    let held: MultiLock;
    {
      await using scoped = await regionMultiLock(['c', 'd'], { session: s, ...LONG });
      held = scoped;
      assert.equal(scoped.isHeld, true);
    }
    assert.equal(held.isHeld, false);
    for (const p of held.paths) assert.deepEqual(await children(s, p), [], 'node still there after the using block');
  } finally {
    await env.finish();
  }
});

test(`${MAX_MULTI_LOCK_IDS} ids, the limit, are all taken and all released`, async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const ids = Array.from({ length: MAX_MULTI_LOCK_IDS }, (_, i) => `many-${i}`);
    const t0 = performance.now();
    const m = await regionMultiLock(ids, { session: s, ...LONG });
    t.diagnostic(`${ids.length} locks taken in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(m.locks.length, MAX_MULTI_LOCK_IDS);
    assert.deepEqual(m.paths, [...ids].sort().map(PARENT));
    await m.unlock();
    for (const p of m.paths) assert.deepEqual(await children(s, p), []);
  } finally {
    await env.finish();
  }
});

test('bad input is refused with a typed error naming the argument, before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const refused = async (ids: unknown, options: Record<string, unknown>, argument: string, match?: RegExp): Promise<void> => {
      const error = await regionMultiLock(ids as string[], { session: s, ...options }).then(
        (m) => m.unlock().then(() => assert.fail(`accepted ${JSON.stringify(ids)}`)),
        (e: unknown) => e,
      );
      assert.ok(error instanceof InvalidArgumentError, `${JSON.stringify(ids)}: ${String(error)}`);
      assert.equal(error.argument, argument, error.message);
      if (match) assert.match(error.message, match);
    };
    await refused([], {}, 'ids', /at least one/);
    await refused(Array.from({ length: MAX_MULTI_LOCK_IDS + 1 }, (_, i) => `x${i}`), {}, 'ids', /at most 64 locks, got 65/);
    await refused('a', {}, 'ids', /array/);
    await refused(['a', '   '], {}, 'ids[1]', /blank/);
    await refused(['a', 42], {}, 'ids[1]', /string or Uint8Array/);
    await refused(['a', 'b\u0001'], {}, 'ids[1]', /forbidden character/);
    await refused(['a', 'b/c', 'b#c'], {}, 'ids[2]', /same lock as ids\[1\]/);
    await refused(['a', 'a'], {}, 'ids[1]', /same lock as ids\[0\]/);
    await refused(['a'], { waitFor: 5000 }, 'options.waitFor', /did you mean waitForMs/);
    await refused(['a'], { waitForMs: -1 }, 'options.waitForMs');
    await refused(['a'], { holdForMs: 500 }, 'options.holdForMs');
    const reason = new Error('already aborted');
    await assert.rejects(regionMultiLock(['a'], { session: s, signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.equal(s.state, 'idle', 'a refused call touched the session');
  } finally {
    await env.finish();
  }
});

test('reversed id orders on two sessions, 200 rounds each at once: no deadlock, never both holding', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const ROUNDS = 200;
  const WAIT_MS = 10_000;
  try {
    const intervals: Interval[] = [];
    let inside: string | undefined;
    let bothInside = 0;
    let longestWait = 0;
    const orders = new Set<string>();
    const run = async (who: string, ids: string[], session: Session): Promise<void> => {
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        const m = await regionMultiLock(ids, { session, waitForMs: WAIT_MS, holdForMs: 10_000 });
        const start = performance.now();
        longestWait = Math.max(longestWait, start - t0);
        orders.add(m.paths.join(' '));
        if (inside !== undefined) bothInside++;
        inside = who;
        await sleep(1); // hold across a turn of the event loop, so the other caller runs meanwhile
        if (inside === who) inside = undefined;
        intervals.push({ who, start, end: performance.now(), tokens: [...m.fencingTokens] });
        await m.unlock();
      }
    };
    const t0 = performance.now();
    await Promise.all([run('forward', ['a', 'b', 'c'], env.session()), run('reverse', ['c', 'b', 'a'], env.session())]);
    const sorted = [...intervals].sort((x, y) => x.start - y.start);
    const handOffs = sorted.filter((iv, i) => i > 0 && iv.who !== sorted[i - 1]!.who).length;
    t.diagnostic(
      `${intervals.length} rounds in ${(performance.now() - t0).toFixed(0)} ms; longest acquire ${longestWait.toFixed(0)} ms; hand-offs between the callers ${handOffs}`,
    );
    assert.equal(intervals.length, 2 * ROUNDS);
    assert.deepEqual([...orders], [['a', 'b', 'c'].map(PARENT).join(' ')], 'the two callers took the locks in different orders');
    assert.ok(longestWait < WAIT_MS, `an acquire took ${longestWait} ms`);
    assert.ok(handOffs >= 10, `the callers hardly contended (${handOffs} hand-offs): the test shows nothing`);
    assert.equal(bothInside, 0, 'both callers were inside at once');
    const bad = overlaps(intervals);
    assert.equal(bad.length, 0, `overlapping holds: ${JSON.stringify(bad.slice(0, 3).map(([x, y]) => [x.who, x.start, x.end, y.who, y.start, y.end]))}`);
    for (let k = 0; k < 3; k++) {
      for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.tokens[k]! > sorted[i - 1]!.tokens[k]!, `token ${k} did not increase at hold ${i}`);
    }
  } finally {
    await env.finish();
  }
});

test('all or nothing: with b held elsewhere, [a, b, c] times out on b within the one wait limit and leaves a and c free', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const holderSession = env.session();
    const observer = env.session();
    const third = env.session();
    const holder = await regionTimedLock('b', { session: holderSession, ...LONG });
    let settled = false;
    let sawOurA = false;
    const t0 = performance.now();
    const pending = regionMultiLock(['a', 'b', 'c'], { session: env.session(), waitForMs: 300, holdForMs: 5000 }).finally(() => (settled = true));
    pending.catch(() => undefined);
    while (!settled) {
      if ((await children(observer, PARENT('a'))).length === 1) sawOurA = true;
      await sleep(10);
    }
    const error = await pending.then(
      () => assert.fail('acquired a set with a held lock'),
      (e: unknown) => e,
    );
    const waited = performance.now() - t0;
    t.diagnostic(`rejected after ${waited.toFixed(0)} ms (waitForMs 300): ${String(error)}`);
    assert.ok(error instanceof LockTimeoutError, String(error));
    assert.match(error.message, /^lock \/sync\/regionlock\/b not acquired within 300 ms/);
    assert.equal(error.unreachable, undefined);
    assert.ok(sawOurA, 'a was never held while b was awaited');
    assert.ok(waited >= 295, `gave up early, after ${waited} ms`);
    assert.ok(waited < 300 + 700, `took ${waited} ms for a 300 ms limit`);
    assert.deepEqual(await children(observer, PARENT('a')), [], 'a was not released');
    assert.deepEqual(await children(observer, PARENT('b')), [nodeName(holder.path)], 'our waiting node under b was left');
    assert.deepEqual(await children(observer, PARENT('c')), []);
    for (const id of ['a', 'c']) {
      const lock = await regionTimedLock(id, { session: third, waitForMs: 0, holdForMs: 5000 });
      await lock.unlock();
    }
    assert.equal(holder.isHeld, true);
    await holder.unlock();
  } finally {
    await env.finish();
  }
});

test('aborting part way rejects with the reason and releases the locks taken', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const holder = await regionTimedLock('b', { session: a, ...LONG });
    const controller = new AbortController();
    const pending = regionMultiLock(['c', 'b', 'a'], { session: env.session(), ...LONG, signal: controller.signal });
    pending.catch(() => undefined);
    await untilChildren(a, PARENT('a'), 1);
    await untilChildren(a, PARENT('b'), 2);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.deepEqual(await children(a, PARENT('a')), [], 'a was not released');
    assert.deepEqual(await children(a, PARENT('b')), [nodeName(holder.path)], 'our waiting node under b was left');
    assert.deepEqual(await children(a, PARENT('c')), []);
    await holder.unlock();
  } finally {
    await env.finish();
  }
});

test('a lock taken first and lost while the next is awaited fails the set with its LockLostError', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(env.hosts);
  try {
    const a = env.session();
    const holder = await regionTimedLock('b', { session: a, ...LONG });
    const pending = regionMultiLock(['a', 'b'], { session: env.session(), ...LONG });
    pending.catch(() => undefined);
    await untilChildren(a, PARENT('a'), 1);
    await untilChildren(a, PARENT('b'), 2);
    const [ours] = await children(a, PARENT('a'));
    await bare.remove(`${PARENT('a')}/${ours}`);
    const error = await pending.then(
      () => assert.fail('acquired a set with a lost lock'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof LockLostError, String(error));
    assert.ok(error.message.includes(`${PARENT('a')}/${ours}`), error.message);
    assert.deepEqual(await children(a, PARENT('b')), [nodeName(holder.path)], 'our waiting node under b was left');
    await holder.unlock();
  } finally {
    bare.close();
    await env.finish();
  }
});

test("the set's signal aborts with a lock's LockLostError when someone else deletes that lock's node", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(env.hosts);
  try {
    const s = env.session();
    const m = await regionMultiLock(['a', 'b', 'c'], { session: s, ...LONG });
    const signal = m.signal;
    const victim = m.locks[1]!;
    await bare.remove(victim.path);
    await waitFor(() => signal.aborted, { timeoutMs: 10_000, message: "the set's signal to abort" });
    assert.ok(signal.reason instanceof LockLostError, String(signal.reason));
    assert.equal(signal.reason, victim.signal.reason, "not the lost lock's own reason");
    assert.ok((signal.reason as Error).message.includes(victim.path));
    assert.equal(m.isHeld, false);
    assert.equal(m.locks[0]!.isHeld, true, 'the other locks stay held until unlock()');
    assert.equal(m.locks[2]!.isHeld, true);
    await m.unlock();
    await m.unlock();
    for (const p of m.paths) assert.deepEqual(await children(s, p), []);
  } finally {
    bare.close();
    await env.finish();
  }
});

test('the locks taken first stay leased while the rest are awaited past their lease', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const holder = await regionTimedLock('b', { session: a, ...LONG });
    const t0 = performance.now();
    const pending = regionMultiLock(['a', 'b'], { session: env.session(), waitForMs: 10_000, holdForMs: 1000 });
    pending.catch(() => undefined);
    await sleep(1800); // well past a's 1 s lease
    await holder.unlock();
    const m = await pending;
    t.diagnostic(`set taken after ${(performance.now() - t0).toFixed(0)} ms with a 1000 ms lease`);
    assert.equal(m.isHeld, true);
    assert.equal(m.locks[0]!.signal.aborted, false, 'a expired while b was awaited');
    assert.ok(m.locks[0]!.deadline > Date.now() + 200, `a's lease ends in ${m.locks[0]!.deadline - Date.now()} ms`);
    await m.unlock();
  } finally {
    await env.finish();
  }
});

interface Report {
  worker: number;
  acquisitions: number;
  failures: number;
  lostInside: number;
}

function startWorker(args: string[]): { child: ChildProcess; ready: Promise<void>; done: Promise<Report> } {
  const child = fork(new URL('./workers/multi-lock-worker.js', import.meta.url), args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const done = new Promise<Report>((resolve, reject) => {
    let report: Report | undefined;
    child.on('message', (m) => {
      const msg = m as Record<string, unknown>;
      if (msg.ready) readyResolve();
      else report = msg as unknown as Report;
    });
    child.once('exit', (code) => (report && code === 0 ? resolve(report) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
  done.catch(() => readyResolve());
  return { child, ready, done };
}

/** Pairs each worker's acquire/release records into intervals; checks every set was taken in one order. */
function workerIntervals(log: string, expectedPaths: string[]): Interval[] {
  const open = new Map<number, { t: number; tokens: string[] }>();
  const out: Interval[] = [];
  for (const line of log.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as { worker: number; ev: string; t: number; tokens: string[]; paths?: string[] };
    if (r.ev === 'acquire') {
      assert.equal(open.has(r.worker), false, `worker ${r.worker} acquired twice without a release`);
      assert.deepEqual(r.paths, expectedPaths);
      open.set(r.worker, { t: r.t, tokens: r.tokens });
    } else {
      const a = open.get(r.worker);
      assert.ok(a && a.tokens.join() === r.tokens.join(), `release without acquire in worker ${r.worker}`);
      out.push({ who: String(r.worker), start: a.t, end: r.t, tokens: r.tokens.map(BigInt) });
      open.delete(r.worker);
    }
  }
  assert.equal(open.size, 0, 'a critical section was never closed');
  return out.sort((x, y) => x.start - y.start);
}

test('4 processes taking [x, y] in random orders: no lost update, no overlap, tokens increase', async (t) => {
  const WORKERS = 4;
  const DURATION_MS = 5000;
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const dir = mkdtempSync(join(tmpdir(), 'zoosync-multi-'));
  const workers: Array<ReturnType<typeof startWorker>> = [];
  try {
    const counterFile = join(dir, 'counter');
    const logFile = join(dir, 'log.jsonl');
    writeFileSync(counterFile, '0');
    writeFileSync(logFile, '');
    for (let i = 0; i < WORKERS; i++) workers.push(startWorker(['mutex', env.hosts, 'x,y', counterFile, logFile, String(DURATION_MS), String(i)]));
    const kill = setTimeout(() => workers.forEach((w) => w.child.kill('SIGKILL')), 30_000);
    let reports: Report[];
    try {
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) if (w.child.connected) w.child.send({ go: true });
      reports = await Promise.all(workers.map((w) => w.done));
    } finally {
      clearTimeout(kill);
    }
    const total = reports.reduce((n, r) => n + r.acquisitions, 0);
    const counter = Number(readFileSync(counterFile, 'utf8'));
    const ivs = workerIntervals(readFileSync(logFile, 'utf8'), [PARENT('x'), PARENT('y')]);
    const bad = overlaps(ivs);
    t.diagnostic(`acquisitions per worker: ${reports.map((r) => `${r.worker}=${r.acquisitions}`).join(' ')}; total ${total}; counter ${counter}; overlaps ${bad.length}`);
    assert.ok(total >= WORKERS * 5, `too few acquisitions to mean anything: ${total}`);
    assert.ok(reports.every((r) => r.acquisitions > 0), 'a worker never got the set');
    assert.equal(reports.reduce((n, r) => n + r.failures, 0), 0, 'an acquire failed');
    assert.equal(ivs.length, total, 'the log does not hold one interval per acquisition');
    assert.equal(counter, total, 'lost updates: two holders were in the critical section at once');
    assert.equal(bad.length, 0, `${bad.length} overlapping critical sections`);
    assert.equal(reports.reduce((n, r) => n + r.lostInside, 0), 0, 'a holder lost the set inside its critical section');
    for (let k = 0; k < 2; k++) {
      for (let i = 1; i < ivs.length; i++) assert.ok(ivs[i]!.tokens[k]! > ivs[i - 1]!.tokens[k]!, `token ${k} went from ${ivs[i - 1]!.tokens[k]} to ${ivs[i]!.tokens[k]} at hand-off ${i}`);
    }
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await env.finish();
  }
});
