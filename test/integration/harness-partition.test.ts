// The partitionable ensemble the chaos nemesis uses: a server cut from the others on the quorum and
// election ports stops serving its clients (it lost the quorum) while the other two keep a leader,
// and rejoins once healed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startPartitionableEnsemble } from '../../src/testing/quorum-partition.js';
import { ensureZooKeeper, needsOwnServers, stopAll, waitFor, withBareClient } from '../harness/index.js';

after(() => stopAll());

test('an isolated server leaves the quorum while its client port stays open, and rejoins when healed', async (t) => {
  if (!needsOwnServers(t)) return;
  await ensureZooKeeper();
  const ensemble = await startPartitionableEnsemble(3);
  try {
    const leader = await ensemble.leader();
    const cut = ensemble.servers.find((s) => s !== leader)!;
    await withBareClient(cut.connectString, (c) => c.mkdirp('/partition-probe'));
    ensemble.isolate(cut);
    await waitFor(async () => (await cut.mode()) === 'down', { timeoutMs: 20_000, intervalMs: 100, message: 'the isolated server stops serving' });
    assert.notEqual(cut.pid, undefined, 'the isolated server is still running');
    const rest = ensemble.servers.filter((s) => s !== cut);
    const modes = await Promise.all(rest.map((s) => s.mode()));
    assert.deepEqual([...modes].sort(), ['follower', 'leader'], 'the majority keeps a leader');
    ensemble.heal();
    await waitFor(async () => (await cut.mode()) === 'follower', { timeoutMs: 30_000, intervalMs: 100, message: 'the healed server rejoins' });
    const seen = await withBareClient(cut.connectString, (c) => c.exists('/partition-probe'));
    assert.ok(seen, 'the rejoined server serves the data written before the partition');
  } finally {
    await ensemble.stop();
  }
});
