// regionLeader against a real ZooKeeper: election order, no herd, every way leadership ends,
// cancellation, fencing tokens, snapshots, observation and the diagnostics channels.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import {
  LeadershipEndedError,
  leaderSnapshot,
  observeLeader,
  regionLeader,
  type Leader,
  type RescindReason,
  type Session,
} from '../../src/index.js';
import { listTree, sharedServer, sleep, startProxy, stopAll, uniqueId, waitFor, within } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

interface WorkerMessage {
  ev: string;
  t: number;
  [key: string]: unknown;
}

/** A forked test/integration/workers/leader-worker.js reporting over IPC. */
function startWorker(config: Record<string, unknown>) {
  const messages: WorkerMessage[] = [];
  const waiters = new Set<() => void>();
  const child: ChildProcess = fork(new URL('./workers/leader-worker.js', import.meta.url), [], {
    env: { ...process.env, LEADER_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('message', (m) => {
    messages.push(m as WorkerMessage);
    for (const w of [...waiters]) w();
  });
  child.on('exit', () => {
    for (const w of [...waiters]) w();
  });
  return {
    child,
    messages,
    waitFor(ev: string, timeoutMs: number): Promise<WorkerMessage> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = messages.find((x) => x.ev === ev || x.ev === 'error');
          if (m?.ev === 'error') done(() => reject(new Error(`worker failed: ${String(m.message)}`)));
          else if (m) done(() => resolve(m));
          else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`worker exited before '${ev}': ${stderr}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`worker sent no '${ev}' within ${timeoutMs} ms`))), timeoutMs);
        const done = (settle: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    /** User+system CPU seconds of the worker so far (Linux /proc). */
    cpuSeconds(): string {
      try {
        const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return ((Number(f[11]) + Number(f[12])) / 100).toFixed(1);
      } catch {
        return '?';
      }
    },
    kill(): void {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

const SESSION_TIMEOUT_MS = 3000;

/** A unique election id per test, so channel subscribers can filter on it. */
const parentOf = (id: string): string => `/sync/regionleader/${id}`;

/** Resolves true if `p` settles within `ms`, false otherwise. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return within(p.then(() => true, () => true), ms, 'probe').catch(() => false);
}

/** Number of contenders currently in the election of `id`. */
async function participants(id: string, session: Session): Promise<number> {
  return (await leaderSnapshot(id, { session })).participants.length;
}

/** What a 'rescinded' listener saw, to check the event, the promise and the signal agree. */
interface EndRecord {
  events: Array<{ reason: RescindReason; aborted: boolean; signalReason: unknown; isLeader: boolean }>;
  aborts: number;
}

function recordEnd(leader: Leader): EndRecord {
  const rec: EndRecord = { events: [], aborts: 0 };
  leader.on('rescinded', (reason: RescindReason) =>
    rec.events.push({ reason, aborted: leader.signal.aborted, signalReason: leader.signal.reason, isLeader: leader.isLeader }),
  );
  leader.signal.addEventListener('abort', () => rec.aborts++);
  return rec;
}

/** Asserts leadership ended exactly once, with `reason`, on the event, the promise and the signal alike. */
async function assertEndedOnce(leader: Leader, rec: EndRecord, reason: RescindReason): Promise<void> {
  assert.equal(await leader.rescinded, reason);
  await sleep(300); // a second event would arrive here
  assert.equal(rec.events.length, 1, `'rescinded' fired ${rec.events.length} times: ${JSON.stringify(rec.events.map((e) => e.reason))}`);
  const ev = rec.events[0]!;
  assert.equal(ev.reason, reason);
  assert.equal(ev.aborted, true, 'signal was not yet aborted inside the rescinded listener');
  assert.equal(ev.isLeader, false);
  assert.ok(ev.signalReason instanceof LeadershipEndedError, `signal reason is ${String(ev.signalReason)}`);
  assert.equal(ev.signalReason.reason, reason);
  assert.equal(ev.signalReason.code, 'ZOOSYNC_LEADERSHIP_ENDED');
  assert.equal(rec.aborts, 1);
  assert.equal(leader.isLeader, false);
  assert.equal(await leader.rescinded, reason, 'rescinded changed its value');
}

test('contenders are elected in the order they joined, each as its predecessor rescinds', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('order');
    const sessions = Array.from({ length: 4 }, () => env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }));
    const elected: number[] = [];
    const campaigns: Array<Promise<Leader>> = [];
    for (let i = 0; i < sessions.length; i++) {
      const p = regionLeader(id, { session: sessions[i] });
      void p.then(() => elected.push(i), () => undefined);
      campaigns.push(p);
      await waitFor(async () => (await participants(id, sessions[0]!)) === i + 1, { timeoutMs: 10_000, message: `contender ${i} joined` });
    }
    const leaders: Leader[] = [];
    for (let i = 0; i < sessions.length; i++) {
      const leader = await within(campaigns[i]!, 10_000, `contender ${i} elected`);
      leaders.push(leader);
      await sleep(100); // let any wrongly woken later contender resolve too
      assert.deepEqual(elected, Array.from({ length: i + 1 }, (_, k) => k), 'elected out of join order');
      assert.equal(leader.isLeader, true);
      for (const earlier of leaders.slice(0, -1)) assert.equal(earlier.isLeader, false);
      await leader.rescind();
    }
  } finally {
    await env.finish();
  }
});

test('no herd: each rescind wakes exactly one waiter', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const id = uniqueId('herd');
  const wakes: Array<{ path: string; predecessor: string; cause: string }> = [];
  const onWake = (msg: unknown): void => {
    const m = msg as { path: string; predecessor: string; cause: string };
    if (m.path.startsWith(`${parentOf(id)}/`)) wakes.push(m);
  };
  subscribe('zoosync:contender.wake', onWake);
  try {
    const session = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const first = await regionLeader(id, { session });
    const waiting = 6;
    const campaigns: Array<Promise<Leader>> = [];
    for (let i = 0; i < waiting; i++) {
      campaigns.push(regionLeader(id, { session: env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }) }));
      await waitFor(async () => (await participants(id, session)) === i + 2, { timeoutMs: 10_000, message: `waiter ${i} joined` });
    }
    await sleep(200);
    assert.equal(wakes.length, 0, `waiters woke before anyone rescinded: ${JSON.stringify(wakes)}`);
    let current = first;
    for (let i = 0; i < waiting; i++) {
      const before = wakes.length;
      const rescindedPath = current.path;
      await current.rescind();
      current = await within(campaigns[i]!, 10_000, `waiter ${i} elected`);
      await sleep(250); // wrongly woken waiters would publish here
      const woken = wakes.slice(before);
      assert.equal(woken.length, 1, `rescind ${i} woke ${woken.length} waiters: ${JSON.stringify(woken)}`);
      assert.equal(woken[0]!.path, current.path);
      assert.equal(woken[0]!.predecessor, rescindedPath);
      assert.equal(woken[0]!.cause, 'deleted');
    }
    await current.rescind();
  } finally {
    unsubscribe('zoosync:contender.wake', onWake);
    await env.finish();
  }
});

test("rescind() ends leadership once with 'resigned', removes the node before resolving, and is idempotent", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('resign');
    const a = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const b = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const leader = await regionLeader(id, { session: a });
    const rec = recordEnd(leader);
    const next = regionLeader(id, { session: b });
    await waitFor(async () => (await participants(id, b)) === 2, { timeoutMs: 10_000, message: 'second contender joined' });
    assert.equal(await settlesWithin(next, 300), false, 'second contender elected while the first leads');

    const r1 = leader.rescind();
    const r2 = leader.rescind();
    assert.equal(leader.isLeader, false, 'isLeader still true right after rescind()');
    await Promise.all([r1, r2]);
    assert.equal(await b.request({ op: 'exists', path: leader.path }), null, 'node still there after rescind() resolved');
    await leader.rescind(); // after the fact: resolves again, changes nothing
    await assertEndedOnce(leader, rec, 'resigned');

    const second = await within(next, 10_000, 'next contender elected after rescind()');
    assert.equal(second.isLeader, true);
    assert.ok(second.fencingToken > leader.fencingToken);
    await second.rescind();
  } finally {
    await env.finish();
  }
});

test("deleting the leader's node from another session ends leadership once with 'node-deleted'", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('deleted');
    const other = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const leader = await regionLeader(id, { session: env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }) });
    const rec = recordEnd(leader);
    await other.request({ op: 'delete', path: leader.path });
    await within(leader.rescinded, 5000, 'rescinded after node deletion');
    await assertEndedOnce(leader, rec, 'node-deleted');
    await within(leader.rescind(), 5000, 'rescind() after node-deleted');
    assert.equal(rec.events.length, 1);
  } finally {
    await env.finish();
  }
});

test("changing the leader's node data from another session ends leadership once with 'node-changed'", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('changed');
    const other = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const leader = await regionLeader(id, { session: env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }) });
    const rec = recordEnd(leader);
    await (await other.connection()).request({ op: 'setData', path: leader.path, data: Buffer.from('x') });
    await within(leader.rescinded, 5000, 'rescinded after setData');
    await assertEndedOnce(leader, rec, 'node-changed');
    // The leader gives its (changed) node up, so the next contender can go.
    await waitFor(async () => (await other.request({ op: 'exists', path: leader.path })) === null, {
      timeoutMs: 5000,
      message: 'changed node removed by its former leader',
    });
    const next = await within(regionLeader(id, { session: other }), 10_000, 'next elected after node-changed');
    await next.rescind();
  } finally {
    await env.finish();
  }
});

test('a change made right after election is still noticed (the guard must not miss a change that lands before its watch)', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('changed-early');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const other = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const otherConn = await other.connection();
    const missed: string[] = [];
    for (let round = 0; round < 10; round++) {
      const leader = await regionLeader(id, { session: s });
      await otherConn.request({ op: 'setData', path: leader.path, data: Buffer.from('x') });
      const reason = await within(leader.rescinded, 2000, 'rescinded').catch(() => undefined);
      if (reason !== 'node-changed') missed.push(`round ${round}: ${String(reason)}, isLeader ${leader.isLeader}`);
      await leader.rescind();
    }
    assert.deepEqual(missed, [], 'changes of the leader node that were never noticed');
  } finally {
    await env.finish();
  }
});

test("closing the leader's Session ends leadership once with 'closed' and hands over", async (t) => {
  // Run in a worker process: when this fails by spinning (see the report), it must not starve
  // this test process's event loop.
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const id = uniqueId('closed');
  const worker = startWorker({ mode: 'close', hosts: env.hosts, id, sessionTimeoutMs: SESSION_TIMEOUT_MS });
  let next: Promise<Leader> | undefined;
  try {
    const other = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const elected = await worker.waitFor('elected', 15_000);
    next = regionLeader(id, { session: other });
    await worker.waitFor('closing', 10_000);
    const result = await worker.waitFor('result', 8000).catch((e: Error) => {
      const cpu = worker.cpuSeconds();
      const ended = worker.messages.find((m) => m.ev === 'rescinded');
      throw new Error(`${e.message}; worker used ${cpu} s of CPU meanwhile (hung in a busy loop?); its leadership ended with reason ${String(ended?.reason)}`);
    });
    assert.equal(result.reason, 'closed', `rescinded with ${String(result.reason)}, not 'closed'`);
    assert.equal(result.events, 1);
    assert.equal(result.abortedInListener, true);
    assert.equal(result.signalReason, 'closed');
    const second = await within(next, 5000, 'next elected after the leader closed its session');
    assert.notEqual(second.path, elected.path);
    await second.rescind();
  } finally {
    worker.kill();
    // Never close a session under a pending campaign (that spins too, see the report): once the
    // killed worker's session expires the campaign wins, and is rescinded.
    if (next) await within(next, SESSION_TIMEOUT_MS + 10_000, 'cleanup campaign').then((l) => l.rescind(), () => undefined);
    await env.finish();
  }
});

test('closing a Session under a pending campaign rejects the campaign and does not hang', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const id = uniqueId('close-waiting');
  const worker = startWorker({ mode: 'close-waiting', hosts: env.hosts, id, sessionTimeoutMs: SESSION_TIMEOUT_MS });
  let leader: Leader | undefined;
  try {
    leader = await regionLeader(id, { session: env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }) });
    await worker.waitFor('closing', 15_000);
    const result = await worker.waitFor('result', 8000).catch((e: Error) => {
      throw new Error(`${e.message}; worker used ${worker.cpuSeconds()} s of CPU meanwhile (hung in a busy loop?)`);
    });
    assert.equal(result.outcome, 'rejected', `campaign ${String(result.outcome)}: ${String(result.error)}`);
    assert.equal(result.error, 'SessionClosedError');
    assert.equal(leader.isLeader, true, 'the leader was disturbed by a waiter closing its session');
  } finally {
    worker.kill();
    await leader?.rescind();
    await env.finish();
  }
});

test('session.close() and rescind() in the same tick both settle (no busy loop on a closing connection)', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const worker = startWorker({ mode: 'close-rescind', hosts: env.hosts, id: uniqueId('close-rescind'), sessionTimeoutMs: SESSION_TIMEOUT_MS });
  try {
    await worker.waitFor('closing', 15_000);
    const result = await worker.waitFor('result', 8000).catch((e: Error) => {
      throw new Error(`${e.message}; worker used ${worker.cpuSeconds()} s of CPU meanwhile (hung in a busy loop?)`);
    });
    // close() came first in that tick: the session ending is what ended leadership.
    assert.equal(result.reason, 'closed');
  } finally {
    worker.kill();
    // If the worker hung, its session expires once it is killed.
    await waitFor(async () => (await listTree(connectString, env.root)).every((p) => !/lock-\d+$/.test(p)), {
      timeoutMs: SESSION_TIMEOUT_MS + 5000,
      message: 'worker node gone',
    });
    await env.finish();
  }
});

test("a silenced connection ends leadership once with 'session-suspended', then nothing more when the session is lost", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString);
  try {
    const id = uniqueId('suspended');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS, hosts: `${proxy.connectString}${env.root}` });
    const other = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const leader = await regionLeader(id, { session: s });
    const rec = recordEnd(leader);
    let lost = false;
    s.once('lost', () => (lost = true));
    const t0 = performance.now();
    proxy.silence();
    await within(leader.rescinded, SESSION_TIMEOUT_MS + 2000, 'rescinded after silence');
    const tEnded = performance.now() - t0;
    t.diagnostic(`leadership ended ${Math.round(tEnded)} ms after the network went silent (session timeout ${SESSION_TIMEOUT_MS} ms)`);
    assert.ok(tEnded < SESSION_TIMEOUT_MS, `ended only after ${Math.round(tEnded)} ms, not before the session timeout`);
    // Past the session timeout the session is lost: that must not end leadership a second time.
    await waitFor(() => lost, { timeoutMs: SESSION_TIMEOUT_MS + 3000, message: 'session declared lost' });
    await assertEndedOnce(leader, rec, 'session-suspended');
    await within(leader.rescind(), 3000, 'rescind() after the session was lost');
    assert.equal(rec.events.length, 1);
    // The server expires the silent session; its node goes with it.
    await waitFor(async () => (await other.request({ op: 'exists', path: leader.path })) === null, {
      timeoutMs: SESSION_TIMEOUT_MS + 5000,
      message: 'ephemeral node of the expired session removed',
    });
  } finally {
    proxy.pass();
    await proxy.close();
    await env.finish();
  }
});

test('a pause of the server past the session timeout ends leadership once, and the session is lost', async (t) => {
  const { connectString, server } = await sharedServer();
  if (!server) {
    t.skip('needs a harness-started server');
    return;
  }
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('lost');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const leader = await regionLeader(id, { session: s });
    const rec = recordEnd(leader);
    const sessionSignal = s.signal;
    const t0 = performance.now();
    server.pause();
    let reason: RescindReason;
    try {
      reason = await within(leader.rescinded, SESSION_TIMEOUT_MS + 2000, 'rescinded while the server is paused');
      const ended = performance.now() - t0;
      t.diagnostic(`leadership ended ${Math.round(ended)} ms into the pause, reason ${reason}`);
      await waitFor(() => sessionSignal.aborted, { timeoutMs: SESSION_TIMEOUT_MS + 3000, message: 'session lost by our clock' });
    } finally {
      server.resume();
    }
    // Suspension is noticed first (by clock, within 2/3 of the timeout), so that is the reason
    // reported; the later loss must not end leadership again.
    assert.ok(reason === 'session-suspended' || reason === 'session-lost', `unexpected reason ${reason}`);
    await assertEndedOnce(leader, rec, reason);
    // The resumed server expires the session and removes the node; a later campaign works on a fresh session.
    const again = await within(regionLeader(id, { session: s }), 20_000, 'campaign on a replaced session');
    assert.notEqual(again.path, leader.path);
    assert.ok(again.fencingToken > leader.fencingToken);
    await again.rescind();
  } finally {
    await env.finish();
  }
});

test('`await using` rescinds at the end of the block', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('using');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    let held: Leader | undefined;
    {
      await using leader = await regionLeader(id, { session: s });
      held = leader;
      assert.equal(leader.isLeader, true);
      assert.notEqual(await s.request({ op: 'exists', path: leader.path }), null);
    }
    assert.equal(held.isLeader, false);
    assert.equal(await held.rescinded, 'resigned');
    assert.equal(await s.request({ op: 'exists', path: held.path }), null, 'node still there after the using block');
  } finally {
    await env.finish();
  }
});

test("aborting a pending campaign rejects with the signal's reason and removes its node", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('abort');
    const a = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const b = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const leader = await regionLeader(id, { session: a });
    const ac = new AbortController();
    const pending = regionLeader(id, { session: b, signal: ac.signal });
    await waitFor(async () => (await participants(id, a)) === 2, { timeoutMs: 10_000, message: 'second contender joined' });
    const reason = new Error('shutting down');
    ac.abort(reason);
    await assert.rejects(within(pending, 5000, 'aborted campaign'), (e) => e === reason);
    const snap = await leaderSnapshot(id, { session: a });
    assert.deepEqual(snap.participants.map((p) => p.path), [leader.path], 'aborted contender left its node');
    assert.equal(leader.isLeader, true, 'an aborted contender disturbed the leader');
    await leader.rescind();
  } finally {
    await env.finish({ strict: false });
  }
});

test('an already aborted signal rejects at once and creates nothing', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const reason = new Error('too late');
    await assert.rejects(regionLeader(uniqueId('pre-aborted'), { session: s, signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.equal(s.state, 'idle', 'a connection was opened for an already aborted campaign');
    assert.deepEqual(await listTree(connectString, env.root), []);
  } finally {
    await env.finish({ strict: true });
  }
});

test('fencing tokens strictly increase across successive leaders, also after the election node is deleted', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('fencing');
    const sessions = [0, 1, 2].map(() => env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }));
    const tokens: bigint[] = [];
    for (let round = 0; round < 6; round++) {
      const leader = await regionLeader(id, { session: sessions[round % sessions.length] });
      assert.equal(typeof leader.fencingToken, 'bigint');
      tokens.push(leader.fencingToken);
      await leader.rescind();
      if (round === 2) await sessions[0]!.request({ op: 'delete', path: parentOf(id) }); // the parent goes; sequence numbers restart
    }
    for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i]! > tokens[i - 1]!, `token ${i} (${tokens[i]}) not above ${tokens[i - 1]}`);
  } finally {
    await env.finish();
  }
});

test('leaderSnapshot lists the leader and the waiting contenders in order', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('snapshot');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    assert.deepEqual(await leaderSnapshot(id, { session: s }), { state: 'no-leader', leader: undefined, participants: [] });
    const sessions = [0, 1, 2].map(() => env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }));
    const leader = await regionLeader(id, { session: sessions[0] });
    const waiting: Array<Promise<Leader>> = [];
    for (let i = 1; i < sessions.length; i++) {
      waiting.push(regionLeader(id, { session: sessions[i] }));
      await waitFor(async () => (await participants(id, s)) === i + 1, { timeoutMs: 10_000, message: `contender ${i} joined` });
    }
    const snap = await leaderSnapshot(id, { session: s });
    assert.equal(snap.participants.length, 3);
    assert.equal(snap.leader?.path, leader.path);
    assert.equal(snap.leader?.czxid, leader.fencingToken);
    assert.equal(snap.participants[0]?.path, leader.path);
    const seqs = snap.participants.map((p) => p.sequence);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    const owners = snap.participants.map((p) => p.sessionId);
    assert.equal(new Set(owners).size, 3, 'each contender should be owned by its own session');
    for (const p of snap.participants) assert.match(p.guid ?? '', /^[0-9a-f]{32}$/);

    await leader.rescind();
    const second = await within(waiting[0]!, 10_000, 'second elected');
    const after = await leaderSnapshot(id, { session: s });
    assert.equal(after.leader?.path, second.path);
    assert.deepEqual(after.participants.map((p) => p.path), snap.participants.slice(1).map((p) => p.path));
    await second.rescind();
    await (await within(waiting[1]!, 10_000, 'third elected')).rescind();
  } finally {
    await env.finish();
  }
});

test('observeLeader yields a new snapshot after each change and ends when its signal aborts', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('observe');
    const watcher = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const ac = new AbortController();
    const it = observeLeader(id, { session: watcher, signal: ac.signal });
    const next = async (what: string) => {
      const r = await within(it.next(), 5000, what);
      assert.equal(r.done, false, `observer ended early (${what})`);
      return r.value;
    };
    /** Reads snapshots until one satisfies `pred` (changes may be coalesced). */
    const until = async (pred: (s: { leader?: { path: string } | undefined; participants: unknown[] }) => boolean, what: string) => {
      for (let i = 0; i < 10; i++) {
        const snap = await next(what);
        if (pred(snap)) return snap;
      }
      throw new Error(`no snapshot matching ${what}`);
    };
    const first = await next('first snapshot');
    assert.equal(first.leader, undefined);

    const a = await regionLeader(id, { session: env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }) });
    await until((s) => s.leader?.path === a.path, 'a leads');
    const bCampaign = regionLeader(id, { session: env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS }) });
    await until((s) => s.participants.length === 2, 'b joined');
    await a.rescind();
    const b = await within(bCampaign, 10_000, 'b elected');
    const snap = await until((s) => s.leader?.path === b.path, 'b leads');
    assert.equal(snap.participants.length, 1);

    const pending = it.next();
    await sleep(100);
    ac.abort();
    const end = await within(pending, 3000, 'observer ends on abort');
    assert.equal(end.done, true);
    assert.equal((await it.next()).done, true);
    await b.rescind();
  } finally {
    await env.finish();
  }
});

test('diagnostics channels publish elected, rescinded and remotely-rescinded', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const id = uniqueId('channels');
  const seen: Record<string, Array<Record<string, unknown>>> = { elected: [], rescinded: [], remote: [] };
  const handlers = {
    'zoosync:sync.regionleader.elected': (m: unknown) => (m as { id: string }).id === id && seen.elected!.push(m as Record<string, unknown>),
    'zoosync:sync.regionleader.rescinded': (m: unknown) => (m as { id: string }).id === id && seen.rescinded!.push(m as Record<string, unknown>),
    'zoosync:sync.regionleader.remotely-rescinded': (m: unknown) => (m as { id: string }).id === id && seen.remote!.push(m as Record<string, unknown>),
  };
  for (const [name, h] of Object.entries(handlers)) subscribe(name, h);
  try {
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const other = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const first = await regionLeader(id, { session: s });
    assert.deepEqual(seen.elected, [{ id, path: first.path, fencingToken: first.fencingToken }]);
    await first.rescind();
    assert.deepEqual(seen.rescinded, [{ id, path: first.path, reason: 'resigned' }]);
    assert.equal(seen.remote!.length, 0, 'a resignation is not a remote rescind');

    const second = await regionLeader(id, { session: s });
    assert.equal(seen.elected.length, 2);
    await other.request({ op: 'delete', path: second.path });
    await within(second.rescinded, 5000, 'second rescinded');
    assert.deepEqual(seen.rescinded[1], { id, path: second.path, reason: 'node-deleted' });
    assert.deepEqual(seen.remote, [{ id, path: second.path, reason: 'node-deleted' }]);

    const third = await regionLeader(id, { session: s });
    await sleep(200); // let its guard's watch land first: the race is the test above
    await other.request({ op: 'setData', path: third.path, data: Buffer.from('x') });
    await within(third.rescinded, 5000, 'third rescinded');
    await third.rescind();
    await sleep(100);
    assert.equal(seen.elected.length, 3);
    assert.deepEqual(seen.rescinded.map((m) => m.reason), ['resigned', 'node-deleted', 'node-changed']);
    assert.deepEqual(seen.remote.map((m) => m.reason), ['node-deleted', 'node-changed']);
  } finally {
    for (const [name, h] of Object.entries(handlers)) unsubscribe(name, h);
    await env.finish();
  }
});
