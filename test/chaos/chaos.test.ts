// The short chaos run inside `npm test`: 20 s of faults on a 3-node ensemble with 5 workers running
// every recipe, holders that stall past their lease before writing, and the history checker's
// verdict (`npm run chaos` runs the long version).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { externalHosts, stopAll } from '../harness/index.js';
import { ALL_LOOPS, formatSummary, runChaos } from './orchestrator.js';

after(() => stopAll());

test('every recipe stays exclusive and fenced under 20 s of faults, stale writes rejected', async (t) => {
  if (externalHosts()) {
    t.skip('needs a harness-started ensemble (ZK_HOSTS is set)');
    return;
  }
  const report = await runChaos({ durationMs: 20_000, workers: 5, stallChance: 0.08 });
  const summary = formatSummary(report);
  for (const line of summary.split('\n')) t.diagnostic(line);
  assert.equal(report.violations.length, 0, summary);
  const kinds = Object.entries(report.stats.faults).filter(([, n]) => (n ?? 0) > 0);
  const total = kinds.reduce((sum, [, n]) => sum + (n ?? 0), 0);
  assert.ok(kinds.length >= 3 && total >= 4, `too few faults injected:\n${summary}`);
  assert.ok(report.stats.acquisitions > 0, `no lock acquisitions:\n${summary}`);
  assert.ok(report.stats.elections > 0, `no elections:\n${summary}`);
  assert.ok(report.stats.writesAccepted > 0, `no fenced writes:\n${summary}`);
  // Not vacuous: stalled holders did write after a newer holder had, and the store refused every one.
  assert.ok(report.fencing.stale > 0, `no stale write was attempted:\n${summary}`);
  assert.equal(report.fencing.staleRejected, report.fencing.stale, summary);
  assert.equal(report.fencing.acceptedOutOfOrder, 0, summary);
  // Every recipe runs; in 20 s, with the workers that run a recipe killed or paused, some may not
  // get a hold in (the 10-minute `npm run chaos` holds each hundreds of times). Most must.
  const recipes = Object.keys(report.stats.byRecipe);
  const expected = ALL_LOOPS.flatMap((l) => (l === 'read-write' ? ['rw-read'] : [l]));
  const missing = expected.filter((r) => !recipes.includes(r));
  if (missing.length > 0) t.diagnostic(`never held in this short run: ${missing.join(', ')}`);
  assert.ok(missing.length <= expected.length / 2, `recipes never held: ${missing.join(', ')}\n${summary}`);
});
