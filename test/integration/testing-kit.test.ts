// zoosync/testing as a user gets it: `npm pack`, install the tarball into a fresh project, type-check
// the two examples (examples/testing/) against it, run the node:test one with `node --test` and the
// vitest one with vitest, and show that the kit catches a bug: the node:test example with its lock
// id made per worker (each worker locks its own key) must fail the fenced-history check.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureZooKeeper, needsOwnServers } from '../harness/index.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSC = join(REPO, 'node_modules/.bin/tsc');
const VITEST = join(REPO, 'node_modules/vitest/vitest.mjs');
const LOCK_ID = "regionTimedLock('counters/orders'";
const BUGGY_LOCK_ID = 'regionTimedLock(`counters/orders-${worker}`';

interface Ran {
  code: number;
  output: string;
}

/** Runs a command to the end (5 min at most) and returns its exit code and combined output. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolvePromise) => {
    execFile(cmd, args, { cwd, env, timeout: 300_000, maxBuffer: 32 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.output}`);
  return r.output;
}

/** Newest modification time (ms) of the .ts files under dir. */
function newestSource(dir: string): number {
  return Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) =>
    e.isDirectory() ? newestSource(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0));
}

/** True when dist/ is missing or older than some source file (or the package.json that says what ships). */
function distIsStale(): boolean {
  const built = (f: string): number => (existsSync(join(REPO, f)) ? statSync(join(REPO, f)).mtimeMs : 0);
  const oldest = Math.min(built('dist/index.js'), built('dist/testing/index.js'));
  return oldest < Math.max(newestSource(join(REPO, 'src')), statSync(join(REPO, 'package.json')).mtimeMs);
}

let root: string | undefined;
let project = '';
let scratch = '';

/** Runs one example with TMPDIR inside our temp dir, and checks its servers' data dirs are gone afterwards. */
async function runExample(cmd: string, args: string[]): Promise<Ran> {
  // No colours (CI=true makes vitest colour its summary): the assertions read plain text.
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: scratch, NO_COLOR: '1' };
  delete env.ZK_HOSTS;
  delete env.FORCE_COLOR;
  delete env.NODE_TEST_CONTEXT; // set by our own runner: a child `node --test` would think it is nested and run nothing
  const ran = await run(cmd, args, project, env);
  // eslint-disable-next-line no-control-regex -- ANSI escapes, in case a tool colours anyway
  const r = { ...ran, output: ran.output.replace(/\x1b\[[0-9;]*m/g, '') };
  const left = readdirSync(scratch).filter((d) => d.startsWith('zoosync-test-'));
  assert.deepEqual(left, [], `server data dirs left behind by ${args.join(' ')}:\n${r.output}`);
  return r;
}

// Packing (and a build, if dist/ is stale) and tsc on three files: minutes on a loaded 2-core machine,
// more than the suite's per-test default, which would otherwise apply to this hook. A bound, not a speed claim.
const SETUP_TIMEOUT_MS = 600_000;

before(async () => {
  await ensureZooKeeper();
  root = mkdtempSync(join(tmpdir(), 'zoosync-kit-'));
  project = join(root, 'project');
  scratch = join(root, 'tmp');
  mkdirSync(scratch);
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  // Pack what `npm run build` made (package.test.ts and .ci/run build it before us); build only if it is stale.
  if (distIsStale()) await ok('npm', ['run', 'build', '--silent'], REPO);
  await ok('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', root], REPO);
  const tarball = readdirSync(root).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack made no tarball');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'kit-consumer', private: true, type: 'module' }));
  await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(root, tarball)], project);
  symlinkSync(join(REPO, 'node_modules/vitest'), join(project, 'node_modules/vitest')); // the repo's devDependency

  cpSync(join(REPO, 'examples/testing'), join(project, 'examples'), { recursive: true });
  const example = readFileSync(join(project, 'examples/node-test/fenced-counter.test.ts'), 'utf8');
  assert.equal(example.split(LOCK_ID).length, 2, `the node:test example should take its lock once with ${LOCK_ID}`);
  mkdirSync(join(project, 'examples/seeded-bug'));
  writeFileSync(join(project, 'examples/seeded-bug/fenced-counter.test.ts'), example.replace(LOCK_ID, BUGGY_LOCK_ID));

  // Type-check all three against the installed package's .d.ts (no skipLibCheck), emitting JS for node --test.
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noUncheckedIndexedAccess: true, target: 'ES2022', lib: ['ES2022', 'ESNext.Disposable'],
      module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], typeRoots: [join(REPO, 'node_modules/@types')],
      rootDir: 'examples', outDir: 'out',
    },
    include: ['examples'],
  }));
  await ok(TSC, ['-p', 'tsconfig.json'], project);
}, { timeout: SETUP_TIMEOUT_MS });

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test('the node:test example passes under node --test against the packed package', async (t) => {
  if (!needsOwnServers(t)) return;
  const r = await runExample(process.execPath, ['--test', 'out/node-test/fenced-counter.test.js']);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /^# pass 1$/m);
  assert.match(r.output, /^# fail 0$/m);
});

test('the vitest example passes under vitest against the packed package', async (t) => {
  if (!needsOwnServers(t)) return;
  const r = await runExample(process.execPath, [VITEST, 'run', '--root', 'examples/vitest']);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Tests\s+1 passed \(1\)/);
});

test('a seeded bug (each worker locks its own id) fails the fenced-history check', async (t) => {
  if (!needsOwnServers(t)) return;
  const r = await runExample(process.execPath, ['--test', 'out/seeded-bug/fenced-counter.test.js']);
  assert.notEqual(r.code, 0, `the buggy example passed:\n${r.output}`);
  assert.match(r.output, /^# fail 1$/m);
  assert.match(r.output, /violation\(s\) in the history/);
  assert.match(r.output, /lock-overlap: both believed they held lock: w\d/);
});
