/**
 * `npm run chaos [-- --duration <s>] [--workers <n>] [--out <dir>]`: one fault-injection run against a
 * 3-node ensemble, its summary, the full history and the workers' debug logs in `<dir>`, and a
 * non-zero exit code on any violation.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { History } from './history.js';
import { formatSummary, runChaos } from './orchestrator.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function num(name: string, fallback: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) {
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
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v))).join('\n') + '\n');
}

const durationS = num('duration', 60);
const workers = num('workers', 5);
const out = arg('out') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zoosync-chaos-'));
fs.mkdirSync(out, { recursive: true });
const stamp = (): string => new Date().toISOString().slice(11, 23);

try {
  const report = await runChaos({ durationMs: durationS * 1000, workers, logDir: out, log: (l) => console.log(`[${stamp()}] ${l}`) });
  dumpHistory(report.history, path.join(out, 'history.jsonl'));
  console.log(formatSummary(report));
  console.log(`history and worker logs: ${out}`);
  process.exitCode = report.violations.length === 0 ? 0 : 1;
} catch (error) {
  console.error('chaos run failed:', error);
  process.exitCode = 2;
}
