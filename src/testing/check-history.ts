/**
 * checkHistory(): the chaos suite's checker (checker.ts) for users' own histories. It reports two
 * holders of one lock (or two leaders) believing at once, fencing tokens that do not increase, a
 * stale write the fenced store accepted, leaked nodes, and renders every violation with the part
 * of the history that shows it. Neither Curator's `curator-test` nor `kazoo.testing` checks a history.
 */
import { keysOf } from '../option-keys.js';
import { InvalidArgumentError } from '../errors.js';
import { optionalMs, optionsOf } from './args.js';
import { check, type CheckResult } from './checker.js';
import { History, now } from './history.js';

/** Options for checkHistory(). */
export interface CheckHistoryOptions {
  /** Nodes still on the server after the run (e.g. from listTree()): each is a `node-leaked` violation. */
  leftovers?: readonly string[];
  /** Extra time an operation recorded with a bound (`acquire-start` … `acquired`) may take; default 2000 ms. */
  settleMarginMs?: number;
  /** When the run began (times in the report are relative to it); default the history's first entry. */
  t0?: number;
  /** When the history ended (holds still open end here); default now(). */
  tEnd?: number;
}

/** checkHistory()'s verdict: `ok` when there is no violation; `report` says what went wrong, with excerpts. */
export interface HistoryCheck extends CheckResult {
  ok: boolean;
  report: string;
}

/** How many violations the report spells out with excerpts (all are in `violations`). */
const REPORTED = 5;

const CHECK_OPTION_KEYS = keysOf<CheckHistoryOptions>({ leftovers: true, settleMarginMs: true, t0: true, tEnd: true });

function firstEntry(h: History): number | undefined {
  const times = [...h.events.map((e) => e.t), ...h.faults.map((f) => f.start), ...h.writes.map((w) => w.t)];
  return times.length === 0 ? undefined : Math.min(...times);
}

/** Checks a finished history for violations of mutual exclusion and fencing (chaos/checker.ts's `check`). */
export function checkHistory(history: History, options?: CheckHistoryOptions): HistoryCheck {
  if (!(history instanceof History)) throw new InvalidArgumentError('history', 'must be a History from zoosync/testing');
  const o = optionsOf(options, CHECK_OPTION_KEYS);
  if (o.leftovers !== undefined && !Array.isArray(o.leftovers)) throw new InvalidArgumentError('options.leftovers', 'must be an array of paths');
  const tEnd = optionalMs(o.tEnd, 'options.tEnd') ?? now();
  const t0 = optionalMs(o.t0, 'options.t0') ?? firstEntry(history) ?? tEnd;
  const settleMarginMs = optionalMs(o.settleMarginMs, 'options.settleMarginMs') ?? 2000;
  const result = check({ history, t0, tEnd, settleMarginMs, leftovers: [...((o.leftovers as readonly string[] | undefined) ?? [])] });
  const n = result.violations.length;
  const lines = result.violations.slice(0, REPORTED).map((v) => `${v.kind}: ${v.message}${v.excerpt ? `\n${v.excerpt}` : ''}`);
  if (n > REPORTED) lines.push(`… and ${n - REPORTED} more (kinds: ${[...new Set(result.violations.map((v) => v.kind))].join(', ')})`);
  const report = n === 0
    ? `history ok: ${result.beliefs.length} holds, ${history.writes.length} store writes, no violation`
    : `${n} violation(s) in the history:\n${lines.join('\n')}`;
  return { ...result, ok: result.violations.length === 0, report };
}
