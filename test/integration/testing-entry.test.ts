// The zoosync/testing surface itself: bad input is refused by name before anything starts,
// recordHold() turns a real Lock into holds that checkHistory() judges, testRoot()'s leak check
// fails on a leftover node and removes the root either way, and zoosync never imports the kit.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, LockReleasedError, regionTimedLock, Session } from '../../src/index.js';
import {
  checkHistory,
  FencedStore,
  harnessResources,
  History,
  listTree,
  recordHold,
  sharedServer,
  startEnsemble,
  startStandalone,
  stopAll,
  testRoot,
  withBareClient,
  type ZkStartOptions,
} from '../../src/testing/index.js';

after(() => stopAll());

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Asserts `p` rejects with an InvalidArgumentError naming `argument` (and matching `problem`). */
async function refused(p: Promise<unknown> | (() => unknown), argument: string, problem?: RegExp): Promise<void> {
  const run = typeof p === 'function' ? () => Promise.resolve().then(p) : () => p;
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(e)}`);
    assert.equal(e.argument, argument);
    if (problem) assert.match(e.message, problem);
    return true;
  });
}

test('bad input to the kit is an InvalidArgumentError naming the argument, and starts nothing', async () => {
  const before = harnessResources();
  await refused(startEnsemble(0), 'n', /integer from 1 to 9/);
  await refused(startEnsemble(2.5), 'n');
  await refused(startStandalone({ startTimeoutMS: 1000 } as unknown as ZkStartOptions), 'options.startTimeoutMS', /did you mean startTimeoutMs/);
  await refused(startStandalone({ startTimeoutMs: -1 }), 'options.startTimeoutMs');
  await refused(startStandalone('fast' as unknown as ZkStartOptions), 'options', /must be an object/);
  await refused(testRoot(''), 'connectString');
  await refused(testRoot('127.0.0.1:1', { nmae: 'x' } as never), 'options.nmae', /did you mean name/);
  await refused(() => checkHistory({} as History), 'history');
  await refused(() => checkHistory(new History(), { leftover: [] } as never), 'options.leftover', /did you mean leftovers/);
  const signal = new AbortController().signal;
  await refused(() => recordHold(new History(), 'w1', { fencingToken: 1 as unknown as bigint, signal }), 'held.fencingToken');
  await refused(() => recordHold(new History(), '', { fencingToken: 1n, signal }), 'worker');
  assert.deepEqual(harnessResources(), before);
});

test('recordHold() on real locks: sequential holds pass checkHistory(), a hold recorded without the lock is an overlap', async () => {
  const { connectString } = await sharedServer();
  const root = await testRoot(connectString, { name: 'recordHold' });
  const session = new Session({ hosts: root.hosts, sessionTimeoutMs: 4000 });
  try {
    const history = new History();
    const store = new FencedStore(history);
    for (const worker of ['a', 'b']) {
      const lock = await regionTimedLock('kit/hold', { session, waitForMs: 5000, holdForMs: 5000 });
      const hold = recordHold(history, worker, lock);
      assert.equal(store.write(worker, { key: 'k', token: lock.fencingToken, value: 1 }), true);
      hold.released();
      hold.released(); // idempotent
      await lock.unlock();
    }
    const good = checkHistory(history);
    assert.ok(good.ok, good.report);
    assert.equal(good.beliefs.length, 2);
    assert.deepEqual(good.beliefs.map((b) => b.ended), ['released', 'released']);
    assert.match(good.report, /^history ok: 2 holds, 2 store writes/);

    // unlock() before released(): the hold ends with the signal's reason, not as an overlap.
    const lock = await regionTimedLock('kit/hold', { session, waitForMs: 5000, holdForMs: 5000 });
    const hold = recordHold(history, 'c', lock);
    await lock.unlock();
    hold.released();
    const lost = checkHistory(history).beliefs.at(-1)!;
    assert.equal(lost.ended, `lost: ${new LockReleasedError('x').name}`);

    // A worker that records a hold it never took overlaps with the real holder.
    const real = await regionTimedLock('kit/hold', { session, waitForMs: 5000, holdForMs: 5000 });
    const h1 = recordHold(history, 'd', real);
    const h2 = recordHold(history, 'e', { fencingToken: real.fencingToken - 1n, signal: new AbortController().signal });
    h2.released();
    h1.released();
    await real.unlock();
    const bad = checkHistory(history);
    assert.deepEqual(bad.violations.map((v) => v.kind), ['lock-overlap']);
    assert.match(bad.report, /^1 violation\(s\) in the history:\nlock-overlap: both believed they held lock: d/);
  } finally {
    await session.close();
  }
  await root.assertEmpty();
});

test("testRoot().assertEmpty() fails on a leftover node, naming it, and removes the root either way", async () => {
  const { connectString } = await sharedServer();
  const root = await testRoot(connectString, { name: 'leak check' });
  assert.match(root.path, /^\/zoosync-test\/leak_check-[0-9a-f]{6}$/);
  assert.equal(root.hosts, `${connectString}${root.path}`);
  await withBareClient(root.hosts, (c) => c.mkdirp('/orders/left-behind'));
  await assert.rejects(root.assertEmpty(), (e: Error) => e.name === 'AssertionError' && e.message.includes(`${root.path}/orders/left-behind`));
  assert.ok(!(await listTree(connectString, '/zoosync-test')).includes(root.path), 'root still there');

  const clean = await testRoot(connectString);
  await withBareClient(clean.hosts, (c) => c.mkdirp('/sync/regionlock/orders#7')); // an empty lock parent awaiting the reaper
  await clean.assertEmpty();
  assert.ok(!(await listTree(connectString, '/zoosync-test')).includes(clean.path), 'root still there');
});

/** Every .ts file under dir, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

test("the README's node:test example is examples/testing/node-test/fenced-counter.test.ts, verbatim", () => {
  const example = readFileSync(join(REPO, 'examples/testing/node-test/fenced-counter.test.ts'), 'utf8');
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  assert.ok(readme.includes('```ts\n' + example + '```\n'), 'README and example differ: copy the example into "Testing your own code"');
});

test('nothing in src/ outside src/testing/ imports the kit', () => {
  const offenders = sources(join(REPO, 'src'))
    .filter((f) => !f.startsWith(join(REPO, 'src/testing/')))
    .filter((f) => /from\s+['"][^'"]*\/testing(\/[^'"]*)?['"]|import\(\s*['"][^'"]*\/testing/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});
