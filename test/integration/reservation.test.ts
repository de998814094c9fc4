// Reservations as in Go: ReservedError while live, free again once the TTL passed, released by
// anyone; racing reserve calls on an expired (or absent) item never both succeed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { anonymousRelease, reservation, ReservedError, type Session } from '../../src/index.js';
import { decodeGoTime, encodeGoTime } from '../../src/wire/go-time.js';
import { sharedServer, stopAll, waitFor } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

const ITEMS = '/items';

async function expiryOf(session: Session, path: string): Promise<number> {
  const { data } = await session.request({ op: 'getData', path });
  assert.equal(data.length, 15);
  return decodeGoTime(data);
}

test('reserve, ReservedError while live, free after the TTL, release by anyone', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    const b = env.session();
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
    // Release by anyone: a releases b's reservation.
    assert.equal(await ra.release(), true);
    assert.equal(await ra.release(), false);
    assert.equal(await b.request({ op: 'exists', path: ra.path }), null);
    await ra.reserve(5000);
    assert.equal(await anonymousRelease(ITEMS, 'job-1', { session: b }), true);
    assert.equal(await anonymousRelease(ITEMS, 'job-1', { session: b }), false);
    await rb.reserve(5000);
    assert.equal(await rb.release(), true);
  } finally {
    await env.finish({ allow: (p) => p === `${env.root}${ITEMS}` });
  }
});

test('an item whose data is not a time counts as expired (as in Go)', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const a = env.session();
    await a.request({ op: 'create', path: ITEMS, mode: 0 });
    await a.request({ op: 'create', path: `${ITEMS}/reserve-odd`, data: Buffer.from('not a time'), mode: 0 });
    const r = reservation(ITEMS, 'odd', { session: a });
    await r.reserve(5000);
    assert.ok((await expiryOf(a, r.path)) > Date.now());
    assert.equal(await r.release(), true);
  } finally {
    await env.finish({ allow: (p) => p === `${env.root}${ITEMS}` });
  }
});

test('racing reserve calls: exactly one wins each of 30 rounds', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const CONTENDERS = 4;
  const ROUNDS = 30;
  try {
    const admin = env.session();
    const sessions = Array.from({ length: CONTENDERS }, () => env.session());
    await Promise.all(sessions.map((s) => s.connection()));
    const node = `${ITEMS}/reserve-contested`;
    const winsBy = new Array<number>(CONTENDERS).fill(0);
    for (let round = 0; round < ROUNDS; round++) {
      // Odd rounds: an expired reservation exists; even rounds: none does.
      if (round % 2 === 1) {
        await admin.request({ op: 'setData', path: node, data: encodeGoTime(Date.now() - 1000) });
      } else if (round > 0) {
        await anonymousRelease(ITEMS, 'contested', { session: admin });
      }
      const before = Date.now();
      const results = await Promise.allSettled(
        sessions.map((s) => reservation(ITEMS, 'contested', { session: s }).reserve(60_000)),
      );
      const after = Date.now();
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      const lost = results.filter((r) => r.status === 'rejected');
      for (const r of lost) assert.ok((r as PromiseRejectedResult).reason instanceof ReservedError, String((r as PromiseRejectedResult).reason));
      assert.equal(won.length, 1, `round ${round}: ${won.length} reserve calls succeeded`);
      winsBy[won[0]!]!++;
      const expiry = await expiryOf(admin, node);
      assert.ok(expiry >= before + 60_000 && expiry <= after + 60_000, `round ${round}: expiry ${expiry - before - 60_000} ms off`);
    }
    t.diagnostic(`wins per contender over ${ROUNDS} rounds: ${winsBy.join(', ')}`);
    assert.equal(await anonymousRelease(ITEMS, 'contested', { session: admin }), true);
  } finally {
    await env.finish({ allow: (p) => p === `${env.root}${ITEMS}` });
  }
});
