// Reservations as in Go: ReservedError while live, free again once the TTL passed, released by
// anyone; racing reserve calls on an expired (or absent) item never both succeed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { anonymousRelease, reservation, ReservedError, type Session } from '../../src/index.js';
import { isExpired, readReservation, RELEASED, takeOver } from '../../src/recipes/reservation.js';
import { decodeGoTime, encodeGoTime } from '../../src/wire/go-time.js';
import { sharedServer, stopAll, waitFor } from '../harness/index.js';
import { testEnv, type TestEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const ITEMS = '/items';
/** Go's zero time.Time, 0001-01-01T00:00:00Z, in Unix ms. */
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/** The leak check's allowance: reservation nodes stay (a release only expires them), and so does their parent. */
const allowItems = (env: TestEnv) => (p: string): boolean => p === `${env.root}${ITEMS}` || p.startsWith(`${env.root}${ITEMS}/reserve-`);

async function expiryOf(session: Session, path: string): Promise<number> {
  const { data } = await session.request({ op: 'getData', path });
  assert.equal(data.length, 15);
  return decodeGoTime(data);
}

test('reserve, ReservedError while live, free after the TTL, release by anyone', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session({ maxClockSkewMs: 0 });
    const b = env.session({ maxClockSkewMs: 0 });
    const ra = reservation(ITEMS, 'job-1', { session: a });
    const rb = reservation(ITEMS, 'job-1', { session: b });
    assert.equal(ra.path, `${ITEMS}/reserve-job-1`);
    const before = Date.now();
    await ra.reserve(1500);
    const expiry = await expiryOf(b, ra.path);
    assert.ok(expiry >= before + 1500 && expiry <= Date.now() + 1500, `expiry ${expiry - before} ms after reserve`);
    await assert.rejects(rb.reserve(1500), ReservedError);
    await assert.rejects(ra.reserve(1500), ReservedError, 'even the holder cannot reserve a live reservation again');
    assert.equal(await expiryOf(b, ra.path), expiry, 'a refused reserve changed the node');
    await waitFor(() => Date.now() > expiry + 20, { timeoutMs: 10_000 });
    const before2 = Date.now();
    await rb.reserve(5000);
    const expiry2 = await expiryOf(a, rb.path);
    assert.ok(expiry2 >= before2 + 5000 && expiry2 <= Date.now() + 5000);
    await assert.rejects(ra.reserve(1000), ReservedError);
    // Release by anyone: a releases b's reservation. The node stays, expired (Go's zero time).
    assert.equal(await ra.release(), true);
    assert.equal(await ra.release(), false);
    assert.ok((await expiryOf(b, ra.path)) < Date.now(), 'a released reservation is not expired');
    await ra.reserve(5000);
    assert.equal(await anonymousRelease(ITEMS, 'job-1', { session: b }), true);
    assert.equal(await anonymousRelease(ITEMS, 'job-1', { session: b }), false);
    await rb.reserve(5000);
    assert.equal(await rb.release(), true);
  } finally {
    await env.finish({ allow: allowItems(env) });
  }
});

test('an item whose data is not a time counts as expired (as in Go)', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session({ maxClockSkewMs: 0 });
    await a.request({ op: 'create', path: ITEMS, mode: 0 });
    await a.request({ op: 'create', path: `${ITEMS}/reserve-odd`, data: Buffer.from('not a time'), mode: 0 });
    const r = reservation(ITEMS, 'odd', { session: a });
    await r.reserve(5000);
    assert.ok((await expiryOf(a, r.path)) > Date.now());
    assert.equal(await r.release(), true);
  } finally {
    await env.finish({ allow: allowItems(env) });
  }
});

test('racing reserve calls: exactly one wins each of 30 rounds', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const CONTENDERS = 4;
  const ROUNDS = 30;
  try {
    const admin = env.session({ maxClockSkewMs: 0 });
    const sessions = Array.from({ length: CONTENDERS }, () => env.session({ maxClockSkewMs: 0 }));
    await Promise.all(sessions.map((s) => s.connection()));
    const node = `${ITEMS}/reserve-contested`;
    const winsBy = new Array<number>(CONTENDERS).fill(0);
    for (let round = 0; round < ROUNDS; round++) {
      // Rounds cycle through: no node (a Go service's Release deletes it), a reservation whose
      // TTL passed, and one released (Go's zero time written over it).
      if (round % 3 === 0 && round > 0) {
        await admin.request({ op: 'delete', path: node });
      } else if (round % 3 === 1) {
        await admin.request({ op: 'setData', path: node, data: encodeGoTime(Date.now() - 1000) });
      } else if (round % 3 === 2) {
        assert.equal(await anonymousRelease(ITEMS, 'contested', { session: admin }), true);
      }
      const before = Date.now();
      const results = await Promise.allSettled(
        sessions.map((s) => reservation(ITEMS, 'contested', { session: s }).reserve(60_000)),
      );
      const after = Date.now();
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      const lost = results.filter((r) => r.status === 'rejected');
      for (const r of lost) assert.ok(r.reason instanceof ReservedError, String(r.reason));
      assert.equal(won.length, 1, `round ${round}: ${won.length} reserve calls succeeded`);
      winsBy[won[0]!]!++;
      const expiry = await expiryOf(admin, node);
      assert.ok(expiry >= before + 60_000 && expiry <= after + 60_000, `round ${round}: expiry ${expiry - before - 60_000} ms off`);
    }
    t.diagnostic(`wins per contender over ${ROUNDS} rounds: ${winsBy.join(', ')}`);
    assert.equal(await anonymousRelease(ITEMS, 'contested', { session: admin }), true);
  } finally {
    await env.finish({ allow: allowItems(env) });
  }
});

test('release writes Go\'s zero time over a live reservation and never deletes the node', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session({ maxClockSkewMs: 0 });
    const r = reservation(ITEMS, 'kept', { session: a });
    assert.equal(await r.release(), false, 'nothing to release before any reserve');
    assert.equal(await a.request({ op: 'exists', path: r.path }), null, 'a release created the node');
    await r.reserve(60_000);
    assert.equal(await r.release(), true);
    const { data, stat } = await a.request({ op: 'getData', path: r.path });
    // Exactly Go's time.Time{}.MarshalBinary(): version 1, 0 s, 0 ns, zone UTC (-1).
    assert.deepEqual(data, Buffer.from('01000000000000000000000000ffff', 'hex'));
    assert.deepEqual(data, RELEASED);
    assert.equal(decodeGoTime(data), GO_ZERO_TIME_MS);
    assert.equal(await r.release(), false, 'a released reservation was released again');
    assert.equal((await a.request({ op: 'exists', path: r.path }))!.version, stat.version, 'a no-op release wrote');
    // A reservation whose TTL passed has nothing to release either, and keeps its data.
    await r.reserve(1);
    const conn = await a.connection();
    await waitFor(async () => isExpired((await readReservation(conn, r.path))!), { timeoutMs: 5_000 });
    const expired = await a.request({ op: 'getData', path: r.path });
    assert.equal(await anonymousRelease(ITEMS, 'kept', { session: a }), false);
    assert.deepEqual((await a.request({ op: 'getData', path: r.path })).data, expired.data);
    await r.reserve(60_000);
  } finally {
    await env.finish({ allow: allowItems(env) });
  }
});

test('forced interleaving: a takeover read before a release and a fresh reserve cannot also succeed', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session({ maxClockSkewMs: 0 });
    const b = env.session({ maxClockSkewMs: 0 });
    const d = env.session({ maxClockSkewMs: 0 });
    const item = 'interleaved';
    const node = reservation(ITEMS, item, { session: a }).path;
    // The item was reserved once (node at version 0) and its TTL has passed.
    await reservation(ITEMS, item, { session: a }).reserve(1);
    await waitFor(async () => isExpired((await readReservation(await a.connection(), node))!), { timeoutMs: 5_000 });
    // B's reserve reads the expired item, and pauses before its conditional write.
    const connB = await b.connection();
    const stale = await readReservation(connB, node);
    assert.ok(stale !== undefined && isExpired(stale));
    assert.equal(stale.version, 0);
    // Someone releases the item, and D reserves it afresh.
    await anonymousRelease(ITEMS, item, { session: a });
    const dWon = await reservation(ITEMS, item, { session: d }).reserve(60_000).then(
      () => true,
      (error: unknown) => {
        if (error instanceof ReservedError) return false;
        throw error;
      },
    );
    const dData = (await a.request({ op: 'getData', path: node })).data;
    // B's write, on what it read before: the library's own takeover step.
    const bWon = await takeOver(connB, node, 60_000, stale);
    assert.ok(!(dWon && bWon), 'both reserve calls succeeded: B\'s stale takeover overwrote D\'s live reservation');
    assert.equal(dWon, true, 'a reserve of a free item failed');
    assert.deepEqual((await a.request({ op: 'getData', path: node })).data, dData, 'D\'s reservation was overwritten');
  } finally {
    await env.finish({ allow: allowItems(env) });
  }
});

test('an expired reservation is taken over only maxClockSkewMs after its TTL, by the taker\'s clock', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const holderSession = env.session({ maxClockSkewMs: 0 });
    const holder = reservation(ITEMS, 'skewed', { session: holderSession });
    const taker = reservation(ITEMS, 'skewed', { session: env.session({ maxClockSkewMs: 800 }) });
    await holder.reserve(300);
    // The expiry the node publishes (set when the write was made, not when reserve() was called).
    const expires = (await readReservation(await holderSession.connection(), holder.path))!.expiresAt!;
    await waitFor(() => Date.now() > expires + 50, { timeoutMs: 5_000 });
    // Past the TTL by the taker's clock, but a holder whose clock runs 800 ms behind still believes in it.
    await assert.rejects(taker.reserve(60_000), ReservedError);
    await waitFor(() => Date.now() > expires + 800 + 20, { timeoutMs: 5_000 });
    await taker.reserve(60_000);
    assert.equal(await taker.release(), true);
  } finally {
    await env.finish({ allow: allowItems(env) });
  }
});
