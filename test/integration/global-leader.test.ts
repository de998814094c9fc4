// globalLeader: campaigns only while isLeaderRegion() says this region leads (re-checked on an
// interval and on 'change'), and rescinds when the region stops leading.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, test } from 'node:test';
import { globalLeader, leaderSnapshot, regionLeader, type Leader } from '../../src/index.js';
import { listTree, sharedServer, sleep, stopAll, uniqueId, within } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const SESSION_TIMEOUT_MS = 3000;

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>): { settled: () => boolean } {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  return { settled: () => done };
}

for (const variant of ['sync', 'async'] as const) {
  test(`waits while the ${variant} isLeaderRegion() is false, then campaigns on the interval recheck`, async (t) => {
    const { connectString } = await sharedServer();
    const env = await testEnv(t, connectString);
    try {
      const id = uniqueId(`gate-${variant}`);
      const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
      let leads = false;
      let checks = 0;
      const isLeaderRegion =
        variant === 'sync'
          ? () => (checks++, leads)
          : async () => {
              checks++;
              await sleep(5);
              return leads;
            };
      const campaign = globalLeader(id, { session: s, isLeaderRegion, recheckMs: 150 });
      const state = track(campaign);
      await sleep(800);
      assert.equal(state.settled(), false, 'elected although the region does not lead');
      assert.ok(checks >= 3, `isLeaderRegion checked only ${checks} times in 800 ms with recheckMs 150`);
      assert.deepEqual((await leaderSnapshot(id, { session: s })).participants, [], 'campaigned before the region led');

      leads = true;
      const t0 = performance.now();
      const leader = await within(campaign, 5000, 'elected once the region leads');
      t.diagnostic(`elected ${Math.round(performance.now() - t0)} ms after the region started leading (recheck 150 ms)`);
      assert.equal(leader.isLeader, true);
      assert.equal((await leaderSnapshot(id, { session: s })).leader?.path, leader.path);
      await leader.rescind();
    } finally {
      await env.finish();
    }
  });
}

test("a 'change' event re-checks at once, long before the interval", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('gate-change');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const changes = new EventEmitter();
    let leads = false;
    const campaign = globalLeader(id, { session: s, isLeaderRegion: () => Promise.resolve(leads), recheckMs: 60_000, changes });
    const state = track(campaign);
    await sleep(300);
    changes.emit('change'); // still not leading: keeps waiting
    await sleep(300);
    assert.equal(state.settled(), false);
    leads = true;
    changes.emit('change');
    const leader = await within(campaign, 3000, "elected after 'change' (the interval is 60 s)");
    assert.equal(leader.isLeader, true);
    // The change listener of the wait is gone; the leader's own listener is the only one left.
    assert.equal(changes.listenerCount('change'), 1);
    await leader.rescind();
    assert.equal(changes.listenerCount('change'), 0, 'change listener left behind after rescind');
  } finally {
    await env.finish();
  }
});

test("an EventTarget works as 'changes' too", async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('gate-target');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const changes = new EventTarget();
    let leads = false;
    const campaign = globalLeader(id, { session: s, isLeaderRegion: () => leads, recheckMs: 60_000, changes });
    await sleep(200);
    leads = true;
    changes.dispatchEvent(new Event('change'));
    const leader = await within(campaign, 3000, "elected after an EventTarget 'change'");
    leads = false;
    changes.dispatchEvent(new Event('change'));
    assert.equal(await within(leader.rescinded, 3000, 'rescinded after the region stopped leading'), 'resigned');
  } finally {
    await env.finish();
  }
});

test('rescinds when the region stops leading (interval), and the next region-leading contender takes over', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('gate-stop');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const other = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    let leads = true;
    const leader = await globalLeader(id, { session: s, isLeaderRegion: () => leads, recheckMs: 150 });
    const next = regionLeader(id, { session: other });
    await sleep(500);
    assert.equal(leader.isLeader, true, 'rescinded although the region still leads');
    const t0 = performance.now();
    leads = false;
    const reason = await within(leader.rescinded, 3000, 'rescinded after the region stopped leading');
    t.diagnostic(`rescinded ${Math.round(performance.now() - t0)} ms after the region stopped leading (recheck 150 ms)`);
    assert.equal(reason, 'resigned');
    const second: Leader = await within(next, 5000, 'next elected');
    assert.ok(second.fencingToken > leader.fencingToken);
    await second.rescind();
  } finally {
    await env.finish();
  }
});

test('a check that throws counts as not leading', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('gate-throws');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    let mode: 'throw' | 'reject' | 'yes' = 'throw';
    const isLeaderRegion = (): boolean | Promise<boolean> => {
      if (mode === 'throw') throw new Error('config service down');
      if (mode === 'reject') return Promise.reject(new Error('config service down'));
      return true;
    };
    const campaign = globalLeader(id, { session: s, isLeaderRegion, recheckMs: 100 });
    const state = track(campaign);
    await sleep(350);
    mode = 'reject';
    await sleep(350);
    assert.equal(state.settled(), false, 'a failing check was taken as leading (or rejected the campaign)');
    mode = 'yes';
    const leader = await within(campaign, 3000, 'elected once the check works');
    mode = 'throw';
    assert.equal(await within(leader.rescinded, 3000, 'rescinded once the check fails'), 'resigned');
  } finally {
    await env.finish();
  }
});

test('aborting while waiting for the region rejects with the reason and creates nothing', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const id = uniqueId('gate-abort');
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const ac = new AbortController();
    const changes = new EventEmitter();
    let checks = 0;
    const campaign = globalLeader(id, { session: s, isLeaderRegion: () => (checks++, false), recheckMs: 100, signal: ac.signal, changes });
    await sleep(300);
    const reason = new Error('shutting down');
    const t0 = performance.now();
    ac.abort(reason);
    await assert.rejects(within(campaign, 2000, 'aborted wait'), (e) => e === reason);
    assert.ok(performance.now() - t0 < 1000);
    const checksAtAbort = checks;
    await sleep(300);
    assert.equal(checks, checksAtAbort, 'isLeaderRegion still polled after the abort');
    assert.equal(changes.listenerCount('change'), 0, 'change listener left behind');
    assert.equal(s.state, 'idle', 'connected although it never campaigned');
    assert.deepEqual(await listTree(connectString, env.root), []);
  } finally {
    await env.finish({ strict: true });
  }
});

test('already aborted: rejects at once without consulting isLeaderRegion', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const reason = new Error('gone');
    let checks = 0;
    await assert.rejects(
      globalLeader(uniqueId('gate-pre'), { session: s, isLeaderRegion: () => (checks++, true), signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    assert.equal(checks, 0);
    assert.equal(s.state, 'idle');
  } finally {
    await env.finish({ strict: true });
  }
});
