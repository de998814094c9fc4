/**
 * The session layer at the limits a long-lived, busy service reaches: 2^31 requests, more watches
 * than one packet holds, a server that drops us after every handshake, and a one-way partition in
 * which notifications still arrive. Each against a real ZooKeeper.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, test } from 'node:test';
import { regionLock, regionTimedLock, type Lock, type Session } from '../../src/index.js';
import { requestCounter, setRequestCounter } from '../../src/zk/client-internals.js';
import { CreateMode } from '../../src/zk/requests.js';
import { connectBare, parseHostPort, sharedServer, sleep, startProxy, stopAll, uniqueId, waitFor, within } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

after(() => stopAll());

/** Counts the session's state events. */
function countEvents(s: Session): Record<string, number> {
  const counts: Record<string, number> = { suspended: 0, reconnected: 0, lost: 0 };
  for (const event of Object.keys(counts)) s.on(event, () => counts[event]!++);
  return counts;
}

test('the request counter wraps before 2^31: 1,000 lock cycles across the boundary with a lock held', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const s = env.session();
    const held = await regionTimedLock(uniqueId('held'), { session: s, holdForMs: 120_000 });
    const conn = await s.connection();
    const events = countEvents(s);
    const start = 2 ** 31 - 50;
    setRequestCounter(conn, start);
    const id = uniqueId('cycle');
    for (let i = 0; i < 1000; i++) {
      const lock = await regionLock(id, { session: s });
      await lock.unlock();
    }
    const counter = requestCounter(conn);
    t.diagnostic(`request counter after 1,000 cycles from 2^31-50: ${counter}`);
    assert.ok(counter > 0 && counter < start, `the counter wrapped (now ${counter})`);
    assert.ok(counter >= 1000 * 3 - 50, `every cycle's requests went out after the wrap (counter ${counter})`);
    assert.deepEqual(events, { suspended: 0, reconnected: 0, lost: 0 }, 'no reconnect, no loss');
    assert.equal(s.current, conn, 'the same ZooKeeper session throughout');
    assert.equal(held.isHeld, true, 'the lock held across the boundary is still held');
    await held.unlock();
  } finally {
    await env.finish();
  }
});

test('20,000 watches survive a reconnect: SetWatches goes out in packets under the limit', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  const bare = await connectBare(connectString);
  const paths: string[] = [];
  try {
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: 8000 });
    const conn = await s.connection();
    await s.request({ op: 'create', path: '/w', mode: CreateMode.PERSISTENT });
    // ~100 bytes a path with the chroot: 20,000 of them are about 2 MB, twice the server's packet limit.
    const name = (i: number): string => `/w/guard-${'g'.repeat(40)}-${String(i).padStart(5, '0')}`;
    const fired = new Set<number>();
    for (let i = 0; i < 20_000; i += 1000) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, k) => conn.request({ op: 'exists', path: name(i + k), watch: () => fired.add(i + k) })),
      );
    }
    const events = countEvents(s);
    const reconnected = new Promise((resolve) => s.once('reconnected', resolve));
    proxy.cut();
    await sleep(50);
    proxy.pass();
    await within(reconnected, 8000, 'reconnect');
    await sleep(1500);
    assert.deepEqual(events, { suspended: 1, reconnected: 1, lost: 0 }, 'one suspension, one reconnect, no flapping');
    assert.equal(s.current, conn, 'the same session');
    // The server knows our watches again: the first and the last of them fire.
    for (const i of [0, 19_999]) {
      paths.push(`${env.root}${name(i)}`);
      await bare.create(`${env.root}${name(i)}`);
    }
    await waitFor(() => fired.has(0) && fired.has(19_999), { timeoutMs: 5000, message: 'watches re-registered after the reconnect fired' });
    assert.equal(fired.size, 2);
  } finally {
    for (const p of paths) await bare.remove(p).catch(() => undefined);
    await bare.remove(`${env.root}/w`).catch(() => undefined);
    bare.close();
    await env.finish();
    await proxy.close();
  }
});

test('a server that drops us right after every handshake: the session is declared lost within its timeout', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  try {
    const timeoutMs = 3000;
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: timeoutMs });
    await s.request({ op: 'exists', path: '/' });
    const events = countEvents(s);
    const lost = new Promise<number>((resolve) => s.once('lost', () => resolve(performance.now())));
    const t0 = performance.now();
    proxy.dropAfterHandshake();
    const lostAt = await within(lost, 4 * timeoutMs, 'session declared lost');
    t.diagnostic(`lost after ${Math.round(lostAt - t0)} ms; ${events.reconnected} handshakes accepted and dropped meanwhile`);
    assert.ok(events.reconnected! >= 1, 'the server did accept our handshakes (else this tests nothing)');
    assert.ok(lostAt - t0 <= timeoutMs + 300, `lost ${Math.round(lostAt - t0)} ms after the last answered request (timeout ${timeoutMs} ms)`);
  } finally {
    proxy.pass();
    await env.finish();
    await proxy.close();
  }
});

test('the contact clock runs from when an answered request was sent: replies held back 1.2 s do not lengthen the session by our clock', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const proxy = await startProxy(connectString.split('/')[0]!);
  try {
    const timeoutMs = 3000;
    const holdBackMs = 1200;
    const s = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: timeoutMs });
    const conn = await s.connection();
    await conn.request({ op: 'exists', path: '/' });
    const lost = new Promise<number>((resolve) => s.once('lost', () => resolve(performance.now())));
    // The server's replies now take 1.2 s to reach us; ours reach it at once.
    proxy.delay(holdBackMs, 'toClient');
    const sentAt = performance.now();
    let answeredAt = Number.NaN;
    const answered = conn.request({ op: 'exists', path: '/' }).then(() => (answeredAt = performance.now()));
    await sleep(50);
    // From here the server hears nothing from us: it may expire the session one timeout after it
    // last heard us, no later than 50 ms after our last request left.
    proxy.silence('toServer');
    await within(answered, 2 * timeoutMs, 'the request sent before the partition answered');
    const lostAt = await within(lost, 3 * timeoutMs, 'session declared lost');
    t.diagnostic(`reply arrived ${Math.round(answeredAt - sentAt)} ms after its request left; session lost ${Math.round(lostAt - sentAt)} ms after it`);
    assert.ok(answeredAt - sentAt >= holdBackMs - 50, 'the reply really was held back (else this tests nothing)');
    // By a clock that starts at the reply, the session would be lost only 1.2 s later than this.
    assert.ok(
      lostAt - sentAt <= timeoutMs + 50 + 400,
      `lost ${Math.round(lostAt - sentAt)} ms after the last request the server heard left (timeout ${timeoutMs} ms): the clock ran from the reply`,
    );
  } finally {
    proxy.pass();
    await env.finish();
    await proxy.close();
  }
});

/** One run of the one-way partition: a holder whose requests stop reaching the server while notifications still reach it. */
async function oneWayRun(
  env: Awaited<ReturnType<typeof testEnv>>,
  connectString: string,
  run: number,
  timeoutMs: number,
): Promise<{ toldMs: number; overlapMs: number; acquiredMs: number }> {
  const proxy = await startProxy(connectString.split('/')[0]!);
  const bare = await connectBare(connectString);
  const noise = `${env.root}/noise-${run}`;
  try {
    const holderSession = env.session({ hosts: proxy.connectString + env.root, sessionTimeoutMs: timeoutMs });
    const waiterSession = env.session({ sessionTimeoutMs: 10_000 });
    const id = uniqueId(`oneway-${run}`);
    const holder = await regionTimedLock(id, { session: holderSession, holdForMs: 60_000 });
    const conn = await holderSession.connection();
    // Watches whose notifications will keep arriving through the partition.
    await bare.create(noise);
    const noiseCount = 40;
    await Promise.all(
      Array.from({ length: noiseCount }, (_, i) => conn.request({ op: 'exists', path: `/noise-${run}/n-${i}`, watch: () => undefined })),
    );
    const waiting = regionTimedLock(id, { session: waiterSession, waitForMs: 4 * timeoutMs, holdForMs: 60_000 });
    await waitFor(async () => (await bare.getChildren(`${env.root}/sync/regionlock/${id}`)).length === 2, { timeoutMs: 5000, message: 'waiter queued' });
    let toldAt = Number.NaN;
    holder.signal.addEventListener('abort', () => (toldAt = performance.now()), { once: true });
    const t0 = performance.now();
    proxy.silence('toServer');
    let acquired: Lock | undefined;
    let acquiredAt = Number.NaN;
    const got = waiting.then((l) => {
      acquiredAt = performance.now();
      acquired = l;
    });
    for (let i = 0; i < noiseCount && acquired === undefined; i++) {
      await bare.create(`${noise}/n-${i}`);
      await sleep(40);
    }
    await got;
    assert.ok(Number.isFinite(toldAt), `run ${run}: the holder was told before the waiter acquired`);
    const result = { toldMs: toldAt - t0, overlapMs: toldAt - acquiredAt, acquiredMs: acquiredAt - t0 };
    await acquired!.unlock();
    await holder.unlock();
    return result;
  } finally {
    proxy.pass();
    await proxy.close();
    for (const child of await bare.getChildren(noise).catch(() => [] as string[])) await bare.remove(`${noise}/${child}`);
    await bare.remove(noise).catch(() => undefined);
    bare.close();
  }
}

test('a one-way partition (our bytes lost, the server\'s arriving): 20 runs, no overlap, the holder told within 2/3 of the timeout', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  try {
    const timeoutMs = 1500;
    const results: Array<{ toldMs: number; overlapMs: number; acquiredMs: number }> = [];
    for (let batch = 0; batch < 4; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => oneWayRun(env, connectString, batch * 5 + i, timeoutMs)))));
    }
    const told = results.map((r) => Math.round(r.toldMs));
    const gaps = results.map((r) => Math.round(r.acquiredMs - r.toldMs));
    t.diagnostic(`holder told after (ms): ${told.join(' ')}`);
    t.diagnostic(`waiter acquired this long after the holder was told (ms): ${gaps.join(' ')}`);
    assert.equal(results.length, 20);
    const overlaps = results.filter((r) => r.overlapMs >= 0);
    assert.equal(overlaps.length, 0, `overlaps: ${overlaps.length} of 20`);
    const late = told.filter((ms) => ms > (timeoutMs * 2) / 3 + 150);
    assert.deepEqual(late, [], `holders told later than 2/3 of the ${timeoutMs} ms timeout`);
  } finally {
    await env.finish();
  }
});

test('a bracketed IPv6 host connects, and spaces around hosts are trimmed before use', async (t) => {
  const { connectString } = await sharedServer();
  const env = await testEnv(t, connectString);
  const target = parseHostPort(connectString.split('/')[0]!.split(',')[0]!);
  // The harness's servers listen on 127.0.0.1: forward from [::1].
  const forwarder = net.createServer((c) => {
    const up = net.connect(target.port, target.host);
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((resolve) => forwarder.listen(0, '::1', resolve));
  const port = (forwarder.address() as net.AddressInfo).port;
  try {
    const s = env.session({ hosts: ` [::1]:${port} , [::1]:${port}${env.root}` });
    const conn = await s.connection();
    assert.match(conn.remoteAddress ?? '', /^::1:/, `connected over IPv6 (${conn.remoteAddress})`);
    const lock = await regionLock(uniqueId('v6'), { session: s });
    await lock.unlock();
  } finally {
    await env.finish();
    await new Promise((resolve) => forwarder.close(resolve));
  }
});
