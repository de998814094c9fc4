import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  PROTECTED_MARKER,
  compareSequence,
  guidOf,
  isLowest,
  newGuid,
  parseSequence,
  predecessorOf,
  protectedPrefix,
  sortBySequence,
} from '../../src/wire/node-name.js';

const G1 = '0123456789abcdef0123456789abcdef';
const G2 = 'fedcba9876543210fedcba9876543210';

const isArg = (argument: string, message?: RegExp) => (e: unknown) =>
  e instanceof InvalidArgumentError && e.argument === argument && (message === undefined || message.test(e.message));

test('newGuid is 32 lowercase hex and random', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const g = newGuid();
    assert.match(g, /^[0-9a-f]{32}$/);
    seen.add(g);
  }
  assert.equal(seen.size, 100);
});

test('protectedPrefix builds go-zookeeper names', () => {
  assert.equal(PROTECTED_MARKER, '_c_');
  assert.equal(protectedPrefix(G1, 'lock-'), `_c_${G1}-lock-`);
  assert.throws(() => protectedPrefix('ABC', 'lock-'), isArg('guid', /32 lowercase hex/));
  assert.throws(() => protectedPrefix(G1.toUpperCase(), 'lock-'), isArg('guid'));
  assert.throws(() => protectedPrefix(G1, 'a/lock-'), isArg('prefix', /"\/"/));
});

test('guidOf finds the guid of protected names only', () => {
  assert.equal(guidOf(`_c_${G1}-lock-0000000042`), G1);
  assert.equal(guidOf(`${protectedPrefix(G2, 'lock-')}-000000005`), G2);
  assert.equal(guidOf('lock-0000000007'), undefined);
  assert.equal(guidOf(`_c_${G1.slice(1)}-lock-0000000001`), undefined, '31 hex digits');
  assert.equal(guidOf(`_c_${G1}lock-0000000001`), undefined, 'no dash after the guid');
  assert.equal(guidOf(`x_c_${G1}-lock-0000000001`), undefined);
  assert.equal(guidOf(''), undefined);
});

test('parseSequence reads non-negative %010d sequences', () => {
  assert.equal(parseSequence(`_c_${G1}-lock-0000000001`), 1); // as Go's lock names them
  assert.equal(parseSequence(`_c_${G1}-lock-0000000042`), 42);
  assert.equal(parseSequence('lock-0000000007'), 7); // created without protection
  assert.equal(parseSequence('lock-0000000000'), 0);
  assert.equal(parseSequence('lock-2147483647'), 2147483647);
  assert.equal(parseSequence('a-b-c-0000000123'), 123, 'after the LAST separator');
});

test('parseSequence keeps the sign of wrapped (negative) sequences', () => {
  // Java String.format("%010d", n): -5 -> "-000000005", MIN_VALUE -> "-2147483648" (checked with Java 17)
  assert.equal(parseSequence('lock--000000005'), -5);
  assert.equal(parseSequence('lock--000000001'), -1);
  assert.equal(parseSequence('lock--999999999'), -999999999);
  assert.equal(parseSequence('lock--1000000000'), -1000000000);
  assert.equal(parseSequence(`_c_${G1}-lock--2147483648`), -2147483648);
  // a prefix that itself ends in "-" with a small positive sequence: a negative that small has 9 digits
  assert.equal(parseSequence('lock--0000000005'), 5);
});

test('parseSequence rejects junk', () => {
  for (const junk of [
    '',
    'lock',
    'lock-',
    'lock0000000001', // no separator: Go's Atoi failed too
    'lock-000000001', // 9 digits, positive
    'lock-00000000001', // 11 digits
    'lock-2147483648', // beyond int32
    'lock--2147483649', // below int32
    'lock-00000000x1',
    'lock-0000000001 ',
    'lock-+000000001',
    `_c_${G1}-lock-`,
    'zookeeper',
  ]) {
    assert.equal(parseSequence(junk), undefined, JSON.stringify(junk));
  }
  assert.equal(parseSequence(42 as unknown as string), undefined);
});

test('compareSequence orders as signed 32-bit integers', () => {
  assert.ok(compareSequence(1, 2) < 0);
  assert.ok(compareSequence(2, 1) > 0);
  assert.equal(compareSequence(7, 7), 0);
  assert.ok(compareSequence(-5, 0) < 0);
  // After the counter wraps, the newest node (-2147483648) sorts BEFORE the oldest positive
  // ones: that is what signed comparison means, and why a wrap misorders contenders.
  assert.ok(compareSequence(-2147483648, 2147483647) < 0);
  assert.ok(compareSequence(-2147483648, -1) < 0);
});

test('sortBySequence sorts ascending and drops non-sequential names', () => {
  const names = [
    `_c_${G2}-lock-0000000010`,
    'lock-0000000007',
    'junk',
    `_c_${G1}-lock-0000000001`,
    'lock-2147483647',
    'lock--2147483648',
    'lock--000000001',
    'readme.txt',
  ];
  assert.deepEqual(sortBySequence(names), [
    'lock--2147483648',
    'lock--000000001',
    `_c_${G1}-lock-0000000001`,
    'lock-0000000007',
    `_c_${G2}-lock-0000000010`,
    'lock-2147483647',
  ]);
  assert.deepEqual(names[0], `_c_${G2}-lock-0000000010`, 'input not mutated');
  assert.deepEqual(sortBySequence([]), []);
  assert.deepEqual(sortBySequence(['junk']), []);
  // equal sequences (impossible under one parent) still sort deterministically, by name
  assert.deepEqual(sortBySequence(['b-0000000001', 'a-0000000001']), ['a-0000000001', 'b-0000000001']);
});

test('predecessorOf and isLowest pick whom to watch', () => {
  const a = `_c_${G1}-lock-0000000001`;
  const b = 'lock-0000000003';
  const c = `_c_${G2}-lock-0000000007`;
  const children = [c, 'junk', a, b];
  assert.equal(predecessorOf(children, a), undefined);
  assert.equal(isLowest(children, a), true);
  assert.equal(predecessorOf(children, b), a);
  assert.equal(isLowest(children, b), false);
  assert.equal(predecessorOf(children, c), b, 'the immediate predecessor, not the lowest');
  assert.equal(isLowest(children, c), false);
  assert.equal(isLowest([c], c), true);
});

test('predecessorOf handles wrapped sequences by signed order', () => {
  const children = ['lock-2147483647', 'lock--2147483648'];
  assert.equal(isLowest(children, 'lock--2147483648'), true);
  assert.equal(predecessorOf(children, 'lock-2147483647'), 'lock--2147483648');
});

test('predecessorOf and isLowest throw when ours is absent or not sequential', () => {
  const children = ['lock-0000000001', 'lock-0000000002'];
  assert.throws(() => predecessorOf(children, 'lock-0000000009'), isArg('ours', /not among the children/));
  assert.throws(() => isLowest(children, 'lock-0000000009'), isArg('ours', /not among the children/));
  assert.throws(() => predecessorOf([...children, 'junk'], 'junk'), isArg('ours', /not a sequential node name/));
  assert.throws(() => isLowest([], 'lock-0000000001'), isArg('ours'));
});
