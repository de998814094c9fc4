/**
 * The comparison as markdown: per server mode, one row per figure with a column per peer (medians
 * over rounds), the zoosync ÷ Curator ratio (median of the per-round ratios) and its target.
 */
import { quantile } from '../stats.js';
import type { Sample } from './cases.js';

/** Every sample of one server mode: rounds[r][caseKey][peerKey], and the once-per-mode held case. */
export interface ModeResult {
  forceSync: string;
  peers: Array<{ key: string; label: string; concurrency: string }>;
  rounds: Array<Record<string, Record<string, Sample>>>;
  held: Record<string, Sample>;
}

/** A goal on a figure: a ratio to Curator, or zoosync's own value. */
interface Goal {
  op: '>=' | '<=' | '≈';
  goal: number;
  of: 'ratio' | 'zoosync';
  tolerance?: number;
}

/** One evaluated target, for the summary. */
export interface TargetResult {
  mode: string;
  name: string;
  value: number;
  goal: string;
  met: boolean;
}

interface RowDef {
  caseKey: string;
  label: string;
  /** One metric, or two or three shown as "a / b". */
  metrics: string[];
  digits?: number;
  range?: boolean;
  goal?: Goal;
  /** The metric the goal judges, when not the row's first. */
  goalMetric?: string;
  name?: string;
}

const fmt = (x: number, digits = 3): string => {
  if (!Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(Number.parseFloat(x.toPrecision(digits)));
};

function rowDefs(inFlight: number[], waiterCount: number): RowDef[] {
  const rows: RowDef[] = [];
  for (const n of inFlight) {
    const key = `locks-${n}`;
    const head = n === 1 ? '1 lock in flight = uncontended, one caller' : `${n} distinct locks in flight`;
    const rateGoal: Goal | undefined = n === 64 ? { op: '>=', goal: 1.2, of: 'ratio' } : n === 1 ? { op: '>=', goal: 1.0, of: 'ratio' } : undefined;
    rows.push({ caseKey: key, label: `${head}: lock+unlock/s`, metrics: ['rate'], range: true, goal: rateGoal, name: `${n === 1 ? 'uncontended' : `${n} in flight`} lock+unlock/s ÷ Curator` });
    rows.push({ caseKey: key, label: '  p50 / p99 latency, ms', metrics: ['p50', 'p99'] });
    rows.push({ caseKey: key, label: '  client CPU per op, µs', metrics: ['clientCpuUs'], goal: n === 64 ? { op: '<=', goal: 1.0, of: 'ratio' } : undefined, name: '64 in flight client CPU/op ÷ Curator' });
    rows.push({ caseKey: key, label: '  server CPU per op, µs', metrics: ['serverCpuUs'], goal: n === 64 ? { op: '<=', goal: 0.9, of: 'ratio' } : undefined, name: '64 in flight server CPU/op ÷ Curator' });
    rows.push({ caseKey: key, label: '  server packets per op: sent / received / watch notifications', metrics: ['sent', 'received', 'notifications'] });
  }
  rows.push(
    { caseKey: 'handoff', label: '8 sessions on one lock: hand-offs/s', metrics: ['rate'], range: true, goal: { op: '>=', goal: 1.3, of: 'ratio' }, name: '8-session hand-offs/s ÷ Curator' },
    { caseKey: 'handoff', label: '  client / server CPU per hand-off, µs', metrics: ['clientCpuUs', 'serverCpuUs'] },
    { caseKey: 'handoff', label: '  server packets per hand-off: sent / received / watch notifications', metrics: ['sent', 'received', 'notifications'] },
    { caseKey: 'failover', label: 'graceful leader fail-over, p50 ms', metrics: ['p50'], range: true, goal: { op: '<=', goal: 0.5, of: 'ratio' }, name: 'graceful fail-over p50 ÷ Curator' },
    { caseKey: 'failover', label: '  p99 ms', metrics: ['p99'] },
    { caseKey: 'failover', label: '  server packets per fail-over (with the next campaign and the bench polling for it): sent / received', metrics: ['sent', 'received'] },
    { caseKey: 'waiters', label: `${waiterCount.toLocaleString('en-US')} waiters on one lock: time per hand-off, ms`, metrics: ['perHandoffMs'], range: true },
    { caseKey: 'waiters', label: '  hand-off gap p50 / p99, ms', metrics: ['p50', 'p99'] },
    { caseKey: 'waiters', label: '  mean gap, first tenth / last tenth, ms', metrics: ['firstTenthMs', 'lastTenthMs'] },
    { caseKey: 'waiters', label: '  watch notifications per hand-off (server mntr)', metrics: ['notifications'], goal: { op: '≈', goal: 1, of: 'zoosync', tolerance: 0.05 }, name: `notifications per hand-off, ${waiterCount.toLocaleString('en-US')} waiters (zoosync)` },
    { caseKey: 'waiters', label: '  zoosync:contender.wake per hand-off', metrics: ['wakes'] },
    { caseKey: 'waiters', label: '  server packets per hand-off: sent / received', metrics: ['sent', 'received'] },
    { caseKey: 'waiters', label: '  client / server CPU per hand-off, µs', metrics: ['clientCpuUs', 'serverCpuUs'] },
    { caseKey: 'held', label: 'locks held at once by one session', metrics: ['held'] },
    { caseKey: 'held', label: '  heap per held lock, bytes (see notes for how)', metrics: ['heapPerLock'], goal: { op: '<=', goal: 1024, of: 'zoosync' }, name: 'heap per held lock (zoosync), bytes' },
    { caseKey: 'held', label: '  acquired at, locks/s', metrics: ['acquirePerSec'] },
    { caseKey: 'held', label: '  watches the holders keep on the server (guards)', metrics: ['guardWatches'] },
    { caseKey: 'held', label: '  connection reset: first answered request after, ms', metrics: ['reconnectMs'] },
    { caseKey: 'held', label: '  guard watches registered again after the reconnect', metrics: ['guardsBack'], goal: { op: '>=', goal: 1, of: 'zoosync' }, goalMetric: 'rearmedShare', name: 'every guard re-armed after a reconnect (zoosync)' },
    { caseKey: 'held', label: '  … all of them back, ms after the reset', metrics: ['rearmMs'] },
    { caseKey: 'held', label: '  locks still held after the reset', metrics: ['stillHeld'] },
  );
  return rows;
}

const med = (xs: number[]): number => quantile(xs.filter(Number.isFinite), 0.5);

function samplesOf(m: ModeResult, caseKey: string, peer: string): Sample[] {
  if (caseKey === 'held') return m.held[peer] ? [m.held[peer]] : [];
  return m.rounds.map((r) => r[caseKey]?.[peer]).filter((s): s is Sample => s !== undefined);
}

function cell(m: ModeResult, def: RowDef, peer: string): string {
  const ss = samplesOf(m, def.caseKey, peer);
  if (ss.length === 0) return '–';
  const parts = def.metrics.map((k) => fmt(med(ss.map((s) => s[k] ?? Number.NaN)), def.digits));
  if (parts.every((p) => p === '–')) return '–';
  let text = parts.join(' / ');
  if (def.range && ss.length > 1) {
    const xs = ss.map((s) => s[def.metrics[0]!] ?? Number.NaN).filter(Number.isFinite);
    const [lo, hi] = [fmt(Math.min(...xs)), fmt(Math.max(...xs))];
    if (xs.length > 1 && lo !== hi) text += ` (${lo}–${hi})`;
  }
  return text;
}

/** Median over rounds of zoosync's figure ÷ Curator's, paired by round. */
function ratio(m: ModeResult, def: RowDef): number {
  const k = def.metrics[0]!;
  if (def.caseKey === 'held') return (m.held.zoosync?.[k] ?? Number.NaN) / (m.held.curator?.[k] ?? Number.NaN);
  return med(m.rounds.map((r) => (r[def.caseKey]?.zoosync?.[k] ?? Number.NaN) / (r[def.caseKey]?.curator?.[k] ?? Number.NaN)));
}

function judge(value: number, g: Goal): boolean {
  if (!Number.isFinite(value)) return false;
  if (g.op === '≈') return Math.abs(value - g.goal) <= (g.tolerance ?? 0.05);
  return g.op === '>=' ? value >= g.goal : value <= g.goal;
}

/** Renders one mode's table and collects its targets. */
export function renderMode(m: ModeResult, inFlight: number[], waiterCount: number): { markdown: string; targets: TargetResult[] } {
  const hasCurator = m.peers.some((p) => p.key === 'curator');
  const head = ['case', ...m.peers.map((p) => p.label), ...(hasCurator ? ['zoosync ÷ Curator', 'target'] : ['target'])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  const targets: TargetResult[] = [];
  for (const def of rowDefs(inFlight, waiterCount)) {
    const cells = m.peers.map((p) => cell(m, def, p.key));
    if (cells.every((c) => c === '–')) continue;
    const r = hasCurator ? ratio(m, def) : Number.NaN;
    let targetText = '';
    if (def.goal) {
      const value = def.goal.of === 'ratio' ? r : med(samplesOf(m, def.caseKey, 'zoosync').map((s) => s[def.goalMetric ?? def.metrics[0]!] ?? Number.NaN));
      const goalText = `${def.goal.op} ${def.goal.goal}${def.goal.of === 'ratio' ? '×' : ''}`;
      if (def.goal.of === 'ratio' && !hasCurator) targetText = `${goalText}: no Curator`;
      else {
        const met = judge(value, def.goal);
        targetText = Number.isFinite(value) ? `${goalText}: **${met ? 'met' : 'missed'}**` : `${goalText}: not measured`;
        targets.push({ mode: m.forceSync, name: def.name ?? def.label, value, goal: goalText, met });
      }
    }
    const ratioText = hasCurator && def.metrics.length === 1 && Number.isFinite(r) ? `${fmt(r, 3)}×` : '';
    lines.push(`| ${[def.label.replace(/^ {2}/, '&nbsp;&nbsp;'), ...cells, ...(hasCurator ? [ratioText, targetText] : [targetText])].join(' | ')} |`);
  }
  return { markdown: lines.join('\n'), targets };
}
