/** Turns the rounds' raw measurements into table rows (median and spread over rounds) and targets. */
import type { KillFailover } from './leader.js';
import { target, type Row, type Target } from './report.js';
import { figure, quantile, type LoopResult } from './stats.js';

/** Each round's raw figures. */
export interface Round {
  floorA?: LoopResult;
  floorB?: LoopResult;
  floorC?: LoopResult;
  lock?: LoopResult;
  /** zoosync lock+unlock on the TLS server's plain port and on its secure port, in the same round. */
  tlsPlain?: LoopResult;
  tls?: LoopResult;
  cpuUs: Partial<Record<'floorB' | 'floorC' | 'lock', { client: number; server?: number }>>;
  contended: Record<string, { handoffsPerSec: number; wakesPerHandoff: number; otherWakes: number; cpuUs: { client: number; server?: number } }>;
  rescindMs: number[];
}

/** What the report needs besides the rounds. */
export interface FigureInput {
  cfg: { rounds: number; procs: number; contendSessions: number[]; rescindPerRound: number; heldCount: number };
  phases: Set<string>;
  rounds: Round[];
  held: Array<Record<string, number | boolean>>;
  kills: KillFailover[];
}

/** Per-op CPU µs from a CPU meter reading over `ops` operations. */
export function perOpUs(use: { clientMs: number; serverMs: number | undefined }, ops: number): { client: number; server?: number } {
  return { client: (use.clientMs * 1000) / ops, ...(use.serverMs === undefined ? {} : { server: (use.serverMs * 1000) / ops }) };
}

const num = (xs: number[]): string => (xs.length ? String(Math.round(quantile(xs, 0.5) * 10) / 10) : 'n/a');

/** Builds the rows and targets (and says where the contending sessions ran). */
export function buildFigures({ cfg, phases, rounds, held, kills }: FigureInput): { rows: Row[]; targets: Target[]; where: string } {
  const per = <T>(f: (r: Round) => T): T[] => rounds.map(f);
  const has = phases.has('uncontended');
  const lockRate = figure(has ? per((r) => r.lock!.opsPerSec) : []);
  const ratioA = figure(has ? per((r) => r.floorA!.opsPerSec / r.lock!.opsPerSec) : []);
  const ratioB = figure(has ? per((r) => r.floorB!.opsPerSec / r.lock!.opsPerSec) : []);
  const ratioC = figure(has ? per((r) => r.floorC!.opsPerSec / r.lock!.opsPerSec) : []);
  const handoff = (n: number, k: 'handoffsPerSec' | 'wakesPerHandoff'): number[] =>
    rounds.map((r) => r.contended[n]?.[k]).filter((x): x is number => x !== undefined);
  const h8vsLock = figure(has ? rounds.map((r) => (r.contended[8]?.handoffsPerSec ?? NaN) / r.lock!.opsPerSec).filter(Number.isFinite) : []);
  const rescindFig = figure(per((r) => quantile(r.rescindMs, 0.5)).filter(Number.isFinite));
  const heapFig = figure(held.map((h) => Number(h.heapPerLock)));
  const where = `${cfg.procs <= 1 ? 'all sessions in this process' : `sessions over ${cfg.procs} child processes`}`;
  const cpu = (k: 'floorB' | 'floorC' | 'lock', side: 'client' | 'server'): number[] =>
    rounds.map((r) => r.cpuUs[k]?.[side]).filter((x): x is number => x !== undefined);

  const rows: Row[] = [
    { label: '# uncontended (sequential loop, one session each)' },
    { label: 'floor a: bare create-seq → getChildren → delete', fig: figure(has ? per((r) => r.floorA!.opsPerSec) : []), unit: 'ops/s', note: '3 round trips' },
    { label: '  p50', fig: figure(has ? per((r) => r.floorA!.p50) : []), unit: 'ms' },
    { label: '  p99', fig: figure(has ? per((r) => r.floorA!.p99) : []), unit: 'ms' },
    { label: 'floor b: bare create → delete', fig: figure(has ? per((r) => r.floorB!.opsPerSec) : []), unit: 'ops/s', note: '2 round trips' },
    { label: '  p50', fig: figure(has ? per((r) => r.floorB!.p50) : []), unit: 'ms' },
    { label: '  p99', fig: figure(has ? per((r) => r.floorB!.p99) : []), unit: 'ms' },
    { label: '  CPU per op: client / server', text: `${num(cpu('floorB', 'client'))} / ${num(cpu('floorB', 'server'))}`, unit: 'µs' },
    { label: 'floor c: bare, the requests a lock+unlock sends', fig: figure(has ? per((r) => r.floorC!.opsPerSec) : []), unit: 'ops/s', note: 'create+getChildren(watch) pipelined, delete' },
    { label: '  p50', fig: figure(has ? per((r) => r.floorC!.p50) : []), unit: 'ms' },
    { label: '  CPU per op: client / server', text: `${num(cpu('floorC', 'client'))} / ${num(cpu('floorC', 'server'))}`, unit: 'µs' },
    { label: 'zoosync regionLock + unlock', fig: lockRate, unit: 'ops/s' },
    { label: '  p50', fig: figure(has ? per((r) => r.lock!.p50) : []), unit: 'ms' },
    { label: '  p99', fig: figure(has ? per((r) => r.lock!.p99) : []), unit: 'ms' },
    { label: '  CPU per op: client / server', text: `${num(cpu('lock', 'client'))} / ${num(cpu('lock', 'server'))}`, unit: 'µs' },
    { label: '  time ratio to floor a', fig: ratioA, unit: '×' },
    { label: '  time ratio to floor b', fig: ratioB, unit: '×' },
    { label: '  time ratio to floor c (zoosync\'s own code)', fig: ratioC, unit: '×' },
    { label: `# contended: one lock, acquire (holdFor 10 s) → unlock loops; ${where}` },
    ...cfg.contendSessions.flatMap((n): Row[] => [
      { label: `${n} sessions: hand-offs`, fig: figure(handoff(n, 'handoffsPerSec')), unit: '/s' },
      { label: `${n} sessions: CPU per hand-off: ${cfg.procs <= 1 ? 'client' : 'parent (idle)'} / server`, text: `${num(rounds.flatMap((r) => r.contended[n]?.cpuUs.client ?? []))} / ${num(rounds.flatMap((r) => r.contended[n]?.cpuUs.server ?? []))}`, unit: 'µs' },
      { label: `${n} sessions: watch notifications per hand-off`, fig: figure(handoff(n, 'wakesPerHandoff')), unit: '', note: 'herd check, ≈1' },
    ]),
    { label: '8-session hand-offs ÷ uncontended lock rate', fig: h8vsLock, unit: '×' },
    { label: `# ${cfg.heldCount} locks on distinct ids, one session (child process, --expose-gc)` },
    { label: 'time to acquire all (concurrently)', fig: figure(held.map((h) => Number(h.acquireMs))), unit: 'ms' },
    { label: 'heap per held lock', fig: heapFig, unit: 'B', note: held[0] && !held[0].gc ? 'no global.gc: rough' : '' },
    { label: 'time to release all', fig: figure(held.map((h) => Number(h.releaseMs))), unit: 'ms' },
    { label: 'lock parents left after 2 reaper sweeps', text: held.map((h) => String(h.leftOurs)).join(', ') || 'n/a', unit: 'nodes', note: 'expect 0 each round' },
    { label: '# TLS: lock+unlock on one server\'s plain and secure ports, alternating in each round' },
    { label: 'plain TCP', fig: figure(rounds.flatMap((r) => (r.tlsPlain ? [r.tlsPlain.opsPerSec] : []))), unit: 'ops/s' },
    { label: 'TLS', fig: figure(rounds.flatMap((r) => (r.tls ? [r.tls.opsPerSec] : []))), unit: 'ops/s' },
    { label: '  p50 plain / TLS', text: `${num(rounds.flatMap((r) => (r.tlsPlain ? [r.tlsPlain.p50] : [])))} / ${num(rounds.flatMap((r) => (r.tls ? [r.tls.p50] : [])))}`, unit: 'ms' },
    { label: '  TLS time ÷ plain time', fig: figure(rounds.flatMap((r) => (r.tls && r.tlsPlain ? [r.tlsPlain.opsPerSec / r.tls.opsPerSec] : []))), unit: '×' },
    { label: '# leader fail-over' },
    { label: `after rescind(), 2 sessions in this process (median of ${cfg.rescindPerRound}/round)`, fig: rescindFig, unit: 'ms' },
    { label: 'after SIGKILL of the leader process', fig: figure(kills.map((k) => k.ms)), unit: 'ms', note: kills.length ? `session timeout ${kills[0]!.sessionTimeoutMs} ms, ${kills.length} runs` : '' },
  ];
  const targets = [
    target('uncontended lock+unlock time ÷ create+delete floor', ratioB.median, '<=', 1.1, '×'),
    target('hand-offs/s at 8 sessions ÷ uncontended lock+unlock rate', h8vsLock.median, '>=', 1.3, '×'),
    target('fail-over after rescind(), median', rescindFig.median, '<', 2, 'ms'),
    target('heap per held lock', heapFig.median, '<', 2048, 'B'),
    ...cfg.contendSessions.map((n) => target(`watch notifications per hand-off at ${n} sessions`, figure(handoff(n, 'wakesPerHandoff')).median, '≈', 1)),
  ];
  return { rows, targets, where };
}
