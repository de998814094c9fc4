// regionLeader across processes: mutual exclusion of worker processes campaigning in a loop,
// fail-over after SIGKILL of the leading process, and a graceful SIGTERM hand-over.
// Workers report with performance.timeOrigin + performance.now(): one clock on one machine.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { sharedServer, stopAll, uniqueId } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

const workers = new Set<ChildProcess>();
after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await stopAll();
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Msg {
  pid: number;
  t: number;
  ev: string;
  [key: string]: unknown;
}

/** All messages of every worker of one test, and a way to wait for the next matching one. */
class Fleet {
  readonly messages: Msg[] = [];
  private readonly waiters = new Set<() => void>();
  readonly children: ChildProcess[] = [];
  private readonly stderr = new Map<number, string>();

  start(config: Record<string, unknown>): ChildProcess {
    const child = fork(new URL('./workers/leader-worker.js', import.meta.url), [], {
      env: { ...process.env, LEADER_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    workers.add(child);
    this.children.push(child);
    child.stderr?.on('data', (d: Buffer) => this.stderr.set(child.pid!, (this.stderr.get(child.pid!) ?? '') + d.toString()));
    child.on('message', (m) => {
      this.messages.push(m as Msg);
      this.poke();
    });
    child.on('exit', () => this.poke());
    return child;
  }

  /** Resolves with the first message (from index `from` on) matching `pred`; rejects on an 'error' message or timeout. */
  waitFor(pred: (m: Msg) => boolean, timeoutMs: number, what: string, from = 0): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const rest = this.messages.slice(from);
        const err = rest.find((m) => m.ev === 'error');
        if (err) return done(() => reject(new Error(`worker ${err.pid} failed: ${String(err.message)}`)));
        const m = rest.find(pred);
        if (m) done(() => resolve(m));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms; stderr: ${[...this.stderr.values()].join('\n')}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  exit(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
  }

  killAll(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  private poke(): void {
    for (const w of [...this.waiters]) w();
  }
}

test('worker processes campaigning in a loop: never two leaders at once, and several lead', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const fleet = new Fleet();
  try {
    const id = uniqueId('loop');
    const n = 4;
    const config = { mode: 'loop', hosts: env.hosts, id, sessionTimeoutMs: 3000, durationMs: 5000 };
    const children = Array.from({ length: n }, () => fleet.start(config));
    const done = await Promise.all(children.map((c) => fleet.waitFor((m) => m.ev === 'done' && m.pid === c.pid, 30_000, `worker ${c.pid} done`)));
    const exits = await Promise.all(children.map((c) => fleet.exit(c, 10_000)));
    for (const e of exits) assert.deepEqual(e, { code: 0, signal: null }, 'a worker did not exit cleanly on its own');

    // Pair each election with the end of that term.
    const terms: Array<{ pid: number; start: number; end: number; token: bigint; path: string }> = [];
    for (const m of fleet.messages.filter((x) => x.ev === 'elected')) {
      const path = m.path as string;
      const end = fleet.messages.find((x) => x.ev === 'rescinded' && x.path === path);
      assert.ok(end, `no end reported for the term of ${path}`);
      assert.equal(end.reason, 'resigned');
      assert.equal(end.aborted, true);
      terms.push({ pid: m.pid, start: m.t, end: end.t, token: BigInt(m.token as string), path });
    }
    terms.sort((a, b) => a.start - b.start);
    const leaders = new Set(terms.map((x) => x.pid));
    const gaps = terms.slice(1).map((x, i) => x.start - terms[i]!.end);
    t.diagnostic(`${terms.length} terms by ${leaders.size} processes; hand-over gap min ${Math.min(...gaps).toFixed(2)} ms, median ${median(gaps).toFixed(2)} ms`);
    assert.equal(terms.length, done.reduce((s, m) => s + (m.terms as number), 0));
    assert.ok(terms.length >= 10, `only ${terms.length} terms in 5 s`);
    assert.ok(leaders.size >= 3, `only ${leaders.size} of ${n} processes ever led`);
    for (let i = 1; i < terms.length; i++) {
      const prev = terms[i - 1]!;
      const cur = terms[i]!;
      assert.ok(
        cur.start >= prev.end,
        `overlap: ${cur.pid} elected at ${cur.start.toFixed(3)} while ${prev.pid} led until ${prev.end.toFixed(3)} (${(prev.end - cur.start).toFixed(3)} ms)`,
      );
      assert.ok(cur.token > prev.token, `fencing token went from ${prev.token} to ${cur.token}`);
    }
  } finally {
    fleet.killAll();
    await env.finish();
  }
});

test('SIGKILL of the leading process: the next is elected within the session timeout', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const fleet = new Fleet();
  const sessionTimeoutMs = 2000;
  try {
    const id = uniqueId('sigkill');
    const rounds = 3;
    const config = { mode: 'hold', hosts: env.hosts, id, sessionTimeoutMs };
    for (let i = 0; i < rounds + 1; i++) fleet.start(config);
    await Promise.all(fleet.children.map((c) => fleet.waitFor((m) => m.ev === 'campaigning' && m.pid === c.pid, 20_000, 'worker started')));
    const failovers: number[] = [];
    let from = 0;
    let leader = await fleet.waitFor((m) => m.ev === 'elected', 20_000, 'first leader');
    for (let r = 0; r < rounds; r++) {
      // Let every live worker's node be in place behind the leader before the kill.
      await new Promise((resolve) => setTimeout(resolve, 300));
      from = fleet.messages.length;
      const victim = fleet.children.find((c) => c.pid === leader.pid)!;
      const killedAt = performance.timeOrigin + performance.now();
      victim.kill('SIGKILL');
      const next = await fleet.waitFor((m) => m.ev === 'elected' && m.pid !== leader.pid, sessionTimeoutMs + 10_000, `leader after kill ${r + 1}`, from);
      const ms = next.t - killedAt;
      failovers.push(ms);
      t.diagnostic(`fail-over ${r + 1}: ${Math.round(ms)} ms (session timeout ${sessionTimeoutMs} ms)`);
      assert.ok(ms > 0);
      assert.ok(ms < sessionTimeoutMs + 3000, `fail-over took ${Math.round(ms)} ms`);
      assert.ok(BigInt(next.token as string) > BigInt(leader.token as string));
      await fleet.exit(victim, 5000);
      leader = next;
    }
    t.diagnostic(`fail-over after SIGKILL: median ${Math.round(median(failovers))} ms over ${rounds} (session timeout ${sessionTimeoutMs} ms)`);
  } finally {
    fleet.killAll();
    // The killed workers' sessions expire on the server; wait for their nodes to go.
    await new Promise((resolve) => setTimeout(resolve, sessionTimeoutMs + 1500));
    await env.finish();
  }
});

test('SIGTERM with installShutdownHandlers(): leadership is handed over at once and the process exits', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const fleet = new Fleet();
  const sessionTimeoutMs = 4000;
  try {
    const id = uniqueId('sigterm');
    const graceful = fleet.start({ mode: 'graceful', hosts: env.hosts, id, sessionTimeoutMs });
    const first = await fleet.waitFor((m) => m.ev === 'elected', 20_000, 'graceful worker elected');
    assert.equal(first.pid, graceful.pid);
    const waiter = fleet.start({ mode: 'hold', hosts: env.hosts, id, sessionTimeoutMs });
    await fleet.waitFor((m) => m.ev === 'campaigning' && m.pid === waiter.pid, 20_000, 'waiter started');
    await new Promise((resolve) => setTimeout(resolve, 500)); // its node is in place
    const from = fleet.messages.length;
    const termAt = performance.timeOrigin + performance.now();
    graceful.kill('SIGTERM');
    const next = await fleet.waitFor((m) => m.ev === 'elected' && m.pid === waiter.pid, sessionTimeoutMs + 5000, 'waiter elected', from);
    const ms = next.t - termAt;
    // Two IPC channels: the waiter's report may arrive before the old leader's.
    const ended = await fleet.waitFor((m) => m.ev === 'rescinded' && m.pid === graceful.pid, 5000, 'old leader reports its end');
    t.diagnostic(`graceful hand-over: ${Math.round(ms)} ms after SIGTERM (session timeout ${sessionTimeoutMs} ms); the old leader ended with ${String(ended.reason)}`);
    assert.ok(ms < sessionTimeoutMs / 2, `hand-over took ${Math.round(ms)} ms: looks like waiting for session expiry`);
    assert.equal(ended.reason, 'resigned');
    assert.ok(ended.t <= next.t, 'the waiter was elected before the old leader had rescinded');
    const exit = await fleet.exit(graceful, 10_000);
    assert.ok(exit.code === 143 || exit.signal === 'SIGTERM', `exit ${JSON.stringify(exit)}`);
  } finally {
    fleet.killAll();
    await new Promise((resolve) => setTimeout(resolve, sessionTimeoutMs + 1500));
    await env.finish();
  }
});
