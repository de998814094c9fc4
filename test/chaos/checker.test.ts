// The chaos checker on hand-made histories: it must flag an overlap, excuse a SIGSTOPped holder
// only when the store fenced it off, and flag unsettled operations and wrong token order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from './checker.js';
import { FencedStore } from './fenced-store.js';
import { History, type WorkerEvent } from './history.js';

const T0 = 1_000_000;

/** A history builder: events at T0 + ms, store writes through a real FencedStore. */
function scenario(): { h: History; ev: (ms: number, worker: string, e: WorkerEvent) => void; write: (ms: number, worker: string, token: number) => void } {
  const h = new History();
  const store = new FencedStore(h);
  return {
    h,
    ev: (ms, worker, e) => h.event(worker, { ...e, t: T0 + ms }),
    write: (ms, worker, token) => {
      store.write(worker, { key: 'lock', token: String(token), value: ms });
      h.writes[h.writes.length - 1]!.t = T0 + ms;
    },
  };
}

const verdict = (h: History, leftovers: string[] = []) =>
  check({ history: h, t0: T0, tEnd: T0 + 10_000, settleMarginMs: 1000, leftovers }).violations.map((v) => v.kind);

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
