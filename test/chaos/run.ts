/**
 * `npm run chaos [-- --duration <s>] [--workers <n>] [--out <dir>] [--html <file>] [--skew <ms>]
 * [--max-clock-skew <ms>] [--stall-chance <p>] [--no-faults]`: one fault-injection run against a
 * 3-node ensemble, its summary, the full history and the workers' debug logs in `<dir>`, the history
 * visual in `<file>`, and a non-zero exit code on any violation.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { History } from './history.js';
import { renderHtml } from './html-report.js';
import { formatSummary, runChaos, type ChaosReport } from './orchestrator.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function num(name: string, fallback: number, min = Number.MIN_VALUE): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) {
    console.error(`--${name} needs a positive number, got ${String(raw)}`);
    process.exit(2);
  }
  return v;
}

/** Writes the history as JSON lines, one record per event, fault, store write and exit, in time order. */
function dumpHistory(h: History, file: string): void {
  const rows = [
    ...h.events.map((e) => ({ type: 'event', ...e })),
    ...h.faults.map((f) => ({ type: 'fault', t: f.start, ...f })),
    ...h.writes.map((w) => ({ type: 'store', ...w })),
    ...h.exits.map((x) => ({ type: 'exit', ...x })),
  ].sort((a, b) => a.t - b.t);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).join('\n') + '\n');
}

/** Writes the history visual of a finished run. */
function writeHtml(r: ChaosReport, file: string): void {
  const workers = [...new Set(r.history.events.map((e) => e.worker))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const title = `zoosync chaos: ${(r.chaosMs / 1000).toFixed(0)} s, ${workers.length} worker incarnations, ${r.history.faults.length} faults, ${r.violations.length} violations`;
  fs.writeFileSync(file, renderHtml({ t0: r.t0, tEnd: r.tEnd, workers, beliefs: r.beliefs, faults: r.history.faults, violations: r.violations, title }));
}

const durationS = num('duration', 60);
const html = arg('html');
const maxSkew = arg('max-clock-skew');
const workers = num('workers', 5);
const out = arg('out') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zoosync-chaos-'));
fs.mkdirSync(out, { recursive: true });
const stamp = (): string => new Date().toISOString().slice(11, 23);

try {
  const report = await runChaos({
    durationMs: durationS * 1000,
    workers,
    logDir: out,
    log: (l) => console.log(`[${stamp()}] ${l}`),
    clockSkewMs: num('skew', 0, 0),
    stallChance: num('stall-chance', 0.04, 0),
    noFaults: process.argv.includes('--no-faults'),
    ...(maxSkew === undefined ? {} : { maxClockSkewMs: num('max-clock-skew', 0, 0) }),
  });
  dumpHistory(report.history, path.join(out, 'history.jsonl'));
  if (html) {
    writeHtml(report, html);
    console.log(`history visual: ${path.resolve(html)}`);
  }
  console.log(formatSummary(report));
  console.log(`history and worker logs: ${out}`);
  process.exitCode = report.violations.length === 0 ? 0 : 1;
} catch (error) {
  console.error('chaos run failed:', error);
  process.exitCode = 2;
}
