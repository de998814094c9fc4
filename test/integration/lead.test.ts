// lead against a real ZooKeeper: three processes looping lead() with two SIGKILLs of the leader,
// then in-process: fn's errors, leadership lost under fn, a fn that ignores the end of its term,
// onError stopping lead, a closed session, and bad input.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InvalidArgumentError,
  lead,
  LeaderWorkOverrunError,
  LeadershipEndedError,
  NoNodeError,
  SessionClosedError,
  type Leader,
  type Session,
} from '../../src/index.js';
import { connectBare, sharedServer, stopAll, uniqueId, waitFor, within } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

const workers = new Set<ChildProcess>();
after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await stopAll();
});

const ELECTION = (id: string): string => `/sync/regionleader/${id}`;
const now = (): number => performance.timeOrigin + performance.now();

async function contenders(session: Session, id: string): Promise<string[]> {
  try {
    return await session.request({ op: 'getChildren', path: ELECTION(id) });
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

/** Resolves once the leader's signal has aborted (at once if it has). */
function ended(leader: Leader): Promise<void> {
  const signal = leader.signal;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

interface Msg {
  pid: number;
  t: number;
  ev: string;
  [key: string]: unknown;
}

test('3 processes looping lead with 2 SIGKILLs of the leader: one leader at a time, hand-overs, clean stops', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const dir = mkdtempSync(join(tmpdir(), 'zoosync-lead-'));
  const logFile = join(dir, 'terms.jsonl');
  writeFileSync(logFile, '');
  const sessionTimeoutMs = 2000;
  const RUN_MS = 10_000;
  const id = uniqueId('lead');
  const messages: Msg[] = [];
  const stderr = new Map<number, string>();
  const live = new Set<ChildProcess>();
  const checks = new Set<() => void>();
  const poke = (): void => {
    for (const c of [...checks]) c();
  };
  const start = (): ChildProcess => {
    const child = fork(new URL('./workers/lead-worker.js', import.meta.url), [], {
      env: { ...process.env, LEAD_WORKER: JSON.stringify({ hosts: env.hosts, id, sessionTimeoutMs, logFile }) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    workers.add(child);
    live.add(child);
    child.stderr?.on('data', (d: Buffer) => stderr.set(child.pid!, (stderr.get(child.pid!) ?? '') + d.toString()));
    child.on('message', (m) => {
      messages.push(m as Msg);
      poke();
    });
    child.on('exit', () => poke());
    return child;
  };
  /** The first message from index `from` on matching `pred`. */
  const next = (pred: (m: Msg) => boolean, from: number, timeoutMs: number, what: string): Promise<Msg> => {
    let check = (): void => undefined;
    const found = new Promise<Msg>((resolve, reject) => {
      check = (): void => {
        const rest = messages.slice(from);
        const err = rest.find((m) => m.ev === 'error');
        if (err) reject(new Error(`worker ${err.pid} failed: ${String(err.message)}`));
        const m = rest.find(pred);
        if (m) resolve(m);
      };
      checks.add(check);
      check();
    });
    return within(found, timeoutMs, `${what}; stderr: ${[...stderr.values()].join('\n')}`).finally(() => checks.delete(check));
  };
  const exited = (c: ChildProcess): Promise<number | null> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise((resolve) => c.once('exit', (code) => resolve(code)));
  try {
    const first = [start(), start(), start()];
    await Promise.all(first.map((c) => next((m) => m.ev === 'ready' && m.pid === c.pid, 0, 20_000, `worker ${c.pid} ready`)));
    const runStart = now();
    const kills: Array<{ pid: number; at: number }> = [];
    for (const killAt of [3000, 6500]) {
      await sleep(Math.max(0, runStart + killAt - now()));
      const from = messages.length;
      const enter = await next((m) => m.ev === 'enter', from, 10_000, 'a term to start');
      const victim = [...live].find((c) => c.pid === enter.pid)!;
      victim.kill('SIGKILL');
      kills.push({ pid: enter.pid, at: now() });
      live.delete(victim);
      await exited(victim);
      start();
    }
    await sleep(Math.max(0, runStart + RUN_MS - now()));
    const from = messages.length;
    const stopping = [...live];
    for (const c of stopping) c.send({ ev: 'stop' });
    const stopped = await Promise.all(stopping.map((c) => next((m) => m.ev === 'stopped' && m.pid === c.pid, from, 15_000, `worker ${c.pid} stopped`)));
    const codes = await Promise.all(stopping.map((c) => within(exited(c), 10_000, `worker ${c.pid} exit`)));

    // The terms, from the log (one clock); a killed leader's last term ends when it was killed.
    const records = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number; ev: string; t: number; token: string });
    const terms: Array<{ pid: number; start: number; end: number; token: bigint; killed: boolean }> = [];
    for (const r of records.filter((x) => x.ev === 'enter')) {
      const exit = records.find((x) => x.ev === 'exit' && x.pid === r.pid && x.token === r.token);
      const kill = kills.find((k) => k.pid === r.pid);
      assert.ok(exit || kill, `term ${r.token} of ${r.pid} has no exit and its process was not killed`);
      terms.push({ pid: r.pid, start: r.t, end: exit?.t ?? kill!.at, token: BigInt(r.token), killed: !exit });
    }
    terms.sort((a, b) => a.start - b.start);
    let handOvers = 0;
    let minGap = Number.POSITIVE_INFINITY;
    for (let i = 1; i < terms.length; i++) {
      const prev = terms[i - 1]!;
      const cur = terms[i]!;
      assert.ok(cur.start >= prev.end, `overlap: ${cur.pid} entered at ${cur.start.toFixed(3)} while ${prev.pid} led until ${prev.end.toFixed(3)}`);
      assert.ok(cur.token > prev.token, `fencing token went from ${prev.token} to ${cur.token}`);
      minGap = Math.min(minGap, cur.start - prev.end);
      if (cur.pid !== prev.pid) handOvers++;
    }
    const failovers = kills.map((k) => {
      const victimTerm = terms.filter((x) => x.pid === k.pid).at(-1)!;
      assert.equal(victimTerm.killed, true, `process ${k.pid} was not inside fn when killed`);
      const after = terms.find((x) => x.start > k.at);
      assert.ok(after, `no leader after the kill of ${k.pid}`);
      return after.start - k.at;
    });
    const stopMs = stopped.map((m) => (m.resolvedAt as number) - (m.stopAt as number));
    t.diagnostic(
      `${terms.length} terms by ${new Set(terms.map((x) => x.pid)).size} processes, ${handOvers} hand-overs, least gap between terms ${minGap.toFixed(2)} ms; ` +
        `new leader ${failovers.map((x) => Math.round(x)).join(' and ')} ms after the SIGKILLs (session timeout ${sessionTimeoutMs}); ` +
        `stop → lead resolved in ${stopMs.map((x) => Math.round(x)).join(', ')} ms`,
    );
    assert.ok(handOvers >= 5, `only ${handOvers} hand-overs`);
    for (const ms of failovers) assert.ok(ms <= sessionTimeoutMs + 2000, `fail-over took ${Math.round(ms)} ms`);
    for (const m of stopped) {
      assert.equal(m.nodeLeft, false, `worker ${m.pid} left its node`);
      assert.deepEqual(m.errors, [], `worker ${m.pid}: onError heard ${String(m.errors)}`);
      assert.ok((m.terms as number) >= 1, `worker ${m.pid} never led`);
    }
    for (const ms of stopMs) assert.ok(ms < 2000, `lead took ${Math.round(ms)} ms to resolve after its signal aborted`);
    assert.deepEqual(codes, stopping.map(() => 0));
    // The killed processes' sessions have expired by now: no contender is left.
    const s = env.session();
    await waitFor(async () => (await contenders(s, id)).length === 0, { timeoutMs: sessionTimeoutMs + 3000, message: 'election empty' });
  } finally {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await env.finish();
  }
});

test('fn throwing goes to onError; lead campaigns again after a backoff; abort resolves after rescinding', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const id = uniqueId('errors');
    const ac = new AbortController();
    const boom = new Error('term failed');
    const heard: unknown[] = [];
    const terms: Array<{ token: bigint; start: number; end?: number; reason?: unknown }> = [];
    const done = lead(
      id,
      async (leader: Leader) => {
        const term: (typeof terms)[number] = { token: leader.fencingToken, start: performance.now() };
        terms.push(term);
        if (terms.length <= 2) {
          term.end = performance.now();
          throw boom;
        }
        setTimeout(() => ac.abort(new Error('stop')), 100);
        await ended(leader);
        term.reason = leader.signal.reason;
        term.end = performance.now();
      },
      { session: s, signal: ac.signal, onError: (e) => heard.push(e) },
    );
    await within(done, 10_000, 'lead to stop');
    const resolvedAt = performance.now();
    const gaps = terms.slice(1).map((x, i) => x.start - terms[i]!.end!);
    t.diagnostic(`${terms.length} terms; pauses after the failed terms ${gaps.map((g) => g.toFixed(1)).join(', ')} ms; resolved ${(resolvedAt - terms.at(-1)!.end!).toFixed(1)} ms after the last term ended`);
    assert.equal(terms.length, 3);
    assert.deepEqual(heard, [boom, boom]);
    assert.ok(terms[1]!.token > terms[0]!.token && terms[2]!.token > terms[1]!.token);
    assert.ok(gaps[0]! >= 25, `no backoff after the first error (${gaps[0]} ms)`);
    assert.ok(terms[2]!.reason instanceof LeadershipEndedError && terms[2]!.reason.reason === 'resigned', String(terms[2]!.reason));
    assert.deepEqual(await contenders(s, id), [], 'our node is still there after lead resolved');
  } finally {
    await env.finish();
  }
});

test('leadership lost under fn: leader.signal aborts, lead waits for fn to return, then leads again', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const bare = await connectBare(env.hosts);
  try {
    const s = env.session();
    const id = uniqueId('lost');
    const ac = new AbortController();
    const terms: Array<{ token: bigint; start: number; abortedAt?: number; end?: number; reason?: string }> = [];
    const done = lead(
      id,
      async (leader) => {
        const term: (typeof terms)[number] = { token: leader.fencingToken, start: performance.now() };
        terms.push(term);
        if (terms.length === 1) {
          await bare.remove(leader.path); // an operator forcing re-election
          await ended(leader);
          term.abortedAt = performance.now();
          term.reason = (leader.signal.reason as LeadershipEndedError).reason;
          await sleep(300); // slow to stop: lead must wait
        } else {
          ac.abort();
        }
        term.end = performance.now();
      },
      { session: s, signal: ac.signal },
    );
    await within(done, 10_000, 'lead to stop');
    t.diagnostic(`term 1 ended by ${terms[0]!.reason}; term 2 began ${(terms[1]!.start - terms[0]!.end!).toFixed(1)} ms after fn returned (${(terms[1]!.start - terms[0]!.abortedAt!).toFixed(1)} ms after the abort)`);
    assert.equal(terms.length, 2);
    assert.equal(terms[0]!.reason, 'node-deleted');
    assert.ok(terms[1]!.start >= terms[0]!.end!, 'campaigned again before fn returned');
    assert.ok(terms[1]!.token > terms[0]!.token);
    assert.deepEqual(await contenders(s, id), []);
  } finally {
    bare.close();
    await env.finish();
  }
});

test('fn ignoring the end of its term: after graceMs lead goes on without it (LeaderWorkOverrunError) and resolves', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const id = uniqueId('overrun');
    const ac = new AbortController();
    const heard: unknown[] = [];
    let fnDone: Promise<void> | undefined;
    let abortedAt = 0;
    const done = lead(
      id,
      (leader) => {
        setTimeout(() => {
          abortedAt = performance.now();
          ac.abort();
        }, 100);
        fnDone = sleep(1500).then(() => {
          throw new Error('late failure');
        });
        void leader;
        return fnDone;
      },
      { session: s, signal: ac.signal, graceMs: 300, onError: (e) => heard.push(e) },
    );
    await within(done, 5000, 'lead to stop');
    const ms = performance.now() - abortedAt;
    t.diagnostic(`lead resolved ${Math.round(ms)} ms after its signal aborted (graceMs 300), fn still running`);
    assert.ok(ms >= 290 && ms < 1000, `resolved ${Math.round(ms)} ms after the abort`);
    assert.equal(heard.length, 1);
    assert.ok(heard[0] instanceof LeaderWorkOverrunError, String(heard[0]));
    assert.deepEqual(await contenders(s, id), [], 'rescinded before resolving');
    await fnDone!.catch(() => undefined);
    await sleep(10);
    assert.equal(heard.length, 2, 'the overrun fn’s late error was not reported');
    assert.equal((heard[1] as Error).message, 'late failure');
  } finally {
    await env.finish();
  }
});

test('onError throwing stops lead: it rescinds and rejects with what onError threw', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const id = uniqueId('fatal');
    const fatal = new Error('give up');
    let terms = 0;
    await assert.rejects(
      within(
        lead(
          id,
          () => {
            terms++;
            throw new Error('term failed');
          },
          {
            session: s,
            onError: () => {
              throw fatal;
            },
          },
        ),
        5000,
        'lead to stop',
      ),
      (e) => e === fatal,
    );
    assert.equal(terms, 1);
    assert.deepEqual(await contenders(s, id), []);
  } finally {
    await env.finish();
  }
});

test('the session closed under lead: the term ends, lead rejects with SessionClosedError', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const id = uniqueId('closed');
    let reason: unknown;
    const done = lead(
      id,
      async (leader) => {
        setTimeout(() => void s.close(), 50);
        await ended(leader);
        reason = leader.signal.reason;
      },
      { session: s },
    );
    await assert.rejects(within(done, 5000, 'lead to settle'), SessionClosedError);
    assert.equal((reason as LeadershipEndedError).reason, 'closed');
  } finally {
    await env.finish();
  }
});

test('lead: bad input rejects with InvalidArgumentError before any I/O', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const fn = (): void => undefined;
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['fn not a function', () => lead('x', 'run' as never, { session: s }), 'fn'],
      ['unknown key', () => lead('x', fn, { session: s, sesion: s } as never), 'options.sesion'],
      ['data over 16 KiB', () => lead('x', fn, { session: s, data: 'x'.repeat(16 * 1024 + 1) }), 'options.data'],
      ['onError not a function', () => lead('x', fn, { session: s, onError: 1 as never }), 'options.onError'],
      ['graceMs negative', () => lead('x', fn, { session: s, graceMs: -1 }), 'options.graceMs'],
      ['graceMs not a number', () => lead('x', fn, { session: s, graceMs: '5' as never }), 'options.graceMs'],
      ['signal not a signal', () => lead('x', fn, { session: s, signal: {} as never }), 'options.signal'],
      ['session not a Session', () => lead('x', fn, { session: {} as never }), 'options.session'],
      ['blank id', () => lead('', fn, { session: s }), 'id'],
    ];
    for (const [what, call, argument] of cases) {
      await assert.rejects(call(), (e) => {
        assert.ok(e instanceof InvalidArgumentError, `${what}: ${String(e)}`);
        assert.equal(e.argument, argument, `${what}: ${e.message}`);
        return true;
      });
    }
    await assert.rejects(lead('x', fn, { session: s, sesion: s } as never), /did you mean session/);
    // An aborted signal: resolves at once, nothing done.
    await within(lead('x', fn, { session: s, signal: AbortSignal.abort() }), 1000, 'lead with an aborted signal');
    assert.equal(s.state, 'idle', 'bad input led to I/O');
  } finally {
    await env.finish();
  }
});
