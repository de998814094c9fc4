// Smoke run for one Node version (`.ci/run` runs it with the newest Node 22 and 24): load the
// built package by its own name (self-reference, so through the `exports` map) with `import` and
// with `require`, then take one lock and win one election against a standalone ZooKeeper server
// the harness starts. Prints one line; exits non-zero on any failure.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ensureZooKeeper, startStandalone, stopAll } from '../harness/index.js';

type Zoosync = typeof import('../../src/index.js');

async function smoke(): Promise<string> {
  // Typed `string`, so tsc does not resolve the package's own name (dist/ may not be built yet).
  const self: string = 'zoosync';
  const esm = (await import(self)) as Zoosync;
  const cjs = createRequire(import.meta.url)(self) as Zoosync;
  for (const [how, z] of [['import', esm], ['require', cjs]] as const) {
    assert.equal(typeof z.regionLock, 'function', `${how}: regionLock`);
    assert.equal(typeof z.regionLeader, 'function', `${how}: regionLeader`);
    assert.equal(typeof z.Session, 'function', `${how}: Session`);
  }
  assert.equal(cjs.regionLock, esm.regionLock, 'import and require give one module instance');

  const hosts = process.env.ZK_HOSTS;
  let connectString: string;
  if (hosts) connectString = hosts;
  else {
    await ensureZooKeeper();
    connectString = (await startStandalone()).connectString;
  }
  const id = `smoke-${process.pid}-${Date.now()}`;
  const lockSession = new cjs.Session({ hosts: connectString });
  const leaderSession = new esm.Session({ hosts: connectString });
  try {
    const lock = await cjs.regionTimedLock(id, { session: lockSession, waitForMs: 10_000, holdForMs: 10_000 });
    assert.equal(lock.signal.aborted, false);
    assert.ok(lock.fencingToken > 0n);
    await lock.unlock();
    const leader = await esm.regionLeader(id, { session: leaderSession });
    assert.equal(leader.signal.aborted, false);
    await leader.rescind();
    await leader.rescinded;
  } finally {
    await Promise.all([lockSession.close(), leaderSession.close()]);
  }
  return connectString;
}

const started = Date.now();
const guard = setTimeout(() => {
  console.error(`smoke: node ${process.version} FAILED: timed out after 120 s`);
  process.exit(1);
}, 120_000);
guard.unref();
try {
  const server = await smoke();
  console.log(`smoke: node ${process.version} ok (import + require of zoosync, one lock, one election on ${server}) in ${Date.now() - started} ms`);
} catch (err) {
  console.error(`smoke: node ${process.version} FAILED:`, err);
  process.exitCode = 1;
} finally {
  await stopAll();
  clearTimeout(guard);
}
