/** The printed report: an aligned table of figures (median with spread) and the targets with ✓/✗ and margin. */
import type { MachineInfo } from './machine.js';
import { num, type Figure } from './stats.js';

/** One table row: a figure over rounds, or free text. */
export interface Row {
  label: string;
  fig?: Figure | undefined;
  text?: string;
  unit?: string;
  note?: string;
}

/** A goal to print beside the figures (not an assertion). */
export interface Target {
  name: string;
  value: number;
  op: '<=' | '>=' | '<' | '≈';
  goal: number;
  /** For '≈': the accepted absolute deviation. */
  tolerance?: number;
  unit?: string;
  ok: boolean;
  /** A human margin, e.g. "4.2% under the limit". */
  margin: string;
}

/** Evaluates `value op goal` and describes by how much it passes or misses. */
export function target(name: string, value: number, op: Target['op'], goal: number, unit = '', tolerance = 0.05): Target {
  const rel = goal === 0 ? value : (value / goal - 1) * 100;
  const pct = (x: number): string => `${num(Math.abs(x), 2)}%`;
  let ok: boolean;
  let margin: string;
  if (!Number.isFinite(value)) {
    ok = false;
    margin = 'not measured';
  } else if (op === '≈') {
    ok = Math.abs(value - goal) <= tolerance;
    margin = `off by ${num(Math.abs(value - goal), 3)} (tolerance ±${tolerance})`;
  } else {
    ok = op === '<=' ? value <= goal : op === '<' ? value < goal : value >= goal;
    const wantLow = op !== '>=';
    margin = ok ? `${pct(rel)} ${wantLow ? 'under' : 'over'} the goal` : `${pct(rel)} ${wantLow ? 'over' : 'short of'} the goal`;
  }
  return { name, value, op, goal, tolerance, unit, ok, margin };
}

const fmtFig = (f: Figure): [string, string] => [num(f.median), `(${num(f.min)}–${num(f.max)})`];

/** Renders the machine header, the figures and the targets as text. */
export function renderReport(title: string, machine: MachineInfo, rows: Row[], targets: Target[]): string {
  const out: string[] = [];
  out.push(title);
  out.push(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.platform}, load avg ${machine.loadAvg.join(' ')}`);
  out.push(`node ${machine.node}; ZooKeeper ${machine.zookeeper}, forceSync=${machine.forceSync}, ${machine.server}`);
  out.push('');
  const cells = rows.map((r) => {
    const [median, range] = r.fig ? fmtFig(r.fig) : [r.text ?? '', ''];
    return [r.label, median, range, r.unit ?? '', r.note ?? ''];
  });
  const head = ['figure', 'median', '(min–max)', 'unit', ''];
  const data = cells.filter((c) => !c[0]!.startsWith('#'));
  const widths = head.map((h, i) => Math.max(h.length, ...data.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c.map((x, i) => (i === 1 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  out.push(line(head));
  out.push(widths.map((w) => '-'.repeat(w)).join('  ').trimEnd());
  for (const c of cells) out.push(c[0]!.startsWith('#') ? `\n${c[0]!.slice(1).trim()}` : line(c));
  out.push('');
  out.push('targets (goals, not assertions):');
  for (const t of targets) {
    const goal = t.op === '≈' ? `≈ ${t.goal}` : `${t.op} ${num(t.goal)}`;
    out.push(`  ${Number.isFinite(t.value) ? (t.ok ? '✓' : '✗') : '–'} ${t.name}: ${num(t.value)}${t.unit ? ` ${t.unit}` : ''} (goal ${goal}${t.unit ? ` ${t.unit}` : ''}; ${t.margin})`);
  }
  return out.join('\n');
}
