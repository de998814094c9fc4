/**
 * `npm run soak [-- --duration <s>] [--sample-ms <ms>] [--fault-ms <ms>] [--sessions <n>] [--out <file>]`:
 * one long-lived process under steady load and periodic faults; prints a sample per interval and
 * the fitted growth per metric, writes the samples as JSON to `<file>`, exits non-zero on growth
 * above a bound, any violation, or any operation that did not settle.
 */
import * as fs from 'node:fs';
import { formatReport, runSoak } from './soak.js';

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

if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  console.error('run the soak with node --expose-gc (npm run soak does), so heap is measured after GC');
  process.exit(2);
}

const durationMs = num('duration', 3600) * 1000;
const stamp = (): string => new Date().toISOString().slice(11, 19);
try {
  const report = await runSoak({
    durationMs,
    sampleMs: num('sample-ms', 60_000),
    faultEveryMs: num('fault-ms', 20_000),
    sessions: num('sessions', 2),
    sessionTimeoutMs: num('session-timeout-ms', 4000),
    log: (l) => console.log(`[${stamp()}] ${l}`),
  });
  console.log(formatReport(report));
  const out = arg('out');
  if (out) fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  console.error('soak failed to run:', error);
  process.exitCode = 2;
}
