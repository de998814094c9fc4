// The chaos checker on hand-made histories: it must flag an overlap, excuse a SIGSTOPped holder
// only when the store fenced it off, and flag unsettled operations and wrong token order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from './checker.js';
import { FencedStore } from './fenced-store.js';
import { History, type WorkerEvent } from './history.js';

const T0 = 1_000_000;

/** A history builder: events at T0 + ms, store writes through a real FencedStore. */
function scenario(): { h: History; ev: (ms: number, worker: string, e: WorkerEvent) => void; write: (ms: number, worker: string, token: number, op?: number) => void } {
  const h = new History();
  const store = new FencedStore(h);
  return {
    h,
    ev: (ms, worker, e) => h.event(worker, { ...e, t: T0 + ms }),
    write: (ms, worker, token, op = 1) => {
      store.write(worker, { key: 'lock', token: String(token), value: ms, op, sentAt: T0 + ms });
      h.writes[h.writes.length - 1]!.t = T0 + ms;
    },
  };
}

const verdict = (h: History, leftovers: string[] = [], stallsConfigured = false) =>
  check({ history: h, t0: T0, tEnd: T0 + 10_000, settleMarginMs: 1000, leftovers, stallsConfigured }).violations.map((v) => v.kind);

test('two live holders at once is a lock-overlap', () => {
  const { h, ev } = scenario();
  ev(0, 'w1.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '10' });
  ev(100, 'w2.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '20' });
  ev(200, 'w1.1', { kind: 'released', op: 1 });
  ev(300, 'w2.1', { kind: 'released', op: 1 });
  assert.deepEqual(verdict(h), ['lock-overlap']);
});

test('a SIGSTOPped holder is excused only if its later writes were rejected', () => {
  const { h, ev, write } = scenario();
  ev(0, 'w1.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '10' });
  write(10, 'w1.1', 10);
  h.faults.push({ kind: 'worker-pause', target: 'w1.1', start: T0 + 50, end: T0 + 4000 });
  ev(2500, 'w2.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '20' });
  write(2510, 'w2.1', 20);
  write(4001, 'w1.1', 10); // stale: rejected by the store
  ev(4002, 'w1.1', { kind: 'lost', op: 1, reason: 'LockExpiredError' });
  ev(4100, 'w2.1', { kind: 'released', op: 1 });
  assert.deepEqual(verdict(h), []);
  assert.equal(h.writes.at(-1)!.accepted, false);
  h.writes.at(-1)!.accepted = true; // a store that let it through
  assert.deepEqual(verdict(h).sort(), ['stale-write-accepted', 'stale-write-accepted']);
});

test('a lower token after an earlier holder, an unsettled acquire and a leaked node are violations', () => {
  const { h, ev } = scenario();
  ev(0, 'w1.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '30' });
  ev(100, 'w1.1', { kind: 'released', op: 1 });
  ev(200, 'w2.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '20' });
  ev(300, 'w2.1', { kind: 'released', op: 1 });
  ev(400, 'w3.1', { kind: 'acquire-start', op: 1, boundMs: 1000 });
  assert.deepEqual(verdict(h, ['/x/sync/regionlock/a/lock-1']).sort(), ['node-leaked', 'token-not-increasing', 'unsettled-acquire']);
});

test('an acquire of a killed worker need not settle; a slow one must', () => {
  const { h, ev } = scenario();
  ev(0, 'w1.1', { kind: 'acquire-start', op: 1, boundMs: 1000 });
  h.exits.push({ worker: 'w1.1', t: T0 + 500, how: 'killed' });
  ev(0, 'w2.1', { kind: 'acquire-start', op: 1, boundMs: 1000 });
  ev(5000, 'w2.1', { kind: 'acquire-failed', op: 1, error: { name: 'LockTimeoutError', message: '', zoosync: true } });
  assert.deepEqual(verdict(h), ['slow-acquire']);
});

test('a holder that stalled is excused like a paused one; its late write counts as late, stale and rejected', () => {
  const { h, ev, write } = scenario();
  ev(0, 'w1.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '10', deadline: T0 + 2000 });
  ev(20, 'w1.1', { kind: 'stall-start', op: 1, key: 'lock', ms: 3000 });
  ev(2100, 'w2.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '20', deadline: T0 + 4100 });
  write(2150, 'w2.1', 20);
  ev(3020, 'w1.1', { kind: 'stall-end', op: 1, key: 'lock' });
  write(3021, 'w1.1', 10);
  ev(3030, 'w1.1', { kind: 'lost', op: 1, reason: 'LockExpiredError' });
  ev(3100, 'w2.1', { kind: 'released', op: 1 });
  const r = check({ history: h, t0: T0, tEnd: T0 + 10_000, settleMarginMs: 1000, leftovers: [], stallsConfigured: true });
  assert.deepEqual(r.violations, []);
  assert.deepEqual([r.fencing.late, r.fencing.stale, r.fencing.staleRejected, r.fencing.staleAccepted], [1, 1, 1, 0]);
});

test('stalls configured but no stale write is a vacuous run, and fails', () => {
  const { h, ev, write } = scenario();
  ev(0, 'w1.1', { kind: 'acquired', op: 1, key: 'lock', recipe: 'region-lock', token: '10' });
  write(10, 'w1.1', 10);
  ev(100, 'w1.1', { kind: 'released', op: 1 });
  assert.deepEqual(verdict(h, [], true), ['no-stale-writes']);
  assert.deepEqual(verdict(h, [], false), []);
});

test('a semaphore holds at most its permits; readers share a read-write lock, a writer shares it with no one', () => {
  const { h, ev } = scenario();
  const sem = (ms: number, w: string, op: number) => ev(ms, w, { kind: 'acquired', op, key: 'semaphore', recipe: 'semaphore', token: String(ms), permits: 2 });
  sem(0, 'w1.1', 1);
  sem(10, 'w2.1', 1);
  ev(100, 'w1.1', { kind: 'released', op: 1 });
  sem(150, 'w3.1', 1); // two inside: fine
  sem(200, 'w4.1', 1); // three inside: over capacity
  for (const w of ['w2.1', 'w3.1', 'w4.1']) ev(300, w, { kind: 'released', op: 1 });
  const rw = (ms: number, w: string, recipe: 'rw-read' | 'rw-write') => ev(ms, w, { kind: 'acquired', op: 2, key: 'rw', recipe, token: String(1000 + ms) });
  rw(400, 'w1.1', 'rw-read');
  rw(410, 'w2.1', 'rw-read');
  ev(500, 'w1.1', { kind: 'released', op: 2 });
  rw(520, 'w3.1', 'rw-write'); // beside reader w2.1
  ev(600, 'w2.1', { kind: 'released', op: 2 });
  ev(700, 'w3.1', { kind: 'released', op: 2 });
  assert.deepEqual(verdict(h).sort(), ['rw-overlap', 'semaphore-over-capacity']);
});

test('a reservation believed past its TTL is not an overlap; one taken inside it is, unless someone released it', () => {
  const { h, ev } = scenario();
  const res = (ms: number, w: string, op: number) =>
    ev(ms, w, { kind: 'acquired', op, key: 'reservation', recipe: 'reservation', token: '0', ttlMs: 1500, deadline: T0 + ms - 5 + 1500 });
  h.event('w1.1', { kind: 'acquire-start', op: 1, boundMs: 1000, recipe: 'reservation', t: T0 - 5 });
  res(0, 'w1.1', 1);
  h.event('w2.1', { kind: 'acquire-start', op: 1, boundMs: 1000, recipe: 'reservation', t: T0 + 1500 });
  res(1600, 'w2.1', 1); // after w1.1's TTL
  ev(1900, 'w1.1', { kind: 'lost', op: 1, reason: 'ttl' });
  ev(2000, 'w3.1', { kind: 'acquired', op: 1, key: 'reservation', recipe: 'reservation', token: '0', ttlMs: 1500, deadline: T0 + 3500 }); // inside w2.1's
  ev(4000, 'w2.1', { kind: 'lost', op: 1, reason: 'ttl' });
  ev(4000, 'w3.1', { kind: 'lost', op: 1, reason: 'ttl' });
  assert.deepEqual(verdict(h), ['reservation-overlap']);
  // A reserve() that came back only after its own TTL (the worker was frozen) is no belief at all.
  h.event('w5.1', { kind: 'acquire-start', op: 1, boundMs: 1000, recipe: 'reservation', t: T0 + 100 });
  ev(2100, 'w5.1', { kind: 'acquired', op: 1, key: 'reservation', recipe: 'reservation', token: '0', ttlMs: 1500, deadline: T0 + 1600 });
  assert.deepEqual(verdict(h), ['reservation-overlap']);
  h.event('w4.1', { kind: 'acquire-start', op: 7, boundMs: 1000, recipe: 'reservation', t: T0 + 1700 });
  h.event('w4.1', { kind: 'acquire-failed', op: 7, error: { name: 'ReservedError', message: '', zoosync: true }, t: T0 + 1750 });
  h.event('w4.1', { kind: 'unlock-start', op: 7, boundMs: 1000, t: T0 + 1800 });
  h.event('w4.1', { kind: 'unlock-done', op: 7, t: T0 + 1850 });
  assert.deepEqual(verdict(h), [], 'an anonymous release ended w2.1 first');
});
