// Mutual exclusion across processes: several child processes, each with its own Session, hammer
// one lock; a shared counter file shows no lost update, the logged critical sections never
// overlap, and fencing tokens increase from holder to holder.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sharedServer, stopAll } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const WORKERS = 4;
const DURATION_MS = 5000;

interface Report {
  worker: number;
  acquisitions: number;
  failures: number;
  lostInside: number;
}

interface Interval {
  worker: number;
  token: bigint;
  start: number;
  end: number;
}

/** Pairs each worker's acquire/release records into critical-section intervals. */
function intervals(log: string): Interval[] {
  const open = new Map<number, { t: number; token: string }>();
  const out: Interval[] = [];
  for (const line of log.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as { worker: number; ev: string; t: number; token: string };
    if (r.ev === 'acquire') {
      assert.equal(open.has(r.worker), false, `worker ${r.worker} acquired twice without a release`);
      open.set(r.worker, { t: r.t, token: r.token });
    } else {
      const a = open.get(r.worker);
      assert.ok(a && a.token === r.token, `release without acquire in worker ${r.worker}`);
      out.push({ worker: r.worker, token: BigInt(r.token), start: a.t, end: r.t });
      open.delete(r.worker);
    }
  }
  assert.equal(open.size, 0, 'a critical section was never closed');
  return out.sort((x, y) => x.start - y.start);
}

/** Pairs of intervals (of different holders) that overlap in time. */
function overlaps(sorted: Interval[]): Array<[Interval, Interval]> {
  const found: Array<[Interval, Interval]> = [];
  let latest: Interval | undefined;
  for (const iv of sorted) {
    if (latest && iv.start < latest.end) found.push([latest, iv]);
    if (!latest || iv.end > latest.end) latest = iv;
  }
  return found;
}

function startWorker(args: string[]): { child: ChildProcess; ready: Promise<void>; done: Promise<Report>; stderr: () => string } {
  const child = fork(new URL('./workers/lock-worker.js', import.meta.url), args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
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
  return { child, ready, done, stderr: () => err };
}

test(`${WORKERS} processes hammering one lock never overlap`, async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const dir = mkdtempSync(join(tmpdir(), 'zoosync-mutex-'));
  const workers: Array<ReturnType<typeof startWorker>> = [];
  try {
    const counterFile = join(dir, 'counter');
    const logFile = join(dir, 'log.jsonl');
    writeFileSync(counterFile, '0');
    writeFileSync(logFile, '');
    for (let i = 0; i < WORKERS; i++) {
      workers.push(startWorker(['mutex', env.hosts, 'hammered', counterFile, logFile, String(DURATION_MS), String(i)]));
    }
    const kill = setTimeout(() => workers.forEach((w) => w.child.kill('SIGKILL')), 45_000);
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) if (w.child.connected) w.child.send({ go: true });
    let reports: Report[];
    try {
      reports = await Promise.all(workers.map((w) => w.done));
    } finally {
      clearTimeout(kill);
    }
    const total = reports.reduce((n, r) => n + r.acquisitions, 0);
    const counter = Number(readFileSync(counterFile, 'utf8'));
    const ivs = intervals(readFileSync(logFile, 'utf8'));
    const bad = overlaps(ivs);
    t.diagnostic(`acquisitions per worker: ${reports.map((r) => `${r.worker}=${r.acquisitions}`).join(' ')}; total ${total}; counter ${counter}`);
    t.diagnostic(`failed acquires: ${reports.reduce((n, r) => n + r.failures, 0)}; overlaps: ${bad.length}`);
    for (const [x, y] of bad.slice(0, 5)) t.diagnostic(`overlap: ${JSON.stringify({ x: { ...x, token: String(x.token) }, y: { ...y, token: String(y.token) } })}`);
    assert.ok(total >= WORKERS * 5, `too few acquisitions to mean anything: ${total}`);
    assert.ok(reports.every((r) => r.acquisitions > 0), 'a worker never got the lock');
    assert.equal(ivs.length, total, 'the log does not hold one interval per acquisition');
    assert.equal(counter, total, 'lost updates: two holders were in the critical section at once');
    assert.equal(bad.length, 0, `${bad.length} overlapping critical sections`);
    assert.equal(reports.reduce((n, r) => n + r.lostInside, 0), 0, 'a holder lost the lock inside its critical section');
    for (let i = 1; i < ivs.length; i++) {
      assert.ok(ivs[i]!.token > ivs[i - 1]!.token, `fencing token went from ${ivs[i - 1]!.token} to ${ivs[i]!.token} at hand-off ${i}`);
    }
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await env.finish();
  }
});
