/** Unit tests of the soak's least-squares fit and growth check. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkGrowth, leastSquaresSlope } from './slope.js';

test('the least-squares slope of a line is its slope, of noise around a flat line near zero', () => {
  assert.equal(leastSquaresSlope([0, 1, 2, 3], [1, 3, 5, 7]), 2);
  assert.equal(leastSquaresSlope([5], [1]), 0);
  assert.ok(Math.abs(leastSquaresSlope([0, 1, 2, 3, 4, 5], [10, 12, 10, 12, 10, 12])) < 0.3);
});

test('growth above the bound fails, growth under it or under the floor passes', () => {
  const hour = [0, 1_800_000, 3_600_000];
  const leak = checkGrowth('heap', hour, [0, 1.5, 3], { perHour: 1, floor: 1, unit: 'MiB' });
  assert.equal(leak.ok, false);
  assert.equal(leak.perHour, 3);
  assert.equal(checkGrowth('heap', hour, [0, 0.4, 0.8], { perHour: 1, floor: 1, unit: 'MiB' }).ok, true);
  const short = [0, 60_000, 120_000];
  assert.equal(checkGrowth('handles', short, [10, 11, 12], { perHour: 5, floor: 3, unit: '' }).ok, true);
  assert.equal(checkGrowth('handles', short, [10, 12, 14], { perHour: 5, floor: 3, unit: '' }).ok, false);
  assert.equal(checkGrowth('znodes', [0, 60_000, 120_000], [10, Number.NaN, 10], { perHour: 5, floor: 25, unit: '' }).ok, true);
});
