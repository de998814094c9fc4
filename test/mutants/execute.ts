/** Runs one test file (or some of its tests) or one short chaos run in a copy of the repo, bounded in time, and reads the outcome. */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { TestRef } from './list.js';

/** How a child run ended. */
export interface RunOutcome {
  /** 0 passed; non-zero failed; null if it was killed for running too long. */
  code: number | null;
  output: string;
  ms: number;
}

/** Runs `args` with node in `cwd`; past `timeoutMs` the process group gets SIGTERM, then SIGKILL. */
export function runNode(cwd: string, args: string[], timeoutMs: number): Promise<RunOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '' } });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const kill = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      kill('SIGTERM');
      killer = setTimeout(() => kill('SIGKILL'), 15_000);
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolve({ code: code ?? null, output, ms: performance.now() - started });
    });
  });
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What a test run showed: failed (caught), how many ran, and the names of those that failed. */
export interface TestOutcome {
  ref: TestRef;
  failed: boolean;
  passed: number;
  failures: string[];
  timedOut: boolean;
  ms: number;
  output: string;
}

/** Runs the tests of `ref` in the copy `dir` (TAP output, one at a time, 180 s per test). */
export async function runTests(dir: string, ref: TestRef, timeoutMs: number): Promise<TestOutcome> {
  const patterns = (ref.names ?? []).map((n) => `--test-name-pattern=^${escapeRegExp(n)}$`);
  const file = path.join('.build', 'test', `${ref.file}.js`);
  const r = await runNode(dir, ['--test', '--test-concurrency=1', '--test-timeout=180000', '--test-reporter=tap', ...patterns, file], timeoutMs);
  const passed = Number(/^# pass (\d+)/m.exec(r.output)?.[1] ?? 0);
  const failures = [...r.output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1]!.trim()).filter((n) => !n.endsWith('.js'));
  return { ref, failed: r.code !== 0, passed, failures, timedOut: r.code === null, ms: r.ms, output: r.output };
}

/** What a chaos run showed: its exit code (1: violations, 2: the run itself failed) and its violation lines. */
export interface ChaosOutcome {
  code: number | null;
  violations: string[];
  summary: string;
  ms: number;
  output: string;
}

/** One chaos run of `durationS` in the copy `dir`. */
export async function runChaosIn(dir: string, durationS: number, timeoutMs: number): Promise<ChaosOutcome> {
  const r = await runNode(dir, [path.join('.build', 'test', 'chaos', 'run.js'), '--duration', String(durationS), '--out', path.join(dir, 'chaos-out')], timeoutMs);
  const violations = r.output.split('\n').filter((l) => l.startsWith('  ! ')).slice(0, 10);
  const summary = r.output.split('\n').filter((l) => /acquisitions|elections|violations/i.test(l)).slice(0, 4).join(' | ');
  return { code: r.code, violations, summary, ms: r.ms, output: r.output };
}
