// Bad input to the leader functions is rejected with an InvalidArgumentError naming the argument,
// before any I/O: a Session pointed at a closed port is never even connected.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  ConnectTimeoutError,
  globalLeader,
  InvalidArgumentError,
  leaderSnapshot,
  observeLeader,
  regionLeader,
  Session,
} from '../../src/index.js';
import { MAX_ID_BYTES } from '../../src/wire/paths.js';
import { freePorts, listTree, sharedServer, stopAll } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

/** Passes `v` as whatever type the call expects: for calls a TypeScript caller could not write. */
const loose = <T>(v: unknown): T => v as T;

const badIds: Array<[string, unknown]> = [
  ['empty id', ''],
  ['blank id', '   '],
  ['lone "/"', '/'],
  ['number id', 42],
  ['null id', null],
  ['object id', { id: 'x' }],
  ['".." segment', '..'],
  ['".." inside', 'a/../b'],
  ['"." segment', 'a/./b'],
  ['NUL', 'a\u0000b'],
  ['control character', 'a\u0001b'],
  ['empty segment', 'a//b'],
  ['trailing "/"', 'a/'],
  ['invalid UTF-8 bytes', new Uint8Array([0xff, 0xfe])],
  ['1025 bytes', 'x'.repeat(MAX_ID_BYTES + 1)],
  ['342 three-byte characters (1026 bytes)', '日'.repeat(342)],
  ['1025 bytes as bytes', new Uint8Array(MAX_ID_BYTES + 1).fill(0x61)],
  ['over the server packet limit (2 MiB)', 'x'.repeat(2 * 1024 * 1024)],
  ['a segment named like a contender', 'billing/lock-0000000000'],
  ['a segment named like a protected contender', `billing/_c_${'0'.repeat(32)}-lock-0000000000`],
];

/** Checks `run` rejects (or throws) an InvalidArgumentError for `argument` (message matching `message`), fast and without touching `session`. */
async function expectInvalid(run: () => unknown, argument: string, session: Session, message?: RegExp): Promise<void> {
  const t0 = performance.now();
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  const ms = performance.now() - t0;
  assert.ok(!(caught instanceof ConnectTimeoutError), `tried to connect first: ${String(caught)}`);
  assert.ok(caught instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(caught)}`);
  assert.equal(caught.argument, argument);
  assert.equal(caught.name, 'InvalidArgumentError');
  assert.equal(caught.code, 'ZOOSYNC_INVALID_ARGUMENT');
  assert.ok(caught.message.startsWith(`${argument}:`), `message does not name ${argument}: ${caught.message}`);
  if (message !== undefined) assert.match(caught.message, message);
  assert.ok(ms < 1000, `took ${Math.round(ms)} ms: looks like I/O happened first`);
  assert.equal(session.state, 'idle', 'the session was connected before the arguments were checked');
}

test('bad ids are rejected before any I/O by every leader function', async () => {
  const [port] = await freePorts(1);
  const closed = new Session({ hosts: `127.0.0.1:${port}`, sessionTimeoutMs: 2000, connectTimeoutMs: 2000 });
  try {
    for (const [what, id] of badIds) {
      await expectInvalid(() => regionLeader(loose(id), { session: closed }), 'id', closed).catch((e: Error) => {
        throw new Error(`regionLeader, ${what}: ${e.message}`);
      });
      let checked = 0;
      await expectInvalid(
        () => globalLeader(loose(id), { session: closed, isLeaderRegion: () => (checked++, true) }),
        'id',
        closed,
      ).catch((e: Error) => {
        throw new Error(`globalLeader, ${what}: ${e.message}`);
      });
      assert.equal(checked, 0, `globalLeader consulted isLeaderRegion for a bad id (${what})`);
      await expectInvalid(() => leaderSnapshot(loose(id), { session: closed }), 'id', closed).catch((e: Error) => {
        throw new Error(`leaderSnapshot, ${what}: ${e.message}`);
      });
      await expectInvalid(() => observeLeader(loose(id), { session: closed }).next(), 'id', closed).catch((e: Error) => {
        throw new Error(`observeLeader, ${what}: ${e.message}`);
      });
    }
  } finally {
    await closed.close();
  }
});

test('bad options are rejected before any I/O, naming the option', async () => {
  const [port] = await freePorts(1);
  const closed = new Session({ hosts: `127.0.0.1:${port}`, sessionTimeoutMs: 2000, connectTimeoutMs: 2000 });
  const yes = (): boolean => true;
  try {
    const cases: Array<[string, () => unknown, string]> = [
      ['regionLeader options not an object', () => regionLeader('ok', loose(5)), 'options'],
      ['regionLeader signal not an AbortSignal', () => regionLeader('ok', { session: closed, signal: loose({ aborted: false }) }), 'options.signal'],
      ['regionLeader session not a Session', () => regionLeader('ok', { session: loose({ connection() {} }) }), 'options.session'],
      ['globalLeader no options', () => globalLeader('ok', loose(undefined)), 'options.isLeaderRegion'],
      ['globalLeader isLeaderRegion missing', () => globalLeader('ok', loose({ session: closed })), 'options.isLeaderRegion'],
      ['globalLeader isLeaderRegion a boolean', () => globalLeader('ok', { session: closed, isLeaderRegion: loose(true) }), 'options.isLeaderRegion'],
      ['globalLeader isLeaderRegion a string', () => globalLeader('ok', { session: closed, isLeaderRegion: loose('yes') }), 'options.isLeaderRegion'],
      ['globalLeader recheckMs 0', () => globalLeader('ok', { session: closed, isLeaderRegion: yes, recheckMs: 0 }), 'options.recheckMs'],
      ['globalLeader recheckMs negative', () => globalLeader('ok', { session: closed, isLeaderRegion: yes, recheckMs: -5 }), 'options.recheckMs'],
      ['globalLeader recheckMs NaN', () => globalLeader('ok', { session: closed, isLeaderRegion: yes, recheckMs: NaN }), 'options.recheckMs'],
      ['globalLeader recheckMs a string', () => globalLeader('ok', { session: closed, isLeaderRegion: yes, recheckMs: loose('100') }), 'options.recheckMs'],
      ['globalLeader signal not an AbortSignal', () => globalLeader('ok', { session: closed, isLeaderRegion: yes, signal: loose(new AbortController()) }), 'options.signal'],
      ['globalLeader changes a string', () => globalLeader('ok', { session: closed, isLeaderRegion: yes, changes: loose('change') }), 'options.changes'],
      ['observeLeader signal not an AbortSignal', () => observeLeader('ok', { session: closed, signal: loose({}) }).next(), 'options.signal'],
    ];
    for (const [what, run, argument] of cases) {
      await expectInvalid(run, argument, closed).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
    }
  } finally {
    await closed.close();
  }
});

test('a bad call against a live server creates nothing and leaves the session unconnected', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session({ sessionTimeoutMs: 3000 });
    const calls: Array<() => Promise<unknown>> = [
      ...badIds.map(([, id]) => () => regionLeader(loose(id), { session: s })),
      () => regionLeader('fine', { session: s, signal: loose('abort') }),
      () => globalLeader('fine', { session: s, isLeaderRegion: loose(null) }),
      () => globalLeader('fine', { session: s, isLeaderRegion: () => true, recheckMs: 0 }),
      () => globalLeader('fine', { session: s, isLeaderRegion: () => true, recheckMs: -1 }),
    ];
    for (const call of calls) await assert.rejects(call(), InvalidArgumentError);
    assert.equal(s.state, 'idle');
    assert.deepEqual(await listTree(connectString, env.root), []);
  } finally {
    await env.finish({ strict: true });
  }
});

test('a valid call on the closed port fails with ConnectTimeoutError, so the checks above are meaningful', async () => {
  const [port] = await freePorts(1);
  const closed = new Session({ hosts: `127.0.0.1:${port}`, sessionTimeoutMs: 2000, connectTimeoutMs: 1000 });
  try {
    await assert.rejects(leaderSnapshot('fine', { session: closed }), ConnectTimeoutError);
  } finally {
    await closed.close();
  }
});

test('unknown option keys are refused by every leader function, naming the nearest known key, before any I/O', async () => {
  const [port] = await freePorts(1);
  const closed = new Session({ hosts: `127.0.0.1:${port}`, sessionTimeoutMs: 2000, connectTimeoutMs: 2000 });
  const yes = (): boolean => true;
  const signal = new AbortController().signal;
  try {
    const cases: Array<[string, () => unknown, string, RegExp]> = [
      ['regionLeader signl', () => regionLeader('ok', loose({ session: closed, signl: signal })), 'options.signl', /^options\.signl: unknown option; did you mean signal\?$/],
      ['regionLeader sesion', () => regionLeader('ok', loose({ sesion: closed })), 'options.sesion', /did you mean session\?$/],
      ['regionLeader undefined timeoutMs', () => regionLeader('ok', loose({ session: closed, timeoutMs: undefined })), 'options.timeoutMs', /the known options are signal, session, acl, data$/],
      ['globalLeader isLeaderregion', () => globalLeader('ok', loose({ session: closed, isLeaderregion: yes })), 'options.isLeaderregion', /did you mean isLeaderRegion\?$/],
      ['globalLeader recheck', () => globalLeader('ok', loose({ session: closed, isLeaderRegion: yes, recheck: 100 })), 'options.recheck', /did you mean recheckMs\?$/],
      ['globalLeader change', () => globalLeader('ok', loose({ session: closed, isLeaderRegion: yes, change: new EventTarget() })), 'options.change', /did you mean changes\?$/],
      ['leaderSnapshot signal', () => leaderSnapshot('ok', loose({ session: closed, signal })), 'options.signal', /the known options are session$/],
      ['observeLeader sigal', () => observeLeader('ok', loose({ session: closed, sigal: signal })).next(), 'options.sigal', /did you mean signal\?$/],
    ];
    for (const [what, run, argument, message] of cases) {
      await expectInvalid(run, argument, closed, message).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
    }
  } finally {
    await closed.close();
  }
});

test('over-long ids and contender-named segments are refused by every leader function with the reason', async () => {
  const [port] = await freePorts(1);
  const closed = new Session({ hosts: `127.0.0.1:${port}`, sessionTimeoutMs: 2000, connectTimeoutMs: 2000 });
  const cases: Array<[unknown, RegExp]> = [
    ['x'.repeat(MAX_ID_BYTES + 1), /^id: must be at most 1024 bytes of UTF-8, got 1025 bytes$/],
    ['日'.repeat(342), /got 1026 bytes$/],
    ['billing/lock-0000000000', /"lock-0000000000" is named like an election contender \(lock-<seq>\); its node would block the election of "billing"$/],
    [`billing/cron/_c_${'a'.repeat(32)}-lock-0000000007`, /would block the election of "billing\/cron"$/],
  ];
  try {
    for (const [id, message] of cases) {
      await expectInvalid(() => regionLeader(loose(id), { session: closed }), 'id', closed, message);
      await expectInvalid(() => globalLeader(loose(id), { session: closed, isLeaderRegion: () => true }), 'id', closed, message);
      await expectInvalid(() => leaderSnapshot(loose(id), { session: closed }), 'id', closed, message);
      await expectInvalid(() => observeLeader(loose(id), { session: closed }).next(), 'id', closed, message);
    }
  } finally {
    await closed.close();
  }
});

test('regionLeader("billing/lock-0000000000") rejects before any I/O and plants nothing in election "billing"', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session({ sessionTimeoutMs: 3000 });
    for (const id of ['billing/lock-0000000000', '/billing/lock-0000000000', `billing/_c_${'f'.repeat(32)}-lock-0000000000`, 'billing/lock--000000005']) {
      await assert.rejects(regionLeader(id, { session: s }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'id' && /block the election of "billing"/.test(e.message));
    }
    assert.equal(s.state, 'idle', 'the session was connected before the id was checked');
    assert.deepEqual(await listTree(connectString, env.root), []);
  } finally {
    await env.finish({ strict: true });
  }
});
