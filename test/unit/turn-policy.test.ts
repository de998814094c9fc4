// The engine's turn policies, alone: who holds and whom a waiter watches for the mutex, the
// semaphore's leases and both sides of the read-write lock (Curator's and our node names).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MUTEX_POLICY, type TurnPolicy } from '../../src/recipes/contender.js';
import { readWritePolicy } from '../../src/recipes/read-write-lock.js';
import { semaphorePolicy } from '../../src/recipes/semaphore.js';
import { isContenderName, parseReadWriteName } from '../../src/wire/node-name.js';

const OURS = '_c_0123456789abcdef0123456789abcdef-';
const CURATOR = '_c_a1b2c3d4-e5f6-7890-abcd-ef0123456789-';

function turnOf(policy: TurnPolicy, children: string[], ours: string) {
  const ordered = policy.order(children);
  return policy.turn(ordered, ordered.indexOf(ours));
}

test('Curator’s protected names (a dashed UUID) are contenders too; other shapes are not', () => {
  assert.equal(isContenderName(`${CURATOR}lock-0000000007`), true);
  assert.equal(isContenderName(`${OURS}lock-0000000007`), true);
  assert.equal(isContenderName('_c_a1b2c3d4-e5f6-7890-abcd-ef01234567-lock-0000000007'), false);
  assert.equal(isContenderName(`${CURATOR}__READ__0000000007`), false);
  assert.deepEqual(parseReadWriteName(`${CURATOR}__READ__0000000007`), { kind: 'read', seq: 7 });
  assert.deepEqual(parseReadWriteName(`${OURS}__WRIT__-000000005`), { kind: 'write', seq: -5 });
  assert.deepEqual(parseReadWriteName('__WRIT__2147483647'), { kind: 'write', seq: 2147483647 });
  assert.equal(parseReadWriteName('__WRIT__2147483648'), undefined);
  assert.equal(parseReadWriteName(`${OURS}lock-0000000001`), undefined);
  assert.equal(parseReadWriteName('__READ__00001'), undefined);
});

test('mutex: the lowest holds; each waiter watches the one before it, the holder being the last in its way', () => {
  const names = [`${OURS}lock-0000000003`, `${CURATOR}lock-0000000001`, 'x-0000000000', `${OURS}lock-0000000002`];
  assert.deepEqual(turnOf(MUTEX_POLICY, names, `${CURATOR}lock-0000000001`), { hold: true });
  assert.deepEqual(turnOf(MUTEX_POLICY, names, `${OURS}lock-0000000002`), { hold: false, watch: `${CURATOR}lock-0000000001`, last: true });
  assert.deepEqual(turnOf(MUTEX_POLICY, names, `${OURS}lock-0000000003`), { hold: false, watch: `${OURS}lock-0000000002`, last: false });
});

test('semaphore: holds while at most `permits` children exist, counting every child as Curator does', () => {
  const leases = ['lease-0000000001', `${OURS}lease-0000000002`, 'stray'];
  assert.deepEqual(turnOf(semaphorePolicy(3), leases, `${OURS}lease-0000000002`), { hold: true });
  assert.deepEqual(turnOf(semaphorePolicy(2), leases, `${OURS}lease-0000000002`), { hold: false, watchChildren: true });
  assert.deepEqual(semaphorePolicy(2).order(leases), ['lease-0000000001', `${OURS}lease-0000000002`, 'stray']);
});

test('read-write: a reader waits on the nearest earlier writer only, a writer on its predecessor of either kind', () => {
  const r = (seq: number): string => `${OURS}__READ__${String(seq).padStart(10, '0')}`;
  const w = (seq: number): string => `${CURATOR}__WRIT__${String(seq).padStart(10, '0')}`;
  const names = [r(1), r(2), w(3), r(4), w(5), r(6), 'lock-0000000000'];
  const read = readWritePolicy('read');
  const write = readWritePolicy('write');
  assert.deepEqual(turnOf(read, names, r(1)), { hold: true });
  assert.deepEqual(turnOf(read, names, r(2)), { hold: true });
  assert.deepEqual(turnOf(read, names, r(4)), { hold: false, watch: w(3), last: true });
  assert.deepEqual(turnOf(read, names, r(6)), { hold: false, watch: w(5), last: false });
  assert.deepEqual(turnOf(write, names, w(3)), { hold: false, watch: r(2), last: false });
  assert.deepEqual(turnOf(write, names, w(5)), { hold: false, watch: r(4), last: false });
  assert.deepEqual(turnOf(write, [w(3), r(4)], w(3)), { hold: true });
  assert.deepEqual(turnOf(write, [r(2), w(3)], w(3)), { hold: false, watch: r(2), last: true });
  // A sequence past the 32-bit wrap sorts first, as the mutex's does.
  assert.deepEqual(read.order([r(7), `${OURS}__WRIT__-000000001`]), [`${OURS}__WRIT__-000000001`, r(7)]);
});
