/**
 * `npm run mutants [-- --only <name>[,<name>...]] [--chaos always|survivors|never] [--chaos-duration <s>]
 * [--full-build] [--baseline | --baseline-only] [--check] [--built <dir>] [--out <file>]`: applies each seeded bug to a copy of the repo,
 * one at a time, runs the tests named for it and a short chaos run, and prints caught or survived per
 * mutant. Exits non-zero if any mutant survived, could not be applied, or the baseline failed.
 *
 * `--chaos survivors` (the default) runs the chaos test only for mutants the named tests missed;
 * `always` runs it for every mutant. `--baseline` first runs every named test and the chaos run on
 * the unmutated copy: a mutant is only caught if the same tests pass without it (`--baseline-only`
 * stops there). `--check` only
 * checks that every search text still applies (after a merge).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkMutant, copyRepo, mutate, removeCopy, StaleMutantError } from './apply.js';
import { runChaosIn, runTests, type ChaosOutcome, type TestOutcome } from './execute.js';
import { MUTANTS, type Mutant, type TestRef } from './list.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const repo = process.cwd();
/** The built tree to copy (default `.build`, what `npm run build:test` writes). */
const built = arg('built') ?? '.build';
const chaosMode = arg('chaos') ?? 'survivors';
if (!['always', 'survivors', 'never'].includes(chaosMode)) {
  console.error(`--chaos must be always, survivors or never, got ${chaosMode}`);
  process.exit(2);
}
const chaosDuration = Number(arg('chaos-duration') ?? 20);
const only = arg('only')?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((n) => !MUTANTS.some((m) => m.name === n)) ?? [];
if (unknown.length > 0) {
  console.error(`no such mutant: ${unknown.join(', ')}; known:\n  ${MUTANTS.map((m) => m.name).join('\n  ')}`);
  process.exit(2);
}
const chosen = only ? MUTANTS.filter((m) => only.includes(m.name)) : MUTANTS;
const TEST_BOUND_MS = 15 * 60_000;
const CHAOS_BOUND_MS = (chaosDuration + 240) * 1000;
const stamp = (): string => new Date().toISOString().slice(11, 19);
const log = (line: string): void => console.log(`[${stamp()}] ${line}`);

/** One mutant's verdict. */
interface Verdict {
  name: string;
  verdict: 'caught' | 'survived' | 'stale' | 'error';
  caughtBy: string[];
  tests: Array<Omit<TestOutcome, 'output'>>;
  chaos?: Omit<ChaosOutcome, 'output'>;
  note?: string;
}

const describeRef = (r: TestRef): string => (r.names ? `${r.file} (${r.names.length} named)` : r.file);

async function runOne(m: Mutant): Promise<Verdict> {
  try {
    checkMutant(repo, m);
  } catch (error) {
    if (error instanceof StaleMutantError) return { name: m.name, verdict: 'stale', caughtBy: [], tests: [], note: error.message };
    throw error;
  }
  const dir = copyRepo(repo, built);
  try {
    mutate(dir, m, flag('full-build'));
    const tests: TestOutcome[] = [];
    const caughtBy: string[] = [];
    let broken: string | undefined;
    for (const ref of m.tests) {
      const t = await runTests(dir, ref, TEST_BOUND_MS);
      tests.push(t);
      log(`  ${describeRef(ref)}: ${t.failed ? `FAILED (${t.failures.join('; ') || (t.timedOut ? 'timed out' : 'exit code')})` : `passed ${t.passed}`} in ${(t.ms / 1000).toFixed(0)} s`);
      if (t.failed) caughtBy.push(`${ref.file}: ${t.failures.join('; ') || (t.timedOut ? 'timed out' : 'failed')}`);
      else if (t.passed === 0) broken = `no test of ${describeRef(ref)} ran: a renamed test?`;
      if (t.failed) fs.writeFileSync(path.join(os.tmpdir(), `zoosync-mutant-${m.name}-${path.basename(ref.file)}.log`), t.output);
    }
    let chaos: ChaosOutcome | undefined;
    if (chaosMode === 'always' || (chaosMode === 'survivors' && caughtBy.length === 0)) {
      chaos = await runChaosIn(dir, chaosDuration, CHAOS_BOUND_MS);
      log(`  chaos ${chaosDuration} s: exit ${chaos.code} ${chaos.summary}`);
      if (chaos.code === 1) caughtBy.push(`chaos: ${chaos.violations.join('; ') || 'violations'}`);
      else if (chaos.code !== 0) broken ??= `the chaos run failed to run (exit ${chaos.code})`;
      if (chaos.code !== 0) fs.writeFileSync(path.join(os.tmpdir(), `zoosync-mutant-${m.name}-chaos.log`), chaos.output);
    }
    const strip = <T extends { output: string }>(o: T): Omit<T, 'output'> => {
      const { output: _, ...rest } = o;
      return rest;
    };
    const verdict = caughtBy.length > 0 ? 'caught' : broken ? 'error' : 'survived';
    return { name: m.name, verdict, caughtBy, tests: tests.map(strip), ...(chaos ? { chaos: strip(chaos) } : {}), ...(broken ? { note: broken } : {}) };
  } finally {
    removeCopy(dir);
  }
}

/** Runs every test named by the chosen mutants, and the chaos run, on the unmutated copy: all must pass. */
async function baseline(): Promise<boolean> {
  const refs = new Map<string, TestRef>();
  for (const m of chosen) for (const r of m.tests) refs.set(JSON.stringify(r), r);
  const dir = copyRepo(repo, built);
  let ok = true;
  try {
    for (const ref of refs.values()) {
      const t = await runTests(dir, ref, TEST_BOUND_MS);
      log(`baseline ${describeRef(ref)}: ${t.failed ? `FAILED ${t.failures.join('; ')}` : `passed ${t.passed}`}`);
      if (t.failed || t.passed === 0) ok = false;
    }
    if (chaosMode !== 'never') {
      const c = await runChaosIn(dir, chaosDuration, CHAOS_BOUND_MS);
      log(`baseline chaos: exit ${c.code} ${c.summary}`);
      if (c.code !== 0) ok = false;
    }
  } finally {
    removeCopy(dir);
  }
  return ok;
}

function table(verdicts: Verdict[]): string {
  const rows = verdicts.map((v) => `| ${v.name} | ${v.verdict} | ${v.caughtBy.join('<br>') || v.note || ''} |`);
  const caught = verdicts.filter((v) => v.verdict === 'caught').length;
  return ['| mutant | verdict | caught by |', '|---|---|---|', ...rows, '', `caught ${caught}/${verdicts.length}`].join('\n');
}

if (flag('check')) {
  let stale = 0;
  for (const m of chosen) {
    try {
      checkMutant(repo, m);
      console.log(`ok     ${m.name}`);
    } catch (error) {
      stale++;
      console.log(`STALE  ${m.name}: ${(error as Error).message}`);
    }
  }
  process.exit(stale === 0 ? 0 : 1);
}

if ((flag('baseline') || flag('baseline-only')) && !(await baseline())) {
  console.error('the baseline failed: fix the tests (or the environment) before judging mutants');
  process.exit(1);
}
if (flag('baseline-only')) {
  console.log('baseline passed');
  process.exit(0);
}
const verdicts: Verdict[] = [];
for (const m of chosen) {
  log(`mutant ${m.name}: ${m.breaks}`);
  const v = await runOne(m);
  log(`  -> ${v.verdict.toUpperCase()}${v.note ? ` (${v.note.split('\n')[0]})` : ''}`);
  verdicts.push(v);
}
console.log(table(verdicts));
const out = arg('out');
if (out) fs.writeFileSync(out, JSON.stringify(verdicts, null, 2) + '\n');
process.exitCode = verdicts.every((v) => v.verdict === 'caught') ? 0 : 1;
